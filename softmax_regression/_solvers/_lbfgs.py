"""L-BFGS-B from scipy.optimize on the fused value-and-gradient kernel.

It runs in variables scaled by the Hessian diagonal at the start (see
:func:`_variable_scale`), so badly scaled features do not stall it.  Stops
when the largest absolute gradient entry falls to ``tol``, or when an
iteration no longer decreases the objective by more than a hundredth of a
unit in the last place of the data's dtype (``ftol = eps / 100``): in
practice only when the objective has stopped
changing at the precision it is evaluated in, the point being optimal to
working precision (float32 data reaches this floor long before a tight
``tol``).  Both count as converged.  When the line search finds no decrease
(scipy's "ABNORMAL"), the point counts as converged to working precision if
the decrease a diagonal Newton step predicts there, ``sum g_i^2 / H_ii``, is
below a few units in the last place of ``F`` (the rule of the Newton
solvers); otherwise, as when the iterations run out, it has not converged.

With bounds on the coefficients (the objective's ``box``), L-BFGS-B keeps
to them, and the gradient measured against ``tol`` is the projected one
(:meth:`Objective.projected_gradient`): at a bound, only its part pointing
into the box counts.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from ._result import IterationCallback, SolverResult, below_working_precision

#: What this solver needs of the objective (a smooth one).
NEEDS = frozenset({"value_and_grad", "hessian_diagonal"})
# scipy's status when the line search finds no decrease ("ABNORMAL: ").
_LINE_SEARCH_FAILED = 2
# Hessian diagonals within this factor of 1 are left unscaled.
_WELL_SCALED = 1e4


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
) -> SolverResult:
    """Minimise a smooth objective with L-BFGS-B.

    Parameters
    ----------
    objective : Objective
        Provides ``value_and_grad(w) -> (float, ndarray)``, ``hessian_diagonal`` and
        ``dtype``.
    w0 : ndarray
        Starting point (flat parameter vector).
    tol : float
        Stop when ``max |grad| <= tol``.
    max_iter : int
        Maximum number of L-BFGS iterations; 0 returns ``w0`` unchanged.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration.

    Returns
    -------
    SolverResult
    """
    w0 = np.asarray(w0, dtype=np.float64)
    last = {}

    def fun(w):
        value, grad = objective.value_and_grad(w)
        measure = objective.projected_gradient(w, grad)
        last.update(value=value, grad_max=float(np.max(np.abs(measure), initial=0.0)))
        return value, grad

    if max_iter == 0:
        value, _ = fun(w0)
        converged = last["grad_max"] <= tol
        return SolverResult(w0, value, 0, converged, "max_iter=0: no iteration run")

    scale = _variable_scale(objective, w0)

    def scaled_fun(v):
        value, grad = fun(scale * v)
        return value, scale * grad

    n_iter = 0

    def on_iteration(intermediate_result):
        nonlocal n_iter
        n_iter += 1
        if callback is not None:
            w = scale * intermediate_result.x
            callback(n_iter, w, last["value"], last["grad_max"])
        if last["grad_max"] <= tol:  # the last evaluation is the new iterate
            raise StopIteration

    eps = np.finfo(objective.dtype).eps
    box = objective.box
    result = scipy.optimize.minimize(
        scaled_fun,
        w0 / scale,
        method="L-BFGS-B",
        jac=True,
        bounds=None
        if box is None
        else scipy.optimize.Bounds(box.lower / scale, box.upper / scale),
        callback=on_iteration,
        options={
            "maxiter": max_iter,
            "maxfun": max(15_000, 4 * max_iter),
            # max |scale * g| <= tol * min(scale) implies max |g| <= tol;
            # the callback stops at max |g| <= tol itself
            "gtol": tol * float(np.min(scale)),
            "ftol": eps / 100,
        },
    )
    w, value, grad = scale * result.x, float(result.fun), result.jac / scale
    if box is not None:  # scale * (x / scale) may round off the bound
        w = box.project(w)
    grad = objective.projected_gradient(w, grad)
    grad_max = float(np.max(np.abs(grad), initial=0.0))
    converged = result.status in (0, 99) or grad_max <= tol
    message = str(result.message)
    if not converged and result.status == _LINE_SEARCH_FAILED:
        converged, message = _line_search_failure(objective, w, value, grad, grad_max)
    return SolverResult(w, value, int(result.nit), converged, message)


def _line_search_failure(objective, w, value, grad, grad_max) -> tuple[bool, str]:
    """Whether a failed line search means the objective can no longer
    resolve progress (converged to working precision), and what to say."""
    diagonal = objective.hessian_diagonal(w)
    curved = diagonal > 0
    decrease = float(np.sum(grad[curved] ** 2 / diagonal[curved]))
    if below_working_precision(decrease, value, objective.dtype):
        return True, (
            "converged to working precision: the line search found no decrease, "
            f"and the decrease still predicted ({decrease:.2e}) is below the "
            f"rounding error of the objective ({value:.10g} in "
            f"{np.dtype(objective.dtype).name})"
        )
    return False, (
        f"the line search found no decrease with max|grad| = {grad_max:.2e} "
        f"(a decrease of {decrease:.2e} is still predicted)"
    )


def _variable_scale(objective, w0: NDArray) -> NDArray:
    """``1 / sqrt(diag H(w0))``: in the variables ``v = w / scale`` every
    parameter starts with unit curvature.

    L-BFGS is not invariant to the scaling of the features: its first step
    has unit length and its Hessian model starts as a multiple of the
    identity, so features of scale 1e150 (curvature 1e300 next to the
    intercepts' 0.1) defeat its line search.  Parameters without curvature
    keep scale 1, and so do all when every curvature lies within
    ``_WELL_SCALED`` of 1 (standardised features), where rescaling would
    only perturb a path that works.
    """
    diagonal = objective.hessian_diagonal(w0)
    scale = np.ones_like(diagonal)
    curved = diagonal > 0
    if np.all(
        (diagonal[curved] >= 1 / _WELL_SCALED) & (diagonal[curved] <= _WELL_SCALED)
    ):
        return scale  # well scaled: L-BFGS as it is
    tiny = np.finfo(np.float64).tiny
    scale[curved] = 1.0 / np.sqrt(np.maximum(diagonal[curved], tiny))
    return scale
