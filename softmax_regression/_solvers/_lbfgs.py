"""L-BFGS-B from scipy.optimize on the fused value-and-gradient kernel.

It runs in variables scaled by the Hessian diagonal at the start (see
:func:`_variable_scale`), so badly scaled features do not stall it.  Stops
when the largest absolute gradient entry falls to ``tol`` and the Newton
decrement ``sqrt(g^T H^-1 g)`` is at most ``tol`` (the Newton solvers'
rule, :mod:`._newton`): first under the inverse Hessian of the last five
L-BFGS pairs (Nocedal and Wright's two-loop recursion,
:class:`CurvaturePairs`), then, since that model misses the flat
directions of a badly conditioned problem (it passed at a 2e-2 gap on raw
digits), confirmed by conjugate gradients on Hessian-vector products
(to a relative residual of 0.05; a refusal defers the next confirmation
by as many iterations as it took products); or when an
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
into the box counts; the decrement is then the pairs' estimate on the
projected gradient, without the confirmation.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from ._curvature_pairs import two_loop
from ._kronecker import jacobi
from ._newton_cg import preconditioned_cg
from ._result import (
    DECREMENT_RULE,
    IterationCallback,
    SolverResult,
    below_working_precision,
)

#: What this solver needs of the objective (a smooth one).
NEEDS = frozenset({"value_and_grad", "hessian_diagonal"})

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = DECREMENT_RULE
# scipy's status when the line search finds no decrease ("ABNORMAL: ").
_LINE_SEARCH_FAILED = 2
# Curvature pairs kept for the stopping rule's Newton decrement (scipy's
# L-BFGS-B keeps 10 of its own).
_MEMORY = 5
# The relative residual of the conjugate-gradient solve that confirms it:
# its decrement is a lower bound, and at Newton-CG's forcing term (0.5 far
# from the optimum) a fit stopped at 4x the gap tol**2 allows.
_CONFIRM_RTOL = 0.05
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
        Stop when ``max |grad| <= tol`` and the Newton decrement is at
        most ``tol`` (see the module docstring).
    max_iter : int
        Maximum number of L-BFGS iterations; 0 returns ``w0`` unchanged.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration.

    Returns
    -------
    SolverResult
    """
    w0 = np.asarray(w0, dtype=np.float64)
    diagonal = objective.hessian_diagonal(w0)
    scale = _variable_scale(diagonal)
    value0, grad0 = objective.value_and_grad(w0)
    measure0 = objective.projected_gradient(w0, grad0)
    grad_max0 = float(np.max(np.abs(measure0), initial=0.0))
    if max_iter == 0 or grad_max0 <= tol:
        # The start's decrement under the diagonal curvature (no steps yet).
        curved = diagonal > 0
        decrement = float(np.sum(measure0[curved] ** 2 / diagonal[curved]))
        if max_iter == 0 or decrement <= tol**2:
            converged = grad_max0 <= tol and decrement <= tol**2
            message = "converged at the start" if converged else "max_iter=0"
            return SolverResult(w0, value0, 0, converged, message)

    pairs = CurvaturePairs(_MEMORY)
    start = w0 / scale
    last = {"value": value0, "grad": scale * grad0, "grad_max": grad_max0}
    last["measure"] = scale * measure0
    at_start = [(value0, last["grad"])]  # scipy's first evaluation, done above

    def scaled_fun(v):
        if at_start and np.array_equal(v, start):
            return at_start.pop()
        at_start.clear()
        w = scale * v
        value, grad = objective.value_and_grad(w)
        measure = objective.projected_gradient(w, grad)
        last.update(
            value=value,
            grad=scale * grad,
            measure=scale * measure,
            grad_max=float(np.max(np.abs(measure), initial=0.0)),
        )
        return value, last["grad"]

    n_iter = 0
    pairs.add(start, last["grad"])
    can_confirm = objective.box is None and "gradient_hessp" in objective.offers

    def on_iteration(intermediate_result):
        nonlocal n_iter
        n_iter += 1
        # The last evaluation is the new iterate.
        pairs.add(intermediate_result.x, last["grad"])
        if callback is not None:
            w = scale * intermediate_result.x
            callback(n_iter, w, last["value"], last["grad_max"])
        if (
            last["grad_max"] <= tol
            and pairs.decrement(last["measure"]) <= tol**2
            and confirm(n_iter, scale * intermediate_result.x)
        ):
            last["stopped"] = True
            raise StopIteration

    def confirm(n_iter: int, w: NDArray) -> bool:
        """Whether the decrement under the true Hessian is below ``tol**2``
        too (conjugate gradients on Hessian-vector products): the pairs'
        model misses the flat directions of a badly conditioned problem.
        After a refusal, the next check waits as many iterations as it took
        products (a product costs about what an iteration's gradient does),
        so the checks cost at most about as much as the iterations."""
        if not can_confirm:
            return True
        if n_iter < last.get("next_check", 0):
            return False
        _, grad, diagonal, hessp = objective.gradient_hessp(w)
        products = [0]

        def counted(v):
            products[0] += 1
            return hessp(v)

        step = preconditioned_cg(counted, -grad, jacobi(diagonal), _CONFIRM_RTOL)
        if -float(grad @ step) <= tol**2:
            return True
        last["next_check"] = n_iter + products[0] + 1
        return False

    eps = np.finfo(objective.dtype).eps
    box = objective.box
    result = scipy.optimize.minimize(
        scaled_fun,
        start,
        method="L-BFGS-B",
        jac=True,
        bounds=None
        if box is None
        else scipy.optimize.Bounds(box.lower / scale, box.upper / scale),
        callback=on_iteration,
        options={
            "maxiter": max_iter,
            "maxfun": max(15_000, 4 * max_iter),
            # The callback decides convergence (gradient and decrement);
            # scipy stops on its own only at a zero gradient or when the
            # objective stops changing at working precision.
            "gtol": 0.0,
            "ftol": eps / 100,
        },
    )
    w, value, grad = scale * result.x, float(result.fun), result.jac / scale
    if box is not None:  # scale * (x / scale) may round off the bound
        w = box.project(w)
    grad = objective.projected_gradient(w, grad)
    grad_max = float(np.max(np.abs(grad), initial=0.0))
    converged = result.status == 0 or last.get("stopped", False)
    message = str(result.message)
    if last.get("stopped", False):
        message = "gradient and Newton decrement below tol"
    if not converged and result.status == _LINE_SEARCH_FAILED:
        converged, message = _line_search_failure(objective, w, value, grad, grad_max)
    return SolverResult(w, value, int(result.nit), converged, message)


