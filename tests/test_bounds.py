"""lower_bound / upper_bound (glmnet's lower.limits / upper.limits): the
projected-gradient optimality conditions, computed here from scratch, for
every solver that keeps to a box; scipy's L-BFGS-B on the same objective
written in numpy; and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from softmax_regression import SoftmaxRegression

ALPHA = 1e-2
# Every other feature non-negative, all below 0.5: binding bounds of both
# kinds on standardised wine.
LOWER = np.where(np.arange(13) % 2 == 0, -np.inf, 0.0)
UPPER = np.full(13, 0.5)
BOXED = ["lbfgs", "newton-cholesky", "fista", "prox-newton", "auto"]


def _proba(X, W, b):
    z = X @ W.T + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _objective(X, y, W, b, alpha, l1_ratio=0.0):
    """F in numpy: mean cross-entropy plus the elastic net."""
    log_p = np.log(_proba(X, W, b))
    loss = -log_p[np.arange(len(y)), y].mean()
    return loss + alpha * ((1 - l1_ratio) / 2 * (W**2).sum() + l1_ratio * abs(W).sum())


def _kkt_residual(model, X, y, l1_ratio):
    """Projected-(sub)gradient conditions: free coefficients have gradient 0,
    those at a lower bound gradient >= 0, at an upper bound <= 0."""
    W = model.coef_
    grad = (_proba(X, W, model.intercept_) - np.eye(3)[y]).T @ X / len(y)
    grad = grad + ALPHA * (1 - l1_ratio) * W
    l1 = ALPHA * l1_ratio
    low = np.where(W != 0, grad + l1 * np.sign(W), grad - l1)
    high = np.where(W != 0, grad + l1 * np.sign(W), grad + l1)
    at_lower = np.isclose(W, np.broadcast_to(LOWER, W.shape), rtol=0, atol=1e-12)
    at_upper = np.isclose(W, np.broadcast_to(UPPER, W.shape), rtol=0, atol=1e-12)
    residual = np.clip(0.0, low, high)
    residual = np.where(at_lower, np.minimum(high, 0.0), residual)
    residual = np.where(at_upper, np.maximum(low, 0.0), residual)
    return np.abs(residual).max(), int(at_lower.sum() + at_upper.sum())


def _boxed(solver, l1_ratio=0.0, **params):
    return SoftmaxRegression(
        alpha=ALPHA,
        l1_ratio=l1_ratio,
        lower_bound=LOWER,
        upper_bound=UPPER,
        solver=solver,
        tol=1e-10,
        max_iter=10_000,
        **params,
    )


@pytest.mark.parametrize(
    ("solver", "l1_ratio"),
    [(solver, 0.0) for solver in BOXED]
    + [("fista", 0.5), ("prox-newton", 0.5), ("auto", 0.5)],
)
def test_projected_gradient_conditions(wine_scaled, solver, l1_ratio):
    X, y = wine_scaled
    model = _boxed(solver, l1_ratio).fit(X, y)
    assert np.all(model.coef_ >= LOWER) and np.all(model.coef_ <= UPPER)
    residual, n_active = _kkt_residual(model, X, y, l1_ratio)
    assert residual < 1e-6
    assert n_active >= 5  # the bounds bind
    assert model.converged_


def test_same_optimum_as_scipy_lbfgsb_in_numpy(wine_scaled):
    X, y = wine_scaled
    n_coef = 3 * 13

    def fun(flat):
        W, b = flat[:n_coef].reshape(3, 13), flat[n_coef:]
        G = (_proba(X, W, b) - np.eye(3)[y]) / len(y)
        grad = np.concatenate([(G.T @ X + ALPHA * W).ravel(), G.sum(axis=0)])
        return _objective(X, y, W, b, ALPHA), grad

    bounds = list(zip(np.tile(LOWER, 3), np.tile(UPPER, 3), strict=True))
    bounds += [(None, None)] * 3
    reference = scipy.optimize.minimize(
        fun, np.zeros(n_coef + 3), jac=True, method="L-BFGS-B", bounds=bounds,
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000},
    )  # fmt: skip
    for solver in BOXED:
        model = _boxed(solver).fit(X, y)
        value = _objective(X, y, model.coef_, model.intercept_, ALPHA)
        assert value == pytest.approx(reference.fun, rel=1e-8)
        assert model.objective_ == pytest.approx(reference.fun, rel=1e-8)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_infinite_bounds_are_no_bounds(wine_scaled, l1_ratio):
    X, y = wine_scaled
    params = dict(alpha=ALPHA, l1_ratio=l1_ratio, tol=1e-8)
    infinite = SoftmaxRegression(lower_bound=-np.inf, upper_bound=np.inf, **params)
    plain = SoftmaxRegression(**params)
    np.testing.assert_array_equal(infinite.fit(X, y).coef_, plain.fit(X, y).coef_)


def test_per_class_bounds_and_a_box_without_zero(wine_scaled):
    X, y = wine_scaled
    lower = np.full((3, 13), -np.inf)
    lower[1] = 0.1  # class 1's coefficients at least 0.1: zero is outside
    model = SoftmaxRegression(alpha=ALPHA, lower_bound=lower, tol=1e-10).fit(X, y)
    assert np.all(model.coef_[1] >= 0.1) and np.any(model.coef_[1] == 0.1)
    assert model.converged_


def test_nonnegative_coefficients_match_between_solvers(iris_scaled):
    X, y = iris_scaled
    coefs = [
        SoftmaxRegression(alpha=1e-3, lower_bound=0, solver=solver, tol=1e-10)
        .fit(X, y)
        .coef_
        for solver in ("lbfgs", "newton-cholesky", "fista", "prox-newton")
    ]
    assert coefs[0].min() >= 0 and (coefs[0] == 0).sum() >= 3
    for coef in coefs[1:]:
        np.testing.assert_allclose(coef, coefs[0], atol=1e-6)


@pytest.mark.parametrize("solver", ["newton-cg", "sgd"])
def test_solvers_that_cannot_keep_to_bounds_say_so(wine_scaled, solver):
    X, y = wine_scaled
    model = SoftmaxRegression(lower_bound=0, solver=solver)
    with pytest.raises(ValueError, match=rf"solver='{solver}' cannot keep the coef"):
        model.fit(X, y)
    assert not hasattr(model, "n_features_in_")


def test_auto_with_bounds_on_many_parameters_runs_lbfgs(digits):
    from softmax_regression._fit_hooks import observe_solves

    X, y = digits
    reports = []
    with observe_solves(reports.append):
        SoftmaxRegression(lower_bound=-1e-2, upper_bound=1e-2).fit(X / 16, y)
    assert [report.solver for report in reports] == ["lbfgs"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(lower_bound=1.0, upper_bound=0.0), r"lower_bound > upper_bound for "),
        (dict(lower_bound=np.zeros(12)), r"lower_bound must be a scalar, an array"),
        (dict(upper_bound=np.zeros((2, 13))), r"upper_bound must be .* \(3, 13\)"),
        (dict(lower_bound=np.nan), "lower_bound contains NaN"),
        (dict(upper_bound=-np.inf), "upper_bound cannot be -inf"),
        (
            dict(lower_bound=0, penalty="group", l1_ratio=0.5),
            "cannot be combined with penalty='group'",
        ),
    ],
)
def test_bad_bounds_are_named(wine_scaled, params, match):
    X, y = wine_scaled
    model = SoftmaxRegression(**params)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_warm_start_outside_the_box_is_refused(wine_scaled):
    X, y = wine_scaled
    model = SoftmaxRegression(warm_start=True).fit(X, y)
    coef = model.coef_.copy()
    model.set_params(lower_bound=0)
    with pytest.raises(ValueError, match="warm_start: the previous coefficients lie"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.coef_, coef)
    model.set_params(warm_start=False).fit(X, y)
    assert model.coef_.min() >= 0


def test_partial_fit_is_unavailable_with_bounds():
    model = SoftmaxRegression(upper_bound=[1.0, 2.0])
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError) as info:
        model.partial_fit  # noqa: B018
    assert "cannot keep to bounds" in str(info.value.__cause__)
    assert hasattr(SoftmaxRegression(upper_bound=np.inf), "partial_fit")


def test_bounds_that_bind_nothing_leave_raw_mixed_scale_data_at_its_optimum():
    # A feature of scale 2e5 beside indicators that sum to the constant: the
    # loss is flat along the indicators against the intercept, and the
    # penalty's curvature there lies 1e-14 below the Hessian's largest
    # eigenvalue, which a relative cut of the unscaled free block dropped.
    rng = np.random.default_rng(0)
    n = 3000
    group = rng.integers(0, 3, n)
    X = np.column_stack(
        [rng.exponential(size=n) * 2e5, rng.normal(size=n), np.eye(3)[group]]
    )
    coef = rng.normal(size=(2, 4)) / [[2e5], [1.0]]
    logits = X[:, :2] @ coef + group[:, None]
    y = np.argmax(logits + rng.gumbel(size=(n, 4)), axis=1)
    params = dict(solver="newton-cholesky", alpha=1e-4, tol=1e-8)
    free = SoftmaxRegression(**params).fit(X, y)
    boxed = SoftmaxRegression(lower_bound=-1e6, upper_bound=1e6, **params).fit(X, y)
    assert boxed.converged_
    assert boxed.objective_ == pytest.approx(free.objective_, rel=1e-12)
    np.testing.assert_allclose(boxed.predict_proba(X), free.predict_proba(X), atol=1e-7)
