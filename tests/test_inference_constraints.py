"""inference() with penalty_factor (the penalised information weighted per
feature, unpenalised features' shifts unidentified), a sparse coef_, and
the refusal of bounds."""

from __future__ import annotations

import numpy as np
import pytest

from softmax_regression import SoftmaxRegression, inference

ALPHA = 1e-2


def _penalised_hessian(model, X, y, factor):
    """The Hessian of n F (negative log posterior) in the flat symmetric
    parameters (coefficients row-major, then intercepts), from scratch."""
    n, d = X.shape
    K = len(model.classes_)
    logits = X @ model.coef_.T + model.intercept_
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Xt = np.hstack([X, np.ones((n, 1))])
    H = np.zeros((K * (d + 1), K * (d + 1)))
    for i in range(n):
        block = np.diag(P[i]) - np.outer(P[i], P[i])
        H += np.kron(block, np.outer(Xt[i], Xt[i]))
    # reorder (class, column) -> coefficients row-major, then intercepts
    order = [k * (d + 1) + j for k in range(K) for j in range(d)]
    order += [k * (d + 1) + d for k in range(K)]
    H = H[np.ix_(order, order)]
    H[: K * d, : K * d] += np.diag(np.tile(ALPHA * n * factor, K))
    return H


def _contrasts(K, d, reference):
    rows = [k for k in range(K) if k != reference]
    L = np.zeros((len(rows) * (d + 1), K * (d + 1)))
    for r, k in enumerate(rows):
        for j in range(d):
            L[r * d + j, k * d + j], L[r * d + j, reference * d + j] = 1, -1
        L[len(rows) * d + r, K * d + k], L[len(rows) * d + r, K * d + reference] = 1, -1
    return L


@pytest.mark.parametrize("factor", [np.ones(4), np.array([0.0, 1.0, 2.5, 0.0])])
def test_penalised_covariance_with_factors(wine_scaled, factor):
    X, y = wine_scaled
    X = X[:, :4]  # alcohol, malic acid, ash, alcalinity: not separable
    model = SoftmaxRegression(alpha=ALPHA, penalty_factor=factor, tol=1e-12)
    model.fit(X, y)
    result = inference(model, X, y, reference=model.classes_[0])
    H = _penalised_hessian(model, X, y, factor)
    L = _contrasts(3, 4, 0)
    expected = L @ np.linalg.pinv(H) @ L.T
    np.testing.assert_allclose(result.cov, expected, rtol=1e-6, atol=1e-12)
    plain = inference(
        SoftmaxRegression(alpha=ALPHA, tol=1e-12).fit(X, y), X, y, reference=0
    )
    if np.all(factor == 1):
        np.testing.assert_allclose(result.cov, plain.cov, rtol=1e-8)
    else:
        assert "penalty_factor" in result.summary()


def test_sparse_coef_is_read(iris_scaled):
    X, y = iris_scaled
    model = SoftmaxRegression(alpha=ALPHA, tol=1e-12).fit(X, y)
    dense = inference(model, X, y).coef_se
    np.testing.assert_allclose(inference(model.sparsify(), X, y).coef_se, dense)


def test_bounds_are_refused(iris_scaled):
    X, y = iris_scaled
    model = SoftmaxRegression(lower_bound=0.0).fit(X, y)
    with pytest.raises(ValueError, match="not available for a fit with lower_bound"):
        inference(model, X, y)
