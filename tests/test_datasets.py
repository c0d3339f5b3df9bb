"""softmax_regression.datasets: the shipped pendigits, where the larger sets
are looked for, the checked download, and the tests' skip-or-fail rule."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from _datasets import REQUIRE_DATA, required

from softmax_regression import datasets
from softmax_regression.datasets import DATA_ENV, DatasetNotFoundError
from softmax_regression.datasets import _locate as locate


@pytest.mark.parametrize(("split", "n_samples"), [("train", 7494), ("test", 3498)])
def test_pendigits_ships_with_the_package(split, n_samples):
    X, y = datasets.load_pendigits(split)
    assert X.shape == (n_samples, 16) and X.dtype == np.float64
    assert X.flags.c_contiguous and X.min() == 0 and X.max() == 100
    assert np.array_equal(np.unique(y), np.arange(10))
    assert datasets.pendigits_folder().is_relative_to(
        datasets.pendigits_folder().parents[2]
    )
    assert (datasets.pendigits_folder() / "SOURCE.rst").is_file()


def test_a_bad_split_is_named():
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'dev'"):
        datasets.load_pendigits("dev")


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No configured folder and an empty cache (under ``tmp_path``)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DATA_ENV, raising=False)
    return tmp_path


def _write_gzip(path, payload: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(payload)


def _tiny_fashion(folder, n=3):
    """A test split of ``n`` blank images labelled 0, 1, ..., in IDX."""
    labels, images = bytes(range(n)), bytes(n * 784)
    header = {
        "labels": b"\0\0\x08\x01" + b"0" * 4,
        "images": b"\0\0\x08\x03" + b"0" * 12,
    }
    _write_gzip(folder / "t10k-labels-idx1-ubyte.gz", header["labels"] + labels)
    _write_gzip(folder / "t10k-images-idx3-ubyte.gz", header["images"] + images)


def test_a_missing_set_says_how_to_provide_it(nowhere):
    with pytest.raises(DatasetNotFoundError) as missing:
        datasets.fetch_fashion_mnist(
            "test", data_home=nowhere / "cache", download_if_missing=False
        )
    message = str(missing.value)
    assert "fashion-mnist" in message and DATA_ENV in message
    assert "download_if_missing=True" in message and str(nowhere / "cache") in message


def test_the_configured_folder_comes_first(tmp_path, monkeypatch):
    configured = tmp_path / "mine"
    _tiny_fashion(configured / "fashion-mnist", n=3)
    _tiny_fashion(tmp_path / "cache" / "softmax_regression" / "fashion-mnist", n=2)
    monkeypatch.setenv(DATA_ENV, str(configured))
    X, y = datasets.fetch_fashion_mnist("test", data_home=tmp_path / "cache")
    assert X.shape == (3, 784) and X.dtype == np.float32
    assert np.array_equal(y, [0, 1, 2])


def test_only_the_configured_folder_and_the_cache_are_searched(nowhere):
    assert locate.local_folders("fashion-mnist") == []
    # A copy beside the working directory is not read: only what the
    # variable names (or the cache) counts.
    _tiny_fashion(nowhere / "data" / "fashion-mnist", n=4)
    with pytest.raises(DatasetNotFoundError):
        datasets.fetch_fashion_mnist(
            "test", data_home=nowhere / "cache", download_if_missing=False
        )


def test_the_cache_is_used_and_n_samples_reads_a_prefix(nowhere):
    _tiny_fashion(nowhere / "cache" / "softmax_regression" / "fashion-mnist", n=5)
    X, y = datasets.fetch_fashion_mnist(
        "test", n_samples=2, data_home=nowhere / "cache", download_if_missing=False
    )
    assert X.shape == (2, 784) and np.array_equal(y, [0, 1])


def _served(tmp_path, payload: bytes, sha256: str):
    source = tmp_path / "server" / "sector.t.scale.bz2"
    source.parent.mkdir()
    source.write_bytes(payload)
    return locate.RemoteFile(source.as_uri(), sha256)


def test_a_download_is_checked_and_cached(nowhere, monkeypatch):
    payload = b"some bytes"
    remote = _served(nowhere, payload, hashlib.sha256(payload).hexdigest())
    monkeypatch.setitem(locate.REMOTE_FILES, "sector", {"sector.t.scale.bz2": remote})
    path = locate.dataset_file("sector", "sector.t.scale.bz2", data_home=nowhere / "c")
    assert path == nowhere / "c" / "softmax_regression" / "sector" / path.name
    assert path.read_bytes() == payload
    remote_gone = locate.RemoteFile((nowhere / "gone").as_uri(), remote.sha256)
    monkeypatch.setitem(
        locate.REMOTE_FILES, "sector", {"sector.t.scale.bz2": remote_gone}
    )
    assert locate.dataset_file("sector", path.name, data_home=nowhere / "c") == path


def test_a_download_with_the_wrong_checksum_is_not_kept(nowhere, monkeypatch):
    remote = _served(nowhere, b"tampered", "0" * 64)
    monkeypatch.setitem(locate.REMOTE_FILES, "sector", {"sector.t.scale.bz2": remote})
    with pytest.raises(DatasetNotFoundError, match="expected 0000"):
        locate.dataset_file("sector", "sector.t.scale.bz2", data_home=nowhere / "c")
    folder = nowhere / "c" / "softmax_regression" / "sector"
    assert not folder.exists() or not any(folder.iterdir())


def test_a_failed_download_names_the_url(nowhere, monkeypatch):
    remote = locate.RemoteFile((nowhere / "nothing-here").as_uri(), "0" * 64)
    monkeypatch.setitem(locate.REMOTE_FILES, "sector", {"sector.t.scale.bz2": remote})
    with pytest.raises(DatasetNotFoundError, match="Downloading it from file://"):
        datasets.fetch_sector("test", data_home=nowhere / "c")


def _absent(*args, download_if_missing):
    assert download_if_missing is False  # tests never reach the network
    raise DatasetNotFoundError("the x data set was not found")


def test_a_test_without_its_data_is_skipped(monkeypatch):
    monkeypatch.delenv(REQUIRE_DATA, raising=False)
    with pytest.raises(pytest.skip.Exception, match="x data set was not found"):
        required(_absent)


def test_in_ci_a_test_without_its_data_fails(monkeypatch):
    monkeypatch.setenv(REQUIRE_DATA, "1")
    with pytest.raises(pytest.fail.Exception, match="CI needs every data set"):
        required(_absent)


def test_ci_requires_the_data():
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert f"export {REQUIRE_DATA}=1" in ci


def test_fashion_mnist_in_another_dtype(nowhere):
    _tiny_fashion(nowhere / "cache" / "softmax_regression" / "fashion-mnist", n=2)
    X, _ = datasets.fetch_fashion_mnist(
        "test", dtype=np.float64, data_home=nowhere / "cache",
        download_if_missing=False,
    )  # fmt: skip
    assert X.dtype == np.float64 and X.shape == (2, 784)
