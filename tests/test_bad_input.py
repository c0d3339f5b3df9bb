"""Hostile input: every row of the input matrix either works, with finite and
correct output, or raises a ValueError/TypeError whose message names the
problem.

The matrix is a table of ``(id, call, expected)`` rows: ``call`` runs one
entry point (``fit``, a prediction method or ``cross_entropy``) on one kind
of bad input; ``expected`` is either :class:`Raises` (the exception type and
a regex its message must match) or a check run on the output.  Every row runs
with RuntimeWarnings (overflow, invalid value) turned into errors, so an
overflow inside numpy cannot pass unnoticed.
"""

import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _datasets import load_iris_data
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from softmax_regression import (
    SoftmaxRegression,
    SoftmaxRegressionCV,
    cross_entropy,
    log_softmax,
)
from softmax_regression._solvers import SOLVERS

rng = np.random.default_rng(0)
X_GOOD = rng.normal(size=(30, 3))
Y_GOOD = np.arange(30) % 3
X_GOOD[:, 0] += Y_GOOD  # some signal, not separable
PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


@dataclass(frozen=True)
class Raises:
    """The row must raise ``error`` with a message matching ``match``."""

    error: type[Exception]
    match: str


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


# -- calls ------------------------------------------------------------------
def _fit(X=X_GOOD, y=Y_GOOD, sample_weight=None, warns=None, classes=None, **params):
    """``SoftmaxRegression(**params).fit(X, y, sample_weight, classes=classes)``;
    a failed fit
    must leave no fitted attribute behind.  ``warns``: a ``(category,
    regex)`` the fit must warn with."""

    def call():
        clf = SoftmaxRegression(**params)
        try:
            if warns is None:
                return clf.fit(X, y, sample_weight=sample_weight, classes=classes)
            with pytest.warns(warns[0], match=warns[1]):
                return clf.fit(X, y, sample_weight=sample_weight, classes=classes)
        except (ValueError, TypeError):
            assert not hasattr(clf, "coef_"), "a failed fit left a half-fitted model"
            raise

    return call


@cache
def _fitted(frame: bool = False) -> SoftmaxRegression:
    X = pd.DataFrame(X_GOOD, columns=["a", "b", "c"]) if frame else X_GOOD
    return SoftmaxRegression().fit(X, Y_GOOD)


def _predict(method, X, frame=False):
    return lambda: getattr(_fitted(frame), method)(X)


def _cross_entropy(logits=None, y=None, sample_weight=None):
    logits = np.zeros((2, 3)) if logits is None else logits
    return lambda: cross_entropy(logits, y, sample_weight)


def _partial_fit(
    X=X_GOOD, y=Y_GOOD, classes=(0, 1, 2), sample_weight=None, first=None, **params
):
    """``partial_fit(X, y, classes, sample_weight)`` of a new model, after a
    first call ``partial_fit(*first, classes=(0, 1, 2))`` when given.  A
    refused call must leave the model as it was: unfitted, or with the
    first call's coefficients."""

    def call():
        clf = SoftmaxRegression(random_state=0, **params)
        if first is not None:
            clf.partial_fit(*first, classes=(0, 1, 2))
        before = clf.coef_.copy() if first is not None else None
        try:
            return clf.partial_fit(X, y, classes=classes, sample_weight=sample_weight)
        except (ValueError, TypeError):
            if before is None:
                assert not hasattr(clf, "coef_"), "a failed call left a model"
            else:
                np.testing.assert_array_equal(clf.coef_, before)
            raise

    return call


def _fit_cv(X=X_GOOD, y=Y_GOOD, **params):
    return lambda: SoftmaxRegressionCV(cv=3, **params).fit(X, y)


# -- checks on output that works ---------------------------------------------
def _fits_like(X=X_GOOD, y=Y_GOOD, sample_weight=None, **params):
    """The fitted model equals, bit for bit, the one fitted on equivalent
    clean float64 data."""

    def check(clf):
        expected = SoftmaxRegression(**params).fit(X, y, sample_weight=sample_weight)
        np.testing.assert_array_equal(clf.coef_, expected.coef_)
        np.testing.assert_array_equal(clf.intercept_, expected.intercept_)
        np.testing.assert_array_equal(clf.classes_, expected.classes_)

    return check


def _predicts_like(X_model, X_reference, rtol=1e-6, **reference_params):
    """The model's probabilities on ``X_model`` equal a reference model's,
    fitted on ``X_reference`` (the same problem, reformulated)."""

    def check(clf):
        reference = SoftmaxRegression(**reference_params).fit(X_reference, Y_GOOD)
        proba = clf.predict_proba(X_model)
        assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(proba))
        np.testing.assert_allclose(
            proba, reference.predict_proba(X_reference), rtol=rtol, atol=1e-9
        )
        np.testing.assert_array_equal(
            clf.predict(X_model), reference.predict(X_reference)
        )

    return check


