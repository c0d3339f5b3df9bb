"""newton-cholesky's Hessian in float32 products: where it is used, where it
gives way to float64, and that the fit's optimum is the same."""

import numpy as np
import pytest
import scipy.linalg
from _datasets import load_pendigits
from _spies import spy

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._solvers import _newton_cholesky


@pytest.fixture
def hessian_dtypes(monkeypatch):
    """The ``products_dtype`` of every full Hessian the fit builds, in order
    (None: the data's float64)."""
    calls = []
    spy(
        monkeypatch,
        Objective,
        "hessian",
        lambda self, w, products_dtype=None: calls.append(products_dtype),
    )
    return calls


def _fit(X, y, alpha, tol=1e-8):
    return SoftmaxRegression(solver="newton-cholesky", alpha=alpha, tol=tol).fit(X, y)


def _float64_only(monkeypatch, X, y, alpha):
    """The same fit with every Hessian in float64 (no float32 factor is
    well enough conditioned to pass)."""
    with monkeypatch.context() as patch:
        patch.setattr(_newton_cholesky, "_FLOAT32_MIN_RCOND", np.inf)
        return _fit(X, y, alpha)


def test_float32_pair_products_give_the_hessian_to_float32_precision():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=3.0, scale=[1.0, 10.0, 100.0], size=(500, 3))
    loss = MultinomialLoss(X, rng.integers(0, 4, 500), rng.uniform(0.5, 2, 500), 4)
    w = rng.normal(scale=0.01, size=loss.n_params)
    value, grad, exact = loss.hessian(w)
    value32, grad32, approximate = loss.hessian(w, np.float32)
    assert approximate.dtype == np.float64
    assert value32 == value
    np.testing.assert_array_equal(grad32, grad)  # the gradient stays exact
    scale = np.sqrt(np.outer(np.diag(exact), np.diag(exact)))
    assert np.max(np.abs(approximate - exact) / scale) < 1e-5
    assert np.max(np.abs(approximate - exact) / scale) > 1e-12  # float32 indeed


@pytest.mark.parametrize("lower", [True, False])
def test_scaled_rcond_estimates_the_condition_after_unit_diagonal_scaling(lower):
    rng = np.random.default_rng(1)
    basis = rng.normal(size=(30, 30))
    spd = basis @ np.diag(np.logspace(0, -6, 30)) @ basis.T
    scale = np.logspace(-5, 5, 30)  # a badly scaled diagonal: it must not count
    system = spd * np.outer(scale, scale)
    estimate = _newton_cholesky._scaled_rcond(
        scipy.linalg.cho_factor(system, lower=lower), system
    )
    unit = 1.0 / np.sqrt(np.diag(spd))
    exact = 1.0 / np.linalg.cond(spd * np.outer(unit, unit), p=1)
    # LAPACK's estimate of ||A^-1||_1 is a lower bound, usually within 3x
    assert exact <= estimate * (1 + 1e-8) and estimate < 10 * exact


def test_pendigits_fit_runs_on_float32_products_to_the_float64_optimum(
    monkeypatch, hessian_dtypes
):
    X, y = load_pendigits()  # raw features in [0, 100], scaled rcond ~1e-5
    fit = _fit(X, y, alpha=1e-4)
    assert hessian_dtypes and set(hessian_dtypes) == {np.float32}
    reference = _float64_only(monkeypatch, X, y, alpha=1e-4)
    assert fit.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(
        fit.predict_proba(X), reference.predict_proba(X), atol=1e-8
    )


def test_an_ill_conditioned_hessian_is_rebuilt_in_float64(monkeypatch, hessian_dtypes):
    X, y = load_pendigits()
    # alpha=1e-8: the scaled rcond falls from 7e-5 to 1e-9 during the fit
    fit = _fit(X, y, alpha=1e-8)
    first_float64 = hessian_dtypes.index(None)
    assert 0 < first_float64 < len(hessian_dtypes) - 1
    assert set(hessian_dtypes[first_float64:]) == {None}  # float64 for good
    assert hessian_dtypes[first_float64 - 1] is np.float32  # the failed one
    reference = _float64_only(monkeypatch, X, y, alpha=1e-8)
    np.testing.assert_allclose(
        fit.predict_proba(X), reference.predict_proba(X), atol=1e-7
    )


def test_values_beyond_float32s_range_keep_every_hessian_float64(hessian_dtypes):
    X, y = load_pendigits()
    _fit(X[:2000] * 1e16, y[:2000], alpha=1e-4, tol=1e-4)
    assert hessian_dtypes and set(hessian_dtypes) == {None}


def test_a_float32_factor_that_stalls_near_the_optimum_gives_way(
    monkeypatch, hessian_dtypes
):
    """A float32 Hessian that passes the condition test but is further off
    than float32's rounding (here each entry off by a relative 1e-4, at
    random) shows near the optimum, where its steps shrink the gradient
    less than fourfold; float64 takes over for good."""
    original = Objective.hessian
    rng = np.random.default_rng(0)

    def perturbed(self, w, products_dtype=None):
        hessian_dtypes.append(products_dtype)
        value, grad, hess = original(self, w, products_dtype)
        if products_dtype is np.float32:
            noise = rng.normal(size=hess.shape)
            hess = hess * (1 + 1e-4 * (noise + noise.T) / 2)
        return value, grad, hess

    monkeypatch.setattr(Objective, "hessian", perturbed)
    X, y = load_pendigits()
    fit = _fit(X, y, alpha=1e-4)
    first_float64 = hessian_dtypes.index(None)
    assert first_float64 > 3 and set(hessian_dtypes[first_float64:]) == {None}
    assert fit.n_iter_ < 20
    monkeypatch.setattr(Objective, "hessian", original)
    reference = _float64_only(monkeypatch, X, y, alpha=1e-4)
    np.testing.assert_allclose(
        fit.predict_proba(X), reference.predict_proba(X), atol=1e-6
    )


def test_a_start_shifted_along_the_flat_directions_converges_at_once():
    # Shifting every class's coefficients alike leaves the loss as it is and
    # raises the penalty: the Newton step takes the shift out at once (the
    # gauge that makes the Hessian definite there would shorten it to a
    # crawl, alpha over the gauge's curvature per step).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4)) * [1.0, 10.0, 0.1, 3.0]
    y = np.argmax(X @ rng.normal(size=(4, 3)) + rng.gumbel(size=(500, 3)), axis=1)
    params = dict(solver="newton-cholesky", alpha=1e-3, tol=1e-8)
    fitted = SoftmaxRegression(**params).fit(X, y)
    shifted = SoftmaxRegression(warm_start=True, **params)
    shifted.coef_ = fitted.coef_ + rng.normal(size=4) * 5.0
    shifted.intercept_ = fitted.intercept_ + 2.0
    shifted.classes_ = fitted.classes_
    shifted.fit(X, y)
    assert shifted.converged_ and shifted.n_iter_ <= 3
    np.testing.assert_allclose(shifted.coef_, fitted.coef_, atol=1e-8)
    assert shifted.objective_ == pytest.approx(fitted.objective_, rel=1e-13)
