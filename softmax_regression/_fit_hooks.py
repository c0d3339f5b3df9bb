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

While a solve runs, :func:`solving` says what its iterates parameterise
(:func:`current_model`: the classes and the flat layout), so an iteration
observer can turn ``w`` into ``coef_`` and ``intercept_``; an observer may
end the solve early by raising :class:`StopFit` (scikit-learn's callbacks
do, when one asks to stop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

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
    the fits run inside the ``with`` block (after any observer installed
    outside it)."""
    outer = _ITERATION_OBSERVER.get()
    if outer is None:
        return _installed(_ITERATION_OBSERVER, callback)

    def both(*args) -> None:
        outer(*args)
        callback(*args)

    return _installed(_ITERATION_OBSERVER, both)


@dataclass(frozen=True)
class ModelShape:
    """What the iterates of the running solve parameterise.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The labels.
    layout : ParameterLayout
        The flat vector's layout (``unpack`` gives ``coef`` and
        ``intercept``).
    dtype : numpy.dtype
        The data's dtype, that of the fitted attributes.
    """

    classes: Any
    layout: Any
    dtype: Any


_SOLVING: ContextVar[ModelShape | None] = ContextVar(
    "softmax_regression_solving", default=None
)


def solving(shape: ModelShape) -> AbstractContextManager[None]:
    """Make ``shape`` the :func:`current_model` inside the ``with`` block."""
    return _installed(_SOLVING, shape)


def current_model() -> ModelShape | None:
    """The :class:`ModelShape` of the solve running now (None outside one)."""
    return _SOLVING.get()


class StopFit(Exception):
    """Raised by an iteration observer to end the solve at iterate ``w``.

    The fitting core catches it and keeps ``w`` as the solution, not
    converged, without a ConvergenceWarning (the stop was asked for).

    Parameters
    ----------
    n_iter : int
        The iteration that asked.
    w : ndarray
        The iterate to keep.
    value : float
        The objective there.
    """

    def __init__(self, n_iter: int, w, value: float) -> None:
        super().__init__("a callback asked the fit to stop")
        self.n_iter, self.w, self.value = n_iter, w, value


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
