"""SoftmaxRegressionCV: the search GridSearchCV would do, along warm paths."""

import warnings

import numpy as np
import pytest
from _datasets import load_wine_data
from joblib import parallel_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, get_scorer
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

from softmax_regression import (
    SoftmaxRegression,
    SoftmaxRegressionCV,
    softmax_regression_path,
)

ALPHAS = np.logspace(0, -4, 5)
TOL = 1e-9


@pytest.fixture(scope="module")
def wine_cv():
    """The search on wine_scaled's data, fitted once for the module (a
    module-scoped fixture cannot take the function-scoped wine_scaled)."""
    X, y = load_wine_data(scaled=True)
    return SoftmaxRegressionCV(alphas=ALPHAS, cv=StratifiedKFold(4), tol=TOL).fit(X, y)


def test_same_choice_and_scores_as_grid_search(wine_scaled, wine_cv):
    X, y = wine_scaled
    grid = GridSearchCV(
        SoftmaxRegression(tol=TOL),
        {"alpha": ALPHAS},
        scoring="neg_log_loss",
        cv=StratifiedKFold(4),
    ).fit(X, y)
    assert wine_cv.alpha_ == grid.best_params_["alpha"]
    assert abs(wine_cv.best_score_ - grid.best_score_) < 1e-6
    np.testing.assert_allclose(
        wine_cv.scores_.mean(axis=0)[0], grid.cv_results_["mean_test_score"], atol=1e-6
    )
    np.testing.assert_allclose(
        wine_cv.predict_proba(X), grid.best_estimator_.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("penalty", ["elasticnet", "group"])
def test_l1_ratios_search_matches_grid_search(wine_scaled, penalty):
    X, y = wine_scaled
    alphas, l1_ratios = [1e-1, 1e-2, 1e-3], [0.5, 1.0]
    clf = SoftmaxRegressionCV(
        alphas=alphas, l1_ratios=l1_ratios, penalty=penalty, cv=3, tol=TOL
    ).fit(X, y)
    grid = GridSearchCV(
        SoftmaxRegression(penalty=penalty, tol=TOL),
        {"alpha": alphas, "l1_ratio": l1_ratios},
        scoring="neg_log_loss",
        cv=StratifiedKFold(3),
    ).fit(X, y)
    assert (clf.alpha_, clf.l1_ratio_) == (
        grid.best_params_["alpha"],
        grid.best_params_["l1_ratio"],
    )
    assert abs(clf.best_score_ - grid.best_score_) < 1e-6
    np.testing.assert_allclose(
        clf.predict_proba(X), grid.best_estimator_.predict_proba(X), atol=1e-6
    )


def test_fitted_attributes(wine_scaled, wine_cv):
    X, y = wine_scaled
    clf = wine_cv
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.alphas_, ALPHAS[None, :])
    np.testing.assert_array_equal(clf.l1_ratios_, [0.0])
    assert clf.l1_ratio_ == 0.0 and clf.alpha_ in ALPHAS
    assert clf.scores_.shape == (4, 1, 5) and clf.n_iter_.shape == (4, 1, 5)
    assert clf.coefs_paths_.shape == (4, 1, 5, 3, 13)
    assert clf.intercepts_paths_.shape == (4, 1, 5, 3)
    assert clf.coef_.shape == (3, 13) and clf.intercept_.shape == (3,)
    assert clf.n_features_in_ == 13 and clf.refit_n_iter_ > 0
    best = np.argmax(clf.scores_.mean(axis=0)[0])
    assert clf.best_score_ == clf.scores_.mean(axis=0)[0, best]
    assert clf.decision_function(X).shape == (178, 3)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))
    assert clf.score(X, y) > 0.95
    assert isinstance(clf, SoftmaxRegression)


def test_refit_false_averages_the_folds(wine_scaled, wine_cv):
    X, y = wine_scaled
    clf = SoftmaxRegressionCV(
        alphas=ALPHAS, cv=StratifiedKFold(4), tol=TOL, refit=False
    ).fit(X, y)
    best = np.argmax(clf.scores_.mean(axis=0)[0])
    np.testing.assert_allclose(clf.coef_, clf.coefs_paths_[:, 0, best].mean(axis=0))
    np.testing.assert_allclose(
        clf.intercept_, clf.intercepts_paths_[:, 0, best].mean(axis=0)
    )
    assert clf.refit_n_iter_ == 0
    np.testing.assert_allclose(clf.scores_, wine_cv.scores_)


