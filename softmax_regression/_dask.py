"""Fitting and predicting on Dask collections, with the in-memory kernels.

A Dask fit keeps the layering of the in-memory one: the solvers see an
:class:`~softmax_regression._objective.Objective` whose loss is a
:class:`DaskMultinomialLoss`.  That loss owns no mathematics: each chunk of
rows lives on a worker as an in-memory
:class:`~softmax_regression._loss.MultinomialLoss` (built there once, from
the persisted chunk), and every value, gradient, Hessian diagonal or
Hessian-vector product is the sum over the chunks of their own, each scaled
by the chunk's share of the total sample weight::

    sum_i s_i CE_i / S = sum_c (S_c / S) * (sum_{i in c} s_i CE_i / S_c)

The parameter vector is broadcast once per evaluation (scattered to every
worker with a ``distributed.Client``, a constant of the graph otherwise),
the chunks' partial sums are added by a tree reduction, and only vectors of
``n_params`` entries ever reach the client.  For Newton-CG, the
probabilities of each chunk stay on its worker between the gradient and the
Hessian-vector products that follow (the chunk's own
:meth:`MultinomialLoss.gradient_hessp`), so a product costs one pass over
the chunk and no softmax, as in memory.

Dask is an optional dependency, imported only when a Dask collection is
passed (``pip install softmax-regression[dask]``).
"""

from __future__ import annotations

import contextlib
import copy
import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._loss import MultinomialLoss
from ._objective import Objective
from ._validation import (
    _class_weight_factors,
    check_solver_penalty,
    check_weighted_classes,
    encode_labels,
    encode_targets,
    penalty_name,
    smooth_targets,
)

