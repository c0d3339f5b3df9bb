"""The Kronecker-factored preconditioner of the Newton-CG solvers: its
factors against their definitions, its inverse against the matrix it
inverts, and its effect on the fits."""

import numpy as np
import pytest
import scipy.sparse as sp
from _spies import spy
from scipy.special import softmax

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import HessianProduct, MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty
from softmax_regression._solvers import _kronecker, _subsampled_newton
from softmax_regression._solvers._kronecker import (
    KroneckerFactors,
    jacobi,
    kronecker_factors,
)
from softmax_regression._solvers._newton_cg import preconditioned_cg


def _objective(n=300, d=4, k=3, fit_intercept=True, alpha=0.1, factor=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.lognormal(0, 1, d) + rng.normal(0, 3, d)
    weight = rng.uniform(0.5, 2.0, n)
    loss = MultinomialLoss(X, rng.integers(0, k, n), weight, k, fit_intercept)
    return Objective(loss, L2Penalty(alpha, factor=factor, n_classes=k))


def _augmented(X, fit_intercept):
    return np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_class_covariance_is_the_weighted_mean_softmax_covariance(
    fit_intercept, dtype
):
    objective = _objective(fit_intercept=fit_intercept)
    loss = objective.loss
    loss = MultinomialLoss(
        loss.X.astype(dtype), loss.target, loss.sample_weight, 3, fit_intercept
    )
    w = np.random.default_rng(1).normal(size=loss.n_params)
    coef, intercept = loss.layout.unpack(w)
    proba = softmax(loss.X @ coef.T + (0 if intercept is None else intercept), axis=1)
    s = loss.sample_weight / loss.sample_weight.sum()
    expected = np.diag(s @ proba) - (proba * s[:, None]).T @ proba
    covariance = loss.gradient_hessp(w)[3].class_covariance()
    assert covariance.dtype == np.float64
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(covariance, expected, atol=tolerance)
    np.testing.assert_allclose(covariance.sum(axis=1), 0.0, atol=tolerance)
    rows = np.arange(0, 300, 3)
    s_rows = loss.sample_weight[rows] / loss.sample_weight[rows].sum()
    expected_rows = np.diag(s_rows @ proba[rows]) - (
        proba[rows] * s_rows[:, None]
    ).T @ proba[rows]
    np.testing.assert_allclose(
        loss.take(rows).gradient_hessp(w)[3].class_covariance(),
        expected_rows,
        atol=tolerance,
    )
    # the objective's product offers the loss's (the penalty is diagonal)
    penalised = Objective(loss, L2Penalty(0.3))
    np.testing.assert_allclose(
        penalised.gradient_hessp(w)[3].class_covariance(), expected, atol=tolerance
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("density", [0.4, 0.05])  # sparse blocks densified or not
def test_feature_gram_is_the_weighted_second_moment_of_x_and_one(
    fit_intercept, sparse, density
):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 5)) * (rng.uniform(size=(200, 5)) < density)
    weight = rng.uniform(0.5, 2.0, 200)
    data = sp.csr_matrix(X) if sparse else X
    loss = MultinomialLoss(data, rng.integers(0, 3, 200), weight, 3, fit_intercept)
    augmented = _augmented(X, fit_intercept)
    s = weight / weight.sum()
    np.testing.assert_allclose(
        loss.feature_gram(), augmented.T @ (augmented * s[:, None]), atol=1e-12
    )
    rows = np.arange(10, 200, 7)
    s_rows = weight[rows] / weight[rows].sum()
    np.testing.assert_allclose(
        loss.feature_gram(rows),
        augmented[rows].T @ (augmented[rows] * s_rows[:, None]),
        atol=1e-12,
    )


