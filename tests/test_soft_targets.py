"""Fitting to rows of class probabilities, and label smoothing."""

import numpy as np
import pytest
from sklearn.exceptions import DataConversionWarning

from softmax_regression import SoftmaxRegression

TIGHT = dict(alpha=1e-2, tol=1e-10, max_iter=5000)


@pytest.fixture
def votes(iris_scaled):
    """Annotator-vote shares: 5 votes per sample, mostly for the true class,
    so some rows have zeros and some are one-hot."""
    _, y = iris_scaled
    rng = np.random.default_rng(0)
    noisy = np.where(
        rng.random((len(y), 5)) < 0.7, y[:, None], rng.integers(0, 3, (len(y), 5))
    )
    counts = np.stack([(noisy == k).sum(axis=1) for k in range(3)], axis=1)
    return counts / counts.sum(axis=1, keepdims=True)


def _expanded(X, Y, sample_weight):
    """Each sample once per class k, labelled k, weighted s_i * Y_ik."""
    n, k = Y.shape
    return (
        np.repeat(X, k, axis=0),
        np.tile(np.arange(k), n),
        (sample_weight[:, None] * Y).ravel(),
    )


@pytest.mark.parametrize("solver", ["newton-cg", "newton-cholesky"])
@pytest.mark.parametrize("class_weight", [None, {0: 2.0, 2: 0.5}, "balanced"])
def test_soft_targets_equal_the_expanded_weighted_dataset(
    iris_scaled, votes, solver, class_weight
):
    X, _ = iris_scaled
    sample_weight = np.random.default_rng(1).uniform(0.2, 2.0, len(X))
    params = dict(solver=solver, class_weight=class_weight, **TIGHT)
    soft = SoftmaxRegression(**params).fit(X, votes, sample_weight=sample_weight)
    expanded = SoftmaxRegression(**params).fit(
        *_expanded(X, votes, sample_weight)[:2],
        sample_weight=_expanded(X, votes, sample_weight)[2],
    )
    np.testing.assert_array_equal(soft.classes_, [0, 1, 2])
    np.testing.assert_allclose(
        soft.predict_proba(X), expanded.predict_proba(X), rtol=0, atol=1e-6
    )


def test_one_hot_rows_equal_labels(iris_scaled):
    X, y = iris_scaled
    labels = SoftmaxRegression(**TIGHT).fit(X, y)
    one_hot = SoftmaxRegression(**TIGHT).fit(X, np.eye(3)[y])
    np.testing.assert_allclose(one_hot.coef_, labels.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(one_hot.intercept_, labels.intercept_, atol=1e-9)


@pytest.mark.parametrize("eps", [0.1, 0.5])
def test_label_smoothing_is_the_fit_to_smoothed_one_hot_rows(iris_scaled, votes, eps):
    X, y = iris_scaled
    smoothed = SoftmaxRegression(label_smoothing=eps, **TIGHT).fit(X, y)
    rows = (1 - eps) * np.eye(3)[y] + eps / 3
    explicit = SoftmaxRegression(**TIGHT).fit(X, rows)
    np.testing.assert_allclose(
        smoothed.predict_proba(X), explicit.predict_proba(X), atol=1e-8
    )
    # soft targets are smoothed the same way
    smoothed_votes = SoftmaxRegression(label_smoothing=eps, **TIGHT).fit(X, votes)
    explicit_votes = SoftmaxRegression(**TIGHT).fit(X, (1 - eps) * votes + eps / 3)
    np.testing.assert_allclose(
        smoothed_votes.predict_proba(X), explicit_votes.predict_proba(X), atol=1e-8
    )
    # smoothing caps the confidence: no probability beyond the smoothed target
    plain = SoftmaxRegression(**TIGHT).fit(X, y)
    assert smoothed.predict_proba(X).max() < plain.predict_proba(X).max()


def test_classes_name_the_columns_and_are_sorted(iris_scaled, votes):
    X, _ = iris_scaled
    named = SoftmaxRegression(**TIGHT).fit(
        X, votes[:, [2, 0, 1]], classes=["virginica", "setosa", "versicolor"]
    )
    np.testing.assert_array_equal(named.classes_, ["setosa", "versicolor", "virginica"])
    by_index = SoftmaxRegression(**TIGHT).fit(X, votes)
    np.testing.assert_allclose(
        named.predict_proba(X), by_index.predict_proba(X), atol=1e-12
    )
    assert set(named.predict(X)) <= set(named.classes_)


def test_distillation_from_a_teacher_fits_its_probabilities(iris_scaled):
    X, y = iris_scaled
    teacher = SoftmaxRegression(alpha=1e-3).fit(X, y)
    student = SoftmaxRegression(alpha=1e-3).fit(
        X, teacher.predict_proba(X), classes=teacher.classes_
    )
    agreement = np.mean(student.predict(X) == teacher.predict(X))
    assert agreement > 0.95


def test_a_single_column_still_means_labels(iris_scaled):
    X, y = iris_scaled
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = SoftmaxRegression().fit(X, y[:, None])
    np.testing.assert_array_equal(column.classes_, [0, 1, 2])
    np.testing.assert_allclose(
        column.coef_, SoftmaxRegression().fit(X, y).coef_, rtol=1e-12
    )


def test_labels_may_declare_absent_classes(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(alpha=1e-2).fit(X, y, classes=[0, 1, 2, 3])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2, 3])
    assert clf.predict_proba(X)[:, 3].max() < 0.05


