"""solver="auto" weighs the full Hessian against the conjugate-gradient
products a Newton step needs on the features (CG on the spectrum of their
scaled second moments): well-conditioned features go to Newton-CG, badly
scaled ones to the full Hessian, up to 1,500 parameters."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import cg

from softmax_regression import SoftmaxRegression, softmax_regression_path
from softmax_regression._fit_hooks import observe_solves
from softmax_regression._loss import (
    _conditioning,
    conjugate_gradient_steps,
    newton_cg_steps,
    row_leverages,
    scaled_gram_spectrum,
)
from softmax_regression._penalty import make_penalty
from softmax_regression._solvers import resolve_solver
from softmax_regression.datasets import load_pendigits


def _gaussian(n=4000, d=20, k=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((k, d)) * 3 / np.sqrt(d)
    return X, np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)


def _solver_of(fit) -> str:
    reports = []
    with observe_solves(reports.append):
        fit()
    return reports[-1].solver


def _raw(X, seed=1):
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    return X * rng.lognormal(0, 2, d) + rng.normal(0, 50, d)


def test_the_spectrum_of_the_scaled_second_moments():
    X, _ = _gaussian()
    weight = np.ones(len(X))
    spectrum = scaled_gram_spectrum(X, weight, True)
    assert spectrum.shape == (21,) and np.all(np.diff(spectrum) >= 0)
    assert spectrum[-1] / spectrum[0] < 1.5  # sampling noise
    raw = _raw(X)
    raw_spectrum = scaled_gram_spectrum(raw, weight, True)
    assert raw_spectrum[-1] / raw_spectrum[0] > 1e4
    centred = scaled_gram_spectrum(raw - raw.mean(axis=0), weight, True)
    assert centred[-1] / centred[0] < 1.5
    np.testing.assert_allclose(
        scaled_gram_spectrum(sp.csr_matrix(raw), weight, True), raw_spectrum
    )
    repeated = np.repeat(raw[:50], 3, axis=0)
    np.testing.assert_allclose(
        scaled_gram_spectrum(raw[:50], np.full(50, 3.0), True),
        scaled_gram_spectrum(repeated, np.ones(150), True),
    )
    assert scaled_gram_spectrum(X, weight, False).shape == (20,)
    duplicated = scaled_gram_spectrum(np.c_[X, X[:, 0]], weight, True)
    assert duplicated[0] < 1e-12 * duplicated[-1]
    # an all-zero column carries no loss: it is left out
    np.testing.assert_allclose(
        scaled_gram_spectrum(np.c_[X, np.zeros(len(X))], weight, True), spectrum
    )


def test_a_random_sample_of_many_rows_estimates_the_spectrum(monkeypatch):
    X, _ = _gaussian()
    raw = _raw(X)
    weight = np.ones(len(X))
    full = scaled_gram_spectrum(raw, weight, True)
    monkeypatch.setattr(_conditioning, "_MAX_ROWS", 1000)
    sampled = scaled_gram_spectrum(raw, weight, True)
    assert sampled.shape == full.shape
    np.testing.assert_allclose(np.log(sampled), np.log(full), atol=0.4)
    assert newton_cg_steps(raw, weight, True) == pytest.approx(
        conjugate_gradient_steps(full), rel=0.2
    )
    np.testing.assert_array_equal(scaled_gram_spectrum(raw, weight, True), sampled)


@pytest.mark.parametrize("seed", range(3))
def test_conjugate_gradient_steps_count_what_cg_takes(seed):
    rng = np.random.default_rng(seed)
    eigenvalues = np.sort(rng.lognormal(0, 3, 40))
    counted = []
    cg(
        np.diag(eigenvalues),
        np.ones(40),
        rtol=1e-2,
        atol=0.0,
        callback=lambda x: counted.append(1),
    )
    assert conjugate_gradient_steps(eigenvalues) == len(counted)
    assert conjugate_gradient_steps(np.ones(7)) == 1
    # CG ends in as many steps as there are distinct eigenvalues
    assert conjugate_gradient_steps(np.repeat([1.0, 10.0, 100.0], 5), 1e-8) <= 3
    assert conjugate_gradient_steps(np.array([])) == 0


def test_the_newton_cg_steps_grow_with_bad_scaling():
    X, _ = _gaussian()
    weight = np.ones(len(X))
    assert newton_cg_steps(X, weight, True) <= 3
    assert newton_cg_steps(_raw(X), weight, True) > 20
    # a duplicated column: a direction only the penalty holds, slow for CG
    singular = newton_cg_steps(np.c_[X, X[:, 0]], weight, True)
    assert newton_cg_steps(X, weight, True) < singular < 200


def test_auto_takes_newton_cg_on_well_conditioned_features():
    X, y = _gaussian()
    assert _solver_of(lambda: SoftmaxRegression().fit(X, y)) == "newton-cg"
    raw = _raw(X)
    assert _solver_of(lambda: SoftmaxRegression().fit(raw, y)) == "newton-cholesky"
    pendigits, labels = load_pendigits()
    assert (
        _solver_of(lambda: SoftmaxRegression().fit(pendigits, labels))
        == "newton-cholesky"
    )
    assert (
        _solver_of(lambda: softmax_regression_path(X, y, n_alphas=2)) == "newton-cg"
    )


def test_the_conditioning_is_asked_for_only_where_it_decides():
    asked = []

    def cg_steps():
        asked.append(True)
        return 1

    penalty = make_penalty("elasticnet", 1e-3, 0.0, 10)
    shape = dict(n_classes=10, cg_steps=cg_steps)
    assert resolve_solver("auto", penalty, n_samples=10**5, n_features=150, **shape)
    assert resolve_solver("lbfgs", penalty, n_samples=1000, n_features=5, **shape)
    # beyond 300 parameters, fewer than 10 rows per parameter
    assert resolve_solver("auto", penalty, n_samples=3000, n_features=40, **shape)
    assert not asked  # too many parameters, too few rows, or a chosen solver
    assert (
        resolve_solver("auto", penalty, n_samples=1000, n_features=5, **shape)
        == "newton-cg"
    )
    assert asked == [True]


@pytest.mark.parametrize(
    ("n_samples", "n_features", "n_classes", "steps", "expected"),
    [
        # Hessian worth (K+1)(d+2)/8 = 39 products: a tenth of it is 3.9
        (15_000, 50, 5, 3, "newton-cg"),
        (15_000, 50, 5, 4, "newton-cholesky"),
        # from 20,000 rows, against subsampled-newton: 0.6 of it
        (20_000, 50, 5, 23, "subsampled-newton"),
        (20_000, 50, 5, 24, "newton-cholesky"),
        # 820 parameters with 61 rows each: 110 products' worth
        (50_000, 40, 20, 66, "subsampled-newton"),
        (50_000, 40, 20, 67, "newton-cholesky"),
        # never more than 1,500 parameters
        (10**6, 99, 16, 10**4, "subsampled-newton"),
        # few well-conditioned features: CG needs no more than 3 products
        (500, 3, 3, 3, "newton-cg"),
    ],
)
def test_auto_weighs_the_full_hessian_against_cg_products(
    n_samples, n_features, n_classes, steps, expected
):
    penalty = make_penalty("l2", 1e-4, 0.0, n_classes)
    solver = resolve_solver(
        "auto",
        penalty,
        n_samples=n_samples,
        n_features=n_features,
        n_classes=n_classes,
        cg_steps=lambda: steps,
    )
    assert solver == expected


def _with_outliers(X, n_outliers=12, seed=3):
    """``X`` with a few rows far out along a few features (as diamonds'
    stones recorded with a zero or a tenfold dimension)."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    rows = rng.choice(len(X), n_outliers, replace=False)
    columns = rng.choice(X.shape[1], 3, replace=False)
    X[np.ix_(rows, columns)] *= 200.0
    return X


