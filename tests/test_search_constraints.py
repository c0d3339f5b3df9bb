"""penalty_factor and bounds in softmax_regression_path, SoftmaxRegressionCV
(with converged_, objective_ and callbacks) and on Dask."""

from __future__ import annotations

import numpy as np
import pytest

from softmax_regression import (
    SoftmaxRegression,
    SoftmaxRegressionCV,
    softmax_regression_path,
)

FACTOR = np.ones(13)
FACTOR[[0, 6]] = 0.0  # alcohol and flavanoids unpenalised


@pytest.mark.parametrize("penalty", ["elasticnet", "group"])
def test_the_path_starts_where_the_penalised_features_leave(wine_scaled, penalty):
    X, y = wine_scaled
    alphas, coefs, _, _ = softmax_regression_path(
        X, y, l1_ratio=1.0, penalty=penalty, penalty_factor=FACTOR,
        n_alphas=4, tol=1e-10,
    )  # fmt: skip
    penalised = FACTOR > 0
    assert np.abs(coefs[0][:, penalised]).max() < 1e-6
    assert np.abs(coefs[0][:, ~penalised]).min() > 0.1  # fitted, unpenalised
    assert np.abs(coefs[1][:, penalised]).max() > 1e-3  # just below: some enter
    # Just above alpha_max nothing enters; just below, something does.
    below = SoftmaxRegression(
        alpha=alphas[0] * 0.99, l1_ratio=1.0, penalty=penalty,
        penalty_factor=FACTOR, tol=1e-10,
    ).fit(X, y)  # fmt: skip
    assert np.abs(below.coef_[:, penalised]).max() > 1e-8


def test_the_path_keeps_to_bounds(wine_scaled):
    X, y = wine_scaled
    _, coefs, _, _ = softmax_regression_path(
        X, y, lower_bound=0.0, upper_bound=0.3, n_alphas=5, tol=1e-8
    )
    assert coefs.min() >= 0 and coefs.max() <= 0.3
    assert np.isclose(coefs, 0.3).any() and (coefs == 0).any()


@pytest.mark.parametrize("refit", [True, False])
def test_cv_with_factors_and_bounds(wine_scaled, refit):
    X, y = wine_scaled
    search = SoftmaxRegressionCV(
        alphas=[1e-1, 1e-2], cv=3, penalty_factor=FACTOR, lower_bound=-0.5,
        upper_bound=0.5, tol=1e-10, refit=refit,
    ).fit(X, y)  # fmt: skip
    assert search.coef_.min() >= -0.5 and search.coef_.max() <= 0.5
    assert search.coefs_paths_.min() >= -0.5 and search.coefs_paths_.max() <= 0.5
    single = SoftmaxRegression(
        alpha=search.alpha_, penalty_factor=FACTOR, lower_bound=-0.5,
        upper_bound=0.5, tol=1e-10,
    ).fit(X, y)  # fmt: skip
    assert search.converged_ is refit
    if refit:
        np.testing.assert_allclose(search.coef_, single.coef_, atol=1e-6)
        assert search.objective_ == pytest.approx(single.objective_, rel=1e-9)
    else:
        assert search.objective_ > single.objective_


def test_cv_callbacks(wine_scaled):
    pytest.importorskip("sklearn.callback")
    from sklearn.callback.tests._utils import RecordingCallback

    X, y = wine_scaled
    callback = RecordingCallback()
    search = SoftmaxRegressionCV(alphas=[1e-1, 1e-2], cv=3).set_callbacks(callback)
    search.fit(X, y)
    names = [event["name"] for event in callback.record]
    assert names[0] == "setup" and names[-1] == "teardown"
    assert names.count("setup") == 1
    assert names.count("on_fit_task_begin") == names.count("on_fit_task_end") > 2


def test_dask_fits_factors_and_bounds(wine_scaled):
    da = pytest.importorskip("dask.array")
    import dask

    X, y = wine_scaled
    params = dict(
        alpha=1e-2, penalty_factor=FACTOR, lower_bound=-0.5, upper_bound=0.5,
        solver="lbfgs", tol=1e-10,
    )  # fmt: skip
    with dask.config.set(scheduler="threads"):
        on_dask = SoftmaxRegression(**params).fit(
            da.from_array(X, chunks=60), da.from_array(y, chunks=60)
        )
    in_memory = SoftmaxRegression(**params).fit(X, y)
    np.testing.assert_allclose(on_dask.coef_, in_memory.coef_, atol=1e-6)
    with pytest.raises(ValueError, match="solver='newton-cg' cannot keep"):
        SoftmaxRegression(lower_bound=0, solver="newton-cg").fit(
            da.from_array(X, chunks=60), da.from_array(y, chunks=60)
        )
