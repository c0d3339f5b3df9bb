"""Observe fits without a constructor parameter.

Two observers, each a context variable (local to the thread or task that
installed it, never stored on an estimator):

* :func:`observe_iterations` installs a callback on every solver iteration,
  ``(n_iter, w, value, grad_max)``: the command line's progress bar.  The
  fitting core asks :func:`iteration_callback` for the callback to hand to
  the solver.
* :func:`observe_solves` installs a callback that receives a
  :class:`SolveReport` after every solve: which solver ran (``"auto"``
  resolved), for how many iterations, and whether it converged.  The
  command line prints it; nothing needs to read an estimator's private
  state for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: ``callback(n_iter, w, value, grad_max)``, as the solvers call it.
Callback = Callable[..., None]


@dataclass(frozen=True)
class SolveReport:
    """What one solve did.

    Attributes
    ----------
    solver : str
        The solver that ran (never ``"auto"``).
    n_iter : int
        Its iterations (epochs for ``"sgd"``).
    converged : bool
        Whether it met its stopping rule.
    message : str
        The solver's own account of why it stopped.
    """

    solver: str
    n_iter: int
    converged: bool
    message: str


_ITERATION_OBSERVER: ContextVar[Callback | None] = ContextVar(
    "softmax_regression_iteration_observer", default=None
)
_SOLVE_OBSERVER: ContextVar[Callable[[SolveReport], None] | None] = ContextVar(
    "softmax_regression_solve_observer", default=None
)


@contextmanager
def _installed(variable: ContextVar, callback) -> Iterator[None]:
    token = variable.set(callback)
    try:
        yield
    finally:
        variable.reset(token)


def observe_iterations(callback: Callback) -> AbstractContextManager[None]:
    """Call ``callback(n_iter, w, value, grad_max)`` on every iteration of
    the fits run inside the ``with`` block."""
    return _installed(_ITERATION_OBSERVER, callback)


def observe_solves(
    callback: Callable[[SolveReport], None],
) -> AbstractContextManager[None]:
    """Call ``callback(report)`` with a :class:`SolveReport` after every
    solve run inside the ``with`` block."""
    return _installed(_SOLVE_OBSERVER, callback)


def iteration_callback(own: Callback | None) -> Callback | None:
    """The solver callback: the estimator's own (``verbose``) and the
    installed observer, whichever are set."""
    observer = _ITERATION_OBSERVER.get()
    if observer is None or own is None:
        return observer or own

    def both(*args) -> None:
        own(*args)
        observer(*args)

    return both


def report_solve(report: SolveReport) -> None:
    """Hand ``report`` to the installed solve observer, if any."""
    observer = _SOLVE_OBSERVER.get()
    if observer is not None:
        observer(report)
