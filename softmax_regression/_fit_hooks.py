"""Observe a fit's iterations without a constructor parameter.

The command line's progress bar needs ``(n_iter, objective, max|grad|)`` after
every solver iteration.  :func:`observe_iterations` installs a callback for
the fits run inside its ``with`` block (a context variable, so it is local to
the thread or task that installed it and never stored on an estimator);
``SoftmaxRegression._solve`` asks :func:`iteration_callback` for the callback
to hand to the solver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: ``callback(n_iter, w, value, grad_max)``, as the solvers call it.
Callback = Callable[..., None]

_OBSERVER: ContextVar[Callback | None] = ContextVar(
    "softmax_regression_iteration_observer", default=None
)


@contextmanager
def observe_iterations(callback: Callback) -> Iterator[None]:
    """Call ``callback(n_iter, w, value, grad_max)`` on every iteration of
    the fits run inside the block."""
    token = _OBSERVER.set(callback)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


def iteration_callback(own: Callback | None) -> Callback | None:
    """The solver callback: the estimator's own (``verbose``) and the
    installed observer, whichever are set."""
    observer = _OBSERVER.get()
    if observer is None or own is None:
        return observer or own

    def both(*args) -> None:
        own(*args)
        observer(*args)

    return both