#: The solvers that run on Dask input: they only need the loss, its
#: gradient and Hessian-vector products, which are sums over chunks.
DASK_SOLVERS = ("lbfgs", "newton-cg")
# Partial sums added per node of the reduction tree.
_SPLIT_EVERY = 8
_MISSING_DASK = (
    "Fitting on a Dask collection needs dask[array,dataframe] (and distributed "
    "for a cluster): pip install softmax-regression[dask]"
)


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a Dask collection, decided without importing dask."""
    return type(X).__module__.startswith("dask") and hasattr(X, "dask")


def _import_dask():
    try:
        import dask
        import dask.array
    except ImportError as error:  # pragma: no cover - exercised without dask
        raise ImportError(_MISSING_DASK) from error
    return dask


# -- scheduling ----------------------------------------------------------------
def _active_client():
    """The ``distributed.Client`` that computations run on, or None (the
    local scheduler, or a ``dask.config`` scheduler that overrides it)."""
    import dask

    if dask.config.get("scheduler", None) not in (None, "dask.distributed"):
        return None
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client has been started
        return None


#: Seconds a scatter of the parameter vector may wait for workers (one that
#: died mid-broadcast is otherwise waited for without end).
_SCATTER_TIMEOUT = 30


def _lost_work_errors() -> tuple[type[BaseException], ...]:
    """The exceptions by which Dask reports data or workers lost mid-fit."""
    from concurrent.futures import CancelledError

    errors: list[type[BaseException]] = [CancelledError, TimeoutError]
    try:
        from distributed import KilledWorker
        from distributed.comm import CommClosedError
    except ImportError:
        return tuple(errors)
    return (*errors, KilledWorker, CommClosedError)


@contextlib.contextmanager
def _reporting_lost_work():
    """Turn Dask's reports of workers or data lost mid-fit (in a scatter or
    a compute) into one clear RuntimeError."""
    try:
        yield
    except _lost_work_errors() as error:
        raise RuntimeError(
            "The Dask cluster lost workers or data during the fit "
            f"({type(error).__name__}: {error}); the fit was abandoned and "
            "no model was set. Fit again once the cluster is stable."
        ) from error


def _compute(*collections):
    """``dask.compute``, reporting lost workers or data as one clear error."""
    import dask

    with _reporting_lost_work():
        return dask.compute(*collections)


def _tree_sum(parts: list):
    """The sum of delayed ``parts`` (numbers, arrays or tuples of them), as a
    tree of delayed additions of at most ``_SPLIT_EVERY`` parts each."""
    from dask import delayed

    add = delayed(_add_parts, pure=True)
    while len(parts) > 1:
        parts = [
            add(*parts[start : start + _SPLIT_EVERY])
            for start in range(0, len(parts), _SPLIT_EVERY)
        ]
    return parts[0]


def _add_parts(*parts):
    """Elementwise sum of equally shaped tuples (or of arrays)."""
    if isinstance(parts[0], tuple):
        return tuple(_add_parts(*group) for group in zip(*parts, strict=True))
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _broadcast(vector: NDArray):
    """``vector`` where every chunk's task can read it: scattered to all
    workers of a distributed client, else a delayed constant."""
    from dask import delayed

    client = _active_client()
    if client is None:
        return delayed(vector, pure=False)
    try:
        return client.scatter(
            vector, broadcast=True, hash=False, timeout=_SCATTER_TIMEOUT
        )
    except Exception:
        # A worker died during the broadcast (distributed reports it as a
        # closed comm, as a KeyError of the scheduler's replication, or
        # waits for it until the timeout): the broadcast only saves
        # transfers, so let the scheduler place the vector on the live
        # workers, whence each task fetches it.
        with _reporting_lost_work():
            return client.scatter(vector, hash=False, timeout=_SCATTER_TIMEOUT)


# -- the loss of one chunk, on its worker ----------------------------------------
class _ChunkLoss:
    """A chunk's :class:`MultinomialLoss` scaled by the chunk's share
    ``S_c / S`` of the total weight, returning float64 parts to be summed."""

    def __init__(self, loss: MultinomialLoss, share: float) -> None:
        self.loss = loss
        self.share = share

    def __sizeof__(self) -> int:
        # what dask's scheduler weighs to keep the tasks of a chunk on the
        # worker holding it (without it, a chunk reads as a few bytes and
        # its evaluations may be sent elsewhere, the chunk with them)
        loss = self.loss
        arrays = (loss.X, loss.target, loss.sample_weight, loss.normalised_weight)
        return object.__sizeof__(self) + sum(
            getattr(array, "nbytes", 0) for array in arrays
        )

    def _scaled(self, *parts):
        scaled = tuple(
            np.asarray(part, dtype=np.float64) * self.share for part in parts
        )
        return scaled if len(scaled) > 1 else scaled[0]

    def value(self, w):
        return self._scaled(self.loss.value(w))

    def value_and_grad(self, w):
        return self._scaled(*self.loss.value_and_grad(w))

    def hessian_diagonal(self, w):
        return self._scaled(self.loss.hessian_diagonal(w))

    def hessp(self, w, v):
        return self._scaled(self.loss.hessp(w, v))

    def gradient_hessp(self, w):
        """The scaled value, gradient and diagonal, and the chunk's own
        ``hessp`` closure (holding its probabilities), kept on the worker."""
        value, grad, diagonal, hessp = self.loss.gradient_hessp(w)
        return (*self._scaled(value, grad, diagonal), hessp)

    def separates(self, w):
        """1.0 if the model ``w`` separates this chunk (see
        :meth:`MultinomialLoss.separates`), else 0.0: summed, the number of
        separated chunks."""
        return np.float64(self.loss.separates(w))

    def apply(self, state, v):
        """``H v`` on this chunk from a :meth:`gradient_hessp` state."""
        return self._scaled(state[3](v))


def _chunk_loss(X, y, sample_weight, problem: dict) -> _ChunkLoss:
    """Build one chunk's loss on its worker: labels encoded against the
    classes, class weights folded in, label smoothing applied."""
    classes = problem["classes"]
    target = np.searchsorted(classes, y).astype(np.intp)
    weight = np.asarray(sample_weight, dtype=np.float64)
    if problem["class_factors"] is not None:
        weight = weight * problem["class_factors"][target]
    n_classes = classes.shape[0]
    target = smooth_targets(target, problem["label_smoothing"], n_classes)
    loss = MultinomialLoss(
        np.ascontiguousarray(X, dtype=problem["dtype"]),
        target,
        weight,
        n_classes,
        fit_intercept=problem["fit_intercept"],
    )
    return _ChunkLoss(loss, loss.weight_sum / problem["weight_total"])


def _call(method: str, chunk: _ChunkLoss, *args):
    return getattr(chunk, method)(*args)


class DaskMultinomialLoss:
    """The multinomial loss over data held in chunks on Dask workers.

    It exposes what :class:`~softmax_regression._objective.Objective` and
    the ``"lbfgs"`` and ``"newton-cg"`` solvers use of
    :class:`~softmax_regression._loss.MultinomialLoss` (the same layout of
    the flat parameter vector), each evaluation a sum over the chunks'
    in-memory losses; see the module docstring.

    Parameters
    ----------
    chunks : list of dask.delayed.Delayed
        One persisted :class:`_ChunkLoss` per chunk of rows.
    layout : MultinomialLoss
        A loss on no rows with the data's features, classes, dtype and
        ``fit_intercept``: the parameter layout.
    """

    def __init__(self, chunks: list, layout: MultinomialLoss) -> None:
        self.chunks = chunks
        self.layout = layout
        self.dtype = layout.dtype
        self.n_features = layout.n_features
        self.n_classes = layout.n_classes
        self.fit_intercept = layout.fit_intercept

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return self.layout.n_params

    @property
    def n_coef(self) -> int:
        """Number of entries of ``W`` at the head of the flat vector."""
        return self.layout.n_coef

    def unpack(self, w: NDArray) -> tuple[NDArray, NDArray | None]:
        """Split a flat vector into ``W`` and ``b`` (see MultinomialLoss)."""
        return self.layout.unpack(w)

    def shift_directions(self) -> NDArray:
        """The directions along which the softmax is flat (see
        :meth:`MultinomialLoss.shift_directions`)."""
        return self.layout.shift_directions()

    def _reduce(self, method: str, *vectors):
        """Sum over the chunks of ``chunk.method(*vectors)``, computed."""
        from dask import delayed

        shared = [_broadcast(np.asarray(vector)) for vector in vectors]
        call = delayed(_call, pure=True)
        parts = [call(method, chunk, *shared) for chunk in self.chunks]
        return _compute(_tree_sum(parts))[0]

    def value(self, w: NDArray) -> float:
        """The loss at ``w``."""
        return float(self._reduce("value", w))

    def value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """The loss and its gradient (float64), in one pass over the chunks."""
        value, grad = self._reduce("value_and_grad", w)
        return float(value), grad

    def hessian_diagonal(self, w: NDArray) -> NDArray:
        """The diagonal of the Hessian at ``w``."""
        return self._reduce("hessian_diagonal", w)

    def hessp(self, w: NDArray, v: NDArray) -> NDArray:
        """``H(w) v``, recomputing the probabilities at ``w``."""
        return self._reduce("hessp", w, v)

    def separates(self, w: NDArray) -> bool:
        """Whether ``w`` separates every chunk (see
        :meth:`MultinomialLoss.separates`)."""
        return int(self._reduce("separates", w)) == len(self.chunks)

    def gradient_hessp(self, w: NDArray):
        """Loss, gradient, Hessian diagonal and ``v -> H(w) v``.

        Each chunk's state (its probabilities at ``w``) is persisted on its
        worker; ``hessp(v)`` is then one pass over the chunks, and the
        states are released when ``hessp`` is dropped.
        """
        import dask
        from dask import delayed

        shared = _broadcast(np.asarray(w))
        call = delayed(_call, pure=False)
        with _reporting_lost_work():
            states = dask.persist(
                *[call("gradient_hessp", chunk, shared) for chunk in self.chunks]
            )
        take = delayed(_head, pure=True)
        value, grad, diagonal = _compute(_tree_sum([take(s) for s in states]))[0]

        def hessp(v: NDArray) -> NDArray:
            direction = _broadcast(np.asarray(v))
            parts = [
                call("apply", chunk, state, direction)
                for chunk, state in zip(self.chunks, states, strict=True)
            ]
            return _compute(_tree_sum(parts))[0]

        return float(value), grad, diagonal, hessp


def _head(state):
    """The summable part of a chunk's ``gradient_hessp`` state."""
    return state[:3]