def _rows_of_the_batch(index):
    """A prediction for some rows equals those rows of the full batch."""

    def check(output, method):
        expected = getattr(_fitted(), method)(X_GOOD)[index]
        assert np.all(np.isfinite(output))
        np.testing.assert_allclose(output, expected, rtol=1e-13)

    return check


def _finite_probabilities(clf):
    proba = clf.predict_proba(X_GOOD)
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def _separates_training_data(X, y):
    def check(clf):
        assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
        np.testing.assert_array_equal(clf.predict(X), y)
        assert np.all(np.isfinite(clf.predict_log_proba(X)))

    return check


def _uniform_model(clf):
    np.testing.assert_array_equal(clf.coef_, 0.0)
    np.testing.assert_allclose(clf.predict_proba(X_GOOD), 1 / 3, rtol=1e-15)


def _partial_fits_like(X=X_GOOD, y=Y_GOOD, classes=(0, 1, 2)):
    """The streamed model equals, bit for bit, the one streamed from
    equivalent clean float64 data with the same seed."""

    def check(clf):
        expected = SoftmaxRegression(random_state=0).partial_fit(X, y, classes=classes)
        np.testing.assert_array_equal(clf.coef_, expected.coef_)
        np.testing.assert_array_equal(clf.intercept_, expected.intercept_)

    return check


def _leans_towards(X, y):
    """One streamed pass over ``(X, y)`` keeps every class of ``classes``
    and raises the probability of each sample's own class above uniform."""

    def check(clf):
        np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
        proba = clf.predict_proba(X)
        assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        own = proba[np.arange(len(y)), np.searchsorted(clf.classes_, y)]
        assert np.all(own > 1 / 3)

    return check


def _equals(expected):
    def check(value):
        assert value == pytest.approx(expected, rel=1e-14)

    return check


# -- the rows -----------------------------------------------------------------
def _row(id_, call, expected, marks=()):
    return pytest.param(call, expected, id=id_, marks=marks)


_NOT_FINITE = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}
_NOT_FINITE_MESSAGE = {"nan": "NaN", "+inf": "infinity", "-inf": "infinity"}

_DUPLICATED = np.c_[X_GOOD, X_GOOD[:, 1]]
_ROOT2_SCALED = X_GOOD * [1, np.sqrt(2), 1]  # the same problem, undivided
_DATES = np.arange(90).astype("datetime64[D]").reshape(30, 3)
_SEPARABLE_X = np.r_[rng.normal(size=(20, 2)) + 3, rng.normal(size=(20, 2)) - 3]
_SEPARABLE_Y = np.repeat([0, 1], 20)
_SCALES = {"1e150": 1e150, "1e-150": 1e-150}


# The same bad input, refused in the same words by fit and partial_fit.
_SHARED_INPUT_CASES = [
    (
        "empty X",
        {"X": np.zeros((0, 3)), "y": np.zeros(0)},
        Raises(ValueError, r"Found array with 0 sample\(s\)"),
    ),
    (
        "mismatched lengths",
        {"y": Y_GOOD[:-1]},
        Raises(ValueError, r"inconsistent numbers of samples: \[30, 29\]"),
    ),
    (
        "3-D X",
        {"X": np.zeros((30, 3, 2))},
        Raises(ValueError, "Found array with dim 3"),
    ),
    (
        "0-D X",
        {"X": np.float64(3.0)},
        Raises(ValueError, "Expected 2D array, got scalar"),
    ),
    (
        "string X",
        {"X": np.full((30, 3), "a")},
        Raises(ValueError, "could not convert string to float: (np\\.str_\\()?'a'"),
    ),
    ("complex X", {"X": X_GOOD + 1j}, Raises(ValueError, "Complex data not supported")),
    (
        "datetime64 X",
        {"X": _DATES},
        Raises(TypeError, r"X holds dates or durations \(dtype datetime64\[D\]\)"),
    ),
]


def _scaled_fit(scale, solver):
    # the same problem as alpha=1e-4, tol=1e-8 on unscaled data: W = V / scale;
    # tol shrinks with the features so the fit cannot stop before the optimum
    return _fit(
        X_GOOD * scale, solver=solver, alpha=1e-4 * scale**2, tol=1e-8 * min(scale, 1)
    )


