"""Cross-validation folds of Dask data, as lazy masks of rows.

A fold is a pair of boolean Dask arrays chunked like ``X``'s rows: its
training rows and its validation rows.  Nothing is sliced or copied: a
fold's fit weighs the rows outside its training mask zero, and its score
weighs only its validation rows (see
:mod:`softmax_regression._search._dask_search`).

``cv=None`` or an int gives exactly the folds it gives in memory,
``StratifiedKFold(cv)`` (no shuffling): each class's rows, in order, are
dealt in contiguous blocks to the folds, sized as scikit-learn sizes
them.  The fold of each row is computed on its worker from the per-chunk
label counts of the validating pass, so neither ``y`` nor ``X`` reaches
the client.  An iterable of ``(train, test)`` index arrays is turned into
masks on the client; a splitter object (e.g. ``StratifiedKFold(5,
shuffle=True)``) is given the labels, gathered to the client
(``n_samples`` values), and ``X`` as the lazy Dask array, whose length is
all scikit-learn's splitters read of it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold, check_cv

from ._data import DaskData
from ._reduce import compute, persist


@dataclass
class Fold:
    """One fold: boolean Dask arrays of shape (n_samples,), chunked like X's
    rows, marking its training and its validation rows."""

    train: object
    test: object


def dask_folds(cv, data: DaskData) -> list[Fold]:
    """The folds ``cv`` describes on ``data``, as in memory.

    Parameters
    ----------
    cv : int, cross-validation generator, iterable or None
        As ``SoftmaxRegressionCV``'s ``cv``; see the module docstring.
    data : DaskData
        The persisted, validated data.

    Returns
    -------
    list of Fold
    """
    if cv is None or isinstance(cv, Integral):
        # what check_cv gives for labels (which are binary or multiclass)
        splitter = StratifiedKFold(5 if cv is None else cv)
        test_fold = _test_fold_ids(splitter, data)
        return [
            Fold(test_fold != index, test_fold == index)
            for index in range(splitter.n_splits)
        ]
    if hasattr(cv, "split") and not isinstance(cv, str):
        splits = cv.split(data.X, compute(data.y)[0])
    else:
        splits = check_cv(cv).split()
    return [_index_fold(train, test, data) for train, test in splits]


def _test_fold_ids(splitter: StratifiedKFold, data: DaskData):
    """Each row's validation fold under ``splitter`` (no shuffling),
    computed chunk by chunk and persisted."""
    n_samples, n_splits = data.X.shape[0], splitter.n_splits
    if n_splits > n_samples:
        raise ValueError(
            f"Cannot have number of splits n_splits={n_splits} greater than the "
            f"number of samples: n_samples={n_samples}."
        )
    labels = data.labels
    bounds = np.cumsum(_stratified_allocation(labels, n_splits), axis=0).T
    offsets = np.cumsum(labels.chunk_counts, axis=0) - labels.chunk_counts
    ids = data.y.map_blocks(
        _stratified_block,
        classes=labels.classes,
        offsets=offsets,
        bounds=bounds,
        dtype=np.int32,
    )
    (ids,) = persist(ids)
    return ids


def _stratified_allocation(labels, n_splits: int) -> NDArray[np.intp]:
    """``StratifiedKFold``'s number of validation rows of each class in each
    fold, ``(n_splits, n_classes)`` in sorted-label order, from the counts.

    scikit-learn numbers the classes by first appearance, sorts the labels
    so numbered and deals the sorted sequence round robin to the folds; the
    class at positions ``[s, s + c)`` of that sequence gives fold ``i`` the
    positions congruent to ``i`` modulo ``n_splits``.
    """
    counts = labels.chunk_counts.sum(axis=0)
    if np.all(n_splits > counts):
        raise ValueError(
            f"n_splits={n_splits} cannot be greater than the number of members "
            "in each class."
        )
    if n_splits > counts.min():
        warnings.warn(
            f"The least populated class in y has only {counts.min()} members, "
            f"which is less than n_splits={n_splits}.",
            UserWarning,
            stacklevel=4,
        )
    allocation = np.zeros((n_splits, counts.size), dtype=np.intp)
    start = 0
    for column in np.argsort(labels.first_rows, kind="stable"):
        stop = start + counts[column]
        for fold in range(n_splits):
            first = start + (fold - start) % n_splits
            allocation[fold, column] = len(range(first, stop, n_splits))
        start = stop
    return allocation


def _stratified_block(y, *, classes, offsets, bounds, block_id=None):
    """The folds of one chunk's rows: each class's rows, in order, take the
    next places of its blocks of folds (``bounds``: cumulative counts)."""
    target = np.searchsorted(classes, y)
    folds = np.empty(target.shape[0], dtype=np.int32)
    for column in np.unique(target):
        rows = np.flatnonzero(target == column)
        ranks = offsets[block_id[0], column] + np.arange(rows.size)
        folds[rows] = np.searchsorted(bounds[column], ranks, side="right")
    return folds


def _index_fold(train, test, data: DaskData) -> Fold:
    """A fold from index arrays (or boolean masks) of its rows."""
    import dask.array as da

    n_samples = data.X.shape[0]
    masks = []
    for name, rows in (("train", train), ("test", test)):
        mask = np.zeros(n_samples, dtype=bool)
        try:
            mask[np.asarray(rows)] = True
        except IndexError as error:
            raise ValueError(
                f"cv gave {name} rows that are not indices of the {n_samples} "
                f"rows of X ({error})."
            ) from error
        masks.append(da.from_array(mask, chunks=data.y.chunks))
    return Fold(*masks)
