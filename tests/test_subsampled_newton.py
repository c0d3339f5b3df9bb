"""Sub-sampled Newton-CG: the true optimum from products on a row sample."""

import itertools
from collections import deque

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from softmax_regression import SoftmaxRegression
from softmax_regression._dask._chunk_loss import DaskMultinomialLoss
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty, make_penalty
from softmax_regression._solvers import _newton_cg, _subsampled_newton, resolve_solver
from softmax_regression._solvers._newton_cholesky import hessian_in_products
from softmax_regression._solvers._subsampled_newton import (
    MIN_ROWS_TO_SAMPLE,
    _curvature_bias,
    _sampled_step_costs_a_hessian,
    _Sampler,
    _step_scale,
)

# 10,000 rows: above twice the least sample (2,000 rows), so the first
# steps sample, yet small enough to fit in a fraction of a second.
N_ROWS = 10_000
LEAST_SAMPLE = 2_000


@pytest.fixture(autouse=True)
def _sampled_steps_only(request, monkeypatch):
    """These problems' Hessians cost a few products (8 features, 4 classes),
    so the solver would soon turn to it; the tests below exercise the
    sampled steps, except those that test the turn itself."""
    if "full_hessian" not in request.node.name:
        monkeypatch.setattr(_subsampled_newton, "_HESSIAN_SHARE", np.inf)


def _problem(n=N_ROWS, d=8, k=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.2, 3.0, size=d)
    coef = rng.normal(size=(k, d))
    logits = X @ coef.T + rng.gumbel(size=(n, k))
    return X, np.argmax(logits, axis=1)


def _recording_take(monkeypatch):
    """Record the number of rows of every sample the solver takes."""
    sizes = []
    take = Objective.take

    def recording(self, rows, dtype=None):
        sizes.append(len(rows))
        return take(self, rows, dtype)

    monkeypatch.setattr(Objective, "take", recording)
    return sizes


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_reaches_the_optimum_of_the_full_hessian_solver(fit_intercept, monkeypatch):
    X, y = _problem()
    weight = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    sizes = _recording_take(monkeypatch)
    params = dict(alpha=1e-3, tol=1e-8, fit_intercept=fit_intercept)
    fit = SoftmaxRegression(solver="subsampled-newton", **params).fit(
        X, y, sample_weight=weight
    )
    assert sizes and max(sizes) == LEAST_SAMPLE  # the products ran on samples
    reference = SoftmaxRegression(solver="newton-cholesky", **params).fit(
        X, y, sample_weight=weight
    )
    assert fit.converged_
    gap = np.max(np.abs(fit.predict_proba(X) - reference.predict_proba(X)))
    assert gap < 1e-6
    assert fit.objective_ == pytest.approx(reference.objective_, rel=1e-10)


def test_soft_targets_and_sparse_rows_reach_the_optimum(monkeypatch):
    X, y = _problem()
    rng = np.random.default_rng(2)
    X[rng.uniform(size=X.shape) < 0.6] = 0.0
    targets = np.eye(4)[y] * 0.7 + rng.dirichlet(np.ones(4), size=len(y)) * 0.3
    sizes = _recording_take(monkeypatch)
    fit = SoftmaxRegression(solver="subsampled-newton", alpha=1e-3, tol=1e-8).fit(
        sp.csr_matrix(X), targets
    )
    assert sizes and max(sizes) == LEAST_SAMPLE
    reference = SoftmaxRegression(solver="newton-cg", alpha=1e-3, tol=1e-8).fit(
        X, targets
    )
    gap = np.max(np.abs(fit.predict_proba(X) - reference.predict_proba(X)))
    assert gap < 1e-6


