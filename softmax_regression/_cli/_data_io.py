"""The command line's files: data in (CSV, Parquet, npz, svmlight), tables out.

Every problem with a user's file raises :class:`DataError` (a
``ValueError``) whose message names the file, the column or array, and the
fix; the command line prints it as one line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from .._atomic import atomic_write
from .._validation import unknown_labels

#: DATA formats, by the file name's last suffix (before .gz / .bz2 for svmlight).
DATA_FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npz": "npz",
    ".svm": "svmlight",
    ".svmlight": "svmlight",
    ".libsvm": "svmlight",
}
#: Output formats of ``predict``, by suffix.
TABLE_FORMATS = {".csv": "csv", ".npz": "npz", ".parquet": "parquet"}
_COMPRESSION = (".gz", ".bz2")
_NPZ_LABELS = "y"
_SHOWN = 5


class DataError(ValueError):
    """A data file the command line cannot use, and why."""


class Dataset(NamedTuple):
    """Features and (when the file has them) labels of a DATA file.

    ``X`` is a pandas DataFrame for CSV and Parquet (so the model records
    the column names), a 2-D array for npz and a CSR matrix for svmlight;
    ``y`` is None when the file has no labels.
    """

    X: object
    y: np.ndarray | None
    path: Path


def _shown(items) -> str:
    items = list(items)
    text = ", ".join(repr(item) for item in items[:_SHOWN])
    return text + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def data_format(path: Path, declared: str | None = None) -> str:
    """The format of a DATA file: ``declared``, else from its name."""
    if declared is not None:
        return declared
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in DATA_FORMATS:
        return DATA_FORMATS[suffixes[-1]]
    raise DataError(
        f"cannot tell the format of {path} from its name; name it "
        f"*{', *'.join(DATA_FORMATS)} or pass --format "
        f"{{{','.join(sorted(set(DATA_FORMATS.values())))}}}"
    )


def require_pandas(what: str) -> ModuleType:
    """Import pandas, or say that ``what`` needs it.

    Parameters
    ----------
    what : str
        What needs pandas, e.g. ``"reading CSV files"``.

    Returns
    -------
    module
        The ``pandas`` module.

    Raises
    ------
    DataError
        When pandas is not installed, naming the extra that brings it.
    """
    try:
        import pandas as pd
    except ImportError:
        raise DataError(
            f"{what} needs pandas: pip install 'softmax-regression[cli]'"
        ) from None
    return pd


def require_parquet(what: str) -> ModuleType:
    """:func:`require_pandas`, also requiring pyarrow, pandas' Parquet
    engine (a DataError names whichever is missing)."""
    pd = require_pandas(what)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(f"{what} needs pyarrow: pip install pyarrow") from None
    return pd


def _read_frame(path: Path, fmt: str):
    if fmt == "csv":
        pd = require_pandas("reading CSV files")
        try:
            frame = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise DataError(f"{path} is empty: no header, no rows") from None
    else:
        frame = require_parquet("reading Parquet files").read_parquet(path)
    if frame.shape[0] == 0:
        raise DataError(f"{path} has no rows of data, only the column names")
    return frame


def split_frame(path: Path, frame: Any, target: str | None) -> Dataset:
    """Split a DataFrame read from ``path`` into features and labels.

    Parameters
    ----------
    path : Path
        The file the frame came from, named in the messages.
    frame : pandas.DataFrame
        The file's rows (all of them, or one chunk).
    target : str or None
        The label column; None when the frame has no labels.

    Returns
    -------
    Dataset
        The other columns as ``X`` and the ``target`` column as ``y``.

    Raises
    ------
    DataError
        When ``target`` is not a column, or a label is missing.
    """
    if target is None:
        return Dataset(frame, None, path)
    if target not in frame.columns:
        raise DataError(
            f"{path} has no column {target!r} (--target); its columns are "
            f"{_shown(frame.columns)}"
        )
    labels = frame[target]
    if labels.isna().any():
        row = int(np.argmax(labels.isna().to_numpy()))
        raise DataError(
            f"label column {target!r} of {path} has a missing value in data row "
            f"{row + 1}; drop unlabelled rows first"
        )
    return Dataset(frame.drop(columns=[target]), labels.to_numpy(), path)


def _read_npz(path: Path, target: str | None) -> Dataset:
    with np.load(path, allow_pickle=False) as npz:
        arrays = dict(npz.items())
    if "X" not in arrays:
        raise DataError(f"{path} has no array 'X'; its arrays are {_shown(arrays)}")
    labels = target or _NPZ_LABELS
    if target is not None and target not in arrays:
        raise DataError(
            f"{path} has no array {target!r} (--target); its arrays are "
            f"{_shown(arrays)}"
        )
    X = arrays["X"]
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(
            f"X in {path} must be a 2-D numeric array, got shape {X.shape} "
            f"dtype {X.dtype}"
        )
    return Dataset(X, arrays.get(labels), path)


def _read_svmlight(path: Path, target: str | None, n_features: int | None):
    if target is not None:
        raise DataError(
            f"{path} is an svmlight file: its labels are its first field; drop --target"
        )
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(str(path), n_features=n_features)
    # The format stores every label as a number: give whole numbers back as
    # integers, so classes print and predict as 3, not 3.0.
    if np.all(np.isfinite(y)) and np.array_equal(y, np.round(y)):
        y = y.astype(np.int64)
    return Dataset(X, y, path)


def read_data(
    path,
    *,
    target: str | None = None,
    fmt: str | None = None,
    n_features: int | None = None,
) -> Dataset:
    """Read a DATA file into features and labels.

    Parameters
    ----------
    path : str or path-like
        CSV, Parquet (needs pyarrow), npz (arrays ``X`` and optional ``y``)
        or svmlight/libsvm text (optionally .gz or .bz2).
    target : str, default=None
        The label column (CSV, Parquet) or array (npz, default ``"y"``);
        svmlight files carry their labels.
    fmt : {"csv", "parquet", "npz", "svmlight"}, default=None
        The format; None infers it from the file name.
    n_features : int, default=None
        Number of features of an svmlight file (the model's), which may use
        fewer.

    Returns
    -------
    Dataset
        ``(X, y, path)``; ``y`` is None when the file has no labels.
    """
    path = Path(path)
    fmt = data_format(path, fmt)
    if not path.is_file():
        raise DataError(f"DATA file {path} does not exist")
    if fmt in ("csv", "parquet"):
        return split_frame(path, _read_frame(path, fmt), target)
    if fmt == "npz":
        return _read_npz(path, target)
    return _read_svmlight(path, target, n_features)


def check_numeric(data: Dataset) -> None:
    """Refuse non-numeric feature columns, and missing or infinite values,
    naming the first column and row."""
    if not hasattr(data.X, "columns"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    for name in data.X.columns:
        column = data.X[name]
        if not (is_numeric_dtype(column) or is_bool_dtype(column)):
            example = column.dropna().iloc[0] if column.notna().any() else None
            raise DataError(
                f"feature column {name!r} of {data.path} is not numeric (e.g. "
                f"{example!r}); encode it as numbers or drop it"
            )
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            what = "a missing value" if np.isnan(values[row]) else "an infinite value"
            raise DataError(
                f"feature column {name!r} of {data.path} has {what} in data row "
                f"{row + 1}; fill or drop such rows first"
            )


def model_features(data: Dataset, model) -> object:
    """The columns of ``data`` the model was fitted on, in its order.

    A model fitted on named columns takes them by name (other columns, such
    as labels or ids, are ignored); otherwise the feature count must match.
    """
    X = data.X
    names = getattr(model, "feature_names_in_", None)
    if names is not None and hasattr(X, "columns"):
        missing = [name for name in names if name not in X.columns]
        if missing:
            raise DataError(
                f"{data.path} lacks feature columns the model was fitted on: "
                f"{_shown(missing)}"
            )
        X = X[list(names)]
    if X.shape[1] != model.n_features_in_:
        raise DataError(
            f"{data.path} has {X.shape[1]} feature columns, the model expects "
            f"{model.n_features_in_}"
        )
    check_numeric(Dataset(X, data.y, data.path))
    if names is None and hasattr(X, "to_numpy"):
        X = X.to_numpy()  # by position, as the model was fitted
    return X


def check_known_labels(y: np.ndarray, classes: np.ndarray, path: Path) -> None:
    """Refuse labels the model has never seen, naming a few."""
    unknown = unknown_labels(y, classes)
    if unknown:
        raise DataError(
            f"{path} has labels the model does not know: {_shown(unknown)}; "
            f"the model's classes are {_shown(classes.tolist())}"
        )


def _write_csv(file, columns: dict[str, np.ndarray]) -> None:
    text = io.TextIOWrapper(file, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows(
        zip(*(column.tolist() for column in columns.values()), strict=True)
    )
    text.flush()
    text.detach()


def _no_objects(column: np.ndarray) -> np.ndarray:
    return column.astype(str) if column.dtype == object else column


def write_table(path, columns: dict[str, np.ndarray], *, overwrite: bool) -> None:
    """Write named columns to CSV, npz or Parquet (by suffix), atomically.

    Parameters
    ----------
    path : str or path-like
        Output file, ``.csv``, ``.npz`` or ``.parquet``.
    columns : dict of str to ndarray
        Equal-length columns, written in order with their names as header.
    overwrite : bool
        Whether an existing file may be replaced.
    """
    path = Path(path)
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"cannot tell the output format of {path}: name it "
            f"*{', *'.join(TABLE_FORMATS)}"
        )
    if fmt == "parquet":
        frame = require_parquet("writing Parquet files").DataFrame(columns)
        with atomic_write(path, overwrite=overwrite) as file:
            frame.to_parquet(file, index=False)
        return
    with atomic_write(path, overwrite=overwrite) as file:
        if fmt == "csv":
            _write_csv(file, columns)
        else:
            # labels as a str array, never a pickled object array
            np.savez(file, **{k: _no_objects(v) for k, v in columns.items()})
