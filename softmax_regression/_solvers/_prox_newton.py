"""Proximal Newton with the full Hessian, for non-smooth penalties and few
parameters.

Each outer step builds the loss's value, gradient ``g`` and full Hessian
``H`` in one pass over X (:meth:`MultinomialLoss.hessian`, as
``"newton-cholesky"``) and minimises the local model

    q(z) = g.(z - w) + (z - w).H.(z - w) / 2 + penalty(z)

by FISTA with restart on the model alone: its iterations cost a product
with the ``n_params``-square matrix ``H``, never a pass over X.  The inner
solver runs with a diagonal metric (each feature's largest Hessian
diagonal entry over the classes, so the group prox stays closed-form) and
the exact Lipschitz constant of the metric-scaled ``H`` (from its
eigenvalues, clamped at zero where rounding pushes them below); it stops once its
own optimality measure falls below a fraction of the outer one (an inexact
Newton forcing sequence, ``min(0.1, sqrt(measure)) * measure``).  A
backtracking line search on ``F`` along ``d = z - w`` accepts the first
``t`` with ``F(w + t d) <= F(w) + 1e-4 t D``, ``D = g.d + penalty(z) -
penalty(w) < 0``; near the optimum ``t = 1`` and convergence is fast
whatever the scaling of the features.

Stops, converged, when the largest entry of the minimal-norm subgradient of
``F`` is at most ``tol``, or at working precision: when the line search
finds no decrease while ``-D`` is below a few units in the last place of
``F`` in the data's dtype, or when ``_STALL_ITERATIONS`` steps in a row
bring neither a new low of the optimality measure nor a decrease of ``F``
beyond working precision (float32 data reaches this floor before a tight
``tol``).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from ._centring import Centring, positive_metric
from ._result import GRADIENT_RULE, IterationCallback, SolverResult

#: What this solver needs of the objective: the loss's full Hessian and a
#: proximal splitting, so it minimises every penalty.
NEEDS = frozenset({"loss_hessian", "prox", "optimality", "feature_moments"})

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = GRADIENT_RULE

_ARMIJO = 1e-4
_MAX_HALVINGS = 40
_MAX_INNER = 20_000
_STALL_ITERATIONS = 5  # outer steps without a new lowest optimality measure


def _model_metric(hess: NDArray, n_classes: int, n_features: int) -> NDArray:
    """Per parameter, its feature's largest Hessian diagonal over the
    classes (the intercepts likewise, as one more "feature")."""
    diagonal = np.diag(hess)
    n_coef = n_classes * n_features
    per_feature = diagonal[:n_coef].reshape(n_classes, n_features).max(axis=0)
    metric = np.empty_like(diagonal)
    metric[:n_coef] = np.tile(positive_metric(per_feature), n_classes)
    metric[n_coef:] = positive_metric(diagonal[n_coef:].max(initial=0.0))
    return metric


def _solve_model(objective, w, grad, hess, centring):
    """Approximately minimise the local model by FISTA with restart, in
    centred coordinates (``centring``: the matrices ``T`` and ``T^-1`` of
    :class:`._centring.Centring`; ``T^T H T`` is well conditioned where
    ``H`` is not, on uncentred features).

    Returns the model's minimiser ``z`` in the original coordinates.
    """
    forward, backward = centring
    layout = objective.layout
    grad = forward.T @ grad
    hess = forward.T @ hess @ forward
    w_original, w = w, backward @ w
    metric = _model_metric(hess, layout.n_classes, layout.n_features)
    scale = 1.0 / np.sqrt(metric)
    # The Hessian is positive semi-definite, singular along the shifts of
    # every class's coefficients; rounding (float32 data: about -1e-8) puts
    # eigenvalues below zero there, along which the model would fall
    # forever.  Clamping them to zero gives the nearest such matrix.
    eigenvalues, vectors = scipy.linalg.eigh(
        hess * np.outer(scale, scale), check_finite=False
    )
    eigenvalues = np.maximum(eigenvalues, 0.0)
    hess = (vectors * eigenvalues) @ vectors.T / np.outer(scale, scale)
    lipschitz = float(eigenvalues[-1])
    steps = 1.0 / (max(lipschitz, 1e-300) * metric)
    # The inner solve stops on its gradient mapping ``(y - prox(y - s g)) / s``
    # measured in the metric's units (``scale`` times it): relative to its
    # value at the start, so the criterion is the same whatever the features'
    # scale (an absolute one would count coefficients of features of scale
    # 1e-150 as solved from the start).
    mapping_units = scale / steps

    def mapping(point, point_next):
        return float(np.max(np.abs(mapping_units * (point - point_next)), initial=0))

    first = mapping(w, objective.prox(w - steps * grad, steps))
    target = min(0.1, np.sqrt(first)) * first
    z = w.copy()
    y, momentum = z, 1.0
    for _ in range(_MAX_INNER if first > 0 else 0):
        model_grad = grad + hess @ (y - w)
        z_new = objective.prox(y - steps * model_grad, steps)
        if mapping(y, z_new) <= target:
            z = z_new
            break
        move = z_new - z
        if float((metric * (y - z_new)) @ move) > 0:  # momentum uphill: restart
            momentum, y = 1.0, z
            continue
        new_momentum = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * momentum**2))
        y = z_new + ((momentum - 1.0) / new_momentum) * move
        momentum, z = new_momentum, z_new
    return w_original + forward @ (z - w)


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
) -> SolverResult:
    """Minimise loss + penalty by proximal Newton steps.

    Parameters
    ----------
    objective : Objective
        Provides ``loss_hessian``, ``loss_value``, ``penalty_value``,
        ``prox``, ``optimality`` and ``dtype``.
    w0 : ndarray
        Starting point.
    tol : float
        Stop when the largest absolute entry of the minimal-norm subgradient
        of ``F`` is at most ``tol``.
    max_iter : int
        Maximum number of outer (Newton) iterations.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration, with
        ``grad_max`` the optimality measure at ``w``.

    Returns
    -------
    SolverResult
    """
    w = np.array(w0, dtype=np.float64)
    precision = 4 * np.finfo(objective.dtype).eps

    def local_model(point):
        f, grad, hess = objective.loss_hessian(point)
        return f + objective.penalty_value(point), grad, hess

    centring = Centring(objective).matrices()
    shifts = objective.shift_directions()
    value, grad, hess = local_model(w)
    lowest, stalled, previous = np.inf, 0, np.inf
    for n_iter in range(max_iter + 1):
        measure = objective.optimality(w, grad)
        if n_iter > 0 and callback is not None:
            callback(n_iter, w, value, measure)
        if measure <= tol:
            return SolverResult(w, value, n_iter, True, "optimality measure below tol")
        # stalled: neither a new lowest measure nor a decrease of F beyond
        # working precision (a measure can rise while F falls: the start's
        # measure may be tiny for reasons of scale alone)
        progress = previous - value > precision * max(abs(value), 1.0)
        stalled = 0 if measure < lowest or progress else stalled + 1
        lowest, previous = min(lowest, measure), value
        if stalled >= _STALL_ITERATIONS:
            return SolverResult(
                w, value, n_iter, True, "measure stalled at working precision"
            )
        if n_iter == max_iter:
            break
        # the loss is flat along the shifts, its gradient orthogonal to them
        # but for rounding, which the model (without curvature along the
        # intercepts' shift) would follow forever
        model_grad = grad - shifts @ (shifts.T @ grad)
        direction = _solve_model(objective, w, model_grad, hess, centring) - w
        decrease = (
            float(grad @ direction)
            + objective.penalty_value(w + direction)
            - objective.penalty_value(w)
        )
        at_precision = not -decrease > precision * max(abs(value), 1.0)
        t = 1.0
        for _ in range(_MAX_HALVINGS if decrease < 0 else 0):
            trial = w + t * direction
            trial_value = objective.loss_value(trial) + objective.penalty_value(trial)
            if trial_value <= value + _ARMIJO * t * decrease:
                break
            t *= 0.5
        else:
            if at_precision:
                return SolverResult(
                    w, value, n_iter, True, "no decrease left at working precision"
                )
            return SolverResult(
                w, value, n_iter, False, "line search found no decrease"
            )
        w = trial
        value, grad, hess = local_model(w)
    return SolverResult(w, value, max_iter, False, "maximum number of iterations")