def test_stops_on_the_gradient_over_every_row():
    X, y = _problem()
    loss = MultinomialLoss(X, y, np.ones(len(y)), 4)
    objective = Objective(loss, L2Penalty(1e-3))
    calls = []
    result = _subsampled_newton.solve(
        objective,
        np.zeros(objective.n_params),
        tol=1e-7,
        max_iter=100,
        callback=lambda *args: calls.append(args),
    )
    assert result.converged
    _, grad = objective.value_and_grad(result.x)
    assert np.max(np.abs(grad)) <= 1e-7
    assert result.fun == objective.value(result.x)
    assert len(calls) == result.n_iter
    assert all(b[2] <= a[2] for a, b in itertools.pairwise(calls))


def test_is_deterministic():
    X, y = _problem()
    fits = [
        SoftmaxRegression(solver="subsampled-newton", tol=1e-6).fit(X, y)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].n_iter_ == fits[1].n_iter_


def _recording_value_range(monkeypatch):
    """Record the number of rows of every value range the solver reads."""
    counts = []
    value_range = Objective.value_range

    def recording(self, rows=None):
        counts.append(None if rows is None else len(rows))
        return value_range(self, rows)

    monkeypatch.setattr(Objective, "value_range", recording)
    return counts


def test_a_fortieth_of_the_rows_decides_the_dtype_then_samples_are_a_tenth(
    monkeypatch,
):
    X, y = _problem(n=120_000, d=4, k=3)
    sizes, ranges = _recording_take(monkeypatch), _recording_value_range(monkeypatch)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        SoftmaxRegression(solver="subsampled-newton", max_iter=1).fit(X, y)
    assert ranges == [3_000]  # read in place, not copied
    assert sizes == [12_000, 12_000]  # the start's sample, the one step's


def test_samples_never_copy_more_than_a_tenth_of_the_rows(monkeypatch):
    X, y = _problem(n=40_000, d=30, k=6)
    X[:200] *= 30  # a few rows dominate the curvature: samples miss them
    sizes = _recording_take(monkeypatch)
    fit = SoftmaxRegression(solver="subsampled-newton", tol=1e-8).fit(X, y)
    assert set(sizes) == {4_000}  # a tenth of the rows
    reference = SoftmaxRegression(solver="newton-cg", tol=1e-8).fit(X, y)
    assert fit.converged_
    assert fit.objective_ == pytest.approx(reference.objective_, rel=1e-14)
    # both stop where a step's predicted decrease is below F's rounding,
    # which leaves about 1e-6 in the heavy rows' probabilities (|x| ~ 500)
    gap = np.max(np.abs(fit.predict_proba(X) - reference.predict_proba(X)))
    assert gap < 5e-6


def test_few_rows_run_newton_cg_on_all_of_them(monkeypatch):
    X, y = _problem(n=3_000)
    sizes = _recording_take(monkeypatch)
    fit = SoftmaxRegression(solver="subsampled-newton", tol=1e-8).fit(X, y)
    reference = SoftmaxRegression(solver="newton-cg", tol=1e-8).fit(X, y)
    assert sizes == []
    np.testing.assert_allclose(fit.coef_, reference.coef_, atol=1e-9)


def test_sampler_draws_distinct_sorted_rows():
    sampler = _Sampler(200_000, seed=0)
    first, second = sampler.draw(), sampler.draw()
    for rows in (first, second):
        assert rows.shape == (5_000,)
        assert np.all(np.diff(rows) > 0) and rows[-1] < 200_000
    assert not np.array_equal(first, second)  # drawn afresh


@pytest.mark.parametrize(
    ("n_samples", "data_itemsize", "dtype", "largest"),
    [
        (20_000, 8, np.float32, 4_000),  # float32 rows of float64 X: a fifth
        (20_000, 8, np.float64, 2_000),  # copies in X's dtype: a tenth
        (20_000, 4, np.float32, 2_000),  # float32 X
        (30_000, 8, np.float32, 4_000),  # no more than _LARGEST_ROWS
        (200_000, 8, np.float32, 20_000),  # a tenth of the rows is more
        (10_000, 8, np.float32, 2_000),  # the least sample
        (20_000, None, np.float32, 2_000),  # sparse X: a tenth of the rows
    ],
)
def test_the_largest_sample_fits_in_a_tenth_of_xs_bytes(
    n_samples, data_itemsize, dtype, largest
):
    sampler = _Sampler(n_samples, seed=0, data_itemsize=data_itemsize)
    sampler.settle_dtype(dtype)
    assert sampler.largest == largest


