"""Loaders for the real data sets beside the project (``../shared/data``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_svmlight_file

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_pendigits(split: str = "train"):
    """Pendigits (7,494 x 16 train, 10 classes) as dense float64 arrays."""
    name = "pendigits.gz" if split == "train" else "pendigits.t.gz"
    path = SHARED_DATA / "pendigits" / name
    if not path.exists():
        pytest.fail(f"the shared data set {path} is missing; CI provides ../shared")
    X, y = load_svmlight_file(str(path), n_features=16)
    return X.toarray(), y.astype(int)
