"""Dask input: validating and persisting X, y and the sample weights, and
the weighted loss over them.

:func:`persist_dask_data` aligns ``y`` and ``sample_weight`` with ``X``'s
rows, persists the three on the workers and validates them in one pass over
the chunks (a NaN is reported with its chunk), which also finds the labels
and their counts and weights (:class:`LabelSummary`).  It reads no
estimator: the caller checks the feature names against ``DaskData.meta``.
:func:`weighted_loss` is the one place class weights are applied to Dask
data and the loss over it is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .._validation import (
    check_weighted_classes,
    class_weight_factors,
    encode_labels,
    smoothed_weight_total,
)
from ._chunk_loss import DaskMultinomialLoss, dask_loss
from ._collections import is_dask_collection
from ._reduce import compute, import_dask, per_chunk, persist


def _as_dask_array(data, name: str):
    """A Dask DataFrame, Series or Array as a Dask array with known chunk
    sizes (computing them if a DataFrame left them unknown)."""
    da = import_dask().array
    if hasattr(data, "to_dask_array"):  # dask DataFrame or Series
        return data.to_dask_array(lengths=True)
    if isinstance(data, da.Array):
        if any(np.isnan(size) for sizes in data.chunks for size in sizes):
            data = data.compute_chunk_sizes()
        return data
    raise TypeError(
        f"{name} is a Dask collection of type {type(data).__name__}, which "
        "SoftmaxRegression cannot fit; pass a dask.array.Array or a "
        "dask.dataframe DataFrame/Series."
    )


def _feature_matrix(X):
    """``X`` as a 2-D float Dask array, one chunk across the features."""
    if hasattr(X, "dtypes"):  # a DataFrame: pandas comes with dask.dataframe
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        non_numeric = [
            str(column)
            for column, dtype in X.dtypes.items()
            if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))
        ]
        if non_numeric:
            raise ValueError(
                f"X has non-numeric columns {non_numeric}; encode them (e.g. "
                "with dask-ml's Categorizer and DummyEncoder) before fitting."
            )
    X = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got a Dask array of shape "
            f"{X.shape}."
        )
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return X.astype(dtype).rechunk({1: -1})


def _row_aligned(data, X, name: str):
    """``data`` (labels or weights) as a 1-D Dask array chunked like X's
    rows: rechunked if it was chunked differently."""
    da = import_dask().array
    if is_dask_collection(data):
        data = _as_dask_array(data, name)
    else:
        data = np.asarray(data)
        if data.ndim >= 1 and data.shape[0] == X.shape[0]:
            data = da.from_array(data, chunks=(X.chunks[0], *data.shape[1:]))
    if data.ndim == 2 and data.shape[1] == 1:
        data = data[:, 0]
    if data.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D on Dask input (labels, not probability rows), "
            f"got shape {data.shape}. Fit probability rows in memory."
        )
    if data.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but {name} has {data.shape[0]}; they "
            "must describe the same samples."
        )
    return data.rechunk((X.chunks[0],))


def _chunk_summary(X, y, weight) -> dict:
    """What validation needs of one chunk: whether X is finite, the labels,
    the number, first row and total sample weight of each, and whether the
    weights are valid."""
    labels, first, index, counts = np.unique(
        y, return_index=True, return_inverse=True, return_counts=True
    )
    weight = np.asarray(weight, dtype=np.float64)
    return {
        "finite": bool(np.isfinite(X).all()),
        "labels": labels,
        "label_first": first,
        "label_count": counts,
        "label_weight": np.bincount(
            index.ravel(), weights=weight, minlength=labels.size
        ),
        "weight_ok": bool(np.isfinite(weight).all() and (weight >= 0).all()),
    }


@dataclass
class LabelSummary:
    """The labels of Dask data, found in the validating pass over its chunks.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The labels, sorted.
    weights : ndarray of shape (n_classes,)
        The total sample weight of each class.
    chunk_counts : ndarray of shape (n_chunks, n_classes)
        The number of rows of each class in each chunk of rows.
    first_rows : ndarray of shape (n_classes,)
        The row where each class first appears.
    """

    classes: NDArray
    weights: NDArray[np.float64]
    chunk_counts: NDArray[np.intp]
    first_rows: NDArray[np.intp]


def _validated_summary(X, y, weight, row_chunks) -> LabelSummary:
    """One pass over the chunks: the labels and their counts and weights;
    ValueErrors naming the chunks with bad values."""
    summaries = compute(per_chunk(_chunk_summary, X, y, weight))[0]
    starts = np.concatenate([[0], np.cumsum(row_chunks)])
    for key, what, fix in (
        ("finite", "X contains NaN or infinity", "impute or drop those rows"),
        ("weight_ok", "sample_weight has negative or non-finite values", "fix them"),
    ):
        bad = [index for index, summary in enumerate(summaries) if not summary[key]]
        if bad:
            where = ", ".join(
                f"{index} (rows {starts[index]}-{starts[index + 1] - 1})"
                for index in bad[:5]
            )
            raise ValueError(f"{what} in chunk(s) {where}; {fix} before fitting.")
    labels = np.concatenate([summary["labels"] for summary in summaries])
    classes, index = encode_labels(labels)
    totals = np.bincount(
        index,
        weights=np.concatenate([summary["label_weight"] for summary in summaries]),
        minlength=classes.size,
    )
    chunk_counts = np.zeros((len(summaries), classes.size), dtype=np.intp)
    first_rows = np.full(classes.size, starts[-1], dtype=np.intp)
    for chunk, summary in enumerate(summaries):
        columns = np.searchsorted(classes, summary["labels"])
        chunk_counts[chunk, columns] = summary["label_count"]
        first_rows[columns] = np.minimum(
            first_rows[columns], starts[chunk] + summary["label_first"]
        )
    return LabelSummary(classes, totals, chunk_counts, first_rows)


@dataclass
class DaskData:
    """Dask data validated and persisted on the workers.

    Attributes
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 or float64, one chunk across the features.
    y : dask.array.Array of shape (n_samples,)
        The labels, chunked like X's rows.
    weight : dask.array.Array of shape (n_samples,)
        The sample weights (ones when none were given), chunked likewise.
    labels : LabelSummary
        The classes and their counts and weights.
    meta : pandas.DataFrame or None
        The empty pandas twin of a Dask DataFrame ``X``, which carries its
        column names (for ``feature_names_in_``); None for a Dask array.
    """

    X: object
    y: object
    weight: object
    labels: LabelSummary
    meta: object = None


def persist_dask_data(X, y, sample_weight=None) -> DaskData:
    """Align ``y`` and ``sample_weight`` with ``X``'s rows, persist the
    three on the workers and validate them in one pass over the chunks.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
        The features, numeric and 2-D.
    y : dask or in-memory array-like of shape (n_samples,)
        The labels.
    sample_weight : dask or in-memory array-like of shape (n_samples,), \
