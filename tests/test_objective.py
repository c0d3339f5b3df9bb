"""Objective: loss + penalty on W only, in float64."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime

from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import ElasticNetPenalty, L2Penalty


@pytest.fixture
def objective():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    loss = MultinomialLoss(X, rng.integers(0, 3, 30), np.ones(30), 3)
    return Objective(loss, L2Penalty(0.7))


def test_gradient_and_hessp_include_penalty_but_not_intercept(objective):
    w = np.random.default_rng(1).normal(size=objective.n_params)
    value, grad = objective.value_and_grad(w)
    assert grad.dtype == np.float64
    coef = w[:12]
    assert value == pytest.approx(
        objective.loss.value(w) + 0.35 * coef @ coef, rel=1e-6
    )
    np.testing.assert_allclose(grad, approx_fprime(w, objective.value, 1e-3), atol=2e-3)
    loss_grad = objective.loss.value_and_grad(w)[1]
    np.testing.assert_allclose(grad[12:], loss_grad[12:], rtol=1e-6)
    np.testing.assert_allclose(grad[:12] - loss_grad[:12], 0.7 * coef, rtol=1e-5)
    v = np.zeros_like(w)
    v[12:] = 1.0  # a direction moving only the intercepts: no penalty curvature
    np.testing.assert_allclose(
        objective.hessp(w, v), objective.loss.hessp(w, v), atol=1e-7
    )
    assert objective.penalty_name == "l2"


def test_prox_and_optimality_leave_the_intercepts_unpenalised():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 4))
    loss = MultinomialLoss(X, rng.integers(0, 3, 30), np.ones(30), 3)
    objective = Objective(loss, ElasticNetPenalty(1.0, 1.0))
    assert not objective.smooth and objective.penalty_name == "l1"
    w = rng.normal(size=objective.n_params)
    proxed = objective.prox(w, 0.5)
    np.testing.assert_array_equal(proxed[12:], w[12:])
    np.testing.assert_allclose(
        proxed[:12], np.sign(w[:12]) * np.maximum(np.abs(w[:12]) - 0.5, 0)
    )
    value, grad = objective.loss_value_and_grad(w)
    assert value == pytest.approx(objective.loss_value(w))
    assert objective.value(w) == pytest.approx(value + np.sum(np.abs(w[:12])))
    assert objective.penalty_value(w) == pytest.approx(np.sum(np.abs(w[:12])))
    expected = max(
        np.max(np.abs(grad[:12] + np.sign(w[:12]))), np.max(np.abs(grad[12:]))
    )
    assert objective.optimality(w, grad) == pytest.approx(expected)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_feature_moments_dense_and_sparse(fit_intercept):
    rng = np.random.default_rng(3)
    X = rng.normal(loc=5, size=(200, 3)) * [1, 10, 0.1]
    weight = rng.uniform(0.5, 2, 200)
    mean = weight @ X / weight.sum()
    centre = mean if fit_intercept else np.zeros(3)
    spread = weight @ (X - centre) ** 2 / weight.sum()
    for data in (X, sp.csr_matrix(X)):
        loss = MultinomialLoss(
            data, rng.integers(0, 3, 200), weight, 3, fit_intercept=fit_intercept
        )
        got_centre, got_spread = Objective(loss, L2Penalty(1.0)).feature_moments()
        np.testing.assert_allclose(got_centre, centre, rtol=1e-12)
        np.testing.assert_allclose(got_spread, spread, rtol=1e-10)
