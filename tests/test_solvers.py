"""The solver registry and its contract."""

import inspect

import numpy as np
import pytest

from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty
from softmax_regression._solvers import SOLVERS, SolverResult


def _objective():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    loss = MultinomialLoss(X, rng.integers(0, 3, 80), np.ones(80), 3)
    return Objective(loss, L2Penalty(0.1))


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_every_solver_has_the_shared_signature(name):
    module = SOLVERS[name]
    params = inspect.signature(module.solve).parameters
    assert list(params)[:2] == ["objective", "w0"]
    for keyword in ("tol", "max_iter", "callback"):
        assert params[keyword].kind is inspect.Parameter.KEYWORD_ONLY
    assert isinstance(module.SUPPORTED_PENALTIES, frozenset)


@pytest.mark.parametrize("name", sorted(SOLVERS))
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
