"""Where a data set's files are: a configured local copy (the folder named
by ``$SOFTMAX_REGRESSION_DATA``), the download cache, or (if allowed) the
network.

Every loader of :mod:`softmax_regression.datasets` asks :func:`dataset_file`
for its files, so the gallery, the benchmarks and the tests find data the
same way.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sklearn.datasets import get_data_home

from .._atomic import atomic_write

#: Environment variable naming a folder that holds data set folders
#: (``<folder>/fashion-mnist/``, ``<folder>/sector/``, ...).
DATA_ENV = "SOFTMAX_REGRESSION_DATA"


class DatasetNotFoundError(FileNotFoundError):
    """A data set's file is in none of the places searched, and downloading
    was not allowed (or failed)."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set and where it is published.

    Attributes
    ----------
    url : str
        Where to download it from.
    sha256 : str
        The checksum a download must have.
    """

    url: str
    sha256: str


_FASHION = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
_LIBSVM = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/sector/"

#: The downloadable files of each data set, by file name.  The checksums are
#: those of the published files (the 20 Newsgroups archive is the original
#: one scikit-learn also downloads).
REMOTE_FILES: dict[str, dict[str, RemoteFile]] = {
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": RemoteFile(
            _FASHION + "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ),
        "train-labels-idx1-ubyte.gz": RemoteFile(
            _FASHION + "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ),
        "t10k-images-idx3-ubyte.gz": RemoteFile(
            _FASHION + "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ),
        "t10k-labels-idx1-ubyte.gz": RemoteFile(
            _FASHION + "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    },
    "sector": {
        "sector.scale.bz2": RemoteFile(
            _LIBSVM + "sector.scale.bz2",
            "cba3d66eed97803665eeb76379fe9d9955712ea0e5c61d7003f644713ed842b5",
        ),
        "sector.t.scale.bz2": RemoteFile(
            _LIBSVM + "sector.t.scale.bz2",
            "c8c26e073abd92dda9e2a7903546fbe3c783a8d6141ec3fad360de4c0a572cbc",
        ),
    },
    "20newsgroups": {
        "20news-bydate.tar.gz": RemoteFile(
            "https://ndownloader.figshare.com/files/5975967",
            "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610",
        ),
    },
}


def cache_folder(data_home: str | os.PathLike | None = None) -> Path:
    """The download cache: ``softmax_regression`` in scikit-learn's data
    home (``~/scikit_learn_data`` unless ``SCIKIT_LEARN_DATA`` or
    ``data_home`` says otherwise)."""
    return Path(get_data_home(data_home)) / "softmax_regression"


def local_folders(name: str) -> list[Path]:
    """The folder searched for data set ``name`` before the cache:
    ``$SOFTMAX_REGRESSION_DATA/<name>`` when that variable is set (none
    otherwise; nothing outside it and the cache is ever searched)."""
    configured = os.environ.get(DATA_ENV)
    return [Path(configured).expanduser() / name] if configured else []


def dataset_file(
    name: str,
    filename: str,
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
) -> Path:
    """The path of one file of a data set, downloading it if need be.

    Parameters
    ----------
    name : str
        The data set's folder name, e.g. ``"fashion-mnist"``.
    filename : str
        The file in that folder.
    data_home : str or path-like, default=None
        scikit-learn's data home, whose ``softmax_regression`` folder is the
        download cache (see :func:`cache_folder`).
    download_if_missing : bool, default=True
        Download into the cache when no local copy is found.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    DatasetNotFoundError
        When the file is nowhere and may not (or could not) be downloaded;
        the message says how to provide it.
    """
    cached = cache_folder(data_home) / name / filename
    for folder in [*local_folders(name), cached.parent]:
        if (folder / filename).is_file():
            return folder / filename
    remote = REMOTE_FILES.get(name, {}).get(filename)
    if download_if_missing and remote is not None:
        try:
            return _download(remote, cached)
        except OSError as error:
            raise DatasetNotFoundError(
                f"{_missing(name, filename, cached)} Downloading it from "
                f"{remote.url} failed: {error}"
            ) from error
    raise DatasetNotFoundError(_missing(name, filename, cached))


def _missing(name: str, filename: str, cached: Path) -> str:
    how = (
        f"call the data set's fetch function with download_if_missing=True to "
        f"download it into {cached.parent}, or "
        if name in REMOTE_FILES
        else ""
    )
    return (
        f"the {name} data set ({filename}) was not found: {how}put a copy in a "
        f"folder {name}/ under the folder named by the environment variable "
        f"{DATA_ENV}."
    )


def _download(remote: RemoteFile, path: Path) -> Path:
    """Fetch ``remote`` into ``path`` (all at once), checking its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with urllib.request.urlopen(remote.url, timeout=60) as response:
        with atomic_write(path) as file:
            shutil.copyfileobj(_Hashing(response, digest), file)
            if digest.hexdigest() != remote.sha256:
                raise OSError(
                    f"the download has sha256 {digest.hexdigest()}, expected "
                    f"{remote.sha256}; nothing was kept"
                )
    return path


class _Hashing:
    """A readable stream that feeds what is read to a hash."""

    def __init__(self, stream, digest) -> None:
        self._stream = stream
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._digest.update(chunk)
        return chunk
