"""Fitting and predicting on Dask data: the solver, the objective, and the
lazy predictions.

A fit on Dask input is the in-memory fit with another loss; the estimator
runs it with the fitting core (:mod:`softmax_regression._fitting`)::

    solver = dask_solver(config)            # before any work on the cluster
    data = persist_dask_data(X, y, sample_weight)
    objective, classes = dask_objective(config, data, classes=...)
    fitted, _ = fit_objective(config, objective, classes, solver, w0)
"""

from __future__ import annotations

import copy
import functools

import numpy as np
from numpy.typing import NDArray

from .._fitting import FitConfig, penalised
from .._objective import Objective
from .._validation import encode_targets
from ._chunk_loss import DaskMultinomialLoss
from ._collections import DASK, is_dask_collection
from ._data import DaskData, weighted_loss
from ._reduce import import_dask


def dask_solver(config: FitConfig) -> str:
    """The solver of a fit on Dask input, checked before any work on the
    cluster (see :func:`~softmax_regression._solvers.resolve_solver`).

    Only ``"lbfgs"`` and ``"newton-cg"`` run on the Dask loss, and only for
    the L2 penalty.  ``"auto"`` comes out as ``"newton-cg"`` whatever the
    data's shape (unknown yet, so none is passed): its other candidate,
    ``"newton-cholesky"``, needs the full Hessian the Dask loss does not
    offer; with bounds, ``"lbfgs"``.  The penalty factors and bounds are
    checked against the data's width when the objective is made.

    Raises
    ------
    ValueError
        For another solver, or a non-smooth penalty.
    """
    return config.resolve_solver(
        0, None, 2, loss_offers=DaskMultinomialLoss.OFFERS, where=DASK
    )


def dask_objective(
    config: FitConfig,
    data: DaskData,
    *,
    classes=None,
    class_weight=None,
    label_smoothing: float = 0.0,
) -> tuple[Objective, NDArray]:
    """The objective of ``config`` on persisted Dask data, and the classes.

    Each chunk's loss is built and persisted on its worker.

    Parameters
    ----------
    config : FitConfig
        The penalty and ``fit_intercept``.
    data : DaskData
        From :func:`persist_dask_data`.
    classes : array-like of shape (n_classes,), default=None
        The labels declared to ``fit``: every label found must be one of
        them; None means the labels found.
    class_weight : dict, "balanced" or None, default=None
        As in :class:`SoftmaxRegression`.
    label_smoothing : float, default=0.0
        As in :class:`SoftmaxRegression`.

    Returns
    -------
    objective : Objective
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    """
    found, totals = data.labels.classes, data.labels.weights
    if classes is not None:
        declared, _ = encode_targets(np.asarray(classes), classes)
        totals = _declared_totals(declared, found, totals)
        found = declared
    loss, _ = weighted_loss(
        data,
        data.weight,
        totals,
        classes=found,
        class_weight=class_weight,
        fit_intercept=config.fit_intercept,
        label_smoothing=label_smoothing,
    )
    return penalised(config, loss), found


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


# -- prediction ------------------------------------------------------------------
def predict_dask(estimator, method: str, X):
    """``estimator.method(X)`` for a Dask ``X``: a lazy Dask array computed
    block by block (``map_blocks``), with X's chunks of rows."""
    from sklearn.utils.validation import _check_feature_names, check_is_fitted

    check_is_fitted(estimator)
    _check_feature_names(estimator, getattr(X, "_meta", X), reset=False)
    da = import_dask().array
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
    if hasattr(blockwise, "feature_names_in_"):
        del blockwise.feature_names_in_
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