def test_fold_paths_are_fits_on_the_training_parts(wine_scaled, wine_cv):
    X, y = wine_scaled
    train, test = next(StratifiedKFold(4).split(X, y))
    fold = SoftmaxRegression(alpha=ALPHAS[2], tol=TOL).fit(X[train], y[train])
    np.testing.assert_allclose(wine_cv.coefs_paths_[0, 0, 2], fold.coef_, atol=1e-6)
    expected = get_scorer("neg_log_loss")(fold, X[test], y[test])
    assert abs(wine_cv.scores_[0, 0, 2] - expected) < 1e-6


@pytest.mark.parametrize("scoring", ["accuracy", "neg_brier_score"])
def test_scorer_names(wine_scaled, scoring):
    X, y = wine_scaled
    clf = SoftmaxRegressionCV(alphas=ALPHAS[:3], cv=3, scoring=scoring).fit(X, y)
    for fold, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        for index, alpha in enumerate(ALPHAS[:3]):
            model = SoftmaxRegression(alpha=alpha).fit(X[train], y[train])
            expected = get_scorer(scoring)(model, X[test], y[test])
            assert clf.scores_[fold, 0, index] == pytest.approx(expected, abs=1e-3)


def test_callable_scorer_and_sample_weight_reach_the_scorer(wine_scaled):
    X, y = wine_scaled
    seen = []

    def scorer(estimator, X_test, y_test, sample_weight=None):
        seen.append(sample_weight)
        return accuracy_score(y_test, estimator.predict(X_test), sample_weight=None)

    weight = np.linspace(0.5, 2.0, len(y))
    SoftmaxRegressionCV(alphas=[0.1], cv=KFold(3), scoring=scorer).fit(
        X, y, sample_weight=weight
    )
    for sample_weight, (_, test) in zip(seen, KFold(3).split(X), strict=True):
        np.testing.assert_array_equal(sample_weight, weight[test])


def test_integer_sample_weight_is_repeated_rows(wine_scaled):
    X, y = wine_scaled
    weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    fold_of_row = np.arange(len(y)) % 3
    repeated_fold = np.repeat(fold_of_row, weight)

    def splits(folds):
        return [
            (np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(3)
        ]

    weighted = SoftmaxRegressionCV(alphas=ALPHAS, cv=splits(fold_of_row), tol=TOL)
    weighted.fit(X, y, sample_weight=weight)
    repeated = SoftmaxRegressionCV(alphas=ALPHAS, cv=splits(repeated_fold), tol=TOL)
    repeated.fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted.scores_, repeated.scores_, atol=1e-7)
    assert weighted.alpha_ == repeated.alpha_
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-7
    )
    unweighted = SoftmaxRegressionCV(alphas=ALPHAS, cv=splits(fold_of_row), tol=TOL)
    assert not np.allclose(unweighted.fit(X, y).scores_, weighted.scores_)


def test_a_class_missing_from_a_training_part(wine_scaled):
    X, y = wine_scaled
    rows_of_2 = np.flatnonzero(y == 2)
    # fold 0 trains without class 2 and validates on all of it
    first_test = np.concatenate([rows_of_2, np.flatnonzero(y != 2)[::4]])
    first_train = np.setdiff1d(np.arange(len(y)), first_test)
    second_train, second_test = first_test, first_train
    clf = SoftmaxRegressionCV(
        alphas=[1e-1, 1e-2], cv=[(first_train, first_test), (second_train, second_test)]
    ).fit(X, y)
    assert np.all(np.isfinite(clf.scores_))
    # the class it never saw gets a small probability on its validation part
    coef, intercept = clf.coefs_paths_[0, 0, 0], clf.intercepts_paths_[0, 0, 0]
    unseen = SoftmaxRegression(alpha=0.1)
    unseen.classes_, unseen.coef_, unseen.intercept_ = clf.classes_, coef, intercept
    unseen.n_features_in_ = X.shape[1]
    assert unseen.predict_proba(X[first_train])[:, 2].max() < 0.01
    # a score over the three classes: worse than the fold that saw class 2
    assert clf.scores_[0].max() < clf.scores_[1].max()