default=None
        Non-negative, finite weights; ones when None.

    Returns
    -------
    DaskData
        The number of features is ``data.X.shape[1]``; the column names, if
        any, are ``data.meta``'s.
    """
    dask = import_dask()
    meta = getattr(X, "_meta", None) if hasattr(X, "columns") else None
    X = _feature_matrix(X)
    y = _row_aligned(y, X, "y")
    weight = (
        dask.array.ones(X.shape[0], chunks=(X.chunks[0],))
        if sample_weight is None
        else _row_aligned(sample_weight, X, "sample_weight")
    )
    X, y, weight = persist(X, y, weight)
    labels = _validated_summary(X, y, weight, X.chunks[0])
    return DaskData(X, y, weight, labels, meta)


def weighted_loss(
    data: DaskData,
    weight,
    totals: NDArray,
    *,
    classes: NDArray,
    class_weight,
    fit_intercept: bool,
    label_smoothing: float = 0.0,
) -> tuple[DaskMultinomialLoss, NDArray[np.float64]]:
    """The loss over ``data``'s chunks, weighted by ``weight`` and the class
    weights; ValueError unless two classes keep positive weight.

    Parameters
    ----------
    data : DaskData
        The persisted features and labels.
    weight : dask.array.Array of shape (n_samples,)
        The sample weights: ``data.weight``, or a lazy expression of it
        (a fold's training rows).
    totals : ndarray of shape (n_classes,)
        The total of ``weight`` over each class of ``classes``.
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    class_weight : dict, "balanced" or None
        As in :class:`SoftmaxRegression` (``"balanced"`` from ``totals``).
    fit_intercept : bool
        Whether the parameter vector ends with intercepts.
    label_smoothing : float, default=0.0
        As in :class:`SoftmaxRegression`.

    Returns
    -------
    loss : DaskMultinomialLoss
    weighted_totals : ndarray of shape (n_classes,)
        ``totals`` with the class weights applied.
    """
    factors = (
        None
        if class_weight is None
        else class_weight_factors(class_weight, classes, totals)
    )
    weighted = totals if factors is None else totals * factors
    check_weighted_classes(weighted, np.arange(classes.size), classes)
    loss = dask_loss(
        data.X,
        data.y,
        weight,
        classes=classes,
        class_factors=factors,
        weight_total=smoothed_weight_total(totals, factors, label_smoothing),
        fit_intercept=fit_intercept,
        label_smoothing=label_smoothing,
    )
    return loss, weighted
