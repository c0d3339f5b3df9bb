"""Numerically stable softmax, log-softmax and log-sum-exp.

Every function shifts its input by the maximum along ``axis`` before
exponentiating, so ``exp`` never overflows, and the log-probabilities are
computed as ``z - logsumexp(z)``, never as ``log(softmax(z))``, so no
probability that underflows to zero ever becomes ``log(0)``.

Conventions for non-finite input, along the reduced axis:

* a slice holding ``+inf`` puts all its mass, in equal shares, on its
  ``+inf`` entries (the limit of letting those logits grow together);
* ``-inf`` entries get probability 0 and log-probability ``-inf``, while the
  other entries keep finite log-probabilities;
* a slice whose entries are all ``-inf`` defines no distribution: ``softmax``
  and ``log_softmax`` return NaN there and ``logsumexp`` returns ``-inf``;
* NaN propagates.

Floating dtypes are preserved (float32 stays float32); integer and boolean
input is computed in float64.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["log_softmax", "logsumexp", "softmax"]


def as_float_array(z: ArrayLike) -> NDArray[np.floating]:
    """Return ``z`` as a real floating array, keeping a floating dtype."""
    z = np.asarray(z)
    if z.dtype.kind == "c":
        raise TypeError(
            f"logits must be real numbers, got complex dtype {z.dtype}; pass the "
            "real part explicitly if that is what you mean."
        )
    if z.dtype.kind not in "fiub":
        raise TypeError(
            f"logits must be a numeric array, got dtype {z.dtype}; convert it with "
            "np.asarray(z, dtype=float)."
        )
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    return z


def _shifted_logits(
    z: NDArray[np.floating], axis: int
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """Return ``(z - max(z), max(z))`` along ``axis``, with keepdims.

    Slices whose maximum is ``+inf`` are shifted so that their ``+inf``
    entries become 0 and all other entries ``-inf``.  Differences that
    overflow (``1e308 - (-1e308)``) correctly become ``-inf``.
    """
    if z.ndim == 0:
        raise ValueError("logits must have at least one dimension, got a scalar.")
    if z.shape[axis] == 0:
        raise ValueError(
            f"logits have no entries along axis {axis}: the softmax of an empty "
            "set of classes is undefined."
        )
    z_max = np.max(z, axis=axis, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = z - z_max
    has_pos_inf = np.isposinf(z_max)
    if np.any(has_pos_inf):
        inf_share = np.where(np.isposinf(z), 0.0, -np.inf).astype(z.dtype)
        shifted = np.where(has_pos_inf, inf_share, shifted)
    return shifted, z_max


def _log_normaliser(shifted: NDArray[np.floating], axis: int) -> NDArray[np.floating]:
    """``log(sum(exp(shifted)))`` along ``axis`` with keepdims (>= 0)."""
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """Stable ``log(sum(exp(z)))`` along an axis.

    Parameters
    ----------
    z : array-like
        Logits.  Integer and boolean input is computed in float64; floating
        input keeps its dtype.
    axis : int, default=-1
        Axis to reduce (the class axis).
    keepdims : bool, default=False
        Keep the reduced axis with length one.

    Returns
    -------
    ndarray
        ``max(z) + log(sum(exp(z - max(z))))``; ``+inf`` where a slice holds
        ``+inf`` and ``-inf`` where every entry of a slice is ``-inf``.

    Examples
    --------
    >>> from softmax_regression import logsumexp
    >>> float(logsumexp([1000.0, 1000.0]))  # exp(1000) would overflow
    1000.6931471805599
    """
    z = as_float_array(z)
    shifted, z_max = _shifted_logits(z, axis)
    with np.errstate(invalid="ignore"):
        out = _log_normaliser(shifted, axis) + z_max
    out = np.where(np.isneginf(z_max), z_max, out).astype(z.dtype, copy=False)
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """Stable log-probabilities ``z - logsumexp(z)`` along an axis.

    Parameters
    ----------
    z : array-like
        Logits; floating dtypes are preserved.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    ndarray
        Log-probabilities, the shape of ``z``: finite wherever the logit is
        finite, even where ``exp`` of it underflows to zero.

    Examples
    --------
    >>> from softmax_regression import log_softmax
    >>> log_softmax([0.0, -1000.0]).tolist()  # log(softmax) would give -inf
    [0.0, -1000.0]
    """
    z = as_float_array(z)
    shifted, _ = _shifted_logits(z, axis)
    return (shifted - _log_normaliser(shifted, axis)).astype(z.dtype, copy=False)


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """Stable softmax ``exp(z - max(z)) / sum(exp(z - max(z)))`` along an axis.

    Parameters
    ----------
    z : array-like
        Logits; floating dtypes are preserved.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    ndarray
        Probabilities in [0, 1], summing to one along ``axis``.

    Examples
    --------
    >>> from softmax_regression import softmax
    >>> softmax([1e308, -1e308]).tolist()
    [1.0, 0.0]
    """
    z = as_float_array(z)
    shifted, _ = _shifted_logits(z, axis)
    unnormalised = np.exp(shifted)
    return unnormalised / np.sum(unnormalised, axis=axis, keepdims=True)


def softmax_columns_inplace(logits: NDArray[np.floating]) -> NDArray[np.floating]:
    """Overwrite ``(K, m)`` logits (one column per sample) with their softmax
    down each column; return each column's logsumexp.

    The loss kernel's fast path: the class axis comes first so that the
    reductions over classes run across contiguous rows (ten times faster
    than along a short last axis), and nothing of the logits' size is
    allocated.  Columns that overflowed to +-inf take the general path.
    """
    col_max = logits.max(axis=0)
    # one reduction: the sum is finite where every maximum is (a sum that
    # overflows only sends finite columns down the general path)
    if not np.isfinite(col_max.sum()):
        shifted, _ = _shifted_logits(logits, axis=0)
        log_normaliser = _log_normaliser(shifted, axis=0)
        logits[...] = np.exp(shifted - log_normaliser)
        return col_max + log_normaliser[0]
    logits -= col_max
    np.exp(logits, out=logits)
    normaliser = logits.sum(axis=0)
    logits /= normaliser
    return col_max + np.log(normaliser)
