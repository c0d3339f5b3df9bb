"""The stopping rule every smooth solver shares: ``max |grad| <= tol`` and a
Newton decrement ``sqrt(g^T H^-1 g) <= tol``, so the same ``tol`` means the
same distance from the optimum (about ``tol**2 / 2``) for every solver."""

import numpy as np
import pytest

from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty
from softmax_regression._solvers import SOLVERS
from softmax_regression._solvers._lbfgs import CurvaturePairs

SMOOTH_SOLVERS = ["lbfgs", "newton-cg", "newton-cholesky", "subsampled-newton"]


def _raw_tabular_objective():
    """Raw-scaled, offset features: a badly conditioned problem, where the
    gradient's max norm says little about the gap."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 6))
    coef = rng.normal(size=(4, 6))
    y = np.argmax(X @ coef.T + rng.gumbel(size=(3000, 4)), axis=1)
    X = X * rng.lognormal(0, 1.5, 6) + rng.normal(0, 20, 6)
    loss = MultinomialLoss(X, y, np.ones(3000), 4)
    return Objective(loss, L2Penalty(1e-4))


@pytest.fixture(scope="module")
def raw_problem():
    objective = _raw_tabular_objective()
    w0 = np.zeros(objective.n_params)
    best = SOLVERS["newton-cholesky"].solve(objective, w0, tol=1e-12, max_iter=100)
    assert best.converged
    return objective, best.fun


@pytest.mark.parametrize("tol", [1e-2, 1e-3])
@pytest.mark.parametrize("name", SMOOTH_SOLVERS)
def test_every_solver_stops_within_tol_squared_of_the_optimum(raw_problem, name, tol):
    objective, f_star = raw_problem
    w0 = np.zeros(objective.n_params)
    result = SOLVERS[name].solve(objective, w0, tol=tol, max_iter=100_000)
    assert result.converged, result.message
    assert "decrement" in result.message
    # lambda^2 / 2 estimates the gap to second order: allow a factor of 2.
    assert 0 <= result.fun - f_star <= tol**2
    _, grad = objective.value_and_grad(result.x)
    assert np.max(np.abs(grad)) <= tol


def test_the_gradient_alone_stops_far_from_the_optimum(raw_problem):
    """Why the decrement is needed: on this problem an iterate with every
    gradient entry below tol lies further than tol**2 from the optimum."""
    objective, f_star = raw_problem
    tol, gaps = 1e-2, []

    def record(n_iter, w, value, grad_max):
        if grad_max <= tol:
            gaps.append(value - f_star)

    SOLVERS["lbfgs"].solve(
        objective,
        np.zeros(objective.n_params),
        tol=1e-6,
        max_iter=100_000,
        callback=record,
    )
    assert max(gaps) > tol**2


@pytest.mark.parametrize("name", SMOOTH_SOLVERS)
def test_a_start_at_the_optimum_stops_at_once(raw_problem, name):
    objective, _ = raw_problem
    best = SOLVERS["newton-cholesky"].solve(
        objective, np.zeros(objective.n_params), tol=1e-10, max_iter=100
    )
    result = SOLVERS[name].solve(objective, best.x, tol=1e-6, max_iter=100)
    assert result.converged and result.n_iter == 0


def test_curvature_pairs_invert_a_multiple_of_the_identity():
    rng = np.random.default_rng(0)
    pairs = CurvaturePairs(3)
    assert pairs.decrement(np.ones(4)) == np.inf
    for _ in range(5):
        point = rng.normal(size=4)
        pairs.add(point, 2.5 * point)  # the gradient of 1.25 |w|^2
    grad = rng.normal(size=4)
    assert pairs.decrement(grad) == pytest.approx(grad @ grad / 2.5, rel=1e-12)
    assert len(pairs.pairs) == 3


def test_curvature_pairs_skip_steps_without_positive_curvature():
    pairs = CurvaturePairs(3)
    pairs.add(np.zeros(2), np.zeros(2))
    pairs.add(np.ones(2), -np.ones(2))  # s . y < 0
    assert not pairs.pairs