def _explicit_m(class_covariance, gram, curvature, layout, null_curvature=None):
    """``A (x) B + I (x) diag(f^)`` in the flat layout; along the shift of
    every class alike, ``null_curvature`` instead of ``f^`` when given."""
    matrix = np.kron(class_covariance, gram) + np.diag(
        np.tile(curvature, layout.n_classes)
    )
    if null_curvature is not None:
        shift = np.full((layout.n_classes, 1), 1 / np.sqrt(layout.n_classes))
        matrix += np.kron(shift @ shift.T, np.diag(null_curvature - curvature))
    order = layout.augmented_order()
    return matrix[np.ix_(order, order)]


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_preconditioner_inverts_the_kronecker_matrix(fit_intercept):
    objective = _objective(fit_intercept=fit_intercept)
    layout = objective.layout
    rng = np.random.default_rng(3)
    w = rng.normal(size=objective.n_params)
    class_covariance = objective.gradient_hessp(w)[3].class_covariance()
    gram = objective.feature_gram()
    width = layout.n_features + int(fit_intercept)
    curvature = rng.uniform(0.05, 2.0, width)
    curvature[0] = 1e-6
    factors = KroneckerFactors(gram, curvature, layout)
    # along the shift of the classes: the penalty, or at least the column's
    # second moment times A's least positive eigenvalue
    least = np.sort(np.linalg.eigvalsh(class_covariance))[1]
    null_curvature = np.maximum(curvature, least * np.diag(gram))
    assert np.any(null_curvature > curvature) and np.any(null_curvature == curvature)
    matrix = _explicit_m(class_covariance, gram, curvature, layout, null_curvature)
    vector = rng.normal(size=objective.n_params)
    out = np.empty_like(vector)
    result = factors.preconditioner(class_covariance)(matrix @ vector, out)
    assert result is out
    np.testing.assert_allclose(out, vector, rtol=1e-9, atol=1e-9)


def test_factors_from_the_penalty_with_zeros_damped_by_scale():
    factor = np.array([0.0, 1.0, 3.0, 2.0])
    objective = _objective(alpha=0.5, factor=factor)
    factors = kronecker_factors(objective)
    # f^ = alpha * factor; the unpenalised feature and the intercept get
    # their second moment times the ratio sum f_k / sum B_kk of the others
    f = np.array([0.0, 0.5, 1.5, 1.0, 0.0])
    second = np.diag(objective.feature_gram())
    ratio = f[1:4].sum() / second[1:4].sum()
    expected = np.where(f > 0, f, ratio * second)
    np.testing.assert_allclose(factors.scale**-2, expected, rtol=1e-12)
    assert expected[-1] == pytest.approx(ratio)  # the intercept's B_jj is 1


def test_damping_does_not_depend_on_the_features_scale():
    # features of scale 1e150 with a penalty to match: the intercept's
    # damping follows the data, not the penalty's 1e296
    curvature = np.array([1e296, 3e296, 0.0])
    second = np.array([1e300, 3e300, 1.0])
    np.testing.assert_allclose(
        _kronecker.damped(curvature, second), [1e296, 3e296, 1e-4], rtol=1e-12
    )
    # an all-zero unpenalised column: the mean of the positive entries
    np.testing.assert_allclose(
        _kronecker.damped(np.array([1.0, 3.0, 0.0]), np.array([1.0, 1.0, 0.0])),
        [1.0, 3.0, 2.0],
    )


def test_factors_not_used_without_penalty_or_beyond_the_width(monkeypatch):
    assert kronecker_factors(_objective(alpha=0.0)) is None
    monkeypatch.setattr(_kronecker, "MAX_WIDTH", 4)
    assert kronecker_factors(_objective(d=4)) is None  # width 5 with intercept
    assert kronecker_factors(_objective(d=4, fit_intercept=False)) is not None


