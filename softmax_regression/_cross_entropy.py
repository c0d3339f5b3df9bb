"""Cross-entropy of softmax probabilities, from logits, and its gradient.

For one sample with logits ``z`` and target distribution ``y`` over K
classes::

    CE(y, softmax(z)) = logsumexp(z) - sum_j y_j z_j
    dCE/dz            = softmax(z) - y

Targets are given either as integer class indices (one-hot ``y``) or as
probability rows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._softmax import as_float_array, logsumexp, softmax

__all__ = ["cross_entropy", "cross_entropy_grad"]


def _check_logits_and_targets(
    logits: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[NDArray[np.floating], NDArray, NDArray[np.floating]]:
    z = as_float_array(logits)
    if z.ndim != 2:
        raise ValueError(
            f"logits must be a 2-D array (n_samples, n_classes), got shape {z.shape}."
        )
    n_samples, n_classes = z.shape
    if n_samples == 0:
        raise ValueError(
            "logits have no rows: the mean cross-entropy of zero samples is undefined."
        )
    y = np.asarray(y)
    if y.ndim == 1:
        if y.dtype.kind not in "iu":
            raise TypeError(
                f"1-D targets must be integer class indices, got dtype {y.dtype}; "
                "encode labels with np.unique(labels, return_inverse=True)."
            )
        if y.shape[0] != n_samples:
            raise ValueError(
                f"y has {y.shape[0]} entries but logits have {n_samples} rows."
            )
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(
                f"class indices in y must lie in [0, {n_classes - 1}], got values "
                f"from {y.min()} to {y.max()}."
            )
    elif y.ndim == 2:
        if y.shape != z.shape:
            raise ValueError(
                f"probability targets must have the logits' shape {z.shape}, "
                f"got {y.shape}."
            )
        y = _check_probability_rows(as_float_array(y))
    else:
        raise ValueError(
            "y must be class indices (n_samples,) or probability rows "
            f"(n_samples, n_classes), got shape {y.shape}."
        )
    if sample_weight is None:
        weight = np.full(n_samples, 1.0 / max(n_samples, 1), dtype=z.dtype)
    else:
        weight = np.asarray(sample_weight, dtype=z.dtype)
        if weight.shape != (n_samples,):
            raise ValueError(
                f"sample_weight must have shape ({n_samples},), got {weight.shape}."
            )
        if not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError(
                "sample_weight must be finite and non-negative; it holds "
                f"{_first_bad(weight, weight >= 0)}."
            )
        total = weight.sum()
        if not total > 0:
            raise ValueError("sample_weight must be non-negative with a positive sum.")
        weight = weight / total
    return z, y, weight


def _first_bad(values: NDArray, good: NDArray) -> str:
    """The first value failing ``good`` (finite and the condition), for a
    message."""
    bad = ~(np.isfinite(values) & good)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{float(values[bad][0])!r} at index {index}"


def _check_probability_rows(y: NDArray[np.floating]) -> NDArray[np.floating]:
    """Require finite, non-negative target rows that sum to one."""
    if not np.all(np.isfinite(y)) or np.any(y < 0):
        raise ValueError(
            "probability targets must be finite and non-negative; y holds "
            f"{_first_bad(y, y >= 0)}."
        )
    sums = y.sum(axis=1)
    tolerance = max(1e-6, 8 * y.shape[1] * float(np.finfo(y.dtype).eps))
    off = np.abs(sums - 1) > tolerance
    if np.any(off):
        row = int(np.argmax(off))
        raise ValueError(
            f"probability targets must sum to one in each row; row {row} sums "
            f"to {float(sums[row])!r}. Normalise them with y / y.sum(axis=1, "
            "keepdims=True)."
        )
    return y


def cross_entropy(
    logits: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Weighted mean cross-entropy of ``softmax(logits)`` against targets.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Unnormalised log-probabilities ``z``.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Integer class indices, or rows of target probabilities.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights ``s``; the mean is ``sum_i s_i CE_i / sum_i s_i``.

    Returns
    -------
    float
        ``sum_i s_i (logsumexp(z_i) - y_i . z_i) / sum_i s_i``.

    Examples
    --------
    >>> from softmax_regression import cross_entropy
    >>> round(cross_entropy([[0.0, 0.0]], [1]), 6)  # log 2
    0.693147
    """
    z, y, weight = _check_logits_and_targets(logits, y, sample_weight)
    lse = logsumexp(z, axis=1)
    if y.ndim == 1:
        target_logit = z[np.arange(z.shape[0]), y]
    else:
        target_logit = np.einsum("ij,ij->i", y, z)
    return float(weight @ (lse - target_logit))


def cross_entropy_grad(
    logits: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Unnormalised log-probabilities ``z``.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Integer class indices, or rows of target probabilities.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; ``None`` weighs every sample ``1 / n_samples``.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``s_i (softmax(z_i) - y_i) / sum_i s_i``: ``(P - Y) / m`` unweighted.

    Examples
    --------
    >>> from softmax_regression import cross_entropy_grad
    >>> cross_entropy_grad([[0.0, 0.0]], [1]).tolist()
    [[0.5, -0.5]]
    """
    z, y, weight = _check_logits_and_targets(logits, y, sample_weight)
    grad = softmax(z, axis=1)
    if y.ndim == 1:
        grad[np.arange(z.shape[0]), y] -= 1
    else:
        grad -= y
    grad *= weight[:, None]
    return grad
