"""The command line's files: data in (CSV, Parquet, npz, svmlight), tables out.

Every problem with a user's file raises :class:`DataError` (a
``ValueError``) whose message names the file, the column or array, and the
fix; the command line prints it as one line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import sys
from collections.abc import Iterator
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


@contextlib.contextmanager
def csv_errors(path: Path) -> Iterator[None]:
    """Turn pandas' and the codec's errors on a CSV file into a
    :class:`DataError` naming the file.

    Parameters
    ----------
    path : Path
        The CSV file read inside the block.
    """
    pd = require_pandas("reading CSV files")
    try:
        yield
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty: no header, no rows") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
            f"offset {exc.start}); save it as UTF-8 CSV"
        ) from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path} is not a well-formed CSV file: {exc}") from None


def check_header(path: Path, columns) -> None:
    """Refuse a CSV file whose header repeats a column name.

    pandas reads a repeated name ``label`` as ``label.1``; when the columns
    read show such a pair, the header line itself is read again to tell a
    repeated name from a column really called ``label.1``.

    Parameters
    ----------
    path : Path
        The CSV file.
    columns : sequence of str
        The column names pandas read.

    Raises
    ------
    DataError
        Naming the repeated column and its positions.
    """
    names = set(map(str, columns))
    renamed = (re.fullmatch(r"(.+)\.\d+", name) for name in names)
    if not any(match and match.group(1) in names for match in renamed):
        return
    pd = require_pandas("reading CSV files")
    with csv_errors(path):
        header = pd.read_csv(
            path, header=None, nrows=1, dtype=str, keep_default_na=False
        ).iloc[0]
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(header.tolist(), start=1):
        seen.setdefault(name, []).append(position)
    for name, positions in seen.items():
        if name and len(positions) > 1:
            raise DataError(
                f"column name {name!r} is duplicated in the header of {path} "
                f"(columns {', '.join(map(str, positions))}); rename or drop "
                "the copies"
            )


def _read_frame(path: Path, fmt: str):
    if fmt == "csv":
        pd = require_pandas("reading CSV files")
        with csv_errors(path):
            frame = pd.read_csv(path)
        check_header(path, frame.columns)
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
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise DataError(
            f"column name {duplicated[0]!r} is duplicated in {path}; rename or "
            "drop the copies"
        )
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
    if frame.shape[1] == 1:
        raise DataError(
            f"{path} has no feature columns besides the target {target!r}"
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


def _not_numeric(name, column, path: Path, first_row: int) -> DataError:
    """The error for a non-numeric column: its first value that is not a
    number, that value's data row, and how many more there are."""
    import pandas as pd

    parsed = pd.to_numeric(column, errors="coerce")
    bad = (parsed.isna() & column.notna()).to_numpy()
    where = f"feature column {name!r} of {path} is not numeric"
    if not bad.any():
        return DataError(f"{where} (dtype {column.dtype}); encode it as numbers")
    position = int(np.argmax(bad))
    more = int(bad.sum()) - 1
    others = f", and {more} more non-numeric value{'s' * (more > 1)}" if more else ""
    return DataError(
        f"{where}: {column.iloc[position]!r} in data row {first_row + position}"
        f"{others}; fix the value, or encode the column as numbers or drop it"
    )


def check_numeric(data: Dataset, first_row: int = 1) -> None:
    """Refuse non-numeric feature columns, and missing or infinite values,
    naming the first column, the offending value and its data row.

    Parameters
    ----------
    data : Dataset
        The features to check (only a DataFrame's columns are checked).
    first_row : int, default=1
        The data row number of the first row (of a chunk), counted from 1
        after the header, as the messages give it.

    Raises
    ------
    DataError
        For the first column with a non-numeric, missing or infinite value.
    """
    if not hasattr(data.X, "columns"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    for name in data.X.columns:
        column = data.X[name]
        if not (is_numeric_dtype(column) or is_bool_dtype(column)):
            raise _not_numeric(name, column, data.path, first_row)
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            what = "a missing value" if np.isnan(values[row]) else "an infinite value"
            raise DataError(
                f"feature column {name!r} of {data.path} has {what} in data row "
                f"{first_row + row}; fill or drop such rows first"
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


def _csv_rows(text, columns: dict[str, np.ndarray]) -> None:
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(
        zip(*(column.tolist() for column in columns.values()), strict=True)
    )


def _write_csv(file, columns: dict[str, np.ndarray]) -> None:
    text = io.TextIOWrapper(file, encoding="utf-8", newline="")
    _csv_rows(text, columns)
    text.flush()
    text.detach()


def _no_objects(column: np.ndarray) -> np.ndarray:
    return column.astype(str) if column.dtype == object else column


def output_format(path: Path | None) -> str:
    """The format of ``predict``'s output: ``"stdout"`` (CSV) for None,
    else ``"csv"``, ``"npz"`` or ``"parquet"`` by the file's suffix.

    Parameters
    ----------
    path : Path or None
        The output file; None for standard output.

    Returns
    -------
    str
        The format.

    Raises
    ------
    DataError
        When the suffix is none of them.
    """
    if path is None:
        return "stdout"
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"cannot tell the output format of {path}: name it "
            f"*{', *'.join(TABLE_FORMATS)}, or pass -o - for CSV on standard output"
        )
    return fmt


def write_table(
    path: Path | None,
    labels: np.ndarray,
    proba: np.ndarray | None = None,
    classes: np.ndarray | None = None,
    *,
    precision: int = 6,
    overwrite: bool = False,
) -> None:
    """Write predicted labels, and probabilities, one row per sample.

    CSV (a file, or standard output when ``path`` is None) and Parquet get a
    ``prediction`` column and, with probabilities, one ``proba_<class>``
    column per class; CSV writes the probabilities with ``precision``
    significant digits.  An npz file gets the array ``prediction`` and, with
    probabilities, the 2-D array ``proba`` of shape ``(n_samples,
    n_classes)`` and ``classes``, its columns' labels.  Files are written
    atomically.

    Parameters
    ----------
    path : Path or None
        ``.csv``, ``.npz`` or ``.parquet`` file; None for standard output.
    labels : ndarray of shape (n_samples,)
        The predicted labels.
    proba : ndarray of shape (n_samples, n_classes), default=None
        The probabilities; None writes labels only.
    classes : ndarray of shape (n_classes,), default=None
        The labels of ``proba``'s columns.
    precision : int, default=6
        Significant digits of the probabilities in CSV.
    overwrite : bool, default=False
        Whether an existing file may be replaced.
    """
    fmt = output_format(path)
    if fmt == "npz":
        arrays = {"prediction": labels}
        if proba is not None:
            arrays.update(proba=proba, classes=classes)
        with atomic_write(path, overwrite=overwrite) as file:
            # labels as a str array, never a pickled object array
            np.savez(file, **{k: _no_objects(v) for k, v in arrays.items()})
        return
    columns = {"prediction": labels}
    if proba is not None:
        for k, label in enumerate(classes.tolist()):
            column = proba[:, k]
            if fmt != "parquet":
                column = np.char.mod(f"%.{precision}g", column)
            columns[f"proba_{label}"] = column
    if fmt == "stdout":
        _csv_rows(sys.stdout, columns)
        sys.stdout.flush()
    elif fmt == "parquet":
        frame = require_parquet("writing Parquet files").DataFrame(columns)
        with atomic_write(path, overwrite=overwrite) as file:
            frame.to_parquet(file, index=False)
    else:
        with atomic_write(path, overwrite=overwrite) as file:
            _write_csv(file, columns)
