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
there; the loss's gradient is orthogonal to them, so adding ``U C U^T``
(``U`` those directions, ``C`` each one's curvature scale) changes nothing
but makes the system positive definite, and the step comes out orthogonal
to them.  Where the iterate itself has a part ``U U^T w`` along them (a
warm start, or the sampled steps of subsampled-newton before it turns to
this step), the L2 penalty's gradient there is its curvature times that
part, so the exact Newton step takes the part out: solved with ``C`` it
would shrink by only ``alpha / C`` a step (over 1,000 steps from a
shifted warm start).

The Hessian's pair products are multiplied in float32 (0.77x the time of
float64 on pendigits and diamonds, with the same steps to within rounding)
while that measures safe: X's values keep their magnitude in float32
(``FLOAT32_RANGE``); the factor's estimated condition number, once scaled
to a unit diagonal, stays below ``1e7`` (``1 / _FLOAT32_MIN_RCOND``:
float32's rounding of each entry, times that number, bounds the step's
relative error; pendigits at ``alpha=1e-8`` took its 23 steps with float32
factors down to 1e9 as with float64 ones); and, near the optimum, a step
from a float32 factor shrinks the gradient norm fourfold, as a reused
factor must.  The first factor that fails one of these tests is rebuilt in
float64, and so is every later one.  The gradient, the objective and the
Newton decrement that stops the fit are exact whichever is used.

With bounds on the coefficients (the objective's ``box``) it runs projected
Newton instead (:mod:`._projected_newton`).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from .._loss import within_float32_range
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
#: The most parameters whose full Hessian ``solver="auto"`` builds, or
#: subsampled-newton turns to (18 MB in float64).
FULL_HESSIAN_MAX_PARAMS = 1500


def hessian_in_products(n_features: int, n_classes: int) -> float:
    """The full Hessian's cost in Hessian-vector products over the same
    rows: its ``K (K + 1) / 2`` class pairs times ``(d + 1)(d + 2) / 2``
    feature pairs, per row, against ``2 K (d + 1)`` per product."""
    return (n_classes + 1) * (n_features + 2) / 8


# A float32 factor whose scaled reciprocal condition number (LAPACK's
# estimate) falls below this is rebuilt in float64, as are later ones.
_FLOAT32_MIN_RCOND = 1e-7


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
    steps = CholeskySteps(objective)

    def local_model(w):
        value, grad = objective.value_and_grad(w)
        return value, grad, (w, value)

    def newton_step(grad, model):
        w, value = model
        return steps(w, value, grad)

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


class CholeskySteps:
    """Newton steps ``-H^-1 g`` from the gauged Hessian's Cholesky factor:
    reused near the optimum, its pair products in float32 while that
    measures safe (see the module docstring).

    Parameters
    ----------
    objective : Objective
        Provides ``hessian``, ``value_range``, ``shift_directions`` and
        ``dtype``.
    """

    def __init__(self, objective) -> None:
        self.objective = objective
        self.shifts = objective.shift_directions()
        self.centres = objective.penalty.centring_never_raises()
        self.factor = None
        self.grad_norm = np.inf
        self.decrement = np.inf
        self.float32 = _float32_products_keep(objective)

    def _factorise(self, w: NDArray):
        if self.float32:
            factor, system = _factor(self.objective, w, self.shifts, np.float32)
            if factor[0] is not None and _scaled_rcond(factor, system) >= (
                _FLOAT32_MIN_RCOND
            ):
                return factor
            self.float32 = False
        return _factor(self.objective, w, self.shifts)[0]

    def __call__(self, w: NDArray, value: float, grad: NDArray) -> NDArray:
        """The Newton step at ``w``, where ``F`` is ``value`` and its
        gradient ``grad``."""
        grad_norm = float(np.linalg.norm(grad))
        contracted = grad_norm <= _REUSE_CONTRACTION * self.grad_norm
        near = self.decrement <= _REUSE_DECREMENT * max(abs(value), 1.0)
        if near and not contracted:
            # the last factor was too approximate here: float32 no more
            self.float32 = False
        if self.factor is None or not (near and contracted):
            self.factor = self._factorise(w)
        self.grad_norm = grad_norm
        rhs, shift = grad, None
        if self.centres:
            # w's part along the flat directions (none from w = 0, but sampled
            # steps or a warm start may leave some): the loss is flat there
            # and the penalty's curvature is its gradient's share over that
            # part, so the Newton step takes the part out; the gauge's
            # curvature would shorten that step to a crawl.
            shift = self.shifts.T @ w
            rhs = grad - self.shifts @ (self.shifts.T @ grad)
        if self.factor[0] is None:
            step = -scipy.linalg.lstsq(self.factor[1], rhs, check_finite=False)[0]
        else:
            step = -scipy.linalg.cho_solve(self.factor, rhs, check_finite=False)
        if shift is not None:
            step -= self.shifts @ shift
        self.decrement = -float(grad @ step)
        return step


def _float32_products_keep(objective) -> bool:
    """Whether the Hessian's pair products may start in float32: float64
    data whose nonzero magnitudes lie in ``FLOAT32_RANGE`` (their products,
    within 1e-30 and 1e30, far inside float32's range)."""
    if objective.dtype != np.float64:
        return False
    return within_float32_range(*objective.value_range())


def _factor(objective, w: NDArray, shifts: NDArray, products_dtype=None):
    """``(factor, system)``: the gauged Hessian at ``w`` and its Cholesky
    factor (``cho_factor``'s pair; ``(None, system)`` where the system is
    numerically indefinite)."""
    _, _, hess = objective.hessian(w, products_dtype)
    system = hess + _gauge(shifts, np.diag(hess))
    try:
        return scipy.linalg.cho_factor(system, check_finite=False), system
    except np.linalg.LinAlgError:
        return (None, system), system


def _scaled_rcond(factor: tuple[NDArray, bool], system: NDArray) -> float:
    """LAPACK's estimate of the reciprocal 1-norm condition number of
    ``system`` scaled to a unit diagonal, ``D^-1/2 A D^-1/2``, from its
    Cholesky factor scaled alike: ``O(n^2)``."""
    triangle, lower = factor
    scale = 1.0 / np.sqrt(np.diag(system))
    norm = float((np.abs(system) * scale[:, None] * scale).sum(axis=0).max())
    # only the factor's own triangle is read
    scaled = triangle * (scale[:, None] if lower else scale)
    rcond, info = scipy.linalg.lapack.dpocon(scaled, norm, uplo="L" if lower else "U")
    return float(rcond) if info == 0 else 0.0


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