# -- input ---------------------------------------------------------------------
def _as_dask_array(data, name: str):
    """A Dask DataFrame, Series or Array as a Dask array with known chunk
    sizes (computing them if a DataFrame left them unknown)."""
    da = _import_dask().array
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


def _feature_matrix(estimator, X):
    """``X`` as a 2-D float Dask array, one chunk across the features, and
    the estimator's ``n_features_in_``/``feature_names_in_`` set."""
    from sklearn.utils.validation import _check_feature_names

    # a DataFrame's empty pandas twin carries its column names
    _check_feature_names(estimator, getattr(X, "_meta", X), reset=True)
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
    estimator.n_features_in_ = X.shape[1]
    return X.astype(dtype).rechunk({1: -1})


def _row_aligned(data, X, name: str):
    """``data`` (labels or weights) as a 1-D Dask array chunked like X's
    rows: rechunked if it was chunked differently."""
    da = _import_dask().array
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
    from dask import delayed

    summarise = delayed(_chunk_summary, pure=True)
    summaries = _compute(
        [
            summarise(xb, yb, wb)
            for xb, yb, wb in zip(
                X.to_delayed().ravel(),
                y.to_delayed().ravel(),
                weight.to_delayed().ravel(),
                strict=True,
            )
        ]
    )[0]
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


