"""Penalties on the coefficient matrix ``W`` (never on the intercept).

Every penalty acts on the flat coefficient block ``coef`` (``W`` in
row-major order, see :class:`~softmax_regression._loss.MultinomialLoss`)
and offers:

* ``value(coef)``: the penalty itself;
* ``gradient``, ``hessp``, ``hessian_diagonal``: those of its smooth (L2)
  part, all a smooth solver needs;
* ``prox(coef, step)``: the proximal operator of ``step`` times the *whole*
  penalty, ``argmin_x ||x - coef||^2 / (2 step) + penalty(x)``, all a
  proximal solver needs besides the loss; ``step`` may also be an array,
  one step per entry (a diagonal metric; for the group penalty equal
  within each feature's column), with ``||.||^2 / (2 step)`` summed
  entrywise;
* ``min_norm_subgradient(coef, loss_grad)``: the element of smallest norm in
  ``loss_grad + d penalty(coef)``; it is zero exactly at the optimum, and
  its largest absolute entry is the stopping measure that gives ``tol`` one
  meaning for every penalty (for the L2 penalty it is the gradient).
"""

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
    smooth = True

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

    def prox(self, coef: NDArray, step) -> NDArray:
        """``coef / (1 + step * strength)``."""
        return coef / (1.0 + step * self.strength)

    def min_norm_subgradient(self, coef: NDArray, loss_grad: NDArray) -> NDArray:
        """``loss_grad + strength * coef``, the gradient of the objective."""
        return loss_grad + self.strength * coef


class ElasticNetPenalty(L2Penalty):
    """Elastic net ``alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * ||W||_1)``.

    The L1 term acts on each entry of ``W``: its proximal operator
    (soft-thresholding) sets entries exactly to zero.

    Parameters
    ----------
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the L1 term, in [0, 1].
    """

    smooth = False

    def __init__(self, alpha: float, l1_ratio: float) -> None:
        if not 0 <= l1_ratio <= 1:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}.")
        super().__init__(alpha * (1 - l1_ratio))
        self.l1_strength = float(alpha * l1_ratio)
        self.name = "l1" if l1_ratio == 1 else "elasticnet"

    def _l1_value(self, coef: NDArray) -> float:
        return float(np.sum(np.abs(coef)))

    def value(self, coef: NDArray) -> float:
        """The L2 part plus ``l1_strength * ||coef||_1``."""
        return super().value(coef) + self.l1_strength * self._l1_value(coef)

    def prox(self, coef: NDArray, step) -> NDArray:
        """Soft-thresholding at ``step * l1_strength``, then the L2 shrinkage."""
        magnitude = np.maximum(np.abs(coef) - step * self.l1_strength, 0.0)
        return super().prox(np.copysign(magnitude, coef), step)

    def min_norm_subgradient(self, coef: NDArray, loss_grad: NDArray) -> NDArray:
        """Per entry: ``g + l1 * sign(w)`` where ``w != 0``, else ``g``
        shrunk towards zero by ``l1`` (``g`` the smooth part's gradient)."""
        smooth_grad = super().min_norm_subgradient(coef, loss_grad)
        shrunk = np.copysign(
            np.maximum(np.abs(smooth_grad) - self.l1_strength, 0.0), smooth_grad
        )
        return np.where(
            coef != 0, smooth_grad + self.l1_strength * np.sign(coef), shrunk
        )


class GroupElasticNetPenalty(ElasticNetPenalty):
    """Group elastic net over the features: ``alpha * ((1 - l1_ratio) / 2 *
    ||W||_F^2 + l1_ratio * sum_j ||W[:, j]||_2)``.

    The group of feature ``j`` is its column of ``W``, one coefficient per
    class (glmnet's ``type.multinomial="grouped"``): the proximal operator
    (block soft-thresholding) keeps or drops a feature for every class at
    once.

    Parameters
    ----------
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the group term, in [0, 1].
    n_classes : int
        Number of rows of ``W``, to find the columns in the flat block.
    """

    name = "group"

    def __init__(self, alpha: float, l1_ratio: float, n_classes: int) -> None:
        super().__init__(alpha, l1_ratio)
        self.name = "group"
        self.n_classes = int(n_classes)

    def _columns(self, coef: NDArray) -> NDArray:
        return coef.reshape(self.n_classes, -1)

    def _l1_value(self, coef: NDArray) -> float:
        return float(np.sum(np.linalg.norm(self._columns(coef), axis=0)))

    def prox(self, coef: NDArray, step) -> NDArray:
        """Block soft-thresholding of each column at ``step * l1_strength``,
        then the L2 shrinkage."""
        columns = self._columns(coef)
        norms = np.linalg.norm(columns, axis=0)
        column_step = self._columns(np.asarray(step))[0] if np.ndim(step) else step
        threshold = column_step * self.l1_strength
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
        return L2Penalty.prox(self, (columns * scale).reshape(coef.shape), step)

    def min_norm_subgradient(self, coef: NDArray, loss_grad: NDArray) -> NDArray:
        """Per column: ``g + l1 * w / ||w||`` where ``w != 0``, else ``g``
        with its norm shrunk by ``l1`` (``g`` the smooth part's gradient)."""
        smooth_grad = self._columns(
            L2Penalty.min_norm_subgradient(self, coef, loss_grad)
        )
        columns = self._columns(coef)
        coef_norms = np.linalg.norm(columns, axis=0)
        grad_norms = np.linalg.norm(smooth_grad, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            active = smooth_grad + self.l1_strength * columns / coef_norms
            shrink = np.where(
                grad_norms > self.l1_strength, 1.0 - self.l1_strength / grad_norms, 0.0
            )
        result = np.where(coef_norms > 0, active, smooth_grad * shrink)
        return result.reshape(coef.shape)


def make_penalty(name: str, alpha: float, l1_ratio: float, n_classes: int) -> L2Penalty:
    """The penalty object for a penalty name and the estimator's parameters.

    Parameters
    ----------
    name : {"l2", "l1", "elasticnet", "group"}
        The penalty's name, from
        :func:`~softmax_regression._validation.penalty_name`.
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the non-smooth term, in [0, 1].
    n_classes : int
        Number of rows of ``W``.

    Returns
    -------
    L2Penalty, ElasticNetPenalty or GroupElasticNetPenalty
    """
    if name == "l2":
        return L2Penalty(alpha * (1 - l1_ratio))
    if name == "group":
        return GroupElasticNetPenalty(alpha, l1_ratio, n_classes)
    return ElasticNetPenalty(alpha, l1_ratio)
