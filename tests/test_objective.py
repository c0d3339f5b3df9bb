"""Objective: loss + penalty on W only, in float64."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty


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