FIT_ROWS = [
    *(
        _row(f"fit: {name}", _fit(**kwargs), expected)
        for name, kwargs, expected in _SHARED_INPUT_CASES
    ),
    *(
        _row(
            f"fit: {name} in X",
            _fit(X=_with(X_GOOD, (2, 1), value)),
            Raises(ValueError, f"Input X contains {_NOT_FINITE_MESSAGE[name]}"),
        )
        for name, value in _NOT_FINITE.items()
    ),
    *(
        _row(
            f"fit: {name} in y",
            _fit(y=_with(Y_GOOD, 4, value)),
            Raises(ValueError, f"Input y contains {_NOT_FINITE_MESSAGE[name]}"),
        )
        for name, value in _NOT_FINITE.items()
    ),
    *(
        _row(
            f"fit: {name} in sample_weight",
            _fit(sample_weight=_with(np.ones(30), 3, value)),
            Raises(
                ValueError, f"Input sample_weight contains {_NOT_FINITE_MESSAGE[name]}"
            ),
        )
        for name, value in _NOT_FINITE.items()
    ),
    _row(
        "fit: NaN in sparse X",
        _fit(X=sp.csr_matrix(_with(X_GOOD, (2, 1), np.nan))),
        Raises(ValueError, "Input X contains NaN"),
    ),
    _row(
        "fit: negative sample_weight",
        _fit(sample_weight=_with(np.ones(30), 3, -1.0)),
        Raises(ValueError, "Negative values in data passed to `sample_weight`"),
    ),
    _row(
        "fit: all-zero sample_weight",
        _fit(sample_weight=np.zeros(30)),
        Raises(ValueError, "Sample weights must contain at least one non-zero number"),
    ),
    _row(
        "fit: sample_weight of wrong length",
        _fit(sample_weight=np.ones(29)),
        Raises(ValueError, r"sample_weight.shape == \(29,\), expected \(30,\)"),
    ),
    _row(
        "fit: 2-D sample_weight",
        _fit(sample_weight=np.ones((30, 1))),
        Raises(ValueError, "Sample weights must be 1D array or scalar, got 2D"),
    ),
    _row(
        "fit: scalar sample_weight",
        _fit(sample_weight=2.5),
        _fits_like(sample_weight=np.full(30, 2.5)),
    ),
    _row(
        "fit: one weighted class",
        _fit(sample_weight=(Y_GOOD == 1).astype(float)),
        Raises(ValueError, "only one class has any"),
    ),
    _row(
        "fit: zero features",
        _fit(X=np.zeros((30, 0))),
        Raises(ValueError, r"0 feature\(s\)"),
    ),
    _row(
        "fit: one sample",
        _fit(X=X_GOOD[:1], y=Y_GOOD[:1]),
        Raises(ValueError, "at least 2 classes, but the data contains only one"),
    ),
    _row(
        "fit: one sample of each of two classes",
        _fit(X=X_GOOD[:2], y=Y_GOOD[:2]),
        _separates_training_data(X_GOOD[:2], Y_GOOD[:2]),
    ),
    _row("fit: one class", _fit(y=np.zeros(30)), Raises(ValueError, "only one class")),
    _row(
        "fit: y is None",
        _fit(y=None),
        Raises(ValueError, "requires y to be passed, but the target y is None"),
    ),
    _row(
        "fit: ragged X",
        _fit(X=[[1.0, 2.0], [3.0]], y=[0, 1]),
        Raises(ValueError, "inhomogeneous shape"),
    ),
    _row(
        "fit: numeric strings in X",
        _fit(X=X_GOOD.astype(str)),
        _fits_like(),  # float64 repr round-trips exactly
    ),
    _row(
        "fit: object X of numbers",
        _fit(X=X_GOOD.astype(object)),
        _fits_like(),
    ),
    _row(
        "fit: object X with a string",
        _fit(X=np.where(X_GOOD > 2, "high", X_GOOD.astype(object))),
        Raises(ValueError, "could not convert string to float: (np\\.str_\\()?'high'"),
    ),
    _row(
        "fit: float16 X",
        _fit(X=X_GOOD.astype(np.float16)),
        _fits_like(X=X_GOOD.astype(np.float16).astype(np.float64)),
    ),
    _row("fit: bool X", _fit(X=X_GOOD > 0), _fits_like(X=(X_GOOD > 0).astype(float))),
    _row(
        "fit: int8 X",
        _fit(X=np.round(X_GOOD * 10).astype(np.int8)),
        _fits_like(X=np.round(X_GOOD * 10)),
    ),
    _row(
        "fit: timedelta64 X",
        _fit(X=_DATES - _DATES.min()),
        Raises(TypeError, r"dates or durations \(dtype timedelta64\[D\]\)"),
    ),
    _row(
        "fit: pandas datetime column",
        _fit(X=pd.DataFrame({"when": pd.date_range("2020", periods=30), "x": 1.0})),
        Raises(TypeError, r"dates or durations \(dtype datetime64\[(ns|us)\]\)"),
    ),
    _row(
        "fit: continuous y",
        _fit(y=np.linspace(0, 1, 30)),
        Raises(ValueError, "Unknown label type"),
    ),
    _row(
        "fit: mixed-type labels",
        _fit(y=np.array(["a", 1, 2] * 10, dtype=object)),
        Raises(TypeError, "mixes string and non-string labels"),
    ),
    _row(
        "fit: labels with None",
        _fit(y=np.array(["a", "b", None] * 10, dtype=object)),
        Raises(TypeError, "mixes string and non-string labels .* 'a' and None"),
    ),
    _row(
        "fit: bool labels",
        _fit(y=Y_GOOD == 1),
        _fits_like(y=np.where(Y_GOOD == 1, 1, 0)),
    ),
    _row(
        "fit: 2-D multi-column y",
        _fit(y=np.zeros((30, 2))),
        Raises(ValueError, r"Row 0 of y, \[0\. 0\.\], sums to 0, not 1"),
    ),
    _row(
        "fit: constant column",
        _fit(X=np.c_[X_GOOD, np.full(30, 5.0)], tol=1e-10),
        # its coefficient would only duplicate the free intercept: the
        # penalty keeps it at zero and the model is the one without it
        _predicts_like(np.c_[X_GOOD, np.full(30, 5.0)], X_GOOD, tol=1e-10),
    ),
    _row(
        "fit: duplicated column",
        _fit(X=_DUPLICATED, tol=1e-10),
        # two copies share the weight and half the penalty: the same model as
        # the column scaled by sqrt(2)
        _predicts_like(_DUPLICATED, _ROOT2_SCALED, tol=1e-10),
    ),
    _row(
        "fit: all-zero column without penalty",
        _fit(X=np.c_[X_GOOD, np.zeros(30)], alpha=0.0, tol=1e-10),
        _predicts_like(np.c_[X_GOOD, np.zeros(30)], X_GOOD, alpha=0.0, tol=1e-10),
    ),
    *(
        _row(
            f"fit: features of scale {name} [{solver}]",
            _scaled_fit(scale, solver),
            _predicts_like(X_GOOD * scale, X_GOOD, solver=solver, tol=1e-8),
        )
        for name, scale in _SCALES.items()
        for solver in sorted(SOLVERS)
        if solver != "sgd"
    ),
    *(
        _row(
            f"fit: features of scale {name} [sgd]",
            _scaled_fit(scale, "sgd"),
            Raises(ValueError, r"need features of moderate scale.*StandardScaler"),
        )
        for name, scale in _SCALES.items()
    ),
    *(
        _row(
            f"fit: separable data, alpha=0 [{solver}]",
            _fit(
                X=_SEPARABLE_X,
                y=_SEPARABLE_Y,
                alpha=0.0,
                solver=solver,
                warns=(ConvergenceWarning, "separates the training data perfectly"),
            ),
            _separates_training_data(_SEPARABLE_X, _SEPARABLE_Y),
        )
        for solver in sorted(SOLVERS)
    ),
    *(
        _row(
            f"fit: max_iter=0 [{solver}]",
            _fit(max_iter=0, solver=solver, warns=(ConvergenceWarning, "0 iterations")),
            _uniform_model,
        )
        for solver in sorted(SOLVERS)
    ),
]


