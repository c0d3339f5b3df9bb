"""What Dask input is: recognising a Dask collection without importing dask,
and the name of its location in error messages."""

#: Where Dask data are, for :func:`~softmax_regression._solvers.resolve_solver`
#: (``where``) and its error messages.
DASK = "Dask input"


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a Dask collection, decided without importing dask."""
    return type(X).__module__.startswith("dask") and hasattr(X, "dask")
