"""SoftmaxRegressionCV's search on Dask data, with the chunks persisted once.

``X``, ``y`` and the sample weights are persisted and validated once (as by
:func:`~softmax_regression._dask.fit_dask`).  A fold is a pair of lazy row
masks (:mod:`softmax_regression._dask_folds`); its training objective is a
:class:`~softmax_regression._dask.DaskMultinomialLoss` over the same
persisted chunks with the weights ``sample_weight * class_weight * train``,
so the validation rows weigh zero and no row is copied or moved.  Each
fold's path is :func:`~softmax_regression._path.solve_path`, warm-started
from alpha to alpha as in memory, on a :class:`DaskPathProblem`.

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

from ._dask import (
    DaskMultinomialLoss,
    _broadcast,
    _class_factors,
    _compute,
    _dask_solver,
    _tree_sum,
    dask_loss,
    is_dask_collection,
    penalised_objective,
    persist_dask_data,
)
from ._dask_folds import Fold, dask_folds
from ._estimator import SoftmaxRegression
from ._objective import Objective
from ._path import PathResult, solve_path
from ._path_scoring import model_at, neg_log_loss
from ._validation import check_weighted_classes


@dataclass
class DaskPathProblem:
    """The data of a regularisation path held in chunks on Dask workers.

    It offers what :func:`~softmax_regression._path.solve_path` and
    :func:`~softmax_regression._path.default_alphas` read of a
    :class:`~softmax_regression._path.PathProblem`; every point's objective
    shares the one persisted ``loss``, with the point's penalty.

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
        return self.loss.n_features

    @property
    def dtype(self) -> np.dtype:
        """The dtype the path is fitted in (X's)."""
        return self.loss.dtype

    def class_totals(self) -> NDArray[np.float64]:
        """The total weight of each class."""
        return self.weights

    def solver(self, estimator: SoftmaxRegression) -> str:
        """``"lbfgs"`` or ``"newton-cg"`` (``"auto"``); others are refused."""
        return _dask_solver(estimator)

    def objective(self, estimator: SoftmaxRegression) -> Objective:
        """The shared loss plus ``estimator``'s penalty."""
        return penalised_objective(estimator, self.loss)


class DaskSearch:
    """The persisted data, folds and per-fold paths of a Dask search.

    Parameters
    ----------
    estimator : SoftmaxRegressionCV
        Its ``cv``, ``class_weight`` and ``fit_intercept`` are read; its
        ``n_features_in_`` (and ``feature_names_in_``) are set.
    X : dask.array.Array or dask.dataframe.DataFrame
        The features.
    y : dask or in-memory array-like of shape (n_samples,)
        The labels.
    sample_weight : dask or in-memory array-like of shape (n_samples,) or None
        The sample weights.

    Attributes
    ----------
    problem : DaskPathProblem
        All the rows: the default grid and the refit use it.
    folds : list of Fold
        The folds of ``estimator.cv``.
    require : str
        joblib's ``require`` for running folds side by side: threads
        sharing the client (each evaluation is a round trip to the
        cluster, so folds in threads keep the workers busy).
    """

    require = "sharedmem"

    def __init__(self, estimator, X, y, sample_weight=None) -> None:
        self._estimator = estimator
        self._weighted = sample_weight is not None
        self.data = persist_dask_data(estimator, X, y, sample_weight)
        self.problem = self._problem(self.data.weight, self.data.labels.weights)
        self.folds = dask_folds(estimator.cv, self.data)

    def _problem(self, weight, totals: NDArray) -> DaskPathProblem:
        """The path problem of the rows ``weight`` weighs, whose classes'
        total sample weights are ``totals``."""
        classes = self.data.labels.classes
        factors = _class_factors(self._estimator, classes, totals)
        weighted = totals * factors if factors is not None else totals
        check_weighted_classes(weighted, np.arange(classes.size), classes)
        loss = dask_loss(
            self.data.X,
            self.data.y,
            weight,
            classes=classes,
            class_factors=factors,
            weight_total=float(weighted.sum()),
            fit_intercept=self._estimator.fit_intercept,
        )
        return DaskPathProblem(loss, classes, weighted)

    def fold_path(
        self, fold: Fold, template: SoftmaxRegression, alphas: NDArray, scorer
    ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """Fit the path on ``fold``'s training rows (the others weigh zero)
        and score each point on its validation rows.

        Returns
        -------
        scores, coefs, intercepts, n_iters : ndarray
            As ``_InMemorySearch.fold_path`` in :mod:`softmax_regression._cv`.
        """
        weight = self.data.weight * fold.train
        problem = self._problem(weight, self._class_weight_sums(weight))
        path = solve_path(template, problem, alphas)
        del problem  # releases the fold's chunk losses on the workers
        if scorer is neg_log_loss:
            scores = self._log_loss_scores(fold, path)
        else:
            scores = self._scorer_scores(fold, template, alphas, path, scorer)
        return scores, path.coefs, path.intercepts, path.n_iters

    def _class_weight_sums(self, weight) -> NDArray[np.float64]:
        """The total of ``weight`` over each class, summed on the workers."""
        from dask import delayed

        count = delayed(_chunk_class_sums, pure=True)
        classes = self.data.labels.classes
        parts = [
            count(yb, wb, classes)
            for yb, wb in zip(
                self.data.y.to_delayed().ravel(),
                weight.to_delayed().ravel(),
                strict=True,
            )
        ]
        return _compute(_tree_sum(parts))[0]

    def _log_loss_scores(self, fold: Fold, path: PathResult) -> NDArray:
        """The default score of every point, on the workers: each chunk sums
        its validation rows' weighted cross-entropies at every point."""
        from dask import delayed

        data = self.data
        coefs, intercepts = _broadcast(path.coefs), _broadcast(path.intercepts)
        score = delayed(_chunk_log_losses, pure=True)
        parts = [
            score(xb, yb, wb, tb, data.labels.classes, coefs, intercepts)
            for xb, yb, wb, tb in zip(
                data.X.to_delayed().ravel(),
                data.y.to_delayed().ravel(),
                data.weight.to_delayed().ravel(),
                fold.test.to_delayed().ravel(),
                strict=True,
            )
        ]
        losses, weight = _compute(_tree_sum(parts))[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            return -losses / weight

    def _scorer_scores(
        self, fold: Fold, template, alphas, path: PathResult, scorer
    ) -> NDArray:
        """``scorer`` at every point, called on the validation rows of X as a
        lazy Dask array and their labels (and weights) gathered."""
        X_test, y_test, weight_test = self._validation_rows(fold)
        params = {"sample_weight": weight_test} if self._weighted else {}
        computing = _ComputedPredictions(**template.get_params())
        classes = self.data.labels.classes
        return np.array(
            [
                scorer(
                    model_at(computing, alpha, classes, coef, intercept),
                    X_test,
                    y_test,
                    **params,
                )
                for alpha, coef, intercept in zip(
                    alphas, path.coefs, path.intercepts, strict=True
                )
            ],
            dtype=np.float64,
        )

    def _validation_rows(self, fold: Fold):
        """The validation rows of X (lazy, with known chunk sizes, none
        empty), and their labels and sample weights, computed."""
        data = self.data
        n_chunks = len(fold.test.chunks[0])
        counts, y_test, weight_test = _compute(
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
    return _compute(result)[0] if is_dask_collection(result) else result


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
