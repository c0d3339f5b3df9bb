"""Loaders for the real data sets beside the project (``../shared/data``)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_file

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


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
