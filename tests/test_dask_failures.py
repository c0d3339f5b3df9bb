"""Failures on Dask input: a failed fit (search, refit, lost cluster) leaves
the estimator as it was, Newton-CG survives a lost worker as L-BFGS does,
and scorer names score validation parts that lack a class.

The cluster tests share one ``LocalCluster`` of two worker processes; the
others run on Dask's local threaded scheduler.
"""

import os

import dask
import dask.array as da
import distributed
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

import softmax_regression._dask as dask_module
import softmax_regression._dask._chunk_loss as chunk_loss_module
import softmax_regression._search._cv as cv_module
from softmax_regression import SoftmaxRegression, SoftmaxRegressionCV
from softmax_regression._dask._reduce import LostWorkError

N_SAMPLES, N_FEATURES = 1200, 5
LOST = "lost workers or data during the fit"


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, N_SAMPLES)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X[:, :2] += y[:, None]
    return X, y


def _chunked(X, y):
    return da.from_array(X, chunks=(300, N_FEATURES)), da.from_array(y, chunks=300)


def assert_unchanged(estimator, before: dict) -> None:
    """Every attribute of ``estimator`` is the very object it was."""
    after = vars(estimator)
    assert sorted(after) == sorted(before)
    assert [name for name in before if after[name] is not before[name]] == []


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def threads():
    """Dask's local threaded scheduler, even while a client exists."""
    with dask.config.set(scheduler="threads"):
        yield


def _fail_the_refit(monkeypatch, error):
    """The CV refit's solve (the one warm-started from a given point) calls
    ``error()``; the folds' paths run."""
    solve_path = cv_module.solve_path

    def solve_or_fail(config, problem, alphas, start=None):
        if start is not None:
            error()
        return solve_path(config, problem, alphas, start)

    monkeypatch.setattr(cv_module, "solve_path", solve_or_fail)


def _raise_lost():
    raise RuntimeError(f"The Dask cluster {LOST} (simulated)")


# -- a failed SoftmaxRegressionCV.fit on Dask sets nothing -------------------------
CV_PARAMS = {"alphas": [1e-1, 1e-3], "cv": 3, "solver": "lbfgs"}


def test_failed_refit_on_dask_sets_nothing(threads, monkeypatch):
    X, y = _problem()
    _fail_the_refit(monkeypatch, _raise_lost)
    clf = SoftmaxRegressionCV(**CV_PARAMS)
    before = dict(vars(clf))
    with pytest.raises(RuntimeError, match=LOST):
        clf.fit(*_chunked(X, y))
    assert_unchanged(clf, before)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_failed_refit_on_dask_keeps_the_previous_model(threads, monkeypatch):
    X, y = _problem()
    clf = SoftmaxRegressionCV(**CV_PARAMS).fit(*_chunked(X[:, :3], y))
    before = dict(vars(clf))
    _fail_the_refit(monkeypatch, _raise_lost)
    with pytest.raises(RuntimeError, match=LOST):
        clf.fit(*_chunked(X, y))
    assert_unchanged(clf, before)
    assert clf.predict(X[:, :3]).shape == (N_SAMPLES,)


@pytest.mark.slow
def test_restart_during_the_cv_refit_sets_nothing(client, monkeypatch):
    """The issue's case: ``client.restart()`` while the refit runs."""
    X, y = _problem()
    old = SoftmaxRegressionCV(**CV_PARAMS).fit(*_chunked(X[:, :3], y))
    _fail_the_refit(monkeypatch, client.restart)
    for clf in (SoftmaxRegressionCV(**CV_PARAMS), old):
        before = dict(vars(clf))
        with pytest.raises(RuntimeError, match=LOST):
            clf.fit(*_chunked(X, y))
        assert_unchanged(clf, before)
        client.wait_for_workers(2, timeout=60)
    with pytest.raises(NotFittedError):
        SoftmaxRegressionCV().predict(X)


# -- a failed SoftmaxRegression.fit on Dask sets nothing ---------------------------
def _fail_after_first_evaluation(monkeypatch, error):
    """Every Dask loss calls ``error()`` at its second evaluation."""
    evaluate = dask_module.DaskMultinomialLoss.value_and_grad

    def fail_on_second(self, w):
        # counted on the loss itself: a count by id() carried over to a new
        # loss that reused a collected one's id, which then never failed
        self.evaluations_in_test = getattr(self, "evaluations_in_test", 0) + 1
        if self.evaluations_in_test == 2:
            error()
        return evaluate(self, w)

    monkeypatch.setattr(
        dask_module.DaskMultinomialLoss, "value_and_grad", fail_on_second
    )


def test_failed_dask_fit_sets_nothing(threads, monkeypatch):
    X, y = _problem()
    old = SoftmaxRegression(solver="lbfgs").fit(X[:, :3], y)
    _fail_after_first_evaluation(monkeypatch, _raise_lost)
    for model in (SoftmaxRegression(solver="lbfgs"), old):
        before = dict(vars(model))
        with pytest.raises(RuntimeError, match=LOST):
            model.fit(*_chunked(X, y))
        assert_unchanged(model, before)
    with pytest.raises(NotFittedError):
        SoftmaxRegression(solver="lbfgs").predict(X)


@pytest.mark.slow
def test_restart_mid_dask_fit_sets_nothing(client, monkeypatch):
    X, y = _problem()
    _fail_after_first_evaluation(monkeypatch, client.restart)
    model = SoftmaxRegression(solver="lbfgs", tol=1e-8)
    with pytest.raises(RuntimeError, match=LOST):
        model.fit(*_chunked(X, y))
    assert vars(model) == vars(SoftmaxRegression(solver="lbfgs", tol=1e-8))
    with pytest.raises(NotFittedError):
        model.predict(X)
    client.wait_for_workers(2, timeout=60)