def test_a_training_part_with_one_class_is_rejected(iris):
    X, y = iris
    train, test = np.flatnonzero(y == 0), np.flatnonzero(y != 0)
    with pytest.raises(ValueError, match="at least 2 classes with positive"):
        SoftmaxRegressionCV(alphas=[0.1], cv=[(train, test)]).fit(X, y)


def test_default_grid_is_the_path_grid(wine_scaled):
    X, y = wine_scaled
    clf = SoftmaxRegressionCV(alphas=4, cv=3).fit(X, y)
    alphas, _, _, _ = softmax_regression_path(X, y, n_alphas=4)
    np.testing.assert_allclose(clf.alphas_[0], alphas)


def test_l1_ratios_are_validated(wine_scaled):
    X, y = wine_scaled
    with pytest.raises(ValueError, match=r"l1_ratios must lie in \[0, 1\]"):
        SoftmaxRegressionCV(alphas=[0.1], l1_ratios=[0.0, 1.5]).fit(X, y)
    with pytest.raises(ValueError, match="does not support the 'elasticnet' penalty"):
        SoftmaxRegressionCV(alphas=[0.1], l1_ratios=[0.5], solver="lbfgs").fit(X, y)


def test_parallel_folds_give_the_same_result(wine_scaled, wine_cv):
    X, y = wine_scaled
    # threads: the dispatch and the order of the results are joblib's either
    # way, and starting worker processes would cost seconds
    with parallel_config(backend="threading"):
        parallel = SoftmaxRegressionCV(
            alphas=ALPHAS, cv=StratifiedKFold(4), tol=TOL, n_jobs=2
        ).fit(X, y)
    np.testing.assert_allclose(parallel.scores_, wine_cv.scores_, atol=1e-12)
    np.testing.assert_allclose(parallel.coef_, wine_cv.coef_, atol=1e-10)


def test_string_labels_and_two_classes(iris):
    X, y = iris
    X, y = X[50:], np.array(["versicolor", "virginica"])[y[50:] - 1]
    clf = SoftmaxRegressionCV(alphas=[1e-1, 1e-3], cv=3).fit(X, y)
    assert clf.decision_function(X).shape == (100,)
    assert set(clf.predict(X)) == {"versicolor", "virginica"}


def test_nan_scores_are_never_chosen(wine_scaled):
    X, y = wine_scaled

    def scorer(estimator, X_test, y_test):
        # the scorer sees the point's alpha; the weakest penalty scores NaN
        if estimator.alpha == ALPHAS[-1]:
            return np.nan
        return -estimator.alpha

    clf = SoftmaxRegressionCV(alphas=ALPHAS, cv=3, scoring=scorer).fit(X, y)
    assert clf.alpha_ == ALPHAS[-2]
    assert np.all(np.isnan(clf.scores_[:, 0, -1]))
    with pytest.raises(ValueError, match="Every point of the grid has a NaN"):
        SoftmaxRegressionCV(alphas=ALPHAS, cv=3, scoring=lambda *a: np.nan).fit(X, y)


def test_bad_alphas_are_rejected(wine_scaled):
    X, y = wine_scaled
    with pytest.raises(ValueError, match="alphas must be >= 0"):
        SoftmaxRegressionCV(alphas=[0.1, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="'alphas' parameter"):
        SoftmaxRegressionCV(alphas=0).fit(X, y)


def test_refit_at_alpha_zero_warns_when_it_separates(iris):
    X, y = iris
    separable = (y == y[0]).astype(int)  # setosa against the rest
    search = SoftmaxRegressionCV(alphas=[0.0], cv=3, tol=1e-6)
    with pytest.warns(ConvergenceWarning, match="separates the training data"):
        search.fit(X, separable)
    penalised = SoftmaxRegressionCV(alphas=[1e-2], cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        penalised.fit(X, separable)
