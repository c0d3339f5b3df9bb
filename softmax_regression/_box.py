"""Box constraints on the coefficients: ``lower_bound <= W <= upper_bound``.

The estimators' ``lower_bound`` and ``upper_bound`` (glmnet's
``lower.limits`` / ``upper.limits``) bound each coefficient ``W[k, j]``;
the intercepts stay free.  :func:`check_bounds` validates them,
:class:`Box` holds them over the flat parameter vector and gives what a
solver needs: the projection onto the box, and the optimality measure of
a constrained problem, the minimal-norm element of ``grad F + N(w)`` (``N``
the box's normal cone): the gradient itself for a free coefficient, only
its part pointing into the box for one at a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.validation import check_array


def _bound_array(bound, default: float, name: str, n_classes: int, n_features: int):
    """One of ``lower_bound`` / ``upper_bound`` broadcast to
    ``(n_classes, n_features)``."""
    if bound is None:
        return np.full((n_classes, n_features), default)
    array = check_array(
        np.atleast_1d(bound),
        ensure_2d=False,
        ensure_min_samples=0,
        ensure_all_finite=False,
        dtype=np.float64,
        input_name=name,
    )
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; use -inf or inf for no bound.")
    if array.shape not in {(1,), (n_features,), (n_classes, n_features)}:
        raise ValueError(
            f"{name} must be a scalar, an array of shape ({n_features},) (one bound "
            f"per feature) or ({n_classes}, {n_features}) (one per class and "
            f"feature), but has shape {np.shape(bound)}."
        )
    return np.broadcast_to(array, (n_classes, n_features)).astype(np.float64)


def check_bounds(
    lower_bound, upper_bound, n_classes: int, n_features: int
) -> tuple[NDArray, NDArray] | None:
    """``lower_bound`` and ``upper_bound`` as ``(n_classes, n_features)``
    float64 arrays, or None when every bound is infinite (no constraint).

    Each is None (no bound), a scalar, one bound per feature or one per
    class and feature; ``-inf`` / ``inf`` allowed.  A ValueError names the
    parameter for a NaN, a wrong shape, a lower bound of ``+inf`` or an
    upper bound of ``-inf``, and crossed bounds.
    """
    lower = _bound_array(lower_bound, -np.inf, "lower_bound", n_classes, n_features)
    upper = _bound_array(upper_bound, np.inf, "upper_bound", n_classes, n_features)
    if np.any(lower == np.inf) or np.any(upper == -np.inf):
        raise ValueError(
            "lower_bound cannot be +inf and upper_bound cannot be -inf: no "
            "coefficient would be feasible."
        )
    crossed = np.argwhere(lower > upper)
    if crossed.size:
        k, j = crossed[0]
        raise ValueError(
            f"lower_bound > upper_bound for class index {k}, feature {j}: "
            f"{lower[k, j]:g} > {upper[k, j]:g}"
            + (f" ({len(crossed)} crossed pairs)." if len(crossed) > 1 else ".")
        )
    if np.all(np.isneginf(lower)) and np.all(np.isposinf(upper)):
        return None
    return lower, upper


@dataclass(frozen=True)
class Box:
    """Bounds on every entry of the flat parameter vector (the intercepts'
    infinite).

    Attributes
    ----------
    lower, upper : ndarray of shape (n_params,)
        float64 bounds, ``lower <= upper``.
    """

    lower: NDArray
    upper: NDArray

    @classmethod
    def on_coefficients(cls, lower: NDArray, upper: NDArray, n_params: int) -> Box:
        """The box of ``(n_classes, n_features)`` coefficient bounds on a
        flat vector of ``n_params`` entries (coefficients first, row-major,
        then the free intercepts)."""
        flat_lower = np.full(n_params, -np.inf)
        flat_upper = np.full(n_params, np.inf)
        flat_lower[: lower.size] = lower.ravel()
        flat_upper[: upper.size] = upper.ravel()
        return cls(flat_lower, flat_upper)

    def project(self, w: NDArray) -> NDArray:
        """The nearest point of the box."""
        return np.clip(w, self.lower, self.upper)

    def contains(self, w: NDArray) -> bool:
        """Whether ``w`` lies in the box."""
        return bool(np.all((w >= self.lower) & (w <= self.upper)))

    def min_norm(self, w: NDArray, low: NDArray, high: NDArray) -> NDArray:
        """The minimal-norm element of ``[low, high] + N(w)``, entrywise.

        ``[low, high]`` is each entry's interval of (sub)gradients of ``F``
        (one point where ``F`` is differentiable there); ``N(w)`` is the
        box's normal cone at ``w``: ``(-inf, 0]`` at a lower bound,
        ``[0, inf)`` at an upper one, everything where both meet.  An
        entry within a few units in the last place of a bound is at it
        (solvers in rescaled variables land there).
        """
        at_lower = w <= self.lower + _margin(self.lower)
        at_upper = w >= self.upper - _margin(self.upper)
        result = np.clip(0.0, low, high)
        result = np.where(at_lower, np.minimum(high, 0.0), result)
        result = np.where(at_upper, np.maximum(low, 0.0), result)
        return np.where(at_lower & at_upper, 0.0, result)


def _margin(bound: NDArray) -> NDArray:
    """A few units in the last place of each finite bound (0 for infinite
    ones)."""
    finite = np.where(np.isfinite(bound), np.abs(bound), 0.0)
    return np.where(
        np.isfinite(bound), 8 * np.finfo(np.float64).eps * np.maximum(finite, 1.0), 0.0
    )
