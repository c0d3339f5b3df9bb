"""Curvature pairs carried from one conjugate-gradient solve to the next."""

from types import SimpleNamespace

import numpy as np
import pytest

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import ParameterLayout
from softmax_regression._solvers import _curvature_pairs, _kronecker, _newton_cg
from softmax_regression._solvers._curvature_pairs import (
    MIN_SEARCHED,
    CarriedPairs,
    carried_pairs,
)
from softmax_regression._solvers._newton_cg import conjugate_gradients


def _ill_conditioned(n=200, change=0.0):
    """A symmetric positive definite matrix whose eigenvalues cluster in
    [1, 2] but for a few from 1e-2 to 1e4 (the directions a preconditioner
    missed), each times up to ``1 + change`` (the next Newton step's), and
    a right-hand side."""
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eigenvalues = rng.uniform(1.0, 2.0, size=n)
    eigenvalues[:12] = np.logspace(-2, 4, 12)
    eigenvalues *= 1 + change * np.random.default_rng(1).uniform(size=n)
    matrix = (basis * eigenvalues) @ basis.T
    return (matrix + matrix.T) / 2, rng.normal(size=n)


def _product(matrix):
    def product(v, out):
        np.dot(matrix, v, out=out)
        return out

    return product


def _identity(residual, out):
    out[...] = residual
    return out


def _as_matrix(precondition, n):
    return np.column_stack([precondition(e, np.empty(n)) for e in np.eye(n)])


def test_the_next_solve_takes_fewer_products():
    matrix, rhs = _ill_conditioned()
    pairs = CarriedPairs()
    first = conjugate_gradients(_product(matrix), rhs, _identity, 1e-6, pairs)
    assert first.n_products >= MIN_SEARCHED and len(pairs.pairs) == pairs.size
    # a nearby matrix (the next Newton step's) and another right-hand side
    nearby, _ = _ill_conditioned(change=0.05)
    other = np.random.default_rng(2).normal(size=len(rhs))
    alone = conjugate_gradients(_product(nearby), other, _identity, 1e-6)
    carried = conjugate_gradients(_product(nearby), other, _identity, 1e-6, pairs)
    assert carried.n_products < 0.7 * alone.n_products
    # the same solution, to the tolerance asked
    exact = np.linalg.solve(nearby, other)
    for solve in (alone, carried):
        residual = np.linalg.norm(nearby @ solve.step - other)
        assert residual <= 1e-6 * np.linalg.norm(other) * (1 + 1e-9)
    np.testing.assert_allclose(carried.step, exact, rtol=0, atol=1e-3)


def test_the_preconditioner_is_symmetric_positive_definite_and_secant():
    matrix, rhs = _ill_conditioned(n=60)
    matrix += np.diag(np.linspace(1.0, 50.0, 60))  # for Jacobi to correct
    pairs = CarriedPairs()
    jacobi = 1.0 / np.diag(matrix)

    def base(residual, out):
        return np.multiply(jacobi, residual, out=out)

    conjugate_gradients(_product(matrix), rhs, base, 1e-10, pairs)
    precondition = pairs.preconditioner(base)
    inverse = _as_matrix(precondition, len(rhs))
    np.testing.assert_allclose(inverse, inverse.T, atol=1e-10 * np.abs(inverse).max())
    assert np.linalg.eigvalsh((inverse + inverse.T) / 2).min() > 0
    # the newest pair's secant equation, M^-1 (H s) = s, as for any BFGS
    # update (the older pairs' too, were the directions still conjugate)
    direction, product, _ = pairs.pairs[-1]
    np.testing.assert_allclose(
        precondition(product, np.empty(len(rhs))), direction, rtol=1e-8, atol=1e-10
    )


def test_without_pairs_the_base_preconditioner_serves():
    pairs = CarriedPairs()
    assert pairs.preconditioner(_identity) is _identity


def test_a_short_solve_leaves_the_next_unchanged():
    rng = np.random.default_rng(0)
    pairs = CarriedPairs(size=2)
    pairs.preconditioner(_identity)
    for _ in range(MIN_SEARCHED - 1):
        pairs.record(rng.normal(size=4), rng.normal(size=4), 1.0)
    pairs.keep()
    assert pairs.pairs == [] and not pairs._recorded
    assert pairs.preconditioner(_identity) is _identity


def test_a_direction_flat_to_rounding_is_not_recorded():
    pairs = CarriedPairs(size=2)
    pairs.preconditioner(_identity)
    pairs.record(np.ones(3), np.full(3, 1e10), 1e-300)
    pairs.record(np.ones(3), np.full(3, 2.0), 6.0)
    assert [pair[2] for pair in pairs._recorded] == [1 / 6.0]


