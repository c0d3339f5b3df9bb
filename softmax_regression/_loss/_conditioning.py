"""How well conditioned the features are, for ``solver="auto"``.

The Hessian of the loss is a weighted second-moment matrix of the rows
``z_i = (x_i, 1)`` (with intercepts) times the classes' covariance; once a
solver scales each parameter by its diagonal (Newton-CG's Jacobi
preconditioner), what is left to slow conjugate gradients is the spectrum
of the diagonally scaled second-moment matrix ``D^-1/2 M D^-1/2``,
``M = sum_i s_i z_i z_i^T``.  Its eigenvalues cluster at 1 for centred,
uncorrelated features and spread with uncentred features (a mean far from
zero against its spread) and with correlated ones.

:func:`conjugate_gradient_steps` turns that spectrum into what it costs: the
number of conjugate-gradient iterations (Hessian-vector products) a Newton
step needs, which ``"auto"`` weighs against the cost of the full Hessian.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: Entries of X per block of the Gram product (no float64 copy of all of X).
#: Dense blocks stay small enough (128 KiB) to be reused from the heap: at
#: 2^18 entries each block (with, then, a weighted copy beside it) was fresh
#: pages, and the estimate took 3.7 ms instead of 1.2 on the 20,000 x 50
#: synthetic set.
_BLOCK_ENTRIES = {"dense": 1 << 14, "sparse": 1 << 18}
#: Sparse X at least this dense has its Gram blocks densified: a sparse
#: product of 2,048 fully stored rows of 200 features took 135 ms, the
#: dense one a few.
_DENSE_GRAM_DENSITY = 0.1
#: Beyond this many rows, a random sample of them (fixed seed) estimates the
#: spectrum (it decides only between at most 1,500 parameters' full Hessian
#: and conjugate gradients).  With 5,000 rows instead of 20,000 ``"auto"``
#: picked the same solver on every benchmark set (the estimate moved by at
#: most one step where it decides: pendigits 17 -> 16, synthetic-small
#: 2 -> 3, diamonds 27, the raw 50,000 x 40 set 153 -> 150); with 2,000
#: it still does, every estimate far from its threshold (steps against
#: threshold: pendigits 19 / 3, diamonds 29 / 14.2, the raw 20,000 x 50
#: set 212 / 23.4 and 50,000 x 40 set 150 / 66.1, synthetic-small 3 / 23.4,
#: the 200,000 x 100 set 4 / 84.1), and costs 1.0 ms instead of 2.5 on the
#: 20,000 x 50 synthetic set (2.3 instead of 5.0 on the 200,000 x 100
#: one), whose whole fit takes about 30 ms in one process.
_MAX_ROWS = 2_000
#: The model CG solve raises eigenvalues of the scaled second moments to at
#: least this fraction of the largest (an exactly singular matrix, e.g.
#: one-hot columns beside the intercept): the penalty holds those
#: directions, and CG then spends one iteration on each.
_EIGENVALUE_FLOOR = 1e-12
#: The relative residual of the model CG solve: a Newton step's forcing term
#: is about this loose through most of a fit.
_CG_RTOL = 1e-2


def eigenvalue_resolution(eigenvalues: NDArray) -> float:
    """The size below which a symmetric eigendecomposition's eigenvalues are
    its rounding: their number times machine epsilon times the largest
    (numpy's ``matrix_rank`` tolerance).  Raw features of scales 2e5 and
    0.01 side by side (Ecdat's HI survey) put 13 real eigenvalues of their
    second moments between 3e-13 and 3e-11 of the largest; collinear
    columns (indicators that sum to the constant) put rounding of either
    sign below this."""
    largest = max(float(np.max(eigenvalues, initial=0.0)), 0.0)
    return eigenvalues.size * np.finfo(np.float64).eps * largest


def augmented_gram(
    X, weight: NDArray, rows: NDArray[np.intp], fit_intercept: bool
) -> NDArray[np.float64]:
    """``sum_i s_i x~_i x~_i^T`` over ``rows``, ``x~ = (x, 1)`` with
    intercepts (else ``x``): a ``(d + 1, d + 1)`` float64 matrix, X read in
    blocks of rows (no float64 copy of X).

    A dense block (or a sparse one of density at least
    :data:`_DENSE_GRAM_DENSITY`, densified) is scaled by ``sqrt(s_i)`` and
    multiplied by its own transpose (BLAS ``syrk``, half the
    multiply-adds), with the constant column beside it: 4,000 float32 rows
    of 50 features in 0.67 ms, 20,000 float64 rows in 3.9 ms, against 0.84
    and 4.6 ms for ``Z^T (Z * s)`` in chunks with a column of ones (the
    Kronecker factors' former Gram).  Sparser blocks stay sparse."""
    n_samples, n_features = X.shape
    weight = np.asarray(weight, dtype=np.float64)
    density = X.nnz / max(n_samples * n_features, 1) if sp.issparse(X) else 1.0
    if density < _DENSE_GRAM_DENSITY:
        return _sparse_gram(X, weight, rows, fit_intercept)
    width = n_features + int(fit_intercept)
    gram = np.zeros((width, width))
    step = max(1, _BLOCK_ENTRIES["dense"] // width)
    for start in range(0, rows.size, step):
        chosen = rows[start : start + step]
        block = np.empty((chosen.size, width))
        if sp.issparse(X):
            block[:, :n_features] = X[chosen].toarray()
        else:
            block[:, :n_features] = X.take(chosen, axis=0)
        if fit_intercept:
            block[:, n_features] = 1.0
        block *= np.sqrt(weight[chosen])[:, None]
        gram += block.T @ block
    return gram


def _sparse_gram(
    X, weight: NDArray, rows: NDArray[np.intp], fit_intercept: bool
) -> NDArray[np.float64]:
    """:func:`augmented_gram` of sparse X by sparse products."""
    n_features = X.shape[1]
    step = max(1, int(_BLOCK_ENTRIES["sparse"] // max(X.nnz / X.shape[0], 1)))
    gram = np.zeros((n_features, n_features))
    column_sums = np.zeros(n_features)
    for start in range(0, rows.size, step):
        chosen = rows[start : start + step]
        w = weight[chosen]
        block = sp.csr_array(X[chosen], dtype=np.float64)
        weighted = block.copy()
        weighted.data *= np.repeat(w, np.diff(block.indptr))
        gram += (block.T @ weighted).toarray()
        column_sums += w @ block
    if not fit_intercept:
        return gram
    total = weight[rows].sum()
    return np.block([[gram, column_sums[:, None]], [column_sums[None, :], total]])


def scaled_gram_spectrum(X, weight: NDArray, fit_intercept: bool) -> NDArray:
    """The eigenvalues of the diagonally scaled weighted second-moment
    matrix of ``X`` (with a column of ones when ``fit_intercept``).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The data.
    weight : ndarray of shape (n_samples,)
        Non-negative sample weights.
    fit_intercept : bool
        Whether the model has intercepts (a constant column).

    Returns
    -------
    ndarray
        Ascending; one per column of weighted mass (all-zero columns carry
        no loss, only the penalty, and are left out).  One pass over X (over
        2,000 random rows of a larger X) and an eigendecomposition of a
        ``(d + 1) x (d + 1)`` matrix.
    """
    weight = np.asarray(weight, dtype=np.float64)
    n_samples = X.shape[0]
    sample = np.arange(n_samples)
    if n_samples > _MAX_ROWS:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(n_samples, _MAX_ROWS, replace=False))
    gram = augmented_gram(X, weight, sample, fit_intercept)
    kept = np.flatnonzero(np.diag(gram) > 0)
    gram = gram[np.ix_(kept, kept)]
    scale = 1.0 / np.sqrt(np.diag(gram))
    return np.linalg.eigvalsh(gram * np.outer(scale, scale))


def conjugate_gradient_steps(eigenvalues: NDArray, rtol: float = _CG_RTOL) -> int:
    """The iterations conjugate gradients takes on a matrix with these
    eigenvalues, from zero to a relative residual of ``rtol``.

    The right-hand side weighs every eigenvector equally (a gradient owes
    no direction a preference); the run is exact on the diagonal matrix,
    ``O(len(eigenvalues))`` per iteration.

    Parameters
    ----------
    eigenvalues : ndarray
        Non-negative (those below ``1e-12`` of the largest count as that).
    rtol : float, default=1e-2
        The relative residual to reach.

    Returns
    -------
    int
        At least 1 (0 for no eigenvalues); at most ``10 * len(eigenvalues)``.
    """
    values = np.asarray(eigenvalues, dtype=np.float64)
    if values.size == 0:
        return 0
    values = np.maximum(values, _EIGENVALUE_FLOOR * values.max())
    residual = np.ones_like(values)
    direction = residual.copy()
    squared = residual @ residual
    target = rtol**2 * squared
    steps = 0
    while steps < 10 * values.size:
        steps += 1
        image = values * direction
        residual -= squared / (direction @ image) * image
        new_squared = residual @ residual
        if new_squared <= target:
            break
        direction = residual + new_squared / squared * direction
        squared = new_squared
    return steps


def newton_cg_steps(X, weight: NDArray, fit_intercept: bool) -> int:
    """The conjugate-gradient iterations a Jacobi-preconditioned Newton step
    needs on these features: :func:`conjugate_gradient_steps` of
    :func:`scaled_gram_spectrum` (see the module's docstring)."""
    return conjugate_gradient_steps(scaled_gram_spectrum(X, weight, fit_intercept))


#: Rows that estimate how the curvature spreads over them (a fixed-seed
#: sample of a larger X).  A handful of gross outliers can decide it, and
#: a sample misses them: on diamonds (53,940 rows, 23 of them outliers)
#: the share is 0.005 on every row, 0.009-0.020 on 20,000 sampled rows and
#: 0.05-0.06 on 5,000.
_SHARE_ROWS = 200_000
#: Rows densified at a time for the share.
_SHARE_CHUNK_ROWS = 1024


def row_leverages(X, weight: NDArray, fit_intercept: bool) -> tuple[float, float]:
    """How evenly the rows carry the loss's curvature at ``w = 0``: the
    effective share of the rows that do, and the largest leverage.

    At ``w = 0`` the softmax is uniform, and row ``i`` adds to the
    curvature along a random direction in proportion (on average) to its
    leverage ``h_i = s_i x~_i^T B^-1 x~_i`` (``B = sum_i s_i x~_i x~_i^T``,
    ``x~ = (x, 1)``: the features' scales, offsets and correlations taken
    out; ``h_i`` is the share of the curvature along its own direction
    that row ``i`` carries, at most 1).  The share is
    ``(sum h)^2 / (m sum h^2)`` over the ``m`` rows of positive weight:
    near 1 when every row carries about as much (Gaussian features,
    however scaled and offset: 0.95), small when a few rows carry most of
    it (heavy-tailed features 0.2-0.3, diamonds with its outliers 0.005).
    The largest ``h_i`` says whether a single row rules a direction
    (diamonds 0.74, without its outliers 0.16; heavy-tailed features
    0.07-0.09; Gaussian ones 0.002): a sample of the rows that misses it,
    or holds it, then has that direction's curvature wrong severalfold.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The data.
    weight : ndarray of shape (n_samples,)
        Non-negative sample weights.
    fit_intercept : bool
        Whether the model has intercepts (a constant column).

    Returns
    -------
    share, largest : float
        The share, in ``(0, 1]``, and the largest leverage, in ``[0, 1]``
        (``(1.0, 0.0)`` where no row has weight).  Two passes over at most
        :data:`_SHARE_ROWS` rows of ``(d + 1)^2`` multiply-adds each.
    """
    weight = np.asarray(weight, dtype=np.float64)
    rows = np.flatnonzero(weight > 0)
    if rows.size > _SHARE_ROWS:
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(rows, _SHARE_ROWS, replace=False))
    if rows.size == 0:
        return 1.0, 0.0

    gram = augmented_gram(X, weight, rows, fit_intercept)
    eigenvalues, vectors = np.linalg.eigh(gram)
    kept = eigenvalues > eigenvalue_resolution(eigenvalues)
    if not np.any(kept):
        return 1.0, 0.0
    whiten = vectors[:, kept] / np.sqrt(eigenvalues[kept])
    total = squares = largest = 0.0
    for start in range(0, rows.size, _SHARE_CHUNK_ROWS):
        chosen = rows[start : start + _SHARE_CHUNK_ROWS]
        block = X[chosen]
        block = block.toarray() if sp.issparse(block) else block
        projected = np.asarray(block, dtype=np.float64) @ whiten[: X.shape[1]]
        if fit_intercept:
            projected += whiten[-1]  # the constant column's row
        leverage = weight[chosen] * (projected**2).sum(axis=1)
        total += float(leverage.sum())
        squares += float(leverage @ leverage)
        largest = max(largest, float(leverage.max()))
    if not squares > 0:
        return 1.0, 0.0
    return min(1.0, total**2 / (rows.size * squares)), min(1.0, largest)
