"""The outer loop shared by the Newton solvers: step, line search, stopping.

A Newton solver supplies ``local_model(w) -> (value, grad, model)`` and
``newton_step(grad, model) -> step``; this loop does the rest:

* stop, converged, when ``max |grad| <= tol`` and the Newton decrement
  ``lambda = sqrt(g^T H^-1 g)`` is at most ``tol`` too, with ``H^-1 g``
  the solver's own step ``-p`` (exact for Cholesky, conjugate gradients
  for Newton-CG): ``lambda^2 / 2`` is the decrease a Newton step predicts,
  the distance ``F(w) - F*`` to second order, so every solver stops within
  about ``tol^2 / 2`` of the optimum at the same ``tol`` (the gradient's
  max norm alone left relative gaps from 4e-12 to 1e-2 at ``tol=1e-4``,
  benchmarks/results_stopping.md: its relation to the gap depends on the
  conditioning and on how far the last step overshot).  The step is
  computed before the test, and taken whatever its outcome: when the test
  passes, the step (one more evaluation, its solve already paid for)
  returns a point far closer than ``tol^2 / 2``;
* stop, converged to working precision, when the decrease the step predicts,
  ``-grad . step``, is below a few units in the last place of ``F`` in the
  data's dtype: the objective cannot resolve further progress;
* otherwise backtrack from the full step until the Armijo condition
  ``F(w + t p) <= F(w) + 1e-4 t grad . p`` holds (the full step is accepted
  near the optimum, where Newton converges quadratically).

With ``final_step=False`` the loop stops where the test passes without
taking that step (a start that only needs to come within ``tol^2 / 2``).

With ``model_at_trial=True`` each trial point is evaluated with
``local_model`` itself, so an accepted step (the usual case) costs no extra
pass over the data; a solver whose local model is expensive would rather
test trial points with ``objective.value`` first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._result import IterationCallback, SolverResult, below_working_precision

_ARMIJO = 1e-4
_CONVERGED = "gradient and Newton decrement below tol (the last step taken)"
_MAX_HALVINGS = 40


def run_newton(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None,
    local_model: Callable,
    newton_step: Callable,
    model_at_trial: bool = False,
    final_step: bool = True,
) -> SolverResult:
    """Damped Newton iterations; see the module docstring."""
    w = np.array(w0, dtype=np.float64)
    value, grad, model = local_model(w)
    for n_iter in range(max_iter + 1):
        grad_max = float(np.max(np.abs(grad), initial=0.0))
        if grad_max > tol and n_iter == max_iter:
            break
        step = newton_step(grad, model)
        # The model (for Newton-CG, the n x K probabilities) has served: free
        # it before the trial points build theirs, so one is alive at a time.
        model = None
        slope = float(grad @ step)
        converged = grad_max <= tol and (not slope < 0 or -slope <= tol**2)
        if converged and (n_iter == max_iter or not slope < 0 or not final_step):
            return SolverResult(w, value, n_iter, True, _CONVERGED)
        if n_iter == max_iter:
            break
        if not slope < 0:  # not a descent direction: fall back to the gradient
            step, slope = -grad, -float(grad @ grad)
        if below_working_precision(-slope, value, objective.dtype):
            return SolverResult(
                w, value, n_iter, True, "predicted decrease below working precision"
            )
        t = 1.0
        for _ in range(_MAX_HALVINGS):
            trial_w = w + t * step
            if model_at_trial:
                trial = local_model(trial_w)
                trial_value = trial[0]
            else:
                trial, trial_value = None, objective.value(trial_w)
            if trial_value <= value + _ARMIJO * t * slope:
                break
            t *= 0.5
        else:
            message = _CONVERGED if converged else "line search found no decrease"
            return SolverResult(w, value, n_iter, converged, message)
        w = trial_w
        value, grad, model = trial if trial is not None else local_model(w)
        trial = None
        if callback is not None:
            callback(n_iter + 1, w, value, float(np.max(np.abs(grad), initial=0.0)))
        if converged:
            return SolverResult(w, value, n_iter + 1, True, _CONVERGED)
    return SolverResult(w, value, max_iter, False, "maximum number of iterations")
