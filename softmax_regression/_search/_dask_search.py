"""SoftmaxRegressionCV's search on Dask data, with the chunks persisted once.

``X``, ``y`` and the sample weights are persisted and validated once
(:func:`~softmax_regression._dask.persist_dask_data`).  A fold is a pair of
lazy row masks (:mod:`softmax_regression._dask._folds`); its training
objective is a :class:`~softmax_regression._dask.DaskMultinomialLoss` over
the same persisted chunks with the weights ``sample_weight * class_weight *
train``, so the validation rows weigh zero and no row is copied or moved.
Each fold's path is :func:`~softmax_regression._search._path.solve_path`,
warm-started from alpha to alpha as in memory, on a
:class:`DaskPathProblem`.

The default score, the weighted negative log loss of the validation rows,
is summed chunk by chunk on the workers for all the alphas of a fold at
once; only ``n_alphas`` numbers per chunk reach the client.  Another
``scoring`` is called as in memory, with the validation rows of ``X`` as a
lazy Dask array, and their labels and weights gathered to the client; the
model it is given computes its predictions (``n_test`` labels or rows of
``n_classes`` values) there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .._dask import (
    DaskMultinomialLoss,
    Fold,
    broadcast,
    compute,
    dask_folds,
    dask_solver,
    is_dask_collection,
    per_chunk,
    persist_dask_data,
    tree_sum,
    weighted_loss,
)
from .._estimator import SoftmaxRegression
from .._fitting import FitConfig, penalised
from .._objective import Objective
from ._path import PathResult, solve_path
from ._scoring import model_at, neg_log_loss, path_scores


@dataclass
class DaskPathProblem:
    """The data of a regularisation path held in chunks on Dask workers.

    It offers what :func:`~softmax_regression._search._path.solve_path`
    and the default grid read of the in-memory ``PathProblem``; every
    point's objective shares the one persisted ``loss``, with the point's
    penalty.

    Attributes
    ----------
    loss : DaskMultinomialLoss
        The loss over the chunks.
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    weights : ndarray of shape (n_classes,)
        The total weight of each class in the loss (class weights applied).
    """

    loss: DaskMultinomialLoss
    classes: NDArray
    weights: NDArray[np.float64]

    @property
    def n_features(self) -> int:
        """Number of features."""
        return self.loss.layout.n_features

    @property
    def dtype(self) -> np.dtype:
        """The dtype the path is fitted in (X's)."""
        return self.loss.dtype

    def class_totals(self) -> NDArray[np.float64]:
        """The total weight of each class."""
        return self.weights

    def solver(self, config: FitConfig) -> str:
        """``"lbfgs"`` or ``"newton-cg"`` (``"auto"``); others are refused
        (see :func:`~softmax_regression._dask.dask_solver`)."""
        return dask_solver(config)

    def objective(self, config: FitConfig) -> Objective:
        """The shared loss plus ``config``'s penalty."""
        return penalised(config, self.loss)


class DaskSearch:
    """The persisted data, folds and per-fold paths of a Dask search.

    Parameters
    ----------
    cv : int, cross-validation generator, iterable or None
        As ``SoftmaxRegressionCV``'s (see
        :func:`~softmax_regression._dask.dask_folds`).
    class_weight : dict, "balanced" or None
        Applied to each training part (``"balanced"`` from its own totals).
    fit_intercept : bool
        Whether the models have intercepts.
    X : dask.array.Array or dask.dataframe.DataFrame
        The features.
    y : dask or in-memory array-like of shape (n_samples,)
        The labels.
    sample_weight : dask or in-memory array-like of shape (n_samples,) or None
        The sample weights.

    Attributes
    ----------
    data : DaskData
        The persisted data (``data.meta`` for the feature names,
        ``data.X.shape[1]`` for their number).
    problem : DaskPathProblem
        All the rows: the default grid and the refit use it.
    folds : list of Fold
        The folds of ``cv``.
    require : str
        joblib's ``require`` for running folds side by side: threads
        sharing the client (each evaluation is a round trip to the
        cluster, so folds in threads keep the workers busy).
    """

    require = "sharedmem"

    def __init__(
        self, cv, class_weight, fit_intercept: bool, X, y, sample_weight=None
    ) -> None:
        self.class_weight = class_weight
        self.fit_intercept = fit_intercept
        self.weighted = sample_weight is not None
        self.data = persist_dask_data(X, y, sample_weight)
        self.problem = self._problem(self.data.weight, self.data.labels.weights)
        self.folds = dask_folds(cv, self.data)

    def _problem(self, weight, totals: NDArray) -> DaskPathProblem:
        """The path problem of the rows ``weight`` weighs, whose classes'
        total sample weights are ``totals``."""
        classes = self.data.labels.classes
        loss, weighted = weighted_loss(
            self.data,
            weight,
            totals,
            classes=classes,
            class_weight=self.class_weight,
            fit_intercept=self.fit_intercept,
        )
        return DaskPathProblem(loss, classes, weighted)

    def fold_path(
        self, fold: Fold, template: SoftmaxRegression, alphas: NDArray, scorer
    ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """Fit the path on ``fold``'s training rows (the others weigh zero)
        and score each point on its validation rows.

        Parameters
        ----------
        fold : Fold
            One of :attr:`folds`.
        template : SoftmaxRegression
            Unfitted: its parameters configure the path's fits, and the
            models handed to ``scorer`` are its clones.
        alphas : ndarray of shape (n_alphas,)
            The path's strengths.
        scorer : callable
            ``neg_log_loss`` (summed on the workers) or a scikit-learn
            scorer.

        Returns
        -------
        scores, coefs, intercepts, n_iters : ndarray
            As the in-memory search's ``fold_path``.
        """
        config = FitConfig.from_params(template.get_params())
        weight = self.data.weight * fold.train
        problem = self._problem(weight, self._class_weight_sums(weight))
        path = solve_path(config, problem, alphas)
        del problem  # releases the fold's chunk losses on the workers
        if scorer is neg_log_loss:
            scores = self._log_loss_scores(fold, path)
        else:
            scores = self._scorer_scores(fold, template, alphas, path, scorer)
        return scores, path.coefs, path.intercepts, path.n_iters

    def _class_weight_sums(self, weight) -> NDArray[np.float64]:
        """The total of ``weight`` over each class, summed on the workers."""
        classes = self.data.labels.classes
        parts = per_chunk(_chunk_class_sums, self.data.y, weight, args=(classes,))
        return compute(tree_sum(parts))[0]

    def _log_loss_scores(self, fold: Fold, path: PathResult) -> NDArray:
        """The default score of every point, on the workers: each chunk sums
        its validation rows' weighted cross-entropies at every point."""
        data = self.data
        coefs, intercepts = broadcast(path.coefs), broadcast(path.intercepts)
        parts = per_chunk(
            _chunk_log_losses,
            data.X,
            data.y,
            data.weight,
            fold.test,
            args=(data.labels.classes, coefs, intercepts),
        )
        losses, weight = compute(tree_sum(parts))[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            return -losses / weight

    def _scorer_scores(
        self, fold: Fold, template, alphas, path: PathResult, scorer
    ) -> NDArray:
        """``scorer`` at every point, called on the validation rows of X as a
        lazy Dask array and their labels (and weights) gathered."""
        X_test, y_test, weight_test = self._validation_rows(fold)
        return path_scores(
            scorer,
            _ComputedPredictions(**template.get_params()),
            self.data.labels.classes,
            alphas,
            path,
            X_test,
            y_test,
            weight_test if self.weighted else None,
        )

    def _validation_rows(self, fold: Fold):
        """The validation rows of X (lazy, with known chunk sizes, none
        empty), and their labels and sample weights, computed."""
        data = self.data
        n_chunks = len(fold.test.chunks[0])
        counts, y_test, weight_test = compute(
            fold.test.map_blocks(_count_true, chunks=((1,) * n_chunks,), dtype=np.intp),
            data.y[fold.test],
            data.weight[fold.test],
        )
        X_test = data.X.map_blocks(
            _rows_where,
            fold.test[:, None],
            chunks=(tuple(int(count) for count in counts), data.X.chunks[1]),
            dtype=data.X.dtype,
        )
        # chunks without validation rows would be empty blocks to predict
        return X_test.blocks[np.flatnonzero(counts)], y_test, weight_test


class _ComputedPredictions(SoftmaxRegression):
    """A SoftmaxRegression whose predictions on Dask input are computed
    arrays, not lazy ones: the model a scorer, which expects arrays, is
    given with the validation rows of Dask data."""

    def decision_function(self, X):
        return _computed(super().decision_function(X))

    def predict(self, X):
        return _computed(super().predict(X))

    def predict_proba(self, X):
        return _computed(super().predict_proba(X))

    def predict_log_proba(self, X):
        return _computed(super().predict_log_proba(X))


def _computed(result):
    """``result`` computed if it is a Dask collection."""
    return compute(result)[0] if is_dask_collection(result) else result


# -- the tasks on the chunks ------------------------------------------------------
def _chunk_class_sums(y, weight, classes) -> NDArray[np.float64]:
    return np.bincount(
        np.searchsorted(classes, y),
        weights=np.asarray(weight, dtype=np.float64),
        minlength=classes.size,
    )


def _chunk_log_losses(X, y, weight, test, classes, coefs, intercepts):
    """The weighted sum of the validation rows' cross-entropies at each
    point of a path, and the rows' total weight."""
    weight = np.asarray(weight, dtype=np.float64)[test]
    total = float(weight.sum())
    losses = np.zeros(coefs.shape[0])
    if not total > 0:
        return losses, 0.0
    X, y = X[test], y[test]
    template = SoftmaxRegression()
    for index, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        model = model_at(template, 0.0, classes, coef, intercept)
        losses[index] = -neg_log_loss(model, X, y, weight) * total
    return losses, total


def _count_true(mask) -> NDArray[np.intp]:
    return np.array([np.count_nonzero(mask)])


def _rows_where(X, mask):
    return X[mask[:, 0]]