def test_factors_sampled_beyond_the_sample_size(monkeypatch):
    monkeypatch.setattr(_kronecker, "SAMPLE_ROWS", 100)
    samples = []
    feature_gram = Objective.feature_gram

    def recording(self, rows=None):
        samples.append(rows)
        return feature_gram(self, rows)

    monkeypatch.setattr(Objective, "feature_gram", recording)
    objective = _objective(n=300)
    factors = kronecker_factors(objective)
    rows = samples[0]
    assert len(rows) == 100 and np.all(np.diff(rows) > 0)
    np.testing.assert_allclose(
        factors.scale, kronecker_factors(objective).scale
    )  # a fixed sample
    np.testing.assert_array_equal(samples[1], rows)
    kronecker_factors(_objective(n=100))
    assert samples[2] is None


def _counting(hessp):
    count = [0]

    def counted(v):
        count[0] += 1
        return hessp(v)

    return counted, count


def test_one_product_where_the_hessian_is_a_kronecker_product():
    # At W = 0 every row has the same probabilities, so the loss Hessian is
    # exactly A (x) B; with a plain ridge penalty on every column (no
    # intercept) M is H and conjugate gradients stop after one product.
    objective = _objective(fit_intercept=False)
    w = np.zeros(objective.n_params)
    _, grad, diagonal, hessp = objective.gradient_hessp(w)
    factors = kronecker_factors(objective)
    counted, count = _counting(hessp)
    precondition = factors.preconditioner(hessp.class_covariance())
    step = preconditioned_cg(counted, -grad, precondition, 1e-10)
    assert count[0] == 1
    np.testing.assert_allclose(hessp(step), -grad, atol=1e-12)
    counted, count = _counting(hessp)
    preconditioned_cg(counted, -grad, jacobi(diagonal), 1e-10)
    assert count[0] > 1


def test_one_product_on_raw_features_of_very_different_scales():
    # Scales 2e5, 1 and a rare indicator: B's eigenvalues span 1e13, all of
    # them resolved by the eigendecomposition; zeroing those below 1e-10 of
    # the largest (the rule before) made M miss the small features'
    # curvature, and conjugate gradients took 9 products on Ecdat's HI.
    rng = np.random.default_rng(0)
    X = np.column_stack(
        [
            rng.exponential(size=2000) * 2e5,
            rng.normal(size=2000),
            rng.random(2000) < 0.01,
        ]
    ).astype(np.float64)
    loss = MultinomialLoss(X, rng.integers(0, 3, 2000), np.ones(2000), 3, False)
    objective = Objective(loss, L2Penalty(1e-4, n_classes=3))
    w = np.zeros(objective.n_params)
    _, grad, _, hessp = objective.gradient_hessp(w)
    factors = kronecker_factors(objective)
    assert np.all(factors.feature_eigenvalues > 0)
    counted, count = _counting(hessp)
    precondition = factors.preconditioner(hessp.class_covariance())
    step = preconditioned_cg(counted, -grad, precondition, 1e-10)
    assert count[0] == 1
    np.testing.assert_allclose(hessp(step), -grad, rtol=1e-8, atol=1e-12)


def test_collinear_columns_leave_a_flat_direction_of_b():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 500)) * [[1e3], [1.0]]
    X = np.column_stack([a, b, a + b])  # B is singular
    loss = MultinomialLoss(X, rng.integers(0, 3, 500), np.ones(500), 3, False)
    factors = kronecker_factors(Objective(loss, L2Penalty(1e-4, n_classes=3)))
    eigenvalues = np.sort(factors.feature_eigenvalues)
    assert eigenvalues[0] == 0.0 and np.all(eigenvalues[1:] > 0)


