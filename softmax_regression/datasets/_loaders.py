"""The loaders: pendigits from the package itself, the larger sets through
:func:`~softmax_regression.datasets._locate.dataset_file`."""

from __future__ import annotations

import gzip
import os
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.datasets import load_svmlight_file

from ._locate import dataset_file

_SPLITS = ("train", "test")


def _check_split(split: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def pendigits_folder() -> Path:
    """The folder of the pendigits files that ship with the package
    (``pendigits.gz``, ``pendigits.t.gz``: LIBSVM format, gzip; their
    source and licence are in ``SOURCE.rst`` beside them)."""
    return Path(str(resources.files(__package__) / "data" / "pendigits"))


def load_pendigits(split: str = "train") -> tuple[NDArray, NDArray]:
    """Pen-Based Recognition of Handwritten Digits (UCI), shipped with the
    package.

    ========  =============  ========  =======
    split     shape          features  classes
    ========  =============  ========  =======
    train     7494 x 16      0..100    10
    test      3498 x 16      0..100    10
    ========  =============  ========  =======

    The raw integer features are badly scaled for gradient methods, which
    makes the set a test of solvers.

    Parameters
    ----------
    split : {"train", "test"}, default="train"

    Returns
    -------
    X : ndarray of shape (n_samples, 16), float64
    y : ndarray of shape (n_samples,), int
        The digit, 0 to 9.
    """
    name = "pendigits.gz" if _check_split(split) == "train" else "pendigits.t.gz"
    X, y = load_svmlight_file(str(pendigits_folder() / name), n_features=16)
    return np.ascontiguousarray(X.toarray()), y.astype(np.intp)


def _read_idx(path: Path, magic: int, header_bytes: int, count: int | None):
    """The uint8 payload of a gzipped IDX file (all of it, or ``count``
    bytes)."""
    with gzip.open(path, "rb") as f:
        header = f.read(header_bytes)
        found = int.from_bytes(header[:4], "big")
        if found != magic:
            raise ValueError(f"{path}: IDX magic {found:#x}, expected {magic:#x}")
        raw = f.read(-1 if count is None else count)
    return np.frombuffer(raw, dtype=np.uint8)


def fetch_fashion_mnist(
    split: str = "train",
    *,
    n_samples: int | None = None,
    dtype=np.float32,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
) -> tuple[NDArray, NDArray]:
    """Fashion-MNIST (Xiao, Rasul and Vollgraf 2017; MIT licence): 28 x 28
    greyscale images of clothing, 10 classes.

    Train 60,000 images, test 10,000.  Read from a local copy (the folder
    ``fashion-mnist/`` under ``$SOFTMAX_REGRESSION_DATA``), else from the
    download cache, else downloaded there (about 30 MB).

    Parameters
    ----------
    split : {"train", "test"}, default="train"
    n_samples : int, default=None
        Read only the first ``n_samples`` images (all by default).
    dtype : numpy dtype, default=np.float32
        The pixels' dtype (scaled in it, without an intermediate copy).
    data_home : str or path-like, default=None
        scikit-learn's data home, whose ``softmax_regression`` folder is the
        download cache.
    download_if_missing : bool, default=True
        Download when no copy is found; if False, raise
        :class:`DatasetNotFoundError` instead.

    Returns
    -------
    X : ndarray of shape (n_samples, 784)
        Pixels scaled to [0, 1] in ``dtype``, one image a row.
    y : ndarray of shape (n_samples,), int
        The class, 0 to 9 (T-shirt/top, Trouser, Pullover, Dress, Coat,
        Sandal, Shirt, Sneaker, Bag, Ankle boot).
    """
    prefix = "train" if _check_split(split) == "train" else "t10k"
    files = {
        kind: dataset_file(
            "fashion-mnist",
            f"{prefix}-{kind}-idx{rank}-ubyte.gz",
            data_home=data_home,
            download_if_missing=download_if_missing,
        )
        for kind, rank in (("labels", 1), ("images", 3))
    }
    labels = _read_idx(files["labels"], 0x801, 8, n_samples)
    n = labels.shape[0]
    images = _read_idx(files["images"], 0x803, 16, n * 784)
    X = images.reshape(n, 784).astype(dtype)
    X /= 255
    return X, labels.astype(np.intp)


def fetch_sector(
    split: str = "train",
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
) -> tuple[sp.csr_matrix, NDArray]:
    """Industry Sector (LIBSVM's TF-IDF version; McCallum and Nigam 1998):
    web pages of companies, 105 classes, rows of unit L2 norm.

    Train 6412 x 55197, test 3207 x 55197, sparse.  Found or downloaded
    as :func:`fetch_fashion_mnist` (about 6 MB).

    Parameters
    ----------
    split : {"train", "test"}, default="train"
    data_home : str or path-like, default=None
    download_if_missing : bool, default=True

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_samples, 55197), float64
    y : ndarray of shape (n_samples,), int
    """
    train = _check_split(split) == "train"
    name = "sector.scale.bz2" if train else "sector.t.scale.bz2"
    path = dataset_file(
        "sector", name, data_home=data_home, download_if_missing=download_if_missing
    )
    X, y = load_svmlight_file(str(path), n_features=55197, dtype=np.float64)
    X = sp.csr_matrix(X)
    X.sort_indices()
    return X, y.astype(np.intp)


def fetch_20newsgroups_archive(
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
) -> Path:
    """The path of the 20 Newsgroups "bydate" archive (Lang 1995; 11,314
    train and 7,532 test messages, 20 groups), as
    ``20news-bydate-{train,test}/<group>/<id>`` in a ``.tar.gz``.

    Found or downloaded as :func:`fetch_fashion_mnist` (about 14 MB).  The
    benchmarks turn it into TF-IDF features; scikit-learn's
    ``fetch_20newsgroups`` reads the same archive.

    Parameters
    ----------
    data_home : str or path-like, default=None
    download_if_missing : bool, default=True

    Returns
    -------
    path : pathlib.Path
    """
    return dataset_file(
        "20newsgroups",
        "20news-bydate.tar.gz",
        data_home=data_home,
        download_if_missing=download_if_missing,
    )
