"""The command line's out-of-core fit: CSV/Parquet files read in chunks.

``softmax-regression fit DATA --chunksize N`` never holds more than a few
chunks of N rows in memory.  With ``--solver sgd`` each of ``--max-iter``
passes streams the file through :meth:`SoftmaxRegression.partial_fit`
(after one pass over the label column to find the classes); with any other
solver the file is read by ``dask.dataframe`` in partitions of about N rows
and fitted on Dask's local scheduler (see :mod:`softmax_regression._dask`).
The training scores are accumulated chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.pipeline import Pipeline

from ._data_io import (
    DataError,
    check_header,
    check_numeric,
    csv_errors,
    data_format,
    require_pandas,
    require_parquet,
    split_frame,
)

if TYPE_CHECKING:
    from .._estimator import SoftmaxRegression

# Lines read to estimate a CSV file's bytes per row (Dask splits by bytes).
_SAMPLE_LINES = 1000


def frame_chunks(path: Path, fmt: str, chunksize: int) -> Iterator:
    """The file's rows as pandas DataFrames of at most ``chunksize`` rows."""
    if fmt == "csv":
        pd = require_pandas("reading CSV files")
        with csv_errors(path):
            for frame in pd.read_csv(path, chunksize=chunksize):
                check_header(path, frame.columns)
                yield frame
        return
    require_parquet("reading Parquet files")
    import pyarrow.parquet

    for batch in pyarrow.parquet.ParquetFile(path).iter_batches(chunksize):
        yield batch.to_pandas()


def labelled_chunks(path: Path, fmt: str, target: str, chunksize: int) -> Iterator:
    """``(X, y)`` of each chunk, ``y`` the ``target`` column, its features
    checked to be numbers (the messages count data rows over the file)."""
    first_row = 1
    for frame in frame_chunks(path, fmt, chunksize):
        data = split_frame(path, frame, target)
        check_numeric(data, first_row=first_row)
        first_row += len(frame)
        yield data.X, data.y


def check_streamable(path: Path, fmt: str | None, target: str | None) -> str:
    """The file's format, after checking it can be read in chunks.

    Parameters
    ----------
    path : Path
        The DATA file.
    fmt : str or None
        Its declared format (``--format``); None infers it from the name.
    target : str or None
        The label column (``--target``), which a chunked fit needs.

    Returns
    -------
    str
        ``"csv"`` or ``"parquet"``.

    Raises
    ------
    DataError
        When the file is of another format, is missing, or ``target`` is None.
    """
    fmt = data_format(path, fmt)
    if fmt not in ("csv", "parquet"):
        raise DataError(
            f"--chunksize reads CSV or Parquet files; {path} is {fmt}: convert "
            "it, or drop --chunksize to read it into memory"
        )
    if not path.is_file():
        raise DataError(f"DATA file {path} does not exist")
    if target is None:
        raise DataError(f"--chunksize needs --target COLUMN, the labels of {path}")
    return fmt


def _fit_scaler(scaler, path: Path, fmt: str, target: str, chunksize: int) -> list:
    """One pass over the file: the scaler fitted (when there is one), and
    each chunk's distinct labels."""
    labels = []
    for X, y in labelled_chunks(path, fmt, target, chunksize):
        labels.append(np.unique(y))
        if scaler is not None:
            scaler.partial_fit(X)
    return labels


def _stream_sgd(
    model, scaler, path: Path, fmt: str, target: str, chunksize: int
) -> None:
    """``max_iter`` passes of ``partial_fit`` over the file's chunks,
    standardised by ``scaler`` (fitted in a first pass) unless it is None."""
    labels = _fit_scaler(scaler, path, fmt, target, chunksize)
    classes = np.unique(np.concatenate(labels))
    for _ in range(model.max_iter):
        for X, y in labelled_chunks(path, fmt, target, chunksize):
            if scaler is not None:
                X = scaler.transform(X)
            model.partial_fit(X, y, classes=classes)


