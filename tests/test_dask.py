"""Fitting, cross-validating and predicting on Dask collections
(softmax_regression._dask and softmax_regression._search._dask_search).

The cluster tests share one ``LocalCluster`` of two worker processes; the
others run on Dask's local threaded scheduler, without a client.
"""

import os
import sys
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, StratifiedKFold

import softmax_regression._dask as dask_module
import softmax_regression._dask._reduce as reduce_module
from softmax_regression import SoftmaxRegression, SoftmaxRegressionCV
from softmax_regression._dask import dask_folds

pytestmark = pytest.mark.slow

N_SAMPLES, N_FEATURES = 2000, 6
PARAMS = {"alpha": 1e-3, "tol": 1e-8}


def _problem(n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, N_SAMPLES)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X[:, :2] += y[:, None]
    weight = rng.uniform(0.1, 3.0, N_SAMPLES)
    return X, y, weight


def _chunked(X, y, weight):
    """X, y and weights as Dask arrays chunked differently from each other."""
    return (
        da.from_array(X, chunks=(450, N_FEATURES)),
        da.from_array(y, chunks=300),
        da.from_array(weight, chunks=700),
    )


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def threads():
    """Dask's local threaded scheduler, even while a client exists."""
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cluster_fit_matches_in_memory(client, solver, weighted):
    X, y, weight = _problem()
    Xd, yd, wd = _chunked(X, y, weight)
    sample_weight = (weight, wd) if weighted else (None, None)
    memory = SoftmaxRegression(solver=solver, **PARAMS)
    memory.fit(X, y, sample_weight=sample_weight[0])
    model = SoftmaxRegression(solver=solver, **PARAMS)
    model.fit(Xd, yd, sample_weight=sample_weight[1])
    assert model._solver == solver
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(model.coef_, memory.coef_, rtol=0, atol=1e-5)


def test_cluster_string_labels_class_weight_smoothing(client):
    X, y, weight = _problem()
    labels = np.array(["cat", "dog", "emu"])[y]
    params = {
        **PARAMS,
        "solver": "lbfgs",
        "class_weight": "balanced",
        "label_smoothing": 0.1,
    }
    memory = SoftmaxRegression(**params).fit(X, labels, sample_weight=weight)
    Xd, _, wd = _chunked(X, y, weight)
    yd = da.from_array(labels, chunks=500)
    model = SoftmaxRegression(**params).fit(Xd, yd, sample_weight=wd)
    assert model.classes_.tolist() == ["cat", "dog", "emu"]
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    assert model.predict(Xd).compute().tolist() == memory.predict(X).tolist()


def test_cluster_dataframe_input(client):
    X, y, _ = _problem()
    columns = [f"f{j}" for j in range(N_FEATURES)]
    frame = pd.DataFrame(X, columns=columns)
    memory = SoftmaxRegression(solver="lbfgs", **PARAMS).fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    target = dd.from_pandas(pd.Series(y), npartitions=3)
    model = SoftmaxRegression(solver="lbfgs", **PARAMS).fit(ddf, target)
    assert model.feature_names_in_.tolist() == columns
    proba = model.predict_proba(ddf)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(
        proba.compute(), memory.predict_proba(frame), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lazy_predictions_equal_in_memory(client, n_classes):
    X, y, _ = _problem(n_classes)
    Xd = da.from_array(X, chunks=(450, 3))  # also split across features
    model = SoftmaxRegression(**PARAMS).fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        lazy = getattr(model, method)(Xd)
        assert isinstance(lazy, da.Array)
        assert lazy.chunks[0] == Xd.chunks[0]
        np.testing.assert_array_equal(lazy.compute(), getattr(model, method)(X))
    scores = model.decision_function(Xd)
    assert scores.chunks[0] == Xd.chunks[0]
    assert scores.shape == model.decision_function(X).shape
    np.testing.assert_array_equal(scores.compute(), model.decision_function(X))


def test_threaded_scheduler_without_client(threads):
    X, y, weight = _problem()
    memory = SoftmaxRegression(solver="newton-cg", **PARAMS).fit(X, y, weight)
    model = SoftmaxRegression(**PARAMS).fit(*_chunked(X, y, weight))
    assert reduce_module.active_client() is None
    assert model._solver == "newton-cg"  # what "auto" means on Dask input
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )


