"""Scoring the points of a regularisation path: a fitted-looking model at
each point, the default score of cross-validation, and the loop over a
path's points that every search shares."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.base import clone

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