def _frame(columns):
    return pd.DataFrame(X_GOOD, columns=columns)


PREDICT_ROWS = [
    row
    for method in PREDICT_METHODS
    for row in [
        _row(
            f"{method}: NaN in X",
            _predict(method, _with(X_GOOD, (0, 0), np.nan)),
            Raises(ValueError, "Input X contains NaN"),
        ),
        *(
            _row(
                f"{method}: {name} in X",
                _predict(method, _with(X_GOOD, (0, 0), value)),
                Raises(ValueError, "Input X contains infinity"),
            )
            for name, value in (("+inf", np.inf), ("-inf", -np.inf))
        ),
        _row(
            f"{method}: wrong feature count",
            _predict(method, X_GOOD[:, :2]),
            Raises(
                ValueError, "X has 2 features, but SoftmaxRegression is expecting 3"
            ),
        ),
        _row(
            f"{method}: renamed features",
            _predict(method, _frame(["a", "b", "z"]), frame=True),
            Raises(ValueError, r"Feature names unseen at fit time:\n- z"),
        ),
        _row(
            f"{method}: reordered features",
            _predict(method, _frame(["c", "b", "a"]), frame=True),
            Raises(ValueError, "Feature names must be in the same order as they were"),
        ),
        _row(
            f"{method}: empty X",
            _predict(method, np.zeros((0, 3))),
            Raises(ValueError, r"Found array with 0 sample\(s\)"),
        ),
        _row(
            f"{method}: 1-D X",
            _predict(method, X_GOOD[0]),
            Raises(ValueError, "Expected 2D array, got 1D array"),
        ),
        _row(
            f"{method}: 3-D X",
            _predict(method, np.zeros((2, 3, 1))),
            Raises(ValueError, "Found array with dim 3"),
        ),
        _row(
            f"{method}: 0-D X",
            _predict(method, np.float64(1.0)),
            Raises(ValueError, "Expected 2D array, got scalar"),
        ),
        _row(
            f"{method}: complex X",
            _predict(method, X_GOOD + 1j),
            Raises(ValueError, "Complex data not supported"),
        ),
        _row(
            f"{method}: string X",
            _predict(method, np.full((2, 3), "x")),
            Raises(ValueError, "could not convert string to float: (np\\.str_\\()?'x'"),
        ),
        _row(
            f"{method}: datetime64 X",
            _predict(method, _DATES),
            Raises(TypeError, "X holds dates or durations"),
        ),
        _row(
            f"{method}: one sample",
            _predict(method, X_GOOD[4:5]),
            _rows_of_the_batch(slice(4, 5)),
        ),
        _row(
            f"{method}: float16 and bool X",
            _predict(method, X_GOOD.astype(np.float16)),
            lambda output, method: np.testing.assert_allclose(
                output,
                getattr(_fitted(), method)(X_GOOD.astype(np.float16).astype(float)),
                rtol=1e-15,
            ),
        ),
    ]
]


