"""A fit that raises leaves the estimator exactly as it was before ``fit``:
no ``n_features_in_`` on a fresh one (so ``predict`` raises
``NotFittedError``), the old model intact on a fitted one."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from softmax_regression import SoftmaxRegression
from softmax_regression import _fitting as fitting


def _snapshot(estimator):
    return {
        name: value.copy() if isinstance(value, np.ndarray) else value
        for name, value in vars(estimator).items()
    }


def _assert_same(before, estimator):
    after = vars(estimator)
    assert after.keys() == before.keys()
    for name, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[name], value)
        else:
            assert after[name] is value or after[name] == value, name


def _break_the_solver(monkeypatch):
    def solve(*args, **kwargs):
        raise RuntimeError("the solver failed")

    monkeypatch.setattr(fitting, "solve", solve)


@pytest.mark.parametrize("failure", ["one class", "solver"])
def test_a_failed_first_fit_leaves_no_fitted_attribute(iris, failure, monkeypatch):
    X, y = iris
    if failure == "one class":
        y, error = np.zeros_like(y), ValueError
    else:
        _break_the_solver(monkeypatch)
        error = RuntimeError
    model = SoftmaxRegression()
    before = _snapshot(model)
    with pytest.raises(error):
        model.fit(X, y)
    _assert_same(before, model)
    assert not hasattr(model, "n_features_in_")
    with pytest.raises(NotFittedError):
        model.predict(X)


@pytest.mark.parametrize("failure", ["one class", "solver"])
def test_a_failed_refit_keeps_the_previous_model(iris, wine, failure, monkeypatch):
    X, y = iris
    model = SoftmaxRegression().fit(X, y)
    proba = model.predict_proba(X)
    before = _snapshot(model)
    X_new, y_new = wine  # 13 features, not 4
    if failure == "one class":
        y_new, error = np.zeros_like(y_new), ValueError
    else:
        _break_the_solver(monkeypatch)
        error = RuntimeError
    with pytest.raises(error):
        model.fit(X_new, y_new)
    _assert_same(before, model)
    assert model.n_features_in_ == 4
    np.testing.assert_array_equal(model.predict_proba(X), proba)