def test_the_rows_leverages():
    X, _ = _gaussian(n=20_000, d=30)
    weight = np.ones(len(X))
    share, largest = row_leverages(_raw(X), weight, True)
    assert share > 0.9 and largest < 0.01  # however scaled and offset
    assert row_leverages(_raw(X), weight, True) == (share, largest)  # no draws
    heavy = _with_outliers(_raw(X))
    heavy_share, heavy_largest = row_leverages(heavy, weight, True)
    assert heavy_largest > 0.2 and heavy_share < share
    # a row of weight 0 is not a row
    outlying = np.any(heavy != _raw(X), axis=1)
    kept_share, kept_largest = row_leverages(heavy, (~outlying).astype(float), True)
    assert kept_share > 0.9 and kept_largest < 0.01
    np.testing.assert_allclose(
        row_leverages(sp.csr_matrix(_raw(X)), weight, True), (share, largest)
    )
    assert row_leverages(X, np.zeros(len(X)), True) == (1.0, 0.0)


def test_a_row_alone_in_a_rare_column_rules_it_beside_a_huge_feature():
    # One row holds the indicator: its leverage is 1 (it alone carries that
    # direction), though the indicator's second moment lies 1e-14 below the
    # survey-weight-like column's; a floor at 1e-12 of the largest
    # eigenvalue dropped that direction.
    rng = np.random.default_rng(0)
    X = np.column_stack(
        [rng.exponential(size=1000) * 2e5, rng.normal(size=1000), np.zeros(1000)]
    )
    X[17, 2] = 1.0
    _, largest = row_leverages(X, np.ones(1000), True)
    assert largest == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("n_samples", "leverages", "bounded", "expected"),
    [
        (50_000, (0.9, 0.001), False, "subsampled-newton"),
        # bounds rule out the sampled steps: the full Hessian, not lbfgs
        (50_000, (0.9, 0.001), True, "newton-cholesky"),
        (50_000, (0.01, 0.001), False, "newton-cholesky"),  # few rows carry it
        (50_000, (0.9, 0.3), False, "newton-cholesky"),  # one row rules
        (15_000, (0.9, 0.001), False, "newton-cholesky"),  # too few to sample
    ],
)
def test_auto_samples_rows_that_carry_the_curvature_evenly(
    n_samples, leverages, bounded, expected
):
    asked = []

    def row_leverages():
        asked.append(True)
        return leverages

    penalty = make_penalty("l2", 1e-4, 0.0, 20)
    solver = resolve_solver(
        "auto",
        penalty,
        n_samples=n_samples,
        n_features=40,
        n_classes=20,
        bounded=bounded,
        cg_steps=lambda: 150,  # raw features: the full Hessian by the spectrum
        row_leverages=row_leverages,
    )
    assert solver == expected
    assert asked == ([True] if n_samples >= 20_000 else [])
    # well-conditioned features never ask
    asked.clear()
    resolve_solver(
        "auto",
        penalty,
        n_samples=n_samples,
        n_features=40,
        n_classes=20,
        cg_steps=lambda: 3,
        row_leverages=row_leverages,
    )
    assert not asked