_CLASS_0 = Y_GOOD == 0
_ONE_HOT = np.eye(3)[Y_GOOD]

PARTIAL_FIT_ROWS = [
    *(
        _row(f"partial_fit: {name}", _partial_fit(**kwargs), expected)
        for name, kwargs, expected in _SHARED_INPUT_CASES
    ),
    *(
        _row(
            f"partial_fit: {name} in {where}",
            _partial_fit(**{where: _with(default, index, value)}),
            Raises(ValueError, f"Input {where} contains {_NOT_FINITE_MESSAGE[name]}"),
        )
        for where, default, index in (
            ("X", X_GOOD, (2, 1)),
            ("y", Y_GOOD, 4),
            ("sample_weight", np.ones(30), 3),
        )
        for name, value in _NOT_FINITE.items()
    ),
    _row(
        "partial_fit: NaN in probability targets",
        _partial_fit(y=_with(_ONE_HOT, (2, 1), np.nan), classes=None),
        Raises(ValueError, "Input y contains NaN"),
    ),
    _row(
        "partial_fit: first call without classes",
        _partial_fit(classes=None),
        Raises(ValueError, "classes must be passed on the first call to partial_fit"),
    ),
    _row(
        "partial_fit: label outside classes, first call",
        _partial_fit(y=np.r_[Y_GOOD[:-1], 7]),
        Raises(ValueError, r"y contains labels \[7\] that are not in classes"),
    ),
    _row(
        "partial_fit: label outside classes, later call",
        _partial_fit(y=np.r_[Y_GOOD[:-1], 7], classes=None, first=(X_GOOD, Y_GOOD)),
        Raises(ValueError, r"labels \[7\] that are not in classes \[0, 1, 2\]"),
    ),
    _row(
        "partial_fit: changed classes",
        _partial_fit(classes=(0, 1, 2, 3), first=(X_GOOD, Y_GOOD)),
        Raises(ValueError, r"classes=\[0, 1, 2, 3\] differs from the classes"),
    ),
    _row(
        "partial_fit: changed feature count",
        _partial_fit(X=X_GOOD[:, :2], first=(X_GOOD, Y_GOOD)),
        Raises(ValueError, "X has 2 features, but SoftmaxRegression is expecting 3"),
    ),
    _row(
        "partial_fit: changed feature names",
        _partial_fit(
            X=_frame(["a", "b", "z"]), first=(_frame(["a", "b", "c"]), Y_GOOD)
        ),
        Raises(ValueError, r"Feature names unseen at fit time:\n- z"),
    ),
    _row(
        "partial_fit: object X of numbers",
        _partial_fit(X=X_GOOD.astype(object)),
        _partial_fits_like(),
    ),
    _row(
        "partial_fit: float16 X",
        _partial_fit(X=X_GOOD.astype(np.float16)),
        _partial_fits_like(X=X_GOOD.astype(np.float16).astype(np.float64)),
    ),
    _row(
        "partial_fit: mixed-type labels",
        _partial_fit(y=np.array(["a", 1, 2] * 10, dtype=object), classes=["a", "b"]),
        Raises(TypeError, "mixes string and non-string labels"),
    ),
    _row(
        "partial_fit: negative sample_weight",
        _partial_fit(sample_weight=_with(np.ones(30), 3, -1.0)),
        Raises(ValueError, "Negative values in data passed to `sample_weight`"),
    ),
    _row(
        "partial_fit: all-zero sample_weight",
        _partial_fit(sample_weight=np.zeros(30)),
        Raises(ValueError, "Sample weights must contain at least one non-zero number"),
    ),
    _row(
        "partial_fit: class_weight='balanced'",
        _partial_fit(class_weight="balanced"),
        Raises(ValueError, "'balanced' cannot be computed from one batch"),
    ),
    *(
        _row(
            f"partial_fit: features of scale {name}",
            _partial_fit(X=X_GOOD * scale),
            Raises(ValueError, r"need features of moderate scale.*StandardScaler"),
        )
        for name, scale in _SCALES.items()
    ),
    _row(
        "partial_fit: features of scale 1e150, later call",
        _partial_fit(X=X_GOOD * 1e150, first=(X_GOOD, Y_GOOD)),
        Raises(ValueError, r"the largest \|x\| is 3.\d+e\+150"),
    ),
    _row(
        "partial_fit: one-sample batch",
        _partial_fit(X=X_GOOD[:1], y=Y_GOOD[:1]),
        _leans_towards(X_GOOD[:1], Y_GOOD[:1]),
    ),
    _row(
        "partial_fit: batch missing classes",
        _partial_fit(X=X_GOOD[_CLASS_0], y=Y_GOOD[_CLASS_0]),
        _leans_towards(X_GOOD[_CLASS_0], Y_GOOD[_CLASS_0]),
    ),
    _row(
        "partial_fit (probability targets): one-hot rows, no classes",
        _partial_fit(y=_ONE_HOT, classes=None),
        _partial_fits_like(),
    ),
]

