"""Bad input gets a ValueError/TypeError naming the problem; nothing NaN."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_iris

from softmax_regression import SoftmaxRegression

rng = np.random.default_rng(0)
X_GOOD = rng.normal(size=(30, 3))
Y_GOOD = np.arange(30) % 3


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


FIT_CASES = {
    "nan in X": (
        dict(X=_with(X_GOOD, (2, 1), np.nan)),
        ValueError,
        "Input X contains NaN",
    ),
    "inf in X": (
        dict(X=_with(X_GOOD, (0, 0), np.inf)),
        ValueError,
        "Input X contains infinity",
    ),
    "-inf in X": (
        dict(X=_with(X_GOOD, (0, 0), -np.inf)),
        ValueError,
        "Input X contains infinity",
    ),
    "nan in y": (dict(y=_with(Y_GOOD, 4, np.nan)), ValueError, "Input y contains NaN"),
    "inf in y": (
        dict(y=_with(Y_GOOD, 4, np.inf)),
        ValueError,
        "Input y contains infinity",
    ),
    "nan in sample_weight": (
        dict(sample_weight=_with(np.ones(30), 3, np.nan)),
        ValueError,
        "Input sample_weight contains NaN",
    ),
    "inf in sample_weight": (
        dict(sample_weight=_with(np.ones(30), 3, np.inf)),
        ValueError,
        "Input sample_weight contains infinity",
    ),
    "negative sample_weight": (
        dict(sample_weight=_with(np.ones(30), 3, -1.0)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    "all-zero sample_weight": (
        dict(sample_weight=np.zeros(30)),
        ValueError,
        "Sample weights must contain at least one non-zero number",
    ),
    "sample_weight of wrong length": (
        dict(sample_weight=np.ones(29)),
        ValueError,
        r"sample_weight.shape == \(29,\), expected \(30,\)",
    ),
    "one class": (dict(y=np.zeros(30)), ValueError, "only one class"),
    "one weighted class": (
        dict(sample_weight=(Y_GOOD == 1).astype(float)),
        ValueError,
        "only one class has any",
    ),
    "zero samples": (dict(X=np.zeros((0, 3)), y=np.zeros(0)), ValueError, "0 sample"),
    "zero features": (dict(X=np.zeros((30, 0))), ValueError, "0 feature"),
    "mismatched lengths": (
        dict(y=Y_GOOD[:-1]),
        ValueError,
        "inconsistent numbers of samples: \\[30, 29\\]",
    ),
    "3-D X": (dict(X=np.zeros((30, 3, 2))), ValueError, "Found array with dim 3"),
    "0-D X": (dict(X=np.float64(3.0)), ValueError, "Expected 2D array, got scalar"),
    "string X": (dict(X=np.full((30, 3), "a")), ValueError, "could not convert string"),
    "complex X": (dict(X=X_GOOD + 1j), ValueError, "Complex data not supported"),
    "continuous y": (dict(y=np.linspace(0, 1, 30)), ValueError, "Unknown label type"),
    "mixed-type labels": (
        dict(y=np.array(["a", 1, 2] * 10, dtype=object)),
        TypeError,
        "mixes string and non-string labels",
    ),
    "2-D multi-column y": (
        dict(y=np.zeros((30, 2))),
        ValueError,
        "y should be a 1d array",
    ),
}


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_fit_rejects_bad_input_with_a_clear_message(case):
    overrides, error, message = FIT_CASES[case]
    args = {"X": X_GOOD, "y": Y_GOOD, "sample_weight": None, **overrides}
    clf = SoftmaxRegression()
    with pytest.raises(error, match=message):
        clf.fit(args["X"], args["y"], sample_weight=args["sample_weight"])
    assert not hasattr(clf, "coef_"), "a failed fit must not leave a half-fitted model"


PARAM_CASES = {
    "negative alpha": (dict(alpha=-1.0), "'alpha' parameter"),
    "l1_ratio above 1": (dict(l1_ratio=1.5), "'l1_ratio' parameter"),
    "l1_ratio below 0": (dict(l1_ratio=-0.1), "'l1_ratio' parameter"),
    "unknown penalty": (dict(penalty="l1"), "'penalty' parameter"),
    "unknown solver": (dict(solver="sag"), "'solver' parameter"),
    "negative tol": (dict(tol=-1e-4), "'tol' parameter"),
    "negative max_iter": (dict(max_iter=-1), "'max_iter' parameter"),
    "bad class_weight": (dict(class_weight="equal"), "'class_weight' parameter"),
}


@pytest.mark.parametrize("case", sorted(PARAM_CASES))
def test_invalid_parameters_are_named(case):
    params, message = PARAM_CASES[case]
    with pytest.raises(ValueError, match=message):
        SoftmaxRegression(**params).fit(X_GOOD, Y_GOOD)


@pytest.fixture(scope="module")
def fitted():
    return SoftmaxRegression().fit(X_GOOD, Y_GOOD)


PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_predict_rejects_wrong_feature_count_and_nan(fitted, method):
    with pytest.raises(
        ValueError, match="X has 2 features, but SoftmaxRegression is expecting 3"
    ):
        getattr(fitted, method)(X_GOOD[:, :2])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        getattr(fitted, method)(_with(X_GOOD, (0, 0), np.nan))
    with pytest.raises(ValueError, match="Found array with dim 3"):
        getattr(fitted, method)(np.zeros((2, 3, 1)))


def test_predict_before_fit_says_not_fitted():
    with pytest.raises(ValueError, match="not fitted yet"):
        SoftmaxRegression().predict(X_GOOD)


def test_huge_features_at_predict_give_finite_probabilities():
    X, y = load_iris(return_X_y=True)
    clf = SoftmaxRegression().fit(X, y)
    huge = np.array([[1e308, -1e308, 1e308, -1e308], [-1e308, 1e308, 0.0, 5.0]])
    for proba in (clf.predict_proba(huge), np.exp(clf.predict_log_proba(huge))):
        assert np.all(np.isfinite(proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.just(4)),
        elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
    )
)
def test_finite_input_never_gives_nan_or_inf_probabilities(X):
    proba = _IRIS_MODEL.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert not np.any(np.isnan(_IRIS_MODEL.predict_log_proba(X)))


_IRIS_MODEL = SoftmaxRegression().fit(*load_iris(return_X_y=True))
