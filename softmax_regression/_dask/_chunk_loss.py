"""The multinomial loss over chunks of rows held on Dask workers.

Each chunk of rows lives on a worker as an in-memory
:class:`~softmax_regression._loss.MultinomialLoss` (a :class:`_ChunkLoss`,
built there once, from the persisted chunk), and every value, gradient,
Hessian diagonal or Hessian-vector product of :class:`DaskMultinomialLoss`
is the sum over the chunks of their own, each scaled by the chunk's share
of the total sample weight::

    sum_i s_i CE_i / S = sum_c (S_c / S) * (sum_{i in c} s_i CE_i / S_c)

The parameter vector is broadcast once per evaluation, the chunks' partial
sums are added by a tree reduction (:mod:`._reduce`), and only vectors of
``n_params`` entries ever reach the client.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .._loss import SUMMARIES, MultinomialLoss, ParameterLayout
from .._validation import apply_class_factors, smooth_targets
from ._reduce import (
    LostWorkError,
    broadcast,
    compute,
    per_chunk,
    persist,
    tree_sum,
)


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


def _build_chunk(X, y, sample_weight, problem: dict) -> _ChunkLoss:
    """Build one chunk's loss on its worker: labels encoded against the
    classes, label smoothing applied, then the class weights folded in (as
    :func:`~softmax_regression._validation.weighted_targets` does)."""
    classes = problem["classes"]
    target = np.searchsorted(classes, y).astype(np.intp)
    weight = np.array(sample_weight, dtype=np.float64)
    n_classes = classes.shape[0]
    target = smooth_targets(target, problem["label_smoothing"], n_classes)
    if problem["class_factors"] is not None:
        target, weight = apply_class_factors(target, weight, problem["class_factors"])
    loss = MultinomialLoss(
        np.ascontiguousarray(X, dtype=problem["dtype"]),
        target,
        weight,
        n_classes,
        fit_intercept=problem["fit_intercept"],
    )
    return _ChunkLoss(loss, loss.weight_sum / problem["weight_total"])


def _call(chunk: _ChunkLoss, method: str, *args):
    return getattr(chunk, method)(*args)


def _head(state):
    """The summable part of a chunk's ``gradient_hessp`` state."""
    return state[:3]


def _apply(chunk: _ChunkLoss, state, v):
    return chunk.apply(state, v)