_SOFT = 0.8 * _ONE_HOT + 0.2 / 3

PROBABILITY_TARGET_ROWS = [
    *(
        _row(
            f"fit (probability targets): {name} entry",
            _fit(y=_with(_SOFT, (2, 1), value)),
            Raises(ValueError, f"Input y contains {_NOT_FINITE_MESSAGE[name]}"),
        )
        for name, value in _NOT_FINITE.items()
    ),
    _row(
        "fit (probability targets): negative entry",
        _fit(y=_with(_SOFT, (3, 0), -0.1)),
        Raises(ValueError, r"Row 3 of y, .*, has a negative entry.*Y / Y.sum"),
    ),
    _row(
        "fit (probability targets): row not summing to 1",
        _fit(y=_with(_SOFT, (5, 2), 0.5)),
        Raises(ValueError, r"Row 5 of y, .*, sums to 0.633333333, not 1 \(tolerance"),
    ),
    _row(
        "fit (probability targets): columns and classes disagree",
        _fit(y=_SOFT, classes=["a", "b"]),
        Raises(ValueError, "y has 3 columns of class probabilities but classes has 2"),
    ),
    _row(
        "fit (probability targets): duplicate classes",
        _fit(y=_SOFT, classes=["a", "b", "a"]),
        Raises(ValueError, "classes has duplicate labels"),
    ),
    _row(
        "fit (probability targets): strings",
        _fit(y=np.full((30, 3), "a")),
        Raises(ValueError, r"must hold class probabilities \(numbers\)"),
    ),
    _row(
        "fit (probability targets): one class carries all the probability",
        _fit(y=np.tile([0.0, 1.0, 0.0], (30, 1))),
        Raises(ValueError, r"only one class has any: \[1\]"),
    ),
    _row(
        "fit (probability targets): mismatched lengths",
        _fit(y=_SOFT[:-1]),
        Raises(ValueError, r"inconsistent numbers of samples: \[30, 29\]"),
    ),
    _row(
        "fit (probability targets): (n, 1) column is labels",
        _fit(y=Y_GOOD[:, None], warns=(DataConversionWarning, "column-vector y")),
        _fits_like(),
    ),
    _row(
        "fit (probability targets): one-hot rows",
        _fit(y=_ONE_HOT),
        _fits_like(),  # the hard-label fit, bit for bit
    ),
    _row(
        "fit (probability targets): one-hot rows with string classes",
        _fit(y=_ONE_HOT, classes=["c", "b", "a"]),
        # columns in the order of the classes given: column 0 is "c"
        _fits_like(y=np.array(["c", "b", "a"])[Y_GOOD]),
    ),
]


def _proximal_params(solver, penalty, scale=1.0):
    """Pure L1 (or group) fits of the problem with features times ``scale``,
    in the same ``W = V / scale``: the penalty's strength grows with
    ``scale``, the (sub)gradient tolerance shrinks with it."""
    return dict(
        solver=solver,
        penalty=penalty,
        alpha=1e-2 * scale,
        l1_ratio=1.0,
        tol=1e-10 * min(scale, 1.0),
    )


_PROXIMAL = [
    (solver, penalty)
    for solver in ("fista", "prox-newton")
    for penalty in ("elasticnet", "group")
]