def test_separation_at_alpha_zero_is_reported_on_dask(threads):
    """As in memory: alpha=0 on separable data warns that the optimum lies
    at infinity (every chunk separated); non-separable data does not."""
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 600)
    X = rng.normal(size=(600, 2)) * 0.1 + 4.0 * np.eye(3)[y][:, :2]
    X[y == 2] -= 4.0
    Xd, yd = da.from_array(X, chunks=(150, 2)), da.from_array(y, chunks=150)
    with pytest.warns(ConvergenceWarning, match="separates the training data"):
        SoftmaxRegression(alpha=0.0, max_iter=50).fit(Xd, yd)
    X_noisy, y_noisy, _ = _problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        Xd, yd, _ = _chunked(X_noisy, y_noisy, np.ones(N_SAMPLES))
        SoftmaxRegression(alpha=0.0, tol=1e-6).fit(Xd, yd)


def test_unknown_chunk_sizes_are_resolved(threads):
    X, y, _ = _problem()
    Xd = dd.from_pandas(pd.DataFrame(X), npartitions=4).to_dask_array()
    yd = dd.from_pandas(pd.Series(y), npartitions=4).to_dask_array()
    assert np.isnan(Xd.shape[0])
    model = SoftmaxRegression(**PARAMS).fit(Xd, yd)
    memory = SoftmaxRegression(**PARAMS).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )


def test_in_memory_labels_with_dask_features(threads):
    X, y, _ = _problem()
    model = SoftmaxRegression(**PARAMS).fit(da.from_array(X, chunks=500), y)
    memory = SoftmaxRegression(**PARAMS).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )


def test_declared_classes_and_warm_start(threads):
    X, y, _ = _problem()
    Xd, yd, _ = _chunked(X, y, np.ones(N_SAMPLES))
    params = {**PARAMS, "solver": "lbfgs"}
    memory = SoftmaxRegression(**params).fit(X, y, classes=[0, 1, 2, 3])
    model = SoftmaxRegression(warm_start=True, **params)
    model.fit(Xd, yd, classes=[0, 1, 2, 3])
    assert model.classes_.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    cold_iterations = model.n_iter_
    # a refit starts from the solution and stays there
    model.fit(Xd, yd, classes=[0, 1, 2, 3])
    assert model.n_iter_ < cold_iterations
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
        SoftmaxRegression().fit(Xd, yd, classes=[0, 1])


def test_nan_is_reported_with_its_chunk(threads):
    X, y, _ = _problem()
    X[1000, 3] = np.nan
    Xd = da.from_array(X, chunks=(450, N_FEATURES))
    with pytest.raises(ValueError, match=r"NaN or infinity in chunk\(s\) 2 \(rows"):
        SoftmaxRegression().fit(Xd, da.from_array(y, chunks=450))


def test_bad_dask_input_is_refused(threads):
    X, y, weight = _problem()
    Xd, yd, wd = _chunked(X, y, weight)
    with pytest.raises(ValueError, match="cannot fit Dask input; use one of"):
        SoftmaxRegression(solver="sgd").fit(Xd, yd)
    with pytest.raises(ValueError, match="X has 2000 rows but y has 1999"):
        SoftmaxRegression().fit(Xd, yd[:-1])
    with pytest.raises(ValueError, match="labels, not probability rows"):
        SoftmaxRegression().fit(Xd, da.eye(N_SAMPLES, chunks=450, M=3))
    with pytest.raises(ValueError, match="negative or non-finite values in chunk"):
        SoftmaxRegression().fit(Xd, yd, sample_weight=-wd)
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxRegression().fit(Xd, da.zeros(N_SAMPLES, chunks=450, dtype=int))
    frame = pd.DataFrame({"size": X[:, 0], "colour": np.where(y, "red", "blue")})
    with pytest.raises(ValueError, match=r"non-numeric columns \['colour'\]"):
        SoftmaxRegression().fit(dd.from_pandas(frame, npartitions=2), yd)
    model = SoftmaxRegression(**PARAMS).fit(Xd, yd)
    with pytest.raises(ValueError, match="expecting 6 features"):
        model.predict(Xd[:, :4])


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"pip install softmax-regression\[dask\]"):
        reduce_module.import_dask()


