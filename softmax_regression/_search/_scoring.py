"""Scoring the points of a regularisation path: a fitted-looking model at
each point, the default score of cross-validation, the scorer a
``scoring`` names (given all the classes), and the loop over a path's
points that every search shares."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn import config_context
from sklearn.base import clone
from sklearn.metrics import get_scorer

from .._cross_entropy import cross_entropy
from .._estimator import SoftmaxRegression


def neg_log_loss(estimator, X, y, sample_weight=None) -> float:
    """The default score: minus the weighted mean cross-entropy over all of
    ``estimator.classes_``, from the log-probabilities ``z - logsumexp(z)``
    (no probability is clipped, none underflows to ``log(0)``)."""
    # the log-probabilities are logits whose logsumexp is 0: their
    # cross-entropy is the model's, whatever the logits' common shift
    log_proba = estimator.predict_log_proba(X).astype(np.float64, copy=False)
    y_index = np.searchsorted(estimator.classes_, y)
    return -cross_entropy(log_proba, y_index, sample_weight)


class LabelledScorer:
    """A scikit-learn scorer whose metric is given ``labels=classes``.

    A validation part (or a test set) may lack a class; a metric that finds
    the classes in ``y_true`` (``log_loss``, ``brier_score_loss``, ...) then
    refuses the model's ``n_classes`` columns of probabilities.  As
    ``LogisticRegressionCV`` does, the scorer of a name whose metric takes
    ``labels`` is called with all the classes.  The labels reach the metric
    as metadata (scikit-learn's public way of passing a metric more
    arguments), so metadata routing is enabled for the call.

    Parameters
    ----------
    scorer : callable
        A scorer of :func:`sklearn.metrics.get_scorer` whose metric takes
        ``labels``.
    classes : ndarray of shape (n_classes,)
        The labels of the model scored.
    """

    def __init__(self, scorer, classes) -> None:
        self.scorer = scorer
        self.classes = classes
        self.takes_weight = "sample_weight" in _metric_params(scorer)

    def __call__(self, estimator, X, y, sample_weight=None) -> float:
        """``scorer(estimator, X, y)`` with ``labels`` (and
        ``sample_weight``, where given and the metric takes it)."""
        params = {"labels": self.classes}
        if sample_weight is not None and self.takes_weight:
            params["sample_weight"] = sample_weight
        with config_context(enable_metadata_routing=True):
            return self.scorer(estimator, X, y, **params)

    def __repr__(self) -> str:
        return f"{self.scorer!r} with labels={self.classes.tolist()!r}"


def _metric_params(scorer) -> frozenset[str]:
    """The names of the arguments a scorer's metric takes beyond the true
    and predicted values (its metadata, from its public routing)."""
    return frozenset(scorer.get_metadata_routing().score.requests)


def search_scorer(scoring, classes):
    """The scorer of a search's ``scoring`` for a model of ``classes``.

    Parameters
    ----------
    scoring : str, callable or None
        As ``SoftmaxRegressionCV``'s.
    classes : ndarray of shape (n_classes,)
        The labels of the search.

    Returns
    -------
    callable
        :func:`neg_log_loss` for None; for a name, its scorer, given all
        the classes when its metric takes ``labels``
        (:class:`LabelledScorer`); a callable as it is.
    """
    if scoring is None:
        return neg_log_loss
    if not isinstance(scoring, str):
        return scoring
    scorer = get_scorer(scoring)
    if "labels" in _metric_params(scorer):
        return LabelledScorer(scorer, classes)
    return scorer


def model_at(template, alpha, classes, coef, intercept) -> SoftmaxRegression:
    """A fitted-looking clone of ``template`` with the solution at ``alpha``,
    for a scorer to call."""
    model = clone(template).set_params(alpha=float(alpha))
    model.classes_ = classes
    model.coef_ = coef
    model.intercept_ = intercept
    model.n_features_in_ = coef.shape[1]
    return model


def path_scores(
    scorer,
    template,
    classes: NDArray,
    alphas: NDArray,
    path,
    X_test,
    y_test,
    sample_weight=None,
) -> NDArray[np.float64]:
    """``scorer`` at every point of ``path`` on the validation rows.

    Parameters
    ----------
    scorer : callable
        ``scorer(estimator, X, y, **params)``, higher is better.
    template : SoftmaxRegression
        The unfitted configuration each point's model is cloned from.
    classes : ndarray of shape (n_classes,)
        The labels.
    alphas : ndarray of shape (n_alphas,)
        The path's strengths.
    path : PathResult
        The path's coefficients and intercepts.
    X_test, y_test : array-like
        The validation rows and their labels.
    sample_weight : array-like, default=None
        The validation rows' weights, passed to the scorer when given.

    Returns
    -------
    ndarray of shape (n_alphas,)
    """
    params = {} if sample_weight is None else {"sample_weight": sample_weight}
    return np.array(
        [
            scorer(
                model_at(template, alpha, classes, coef, intercept),
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