def test_float32_samples_of_float64_x_take_a_tenth_of_its_bytes(monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20_000, 10))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(20_000, 3)), axis=1)
    copies = []
    take = Objective.take

    def recording(self, rows, dtype=None):
        sample = take(self, rows, dtype)
        copies.append(sample.loss.X)
        return sample

    monkeypatch.setattr(Objective, "take", recording)
    fit = SoftmaxRegression(solver="subsampled-newton", tol=1e-6).fit(X, y)
    assert fit.converged_
    # the first draw's magnitudes, read in place, decide float32
    assert copies and all(copy.dtype == np.float32 for copy in copies)
    assert {copy.shape[0] for copy in copies} == {4_000}
    assert max(copy.nbytes for copy in copies) <= 0.1 * X.nbytes


def test_the_sampled_steps_are_solved_to_a_tenth(monkeypatch):
    # Gaussian features: after the first draw (whose magnitudes decide
    # float32), 4,000 float32 rows a sample, each solve stopped at a
    # relative residual of at most 0.1
    rtols, sizes = [], []
    forcing = _newton_cg.forcing_term

    def recorded(grad, largest=0.5):
        rtols.append(forcing(grad, largest))
        return rtols[-1]

    draw = _Sampler.draw

    def recorded_draw(self):
        sizes.append(self.size)
        return draw(self)

    monkeypatch.setattr(_newton_cg, "forcing_term", recorded)
    monkeypatch.setattr(_Sampler, "draw", recorded_draw)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 10))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(40_000, 3)), axis=1)
    SoftmaxRegression(solver="subsampled-newton", tol=1e-6).fit(X, y)
    assert sizes[:3] == [2_000, 4_000, 4_000]
    assert max(rtols) <= 0.1


@pytest.mark.parametrize(
    ("n_samples", "first", "largest"),
    [
        (200_000, 5_000, 20_000),  # a fortieth, then a tenth of the rows
        (40_000, 2_000, 4_000),  # from the least sample
        (10_000, 2_000, 2_000),  # above a tenth: the least sample only
        (3_999, None, None),  # below twice the least sample: never sampled
    ],
)
def test_samples_are_a_tenth_of_the_rows_once_the_dtype_is_settled(
    n_samples, first, largest
):
    sampler = _Sampler(n_samples, seed=0)
    assert sampler.exhausted == (first is None)
    if first is None:
        return
    assert len(sampler.draw()) == first
    sampler.settle_dtype(np.float64)
    assert len(sampler.draw()) == sampler.size == largest
    assert not sampler.exhausted


def test_auto_takes_it_from_the_rows_where_sampling_pays():
    penalty = make_penalty("l2", 1e-4, 0.0, 10)
    shape = dict(n_features=784, n_classes=10)
    many = MIN_ROWS_TO_SAMPLE
    auto = resolve_solver("auto", penalty, n_samples=many, **shape)
    assert auto == "subsampled-newton"
    fewer = resolve_solver("auto", penalty, n_samples=many - 1, **shape)
    assert fewer == "newton-cg"
    # Dask offers no subset of the rows; bounds rule out Newton-CG.
    dask = DaskMultinomialLoss.OFFERS
    assert (
        resolve_solver("auto", penalty, n_samples=many, loss_offers=dask, **shape)
        == "newton-cg"
    )
    assert (
        resolve_solver("auto", penalty, n_samples=many, bounded=True, **shape)
        == "lbfgs"
    )


def test_refuses_bounds_and_l1_with_the_fix():
    X, y = _problem(n=200)
    with pytest.raises(ValueError, match="lower_bound and upper_bound"):
        SoftmaxRegression(solver="subsampled-newton", lower_bound=0).fit(X, y)
    with pytest.raises(ValueError, match="prox-newton"):
        SoftmaxRegression(solver="subsampled-newton", l1_ratio=0.5).fit(X, y)


