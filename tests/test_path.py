"""softmax_regression_path: the same solutions as independent fits, cheaper."""

import numpy as np
import pytest

from softmax_regression import SoftmaxRegression, softmax, softmax_regression_path
from softmax_regression._loss import MultinomialLoss

ALPHAS = np.logspace(0, -5, 6)


def _proba(X, coef, intercept):
    return softmax(X @ coef.T + intercept, axis=1)


@pytest.mark.parametrize("solver", ["newton-cg", "newton-cholesky", "lbfgs"])
def test_path_points_are_the_cold_fits(wine_scaled, solver):
    X, y = wine_scaled
    tol = 1e-9 if solver == "lbfgs" else 1e-10
    alphas, coefs, intercepts, n_iters = softmax_regression_path(
        X, y, ALPHAS, solver=solver, tol=tol, max_iter=10_000
    )
    np.testing.assert_array_equal(alphas, ALPHAS)
    assert coefs.shape == (6, 3, 13) and intercepts.shape == (6, 3)
    assert n_iters.shape == (6,) and np.all(n_iters > 0)
    for alpha, coef, intercept in zip(alphas, coefs, intercepts, strict=True):
        cold = SoftmaxRegression(alpha=alpha, solver=solver, tol=tol, max_iter=10_000)
        cold.fit(X, y)
        np.testing.assert_allclose(
            _proba(X, coef, intercept), cold.predict_proba(X), atol=1e-6
        )
        np.testing.assert_allclose(intercept.sum(), 0.0, atol=1e-12)


def test_warm_starts_take_fewer_iterations_than_cold_fits(wine_scaled):
    X, y = wine_scaled
    _, _, _, n_iters = softmax_regression_path(
        X, y, np.logspace(0, -4, 9), solver="newton-cg", tol=1e-8
    )
    cold = [
        SoftmaxRegression(alpha=alpha, solver="newton-cg", tol=1e-8).fit(X, y).n_iter_
        for alpha in np.logspace(0, -4, 9)
    ]
    assert n_iters[0] == cold[0]  # the first point starts from zero as well
    assert n_iters.sum() < 0.7 * sum(cold)


def test_alphas_are_sorted_decreasing_and_checked(wine_scaled):
    X, y = wine_scaled
    alphas, coefs, _, _ = softmax_regression_path(X, y, [1e-3, 1.0, 1e-1])
    np.testing.assert_array_equal(alphas, [1.0, 1e-1, 1e-3])
    # a stronger penalty gives smaller coefficients
    norms = np.linalg.norm(coefs.reshape(3, -1), axis=1)
    assert np.all(np.diff(norms) > 0)
    with pytest.raises(ValueError, match="alphas must be >= 0"):
        softmax_regression_path(X, y, [1.0, -1.0])


def _max_gradient_at_null(X, y):
    classes, target = np.unique(y, return_inverse=True)
    loss = MultinomialLoss(X, target, np.ones(len(y)), len(classes))
    w = np.zeros(loss.n_params)
    w[loss.n_coef :] = np.log(np.bincount(target) / len(y))
    return np.max(np.abs(loss.value_and_grad(w)[1][: loss.n_coef]))


def test_default_grid(wine_scaled):
    X, y = wine_scaled
    alphas, coefs, _, _ = softmax_regression_path(X, y, n_alphas=4)
    # pure L2: alpha_max = G / 0.001, down to 1e-6 alpha_max
    alpha_max = _max_gradient_at_null(X, y) / 1e-3
    np.testing.assert_allclose(alphas, np.geomspace(alpha_max, 1e-6 * alpha_max, 4))
    # at alpha_max the model is close to the null model
    assert np.max(np.abs(coefs[0])) < 1e-2
    alphas, _, _, _ = softmax_regression_path(X, y, n_alphas=3, eps=1e-2)
    np.testing.assert_allclose(alphas, alpha_max * np.array([1, 1e-1, 1e-2]))


def test_integer_sample_weight_is_repeated_rows(wine_scaled):
    X, y = wine_scaled
    weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    weighted = softmax_regression_path(
        X, y, ALPHAS[:3], sample_weight=weight, tol=1e-10
    )
    repeated = softmax_regression_path(
        np.repeat(X, weight, axis=0), np.repeat(y, weight), ALPHAS[:3], tol=1e-10
    )
    np.testing.assert_allclose(weighted[1], repeated[1], atol=1e-7)
    np.testing.assert_allclose(weighted[2], repeated[2], atol=1e-7)


