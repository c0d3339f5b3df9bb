"""Loss and penalty bound together: the one object a solver sees.

A solver reads nothing else: not the loss, not the data.  What an
objective can compute depends on its loss (in memory or on Dask) and on
whether its penalty is smooth; :func:`objective_offers` names it, by method,
and each solver declares the methods it needs (``NEEDS`` in its module,
checked once by :func:`~softmax_regression._solvers.resolve_solver`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import blas

from ._box import Box
from ._loss import SUMMARIES, HessianProduct, WorkingOrder, order_maps
from ._penalty import Penalty

#: F's own derivatives: an objective offers them only for a smooth penalty.
SMOOTH_METHODS = frozenset(
    {"value_and_grad", "hessp", "gradient_hessp", "hessian_diagonal", "hessian"}
)
#: A proximal splitting (loss value and gradient, penalty prox): any penalty.
PROXIMAL_METHODS = frozenset({"loss_value_and_grad", "prox", "optimality"})


def objective_offers(
    loss_offers: frozenset[str], smooth: bool, bounded: bool = False
) -> frozenset[str]:
    """The methods an :class:`Objective` offers a solver.

    Parameters
    ----------
    loss_offers : frozenset of str
        What the loss computes (its class attribute ``OFFERS``).
    smooth : bool
        Whether the penalty is differentiable.
    bounded : bool, default=False
        Whether the coefficients are bounded (a :class:`~._box.Box`).

    Returns
    -------
    frozenset of str
        ``value`` and the proximal methods always; F's derivatives
        (:data:`SMOOTH_METHODS`) for a smooth penalty; ``loss_hessian``
        when the loss has a full Hessian; the summaries of the rows
        (``SUMMARIES``: ``feature_moments``, ``feature_gram``,
        ``value_range``), ``take`` and ``separates`` as
        the loss offers them; ``"unconstrained"``
        (what a solver that cannot keep to bounds needs) without bounds.
    """
    offers = {"value", *PROXIMAL_METHODS}
    if not bounded:
        offers.add("unconstrained")
    if smooth:
        offers |= loss_offers & SMOOTH_METHODS
    if "hessian" in loss_offers:
        offers.add("loss_hessian")
    offers |= loss_offers & (SUMMARIES | {"take", "separates"})
    return frozenset(offers)


class Objective:
    """``F(w) = loss(w) + penalty(W)`` on the flat parameter vector.

    The penalty acts on the coefficient block ``w[:K * d]`` only, never on
    the intercepts (see :class:`~softmax_regression._loss.ParameterLayout`
    for the layout).  Values and gradients are returned in float64, the
    dtype solvers work in, whatever the data's dtype.

    Smooth solvers use ``value_and_grad``, ``hessp``, ``gradient_hessp``,
    ``hessian_diagonal`` and ``hessian``, which add the penalty's smooth
    (L2) part: they are the objective's derivatives only when the penalty
    is ``smooth``.  Proximal solvers split ``F`` into the loss
    (``loss_value_and_grad``, ``loss_hessian``) and the whole penalty
    (``penalty_value``, ``prox``), and stop on ``optimality``.

    Parameters
    ----------
    loss : MultinomialLoss or DaskMultinomialLoss
        The data term: any object with the loss methods it lists in its
        ``OFFERS`` and a ``layout``, ``dtype``, ``n_samples`` and
        ``weight_sum``.
    penalty : Penalty
        The regulariser on ``W`` (see :mod:`softmax_regression._penalty`).
    box : Box, default=None
        Bounds on the coefficients (see :mod:`softmax_regression._box`):
        ``prox`` then projects onto it, ``min_norm_subgradient`` and
        ``projected_gradient`` measure optimality on it, and solvers that
        cannot keep to it (they need ``"unconstrained"``) are refused.
    """

    def __init__(self, loss, penalty: Penalty, box: Box | None = None) -> None:
        self.loss = loss
        self.penalty = penalty
        self.box = box
        self.layout = loss.layout

    @property
    def offers(self) -> frozenset[str]:
        """The methods this objective can compute (see
        :func:`objective_offers`)."""
        return objective_offers(
            self.loss.OFFERS, self.penalty.smooth, self.box is not None
        )

    def take(self, rows, dtype=None) -> Objective:
        """The objective of a subset of the rows (a mini-batch): the loss's
        weighted mean over those rows (copied in ``dtype``, X's by default)
        plus the full penalty."""
        return Objective(self.loss.take(rows, dtype), self.penalty, self.box)

    def project(self, w: NDArray) -> NDArray:
        """The nearest point of the box (``w`` itself without bounds)."""
        return w if self.box is None else self.box.project(w)

    def projected_gradient(self, w: NDArray, grad: NDArray) -> NDArray:
        """Of a smooth ``F`` with gradient ``grad`` at ``w``: ``grad``, less
        the entries of coefficients at a bound that point out of the box;
        zero exactly at the constrained optimum."""
        if self.box is None:
            return grad
        return self.box.min_norm(w, grad, grad)

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return self.layout.n_params

    @property
    def n_samples(self) -> int:
        """Number of rows of the data."""
        return self.loss.n_samples

    @property
    def weight_sum(self) -> float:
        """Total sample weight of the rows."""
        return self.loss.weight_sum

    @property
    def dtype(self) -> np.dtype:
        """The data's dtype, which bounds the precision of ``F``."""
        return self.loss.dtype

    @property
    def sparse(self) -> bool:
        """Whether X is a sparse matrix (never on Dask)."""
        return bool(getattr(self.loss, "sparse", False))

    @property
    def penalty_name(self) -> str:
        """Name of the penalty."""
        return self.penalty.name

    @property
    def smooth(self) -> bool:
        """Whether ``F`` is differentiable (the penalty is plain L2)."""
        return self.penalty.smooth

    def _coef_block(self, w: NDArray) -> NDArray:
        return w[: self.layout.n_coef]

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

    def loss_hessian(self, w: NDArray) -> tuple[float, NDArray, NDArray]:
        """The loss, its gradient and its full Hessian (float64), without
        the penalty."""
        value, grad, hess = self.loss.hessian(w)
        return (
            value,
            np.asarray(grad, dtype=np.float64),
            np.asarray(hess, dtype=np.float64),
        )

    def penalty_value(self, w: NDArray) -> float:
        """The penalty of ``w``'s coefficient block."""
        return self.penalty.value(self._coef_block(w))

    def prox(self, w: NDArray, step) -> NDArray:
        """Proximal operator of ``step * penalty`` on the coefficients; the
        identity on the (unpenalised) intercepts.  ``step`` is a float or
        one step per parameter (a diagonal metric, equal over the classes
        of a feature)."""
        out = np.array(w, dtype=np.float64)
        n_coef = self.layout.n_coef
        coef_step = step[:n_coef] if np.ndim(step) else step
        out[:n_coef] = self.penalty.prox(out[:n_coef], coef_step)
        return self.project(out)

    def feature_moments(self) -> tuple[NDArray, NDArray]:
        """Each feature's weighted centre and spread, for preconditioning
        (see :meth:`MultinomialLoss.feature_moments`)."""
        return self.loss.feature_moments()

    def feature_gram(self, rows=None) -> NDArray:
        """The weighted mean of ``x~ x~^T``, ``x~ = (x, 1)`` with intercepts,
        over ``rows`` (all by default; see
        :meth:`MultinomialLoss.feature_gram`)."""
        return self.loss.feature_gram(rows)

    def value_range(self, rows=None) -> tuple[float, float]:
        """The smallest nonzero and the largest ``|x|`` of the data, or of
        its ``rows`` (see :meth:`MultinomialLoss.value_range`)."""
        return self.loss.value_range(rows)

    def penalty_hessian_diagonal(self) -> NDArray:
        """The smooth penalty's Hessian diagonal on the coefficient block
        (flat, ``K * d``; it does not depend on ``w``)."""
        return self.penalty.hessian_diagonal(np.zeros(self.layout.n_coef))

    def separates(self, w: NDArray) -> bool:
        """Whether the model ``w`` separates the training data (see
        :meth:`MultinomialLoss.separates`)."""
        return self.loss.separates(w)

    def min_norm_subgradient(self, w: NDArray, loss_grad: NDArray) -> NDArray:
        """The minimal-norm subgradient of ``F`` at ``w`` (flat, float64).

        ``loss_grad`` is the loss's gradient at ``w``; the intercepts are
        not penalised, so their part is ``loss_grad``'s.  With a box, the
        minimal-norm element of the subdifferential plus its normal cone.
        """
        n_coef = self.layout.n_coef
        if self.box is not None:
            low, high = self.penalty.subgradient_interval(
                self._coef_block(w), loss_grad[:n_coef]
            )
            low = np.concatenate([np.ravel(low), loss_grad[n_coef:]])
            high = np.concatenate([np.ravel(high), loss_grad[n_coef:]])
            return self.box.min_norm(w, low, high)
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
        coef_grad = grad[: self.layout.n_coef]
        uniform = self.penalty.uniform_curvature
        if uniform is not None:
            # a plain ridge: one axpy (no temporary of the coefficients' size)
            _axpy_into(coef, coef_grad, uniform)
        else:
            coef_grad += self.penalty.gradient(coef)
        return value + self.penalty.value(coef), grad

    def value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """``F(w)`` and its gradient (float64)."""
        return self._add_penalty(w, *self.loss.value_and_grad(w))

    def hessp(self, w: NDArray, v: NDArray) -> NDArray:
        """Hessian-vector product ``H(w) v`` (float64)."""
        out = self.loss.hessp(w, v).astype(np.float64, copy=False)
        out[: self.layout.n_coef] += self.penalty.hessp(self._coef_block(v))
        return out

    def order_maps(self):
        """``(to_order, from_order)``: a flat vector into the loss's working
        order and back (see :func:`~._loss.order_maps`), where a smooth
        solver can run in that order (``gradient_hessp(u, ordered=True)``):
        sparse X, no box, and a plain ridge, whose value, gradient and
        curvature do not depend on the order of the coefficients.  None
        elsewhere."""
        if self.box is not None or not self.sparse:
            return None
        if not self.penalty.smooth or self.penalty.uniform_curvature is None:
            return None
        return order_maps(self.loss)

    def gradient_hessp(self, w: NDArray, ordered: bool = False, diagonal: bool = True):
        """``F(w)``, its gradient, the Hessian diagonal and ``v -> H(w) v``.

        The Hessian-vector product reuses the probabilities computed for the
        gradient, so each call costs one pass over X (see
        :meth:`MultinomialLoss.gradient_hessp`), and offers their class
        covariance (``hessp.class_covariance``, None on Dask).  Everything
        is float64.  With ``ordered`` every vector is in the loss's working
        order (only where :meth:`order_maps` offers one).  Without
        ``diagonal`` (a solver that preconditions otherwise) the diagonal
        is None and the loss skips it.
        """
        value, grad, loss_diagonal, loss_hessp = self.loss.gradient_hessp(
            w, ordered=ordered, diagonal=diagonal
        )
        value, grad = self._add_penalty(w, value, grad)
        n_coef = self.layout.n_coef
        hessian_diagonal = None
        if diagonal:
            hessian_diagonal = loss_diagonal.astype(np.float64, copy=False)
            curvature = self.penalty.uniform_curvature
            if curvature is None:
                curvature = self.penalty.hessian_diagonal(self._coef_block(w))
            hessian_diagonal[:n_coef] += curvature

        def hessp(v: NDArray) -> NDArray:
            out = loss_hessp(v).astype(np.float64, copy=False)
            out[:n_coef] += self.penalty.hessp(self._coef_block(v))
            return out

        # the penalty's curvature is diagonal: the class factor is the loss's
        covariance = getattr(loss_hessp, "class_covariance", None)
        working = getattr(loss_hessp, "working", None)
        if working is not None:
            working = self._with_penalty(working)
        return value, grad, hessian_diagonal, HessianProduct(hessp, covariance, working)

    def _with_penalty(self, working: WorkingOrder) -> WorkingOrder:
        """The loss's working-order product plus the penalty's (diagonal)
        curvature, in that order: one ``axpy`` for a plain ridge (the same
        curvature on every coefficient, so no order to convert), else the
        curvature converted into the order once per Newton step."""
        n_coef = self.layout.n_coef
        uniform = self.penalty.uniform_curvature
        # per dtype of the vectors: the curvature in the order, and scratch
        curvature: dict[np.dtype, tuple[NDArray, NDArray]] = {}

        def product(u: NDArray, out: NDArray) -> NDArray:
            working.product(u, out)
            if uniform is None:
                if u.dtype not in curvature:
                    flat = np.zeros(self.n_params)
                    flat[:n_coef] = self.penalty_hessian_diagonal()
                    ordered = working.to_order(flat, u.dtype)
                    curvature[u.dtype] = ordered, np.empty_like(ordered)
                ordered, scratch = curvature[u.dtype]
                out += np.multiply(ordered, u, out=scratch)
                return out
            _axpy_into(u[:n_coef], out[:n_coef], uniform)
            return out

        return WorkingOrder(
            product, working.to_order, working.from_order, working.dtype
        )

    def hessian_diagonal(self, w: NDArray) -> NDArray:
        """The diagonal of the Hessian of ``F`` at ``w`` (float64)."""
        diagonal = self.loss.hessian_diagonal(w).astype(np.float64, copy=False)
        coef = self._coef_block(w)
        diagonal[: self.layout.n_coef] += self.penalty.hessian_diagonal(coef)
        return diagonal

    def hessian(
        self, w: NDArray, products_dtype=None
    ) -> tuple[float, NDArray, NDArray]:
        """``F(w)``, its gradient and its full Hessian matrix (float64), the
        loss's in ``products_dtype`` (see :meth:`MultinomialLoss.hessian`)."""
        value, grad, hess = self.loss.hessian(w, products_dtype)
        diagonal = np.arange(self.layout.n_coef)
        hess[diagonal, diagonal] += self.penalty.hessian_diagonal(self._coef_block(w))
        return (*self._add_penalty(w, value, grad), hess)

    def shift_directions(self) -> NDArray:
        """Directions along which the softmax (hence the loss) is flat; see
        :meth:`ParameterLayout.shift_directions`."""
        return self.layout.shift_directions()


def _axpy_into(x: NDArray, y: NDArray, a: float) -> None:
    """``y += a * x`` in place, in one BLAS pass (``y``'s dtype)."""
    axpy = blas.get_blas_funcs("axpy", (y,))
    updated = axpy(x.astype(y.dtype, copy=False), y, a=a)
    if updated is not y:  # BLAS worked on a copy
        y[...] = updated