def _csv_blocksize(path: Path, chunksize: int) -> int:
    """Bytes of about ``chunksize`` rows, from the file's first lines."""
    with open(path, "rb") as file:
        file.readline()  # the header
        lines = [line for _, line in zip(range(_SAMPLE_LINES), file, strict=False)]
    row_bytes = sum(map(len, lines)) / max(len(lines), 1)
    return max(int(row_bytes * chunksize), 1)


def _fit_on_dask(
    model, scaler, path: Path, fmt: str, target: str, chunksize: int
) -> None:
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise DataError(
            f"--chunksize with --solver {model.solver} needs Dask (pip install "
            "'softmax-regression[dask]'); or use --solver sgd, which streams "
            "the file through partial_fit"
        ) from None
    if fmt == "csv":
        frame = dd.read_csv(path, blocksize=_csv_blocksize(path, chunksize))
    else:
        frame = dd.read_parquet(path)
    if target not in frame.columns:
        raise DataError(
            f"{path} has no column {target!r} (--target); its columns are "
            f"{list(frame.columns)}"
        )
    features, labels = frame.drop(columns=[target]), frame[target]
    if len(features.columns) == 0:
        raise DataError(f"{path} has no feature columns besides the target {target!r}")
    numeric = all(kind.kind in "biuf" for kind in features.dtypes)
    if scaler is not None or not numeric:
        # a pass over the file in pandas chunks: fits the scaler, and names
        # the first value that is not a number (with its data row)
        _fit_scaler(scaler, path, fmt, target, chunksize)
    with dask.config.set(scheduler="threads"):
        if scaler is not None:
            # as the pipeline's scaler will at prediction: an array, no names
            features = features.to_dask_array(lengths=True).astype(np.float64)
            features = (features - scaler.mean_) / scaler.scale_
        try:
            model.fit(features, labels)
        except ValueError:
            # Dask guesses the dtypes from the first rows; a value further on
            # that is not a number fails inside Dask: name it, with its row.
            _fit_scaler(None, path, fmt, target, chunksize)
            raise


def fit_chunked(
    model: SoftmaxRegression | Pipeline,
    path: Path,
    fmt: str,
    target: str,
    chunksize: int,
) -> dict:
    """Fit ``model`` to the file in chunks; return the training summary.

    Every solve, and every ``partial_fit`` pass (as an ``"sgd"`` solve), is
    reported to the observer of
    :func:`~softmax_regression._fit_hooks.observe_solves`.

    Parameters
    ----------
    model : SoftmaxRegression or Pipeline
        The unfitted estimator, or a Pipeline of a StandardScaler and the
        estimator (``--standardize``: the scaler is fitted in a first pass
        over the file); ``solver="sgd"`` streams the file through
        ``partial_fit``, any other solver fits it with Dask.
    path : Path
        The CSV or Parquet file.
    fmt : {"csv", "parquet"}
        Its format, as :func:`check_streamable` returns it.
    target : str
        The label column.
    chunksize : int
        Rows per chunk (about, per Dask partition).

    Returns
    -------
    dict
        ``n_samples``, ``n_features``, ``accuracy`` and ``log_loss`` on the
        whole file, accumulated over the chunks.
    """
    scaler, estimator = None, model
    if isinstance(model, Pipeline):
        scaler, estimator = model[0], model[-1]
    if estimator.solver == "sgd":
        _stream_sgd(estimator, scaler, path, fmt, target, chunksize)
    else:
        _fit_on_dask(estimator, scaler, path, fmt, target, chunksize)
    return _training_scores(model, path, fmt, target, chunksize)


def _training_scores(model, path, fmt, target, chunksize) -> dict:
    from sklearn.metrics import log_loss

    n_samples = correct = 0
    loss_sum = 0.0
    for X, y in labelled_chunks(path, fmt, target, chunksize):
        proba = model.predict_proba(X)
        correct += int(np.sum(model.classes_[np.argmax(proba, axis=1)] == y))
        loss_sum += log_loss(y, proba, labels=model.classes_, normalize=False)
        n_samples += len(y)
    return {
        "n_samples": n_samples,
        "n_features": model.n_features_in_,
        "accuracy": correct / n_samples,
        "log_loss": loss_sum / n_samples,
    }
