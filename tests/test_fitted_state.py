"""What every solver reports: coefficient columns summing to zero (the
least-norm representative; not for L1), ``converged_`` and ``objective_``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from softmax_regression import SoftmaxRegression
from softmax_regression._solvers import SOLVERS


def _objective(model, X, y, alpha):
    """F from scratch, in numpy: mean cross-entropy plus alpha / 2 ||W||^2."""
    logits = X @ model.coef_.T.astype(np.float64) + model.intercept_
    logits -= logits.max(axis=1, keepdims=True)
    log_proba = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    rows = np.searchsorted(model.classes_, y)
    loss = -log_proba[np.arange(len(y)), rows].mean()
    return loss + alpha / 2 * np.sum(model.coef_.astype(np.float64) ** 2)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize("alpha", [0.0, "1/n^2", 1e-2])
def test_every_solver_reports_centred_columns(iris_scaled, solver, alpha):
    X, y = iris_scaled
    X = X[:, 2:]
    alpha = 1 / len(y) ** 2 if alpha == "1/n^2" else alpha
    options = {"max_iter": 30, "random_state": 0} if solver == "sgd" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxRegression(alpha=alpha, solver=solver, **options).fit(X, y)
    scale = np.abs(model.coef_).max()
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-12 * scale)
    np.testing.assert_allclose(model.intercept_.sum(), 0, atol=1e-12)
    assert model.objective_ == pytest.approx(_objective(model, X, y, alpha), rel=1e-10)


def test_newton_cg_at_alpha_0_reports_the_least_norm_optimum(wine):
    X, y = wine
    X = X[:, :2]  # alcohol and malic acid overlap: a finite optimum
    reference = SoftmaxRegression(alpha=0, solver="newton-cholesky", tol=1e-10)
    model = SoftmaxRegression(alpha=0, solver="newton-cg", tol=1e-10)
    reference.fit(X, y)
    model.fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-10)


def test_an_l1_penalty_is_not_centred(iris_scaled):
    # Centring a column raises its L1 norm here: the optimum keeps its sums.
    X, y = iris_scaled
    model = SoftmaxRegression(alpha=0.05, l1_ratio=1.0, tol=1e-8).fit(X, y)
    assert np.abs(model.coef_.sum(axis=0)).max() > 1e-3
    centred = model.coef_ - model.coef_.mean(axis=0)
    assert np.abs(centred).sum() > np.abs(model.coef_).sum()


def test_converged_is_reported(iris_scaled):
    X, y = iris_scaled
    assert SoftmaxRegression().fit(X, y).converged_ is True
    with pytest.warns(ConvergenceWarning):
        model = SoftmaxRegression(solver="lbfgs", max_iter=2).fit(X, y)
    assert model.converged_ is False
    streamed = SoftmaxRegression().partial_fit(X, y, classes=np.unique(y))
    assert streamed.converged_ is False and np.isfinite(streamed.objective_)


def test_objective_is_that_of_float32_parameters_too(iris_scaled):
    X, y = iris_scaled
    model = SoftmaxRegression(alpha=1e-2, tol=1e-8).fit(X.astype(np.float32), y)
    assert isinstance(model.objective_, float)
    assert model.objective_ == pytest.approx(_objective(model, X, y, 1e-2), rel=1e-5)