def test_rows_within_the_tolerance_are_accepted(iris_scaled, votes):
    X, _ = iris_scaled
    nudged = votes.copy()
    nudged[:, 0] += 5e-7
    clf = SoftmaxRegression().fit(X, nudged)
    assert np.all(np.isfinite(clf.coef_))


def _with(Y, row, values):
    Y = Y.copy()
    Y[row] = values
    return Y


BAD_TARGETS = {
    "negative entry": (
        lambda V: _with(V, 4, [1.2, -0.2, 0.0]),
        {},
        r"Row 4 of y, .* has a negative entry",
    ),
    "row not summing to 1": (
        lambda V: _with(V, 7, [0.5, 0.3, 0.1]),
        {},
        r"Row 7 of y, .* sums to 0\.9, not 1 \(tolerance 1e-06\)",
    ),
    "sum off by more than the tolerance": (
        lambda V: _with(V, 0, [1.0, 2e-6, 0.0]),
        {},
        r"Row 0 of y, .* sums to 1\.000002",
    ),
    "NaN entry": (
        lambda V: _with(V, 2, [np.nan, 0.5, 0.5]),
        {},
        "Input y contains NaN",
    ),
    "classes of the wrong length": (
        lambda V: V,
        {"classes": ["a", "b"]},
        "y has 3 columns of class probabilities but classes has 2 labels",
    ),
    "duplicate classes": (
        lambda V: V,
        {"classes": ["a", "b", "a"]},
        "classes has duplicate labels",
    ),
    "mass on one class only": (
        lambda V: np.tile([0.0, 1.0, 0.0], (len(V), 1)),
        {},
        r"at least 2 classes with positive sample weight, but only one class "
        r"has any: \[1\]",
    ),
    "string rows": (
        lambda V: np.full(V.shape, "x"),
        {},
        "must hold class probabilities",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_bad_probability_rows_are_named(iris_scaled, votes, case):
    X, _ = iris_scaled
    make, kwargs, message = BAD_TARGETS[case]
    clf = SoftmaxRegression()
    with pytest.raises(ValueError, match=message):
        clf.fit(X, make(votes), **kwargs)
    assert not hasattr(clf, "coef_")


def test_label_outside_declared_classes_is_named(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match=r"y contains labels \[2\] that are not in"):
        SoftmaxRegression().fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("eps", [1.0, -0.1, 1.5])
def test_label_smoothing_outside_zero_one_is_refused(iris_scaled, eps):
    X, y = iris_scaled
    with pytest.raises(
        ValueError, match=r"'label_smoothing' parameter .* \[0\.0, 1\.0\)"
    ):
        SoftmaxRegression(label_smoothing=eps).fit(X, y)
