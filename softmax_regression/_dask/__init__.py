"""Fitting and predicting on Dask collections, with the in-memory kernels.

This package owns everything that runs on data held in chunks on Dask
workers, below the estimators: reading and validating the data, the loss
over its chunks, the reduction of the chunks' partial sums, the
cross-validation folds, and the lazy predictions.  A Dask fit keeps the
layering of the in-memory one: the solvers see an
:class:`~softmax_regression._objective.Objective` whose loss is a
:class:`DaskMultinomialLoss`, and the fitting core
(:mod:`softmax_regression._fitting`) runs it.  That loss owns no
mathematics: each chunk of rows is an in-memory
:class:`~softmax_regression._loss.MultinomialLoss` on its worker, and every
evaluation is the sum of the chunks' own, each scaled by the chunk's share
of the total sample weight.

The reduction: the parameter vector is broadcast once per evaluation
(scattered to one worker with a ``distributed.Client``, whence the others
fetch it; a constant of the graph otherwise), the chunks' partial sums are
added by a tree reduction, and only vectors of ``n_params`` entries ever
reach the client. For Newton-CG, the probabilities of each chunk stay on its
worker between the gradient and the Hessian-vector products that follow, so
a product costs one pass over the chunk and no softmax, as in memory.

Modules, lowest layer first:

* ``_collections``: :func:`is_dask_collection` and :data:`DASK`;
* ``_reduce``: scheduling and reduction: the active client, lost work
  reported as one error (:func:`compute`, :func:`persist`),
  :func:`broadcast`, :func:`per_chunk` (one task per chunk of rows) and
  :func:`tree_sum`;
* ``_chunk_loss``: one chunk's loss on its worker, and
  :class:`DaskMultinomialLoss`, the sum over the chunks;
* ``_data``: validating and persisting X, y and the sample weights
  (:func:`persist_dask_data`), and :func:`weighted_loss`, the loss with
  the class weights applied;
* ``_folds``: cross-validation folds as lazy masks of rows;
* ``_fit``: the solver (:func:`dask_solver`) and objective
  (:func:`dask_objective`) of a fit, and the lazy predictions
  (:func:`lazy_on_dask`).

Nothing here reads an estimator's private state: the estimators
(:mod:`softmax_regression._estimator`, :mod:`softmax_regression._search`)
call these functions.  Dask is an optional dependency, imported only when
a Dask collection is passed (``pip install softmax-regression[dask]``):
importing this package does not import it.
"""

from ._chunk_loss import DaskMultinomialLoss
from ._collections import DASK, is_dask_collection
from ._data import DaskData, LabelSummary, persist_dask_data, weighted_loss
from ._fit import dask_objective, dask_solver, lazy_on_dask, predict_dask
from ._folds import Fold, dask_folds
from ._reduce import broadcast, compute, per_chunk, tree_sum

__all__ = [
    "DASK",
    "DaskData",
    "DaskMultinomialLoss",
    "Fold",
    "LabelSummary",
    "broadcast",
    "compute",
    "dask_folds",
    "dask_objective",
    "dask_solver",
    "is_dask_collection",
    "lazy_on_dask",
    "per_chunk",
    "persist_dask_data",
    "predict_dask",
    "tree_sum",
    "weighted_loss",
]
