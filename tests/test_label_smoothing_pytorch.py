"""label_smoothing with class_weight against PyTorch's
``CrossEntropyLoss(weight=w, label_smoothing=eps)``, written in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from softmax_regression import SoftmaxRegression

CLASS_WEIGHT = np.array([1.0, 3.0, 0.5])
EPS = 0.3


def _pytorch_terms(y, n_classes):
    """PyTorch's per-(sample, class) weights ``a_ic`` and its normaliser:
    loss = sum_ic a_ic (-log p_ic) / sum_i w[y_i]."""
    a = np.tile(EPS / n_classes * CLASS_WEIGHT, (len(y), 1))
    a[np.arange(len(y)), y] += (1 - EPS) * CLASS_WEIGHT[y]
    return a, CLASS_WEIGHT[y].sum()


def _fit_pytorch_objective(X, y, lam):
    """argmin of PyTorch's loss + lam / 2 ||W||^2, by L-BFGS on numpy code."""
    n_features, n_classes = X.shape[1], 3
    a, normaliser = _pytorch_terms(y, n_classes)

    def fun(flat):
        W = flat[: n_classes * n_features].reshape(n_classes, n_features)
        z = X @ W.T + flat[n_classes * n_features :]
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(a * log_p).sum() / normaliser + lam / 2 * (W**2).sum()
        G = (a.sum(axis=1, keepdims=True) * np.exp(log_p) - a) / normaliser
        grad = np.concatenate([(G.T @ X + lam * W).ravel(), G.sum(axis=0)])
        return value, grad

    x0 = np.zeros(n_classes * (n_features + 1))
    result = scipy.optimize.minimize(
        fun, x0, jac=True, method="L-BFGS-B",
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000},
    )  # fmt: skip
    W = result.x[: n_classes * n_features].reshape(n_classes, n_features)
    return W, result.x[n_classes * n_features :], result.fun


@pytest.mark.parametrize("lam", [0.0, 1e-2])
def test_label_smoothing_with_class_weight_is_pytorchs(wine_scaled, lam):
    X, y = wine_scaled
    X = X[:, :5]
    a, normaliser = _pytorch_terms(y, 3)
    rho = normaliser / a.sum()  # F's data term = rho * PyTorch's loss
    W, b, torch_value = _fit_pytorch_objective(X, y, lam)
    model = SoftmaxRegression(
        alpha=rho * lam,
        label_smoothing=EPS,
        class_weight=dict(enumerate(CLASS_WEIGHT)),
        solver="newton-cholesky",
        tol=1e-10,
    ).fit(X, y)
    logits = X @ W.T + b
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-6)
    assert model.objective_ == pytest.approx(rho * torch_value, rel=1e-8)


def test_balanced_weights_count_the_labels_not_the_smoothed_rows(wine_scaled):
    X, y = wine_scaled
    counts = np.bincount(y)
    balanced = {k: len(y) / (3 * counts[k]) for k in range(3)}
    by_name = SoftmaxRegression(class_weight="balanced", label_smoothing=EPS)
    by_dict = SoftmaxRegression(class_weight=balanced, label_smoothing=EPS)
    np.testing.assert_allclose(
        by_name.fit(X, y).coef_, by_dict.fit(X, y).coef_, rtol=1e-10
    )
