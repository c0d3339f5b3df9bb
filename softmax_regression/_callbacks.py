"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn >= 1.9) on
the estimators' fits, as :class:`~sklearn.linear_model.LogisticRegression`
runs them.

``set_callbacks(*callbacks)`` comes from scikit-learn's
``CallbackSupportMixin``.  A fit with callbacks is one task: ``setup`` and
``teardown`` once (by scikit-learn's callback management), the fit task's
``on_fit_task_begin`` / ``on_fit_task_end``, and one subtask per solver
iteration, whose ``on_fit_task_end`` sees the iterate as a fitted estimator
(``coef_``, ``intercept_``, ``classes_``).  A callback whose
``on_fit_task_end`` returns True ends the solve at that iterate (without a
ConvergenceWarning; ``converged_`` is False).  The iterations reach the
callbacks through the fitting core's iteration observer
(:mod:`softmax_regression._fit_hooks`), so every solver reports them.

With an older scikit-learn the package works as before and
``set_callbacks`` raises an ImportError that says what is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import sklearn

from ._fit_hooks import StopFit, current_model, observe_iterations

try:
    from sklearn.callback import CallbackSupportMixin as _SklearnCallbackSupport
    from sklearn.callback._callback_support import callback_management_context
except ImportError:  # scikit-learn < 1.9
    _SklearnCallbackSupport = object
    callback_management_context = None

#: Whether this scikit-learn has ``sklearn.callback``.
HAVE_CALLBACKS = callback_management_context is not None


class _IterationTasks:
    """One subtask per solver iteration under the fit task ``context``.

    As scikit-learn's L-BFGS bridge: a subtask begins before the first
    iteration; each iteration ends the current one (with the iterate as
    reconstruction attributes) and begins the next; :meth:`close` ends the
    last, which no iteration ran, as an empty task.
    """

    def __init__(self, estimator, context, X, y, metadata) -> None:
        self.estimator, self.context = estimator, context
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.current = self._begin()

    def _begin(self):
        task = self.context.subcontext(task_name="iteration")
        task.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        return task

    def __call__(self, n_iter: int, w, value: float, grad_max: float) -> None:
        w = np.array(w, dtype=np.float64)
        model = current_model()

        def attributes() -> dict:
            if model is None:
                return {}
            coef, intercept = model.layout.unpack(w, model.dtype)
            if intercept is None:
                intercept = np.zeros(model.layout.n_classes, dtype=model.dtype)
            return {"coef_": coef, "intercept_": intercept, "classes_": model.classes}

        stop = self.current.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=attributes,
            **self.data,
        )
        if stop:
            self.current = None
            raise StopFit(n_iter, w, value)
        self.current = self._begin()

    def close(self) -> None:
        if self.current is not None:
            self.current.call_on_fit_task_end(estimator=self.estimator)
            self.current = None


class CallbackSupportMixin(_SklearnCallbackSupport):
    """``set_callbacks`` and the fit task of scikit-learn's callbacks."""

    def set_callbacks(self, *callbacks):
        """Set scikit-learn callbacks (``sklearn.callback``) for the fits.

        Parameters
        ----------
        *callbacks : callback instances
            Objects following scikit-learn's ``FitCallback`` protocol, e.g.
            ``sklearn.callback.ProgressBar()``.  None removes them.

        Returns
        -------
        self
            The estimator.

        Raises
        ------
        ImportError
            With scikit-learn older than 1.9, which has no callbacks.
        """
        if not HAVE_CALLBACKS:
            raise ImportError(
                "set_callbacks needs scikit-learn >= 1.9 (sklearn.callback); this "
                f"is scikit-learn {sklearn.__version__}. Upgrade with pip install "
                "'scikit-learn>=1.9', or use verbose=1 for progress."
            )
        return super().set_callbacks(*callbacks)

    @contextmanager
    def _fit_task(self, X, y, sample_weight=None) -> Iterator[None]:
        """The callbacks' fit task around the body of ``fit`` (nothing
        without callbacks)."""
        if not HAVE_CALLBACKS or not (
            getattr(self, "_skl_callbacks", None)
            or hasattr(self, "_parent_callback_ctx")
        ):
            yield
            return
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        with callback_management_context(self):
            context = self._init_callback_context(max_subtasks=None)
            context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
            iterations = _IterationTasks(self, context, X, y, metadata)
            try:
                with observe_iterations(iterations):
                    yield
            finally:
                iterations.close()
            context.call_on_fit_task_end(
                estimator=self,
                X=X,
                y=y,
                metadata=metadata,
                reconstruction_attributes={},
            )