def test_class_weight_and_no_intercept(iris):
    X, y = iris
    class_weight = {0: 2.0, 1: 1.0, 2: 0.5}
    _, coefs, intercepts, _ = softmax_regression_path(
        X, y, [1e-2], class_weight=class_weight, fit_intercept=False, tol=1e-10
    )
    fit = SoftmaxRegression(
        alpha=1e-2, class_weight=class_weight, fit_intercept=False, tol=1e-10
    ).fit(X, y)
    np.testing.assert_allclose(coefs[0], fit.coef_, atol=1e-7)
    np.testing.assert_array_equal(intercepts[0], 0.0)


def test_float32_stays_float32(wine_scaled):
    X, y = wine_scaled
    _, coefs, intercepts, _ = softmax_regression_path(X.astype(np.float32), y, [0.1])
    assert coefs.dtype == np.float32 and intercepts.dtype == np.float32


def test_l1_ratio_is_validated_and_checked_against_the_solver(wine_scaled):
    X, y = wine_scaled
    with pytest.raises(ValueError, match="l1_ratio"):
        softmax_regression_path(X, y, [0.1], l1_ratio=1.5)
    # the smooth solvers cannot minimise an L1 part: the solver check says so
    with pytest.raises(ValueError, match="does not support the 'elasticnet' penalty"):
        softmax_regression_path(X, y, [0.1], l1_ratio=0.5, solver="newton-cg")


def test_single_class_is_rejected():
    with pytest.raises(ValueError, match="at least 2 classes"):
        softmax_regression_path(np.ones((4, 2)), np.zeros(4), [0.1])


def test_repeated_alphas_give_repeated_points(wine_scaled):
    X, y = wine_scaled
    alphas, coefs, _, _ = softmax_regression_path(
        X, y, [1.0, 0.1, 0.1, 0.01], tol=1e-10
    )
    np.testing.assert_array_equal(alphas, [1.0, 0.1, 0.1, 0.01])
    assert np.all(np.isfinite(coefs))
    np.testing.assert_allclose(coefs[1], coefs[2], atol=1e-8)


@pytest.mark.parametrize("penalty", ["elasticnet", "group"])
def test_sparse_path_points_are_the_cold_fits(wine_scaled, penalty):
    X, y = wine_scaled
    alphas, coefs, intercepts, _ = softmax_regression_path(
        X, y, n_alphas=6, l1_ratio=0.5, penalty=penalty, tol=1e-9, max_iter=10_000
    )
    # the default grid starts where every coefficient (column) is zero
    assert not np.any(coefs[0]) and np.any(coefs[-1])
    for alpha, coef, intercept in zip(alphas, coefs, intercepts, strict=True):
        cold = SoftmaxRegression(
            alpha=alpha, l1_ratio=0.5, penalty=penalty, tol=1e-9, max_iter=10_000
        ).fit(X, y)
        np.testing.assert_allclose(
            _proba(X, coef, intercept), cold.predict_proba(X), atol=1e-6
        )
        np.testing.assert_array_equal(coef == 0, cold.coef_ == 0)
    if penalty == "group":  # whole feature columns are zero or not
        kept = np.any(coefs != 0, axis=1)
        np.testing.assert_array_equal(kept, np.all(coefs != 0, axis=1))


def test_wide_sparse_path_is_read_by_columns_once_and_equals_dense():
    """A wide CSR matrix becomes CSC once for the whole path (not per alpha),
    and the path is the dense one."""
    import scipy.sparse as sp

    from softmax_regression._search._path import PathProblem

    rng = np.random.default_rng(0)
    X = sp.random(40, 200, density=0.1, format="csr", random_state=rng)
    y = rng.integers(0, 3, 40)
    problem = PathProblem(X, y, np.ones(40), np.arange(3))
    assert problem.X.format == "csc"
    alphas = [1e-1, 1e-2]
    sparse = softmax_regression_path(X, y, alphas, tol=1e-10)
    dense = softmax_regression_path(X.toarray(), y, alphas, tol=1e-10)
    np.testing.assert_allclose(sparse[1], dense[1], atol=1e-7)
