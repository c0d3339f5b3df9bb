"""L-BFGS-B from scipy.optimize on the fused value-and-gradient kernel.

Stops when the largest absolute gradient entry falls to ``tol`` (scipy's
``gtol``), or when an iteration no longer decreases the objective by more
than a hundredth of a unit in the last place of the data's dtype
(``ftol = eps / 100``): in practice only when the objective has stopped
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

SUPPORTED_PENALTIES = frozenset({"l2"})


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
        Provides ``value_and_grad(w) -> (float, ndarray)`` and ``loss.dtype``.
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

    n_iter = 0

    def on_iteration(intermediate_result):
        nonlocal n_iter
        n_iter += 1
        if callback is not None:
            callback(n_iter, intermediate_result.x, last["value"], last["grad_max"])

    eps = np.finfo(objective.loss.dtype).eps
    result = scipy.optimize.minimize(
        fun,
        w0,
        method="L-BFGS-B",
        jac=True,
        callback=on_iteration,
        options={
            "maxiter": max_iter,
            "maxfun": max(15_000, 4 * max_iter),
            "gtol": tol,
            "ftol": eps / 100,
        },
    )
    converged = result.status == 0 or float(np.max(np.abs(result.jac))) <= tol
    message = result.message if isinstance(result.message, str) else str(result.message)
    return SolverResult(
        result.x, float(result.fun), int(result.nit), converged, message
    )