def test_threads_and_penalty_factors_on_samples(monkeypatch):
    X, y = _problem()
    factor = np.linspace(0.0, 2.0, X.shape[1])
    params = dict(alpha=1e-2, tol=1e-8, penalty_factor=factor)
    sizes = _recording_take(monkeypatch)
    fit = SoftmaxRegression(solver="subsampled-newton", n_jobs=2, **params)
    fit.fit(X, y)
    assert sizes and max(sizes) == LEAST_SAMPLE
    reference = SoftmaxRegression(solver="newton-cholesky", **params).fit(X, y)
    gap = np.max(np.abs(fit.predict_proba(X) - reference.predict_proba(X)))
    assert gap < 1e-6


def test_every_row_decides_a_stop_at_working_precision(monkeypatch):
    # float32 data: the loop stops when a step's predicted decrease is below
    # F's rounding; that prediction must not come from a sample.
    X, y = _problem()
    loss = MultinomialLoss(X.astype(np.float32), y, np.ones(len(y)), 4)
    penalty = make_penalty("l2", 1e-2, 0.0, 4, np.linspace(0.0, 2.0, X.shape[1]))
    objective = Objective(loss, penalty)
    full_models = []
    gradient_hessp = Objective.gradient_hessp

    def recording(self, w, **options):
        if self.n_samples == N_ROWS:
            full_models.append(w)
        return gradient_hessp(self, w, **options)

    monkeypatch.setattr(Objective, "gradient_hessp", recording)
    result = _subsampled_newton.solve(
        objective, np.zeros(objective.n_params), tol=1e-9, max_iter=100
    )
    assert result.converged
    assert result.message == "predicted decrease below working precision"
    assert len(full_models) == 1
    np.testing.assert_array_equal(full_models[0], result.x)


def test_path_and_cv_run_it(monkeypatch):
    from softmax_regression import SoftmaxRegressionCV, softmax_regression_path

    X, y = _problem()
    sizes = _recording_take(monkeypatch)
    alphas = [1e-1, 1e-2]
    _, coefs, _ = softmax_regression_path(
        X, y, alphas=alphas, solver="subsampled-newton", tol=1e-8
    )[:3]
    assert sizes
    for alpha, coef in zip(alphas, coefs, strict=True):
        fit = SoftmaxRegression(alpha=alpha, solver="newton-cg", tol=1e-8).fit(X, y)
        np.testing.assert_allclose(coef, fit.coef_, atol=1e-6)
    search = SoftmaxRegressionCV(alphas=alphas, cv=2, solver="subsampled-newton")
    assert search.fit(X, y).score(X, y) > 0.5


@pytest.mark.parametrize(("scale", "later"), [(1.0, np.float32), (1e16, np.float64)])
def test_later_samples_in_float32_where_the_values_fit(scale, later, monkeypatch):
    X, y = _problem(n=40_000, d=6, k=3)
    X *= scale
    dtypes = []
    take = Objective.take

    def recording(self, rows, dtype=None):
        sample = take(self, rows, dtype)
        dtypes.append(sample.dtype)
        return sample

    monkeypatch.setattr(Objective, "take", recording)
    fit = SoftmaxRegression(solver="subsampled-newton", alpha=1e-3 / scale**2, tol=1e-7)
    fit.fit(X, y)
    assert len(dtypes) > 2 and set(dtypes) == {np.dtype(later)}
    monkeypatch.undo()
    reference = SoftmaxRegression(
        solver="newton-cholesky", alpha=1e-3 / scale**2, tol=1e-10
    ).fit(X, y)
    np.testing.assert_allclose(
        fit.predict_proba(X), reference.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("sparse", [False, True])
def test_rows_copied_in_another_dtype(sparse):
    from softmax_regression._loss._kernels import rows_of

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50_000, 3)) * (rng.uniform(size=(50_000, 3)) < 0.5)
    X = sp.csr_matrix(X) if sparse else X
    rows = np.sort(rng.choice(50_000, 30_000, replace=False))
    for part in (rows, slice(10, 40_000)):
        copy = rows_of(X, part, np.float32)
        assert copy.dtype == np.float32
        expected = X[part].astype(np.float32)
        if sparse:
            copy, expected = copy.toarray(), expected.toarray()
        np.testing.assert_array_equal(copy, expected)
    assert rows_of(X, rows).dtype == np.float64


