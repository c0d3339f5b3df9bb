"""scikit-learn 1.9's callbacks (``set_callbacks``) on SoftmaxRegression, with
scikit-learn's own test callbacks: setup and teardown once per fit, a fit
task per solver iteration, a callback that returns True stops the fit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn.callback")
from sklearn.callback import ProgressBar
from sklearn.callback.tests._utils import (
    RecordingCallback,
    StopFitCallback,
)

from softmax_regression import SoftmaxRegression
from softmax_regression import _callbacks as callbacks

SOLVERS = ["lbfgs", "newton-cg", "newton-cholesky", "fista", "prox-newton", "sgd"]


def _names(record):
    return [event["name"] for event in record]


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_task_per_solver_iteration(iris_scaled, solver):
    X, y = iris_scaled
    callback = RecordingCallback()
    options = {"max_iter": 5, "random_state": 0} if solver == "sgd" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sgd: 5 epochs do not converge
        model = SoftmaxRegression(solver=solver, **options).set_callbacks(callback)
        model.fit(X, y)
    names = _names(callback.record)
    assert names[0] == "setup" and names[-1] == "teardown"
    assert names.count("setup") == names.count("teardown") == 1
    # The fit task, then one task per iteration and the empty last one.
    assert names.count("on_fit_task_begin") == model.n_iter_ + 2
    assert names.count("on_fit_task_end") == model.n_iter_ + 2
    contexts = [event["context"] for event in callback.record[1:-1]]
    root = contexts[0]
    assert root.task_name == "fit" and contexts[-1] is root
    assert all(context.parent is root for context in contexts[1:-1])


class _Watcher:
    """Predicts with each iteration's fitted estimator."""

    def __init__(self, X):
        self.X, self.log_losses = X, []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, y=None, fitted_estimator=None):
        if fitted_estimator is not None and context.task_name == "iteration":
            proba = fitted_estimator.predict_proba(self.X)
            np.testing.assert_allclose(proba.sum(axis=1), 1.0)
            assert fitted_estimator.predict(self.X).dtype == y.dtype
            self.log_losses.append(-np.log(proba[np.arange(len(y)), y]).mean())


def test_each_iteration_hands_over_a_fitted_estimator(iris_scaled):
    X, y = iris_scaled
    watcher = _Watcher(X)
    model = SoftmaxRegression(alpha=1e-3, solver="newton-cg").set_callbacks(watcher)
    model.fit(X, y)
    assert len(watcher.log_losses) == model.n_iter_
    assert watcher.log_losses[0] > watcher.log_losses[-1]
    final = -np.log(model.predict_proba(X)[np.arange(len(y)), y]).mean()
    assert watcher.log_losses[-1] == pytest.approx(final, rel=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_callback_returning_true_stops_the_fit(iris_scaled, solver, recwarn):
    X, y = iris_scaled
    model = SoftmaxRegression(solver=solver, random_state=0)
    model.set_callbacks(StopFitCallback()).fit(X, y)
    assert model.n_iter_ == 1
    assert model.converged_ is False
    assert not [w for w in recwarn if "did not converge" in str(w.message)]
    full = SoftmaxRegression(solver=solver, random_state=0).fit(X, y)
    assert model.objective_ > full.objective_


def test_progress_bar(iris_scaled, capsys):
    X, y = iris_scaled
    SoftmaxRegression().set_callbacks(ProgressBar()).fit(X, y)
    assert "SoftmaxRegression - fit" in capsys.readouterr().out


def test_a_failed_fit_tears_down_and_changes_nothing(iris_scaled):
    X, y = iris_scaled
    callback = RecordingCallback()
    model = SoftmaxRegression().set_callbacks(callback)
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X, np.zeros_like(y))
    assert _names(callback.record)[-1] == "teardown"
    assert not hasattr(model, "n_features_in_")


def test_without_callbacks_nothing_is_recorded_and_clones_keep_them(iris_scaled):
    from sklearn.base import clone

    X, y = iris_scaled
    callback = RecordingCallback()
    model = SoftmaxRegression().set_callbacks(callback)
    clone(model).fit(X, y)
    assert _names(callback.record).count("setup") == 1
    model.set_callbacks()
    model.fit(X, y)
    assert _names(callback.record).count("setup") == 1


def test_invalid_callbacks_are_refused():
    with pytest.raises(TypeError, match="FitCallback protocol"):
        SoftmaxRegression().set_callbacks(object())


def test_an_old_scikit_learn_says_what_is_needed(monkeypatch):
    monkeypatch.setattr(callbacks, "HAVE_CALLBACKS", False)
    with pytest.raises(ImportError, match=r"scikit-learn >= 1\.9 \(sklearn.callback\)"):
        SoftmaxRegression().set_callbacks(RecordingCallback())


def test_the_package_works_without_sklearn_callback():
    # A scikit-learn without sklearn.callback (before 1.9): imports and fits.
    script = textwrap.dedent(
        """
        import sys

        # scikit-learn 1.9's own modules import sklearn.callback: load them
        # first, then make it unimportable for everything after.
        import sklearn.datasets
        import sklearn.linear_model
        import sklearn.metrics
        import sklearn.model_selection
        import sklearn.pipeline
        import sklearn.preprocessing

        for name in ("sklearn.callback", "sklearn.callback._callback_support"):
            sys.modules[name] = None  # as if absent: importing it fails
        from sklearn.datasets import load_iris
        from softmax_regression import SoftmaxRegression
        X, y = load_iris(return_X_y=True)
        model = SoftmaxRegression().fit(X, y)
        assert model.score(X, y) > 0.9
        try:
            model.set_callbacks()
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "set_callbacks needs scikit-learn >= 1.9" in result.stdout
