"""A failed SoftmaxRegressionCV.fit leaves the estimator as it was: no
search result beside an old model, no half-fitted model."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import softmax_regression._search._cv as cv_module
from softmax_regression import SoftmaxRegressionCV

ALPHAS = [1e-1, 1e-2]


def assert_unchanged(estimator, before: dict) -> None:
    """Every attribute of ``estimator`` is the very object it was."""
    after = vars(estimator)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if after[name] is not before[name]]
    assert changed == []


@pytest.fixture
def failing_refit(monkeypatch):
    """The refit's solve (the only one warm-started from a given point)
    raises; the folds' paths run."""
    solve_path = cv_module.solve_path
    calls = []

    def solve_or_fail(config, problem, alphas, start=None):
        calls.append(start is not None)
        if start is not None:
            raise MemoryError("the refit ran out of memory")
        return solve_path(config, problem, alphas)

    monkeypatch.setattr(cv_module, "solve_path", solve_or_fail)
    return calls


def test_failed_refit_sets_nothing_on_a_fresh_estimator(iris, failing_refit):
    X, y = iris
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3)
    before = dict(vars(clf))
    with pytest.raises(MemoryError, match="the refit ran out of memory"):
        clf.fit(X, y)
    assert failing_refit == [False, False, False, True]  # it failed in the refit
    assert_unchanged(clf, before)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_failed_refit_keeps_the_previous_model(wine_frame, iris, monkeypatch):
    X_old, y_old = wine_frame
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3).fit(X_old, y_old)
    before = dict(vars(clf))
    old_proba = clf.predict_proba(X_old)
    solve_path = cv_module.solve_path

    def solve_or_fail(config, problem, alphas, start=None):
        if start is not None:
            raise MemoryError("the refit ran out of memory")
        return solve_path(config, problem, alphas)

    monkeypatch.setattr(cv_module, "solve_path", solve_or_fail)
    X, y = iris
    with pytest.raises(MemoryError):
        clf.fit(X, y)  # other data: 4 unnamed features
    assert_unchanged(clf, before)
    np.testing.assert_array_equal(clf.predict_proba(X_old), old_proba)


def test_failed_search_sets_no_feature_count(iris):
    """A search that fails before any model (every score NaN) leaves no
    ``n_features_in_`` for ``check_is_fitted`` to take for a fit."""
    X, y = iris
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3, scoring=lambda *args: np.nan)
    before = dict(vars(clf))
    with pytest.raises(ValueError, match="Every point of the grid has a NaN"):
        clf.fit(X, y)
    assert_unchanged(clf, before)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_failed_fit_keeps_the_previous_search(iris, wine_scaled):
    X, y = iris
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3).fit(X, y)
    clf.set_params(scoring=lambda *args: np.nan)
    before = dict(vars(clf))
    X_new, y_new = wine_scaled
    with pytest.raises(ValueError, match="Every point of the grid has a NaN"):
        clf.fit(X_new, y_new)
    assert_unchanged(clf, before)
    assert clf.predict(X).shape == (150,)


def test_interrupted_fit_sets_nothing(iris, monkeypatch):
    """Any exception, KeyboardInterrupt too."""
    X, y = iris
    solve_path = cv_module.solve_path

    def interrupted(config, problem, alphas, start=None):
        if start is not None:
            raise KeyboardInterrupt
        return solve_path(config, problem, alphas)

    monkeypatch.setattr(cv_module, "solve_path", interrupted)
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3)
    before = dict(vars(clf))
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert_unchanged(clf, before)
