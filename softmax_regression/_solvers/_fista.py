"""FISTA: accelerated proximal gradient with backtracking and restart.

Minimises ``F = f + g`` with ``f`` the (smooth) loss and ``g`` the whole
penalty, reached only through its proximal operator (soft-thresholding for
the L1 norm, block soft-thresholding for groups, with the L2 shrinkage
folded in; the identity on the intercepts).  It runs in centred
coordinates (:mod:`._centring`) with a diagonal metric from the features'
spread (see ``_PreconditionedView``), so unscaled, uncentred features cost it little
more than standardised ones.  Each iteration:

* from the extrapolated point ``y``, the proximal gradient step
  ``x+ = prox_{g/L}(y - grad f(y) / L)``;
* backtracking on the Lipschitz estimate ``L``: doubled until
  ``f(x+) <= f(y) + grad f(y).(x+ - y) + L/2 ||x+ - y||^2``; before each
  iteration ``L`` is lowered by a factor, so the step grows again where the
  loss is flatter.  Near the optimum both sides agree to the last few
  units in the last place of ``f`` and the test says nothing; then the
  gradient at ``x+`` decides instead, by the curvature test
  ``(grad f(x+) - grad f(y)).(x+ - y) <= L ||x+ - y||^2`` (as in TFOCS),
  which gradients resolve far below the precision of ``f``;
* momentum with the step-size-aware update of Scheinberg, Goldfarb and Bai
  (2014), ``t+ = (1 + sqrt(1 + 4 (L+/L) t^2)) / 2``, reset (adaptive
  restart of O'Donoghue and Candes, 2015) whenever the gradient mapping
  ``L (y - x+)`` makes an acute angle with the last move ``x+ - x``: the
  momentum then points uphill.

Stopping: the largest entry of the gradient mapping is cheap (it needs no
gradient at ``x+``); when it falls to ``tol``, or when the gradient at
``x+`` is at hand anyway, the exact measure decides: the largest entry of
the minimal-norm subgradient of ``F`` (the measure every solver stops on).
When for ``_STALL_ITERATIONS`` iterations neither the objective has
decreased by more than a few units in the last place of the data's dtype
nor the exact measure reached a new low, the iterate is optimal to working
precision (float32 data reaches this floor before a tight ``tol``): the run
stops, converged, at the point with the lowest measure seen (lowest in the
metric's units, so that features of scale 1e-20 do not make the starting
point look best).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._centring import Centring, positive_metric
from ._result import GRADIENT_RULE, IterationCallback, SolverResult

#: What this solver needs of the objective (see ``_objective.objective_offers``):
#: a proximal splitting, so it minimises every penalty.
NEEDS = frozenset({"loss_value_and_grad", "prox", "optimality", "feature_moments"})

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = GRADIENT_RULE

_GROW = 2.0  # factor on L when the quadratic bound fails
_RELAX = 0.8  # factor on L before each iteration, to let the step grow back
_STALL_ITERATIONS = 50
_MAX_BACKTRACKS = 60


class _PreconditionedView:
    """The objective in centred coordinates (see :mod:`._centring`), with a
    diagonal metric.

    The metric weighs each coefficient by its feature's weighted spread
    (the diagonal of the Gauss-Newton bound of the Hessian, up to the class
    factor), the intercepts by 1, so badly scaled features take steps of
    their own size; it is equal over the classes of a feature, as the group
    prox requires.  Standardised data gives the identity in both.
    """

    def __init__(self, objective) -> None:
        self.objective = objective
        self.centring = Centring(objective)
        spread = positive_metric(self.centring.spread)
        self.metric = np.ones(objective.n_params)
        layout = objective.layout
        self.metric[: layout.n_coef] = np.tile(spread, layout.n_classes)
        self.to_original = self.centring.to_original
        self.from_original = self.centring.from_original

    def loss_value(self, u: NDArray) -> float:
        return self.objective.loss_value(self.to_original(u))

    def loss_value_and_grad(self, u: NDArray) -> tuple[float, NDArray]:
        value, grad = self.objective.loss_value_and_grad(self.to_original(u))
        return value, self.centring.gradient_to_centred(grad)

    def penalty_value(self, u: NDArray) -> float:
        return self.objective.penalty_value(u)

    def prox(self, u: NDArray, step: NDArray) -> NDArray:
        return self.objective.prox(u, step)

    def optimality(self, u: NDArray, grad: NDArray) -> tuple[float, float]:
        """The measure of :meth:`Objective.optimality` at the original point,
        and the same subgradient's largest entry in the metric's units
        (``|s_i| / sqrt(M_i)``), which compares points whatever the scale
        of the features: in the plain measure the coefficients' entries
        shrink with the features, the intercepts' do not."""
        subgradient = self.objective.min_norm_subgradient(
            self.to_original(u), self.centring.gradient_to_original(grad)
        )
        return (
            float(np.max(np.abs(subgradient), initial=0.0)),
            float(np.max(np.abs(subgradient) / np.sqrt(self.metric), initial=0.0)),
        )


