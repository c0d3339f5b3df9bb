"""``inference``: agreement with statsmodels' MNLogit on real data sets, and
the identities that need no reference implementation (dense == sparse,
weights == repeated rows, contrasts as a linear map of the sum-to-zero
covariance, conjugate gradients == Cholesky)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine

from softmax_regression import (
    InferenceResult,
    SoftmaxRegression,
    SoftmaxRegressionCV,
    inference,
)
from softmax_regression._inference import InferenceWarning
from softmax_regression._loss import MultinomialLoss

sm = pytest.importorskip("statsmodels.api")
sandwich = pytest.importorskip("statsmodels.stats.sandwich_covariance")

SE_RTOL = 1e-5
STAT_RTOL = 1e-8


def _wine():
    X, y = load_wine(return_X_y=True)
    return X[:, :4], y


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:, [20, 21, 28, 36, 43, 44]], y


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, [0, 1, 4, 8]], y


#: Real data sets on which the maximum likelihood estimate exists: 3, 10 and
#: 2 classes.
DATASETS = {"wine": _wine, "digits": _digits, "breast_cancer": _breast_cancer}


def _fit(X, y, **params):
    params = {"alpha": 0.0, "tol": 1e-10, "solver": "newton-cholesky", **params}
    return SoftmaxRegression(**params).fit(X, y)


def _mnlogit(X, y, cov_type="nonrobust"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.MNLogit(y, sm.add_constant(X)).fit(
            method="newton", maxiter=100, tol=1e-12, disp=0, cov_type=cov_type
        )
        result.set_null_options(method="newton", maxiter=100, tol=1e-12, disp=0)
        result.llnull  # noqa: B018 - computed now, under the filter
    return result


def _as_statsmodels(result: InferenceResult, coef, intercept):
    """Our (classes, features) + intercepts as statsmodels' (const +
    features, classes)."""
    return np.column_stack([intercept, coef]).T


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.abs(b)))


@pytest.fixture(scope="module", params=sorted(DATASETS))
def fitted(request):
    X, y = DATASETS[request.param]()
    return X, y, _fit(X, y), _mnlogit(X, y)


def test_standard_errors_match_mnlogit(fitted):
    X, y, model, reference = fitted
    result = inference(model, X, y, reference=model.classes_[0])
    ours = _as_statsmodels(result, result.coef, result.intercept)
    params = np.asarray(reference.params)
    assert np.abs(ours - params).max() < 1e-6 * np.abs(params).max()
    se = _as_statsmodels(result, result.coef_se, result.intercept_se)
    assert _rel(se, reference.bse) < SE_RTOL
    z = _as_statsmodels(result, result.coef_z, result.intercept_z)
    assert _rel(z, reference.tvalues) < SE_RTOL
    p = _as_statsmodels(result, result.coef_p_values, result.intercept_p_values)
    np.testing.assert_allclose(p, reference.pvalues, rtol=SE_RTOL)
    lower, upper = result.conf_int(0.05)
    bounds = reference.conf_int(0.05)  # (classes, terms, 2)
    sm_lower = np.moveaxis(bounds[..., 0], 0, 1)
    sm_upper = np.moveaxis(bounds[..., 1], 0, 1)
    ours_lower = np.column_stack([lower[:, -1], lower[:, :-1]]).T
    ours_upper = np.column_stack([upper[:, -1], upper[:, :-1]]).T
    np.testing.assert_allclose(ours_lower, sm_lower, rtol=SE_RTOL)
    np.testing.assert_allclose(ours_upper, sm_upper, rtol=SE_RTOL)


def test_fit_statistics_match_mnlogit(fitted):
    X, y, model, reference = fitted
    result = inference(model, X, y, reference=model.classes_[0])
    assert result.n_obs == reference.nobs
    assert result.df_model == reference.df_model
    assert result.df_resid == reference.df_resid
    for ours, theirs in [
        (result.loglik, reference.llf),
        (result.loglik_null, reference.llnull),
        (result.llr, reference.llr),
        (result.aic, reference.aic),
        (result.bic, reference.bic),
        (result.pseudo_r2, reference.prsquared),
        (result.llr_pvalue, reference.llr_pvalue),
    ]:
        assert ours == pytest.approx(theirs, rel=STAT_RTOL)


def test_the_covariance_matches_mnlogit_in_its_layout(fitted):
    X, y, model, reference = fitted
    result = inference(model, X, y, reference=model.classes_[0])
    n_rows, n_features = result.coef.shape
    # statsmodels: class-major, const first; ours: coefficients row-major,
    # then the intercepts
    order = []
    for r in range(n_rows):
        order.append(n_rows * n_features + r)
        order.extend(r * n_features + j for j in range(n_features))
    ours = result.cov[np.ix_(order, order)]
    np.testing.assert_allclose(
        ours, reference.cov_params(), rtol=SE_RTOL, atol=1e-9 * np.abs(ours).max()
    )


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_hc0_matches_mnlogit(name):
    X, y = DATASETS[name]()
    model = _fit(X, y)
    reference = _mnlogit(X, y, cov_type="HC0")
    result = inference(model, X, y, reference=model.classes_[0], cov_type="HC0")
    se = _as_statsmodels(result, result.coef_se, result.intercept_se)
    assert _rel(se, reference.bse) < SE_RTOL


def test_hc1_is_hc0_with_the_small_sample_factor():
    X, y = _wine()
    model = _fit(X, y)
    reference = _mnlogit(X, y)
    # statsmodels' White covariance with its n / (n - k) correction (its
    # MNLogit(cov_type="HC1") applies none and equals HC0)
    expected = sandwich.cov_white_simple(reference, use_correction=True)
    result = inference(model, X, y, reference=model.classes_[0], cov_type="HC1")
    se = _as_statsmodels(result, result.coef_se, result.intercept_se)
    n_rows = result.coef.shape[0]
    expected_se = np.sqrt(np.diag(expected)).reshape(n_rows, -1).T
    assert _rel(se, expected_se) < SE_RTOL
    hc0 = inference(model, X, y, reference=model.classes_[0], cov_type="HC0")
    factor = result.n_obs / (result.n_obs - result.k_params)
    np.testing.assert_allclose(result.cov, hc0.cov * factor, rtol=1e-12)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
@pytest.mark.parametrize("reference", [None, 1])
def test_dense_equals_sparse(cov_type, reference):
    X, y = _wine()
    model = _fit(X, y)
    dense = inference(model, X, y, reference=reference, cov_type=cov_type)
    for fmt in ("csr", "csc"):
        sparse = inference(
            model,
            sp.csr_matrix(X).asformat(fmt),
            y,
            reference=reference,
            cov_type=cov_type,
        )
        np.testing.assert_allclose(sparse.cov, dense.cov, rtol=1e-10)
        assert sparse.loglik == pytest.approx(dense.loglik, rel=1e-12)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1"])
def test_weights_equal_repeated_rows(cov_type):
    X, y = _wine()
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=y.shape[0])
    counts[:3] = 1  # keep every class
    repeated_X, repeated_y = np.repeat(X, counts, axis=0), np.repeat(y, counts)
    model = _fit(X, y, tol=1e-12)
    model.fit(X, y, sample_weight=counts)
    weighted = inference(model, X, y, sample_weight=counts, cov_type=cov_type)
    repeated = inference(model, repeated_X, repeated_y, cov_type=cov_type)
    assert weighted.n_obs == repeated.n_obs == counts.sum()
    np.testing.assert_allclose(weighted.cov, repeated.cov, rtol=1e-9)
    for stat in ("loglik", "loglik_null", "aic", "bic", "llr_pvalue"):
        assert getattr(weighted, stat) == pytest.approx(
            getattr(repeated, stat), rel=1e-10
        )


@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_contrasts_are_a_linear_map_of_sum_to_zero(alpha):
    X, y = _wine()
    model = _fit(X, y, alpha=alpha)
    centred = inference(model, X, y)
    n_classes, n_features = centred.coef.shape
    assert n_classes == 3
    for ref in range(n_classes):
        contrast = inference(model, X, y, reference=ref)
        # the map: row k of the contrasts is row k minus row ref, per column
        rows = [k for k in range(n_classes) if k != ref]
        width = n_features + 1
        M = np.zeros((len(rows) * width, n_classes * width))
        for r, k in enumerate(rows):
            for j in range(n_features):
                M[r * n_features + j, k * n_features + j] = 1
                M[r * n_features + j, ref * n_features + j] = -1
            out, base = len(rows) * n_features + r, n_classes * n_features
            M[out, base + k], M[out, base + ref] = 1, -1
        flat = np.concatenate([centred.coef.ravel(), centred.intercept])
        np.testing.assert_allclose(
            np.concatenate([contrast.coef.ravel(), contrast.intercept]),
            M @ flat,
            rtol=1e-8,
            atol=1e-10,
        )
        np.testing.assert_allclose(contrast.cov, M @ centred.cov @ M.T, rtol=1e-7)


def test_sum_to_zero_covariance_lives_on_the_subspace():
    X, y = _wine()
    model = _fit(X, y)
    result = inference(model, X, y)
    np.testing.assert_allclose(result.coef.sum(axis=0), 0, atol=1e-10)
    n_classes, n_features = result.coef.shape
    # every shift of one column over all classes has zero variance
    for j in range(n_features):
        shift = np.zeros(result.cov.shape[0])
        shift[[k * n_features + j for k in range(n_classes)]] = 1
        assert shift @ result.cov @ shift < 1e-10 * np.trace(result.cov)


def test_penalised_covariance_is_the_inverse_penalised_hessian():
    X, y = _wine()
    alpha = 1e-2
    model = _fit(X, y, alpha=alpha, fit_intercept=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = inference(model, X, y)
    loss = MultinomialLoss(X, y, np.ones(y.shape[0]), 3, fit_intercept=False)
    _, _, hess = loss.hessian(model.coef_.ravel())
    n = y.shape[0]
    expected = np.linalg.inv(n * hess + n * alpha * np.eye(hess.shape[0]))
    np.testing.assert_allclose(result.cov, expected, rtol=1e-8)
    assert "Laplace approximation" in result.summary()
    assert "not frequentist" in " ".join(result.notes)


def test_features_by_conjugate_gradients_match_the_full_matrix():
    X, y = _digits()
    model = _fit(X, y, alpha=1e-4)
    full = inference(model, X, y, reference=0)
    for reference in (0, None):
        complete = inference(model, X, y, reference=reference)
        subset = inference(
            model, X, y, reference=reference, features=[4, 1], max_memory=1
        )
        assert subset.coef.shape == (complete.coef.shape[0], 2)
        np.testing.assert_allclose(subset.coef, complete.coef[:, [4, 1]], rtol=1e-12)
        np.testing.assert_allclose(
            subset.coef_se, complete.coef_se[:, [4, 1]], rtol=1e-6
        )
        np.testing.assert_allclose(
            subset.intercept_se, complete.intercept_se, rtol=1e-6
        )
    hc = inference(model, X, y, reference=0, features=[4], cov_type="HC0", max_memory=1)
    full_hc = inference(model, X, y, reference=0, cov_type="HC0")
    np.testing.assert_allclose(hc.coef_se[:, 0], full_hc.coef_se[:, 4], rtol=1e-6)
    assert full.coef_se.shape == (9, 6)


def test_too_many_parameters_name_the_memory():
    X, y = _digits()
    model = _fit(X, y)
    with pytest.raises(ValueError, match=r"needs about .* of memory.*features="):
        inference(model, X, y, max_memory=1000)


def test_features_by_name_and_mask(wine_frame):
    X, y = wine_frame
    X = X.iloc[:, :4]
    model = _fit(X, y)
    by_name = inference(model, X, y, features=["ash", "alcohol"])
    assert by_name.feature_names == ["ash", "alcohol"]
    mask = np.array([True, False, True, False])
    by_mask = inference(model, X, y, features=mask)
    assert by_mask.feature_names == ["alcohol", "ash"]
    np.testing.assert_allclose(by_name.coef_se[:, ::-1], by_mask.coef_se)
    with pytest.raises(ValueError, match="not features of the model"):
        inference(model, X, y, features=["colour"])
    with pytest.raises(ValueError, match="outside"):
        inference(model, X, y, features=[7])


def test_summary_and_frame_name_the_features(wine_frame):
    X, y = wine_frame
    X = X.iloc[:, :4]
    model = _fit(X, y)
    result = inference(model, X, y, reference=0)
    text = result.summary()
    for name in X.columns:
        assert name in text
    assert "class=1 vs 0" in text and "Pseudo R-squ." in text
    frame = result.to_frame()
    assert list(frame.columns) == ["coef", "std err", "z", "p", "lower", "upper"]
    assert frame.shape == (2 * 5, 6)
    assert frame.loc[(1, "intercept"), "coef"] == pytest.approx(result.intercept[0])
    assert frame.loc[(2, "ash"), "std err"] == pytest.approx(result.coef_se[1, 2])


def test_no_intercept():
    X, y = _wine()
    model = _fit(X, y, fit_intercept=False)
    result = inference(model, X, y, reference=0)
    assert result.intercept is None and result.intercept_se is None
    assert result.k_params == 2 * 4
    assert result.loglik_null == pytest.approx(-y.shape[0] * np.log(3))
    lower, upper = result.conf_int()
    assert lower.shape == upper.shape == result.coef.shape
    assert "intercept" not in result.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = sm.MNLogit(y, X).fit(method="newton", tol=1e-12, disp=0)
    assert _rel(result.coef_se.T, reference.bse) < SE_RTOL


def test_quasi_separation_warns():
    X, y = load_iris(return_X_y=True)  # setosa is linearly separable
    model = SoftmaxRegression(alpha=0).fit(X, y)
    with pytest.warns(InferenceWarning, match="quasi-completely separated"):
        result = inference(model, X, y, reference=0)
    assert any("quasi-completely" in note for note in result.notes)
    assert "quasi-completely" in result.summary()
    assert np.all(np.isfinite(result.coef_se))


def test_complete_separation_warns(wine_scaled):
    X, y = wine_scaled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SoftmaxRegression(alpha=0).fit(X, y)
    with pytest.warns(InferenceWarning, match="separates the classes completely"):
        inference(model, X, y)


def test_collinear_features_warn():
    X, y = _wine()
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _fit(X, y, max_iter=50)
    with pytest.warns(InferenceWarning, match="nearly\\) singular"):
        result = inference(model, X, y, reference=0)
    assert np.all(np.isfinite(result.cov))


def test_penalised_separated_data_do_not_warn(wine_scaled):
    X, y = wine_scaled
    model = SoftmaxRegression(alpha=1e-2, tol=1e-10).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = inference(model, X, y)
    assert np.all(np.isfinite(result.coef_p_values))


def test_a_fit_away_from_the_optimum_warns():
    X, y = _wine()
    model = _fit(X, y)
    X_other = X + np.random.default_rng(0).normal(scale=0.5, size=X.shape)
    with pytest.warns(InferenceWarning, match="not at the optimum"):
        inference(model, X_other, y)


def test_cv_estimator_and_class_weight():
    X, y = _wine()
    cv = SoftmaxRegressionCV(alphas=[1e-2, 1e-1], cv=3).fit(X, y)
    result = inference(cv, X, y)
    assert result.penalty_alpha == cv.alpha_
    weighted = _fit(X, y, class_weight={0: 2.0})
    result = inference(weighted, X, y, cov_type="HC0")
    assert any("class_weight" in note for note in result.notes)
    assert result.n_obs == y.shape[0] + np.sum(y == 0)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"alpha": 1e-2, "l1_ratio": 0.5, "solver": "fista"},
            "inference after selection",
        ),
        ({"alpha": 1e-2, "label_smoothing": 0.1}, "label_smoothing"),
    ],
)
def test_refused_fits(params, match):
    X, y = _wine()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SoftmaxRegression(tol=1e-6, **params).fit(X, y)
    with pytest.raises(ValueError, match=match):
        inference(model, X, y)


def test_bad_arguments():
    X, y = _wine()
    model = _fit(X, y)
    with pytest.raises(ValueError, match="not one of the model's classes"):
        inference(model, X, y, reference=7)
    with pytest.raises(ValueError, match="cov_type must be one of"):
        inference(model, X, y, cov_type="HC3")
    with pytest.raises(ValueError, match="class labels"):
        inference(model, X, np.eye(3)[y])
    with pytest.raises(ValueError, match="not in classes"):
        inference(model, X, np.where(y == 2, 5, y))
    with pytest.raises(ValueError, match="alpha must lie"):
        inference(model, X, y).conf_int(alpha=1.5)
    with pytest.raises(TypeError, match="fitted SoftmaxRegression"):
        inference(object(), X, y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        inference(SoftmaxRegression(), X, y)


def test_repr_and_no_nan():
    X, y = _breast_cancer()
    result = inference(_fit(X, y), X, y, cov_type="HC1")
    assert "InferenceResult(" in repr(result)
    for value in (result.cov, result.coef_p_values, *result.conf_int()):
        assert np.all(np.isfinite(value))