# -- scorer names on Dask ------------------------------------------------------------
def test_scorer_names_score_a_fold_without_a_class_on_dask(threads):
    X, y = _problem()
    y[y == 2] = 1
    y[[10, 500, 1100]] = 2  # three members: two validation parts lack it
    with pytest.warns(UserWarning, match="only 3 members"):
        folds = list(StratifiedKFold(5).split(X, y))
    assert sum(2 not in y[test] for _, test in folds) == 2
    params = {"alphas": [1e-1, 1e-3], "cv": folds, "solver": "lbfgs", "tol": 1e-8}
    for scoring in ("neg_log_loss", "neg_brier_score"):
        memory = SoftmaxRegressionCV(scoring=scoring, **params).fit(X, y)
        model = SoftmaxRegressionCV(scoring=scoring, **params).fit(*_chunked(X, y))
        assert np.all(np.isfinite(model.scores_))
        np.testing.assert_allclose(model.scores_, memory.scores_, atol=1e-6)
    # score: the scoring of the search, over all the classes
    lacking = y != 2
    assert model.score(X[lacking], y[lacking]) == pytest.approx(
        -brier_score_loss(y[lacking], model.predict_proba(X[lacking]), labels=[0, 1, 2])
    )


# -- Newton-CG loses a worker while Hessian-vector products are in flight ---------
def _kill_one_worker(client):
    victim = sorted(client.scheduler_info()["workers"])[0]
    try:
        client.run(os._exit, 1, workers=[victim])
    except Exception:  # the worker dies before it can answer
        pass


def _kill_during_products(monkeypatch, client, at: int):
    """Kill a worker just before the ``at``-th Hessian-vector product (each
    chunk's probabilities, kept on the workers, are lost with it)."""
    local_model = dask_module.DaskMultinomialLoss.gradient_hessp
    products = []

    def gradient_hessp(self, w, **options):
        value, grad, diagonal, hessp = local_model(self, w, **options)

        def killing_hessp(v):
            products.append(1)
            if len(products) == at:
                _kill_one_worker(client)
            return hessp(v)

        return value, grad, diagonal, killing_hessp

    monkeypatch.setattr(
        dask_module.DaskMultinomialLoss, "gradient_hessp", gradient_hessp
    )
    return products


def _lose_products(monkeypatch, lost):
    """The ``count``-th Hessian-vector product over the kept states raises
    the lost-work error where ``lost(count)``; returns the products tried."""
    kept_states = chunk_loss_module._KeptStates
    product = kept_states.product
    products = []

    def product_or_lost(self, v):
        products.append(1)
        if lost(len(products)):
            raise LostWorkError(f"The Dask cluster {LOST} (simulated)")
        return product(self, v)

    monkeypatch.setattr(kept_states, "product", product_or_lost)
    return products


def test_newton_cg_evaluates_lost_states_again(threads, monkeypatch):
    """When a product cannot recover the kept probabilities from their
    lineage, the local model is evaluated again at the same point and the
    product retried: the fit is that of an undisturbed one."""
    X, y = _problem()
    expected = SoftmaxRegression(solver="newton-cg", alpha=1e-3, tol=1e-8)
    expected.fit(*_chunked(X, y))
    products = _lose_products(monkeypatch, lambda count: count == 3)
    model = SoftmaxRegression(solver="newton-cg", alpha=1e-3, tol=1e-8)
    model.fit(*_chunked(X, y))
    assert len(products) > 3
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=0, atol=1e-10)
    assert model.n_iter_ == expected.n_iter_


def test_newton_cg_lost_twice_in_a_row_fails_clearly(threads, monkeypatch):
    X, y = _problem()
    products = _lose_products(monkeypatch, lambda count: count >= 3)
    model = SoftmaxRegression(solver="newton-cg")
    with pytest.raises(RuntimeError, match=LOST):
        model.fit(*_chunked(X, y))
    assert len(products) == 4  # the product, and its one retry
    assert vars(model) == vars(SoftmaxRegression(solver="newton-cg"))


def _two_workers(client):
    """Wait for the killed worker's replacement (a slow nanny is helped by
    scaling the cluster back to two)."""
    try:
        client.wait_for_workers(2, timeout=30)
    except Exception:
        client.cluster.scale(2)
        client.wait_for_workers(2, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("at", [2, 5])
def test_newton_cg_recovers_a_worker_lost_mid_products(client, monkeypatch, at):
    X, y = _problem()
    memory = SoftmaxRegression(solver="newton-cg", alpha=1e-3, tol=1e-8).fit(X, y)
    products = _kill_during_products(monkeypatch, client, at)
    model = SoftmaxRegression(solver="newton-cg", alpha=1e-3, tol=1e-8)
    model.fit(*_chunked(X, y))
    assert len(products) > at
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    _two_workers(client)


@pytest.mark.slow
def test_newton_cg_search_recovers_a_worker_lost_mid_products(client, monkeypatch):
    X, y = _problem()
    params = {"alphas": [1e-1, 1e-3], "cv": 3, "solver": "newton-cg", "tol": 1e-8}
    memory = SoftmaxRegressionCV(**params).fit(X, y)
    products = _kill_during_products(monkeypatch, client, 4)
    model = SoftmaxRegressionCV(**params).fit(*_chunked(X, y))
    assert len(products) > 4
    np.testing.assert_allclose(model.scores_, memory.scores_, atol=1e-6)
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    _two_workers(client)
