"""SoftmaxRegressionCV's scoring: scorer names scored over all the classes
(also those a validation fold lacks), and ``score`` by ``scoring``."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold

from softmax_regression import SoftmaxRegression, SoftmaxRegressionCV

ALPHAS = [1e-1, 1e-2]
METRICS = {"neg_log_loss": log_loss, "neg_brier_score": brier_score_loss}


@pytest.fixture
def rare_class(iris_scaled):
    """Iris with 3 members of class 2, and the folds of StratifiedKFold(5)
    on it: two of the five validation parts have none of class 2."""
    X, y = iris_scaled
    keep = np.r_[0:100, 100:103]
    X, y = X[keep], y[keep]
    with pytest.warns(UserWarning, match="only 3 members"):
        folds = list(StratifiedKFold(5).split(X, y))
    assert sum(2 not in y[test] for _, test in folds) == 2
    return X, y, folds


@pytest.mark.parametrize("scoring", sorted(METRICS))
def test_scorer_names_score_a_fold_without_a_class(rare_class, scoring):
    """As LogisticRegressionCV: a scorer name whose metric takes ``labels``
    is given all the classes, so a validation part lacking one scores."""
    X, y, folds = rare_class
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=folds, scoring=scoring, tol=1e-8)
    clf.fit(X, y)
    assert np.all(np.isfinite(clf.scores_))
    for fold, (train, test) in enumerate(folds):
        for index, alpha in enumerate(ALPHAS):
            model = SoftmaxRegression(alpha=alpha, tol=1e-8).fit(X[train], y[train])
            proba = model.predict_proba(X[test])
            expected = -METRICS[scoring](y[test], proba, labels=[0, 1, 2])
            assert clf.scores_[fold, 0, index] == pytest.approx(expected, abs=1e-6)


def test_neg_log_loss_by_name_is_the_default_score(rare_class):
    X, y, folds = rare_class
    default = SoftmaxRegressionCV(alphas=ALPHAS, cv=folds).fit(X, y)
    named = SoftmaxRegressionCV(alphas=ALPHAS, cv=folds, scoring="neg_log_loss")
    np.testing.assert_allclose(named.fit(X, y).scores_, default.scores_, rtol=1e-9)


def test_sample_weight_reaches_a_labelled_scorer(rare_class):
    X, y, folds = rare_class
    weight = np.linspace(0.5, 2.0, len(y))
    clf = SoftmaxRegressionCV(alphas=[0.1], cv=folds, scoring="neg_log_loss")
    clf.fit(X, y, sample_weight=weight)
    train, test = folds[0]
    model = SoftmaxRegression(alpha=0.1).fit(X[train], y[train], weight[train])
    expected = -log_loss(
        y[test],
        model.predict_proba(X[test]),
        sample_weight=weight[test],
        labels=[0, 1, 2],
    )
    assert clf.scores_[0, 0, 0] == pytest.approx(expected, abs=1e-6)


# -- score ------------------------------------------------------------------------
def test_score_uses_scoring(rare_class):
    """As LogisticRegressionCV.score: the ``scoring`` of the search, with
    ``labels`` (a test set may lack a class) and ``sample_weight``."""
    X, y, _ = rare_class
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3, scoring="neg_log_loss").fit(X, y)
    proba = clf.predict_proba(X)
    assert clf.score(X, y) == pytest.approx(-log_loss(y, proba))
    weight = np.linspace(0.5, 2.0, len(y))
    assert clf.score(X, y, sample_weight=weight) == pytest.approx(
        -log_loss(y, proba, sample_weight=weight)
    )
    no_two = y != 2
    assert clf.score(X[no_two], y[no_two]) == pytest.approx(
        -log_loss(y[no_two], proba[no_two], labels=[0, 1, 2])
    )


def test_score_with_a_callable_scoring(rare_class):
    X, y, folds = rare_class

    def scorer(estimator, X_test, y_test, sample_weight=None):
        return -float(np.sum(estimator.predict(X_test) != y_test))

    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=folds, scoring=scorer).fit(X, y)
    assert clf.score(X, y) == -np.sum(clf.predict(X) != y)


def test_score_without_scoring_is_accuracy(rare_class):
    """``scoring=None`` scores by accuracy, as LogisticRegressionCV's, though
    the search itself uses the negative log loss."""
    X, y, folds = rare_class
    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=folds).fit(X, y)
    weight = np.linspace(0.5, 2.0, len(y))
    assert clf.score(X, y) == accuracy_score(y, clf.predict(X))
    assert clf.score(X, y, sample_weight=weight) == pytest.approx(
        accuracy_score(y, clf.predict(X), sample_weight=weight)
    )