PENALTY_ROWS = [
    *(
        _row(
            f"fit: l1_ratio=0.5 with solver={solver!r}",
            _fit(l1_ratio=0.5, solver=solver),
            Raises(
                ValueError,
                f"solver='{solver}' does not support the 'elasticnet' penalty "
                r"\(l1_ratio > 0\): use solver='fista' or solver='prox-newton'",
            ),
        )
        for solver in sorted(SOLVERS)
        if solver not in ("fista", "prox-newton")
    ),
    _row(
        "fit: group penalty with solver='sgd'",
        _fit(l1_ratio=1.0, penalty="group", solver="sgd"),
        Raises(ValueError, "solver='sgd' does not support the 'group' penalty"),
    ),
    *(
        _row(
            f"fit ({penalty}): constant column [{solver}]",
            _fit(
                X=np.c_[X_GOOD, np.full(30, 5.0)], **_proximal_params(solver, penalty)
            ),
            # its coefficient duplicates the free intercept: the penalty
            # keeps it at zero
            _predicts_like(
                np.c_[X_GOOD, np.full(30, 5.0)],
                X_GOOD,
                **_proximal_params(solver, penalty),
            ),
        )
        for solver, penalty in _PROXIMAL
    ),
    *(
        _row(
            f"fit ({penalty}): duplicated column [{solver}]",
            _fit(X=_DUPLICATED, **_proximal_params(solver, penalty)),
            # under the pure L1 (group) penalty any split of the weight
            # between the two copies costs the same: the model without the
            # copy
            _predicts_like(_DUPLICATED, X_GOOD, **_proximal_params(solver, penalty)),
        )
        for solver, penalty in _PROXIMAL
    ),
    *(
        _row(
            f"fit ({penalty}): features of scale {name} [{solver}]",
            _fit(X=X_GOOD * scale, **_proximal_params(solver, penalty, scale)),
            _predicts_like(X_GOOD * scale, X_GOOD, **_proximal_params(solver, penalty)),
        )
        for name, scale in _SCALES.items()
        for solver, penalty in _PROXIMAL
    ),
]

CV_ROWS = [
    _row(
        "SoftmaxRegressionCV: NaN in X",
        _fit_cv(X=_with(X_GOOD, (2, 1), np.nan)),
        Raises(ValueError, "Input X contains NaN"),
    ),
    _row(
        "SoftmaxRegressionCV: datetime64 X",
        _fit_cv(X=_DATES),
        Raises(TypeError, r"X holds dates or durations \(dtype datetime64\[D\]\)"),
    ),
    _row(
        "SoftmaxRegressionCV: one class",
        _fit_cv(y=np.zeros(30)),
        Raises(ValueError, r"contains only one class: 0\.0"),
    ),
    _row(
        "SoftmaxRegressionCV: mixed-type labels",
        _fit_cv(y=np.array(["a", 1, 2] * 10, dtype=object)),
        Raises(TypeError, "mixes string and non-string labels"),
    ),
    _row(
        "SoftmaxRegressionCV: probability targets",
        _fit_cv(y=_SOFT),
        Raises(ValueError, r"fits class labels only, but y has shape \(30, 3\)"),
    ),
    _row(
        "SoftmaxRegressionCV: l1_ratios outside [0, 1]",
        _fit_cv(l1_ratios=[0.5, 1.5]),
        Raises(ValueError, r"l1_ratios must lie in \[0, 1\], got \[1.5\]"),
    ),
    _row(
        "SoftmaxRegressionCV: l1_ratios the solver cannot do",
        _fit_cv(l1_ratios=[0.5], solver="lbfgs"),
        Raises(ValueError, "solver='lbfgs' does not support the 'elasticnet' penalty"),
    ),
]


CROSS_ENTROPY_ROWS = [
    *(
        _row(
            f"cross_entropy: {name} in probability targets",
            _cross_entropy(y=_with(np.full((2, 3), 1 / 3), (1, 2), value)),
            Raises(ValueError, "probability targets must be finite and non-negative"),
        )
        for name, value in _NOT_FINITE.items()
    ),
    _row(
        "cross_entropy: negative probability",
        _cross_entropy(y=np.array([[1.5, -0.5, 0.0], [1, 0, 0]])),
        Raises(ValueError, r"finite and non-negative; y holds -0.5 at index \(0, 1\)"),
    ),
    _row(
        "cross_entropy: rows not summing to one",
        _cross_entropy(y=np.array([[1.0, 1.0, 0.0], [1, 0, 0]])),
        Raises(ValueError, "must sum to one in each row; row 0 sums to 2.0"),
    ),
    _row(
        "cross_entropy: smoothed labels",
        _cross_entropy(
            logits=np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]]),
            y=np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]]),
        ),
        _equals(
            -(
                np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
                * log_softmax(np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]]))
            )
            .sum(axis=1)
            .mean()
        ),
    ),
    *(
        _row(
            f"cross_entropy: {name} in sample_weight",
            _cross_entropy(y=[0, 1], sample_weight=[value, 1.0]),
            Raises(ValueError, "sample_weight must be finite and non-negative"),
        )
        for name, value in {**_NOT_FINITE, "negative": -1.0}.items()
    ),
    _row(
        "cross_entropy: all-zero sample_weight",
        _cross_entropy(y=[0, 1], sample_weight=[0.0, 0.0]),
        Raises(ValueError, "positive sum"),
    ),
    _row(
        "cross_entropy: no samples",
        _cross_entropy(logits=np.zeros((0, 3)), y=np.zeros(0, dtype=int)),
        Raises(ValueError, "mean cross-entropy of zero samples is undefined"),
    ),
]


