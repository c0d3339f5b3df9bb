"""Scheduling and reduction: the client, lost work, broadcasts, tree sums.

Everything that talks to Dask's scheduler goes through these functions:
:func:`compute` and :func:`persist` (which report workers or data lost
mid-fit as one clear error), :func:`broadcast` (a vector every chunk's task
reads), :func:`per_chunk` (one delayed call per chunk of rows) and
:func:`tree_sum` (the partial sums added in a tree).  Dask is imported
inside the functions, when they first run.
"""

from __future__ import annotations

import contextlib

from numpy.typing import NDArray

_MISSING_DASK = (
    "Fitting on a Dask collection needs dask[array,dataframe] (and distributed "
    "for a cluster): pip install softmax-regression[dask]"
)
#: Partial sums added per node of the reduction tree.
SPLIT_EVERY = 8
#: Seconds a scatter of the parameter vector may wait for a running worker.
SCATTER_TIMEOUT = 30


def import_dask():
    """The ``dask`` module (with ``dask.array``), or an ImportError naming
    the extra to install."""
    try:
        import dask
        import dask.array
    except ImportError as error:  # pragma: no cover - exercised without dask
        raise ImportError(_MISSING_DASK) from error
    return dask


def active_client():
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


class LostWorkError(RuntimeError):
    """Workers or data of the Dask cluster were lost during a fit, and what
    was lost could not be recomputed from its lineage.

    Raised by :func:`compute` and :func:`persist` (a RuntimeError, whose
    message tells the user the fit was abandoned); the Dask loss catches it
    where it can evaluate again what was lost (see
    :meth:`~softmax_regression._dask.DaskMultinomialLoss.gradient_hessp`).
    """


@contextlib.contextmanager
def reporting_lost_work():
    """Turn Dask's reports of workers or data lost mid-fit (in a scatter or
    a compute) into one clear RuntimeError, a :class:`LostWorkError`."""
    try:
        yield
    except _lost_work_errors() as error:
        raise LostWorkError(
            "The Dask cluster lost workers or data during the fit "
            f"({type(error).__name__}: {error}); the fit was abandoned and "
            "no model was set. Fit again once the cluster is stable."
        ) from error


def compute(*collections):
    """``dask.compute``, reporting lost workers or data as one clear error."""
    import dask

    with reporting_lost_work():
        return dask.compute(*collections)


def persist(*collections):
    """``dask.persist``, reporting lost workers or data as one clear error."""
    import dask

    with reporting_lost_work():
        return dask.persist(*collections)


def per_chunk(function, *arrays, args=(), pure: bool = True) -> list:
    """One delayed ``function(*blocks, *args)`` per chunk of rows.

    Parameters
    ----------
    function : callable
        Called on a worker with the chunk's block of each of ``arrays``, in
        order, then ``args``.
    *arrays : dask.array.Array or sequence of dask.delayed.Delayed
        Chunked alike along the rows (one chunk across any other axis), or
        one delayed object per chunk (such as the persisted chunk losses).
    args : tuple, default=()
        The same for every chunk (broadcast vectors, the classes, ...).
    pure : bool, default=True
        Whether equal inputs give the same task (``dask.delayed``'s
        ``pure``).

    Returns
    -------
    list of dask.delayed.Delayed
        One call per chunk, in row order.
    """
    from dask import delayed

    call = delayed(function, pure=pure)
    blocks = [
        array.to_delayed().ravel() if hasattr(array, "to_delayed") else array
        for array in arrays
    ]
    return [call(*chunk, *args) for chunk in zip(*blocks, strict=True)]


def tree_sum(parts: list):
    """The sum of delayed ``parts`` (numbers, arrays or tuples of them), as a
    tree of delayed additions of at most :data:`SPLIT_EVERY` parts each."""
    from dask import delayed

    add = delayed(_add_parts, pure=True)
    while len(parts) > 1:
        parts = [
            add(*parts[start : start + SPLIT_EVERY])
            for start in range(0, len(parts), SPLIT_EVERY)
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


def broadcast(vector: NDArray):
    """``vector`` where every chunk's task can read it: scattered to a
    worker of a distributed client (each other worker fetches it once, for
    its first task that needs it), else a delayed constant.

    Not ``scatter(broadcast=True)``: the scheduler then replicates the
    vector until every worker it started with holds a copy, and loops
    without end when one of them dies meanwhile (a full test run hung
    there twice).  A vector lost with its worker is lost work, which the
    solvers handle (see ``reporting_lost_work``).
    """
    from dask import delayed

    client = active_client()
    if client is None:
        return delayed(vector, pure=False)
    try:
        return client.scatter(vector, hash=False, timeout=SCATTER_TIMEOUT)
    except Exception:
        # The chosen worker died as the vector reached it (a closed comm):
        # once more, on the workers the scheduler still knows.
        with reporting_lost_work():
            return client.scatter(vector, hash=False, timeout=SCATTER_TIMEOUT)
