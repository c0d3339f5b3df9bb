"""How well conditioned the features are, for ``solver="auto"``.

The Hessian of the loss is a weighted second-moment matrix of the rows
``z_i = (x_i, 1)`` (with intercepts) times the classes' covariance; once a
solver scales each parameter by its diagonal (Newton-CG's Jacobi
preconditioner), what is left to slow conjugate gradients is the condition
number of the diagonally scaled second-moment matrix ``D^-1/2 M D^-1/2``,
``M = sum_i s_i z_i z_i^T``.  It is about 1 for centred, uncorrelated
features and grows with uncentred features (a mean far from zero against
its spread) and with correlated ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: Rows per block of the dense Gram product (no float64 copy of all of X).
_BLOCK_ROWS = 4096


def scaled_gram_condition(X, weight: NDArray, fit_intercept: bool) -> float:
    """The condition number of the diagonally scaled weighted second-moment
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
    float
        ``lambda_max / lambda_min`` (inf when the matrix is singular, e.g.
        a constant or duplicated feature); one pass over X and an
        eigendecomposition of a ``(d + 1) x (d + 1)`` matrix.
    """
    weight = np.asarray(weight, dtype=np.float64)
    n_features = X.shape[1]
    if sp.issparse(X):
        gram = np.asarray((X.T @ X.multiply(weight[:, None])).toarray())
        column_sums = np.asarray(X.T @ weight).ravel()
    else:
        gram = np.zeros((n_features, n_features))
        column_sums = np.zeros(n_features)
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            block = np.asarray(X[start : start + _BLOCK_ROWS], dtype=np.float64)
            w = weight[start : start + _BLOCK_ROWS]
            gram += block.T @ (block * w[:, None])
            column_sums += w @ block
    if fit_intercept:
        gram = np.block(
            [[gram, column_sums[:, None]], [column_sums[None, :], weight.sum()]]
        )
    diagonal = np.diag(gram)
    if not np.all(diagonal > 0):
        return float("inf")
    scale = 1.0 / np.sqrt(diagonal)
    eigenvalues = np.linalg.eigvalsh(gram * np.outer(scale, scale))
    if not eigenvalues[0] > 0:
        return float("inf")
    return float(eigenvalues[-1] / eigenvalues[0])
