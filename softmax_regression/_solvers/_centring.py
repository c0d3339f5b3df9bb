"""Centred coordinates for the proximal solvers.

With intercepts, ``W x + b = W (x - centre) + c`` for ``c = b + W centre``:
in the coordinates ``(W, c)`` the features are centred (at their weighted
means, from :meth:`Objective.feature_moments`) without touching X, and the
intercepts no longer couple with the coefficients; on uncentred features
(raw pixel intensities, counts) that coupling makes the problem badly
conditioned.  The penalty, on ``W`` only, is the same in both coordinates,
so a proximal solver can run in either.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class Centring:
    """The change of coordinates ``w = T u``: ``(W, c) -> (W, c - W centre)``.

    Parameters
    ----------
    objective : Objective
        Provides ``feature_moments``, ``n_params`` and ``layout``.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
        The features' weighted means (zeros without intercepts: nothing can
        absorb the shift, and ``T`` is the identity).
    spread : ndarray of shape (n_features,)
        The weighted mean of ``(x_j - centre_j)^2``.
    """

    def __init__(self, objective) -> None:
        layout = objective.layout
        self.n_params = layout.n_params
        self.n_coef = layout.n_coef
        self.coef_shape = (layout.n_classes, layout.n_features)
        self.centre, self.spread = objective.feature_moments()

    def _shift(self, w: NDArray, sign: float) -> NDArray:
        out = np.array(w, dtype=np.float64)
        if self.n_params > self.n_coef:
            coef = out[: self.n_coef].reshape(self.coef_shape)
            out[self.n_coef :] += sign * (coef @ self.centre)
        return out

    def to_original(self, u: NDArray) -> NDArray:
        """``T u``: ``(W, c) -> (W, b = c - W centre)``."""
        return self._shift(u, -1.0)

    def from_original(self, w: NDArray) -> NDArray:
        """``T^-1 w``: ``(W, b) -> (W, c = b + W centre)``."""
        return self._shift(w, 1.0)

    def _move_gradient(self, grad: NDArray, sign: float) -> NDArray:
        out = np.array(grad, dtype=np.float64)
        if self.n_params > self.n_coef:
            shift = np.outer(out[self.n_coef :], self.centre).ravel()
            out[: self.n_coef] += sign * shift
        return out

    def gradient_to_centred(self, grad: NDArray) -> NDArray:
        """``T^T grad``: a gradient in the original coordinates, moved."""
        return self._move_gradient(grad, -1.0)

    def gradient_to_original(self, grad: NDArray) -> NDArray:
        """``T^-T grad``: a gradient in the centred coordinates, moved back."""
        return self._move_gradient(grad, 1.0)

    def matrices(self) -> tuple[NDArray, NDArray]:
        """``T`` and ``T^-1`` as dense matrices (for few parameters)."""
        identity = np.eye(self.n_params)
        forward = np.column_stack([self.to_original(e) for e in identity])
        backward = np.column_stack([self.from_original(e) for e in identity])
        return forward, backward


def positive_metric(values: NDArray) -> NDArray:
    """A diagonal metric safe to divide by: ``values`` with the entries that
    vanish to working precision relative to the largest (flat, e.g.
    constant, features) replaced by the largest (ones if all vanish).

    The floor is relative, never absolute, so features of any scale (1e-150
    as well as 1e150) keep their own metric.
    """
    largest = float(np.max(values, initial=0.0))
    if not largest > 0:
        return np.ones_like(values, dtype=np.float64)
    return np.where(values > np.finfo(np.float64).eps * largest, values, largest)
