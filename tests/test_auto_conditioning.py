"""solver="auto" on few parameters: the full Hessian unless the features are
well conditioned (scaled second-moment condition number <= 10), where
Newton-CG needs only a handful of products per step."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from softmax_regression import SoftmaxRegression, softmax_regression_path
from softmax_regression._fit_hooks import observe_solves
from softmax_regression._loss import scaled_gram_condition
from softmax_regression._penalty import make_penalty
from softmax_regression._solvers import resolve_solver
from softmax_regression.datasets import load_pendigits


def _gaussian(n=4000, d=20, k=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((k, d)) * 3 / np.sqrt(d)
    return X, np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)


def _solver_of(fit) -> str:
    reports = []
    with observe_solves(reports.append):
        fit()
    return reports[-1].solver


def test_the_condition_number_of_the_scaled_second_moments():
    X, _ = _gaussian()
    weight = np.ones(len(X))
    assert scaled_gram_condition(X, weight, True) < 1.5  # sampling noise
    rng = np.random.default_rng(1)
    raw = X * rng.lognormal(0, 2, X.shape[1]) + rng.normal(0, 50, X.shape[1])
    assert scaled_gram_condition(raw, weight, True) > 1e4
    assert scaled_gram_condition(raw - raw.mean(axis=0), weight, True) < 1.5
    assert scaled_gram_condition(
        sp.csr_matrix(raw), weight, True
    ) == pytest.approx(scaled_gram_condition(raw, weight, True), rel=1e-8)
    repeated = np.repeat(raw[:50], 3, axis=0)
    assert scaled_gram_condition(
        raw[:50], np.full(50, 3.0), True
    ) == pytest.approx(scaled_gram_condition(repeated, np.ones(150), True), rel=1e-8)
    assert scaled_gram_condition(np.c_[X, X[:, 0]], weight, True) > 1e12
    assert scaled_gram_condition(np.c_[X, np.zeros(len(X))], weight, True) == np.inf


def test_auto_takes_newton_cg_on_well_conditioned_features():
    X, y = _gaussian()
    assert _solver_of(lambda: SoftmaxRegression().fit(X, y)) == "newton-cg"
    rng = np.random.default_rng(1)
    raw = X * rng.lognormal(0, 2, X.shape[1]) + rng.normal(0, 50, X.shape[1])
    assert _solver_of(lambda: SoftmaxRegression().fit(raw, y)) == "newton-cholesky"
    pendigits, labels = load_pendigits()
    assert (
        _solver_of(lambda: SoftmaxRegression().fit(pendigits, labels))
        == "newton-cholesky"
    )
    assert (
        _solver_of(lambda: softmax_regression_path(X, y, n_alphas=2)) == "newton-cg"
    )


def test_the_conditioning_is_asked_for_only_where_it_decides():
    asked = []

    def conditioning():
        asked.append(True)
        return 1.0

    penalty = make_penalty("elasticnet", 1e-3, 0.0, 10)
    shape = dict(n_samples=1000, n_classes=10, conditioning=conditioning)
    assert resolve_solver("auto", penalty, n_features=200, **shape) == "newton-cg"
    assert resolve_solver("lbfgs", penalty, n_features=5, **shape) == "lbfgs"
    assert not asked  # many parameters, or a chosen solver
    assert resolve_solver("auto", penalty, n_features=5, **shape) == "newton-cg"
    assert asked == [True]
