"""Scoring the points of a regularisation path: a fitted-looking model at
each point, and the default score of cross-validation."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from ._cross_entropy import cross_entropy
from ._estimator import SoftmaxRegression


def neg_log_loss(estimator, X, y, sample_weight=None) -> float:
    """The default score: minus the weighted mean cross-entropy over all of
    ``estimator.classes_``, from the logits (no probability is clipped)."""
    logits = estimator._logits(X).astype(np.float64, copy=False)
    return -cross_entropy(logits, np.searchsorted(estimator.classes_, y), sample_weight)


def model_at(template, alpha, classes, coef, intercept) -> SoftmaxRegression:
    """A fitted-looking clone of ``template`` with the solution at ``alpha``,
    for a scorer to call."""
    model = clone(template).set_params(alpha=float(alpha))
    model.classes_ = classes
    model.coef_ = coef
    model.intercept_ = intercept
    model.n_features_in_ = coef.shape[1]
    return model