# -- the sum over the chunks, on the client ----------------------------------------
class DaskMultinomialLoss:
    """The multinomial loss over data held in chunks on Dask workers.

    It offers what :class:`~softmax_regression._objective.Objective` and
    the ``"lbfgs"`` and ``"newton-cg"`` solvers use of
    :class:`~softmax_regression._loss.MultinomialLoss` (the same layout of
    the flat parameter vector), each evaluation a sum over the chunks'
    in-memory losses; see the module docstring.  Build it with
    :func:`dask_loss`.

    Parameters
    ----------
    chunks : list of dask.delayed.Delayed
        One persisted :class:`_ChunkLoss` per chunk of rows.
    layout : ParameterLayout
        The flat parameter vector's layout.
    dtype : dtype
        The data's dtype (float32 or float64).
    n_samples : int
        Number of rows over all the chunks.
    weight_sum : float
        Total sample weight (class weights applied): the normaliser.
    """

    #: What this loss can compute, by method name: the in-memory loss's
    #: sums over rows, without what needs every row in one place (the full
    #: Hessian, the feature moments, mini-batches); see
    #: :func:`~softmax_regression._solvers.resolve_solver`.
    OFFERS = MultinomialLoss.OFFERS - {"hessian", "take"} - SUMMARIES

    def __init__(
        self,
        chunks: list,
        layout: ParameterLayout,
        dtype: np.dtype,
        n_samples: int,
        weight_sum: float,
    ) -> None:
        self.chunks = chunks
        self.layout = layout
        self.dtype = np.dtype(dtype)
        self.n_samples = n_samples
        self.weight_sum = weight_sum

    def reduce(self, method: str, *vectors):
        """Sum over the chunks of ``chunk.method(*vectors)``, computed: one
        distributed evaluation."""
        shared = [broadcast(np.asarray(vector)) for vector in vectors]
        parts = per_chunk(_call, self.chunks, args=(method, *shared))
        return compute(tree_sum(parts))[0]

    def value(self, w: NDArray) -> float:
        """The loss at ``w``."""
        return float(self.reduce("value", w))

    def value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """The loss and its gradient (float64), in one pass over the chunks."""
        value, grad = self.reduce("value_and_grad", w)
        return float(value), grad

    def hessian_diagonal(self, w: NDArray) -> NDArray:
        """The diagonal of the Hessian at ``w``."""
        return self.reduce("hessian_diagonal", w)

    def hessp(self, w: NDArray, v: NDArray) -> NDArray:
        """``H(w) v``, recomputing the probabilities at ``w``."""
        return self.reduce("hessp", w, v)

    def separates(self, w: NDArray) -> bool:
        """Whether ``w`` separates every chunk (see
        :meth:`MultinomialLoss.separates`)."""
        return int(self.reduce("separates", w)) == len(self.chunks)

    def gradient_hessp(self, w: NDArray, ordered: bool = False, diagonal: bool = True):
        """Loss, gradient, Hessian diagonal (None without ``diagonal``) and
        ``v -> H(w) v``; chunked X has no working order (no ``ordered``).

        Each chunk's state (its probabilities at ``w``) is persisted on its
        worker; ``hessp(v)`` is then one pass over the chunks, and the
        states are released when ``hessp`` is dropped.

        A worker lost between the products takes its chunks' states with
        it.  ``hessp`` keeps the broadcast ``w``, so Dask recomputes them
        from their lineage, as it does the chunks of any evaluation; if
        they cannot be recovered so (the scheduler forgot a part of it),
        the states are evaluated again at ``w`` and the product is
        retried once.  Only a second loss in a row, or a cluster that lost
        the data itself (``client.restart()``), raises the RuntimeError of
        :func:`~softmax_regression._dask._reduce.compute`.
        """
        if ordered:
            raise ValueError("chunked X has no working order")
        w = np.array(w, dtype=np.float64)  # the point the states belong to
        kept = _KeptStates(self.chunks, w)
        value, grad, diagonal_values = _once_more_if_lost(kept.head, kept.evaluate)

        def hessp(v: NDArray) -> NDArray:
            return _once_more_if_lost(lambda: kept.product(v), kept.evaluate)

        return float(value), grad, diagonal_values if diagonal else None, hessp


class _KeptStates:
    """The chunks' :meth:`_ChunkLoss.gradient_hessp` states at one point,
    persisted on the workers, with the broadcast point they are computed
    from (their lineage: while it is held, Dask can recompute a lost
    state)."""

    def __init__(self, chunks: list, w: NDArray) -> None:
        self.chunks = chunks
        self.w = w
        self.evaluate()

    def evaluate(self) -> None:
        """(Re)compute the states at ``w`` on the workers."""
        self.point = broadcast(self.w)
        self.states = list(
            persist(
                *per_chunk(
                    _call, self.chunks, args=("gradient_hessp", self.point), pure=False
                )
            )
        )

    def head(self):
        """The summed value, gradient and Hessian diagonal."""
        return compute(tree_sum(per_chunk(_head, self.states)))[0]

    def product(self, v: NDArray) -> NDArray:
        """``H(w) v`` summed over the chunks' states."""
        direction = broadcast(np.asarray(v))
        parts = per_chunk(
            _apply, self.chunks, self.states, args=(direction,), pure=False
        )
        return compute(tree_sum(parts))[0]


def _once_more_if_lost(step, recover):
    """``step()``; if the cluster lost work it needs, ``recover()`` and
    ``step()`` once more (a second loss raises)."""
    try:
        return step()
    except LostWorkError:
        recover()
        return step()


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
    problem = {
        "classes": classes,
        "class_factors": class_factors,
        "label_smoothing": label_smoothing,
        "dtype": X.dtype,
        "fit_intercept": fit_intercept,
        "weight_total": weight_total,
    }
    chunks = persist(*per_chunk(_build_chunk, X, y, weight, args=(problem,)))
    return DaskMultinomialLoss(
        list(chunks),
        ParameterLayout(classes.shape[0], X.shape[1], fit_intercept),
        X.dtype,
        int(X.shape[0]),
        weight_total,
    )