def _run_row(call, expected, *extra):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if isinstance(expected, Raises):
            with pytest.raises(expected.error, match=expected.match):
                call()
        else:
            expected(call(), *extra)


@pytest.mark.parametrize("call, expected", FIT_ROWS)
def test_fit_input_matrix(call, expected):
    _run_row(call, expected)


@pytest.mark.parametrize("call, expected", PREDICT_ROWS)
def test_predict_input_matrix(call, expected, request):
    method = request.node.callspec.id.split(":")[0]
    _run_row(call, expected, *(() if isinstance(expected, Raises) else (method,)))


@pytest.mark.parametrize("call, expected", PARTIAL_FIT_ROWS)
def test_partial_fit_input_matrix(call, expected):
    _run_row(call, expected)


@pytest.mark.parametrize(
    "call, expected", PROBABILITY_TARGET_ROWS + PENALTY_ROWS + CV_ROWS
)
def test_soft_target_penalty_and_cv_input_matrix(call, expected):
    _run_row(call, expected)


def test_partial_fit_of_a_penalty_it_cannot_stream_says_why():
    clf = SoftmaxRegression(l1_ratio=0.5)
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        clf.partial_fit(X_GOOD, Y_GOOD, classes=[0, 1, 2])
    assert "l1_ratio=0.5): the streaming optimiser only handles" in str(
        info.value.__cause__
    )


@pytest.mark.parametrize("call, expected", CROSS_ENTROPY_ROWS)
def test_cross_entropy_input_matrix(call, expected):
    _run_row(call, expected)


@pytest.mark.slow
def test_ten_thousand_classes_of_three_samples():
    n_classes = 10_000
    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = np.c_[np.cos(angle), np.sin(angle)]
    X = np.repeat(centres, 3, axis=0) + rng.normal(scale=1e-5, size=(3 * n_classes, 2))
    X = X.astype(np.float32)  # 3e8 logits a pass: float32 halves the time
    y = np.repeat(np.arange(n_classes), 3)
    clf = SoftmaxRegression(solver="lbfgs", max_iter=1, tol=1e-12)
    with pytest.warns(ConvergenceWarning, match="1 iterations"):
        clf.fit(X, y)
    assert clf.coef_.shape == (n_classes, 2) and clf.classes_.shape == (n_classes,)
    rows = np.arange(0, 3 * n_classes, 300)
    proba = clf.predict_proba(X[rows])
    assert proba.dtype == np.float32 and np.all(np.isfinite(proba))
    np.testing.assert_allclose(
        proba.sum(axis=1), 1.0, rtol=4 * np.finfo(np.float32).eps
    )
    # one step already beats the uniform model
    assert cross_entropy(clf.decision_function(X[rows]), y[rows]) < np.log(n_classes)


PARAM_CASES = {
    "negative alpha": (dict(alpha=-1.0), "'alpha' parameter"),
    "l1_ratio above 1": (dict(l1_ratio=1.5), "'l1_ratio' parameter"),
    "l1_ratio below 0": (dict(l1_ratio=-0.1), "'l1_ratio' parameter"),
    "label_smoothing of 1": (
        dict(label_smoothing=1.0),
        r"'label_smoothing' parameter .* in the range \[0.0, 1.0\)",
    ),
    "negative label_smoothing": (
        dict(label_smoothing=-0.1),
        r"'label_smoothing' parameter .* in the range \[0.0, 1.0\)",
    ),
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


def test_predict_before_fit_says_not_fitted():
    with pytest.raises(ValueError, match="not fitted yet"):
        SoftmaxRegression().predict(X_GOOD)


def test_huge_features_at_predict_give_finite_probabilities(iris):
    X, y = iris
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


# a module constant, not the iris fixture: hypothesis tests take no
# function-scoped fixtures
_IRIS_MODEL = SoftmaxRegression().fit(*load_iris_data())