class CurvaturePairs:
    """The last steps ``s`` and gradient changes ``y`` of a quasi-Newton
    run, and the Newton decrement ``g^T H^-1 g`` under their L-BFGS
    inverse-Hessian model (the two-loop recursion, Nocedal and Wright,
    *Numerical Optimization*, Algorithm 7.4).

    Parameters
    ----------
    memory : int
        How many pairs to keep: each costs two vectors of the parameters'
        size.
    """

    def __init__(self, memory: int) -> None:
        # (s, y, 1 / s.y), oldest first
        self.pairs: deque[tuple[NDArray, NDArray, float]] = deque(maxlen=memory)
        self.point: NDArray | None = None
        self.grad: NDArray | None = None

    def add(self, point: NDArray, grad: NDArray) -> None:
        """Record a new iterate; keep its pair when the curvature along the
        step is positive (as L-BFGS itself does)."""
        if self.point is not None:
            step, change = point - self.point, grad - self.grad
            curvature = float(step @ change)
            if curvature > np.finfo(np.float64).eps * float(change @ change):
                self.pairs.append((step, change, 1.0 / curvature))
        self.point, self.grad = np.array(point), np.array(grad)

    def decrement(self, grad: NDArray) -> float:
        """``g^T H^-1 g`` with the pairs' inverse Hessian; inf without pairs."""
        if not self.pairs:
            return float("inf")
        _, change, inverse_curvature = self.pairs[-1]
        # H_0 = gamma I, gamma = s.y / y.y (Nocedal and Wright, eq. 7.20)
        gamma = 1.0 / (inverse_curvature * float(change @ change))
        q = two_loop(
            self.pairs,
            grad,
            lambda vector, out: np.multiply(vector, gamma, out=out),
            np.empty(len(grad)),
        )
        return float(grad @ q)


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


def _variable_scale(diagonal: NDArray) -> NDArray:
    """``1 / sqrt(diagonal)`` (the Hessian diagonal at the start): in the
    variables ``v = w / scale`` every parameter starts with unit curvature.

    L-BFGS is not invariant to the scaling of the features: its first step
    has unit length and its Hessian model starts as a multiple of the
    identity, so features of scale 1e150 (curvature 1e300 next to the
    intercepts' 0.1) defeat its line search.  Parameters without curvature
    keep scale 1, and so do all when every curvature lies within
    ``_WELL_SCALED`` of 1 (standardised features), where rescaling would
    only perturb a path that works.
    """
    scale = np.ones_like(diagonal)
    curved = diagonal > 0
    if np.all(
        (diagonal[curved] >= 1 / _WELL_SCALED) & (diagonal[curved] <= _WELL_SCALED)
    ):
        return scale  # well scaled: L-BFGS as it is
    tiny = np.finfo(np.float64).tiny
    scale[curved] = 1.0 / np.sqrt(np.maximum(diagonal[curved], tiny))
    return scale