def _kill_one_worker(client):
    victim = sorted(client.scheduler_info()["workers"])[0]
    try:
        client.run(os._exit, 1, workers=[victim])
    except Exception:  # the worker dies before it can answer
        pass


@pytest.mark.parametrize("disrupt", [_kill_one_worker, lambda client: client.restart()])
def test_workers_lost_mid_fit_recover_or_fail_clearly(client, monkeypatch, disrupt):
    """Kill one worker process, or restart them all, after the first
    evaluation: Dask recomputes the lost chunks from their lineage, or the
    fit fails with a clear error; a silently wrong model is the one outcome
    not allowed."""
    X, y, weight = _problem()
    memory = SoftmaxRegression(solver="lbfgs", **PARAMS).fit(X, y, weight)
    evaluate = dask_module.DaskMultinomialLoss.value_and_grad
    calls = []
    workers_before = set(client.scheduler_info()["workers"])

    def disrupt_after_first(self, w):
        calls.append(1)
        if len(calls) == 2:
            disrupt(client)
        return evaluate(self, w)

    monkeypatch.setattr(
        dask_module.DaskMultinomialLoss, "value_and_grad", disrupt_after_first
    )
    model = SoftmaxRegression(solver="lbfgs", **PARAMS)
    try:
        model.fit(*_chunked(X, y, weight))
    except RuntimeError as error:
        assert "lost workers or data during the fit" in str(error)
        assert not hasattr(model, "coef_")
    else:
        np.testing.assert_allclose(
            model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
        )
        assert len(calls) > 2
    client.wait_for_workers(2, timeout=60)
    # the workers were replaced: new processes, new addresses
    assert set(client.scheduler_info()["workers"]) != workers_before


# -- SoftmaxRegressionCV on Dask input ----------------------------------------------
CV_PARAMS = {"alphas": [1e-1, 1e-3], "solver": "lbfgs", "tol": 1e-8}


def _assert_same_search(model, memory, X):
    # a grid built from the data agrees to rounding (the chunks' sums)
    np.testing.assert_allclose(model.alphas_, memory.alphas_, rtol=1e-12)
    assert model.alpha_ == pytest.approx(memory.alpha_, rel=1e-12)
    np.testing.assert_allclose(model.scores_, memory.scores_, rtol=0, atol=1e-6)
    assert abs(model.best_score_ - memory.best_score_) < 1e-6
    for name in ("coefs_paths_", "intercepts_paths_", "n_iter_"):
        assert getattr(model, name).shape == getattr(memory, name).shape
    np.testing.assert_allclose(
        model.coefs_paths_, memory.coefs_paths_, rtol=0, atol=1e-5
    )
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize(
    "weighted, n_jobs", [(False, None), (True, 2)], ids=["unweighted", "weighted-2jobs"]
)
def test_cluster_cv_matches_in_memory(client, weighted, n_jobs):
    """Index-array folds: the very folds of the in-memory search."""
    X, y, weight = _problem()
    Xd, yd, wd = _chunked(X, y, weight)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    memory = SoftmaxRegressionCV(cv=folds, **CV_PARAMS)
    memory.fit(X, y, sample_weight=weight if weighted else None)
    model = SoftmaxRegressionCV(cv=folds, n_jobs=n_jobs, **CV_PARAMS)
    model.fit(Xd, yd, sample_weight=wd if weighted else None)
    _assert_same_search(model, memory, X)
    assert model.refit_n_iter_ > 0


