"""L-BFGS-B from scipy.optimize on the fused value-and-gradient kernel.

It runs in variables scaled by the Hessian diagonal at the start (see
:func:`_variable_scale`), so badly scaled features do not stall it.  Stops
when the largest absolute gradient entry falls to ``tol``, or when an
iteration no longer decreases the objective by more than a hundredth of a
unit in the last place of the data's dtype (``ftol = eps / 100``): in
practice only when the objective has stopped
changing at the precision it is evaluated in, the point being optimal to
working precision (float32 data reaches this floor long before a tight
``tol``).  Both count as converged; running out of iterations, or a line
search that finds no decrease while the gradient is still above ``tol``,
does not.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from ._result import IterationCallback, SolverResult

#: What this solver needs of the objective (a smooth one).
NEEDS = frozenset({"value_and_grad", "hessian_diagonal"})
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
        last.update(value=value, grad_max=float(np.max(np.abs(grad), initial=0.0)))
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
    result = scipy.optimize.minimize(
        scaled_fun,
        w0 / scale,
        method="L-BFGS-B",
        jac=True,
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
    grad_max = float(np.max(np.abs(result.jac / scale), initial=0.0))
    converged = result.status in (0, 99) or grad_max <= tol
    message = result.message if isinstance(result.message, str) else str(result.message)
    return SolverResult(
        scale * result.x, float(result.fun), int(result.nit), converged, message
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
