"""Loss, penalty and data bound together: the one object a solver sees."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._loss import MultinomialLoss
from ._penalty import L2Penalty


class Objective:
    """``F(w) = loss(w) + penalty(W)`` on the flat parameter vector.

    The penalty acts on the coefficient block ``w[:K * d]`` only, never on
    the intercepts (see :class:`~softmax_regression._loss.MultinomialLoss`
    for the layout).  Values and gradients are returned in float64, the
    dtype solvers work in, whatever the data's dtype.

    Smooth solvers use ``value_and_grad``, ``hessp``, ``gradient_hessp`` and
    ``hessian``, which add the penalty's smooth (L2) part: they are the
    objective's derivatives only when the penalty is ``smooth``.  Proximal
    solvers split ``F`` into the loss (``loss_value``,
    ``loss_value_and_grad``) and the whole penalty (``penalty_value``,
    ``prox``), and stop on ``optimality``.

    Parameters
    ----------
    loss : MultinomialLoss
        The data term.
    penalty : L2Penalty, ElasticNetPenalty or GroupElasticNetPenalty
        The regulariser on ``W`` (see :mod:`softmax_regression._penalty`).
    """

    def __init__(self, loss: MultinomialLoss, penalty: L2Penalty) -> None:
        self.loss = loss
        self.penalty = penalty

    def take(self, rows) -> Objective:
        """The objective of a subset of the rows (a mini-batch): the loss's
        weighted mean over those rows plus the full penalty."""
        return Objective(self.loss.take(rows), self.penalty)

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return self.loss.n_params

    @property
    def penalty_name(self) -> str:
        """Name of the penalty, for the solver compatibility check."""
        return self.penalty.name

    @property
    def smooth(self) -> bool:
        """Whether ``F`` is differentiable (the penalty is plain L2)."""
        return self.penalty.smooth

    def _coef_block(self, w: NDArray) -> NDArray:
        return w[: self.loss.n_coef]

    def value(self, w: NDArray) -> float:
        """``F(w)``."""
        return self.loss.value(w) + self.penalty.value(self._coef_block(w))

    def loss_value(self, w: NDArray) -> float:
        """The loss alone, the smooth part of a proximal splitting."""
        return self.loss.value(w)

    def loss_value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """The loss and its gradient (float64), without the penalty."""
        value, grad = self.loss.value_and_grad(w)
        return value, grad.astype(np.float64, copy=False)

    def penalty_value(self, w: NDArray) -> float:
        """The penalty of ``w``'s coefficient block."""
        return self.penalty.value(self._coef_block(w))

    def prox(self, w: NDArray, step) -> NDArray:
        """Proximal operator of ``step * penalty`` on the coefficients; the
        identity on the (unpenalised) intercepts.  ``step`` is a float or
        one step per parameter (a diagonal metric, equal over the classes
        of a feature)."""
        out = np.array(w, dtype=np.float64)
        n_coef = self.loss.n_coef
        coef_step = step[:n_coef] if np.ndim(step) else step
        out[:n_coef] = self.penalty.prox(out[:n_coef], coef_step)
        return out

    def feature_moments(self) -> tuple[NDArray, NDArray]:
        """Each feature's weighted centre and spread, for preconditioning.

        Returns
        -------
        centre : ndarray of shape (n_features,)
            The weighted mean of each feature when the model has intercepts
            (which can absorb a shift of the features), else zeros.
        spread : ndarray of shape (n_features,)
            The weighted mean of ``(x_j - centre_j)^2``.
        """
        X, weight = self.loss.X, self.loss.normalised_weight.astype(np.float64)
        if sp.issparse(X):
            mean = np.asarray(X.T @ weight, dtype=np.float64).ravel()
            second = np.asarray(X.multiply(X).T @ weight, dtype=np.float64).ravel()
        else:  # by blocks of rows: no float64 copy of X
            mean = np.zeros(X.shape[1])
            second = np.zeros(X.shape[1])
            for rows in self.loss.blocks:
                block = np.asarray(X[rows], dtype=np.float64)
                mean += weight[rows] @ block
                second += weight[rows] @ np.square(block)
        weight_total = float(weight.sum())
        if not self.loss.fit_intercept:
            return np.zeros_like(mean), second / weight_total
        mean /= weight_total
        return mean, np.maximum(second / weight_total - mean**2, 0.0)

    def min_norm_subgradient(self, w: NDArray, loss_grad: NDArray) -> NDArray:
        """The minimal-norm subgradient of ``F`` at ``w`` (flat, float64).

        ``loss_grad`` is the loss's gradient at ``w``; the intercepts are
        not penalised, so their part is ``loss_grad``'s.
        """
        n_coef = self.loss.n_coef
        coef_part = self.penalty.min_norm_subgradient(
            self._coef_block(w), loss_grad[:n_coef]
        )
        return np.concatenate([np.ravel(coef_part), loss_grad[n_coef:]])

    def optimality(self, w: NDArray, loss_grad: NDArray) -> float:
        """Largest absolute entry of the minimal-norm subgradient of ``F``.

        ``loss_grad`` is the loss's gradient at ``w``.  The measure is zero
        exactly at the optimum; for a smooth penalty it is ``max |grad F|``.
        """
        subgradient = self.min_norm_subgradient(w, loss_grad)
        return float(np.max(np.abs(subgradient), initial=0.0))

    def _add_penalty(self, w: NDArray, value: float, grad: NDArray):
        """The loss's value and gradient plus the penalty's (float64)."""
        grad = grad.astype(np.float64, copy=False)
        coef = self._coef_block(w)
        grad[: self.loss.n_coef] += self.penalty.gradient(coef)
        return value + self.penalty.value(coef), grad

    def value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """``F(w)`` and its gradient (float64)."""
        return self._add_penalty(w, *self.loss.value_and_grad(w))

    def hessp(self, w: NDArray, v: NDArray) -> NDArray:
        """Hessian-vector product ``H(w) v`` (float64)."""
        out = self.loss.hessp(w, v).astype(np.float64, copy=False)
        out[: self.loss.n_coef] += self.penalty.hessp(self._coef_block(v))
        return out

    def gradient_hessp(self, w: NDArray):
        """``F(w)``, its gradient, the Hessian diagonal and ``v -> H(w) v``.

        The Hessian-vector product reuses the probabilities computed for the
        gradient, so each call costs one pass over X (see
        :meth:`MultinomialLoss.gradient_hessp`).  Everything is float64.
        """
        value, grad, diagonal, loss_hessp = self.loss.gradient_hessp(w)
        value, grad = self._add_penalty(w, value, grad)
        diagonal = diagonal.astype(np.float64, copy=False)
        n_coef = self.loss.n_coef
        diagonal[:n_coef] += self.penalty.hessian_diagonal(self._coef_block(w))

        def hessp(v: NDArray) -> NDArray:
            out = loss_hessp(v).astype(np.float64, copy=False)
            out[:n_coef] += self.penalty.hessp(self._coef_block(v))
            return out

        return value, grad, diagonal, hessp

    def hessian_diagonal(self, w: NDArray) -> NDArray:
        """The diagonal of the Hessian of ``F`` at ``w`` (float64)."""
        diagonal = self.loss.hessian_diagonal(w).astype(np.float64, copy=False)
        coef = self._coef_block(w)
        diagonal[: self.loss.n_coef] += self.penalty.hessian_diagonal(coef)
        return diagonal

    def hessian(self, w: NDArray) -> tuple[float, NDArray, NDArray]:
        """``F(w)``, its gradient and its full Hessian matrix (float64)."""
        value, grad, hess = self.loss.hessian(w)
        diagonal = np.arange(self.loss.n_coef)
        hess[diagonal, diagonal] += self.penalty.hessian_diagonal(self._coef_block(w))
        return (*self._add_penalty(w, value, grad), hess)

    def shift_directions(self) -> NDArray:
        """Directions along which the softmax (hence the loss) is flat; see
        :meth:`MultinomialLoss.shift_directions`."""
        return self.loss.shift_directions()

    @property
    def dtype(self) -> np.dtype:
        """The data's dtype, which bounds the precision of ``F``."""
        return self.loss.dtype