def _initial_lipschitz(view: _PreconditionedView, u: NDArray, grad: NDArray):
    """The loss's curvature along a small (metric) gradient step, relative to
    the metric."""
    direction = -grad / view.metric
    norm = float(np.sqrt(direction @ (view.metric * direction)))
    if norm == 0:
        return 1.0
    h = direction * (1e-3 / norm)
    _, grad_h = view.loss_value_and_grad(u + h)
    estimate = float(h @ (grad_h - grad)) / 1e-6
    return estimate if estimate > 0 else 1.0


def _proximal_step(view, y, f_y, grad_y, lipschitz, precision):
    """The backtracked proximal gradient step from ``y``.

    Returns ``(x+, f(x+), grad f(x+) or None, L)``.
    """
    slack = precision * max(abs(f_y), 1.0)
    metric = view.metric
    for _ in range(_MAX_BACKTRACKS):
        steps = 1.0 / (lipschitz * metric)
        x_new = view.prox(y - steps * grad_y, steps)
        step = x_new - y
        f_new = view.loss_value(x_new)
        squared = float(step @ (metric * step))
        excess = f_new - (f_y + grad_y @ step + 0.5 * lipschitz * squared)
        if excess <= -slack:
            return x_new, f_new, None, lipschitz
        if excess <= slack:  # below the precision of f: ask the gradient
            f_new, grad_new = view.loss_value_and_grad(x_new)
            if float(step @ (grad_new - grad_y)) <= lipschitz * squared:
                return x_new, f_new, grad_new, lipschitz
        lipschitz *= _GROW
    return None, None, None, lipschitz


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
) -> SolverResult:
    """Minimise loss + penalty by FISTA with backtracking and restart.

    Parameters
    ----------
    objective : Objective
        Provides ``loss_value``, ``loss_value_and_grad``, ``penalty_value``,
        ``prox``, ``optimality``, ``feature_moments`` and ``dtype``.
    w0 : ndarray
        Starting point (flat parameter vector).
    tol : float
        Stop when the largest absolute entry of the minimal-norm subgradient
        of ``F`` is at most ``tol``.
    max_iter : int
        Maximum number of (proximal gradient) iterations; 0 returns ``w0``.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration, with
        ``grad_max`` the largest entry of the gradient mapping
        ``L M (y - w)`` (``M`` the metric).

    Returns
    -------
    SolverResult
    """
    view = _PreconditionedView(objective)
    x = view.from_original(w0)
    f_x, grad_x = view.loss_value_and_grad(x)
    value_x = f_x + view.penalty_value(x)
    measure, lowest = view.optimality(x, grad_x)

    def result(u, value, n_iter, converged, message):
        return SolverResult(view.to_original(u), value, n_iter, converged, message)

    if measure <= tol:
        return result(x, value_x, 0, True, "optimality measure below tol")
    if max_iter == 0:
        return result(x, value_x, 0, False, "max_iter=0: no iteration run")
    precision = 4 * np.finfo(objective.dtype).eps
    lipschitz = _initial_lipschitz(view, x, grad_x)
    y, f_y, grad_y = x, f_x, grad_x
    momentum = 1.0
    best_value, stalled = value_x, 0
    x_lowest, value_lowest = x, value_x
    for n_iter in range(1, max_iter + 1):
        previous_lipschitz = lipschitz
        x_new, f_new, grad_new, lipschitz = _proximal_step(
            view, y, f_y, grad_y, lipschitz * _RELAX, precision
        )
        if x_new is None:
            return result(x, value_x, n_iter - 1, False, "backtracking found no step")
        step = x_new - y
        value_new = f_new + view.penalty_value(x_new)
        mapping = lipschitz * view.metric * step
        mapping_max = float(np.max(np.abs(mapping), initial=0.0))
        if callback is not None:
            callback(n_iter, view.to_original(x_new), value_new, mapping_max)

        progress = value_new < best_value - precision * max(abs(best_value), 1.0)
        best_value = min(best_value, value_new)
        if grad_new is None and mapping_max <= tol:
            f_new, grad_new = view.loss_value_and_grad(x_new)
        if grad_new is not None:
            measure, scaled = view.optimality(x_new, grad_new)
            if measure <= tol:
                return result(
                    x_new, value_new, n_iter, True, "optimality measure below tol"
                )
            if scaled < lowest:
                lowest, x_lowest, value_lowest = scaled, x_new, value_new
                progress = True
        stalled = 0 if progress else stalled + 1
        if stalled >= _STALL_ITERATIONS:
            return result(
                x_lowest,
                value_lowest,
                n_iter,
                True,
                "objective stalled at working precision",
            )

        move = x_new - x
        if float(mapping @ move) < 0:  # the gradient mapping points along move
            momentum = 1.0
        new_momentum = 0.5 * (
            1.0 + np.sqrt(1.0 + 4.0 * (lipschitz / previous_lipschitz) * momentum**2)
        )
        beta = (momentum - 1.0) / new_momentum
        momentum = new_momentum
        x, value_x = x_new, value_new
        if beta == 0.0:
            y = x
            f_y, grad_y = (
                (f_new, grad_new)
                if grad_new is not None
                else view.loss_value_and_grad(y)
            )
        else:
            y = x + beta * move
            f_y, grad_y = view.loss_value_and_grad(y)
    return result(x, value_x, max_iter, False, "maximum number of iterations")
