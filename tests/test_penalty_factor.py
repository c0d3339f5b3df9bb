"""penalty_factor (glmnet's penalty.factor): the optimality conditions of the
weighted penalty, computed here from scratch, for every solver."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from softmax_regression import SoftmaxRegression

ALPHA = 0.05
# Feature 0 and 5 unpenalised, feature 3 penalised 2.5 times as much.
FACTOR = np.ones(13)
FACTOR[[0, 5]] = 0.0
FACTOR[3] = 2.5

SMOOTH = ["lbfgs", "newton-cg", "newton-cholesky", "fista", "prox-newton"]
PROXIMAL = ["fista", "prox-newton"]


def _loss_gradient(model, X, y):
    """The gradient in W of the mean cross-entropy, from scratch."""
    logits = X @ model.coef_.T + model.intercept_
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    return (proba - np.eye(len(model.classes_))[y]).T @ X / len(y)


def _residual(model, X, y, l1_ratio, penalty):
    """The largest violation of 0 in grad + d penalty(W) (min-norm
    subgradient) for alpha * f_j ((1 - l1) / 2 ||W_j||^2 + l1 R_j)."""
    W, f = model.coef_, FACTOR
    smooth = _loss_gradient(model, X, y) + ALPHA * (1 - l1_ratio) * f * W
    l1 = ALPHA * l1_ratio * f
    if l1_ratio == 0:
        return np.abs(smooth).max()
    if penalty == "elasticnet":
        active = np.abs(smooth + l1 * np.sign(W))
        return np.where(W != 0, active, np.maximum(np.abs(smooth) - l1, 0)).max()
    norms = np.linalg.norm(W, axis=0)
    worst = 0.0
    for j, norm in enumerate(norms):
        if norm > 0:
            worst = max(worst, np.abs(smooth[:, j] + l1[j] * W[:, j] / norm).max())
        else:
            worst = max(worst, np.linalg.norm(smooth[:, j]) - l1[j])
    return worst


CASES = [(solver, 0.0, "elasticnet") for solver in SMOOTH] + [
    (solver, 0.5, penalty) for solver in PROXIMAL for penalty in ("elasticnet", "group")
]


@pytest.mark.parametrize(("solver", "l1_ratio", "penalty"), CASES)
def test_optimality_with_penalty_factor(wine_scaled, solver, l1_ratio, penalty):
    X, y = wine_scaled
    model = SoftmaxRegression(
        alpha=ALPHA,
        l1_ratio=l1_ratio,
        penalty=penalty,
        penalty_factor=FACTOR,
        solver=solver,
        tol=1e-10,
        max_iter=10_000,
    ).fit(X, y)
    assert _residual(model, X, y, l1_ratio, penalty) < 1e-6
    # The unpenalised features are not shrunk: unlike the default fit.
    plain = SoftmaxRegression(alpha=ALPHA, l1_ratio=l1_ratio, penalty=penalty)
    plain.fit(X, y)
    assert np.linalg.norm(model.coef_[:, [0, 5]]) > np.linalg.norm(
        plain.coef_[:, [0, 5]]
    )


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_ones_are_no_factor(wine_scaled, l1_ratio):
    X, y = wine_scaled
    params = dict(alpha=ALPHA, l1_ratio=l1_ratio, tol=1e-8)
    ones = SoftmaxRegression(penalty_factor=np.ones(13), **params).fit(X, y)
    none = SoftmaxRegression(**params).fit(X, y)
    np.testing.assert_array_equal(ones.coef_, none.coef_)
    np.testing.assert_array_equal(ones.intercept_, none.intercept_)


def test_streaming_applies_the_factor(wine_scaled):
    X, y = wine_scaled
    heavy = np.ones(13)
    heavy[12] = 100.0  # proline, the strongest feature, shrunk hard
    params = dict(
        alpha=1e-2, solver="sgd", max_iter=100, learning_rate_init=0.05, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxRegression(penalty_factor=heavy, **params).fit(X, y)
        plain = SoftmaxRegression(**params).fit(X, y)
    size = np.abs(plain.coef_[:, 12]).max()
    assert size > 0.5
    assert np.abs(model.coef_[:, 12]).max() < 0.2 * size
    streamed = SoftmaxRegression(
        penalty_factor=heavy, alpha=1e-2, learning_rate_init=0.05, random_state=0
    )
    for _ in range(100):
        streamed.partial_fit(X, y, classes=[0, 1, 2])
    assert np.abs(streamed.coef_[:, 12]).max() < 0.2 * size


@pytest.mark.parametrize(
    ("factor", "match"),
    [
        (np.ones(12), r"one entry per feature, shape \(13,\), but has shape \(12,\)"),
        (np.ones((13, 1)), r"shape \(13,\), but has shape \(13, 1\)"),
        (-np.ones(13), r"penalty_factor must be >= 0 .* feature 0 has -1 \(13 "),
        (np.r_[np.ones(12), np.nan], "penalty_factor contains NaN"),
        (np.r_[np.ones(12), np.inf], "penalty_factor must be finite. To leave"),
        (["a"] * 13, "could not convert"),
    ],
)
def test_bad_factors_are_named(wine_scaled, factor, match):
    X, y = wine_scaled
    model = SoftmaxRegression(penalty_factor=factor)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "coef_")
