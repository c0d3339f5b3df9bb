"""Newton's method with the full Hessian, factored by Cholesky.

For problems with few parameters (``K (d + 1)`` up to a few thousand): one
pass over X builds the loss, gradient and the whole Hessian; the step
solves ``H p = -g`` exactly, so convergence is quadratic whatever the
scaling of the features.  Once the iterates are close, the Hessian changes
little: its Cholesky factor is reused as long as every step shrinks the
gradient norm at least fourfold and the last step's ``-g . p`` (twice the
decrease it predicts) is below ``1e-4 |F|`` (near the optimum: reused
earlier, a factor from far away took 17 steps to a 1e-8 gap on the raw
diamonds data, against 8), so most late steps cost one gradient pass and
two triangular solves instead of a new Hessian.

The softmax is flat along the directions that shift every class's
coefficient of a feature (or intercept) equally, which makes ``H`` singular
there; the gradient is orthogonal to them, so adding ``U C U^T`` (``U``
those directions, ``C`` each one's curvature scale) changes nothing but
makes the system positive definite, and the step comes out orthogonal to
them.

With bounds on the coefficients (the objective's ``box``) it runs projected
Newton instead (:mod:`._projected_newton`).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from . import _projected_newton
from ._newton import run_newton
from ._result import DECREMENT_RULE, IterationCallback, SolverResult

#: What this solver needs of the objective (a smooth one with a full Hessian).
NEEDS = frozenset({"value_and_grad", "hessian"})

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = DECREMENT_RULE

# A factorised Hessian is reused while each step shrinks the gradient norm at
# least this much and the last step's -grad . step is below this
# share of |F|; otherwise the step builds a fresh Hessian.
_REUSE_CONTRACTION = 0.25
_REUSE_DECREMENT = 1e-4


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
) -> SolverResult:
    """Minimise a smooth objective by damped Newton with Cholesky steps.

    Parameters
    ----------
    objective : Objective
        Provides ``hessian``, ``value``, ``shift_directions`` and ``dtype``.
    w0 : ndarray
        Starting point.
    tol : float
        Stop when ``max |grad| <= tol`` and the Newton decrement
        ``sqrt(-grad . step)`` is at most ``tol`` (see :mod:`._newton`).
    max_iter : int
        Maximum number of Newton iterations.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration.

    Returns
    -------
    SolverResult
    """
    if objective.box is not None:
        return _projected_newton.solve(
            objective, w0, tol=tol, max_iter=max_iter, callback=callback
        )
    shifts = objective.shift_directions()
    state = {"factor": None, "grad_norm": np.inf, "decrement": np.inf}

    def local_model(w):
        value, grad = objective.value_and_grad(w)
        return value, grad, (w, value)

    def factorise(w):
        _, _, hess = objective.hessian(w)
        system = hess + _gauge(shifts, np.diag(hess))
        try:
            return scipy.linalg.cho_factor(system, check_finite=False)
        except np.linalg.LinAlgError:  # numerically indefinite: fall back
            return None, system

    def newton_step(grad, model):
        w, value = model
        grad_norm = float(np.linalg.norm(grad))
        if (
            state["factor"] is None
            or grad_norm > _REUSE_CONTRACTION * state["grad_norm"]
            or state["decrement"] > _REUSE_DECREMENT * max(abs(value), 1.0)
        ):
            state["factor"] = factorise(w)
        state["grad_norm"] = grad_norm
        factor = state["factor"]
        if factor[0] is None:
            step = -scipy.linalg.lstsq(factor[1], grad, check_finite=False)[0]
        else:
            step = -scipy.linalg.cho_solve(factor, grad, check_finite=False)
        state["decrement"] = -float(grad @ step)
        return step

    return run_newton(
        objective,
        w0,
        tol=tol,
        max_iter=max_iter,
        callback=callback,
        local_model=local_model,
        newton_step=newton_step,
        model_at_trial=True,
    )


def _gauge(shifts: NDArray, hess_diagonal: NDArray) -> NDArray:
    """``sum_j c_j u_j u_j^T`` over the shift directions ``u_j`` (columns of
    ``shifts``), each weighted by the mean Hessian diagonal ``c_j`` over the
    parameters it moves.

    Weighing each direction by the curvature of its own feature keeps the
    system as well scaled as ``H`` is: one common weight would swamp the
    intercepts' curvature when features are of scale 1e150, or the
    coefficients' when they are of scale 1e-150.
    """
    support = shifts**2
    scale = (hess_diagonal @ support) / support.sum(axis=0)
    scale = np.maximum(scale, np.finfo(np.float64).tiny)
    return (shifts * scale) @ shifts.T