@pytest.mark.parametrize(
    ("n_samples", "outliers", "expected"),
    [
        # below 20,000 rows: the full Hessian against Newton-CG
        (15_000, False, "newton-cholesky"),
        # from 20,000 rows, rows that carry the curvature evenly: the
        # sampled steps (their Kronecker factors take the scales out)
        (25_000, False, "subsampled-newton"),
        # a few rows carry it: samples miss them, the full Hessian
        (25_000, True, "newton-cholesky"),
    ],
)
def test_auto_on_raw_features_with_many_parameters(n_samples, outliers, expected):
    """820 parameters (beyond the shape rule's 300) on raw scales: Newton-CG
    with the Jacobi preconditioner needs over a hundred products a step."""
    X, y = _gaussian(n=n_samples, d=40, k=20, seed=2)
    raw = _raw(X)
    if outliers:
        raw = _with_outliers(raw)
    reports = []
    with observe_solves(reports.append):
        fit = SoftmaxRegression(alpha=1e-3).fit(raw, y)
    assert reports[-1].solver == expected
    assert fit.converged_
    # the optimum: the objective's gradient (mean loss + alpha/2 |W|^2)
    proba = fit.predict_proba(raw)
    proba[np.arange(len(y)), np.searchsorted(fit.classes_, y)] -= 1.0
    grad_coef = proba.T @ raw / len(y) + 1e-3 * fit.coef_
    assert np.max(np.abs(grad_coef)) < 1e-4
    assert np.max(np.abs(proba.mean(axis=0))) < 1e-4