def test_value_range_of_dense_sparse_and_zero_data():
    X = np.array([[0.0, -3.0], [1e-5, 0.0]])
    for data in (X, sp.csr_matrix(X)):
        loss = MultinomialLoss(data, np.array([0, 1]), np.ones(2), 2)
        assert loss.value_range() == (1e-5, 3.0)
    zero = MultinomialLoss(np.zeros((2, 2)), np.array([0, 1]), np.ones(2), 2)
    assert zero.value_range() == (float("inf"), 0.0)


def test_the_curvature_bias_is_read_from_the_line_search_point():
    # F along the step s: F0 + t g.s + t^2 c / 2 with g.s = -2 and c = 3,
    # against the sample's s^T H_S s = 1: the bias is 3 at any step length
    last = {"slope": -2.0, "curvature": 1.0}
    for t in (1.0, 0.5, 0.125):
        measured = -(t * -2.0 + 0.5 * t**2 * 3.0)
        assert _curvature_bias(last, t, measured) == pytest.approx(3.0)
    assert _curvature_bias({"slope": -2.0}, 1.0, 1.0) is None  # every row


@pytest.mark.parametrize(
    ("biases", "scale"),
    [
        ([], 1.0),
        ([2.0], 1.0),  # one step says nothing of the next
        ([2.0, 2.2], 1 / np.sqrt(4.4)),  # steady: shortened by their mean
        ([1.1, 1.2], 1.0),  # the sample's curvature about right
        ([2.0, 3.0], 1.0),  # varies from step to step
        ([40.0, 45.0], 0.1),  # never below a tenth
    ],
)
def test_steps_are_shortened_only_by_a_steady_bias(biases, scale):
    assert _step_scale(deque(biases, maxlen=2)) == pytest.approx(scale)


def test_shortened_steps_converge_in_fewer_iterations(monkeypatch):
    # 1,010 parameters on samples of 2,000 rows: the sampled curvature is
    # low by a steady factor, and full steps converge slowly
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_ROWS, 100))
    logits = X @ rng.normal(size=(100, 10)) * 0.3
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    params = dict(alpha=1e-4, tol=1e-6)
    shortened = SoftmaxRegression(solver="subsampled-newton", **params).fit(X, y)
    monkeypatch.setattr(_subsampled_newton, "_LEAST_BIAS", np.inf)
    full = SoftmaxRegression(solver="subsampled-newton", **params).fit(X, y)
    assert shortened.converged_ and full.converged_
    assert shortened.n_iter_ < 0.8 * full.n_iter_
    reference = SoftmaxRegression(solver="newton-cg", alpha=1e-4, tol=1e-9).fit(X, y)
    np.testing.assert_allclose(
        shortened.predict_proba(X), reference.predict_proba(X), atol=1e-5
    )


def test_turns_to_the_full_hessian_where_sampled_products_cost_more(monkeypatch):
    # raw features of scales 1e5 and 1 (a binary one); a Hessian of 36
    # parameters costs 6.25 products over every row, and with a share of
    # it that small every sampled step's products cost more
    monkeypatch.setattr(_subsampled_newton, "_HESSIAN_SHARE", 1e-3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_ROWS, 8))
    X[:, 0] = rng.exponential(size=N_ROWS) * 1e5
    X[:, 1] = rng.integers(0, 2, N_ROWS)
    coef = rng.normal(size=(4, 8)) * 3 / np.array([1e5] + [1] * 7)
    y = np.argmax(X @ coef.T + rng.gumbel(size=(N_ROWS, 4)), axis=1)
    turns, sizes = [], _recording_take(monkeypatch)
    steps = _subsampled_newton.CholeskySteps

    def turning(objective):
        turns.append(len(sizes))
        return steps(objective)

    monkeypatch.setattr(_subsampled_newton, "CholeskySteps", turning)
    params = dict(alpha=1e-3, tol=1e-8)
    fit = SoftmaxRegression(solver="subsampled-newton", **params).fit(X, y)
    # the start's sample and one sampled step, then none after the turn
    assert turns == [2] and len(sizes) == 2
    reference = SoftmaxRegression(solver="newton-cholesky", **params).fit(X, y)
    assert fit.converged_
    gap = np.max(np.abs(fit.predict_proba(X) - reference.predict_proba(X)))
    assert gap < 1e-6
    assert fit.objective_ == pytest.approx(reference.objective_, rel=1e-12)