def test_int_cv_deals_the_folds_of_stratified_kfold(threads):
    """Labels first seen out of sorted order, a rare class, uneven chunks:
    each row's fold is StratifiedKFold's, found without gathering y."""
    X, y, _ = _problem()
    labels = np.array(["owl", "cat", "emu"])[y]
    labels[[5, 1500]] = "ant"  # two members: fewer than the folds
    Xd = da.from_array(X, chunks=((700, 300, 1000), (N_FEATURES,)))
    data = dask_module.persist_dask_data(Xd, da.from_array(labels, chunks=450))
    with pytest.warns(UserWarning, match="only 2 members, which is less than"):
        expected = list(StratifiedKFold(3).split(X, labels))
    with pytest.warns(UserWarning, match="only 2 members, which is less than"):
        folds = dask_folds(3, data)
    for fold, (train, test) in zip(folds, expected, strict=True):
        np.testing.assert_array_equal(np.flatnonzero(fold.train.compute()), train)
        np.testing.assert_array_equal(np.flatnonzero(fold.test.compute()), test)


def test_int_cv_default_grid_and_dataframe(threads):
    X, y, _ = _problem()
    columns = [f"f{j}" for j in range(N_FEATURES)]
    ddf = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=3)
    yd = dd.from_pandas(pd.Series(y), npartitions=3)
    params = {"alphas": 3, "cv": 3, "solver": "newton-cg", "tol": 1e-8}
    frame = pd.DataFrame(X, columns=columns)
    memory = SoftmaxRegressionCV(**params).fit(frame, y)
    model = SoftmaxRegressionCV(**params).fit(ddf, yd)
    _assert_same_search(model, memory, frame)
    assert model.feature_names_in_.tolist() == columns
    again = SoftmaxRegressionCV(**params).fit(ddf, yd)
    np.testing.assert_array_equal(again.scores_, model.scores_)


def test_cv_scorer_and_splitter_on_dask(threads):
    """A scorer name, a shuffling splitter (given the gathered labels) and
    class weights balanced on each training part."""
    X, y, weight = _problem()
    params = {
        **CV_PARAMS,
        "class_weight": "balanced",
        "scoring": "neg_brier_score",
        "cv": StratifiedKFold(3, shuffle=True, random_state=0),
    }
    memory = SoftmaxRegressionCV(**params).fit(X, y, sample_weight=weight)
    model = SoftmaxRegressionCV(**params).fit(*_chunked(X, y, weight))
    _assert_same_search(model, memory, X)


def test_cv_unsupported_on_dask_is_refused(threads):
    X, y, _ = _problem()
    Xd, yd, _ = _chunked(X, y, np.ones(N_SAMPLES))

    def search(**params):
        return SoftmaxRegressionCV(alphas=[0.1], **params)

    with pytest.raises(ValueError, match=r"'elasticnet' penalty .* cannot be fitted"):
        search(l1_ratios=[0.0, 0.5]).fit(Xd, yd)
    with pytest.raises(ValueError, match=r"'group' penalty .* on Dask input"):
        search(l1_ratios=[1.0], penalty="group").fit(Xd, yd)
    with pytest.raises(ValueError, match="solver='sgd' cannot fit Dask input"):
        search(solver="sgd").fit(Xd, yd)
    with pytest.raises(ValueError, match="fits class labels only"):
        search().fit(Xd, da.eye(N_SAMPLES, chunks=450, M=3))
    one_class = [(np.flatnonzero(y == 0), np.flatnonzero(y != 0))]
    with pytest.raises(ValueError, match="at least 2 classes with positive"):
        search(cv=one_class).fit(Xd, yd)
    with pytest.raises(ValueError, match="cv gave test rows that are not indices"):
        search(cv=[(np.arange(10), np.array([N_SAMPLES]))]).fit(Xd, yd)
