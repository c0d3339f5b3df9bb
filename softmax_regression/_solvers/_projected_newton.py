"""Projected Newton (Bertsekas 1982) for bounded coefficients, few parameters.

What ``solver="newton-cholesky"`` runs when the objective has a box: the
full Hessian from one pass over X, as without bounds, and at each step

* the *active* set: coefficients within ``eps`` of a bound whose gradient
  pushes out of the box (``eps = min(1e-3, ||w - P(w - g)||)``, which
  shrinks to zero at the optimum, so the set settles on the binding
  bounds);
* a Newton step on the free parameters (the pseudo-inverse of their block
  of the Hessian, which is singular along the softmax's shifts at
  ``alpha=0``) and a diagonally scaled gradient step on the active ones;
* an Armijo search along the projection arc ``P(w + t d)``:
  ``F(P(w + t d)) <= F(w) + 1e-4 g . (P(w + t d) - w)``.

It stops when the projected gradient (:meth:`Objective.projected_gradient`)
falls to ``tol``, or when the decrease a step predicts is below the working
precision of ``F``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from .._loss import eigenvalue_resolution
from ._result import IterationCallback, SolverResult, below_working_precision

_ARMIJO = 1e-4
_MAX_HALVINGS = 40
_MAX_ACTIVE_MARGIN = 1e-3


def _free_step(hess: NDArray, grad: NDArray) -> NDArray:
    """``-H^+ g``: the minimum-norm Newton step of a positive semi-definite
    block, taken in the coordinates that give ``H`` a unit diagonal.

    There the eigenvalues at or below the decomposition's resolution are
    the flat directions' rounding, and count as zero.  Unscaled, the
    features' scales spread them instead: on Ecdat's HI survey (a feature
    of scale 2e5 beside indicators that sum to the constant) the penalty's
    curvature along the indicators' collinear directions lay at 6e-15 to
    9e-15 of the largest eigenvalue, below even the resolution; a cut at
    1e-12 of it dropped them, and a fit with bounds that bind nothing
    stopped at an objective 2e-4 above the unbounded one.
    """
    diagonal = np.diag(hess)
    scale = np.where(diagonal > 0, 1.0 / np.sqrt(np.maximum(diagonal, 1e-300)), 1.0)
    scaled = hess * scale[:, None] * scale[None, :]
    eigenvalues, vectors = scipy.linalg.eigh(scaled, check_finite=False)
    cutoff = eigenvalue_resolution(eigenvalues)
    inverse = np.where(eigenvalues > cutoff, 1.0 / np.maximum(eigenvalues, 1e-300), 0)
    return -scale * ((vectors * inverse) @ (vectors.T @ (scale * grad)))


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
) -> SolverResult:
    """Minimise a smooth objective within its box by projected Newton steps.

    Parameters
    ----------
    objective : Objective
        Provides ``hessian``, ``value``, ``box``, ``project``,
        ``projected_gradient`` and ``dtype``.
    w0 : ndarray
        Starting point (projected onto the box).
    tol : float
        Stop when the largest projected-gradient entry is at most ``tol``.
    max_iter : int
        Maximum number of Newton iterations.
    callback : callable, default=None
        ``callback(n_iter, w, value, measure)`` after every iteration.

    Returns
    -------
    SolverResult
    """
    box = objective.box
    w = objective.project(np.array(w0, dtype=np.float64))
    value, grad, hess = objective.hessian(w)
    for n_iter in range(max_iter + 1):
        measure = float(
            np.max(np.abs(objective.projected_gradient(w, grad)), initial=0.0)
        )
        if n_iter > 0 and callback is not None:
            callback(n_iter, w, value, measure)
        if measure <= tol:
            return SolverResult(w, value, n_iter, True, "projected gradient below tol")
        if n_iter == max_iter:
            break
        margin = min(
            _MAX_ACTIVE_MARGIN, float(np.linalg.norm(w - box.project(w - grad)))
        )
        active = ((w <= box.lower + margin) & (grad > 0)) | (
            (w >= box.upper - margin) & (grad < 0)
        )
        free = ~active
        step = np.zeros_like(w)
        step[free] = _free_step(hess[np.ix_(free, free)], grad[free])
        diagonal = np.maximum(np.diag(hess)[active], np.finfo(np.float64).tiny)
        step[active] = -grad[active] / diagonal
        full = objective.project(w + step)
        if below_working_precision(-float(grad @ (full - w)), value, objective.dtype):
            return SolverResult(
                w, value, n_iter, True, "predicted decrease below working precision"
            )
        t = 1.0
        for _ in range(_MAX_HALVINGS):
            trial = objective.project(w + t * step)
            slope = float(grad @ (trial - w))
            trial_value = objective.value(trial)
            if slope < 0 and trial_value <= value + _ARMIJO * slope:
                break
            t *= 0.5
        else:
            return SolverResult(
                w, value, n_iter, False, "line search found no decrease"
            )
        w = trial
        value, grad, hess = objective.hessian(w)
    return SolverResult(w, value, max_iter, False, "maximum number of iterations")
