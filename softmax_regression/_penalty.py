"""Penalties on the coefficient matrix ``W`` (never on the intercept)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class L2Penalty:
    """Ridge penalty ``strength / 2 * ||W||_F^2``.

    In the objective of DESIGN.md, ``strength = alpha * (1 - l1_ratio)``.

    Parameters
    ----------
    strength : float
        Non-negative multiplier of ``||W||_F^2 / 2``.
    """

    name = "l2"

    def __init__(self, strength: float) -> None:
        if not strength >= 0:
            raise ValueError(f"penalty strength must be >= 0, got {strength}.")
        self.strength = float(strength)

    def value(self, coef: NDArray) -> float:
        """``strength / 2 * ||coef||^2``."""
        return 0.5 * self.strength * float(np.vdot(coef, coef))

    def gradient(self, coef: NDArray) -> NDArray:
        """``strength * coef``."""
        return self.strength * coef

    def hessp(self, direction: NDArray) -> NDArray:
        """``strength * direction``: the penalty's Hessian is a multiple of I."""
        return self.strength * direction

    def hessian_diagonal(self, coef: NDArray) -> NDArray:
        """Diagonal of the penalty's Hessian: ``strength`` everywhere."""
        return np.full(coef.shape, self.strength)
