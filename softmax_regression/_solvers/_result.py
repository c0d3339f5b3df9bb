"""What every solver returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: ``callback(n_iter, w, value, grad_max)`` is called once per iteration.
IterationCallback = Callable[[int, NDArray[np.float64], float, float], None]


#: What ``tol`` bounds, as the ConvergenceWarning puts it ("did not ..."):
#: each solver module declares one as ``STOPPING_RULE``.
GRADIENT_RULE = "bring the largest (sub)gradient entry down to"
DECREMENT_RULE = "bring the largest gradient entry and the Newton decrement down to"


@dataclass
class SolverResult:
    """Outcome of a solver run.

    Attributes
    ----------
    x : ndarray
        The final flat parameter vector (float64).
    fun : float
        Objective value at ``x``.
    n_iter : int
        Iterations performed.
    converged : bool
        Whether the stopping criterion was met within ``max_iter``.
    message : str
        The solver's own account of why it stopped.
    """

    x: NDArray[np.float64]
    fun: float
    n_iter: int
    converged: bool
    message: str


def below_working_precision(decrease: float, value: float, dtype) -> bool:
    """Whether a predicted ``decrease`` of the objective is below a few units
    in the last place of its ``value`` in the data's ``dtype``: the objective
    cannot resolve such progress, so the point is optimal to working
    precision."""
    return decrease <= 4 * np.finfo(dtype).eps * max(abs(value), 1.0)
