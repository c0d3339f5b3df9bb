"""Loaders of the data sets the tests use.

scikit-learn's bundled iris, wine and digits (loaded once per session; the
fixtures of ``conftest.py`` hand them to tests), and the real data sets
beside the project (``../shared/data``).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, load_svmlight_file, load_wine
from sklearn.preprocessing import StandardScaler

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


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


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"the shared data set {path} is missing; CI provides ../shared")
    return path


def load_pendigits(split: str = "train"):
    """Pendigits (7,494 x 16 train, 10 classes) as dense float64 arrays."""
    name = "pendigits.gz" if split == "train" else "pendigits.t.gz"
    X, y = load_svmlight_file(
        str(_require(SHARED_DATA / "pendigits" / name)), n_features=16
    )
    return X.toarray(), y.astype(int)


@cache
def _fashion_mnist(split: str):
    prefix = "train" if split == "train" else "t10k"
    folder = SHARED_DATA / "fashion-mnist"
    with gzip.open(_require(folder / f"{prefix}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    with gzip.open(_require(folder / f"{prefix}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    X = images.reshape(labels.shape[0], 28 * 28).astype(np.float32) / 255
    return X, labels.astype(np.intp)


def load_fashion_mnist(split: str = "train"):
    """Fashion-MNIST (60,000 x 784 train, 10,000 test, 10 classes).

    Pixels scaled to [0, 1] as float32, C-contiguous; labels as integers.
    Cached per split: callers must not modify the arrays in place.
    """
    X, y = _fashion_mnist(split)
    X.flags.writeable = False
    return X, y
