"""SoftmaxRegression: attributes, labels, dtypes, weights, warm start, copies."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from softmax_regression import SoftmaxRegression, log_softmax, softmax


def test_fitted_attributes_and_shapes(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression().fit(X, y)
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_features_in_ == 4 and isinstance(clf.n_iter_, int) and clf.n_iter_ > 0
    assert clf.decision_function(X).shape == (150, 3)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.95


def test_predict_log_proba_is_log_softmax_of_logits(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression().fit(X, y)
    logits = X @ clf.coef_.T + clf.intercept_
    np.testing.assert_allclose(
        clf.predict_log_proba(X), log_softmax(logits), rtol=1e-14
    )
    np.testing.assert_allclose(clf.predict_proba(X), softmax(logits), rtol=1e-14)
    # far from the data the probabilities underflow but log-probabilities stay finite
    far = X[:3] * 1e4
    assert np.all(np.isfinite(clf.predict_log_proba(far)))
    assert np.any(clf.predict_proba(far) == 0.0)


def test_string_labels_and_binary_problem_keep_full_softmax():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    labels = np.array(["no", "yes"])[y]
    clf = SoftmaxRegression().fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    assert clf.coef_.shape == (2, 5)
    np.testing.assert_allclose(clf.coef_[0], -clf.coef_[1], atol=1e-6)
    scores = clf.decision_function(X)
    assert scores.shape == (200,)
    logits = X @ clf.coef_.T + clf.intercept_
    np.testing.assert_allclose(scores, logits[:, 1] - logits[:, 0])
    assert set(clf.predict(X)) <= {"no", "yes"}


def test_mixed_type_labels_are_rejected():
    X = np.random.default_rng(0).normal(size=(4, 2))
    y = np.array(["a", 1, "b", 2], dtype=object)
    with pytest.raises(TypeError, match="mixes string and non-string labels"):
        SoftmaxRegression().fit(X, y)


def test_continuous_targets_are_rejected():
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxRegression().fit(X, np.linspace(0, 1, 6))


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
def test_float32_is_fitted_in_float32(iris_scaled, container):
    X, y = iris_scaled
    clf32 = SoftmaxRegression(tol=1e-5).fit(container(X.astype(np.float32)), y)
    clf64 = SoftmaxRegression(tol=1e-5).fit(container(X), y)
    assert clf32.coef_.dtype == np.float32 and clf32.intercept_.dtype == np.float32
    assert clf64.coef_.dtype == np.float64
    np.testing.assert_allclose(
        clf32.predict_proba(X.astype(np.float32)), clf64.predict_proba(X), atol=1e-3
    )


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool])
def test_integer_and_bool_input_become_float64(dtype):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(60, 3)).astype(dtype)
    y = rng.integers(0, 3, size=60)
    clf = SoftmaxRegression().fit(X, y)
    assert clf.coef_.dtype == np.float64


def test_sparse_and_dense_fits_agree(iris_scaled):
    X, y = iris_scaled
    dense = SoftmaxRegression(tol=1e-8).fit(X, y)
    for container in (sp.csr_matrix, sp.csc_matrix):
        sparse = SoftmaxRegression(tol=1e-8).fit(container(X), y)
        np.testing.assert_allclose(
            sparse.predict_proba(container(X)), dense.predict_proba(X), atol=1e-7
        )


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_wide_sparse_data_read_by_columns_fits_as_dense(solver):
    """More features than samples: the loss reads a CSC copy of CSR input
    (``column_layout_pays``); the fit is the dense one."""
    rng = np.random.default_rng(0)
    X = sp.random(60, 300, density=0.05, format="csr", random_state=rng)
    y = rng.integers(0, 4, 60)
    params = {"solver": solver, "alpha": 1e-2, "tol": 1e-10}
    sparse = SoftmaxRegression(**params).fit(X, y)
    dense = SoftmaxRegression(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-7)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X.toarray())
    )


def test_integer_sample_weights_equal_repeated_rows(iris_scaled):
    X, y = iris_scaled
    weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    weighted = SoftmaxRegression(tol=1e-9).fit(X, y, sample_weight=weight)
    repeated = SoftmaxRegression(tol=1e-9).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-5, atol=1e-6)


def test_class_weight_dict_equals_sample_weight(iris_scaled):
    X, y = iris_scaled
    class_weight = {0: 2.0, 1: 0.5, 2: 1.0}
    by_class = SoftmaxRegression(tol=1e-9, class_weight=class_weight).fit(X, y)
    weight = np.array([class_weight[label] for label in y])
    by_sample = SoftmaxRegression(tol=1e-9).fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-10)


def test_balanced_class_weight_counts_sample_weights(iris_scaled):
    X, y = iris_scaled
    keep = np.r_[0:50, 50:70, 100:150]  # class 1 is rare
    X, y = X[keep], y[keep]
    sw = np.random.default_rng(1).uniform(0.5, 1.5, size=len(y))
    counts = np.bincount(y, weights=sw)
    factors = sw.sum() / (3 * counts)
    balanced = SoftmaxRegression(tol=1e-9, class_weight="balanced").fit(
        X, y, sample_weight=sw
    )
    explicit = SoftmaxRegression(tol=1e-9).fit(X, y, sample_weight=sw * factors[y])
    np.testing.assert_allclose(balanced.coef_, explicit.coef_, rtol=1e-10)


def test_class_weight_with_unknown_label_is_rejected(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match=r"labels \[7\] that are not classes"):
        SoftmaxRegression(class_weight={7: 1.0}).fit(X, y)


def test_no_intercept(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(fit_intercept=False).fit(X, y)
    np.testing.assert_array_equal(clf.intercept_, 0.0)


def test_warm_start_resumes_from_previous_solution(iris_scaled):
    X, y = iris_scaled
    cold = SoftmaxRegression(tol=1e-8).fit(X, y)
    warm = SoftmaxRegression(tol=1e-8, warm_start=True).fit(X, y)
    refit_iters = warm.fit(X, y).n_iter_
    assert refit_iters < cold.n_iter_ / 4
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-5, atol=1e-6)


def test_non_convergence_warns_with_iterations_tolerance_and_advice(iris_scaled):
    X, y = iris_scaled
    with pytest.warns(ConvergenceWarning) as record:
        clf = SoftmaxRegression(max_iter=3, tol=1e-12).fit(X, y)
    message = str(record[0].message)
    assert "3 iterations (max_iter=3)" in message and "tol=1e-12" in message
    assert "Increase max_iter" in message
    assert clf.n_iter_ == 3 and np.all(np.isfinite(clf.coef_))


def test_max_iter_zero_keeps_zero_coefficients(iris_scaled):
    X, y = iris_scaled
    with pytest.warns(ConvergenceWarning, match="0 iterations"):
        clf = SoftmaxRegression(max_iter=0).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, 0.0)
    np.testing.assert_allclose(clf.predict_proba(X), 1 / 3)


def test_separable_data_without_penalty_stays_finite():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = SoftmaxRegression(alpha=0.0, max_iter=200).fit(X, y)
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.predict_proba(X)))
    np.testing.assert_array_equal(clf.predict(X), y)


def test_verbose_prints_progress(iris_scaled, capsys):
    X, y = iris_scaled
    with pytest.warns(ConvergenceWarning):
        SoftmaxRegression(verbose=1, max_iter=5, tol=1e-12).fit(X, y)
    out = capsys.readouterr().out
    assert "iter    1" in out and "objective" in out and "max|grad|" in out


def test_fit_does_not_change_parameters_and_clone_pickle_roundtrip(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(alpha=1e-3, class_weight="balanced")
    params = clf.get_params()
    clf.fit(X, y)
    assert clf.get_params() == params
    assert clone(clf).get_params() == params
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.coef_, clf.coef_)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert clf.set_params(alpha=0.5).alpha == 0.5


@pytest.mark.parametrize(
    "solver, params, penalty",
    [
        ("lbfgs", dict(l1_ratio=1.0), "l1"),
        ("newton-cg", dict(l1_ratio=0.5), "elasticnet"),
        ("newton-cholesky", dict(l1_ratio=0.5, penalty="group"), "group"),
    ],
)
def test_smooth_solver_refuses_a_non_smooth_penalty_with_the_fix(
    iris_scaled, solver, params, penalty
):
    X, y = iris_scaled
    message = (
        f"solver='{solver}' does not support the '{penalty}' penalty "
        r"\(l1_ratio > 0\): use solver='fista' or solver='prox-newton' or solver='auto'"
    )
    with pytest.raises(ValueError, match=message):
        SoftmaxRegression(solver=solver, **params).fit(X, y)


@pytest.mark.parametrize("container", [np.ascontiguousarray, sp.csr_matrix])
def test_fit_makes_no_copy_of_c_contiguous_or_csr_data(container):
    X, y = make_classification(
        n_samples=20_000, n_features=200, n_informative=20, n_classes=4, random_state=0
    )
    X = container(X)
    size = X.nbytes if not sp.issparse(X) else X.data.nbytes + X.indices.nbytes
    clf = SoftmaxRegression(max_iter=5)
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.25 * size, f"peak {peak / 1e6:.1f} MB for X of {size / 1e6:.1f} MB"
