"""Non-smooth penalties end to end: optimality (KKT) conditions at the
fitted solution, exact zeros, the group structure, and the proximal solvers
(FISTA and proximal Newton)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression, softmax
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import ElasticNetPenalty, GroupElasticNetPenalty
from softmax_regression._solvers import SOLVERS
from softmax_regression._solvers._centring import Centring

ALPHA = 0.02


@pytest.fixture
def wine_weighted(wine_scaled):
    """wine_scaled's ``(X, y)`` and random sample weights in [0.2, 3]."""
    X, y = wine_scaled
    weight = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
    return X, y, weight


def _loss_gradient(clf, X, y, weight):
    """Gradient of the weighted mean cross-entropy at the fitted model, in
    float64 from scratch: ``(dL/dW, dL/db)``."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X = X.astype(np.float64)
    coef = clf.coef_.astype(np.float64)
    logits = X @ coef.T + clf.intercept_.astype(np.float64)
    residual = softmax(logits, axis=1)
    residual[np.arange(len(y)), np.searchsorted(clf.classes_, y)] -= 1
    residual *= (weight / weight.sum())[:, None]
    return residual.T @ X, residual.sum(axis=0)


def assert_kkt(clf, X, y, weight, atol):
    """The subgradient optimality conditions of the fitted model."""
    grad_coef, grad_intercept = _loss_gradient(clf, X, y, weight)
    if clf.fit_intercept:
        np.testing.assert_allclose(grad_intercept, 0.0, atol=atol)
    coef = clf.coef_.astype(np.float64)
    l1 = clf.alpha * clf.l1_ratio
    smooth = grad_coef + clf.alpha * (1 - clf.l1_ratio) * coef
    if clf.penalty == "group":
        norms = np.linalg.norm(coef, axis=0)
        kept = norms > 0
        # dropped features: ||g_j|| <= alpha * l1_ratio
        assert np.all(np.linalg.norm(smooth[:, ~kept], axis=0) <= l1 + atol)
        # kept features: g_j + alpha * l1_ratio * w_j / ||w_j|| = 0
        stationary = smooth[:, kept] + l1 * coef[:, kept] / norms[kept]
        np.testing.assert_allclose(stationary, 0.0, atol=atol)
    else:
        zero = coef == 0
        assert np.all(np.abs(smooth[zero]) <= l1 + atol)
        stationary = smooth[~zero] + l1 * np.sign(coef[~zero])
        np.testing.assert_allclose(stationary, 0.0, atol=atol)


CASES = {
    "l1": dict(l1_ratio=1.0),
    "elasticnet": dict(l1_ratio=0.5),
    "group-lasso": dict(l1_ratio=1.0, penalty="group"),
    "group-elasticnet": dict(l1_ratio=0.6, penalty="group"),
}


PROXIMAL = ["fista", "prox-newton"]


@pytest.mark.parametrize("solver", PROXIMAL)
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_satisfies_the_subgradient_optimality_conditions(
    wine_weighted, case, container, dtype, solver
):
    X, y, weight = wine_weighted
    X = container(X.astype(dtype))
    tol, atol = (1e-9, 1e-8) if dtype == np.float64 else (1e-5, 1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = SoftmaxRegression(
            alpha=ALPHA, tol=tol, max_iter=20_000, solver=solver, **CASES[case]
        )
        clf.fit(X, y, sample_weight=weight)
    assert clf.coef_.dtype == dtype
    assert_kkt(clf, X, y, weight, atol)
    assert np.any(clf.coef_ == 0), "the penalty should select"


@pytest.mark.parametrize("solver", PROXIMAL)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_uncentred_badly_scaled_features(wine_weighted, solver, fit_intercept):
    """Raw-scale features (offset 50, scales 0.1 to 100): the centred
    coordinates and the per-feature metric keep the fits quick and exact."""
    X, y, weight = wine_weighted
    X = 50 + X * np.logspace(-1, 2, X.shape[1])
    for penalty in ("elasticnet", "group"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            clf = SoftmaxRegression(
                alpha=ALPHA,
                l1_ratio=0.5,
                penalty=penalty,
                solver=solver,
                fit_intercept=fit_intercept,
                tol=1e-8,
                max_iter=3000,
            ).fit(X, y, weight)
        assert_kkt(clf, X, y, weight, 1e-7)
        assert np.any(clf.coef_ == 0)
        if not fit_intercept:
            np.testing.assert_array_equal(clf.intercept_, 0.0)


def test_elastic_net_zeros_entries_and_group_lasso_zeros_whole_features(wine_scaled):
    X, y = wine_scaled
    enet = SoftmaxRegression(alpha=0.05, l1_ratio=1.0, tol=1e-8).fit(X, y)
    zero = enet.coef_ == 0
    # entrywise sparsity: some features are dropped for some classes only
    assert np.any(zero.any(axis=0) & ~zero.all(axis=0))
    group = SoftmaxRegression(alpha=0.05, l1_ratio=1.0, penalty="group", tol=1e-8)
    group.fit(X, y)
    zero = group.coef_ == 0
    assert np.array_equal(zero.any(axis=0), zero.all(axis=0))
    assert 0 < zero.all(axis=0).sum() < X.shape[1]


@pytest.mark.parametrize("penalty", ["elasticnet", "group"])
def test_alpha_above_the_critical_value_drops_every_feature(wine_weighted, penalty):
    """At ``W = 0`` (with the intercepts at their optimum) the loss gradient
    ``g`` gives the smallest ``alpha`` with an all-zero solution:
    ``max |g_kj|`` (or ``max_j ||g_j||`` for groups) over ``l1_ratio``."""
    X, y, weight = wine_weighted
    null = SoftmaxRegression(alpha=1e6, l1_ratio=1.0, penalty=penalty, tol=1e-12)
    null.fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(null.coef_, 0.0)
    grad_coef, _ = _loss_gradient(null, X, y, weight)
    size = np.linalg.norm(grad_coef, axis=0) if penalty == "group" else grad_coef
    critical = np.max(np.abs(size))
    params = dict(l1_ratio=1.0, penalty=penalty, tol=1e-10)
    above = SoftmaxRegression(alpha=1.001 * critical, **params)
    np.testing.assert_array_equal(above.fit(X, y, weight).coef_, 0.0)
    below = SoftmaxRegression(alpha=0.99 * critical, **params)
    assert np.any(below.fit(X, y, weight).coef_ != 0)


def test_l1_ratio_zero_fits_are_unchanged_by_the_penalty_parameter(wine_weighted):
    X, y, weight = wine_weighted
    reference = SoftmaxRegression(alpha=ALPHA, tol=1e-10).fit(X, y, weight)
    group = SoftmaxRegression(alpha=ALPHA, tol=1e-10, penalty="group")
    group.fit(X, y, weight)
    assert group._solver == reference._solver != "fista"
    np.testing.assert_array_equal(group.coef_, reference.coef_)
    fista = SoftmaxRegression(alpha=ALPHA, tol=1e-10, solver="fista")
    fista.fit(X, y, weight)
    np.testing.assert_allclose(
        fista.predict_proba(X), reference.predict_proba(X), atol=1e-7
    )


def test_two_classes_keep_symmetric_rows(iris):
    X, y = iris
    X, y = StandardScaler().fit_transform(X[y > 0]), y[y > 0]
    for penalty in ("elasticnet", "group"):
        clf = SoftmaxRegression(alpha=ALPHA, l1_ratio=1.0, penalty=penalty, tol=1e-10)
        clf.fit(X, y)
        np.testing.assert_allclose(clf.coef_[0], -clf.coef_[1], atol=1e-12)
        assert_kkt(clf, X, y, np.ones(len(y)), 1e-9)


@pytest.mark.parametrize("solver", PROXIMAL)
def test_float32_data_reaches_working_precision_without_warning(wine_scaled, solver):
    X, y = wine_scaled
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = SoftmaxRegression(alpha=ALPHA, l1_ratio=0.5, tol=1e-12, solver=solver)
        clf.fit(X.astype(np.float32), y)
    reference = SoftmaxRegression(alpha=ALPHA, l1_ratio=0.5, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X), reference.predict_proba(X), atol=1e-4
    )


@pytest.mark.parametrize("solver", PROXIMAL)
def test_too_few_iterations_warn(wine_scaled, solver):
    X, y = wine_scaled
    with pytest.warns(ConvergenceWarning, match=f"solver='{solver}'.*max_iter=2"):
        SoftmaxRegression(
            alpha=ALPHA, l1_ratio=0.5, max_iter=2, tol=1e-10, solver=solver
        ).fit(X, y)


def test_auto_picks_a_proximal_solver_by_size(wine_scaled):
    X, y = wine_scaled  # 42 parameters: the full Hessian is cheap
    assert SoftmaxRegression(l1_ratio=0.5).fit(X, y)._solver == "prox-newton"
    wide = np.hstack([X] * 8)  # 339 parameters
    assert SoftmaxRegression(l1_ratio=0.5).fit(wide, y)._solver == "fista"
    assert SoftmaxRegression(l1_ratio=0.0).fit(X, y)._solver == "newton-cholesky"


def _non_smooth_objective(penalty, wine_weighted):
    X, y, weight = wine_weighted
    loss = MultinomialLoss(X, np.searchsorted(np.unique(y), y), weight, 3)
    return Objective(loss, penalty)


@pytest.mark.parametrize("solver", PROXIMAL)
@pytest.mark.parametrize(
    "penalty",
    [ElasticNetPenalty(ALPHA, 0.5), GroupElasticNetPenalty(ALPHA, 1.0, 3)],
    ids=["elasticnet", "group"],
)
def test_solver_reports_iterations_and_the_stopping_measure(
    wine_weighted, penalty, solver
):
    objective = _non_smooth_objective(penalty, wine_weighted)
    calls = []
    result = SOLVERS[solver].solve(
        objective,
        np.zeros(objective.n_params),
        tol=1e-9,
        max_iter=5000,
        callback=lambda *args: calls.append(args),
    )
    assert result.converged and len(calls) == result.n_iter > 0
    _, loss_grad = objective.loss_value_and_grad(result.x)
    assert objective.optimality(result.x, loss_grad) <= 1e-9
    assert result.fun == pytest.approx(objective.value(result.x), rel=1e-14)
    n_iter, w, value, mapping_max = calls[-1]
    assert n_iter == result.n_iter and value == result.fun and mapping_max <= 1e-8
    np.testing.assert_array_equal(w, result.x)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_centred_coordinates_are_an_exact_change_of_variables(fit_intercept):
    rng = np.random.default_rng(4)
    X = rng.normal(loc=50, size=(40, 3))  # uncentred features
    loss = MultinomialLoss(
        X, rng.integers(0, 3, 40), np.ones(40), 3, fit_intercept=fit_intercept
    )
    objective = Objective(loss, ElasticNetPenalty(0.1, 0.5))
    centring = Centring(objective)
    forward, backward = centring.matrices()
    np.testing.assert_allclose(forward @ backward, np.eye(loss.n_params), atol=1e-12)
    u = rng.normal(size=loss.n_params)
    np.testing.assert_allclose(centring.to_original(u), forward @ u)
    np.testing.assert_allclose(centring.from_original(forward @ u), u, atol=1e-12)
    # the logits, hence the loss, are the same; the penalty sees the same W
    assert objective.loss_value(centring.to_original(u)) == pytest.approx(
        loss.value(forward @ u)
    )
    np.testing.assert_array_equal(
        centring.to_original(u)[: loss.n_coef], u[: loss.n_coef]
    )
    grad = loss.value_and_grad(forward @ u)[1]
    np.testing.assert_allclose(centring.gradient_to_centred(grad), forward.T @ grad)
    np.testing.assert_allclose(
        centring.gradient_to_original(forward.T @ grad), grad, atol=1e-10
    )
    if fit_intercept:
        np.testing.assert_allclose(centring.centre, X.mean(axis=0))
    else:
        np.testing.assert_array_equal(forward, np.eye(loss.n_params))