def test_kept_pairs_are_spread_evenly_over_the_solve():
    pairs = CarriedPairs(size=4)
    pairs.preconditioner(_identity)
    n_directions = 100
    for index in range(n_directions):
        # the curvature labels the direction: 1 / curvature is kept
        pairs.record(np.ones(1), np.ones(1), 1.0 / index if index else np.inf)
    pairs.keep()
    kept = [inverse_curvature for _, _, inverse_curvature in pairs.pairs]
    # recorded at a stride that doubled to 16: directions 0, 16, ..., 96
    np.testing.assert_array_equal(kept, [0, 32, 64, 96])
    # a fresh record starts with the next solve
    pairs.preconditioner(_identity)
    for index in range(MIN_SEARCHED):
        pairs.record(np.ones(1), np.ones(1), 1.0 / (index + 1))
    pairs.keep()
    assert pairs.pairs[0][2] == 1


def _shaped(n_samples, n_features, n_classes, sparse=False):
    layout = ParameterLayout(n_classes, n_features, True)
    return SimpleNamespace(
        n_samples=n_samples, n_params=layout.n_params, layout=layout, sparse=sparse
    )


def test_pairs_only_where_a_product_is_large_and_the_data_larger():
    assert carried_pairs(_shaped(1797, 64, 10), 1797) is None  # digits
    fashion = _shaped(60000, 784, 10)
    pairs = carried_pairs(fashion, 6000)  # products on a tenth of the rows
    assert isinstance(pairs, CarriedPairs)
    assert pairs.pairs == []  # none kept yet
    assert carried_pairs(fashion, 500) is None  # products too small
    assert carried_pairs(_shaped(60000, 784, 10, sparse=True), 6000) is None
    # 100 classes: 48 vectors of 78,500 parameters, 5.3% of X's entries
    assert carried_pairs(_shaped(90000, 784, 100), 9000) is None
    assert isinstance(carried_pairs(_shaped(250000, 784, 100), 9000), CarriedPairs)


def _correlated_problem(n, d, k):
    """Correlated features, a strong signal and a weak penalty: conjugate
    gradients take tens of products per solve despite the Kronecker
    preconditioner."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3
    X += rng.normal(size=(n, d))
    logits = X @ rng.normal(size=(d, k))
    return X, np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)


def _counted_products(monkeypatch):
    counts = []
    solve = _newton_cg.conjugate_gradients

    def counting(*args, **kwargs):
        result = solve(*args, **kwargs)
        counts.append((result.n_products, args[-1] if len(args) > 4 else None))
        return result

    monkeypatch.setattr(_newton_cg, "conjugate_gradients", counting)
    return counts


@pytest.mark.parametrize(
    "solver, shape",
    [("newton-cg", (8000, 50, 10)), ("subsampled-newton", (20000, 40, 8))],
)
def test_fits_with_pairs_reach_the_optimum_in_fewer_products(
    solver, shape, monkeypatch
):
    X, y = _correlated_problem(*shape)
    params = dict(solver=solver, alpha=1e-6, tol=1e-7)
    monkeypatch.setattr(_curvature_pairs, "MIN_PRODUCT_SIZE", 0)
    monkeypatch.setattr(_curvature_pairs, "MAX_DATA_SHARE", np.inf)
    counts = _counted_products(monkeypatch)
    with_pairs = SoftmaxRegression(**params).fit(X, y)
    used = [n for n, pairs in counts if pairs is not None]
    assert used and len(used) == len(counts)
    products_with = sum(n for n, _ in counts)
    counts.clear()
    monkeypatch.setattr(_curvature_pairs, "MIN_PRODUCT_SIZE", np.inf)
    without = SoftmaxRegression(**params).fit(X, y)
    assert all(pairs is None for _, pairs in counts)
    products_without = sum(n for n, _ in counts)
    assert products_with < 0.85 * products_without
    reference = SoftmaxRegression(solver="newton-cholesky", alpha=1e-6, tol=1e-9)
    reference.fit(X, y)
    for fit in (with_pairs, without):
        assert fit.converged_
        np.testing.assert_allclose(
            fit.predict_proba(X), reference.predict_proba(X), atol=1e-6
        )


@pytest.mark.parametrize("solver", ["newton-cg", "subsampled-newton"])
def test_no_pairs_over_the_jacobi_preconditioner(solver, monkeypatch):
    # over the Jacobi preconditioner they saved nothing on Fashion-MNIST
    X, y = _correlated_problem(8000, 50, 10)
    monkeypatch.setattr(_curvature_pairs, "MIN_PRODUCT_SIZE", 0)
    monkeypatch.setattr(_curvature_pairs, "MAX_DATA_SHARE", np.inf)
    monkeypatch.setattr(_kronecker, "MAX_WIDTH", 10)  # no Kronecker factors
    counts = _counted_products(monkeypatch)
    SoftmaxRegression(solver=solver, alpha=1e-4, tol=1e-4).fit(X, y)
    assert counts and all(pairs is None for _, pairs in counts)