@pytest.mark.parametrize("solver", ["newton-cg", "subsampled-newton"])
def test_fewer_products_and_the_same_optimum_as_jacobi(solver, monkeypatch):
    # raw scales and offsets: the features' correlations with the intercept
    # are what the Jacobi preconditioner cannot see
    rng = np.random.default_rng(4)
    n = 8_000 if solver == "subsampled-newton" else 1_000
    X = rng.normal(size=(n, 6)) * rng.lognormal(0, 1.5, 6) + rng.normal(0, 20, 6)
    y = np.argmax(X @ rng.normal(size=(6, 4)) / 20 + rng.gumbel(size=(n, 4)), axis=1)
    products = {}
    fits = {}
    hessp = Objective.gradient_hessp

    # the preconditioners compared on the sampled steps themselves
    monkeypatch.setattr(_subsampled_newton, "_HESSIAN_SHARE", np.inf)
    for mode, width in [("kronecker", 1024), ("jacobi", 0)]:
        count = [0]

        def counting(self, w, count=count, **options):
            value, grad, diagonal, inner = hessp(self, w, **options)

            def counted(v):
                count[0] += 1
                return inner(v)

            product = HessianProduct(counted, inner.class_covariance)
            return value, grad, diagonal, product

        monkeypatch.setattr(Objective, "gradient_hessp", counting)
        monkeypatch.setattr(_kronecker, "MAX_WIDTH", width)
        fits[mode] = SoftmaxRegression(solver=solver, alpha=1e-3, tol=1e-7).fit(X, y)
        products[mode] = count[0]
    assert fits["kronecker"].converged_ and fits["jacobi"].converged_
    assert products["kronecker"] < products["jacobi"] / 2
    np.testing.assert_allclose(
        fits["kronecker"].predict_proba(X), fits["jacobi"].predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("solver", ["newton-cg", "subsampled-newton"])
@pytest.mark.parametrize("with_factors", [True, False])
def test_the_passes_compute_the_diagonal_only_for_jacobi(
    solver, with_factors, monkeypatch
):
    # the Hessian's diagonal (X squared, one more product a pass) serves
    # only the Jacobi preconditioner: with Kronecker factors it is skipped
    rng = np.random.default_rng(6)
    n = 8_000 if solver == "subsampled-newton" else 1_000
    X = rng.normal(size=(n, 6)) + rng.normal(0, 3, 6)
    y = np.argmax(X @ rng.normal(size=(6, 4)) + rng.gumbel(size=(n, 4)), axis=1)
    asked = []
    spy(
        monkeypatch,
        Objective,
        "gradient_hessp",
        lambda self, w, ordered=False, diagonal=True: asked.append(diagonal),
    )
    if not with_factors:
        monkeypatch.setattr(_kronecker, "MAX_WIDTH", 0)
    fit = SoftmaxRegression(solver=solver, alpha=1e-3, tol=1e-7).fit(X, y)
    assert fit.converged_
    assert asked and set(asked) == {not with_factors}


def test_penalty_factors_reach_the_full_hessian_optimum():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 5)) + rng.normal(0, 5, 5)
    y = rng.integers(0, 3, 500)
    factor = np.array([0.0, 1.0, 2.0, 0.5, 1.0])
    params = dict(alpha=1e-2, penalty_factor=factor, tol=1e-8)
    fit = SoftmaxRegression(solver="newton-cg", **params).fit(X, y)
    reference = SoftmaxRegression(solver="newton-cholesky", **params).fit(X, y)
    np.testing.assert_allclose(
        fit.predict_proba(X), reference.predict_proba(X), atol=1e-7
    )


@pytest.mark.parametrize("solver", ["newton-cg", "subsampled-newton"])
def test_features_of_scale_1e8_with_a_penalty_to_match(solver):
    # B / alpha reaches 1e35: rounding along the shift of the classes (where
    # the gradient is zero but for it) once became the whole step
    rng = np.random.default_rng(6)
    X = rng.normal(size=(30_000, 6)) * rng.uniform(0.2, 3.0, 6)
    y = np.argmax(X @ rng.normal(size=(6, 3)) + rng.gumbel(size=(30_000, 3)), axis=1)
    X *= 1e8
    params = dict(alpha=1e-19, tol=1e-7)
    fit = SoftmaxRegression(solver=solver, **params).fit(X, y)
    reference = SoftmaxRegression(solver="newton-cholesky", **params).fit(X, y)
    assert fit.converged_
    np.testing.assert_allclose(
        fit.predict_proba(X), reference.predict_proba(X), atol=1e-6
    )
