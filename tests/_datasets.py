"""Loaders of the data sets the tests use.

scikit-learn's bundled iris, wine and digits (loaded once per session; the
fixtures of ``conftest.py`` hand them to tests), pendigits (shipped with the
package) and Fashion-MNIST (optional: a local copy or the download cache of
:mod:`softmax_regression.datasets`; without one its tests are skipped).
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.preprocessing import StandardScaler

from softmax_regression import datasets
from softmax_regression.datasets import DatasetNotFoundError

#: Set (to anything but 0) to make a test that lacks its data set fail
#: instead of skipping.
REQUIRE_DATA = "SOFTMAX_REGRESSION_REQUIRE_DATA"
#: The pendigits files that ship with the package (LIBSVM format).
PENDIGITS = datasets.pendigits_folder()


_BUNDLED = {"iris": load_iris, "wine": load_wine, "digits": load_digits}


@cache
def _bundled(name: str, scaled: bool):
    X, y = _BUNDLED[name](return_X_y=True)
    if scaled:
        X = StandardScaler().fit_transform(X)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _copies(name: str, scaled: bool):
    X, y = _bundled(name, scaled)
    return X.copy(order="K"), y.copy(order="K")


def load_iris_data(*, scaled: bool = False):
    """Iris (150 x 4, 3 classes) as ``(X, y)``: float64 ``X``, integer ``y``.

    ``scaled=True`` standardises the columns (``StandardScaler``).  Loaded
    once per session; each call returns fresh copies the caller may modify.
    """
    return _copies("iris", scaled)


def load_wine_data(*, scaled: bool = False):
    """Wine (178 x 13, 3 classes) as ``(X, y)``, as :func:`load_iris_data`.

    The raw features range from about 0.1 to 1000; ``scaled=True``
    standardises them (``StandardScaler``).
    """
    return _copies("wine", scaled)


def load_digits_data(*, scaled: bool = False):
    """Digits (1797 x 64 pixels in 0..16, 10 classes) as ``(X, y)``, as
    :func:`load_iris_data`; ``scaled=True`` standardises the columns."""
    return _copies("digits", scaled)


@cache
def _wine_frame():
    return load_wine(return_X_y=True, as_frame=True)


def load_wine_frame():
    """Wine as ``(X, y)``: a pandas DataFrame with the feature names and the
    Series ``target``, as ``load_wine(return_X_y=True, as_frame=True)``.

    Loaded once per session; each call returns deep copies.
    """
    X, y = _wine_frame()
    return X.copy(deep=True), y.copy(deep=True)


def required(fetch, *args, **kwargs):
    """``fetch(*args, **kwargs)`` from a local copy or the cache (never the
    network): skipped when neither has the data, except under
    ``SOFTMAX_REGRESSION_REQUIRE_DATA=1`` (set by ``.ci/run``), where a
    missing data set fails the test, so CI never passes by skipping."""
    try:
        return fetch(*args, download_if_missing=False, **kwargs)
    except DatasetNotFoundError as missing:
        if os.environ.get(REQUIRE_DATA, "") not in ("", "0"):
            pytest.fail(f"{missing} ({REQUIRE_DATA} is set: CI needs every data set)")
        pytest.skip(str(missing))


def load_pendigits(split: str = "train"):
    """Pendigits (7,494 x 16 train, 10 classes), shipped with the package."""
    return datasets.load_pendigits(split)


@cache
def _fashion_mnist(split: str):
    return required(datasets.fetch_fashion_mnist, split)


def load_fashion_mnist(split: str = "train"):
    """Fashion-MNIST (60,000 x 784 train, 10,000 test, 10 classes), from a
    local copy or the download cache (see :func:`required`).

    Pixels scaled to [0, 1] as float32, C-contiguous; labels as integers.
    Cached per split: callers must not modify the arrays in place.
    """
    X, y = _fashion_mnist(split)
    X.flags.writeable = False
    return X, y