def _class_factors(estimator, classes, totals):
    """The multiplier of each class (None without ``class_weight``)."""
    if estimator.class_weight is None:
        return None
    return _class_weight_factors(estimator.class_weight, classes, totals)


def fit_dask(estimator, X, y, sample_weight=None, *, classes=None):
    """:meth:`SoftmaxRegression.fit` on Dask input; see its docstring.

    ``X`` is a Dask array or DataFrame, ``y`` and ``sample_weight`` Dask
    or in-memory labels and weights; they are persisted on the workers
    once, validated chunk by chunk (a NaN is reported with its chunk) and
    fitted with ``"lbfgs"`` or ``"newton-cg"`` on a
    :class:`DaskMultinomialLoss`.
    """
    solver = _dask_solver(estimator)
    objective, found = dask_objective(estimator, X, y, sample_weight, classes=classes)
    result = estimator._solve(
        objective, solver, estimator._initial_parameters(found, objective.loss)
    )
    estimator._set_solution(found, objective.loss, result, solver)
    estimator._set_stochastic_state(None)
    estimator._warn_if_separated(objective.loss, result.x)
    return estimator


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
    """

    X: object
    y: object
    weight: object
    labels: LabelSummary


def persist_dask_data(estimator, X, y, sample_weight=None) -> DaskData:
    """Align ``y`` and ``sample_weight`` with ``X``'s rows, persist the
    three on the workers and validate them in one pass over the chunks.

    Sets ``estimator.n_features_in_`` (and ``feature_names_in_``).
    """
    dask = _import_dask()
    X = _feature_matrix(estimator, X)
    y = _row_aligned(y, X, "y")
    weight = (
        dask.array.ones(X.shape[0], chunks=(X.chunks[0],))
        if sample_weight is None
        else _row_aligned(sample_weight, X, "sample_weight")
    )
    with _reporting_lost_work():
        X, y, weight = dask.persist(X, y, weight)
    return DaskData(X, y, weight, _validated_summary(X, y, weight, X.chunks[0]))


def dask_objective(estimator, X, y, sample_weight=None, *, classes=None):
    """The estimator's objective on Dask data, and the sorted classes.

    The data are persisted on the workers, validated in one pass over the
    chunks (which also finds the labels and their weights), and each chunk's
    :class:`_ChunkLoss` is built and persisted on its worker.
    """
    data = persist_dask_data(estimator, X, y, sample_weight)
    found, totals = data.labels.classes, data.labels.weights
    if classes is not None:
        declared, _ = encode_targets(np.asarray(classes), classes)
        totals = _declared_totals(declared, found, totals)
        found = declared
    factors = _class_factors(estimator, found, totals)
    weighted = totals * factors if factors is not None else totals
    check_weighted_classes(weighted, np.arange(found.size), found)
    loss = dask_loss(
        data.X,
        data.y,
        data.weight,
        classes=found,
        class_factors=factors,
        weight_total=float(weighted.sum()),
        fit_intercept=estimator.fit_intercept,
        label_smoothing=estimator.label_smoothing,
    )
    return penalised_objective(estimator, loss), found


def dask_loss(
    X,
    y,
    weight,
    *,
    classes: NDArray,
    class_factors: NDArray | None,
    weight_total: float,
    fit_intercept: bool,
    label_smoothing: float = 0.0,
) -> DaskMultinomialLoss:
    """The loss over persisted, row-aligned Dask arrays: one
    :class:`_ChunkLoss` built and persisted per chunk, on its worker.

    Parameters
    ----------
    X, y, weight : dask.array.Array
        Features, labels and sample weights, chunked alike along the rows
        (``weight`` may be a lazy expression of persisted arrays, such as
        the weights of a cross-validation fold's training rows).
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    class_factors : ndarray of shape (n_classes,) or None
        The multiplier of each class's weights (``class_weight``).
    weight_total : float
        The sum of the weights with the class factors applied: the
        normaliser of the loss.
    fit_intercept : bool
        Whether the parameter vector ends with intercepts.
    label_smoothing : float, default=0.0
        As in :class:`SoftmaxRegression`.

    Returns
    -------
    DaskMultinomialLoss
    """
    import dask

    problem = {
        "classes": classes,
        "class_factors": class_factors,
        "label_smoothing": label_smoothing,
        "dtype": X.dtype,
        "fit_intercept": fit_intercept,
        "weight_total": weight_total,
    }
    build = dask.delayed(_chunk_loss, pure=True)
    with _reporting_lost_work():
        chunks = dask.persist(
            *[
                build(xb, yb, wb, problem)
                for xb, yb, wb in zip(
                    X.to_delayed().ravel(),
                    y.to_delayed().ravel(),
                    weight.to_delayed().ravel(),
                    strict=True,
                )
            ]
        )
    layout = MultinomialLoss(
        np.empty((0, X.shape[1]), dtype=X.dtype),
        np.empty(0, dtype=np.intp),
        np.empty(0),
        classes.size,
        fit_intercept=fit_intercept,
    )
    return DaskMultinomialLoss(list(chunks), layout)


def penalised_objective(estimator, loss: DaskMultinomialLoss) -> Objective:
    """``loss`` plus ``estimator``'s penalty (at its ``alpha``)."""
    # the estimator's own objective on no rows: its penalty
    template = estimator._objective(
        np.empty((0, loss.n_features), dtype=loss.dtype),
        np.empty(0, dtype=np.intp),
        np.empty(0),
        loss.n_classes,
    )
    return Objective(loss, template.penalty)


def _declared_totals(declared, found, totals):
    """The class totals over the ``classes`` passed to fit, after checking
    that every label found is one of them."""
    unknown = sorted(set(found.tolist()) - set(declared.tolist()), key=str)
    if unknown:
        raise ValueError(
            f"y contains labels {unknown} that are not in classes {declared.tolist()}."
        )
    out = np.zeros(declared.size)
    out[np.searchsorted(declared, found)] = totals
    return out


def _dask_solver(estimator) -> str:
    """The solver of a Dask fit: ``"auto"`` is ``"newton-cg"``; others
    than :data:`DASK_SOLVERS` are refused."""
    solver = "newton-cg" if estimator.solver == "auto" else estimator.solver
    if solver not in DASK_SOLVERS:
        raise ValueError(
            f"solver={estimator.solver!r} cannot fit Dask input; use one of "
            f"{', '.join(repr(name) for name in DASK_SOLVERS)} or 'auto', or "
            "compute X into memory."
        )
    penalty = penalty_name(estimator.alpha, estimator.l1_ratio, estimator.penalty)
    if penalty != "l2":
        raise ValueError(
            f"The {penalty!r} penalty (l1_ratio={estimator.l1_ratio}) cannot be "
            "fitted on Dask input: the Dask solvers "
            f"{', '.join(repr(name) for name in DASK_SOLVERS)} minimise only the "
            "L2 penalty. Set l1_ratio=0, or compute X into memory for "
            "solver='fista' or 'prox-newton'."
        )
    check_solver_penalty(solver, penalty)
    return solver


# -- prediction ------------------------------------------------------------------
def predict_dask(estimator, method: str, X):
    """``estimator.method(X)`` for a Dask ``X``: a lazy Dask array computed
    block by block (``map_blocks``), with X's chunks of rows."""
    from sklearn.utils.validation import _check_feature_names, check_is_fitted

    check_is_fitted(estimator)
    _check_feature_names(estimator, getattr(X, "_meta", X), reset=False)
    da = _import_dask().array
    if hasattr(X, "to_dask_array"):  # a DataFrame: its partitions, lazily
        X = X.to_dask_array()
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise TypeError(
            f"{method} on Dask input needs a 2-D dask array or a dask DataFrame, "
            f"got {type(X).__name__} of {X.ndim} dimensions."
        )
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    # the blocks are plain arrays: their names were checked above
    blockwise = copy.copy(estimator)
    blockwise.__dict__.pop("feature_names_in_", None)
    function = getattr(blockwise, method)
    n_classes = estimator.classes_.shape[0]
    if method == "predict":
        meta = estimator.classes_[:0]
        return X.map_blocks(function, drop_axis=1, dtype=meta.dtype, meta=meta)
    if method == "decision_function" and n_classes == 2:
        return X.map_blocks(function, drop_axis=1, dtype=estimator.coef_.dtype)
    return X.map_blocks(
        function, chunks=(X.chunks[0], (n_classes,)), dtype=estimator.coef_.dtype
    )


def lazy_on_dask(method):
    """Decorate a prediction method so that on a Dask ``X`` it returns the
    lazy :func:`predict_dask` instead."""

    @functools.wraps(method)
    def dispatch(self, X, *args, **kwargs):
        if is_dask_collection(X):
            return predict_dask(self, method.__name__, X)
        return method(self, X, *args, **kwargs)

    return dispatch
