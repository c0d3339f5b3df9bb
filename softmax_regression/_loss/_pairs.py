"""The two factors of the full Hessian's pair form (see
:meth:`~._multinomial.MultinomialLoss.hessian`): for a block of ``m`` rows,
the class-pair coefficients ``c_ikl`` (``k <= l``) and the feature-pair
products ``x~_ia x~_ib`` (``a <= b``), both one row per pair and one column
per sample, so that the block's contribution to the Hessian's upper
triangles is the single product ``C Q^T``."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: The products of feature pairs are built for at most this many entries at
#: a time (16 MiB in float64), but for at least ``_MIN_PAIR_ROWS`` rows: on
#: wide X, fewer rows per product (smaller parts, 2^16 entries, made
#: pendigits' fit 1.3x slower).
_PAIR_PRODUCT_ENTRIES = 1 << 21
_MIN_PAIR_ROWS = 16


def class_pair_coefficients(proba: NDArray, weight: NDArray) -> NDArray:
    """``c_ikl = s_i (delta_kl p_ik - p_ik p_il)`` for ``k <= l``.

    Parameters
    ----------
    proba : ndarray of shape (K, m)
        Class-major probabilities of the block's rows.
    weight : ndarray of shape (m,)
        The rows' normalised weights ``s_i``.

    Returns
    -------
    ndarray of shape (K (K + 1) / 2, m)
        The pairs in row-major upper-triangle order (``np.triu_indices``),
        written class by class: no temporary of this size (on pendigits
        the first fit in a fresh process paid 2,500 page faults in its
        first Hessian, and each Hessian took 5.4 ms instead of 4.9).
    """
    n_classes = proba.shape[0]
    weighted = proba * weight
    out = np.empty((n_classes * (n_classes + 1) // 2, proba.shape[1]), proba.dtype)
    start = 0
    for k in range(n_classes):
        pairs = out[start : start + n_classes - k]
        np.multiply(weighted[k], proba[k:], out=pairs)
        np.negative(pairs, out=pairs)
        pairs[0] += weighted[k]
        start += n_classes - k
    return out


def feature_pair_products(X_block, fit_intercept: bool, dtype=None) -> NDArray:
    """``x~_ia x~_ib`` for ``a <= b`` (row-major upper triangle), with
    ``x~ = (x, 1)`` when ``fit_intercept``.

    Parameters
    ----------
    X_block : {ndarray, sparse matrix} of shape (m, d)
        The block's rows.
    fit_intercept : bool
        Whether to append the constant feature.
    dtype : dtype, default=None
        The products' dtype (the block's by default).

    Returns
    -------
    ndarray of shape ((d + 1) (d + 2) / 2, m)
        One row per pair (``(d (d + 1) / 2`` without the intercept); a
        sparse block is densified.
    """
    n_rows, n_features = X_block.shape
    dtype = X_block.dtype if dtype is None else np.dtype(dtype)
    columns = np.empty((n_features + int(fit_intercept), n_rows), dtype)
    columns[:n_features] = X_block.T.toarray() if sp.issparse(X_block) else X_block.T
    columns[n_features:] = 1.0
    width = columns.shape[0]
    products = np.empty((width * (width + 1) // 2, n_rows), dtype)
    start = 0
    for a in range(width):
        np.multiply(columns[a], columns[a:], out=products[start : start + width - a])
        start += width - a
    return products


def add_pair_products(
    out: NDArray, coefficients: NDArray, X_block, fit_intercept: bool, dtype
) -> None:
    """``out += C Q^T`` for a block: its class-pair ``coefficients`` ``C``
    and feature-pair products ``Q`` (:func:`feature_pair_products`, in
    ``dtype``, a few rows at a time where they are many: wide X)."""
    width = X_block.shape[1] + int(fit_intercept)
    step = max(_MIN_PAIR_ROWS, _PAIR_PRODUCT_ENTRIES // (width * (width + 1) // 2))
    for start in range(0, X_block.shape[0], step):
        part = slice(start, start + step)
        products = feature_pair_products(X_block[part], fit_intercept, dtype)
        out += coefficients[:, part] @ products.T


def hessian_of_pairs(pairs: NDArray, n_classes: int, width: int) -> NDArray:
    """The full ``(K width) x (K width)`` matrix, class-major (class ``k``'s
    block of ``width`` rows), of the upper triangles ``pairs`` (``C Q^T``
    summed over the blocks), mirrored on both the class and the feature
    pairs."""
    class_a, class_b = np.triu_indices(n_classes)
    feat_a, feat_b = np.triu_indices(width)
    blocks = np.zeros((class_a.size, width, width))
    blocks[:, feat_a, feat_b] = pairs
    blocks[:, feat_b, feat_a] = pairs
    hess = np.zeros((n_classes, width, n_classes, width))
    hess[class_a, :, class_b, :] = blocks
    hess[class_b, :, class_a, :] = blocks
    return hess.reshape(n_classes * width, n_classes * width)
