"""The solver registry and its contract."""

import inspect

import numpy as np
import pytest
import scipy.sparse as sp

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty, make_penalty
from softmax_regression._solvers import (
    EXACT_SOLVERS,
    SOLVERS,
    SolverResult,
    resolve_solver,
    select_solver,
)


def _objective():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    loss = MultinomialLoss(X, rng.integers(0, 3, 80), np.ones(80), 3)
    return Objective(loss, L2Penalty(0.1))


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_every_solver_has_the_common_signature(name):
    module = SOLVERS[name]
    params = inspect.signature(module.solve).parameters
    assert list(params)[:2] == ["objective", "w0"]
    for keyword in ("tol", "max_iter", "callback"):
        assert params[keyword].kind is inspect.Parameter.KEYWORD_ONLY
    assert isinstance(module.NEEDS, frozenset)


@pytest.mark.parametrize("name", EXACT_SOLVERS)
def test_solver_reaches_stationary_point_and_reports_iterations(name):
    objective = _objective()
    calls = []
    result = SOLVERS[name].solve(
        objective,
        np.zeros(objective.n_params),
        tol=1e-10,
        max_iter=500,
        callback=lambda *args: calls.append(args),
    )
    assert isinstance(result, SolverResult) and result.converged
    _, grad = objective.value_and_grad(result.x)
    assert np.max(np.abs(grad)) < 1e-8
    assert result.fun == pytest.approx(objective.value(result.x), rel=1e-14)
    assert len(calls) == result.n_iter > 0
    n_iter, w, value, grad_max = calls[-1]
    assert np.isfinite(value) and grad_max < 1e-8
    assert n_iter == result.n_iter and w.shape == (objective.n_params,)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_max_iter_zero_returns_start(name):
    objective = _objective()
    w0 = np.full(objective.n_params, 0.1)
    result = SOLVERS[name].solve(objective, w0, tol=1e-4, max_iter=0)
    np.testing.assert_array_equal(result.x, w0)
    assert result.n_iter == 0 and not result.converged


@pytest.fixture
def problems(iris_scaled, digits):
    """Standardised iris and digits, and digits' raw pixels / 16 as CSR."""
    from sklearn.preprocessing import StandardScaler

    digits_X, digits_y = digits
    return {
        "iris": iris_scaled,
        "digits": (StandardScaler().fit_transform(digits_X), digits_y),
        "digits-csr": (
            sp.csr_matrix(digits_X / 16.0),  # raw pixels, sparse
            digits_y,
        ),
    }


@pytest.mark.parametrize("problem", ["iris", "digits", "digits-csr"])
def test_every_pair_of_solvers_reaches_the_same_optimum(problems, problem):
    X, y = problems[problem]
    fits = {
        name: SoftmaxRegression(solver=name, alpha=1e-3, tol=1e-9, max_iter=5000).fit(
            X, y
        )
        for name in EXACT_SOLVERS
    }
    names = sorted(fits)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            gap = np.max(
                np.abs(fits[first].predict_proba(X) - fits[second].predict_proba(X))
            )
            assert gap < 1e-6, (first, second, gap)


@pytest.mark.parametrize("name", ["newton-cg", "newton-cholesky"])
def test_newton_solvers_are_insensitive_to_feature_scale(name):
    from _datasets import load_pendigits

    X, y = load_pendigits()  # raw features in [0, 100]: L-BFGS needs minutes
    fit = SoftmaxRegression(solver=name, tol=1e-8).fit(X, y)
    assert fit.n_iter_ < 60
    reference = SoftmaxRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    gap = np.max(np.abs(fit.predict_proba(X) - reference.predict_proba(X)))
    assert gap < 1e-6


def test_auto_resolves_by_shape_and_conditioning_into_a_private_attribute():
    rng = np.random.default_rng(0)
    uncentred = rng.normal(loc=100.0, size=(50, 3))  # ill-conditioned
    small = SoftmaxRegression().fit(uncentred, np.arange(50) % 3)
    assert small.solver == "auto" and small._solver == "newton-cholesky"
    centred = SoftmaxRegression().fit(uncentred - 100.0, np.arange(50) % 3)
    assert centred._solver == "newton-cg"
    assert select_solver(60_000, 784, 10) == "subsampled-newton"
    assert select_solver(11_314, 784, 10) == "newton-cg"
    assert select_solver(7_494, 16, 10) == "newton-cholesky"


@pytest.mark.parametrize("name", EXACT_SOLVERS)
def test_thread_count_does_not_change_the_result(problems, name):
    X, y = problems["digits"]
    fits = [
        SoftmaxRegression(solver=name, tol=1e-10, max_iter=5000, n_jobs=n_jobs).fit(
            X, y
        )
        for n_jobs in (1, 2)
    ]
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=1e-9, atol=1e-12)
    again = SoftmaxRegression(solver=name, tol=1e-10, max_iter=5000, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(again.coef_, fits[1].coef_)  # bit-identical


@pytest.mark.parametrize("name", EXACT_SOLVERS)
def test_float32_fit_stays_float32_and_close(problems, name):
    X, y = problems["digits"]
    params = dict(solver=name, alpha=1e-3, tol=1e-6)
    fit32 = SoftmaxRegression(**params).fit(X.astype(np.float32), y)
    fit64 = SoftmaxRegression(**params).fit(X, y)
    assert fit32.coef_.dtype == np.float32
    gap = np.max(np.abs(fit32.predict_proba(X) - fit64.predict_proba(X)))
    assert gap < 1e-3


def check_solver_penalty(solver, name):
    """resolve_solver on in-memory data for the penalty ``name``."""
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(name, 0.5)
    penalty = make_penalty(name, 1e-4, l1_ratio, 3)
    resolve_solver(solver, penalty, n_samples=100, n_features=3, n_classes=3)


def test_solver_table_is_checked_from_declared_needs():
    check_solver_penalty("lbfgs", "l2")
    for name in ("l2", "l1", "elasticnet", "group"):
        check_solver_penalty("fista", name)
    with pytest.raises(
        ValueError,
        match="solver='lbfgs' does not support the 'l1' penalty "
        r"\(l1_ratio > 0\): use solver='fista' or solver='prox-newton' or "
        "solver='auto'",
    ):
        check_solver_penalty("lbfgs", "l1")