def _objective_of(n_samples, n_features, n_classes):
    X = np.zeros((n_samples, n_features))
    target = np.arange(n_samples) % n_classes
    loss = MultinomialLoss(X, target, np.ones(n_samples), n_classes)
    return Objective(loss, L2Penalty(1e-4))


def test_the_full_hessian_pays_from_half_its_cost_in_sampled_products():
    objective = _objective_of(1_000, 8, 4)
    half = 0.5 * hessian_in_products(8, 4) * 1_000  # product rows
    assert hessian_in_products(8, 4) == pytest.approx(5 * 10 / 8)
    assert not _sampled_step_costs_a_hessian(objective, int(half))
    assert _sampled_step_costs_a_hessian(objective, int(half) + 1)


def test_the_full_hessian_only_for_few_parameters_and_where_offered(monkeypatch):
    many = _objective_of(100, 200, 10)  # 2,010 parameters
    assert not _sampled_step_costs_a_hessian(many, 10**12)
    objective = _objective_of(100, 8, 4)
    monkeypatch.setattr(
        Objective, "offers", property(lambda self: frozenset({"value_and_grad"}))
    )
    assert not _sampled_step_costs_a_hessian(objective, 10**12)


def _gaussian_problem(n=40_000, d=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    coef = rng.normal(size=(k, d)) * 2
    return X, np.argmax(X @ coef.T + rng.gumbel(size=(n, k)), axis=1)


def _recording_runs(monkeypatch):
    """Record ``(rows, iterations)`` of every Newton loop the solver runs:
    the start's on a sample, then the fit's on every row."""
    runs = []
    run_newton = _subsampled_newton.run_newton

    def recording(objective, w0, **kwargs):
        result = run_newton(objective, w0, **kwargs)
        runs.append((objective.n_samples, result.n_iter))
        return result

    monkeypatch.setattr(_subsampled_newton, "run_newton", recording)
    return runs


def _full_passes(monkeypatch, n_rows):
    """Count the loss-and-gradient passes over all ``n_rows`` rows."""
    passes = []
    value_and_grad = MultinomialLoss.value_and_grad

    def counting(self, w):
        if self.n_samples == n_rows:
            passes.append(w)
        return value_and_grad(self, w)

    monkeypatch.setattr(MultinomialLoss, "value_and_grad", counting)
    return passes


def test_the_fit_starts_with_newton_steps_on_one_sample(monkeypatch):
    X, y = _gaussian_problem()
    runs, passes = _recording_runs(monkeypatch), _full_passes(monkeypatch, len(y))
    fit = SoftmaxRegression(solver="subsampled-newton", tol=1e-6).fit(X, y)
    (start_rows, start_steps), (full_rows, full_steps) = runs
    assert (start_rows, full_rows) == (4_000, 40_000) and start_steps >= 1
    assert len(passes) == full_steps + 1  # one pass a step on every row
    # without the start, Newton's damped phase takes passes over every row
    monkeypatch.setattr(_subsampled_newton, "_START_STEPS", 0)
    runs.clear()
    passes.clear()
    unstarted = SoftmaxRegression(solver="subsampled-newton", tol=1e-6).fit(X, y)
    assert runs[0][1] == 0 and len(passes) > full_steps + 1
    gap = np.max(np.abs(fit.predict_proba(X) - unstarted.predict_proba(X)))
    assert gap < 1e-6


def test_a_start_at_the_optimum_takes_no_step_on_the_sample(monkeypatch):
    # the sample's own optimum is farther from the data's than this start:
    # a step towards it would lose ground
    X, y = _gaussian_problem()
    optimum = SoftmaxRegression(solver="newton-cg", tol=1e-10).fit(X, y)
    loss = MultinomialLoss(X, y, np.ones(len(y)), 3)
    objective = Objective(loss, L2Penalty(1e-4))
    w0 = objective.layout.pack(optimum.coef_, optimum.intercept_)
    runs = _recording_runs(monkeypatch)
    result = _subsampled_newton.solve(objective, w0, tol=1e-6, max_iter=100)
    assert runs[0] == (4_000, 0)
    assert result.converged and result.fun <= objective.value(w0) + 1e-15


def test_the_start_stops_within_three_times_a_samples_expected_excess():
    # lambda^2 / 2 <= 3 p / (2 m): the test of tol = sqrt(3 p / m)
    assert _subsampled_newton._start_tol(255, 4_000) == pytest.approx(
        np.sqrt(3 * 255 / 4_000)
    )
    assert _subsampled_newton._start_tol(7_850, 6_000) > 1  # many parameters


def test_newton_loop_can_stop_before_its_last_step():
    from softmax_regression._solvers._newton import run_newton

    X, y = _problem(n=500)
    objective = Objective(MultinomialLoss(X, y, np.ones(500), 4), L2Penalty(1e-3))

    def local_model(w):
        value, grad, diagonal, hessp = objective.gradient_hessp(w)
        return value, grad, (diagonal, hessp)

    def newton_step(grad, model):
        return _newton_cg.newton_cg_step(grad, *model, None).step

    w0 = np.zeros(objective.n_params)
    runs = {
        final: run_newton(
            objective,
            w0,
            tol=10.0,
            max_iter=10,
            callback=None,
            local_model=local_model,
            newton_step=newton_step,
            final_step=final,
        )
        for final in (True, False)
    }
    assert runs[True].n_iter == 1 and runs[True].fun < objective.value(w0)
    assert runs[False].n_iter == 0 and np.array_equal(runs[False].x, w0)


@pytest.mark.parametrize("sparse", [False, True])
def test_value_range_of_some_rows(sparse):
    X = np.array([[0.0, -3.0], [1e-5, 0.0], [7.0, 2e-3]])
    data = sp.csr_matrix(X) if sparse else X
    loss = MultinomialLoss(data, np.array([0, 1, 0]), np.ones(3), 2)
    assert loss.value_range(np.array([1, 2])) == (1e-5, 7.0)
    assert loss.value_range(np.array([0])) == (3.0, 3.0)
    assert loss.value_range() == (1e-5, 7.0)


def test_the_feature_factor_reads_the_starts_rows_before_they_are_copied(
    monkeypatch,
):
    # the Gram and its eigenvectors (d^2 each) must not add to the copy
    X, y = _gaussian_problem()
    events = []
    feature_gram, take = Objective.feature_gram, Objective.take

    def recording_gram(self, rows=None):
        events.append(("gram", self.n_samples, rows.copy()))
        return feature_gram(self, rows)

    def recording_take(self, rows, dtype=None):
        events.append(("take", self.n_samples, rows.copy()))
        return take(self, rows, dtype)

    monkeypatch.setattr(Objective, "feature_gram", recording_gram)
    monkeypatch.setattr(Objective, "take", recording_take)
    SoftmaxRegression(solver="subsampled-newton", tol=1e-6).fit(X, y)
    (gram, on_gram, gram_rows), (copy, on_copy, copied_rows) = events[:2]
    assert (gram, copy) == ("gram", "take") and on_gram == on_copy == len(y)
    np.testing.assert_array_equal(gram_rows, copied_rows)
    assert [event[0] for event in events[2:]] == ["take"] * (len(events) - 2)
