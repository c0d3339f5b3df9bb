"""sparsify() / densify(), as scikit-learn's linear classifiers have them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from softmax_regression import SoftmaxRegression, SoftmaxRegressionCV


@pytest.fixture
def l1_model(wine_scaled):
    X, y = wine_scaled
    return SoftmaxRegression(alpha=0.05, l1_ratio=1.0).fit(X, y)


def test_sparsify_keeps_every_prediction(l1_model, wine_scaled):
    X, _ = wine_scaled
    dense = l1_model.coef_.copy()
    expected = {
        name: getattr(l1_model, name)(X)
        for name in ("predict", "predict_proba", "predict_log_proba",
                     "decision_function")
    }  # fmt: skip
    assert l1_model.sparsify() is l1_model
    assert sp.issparse(l1_model.coef_) and l1_model.coef_.format == "csr"
    assert l1_model.coef_.nnz == np.count_nonzero(dense) < dense.size
    assert l1_model.coef_.dtype == dense.dtype
    for data in (X, sp.csr_matrix(X)):
        for name, values in expected.items():
            np.testing.assert_allclose(
                getattr(l1_model, name)(data), values, rtol=1e-12, atol=1e-14
            )
    assert l1_model.densify() is l1_model
    assert isinstance(l1_model.coef_, np.ndarray)
    np.testing.assert_array_equal(l1_model.coef_, dense)
    l1_model.densify()  # dense already: nothing happens
    np.testing.assert_array_equal(l1_model.coef_, dense)


def test_refits_after_sparsify(l1_model, wine_scaled):
    X, y = wine_scaled
    dense = l1_model.sparsify().coef_.toarray()
    l1_model.set_params(warm_start=True, max_iter=0).fit(X, y)
    assert isinstance(l1_model.coef_, np.ndarray)
    np.testing.assert_allclose(l1_model.coef_, dense)  # started from it
    streamed = SoftmaxRegression(alpha=0.05).fit(X, y).sparsify()
    streamed.partial_fit(X, y)
    assert isinstance(streamed.coef_, np.ndarray)


@pytest.mark.parametrize("cls", [SoftmaxRegression, SoftmaxRegressionCV])
@pytest.mark.parametrize("method", ["sparsify", "densify"])
def test_unfitted_raises(cls, method):
    with pytest.raises(NotFittedError):
        getattr(cls(), method)()


def test_cv_sparsifies(wine_scaled):
    X, y = wine_scaled
    model = SoftmaxRegressionCV(alphas=3, l1_ratios=[1.0], cv=3).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(model.sparsify().predict_proba(X), proba, rtol=1e-12)
