"""SoftmaxRegression fitted for real inside scikit-learn's meta-estimators,
on DataFrames, and with sample_weight routed by metadata routing."""

import numpy as np
import pandas as pd
import polars as pl
import pytest
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import StackingClassifier
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression


def _assert_probabilities(proba, n_samples, n_classes):
    assert proba.shape == (n_samples, n_classes)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


# -- meta-estimators --------------------------------------------------------
def test_pipeline_with_standard_scaler_on_raw_wine(wine):
    X, y = wine  # features on scales from 0.1 to 1000: the scaler matters
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SoftmaxRegression())])
    scores = cross_val_score(
        pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0)
    )
    assert scores.min() > 0.9, scores
    pipe.fit(X, y)
    _assert_probabilities(pipe.predict_proba(X), len(y), 3)
    np.testing.assert_array_equal(pipe.classes_, [0, 1, 2])
    # the pipeline's model is the one fitted on the scaled data
    direct = SoftmaxRegression().fit(StandardScaler().fit_transform(X), y)
    np.testing.assert_allclose(pipe[-1].coef_, direct.coef_, rtol=1e-12)


def test_grid_search_picks_alpha_and_refits(iris_scaled):
    X, y = iris_scaled
    grid = GridSearchCV(
        SoftmaxRegression(), {"alpha": [1e-4, 1e-2, 1.0, 100.0]}, cv=5
    ).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert scores[-1] < 0.9 < grid.best_score_  # alpha=100 underfits badly
    assert grid.best_params_["alpha"] < 100.0
    assert grid.best_estimator_.alpha == grid.best_params_["alpha"]
    np.testing.assert_allclose(
        grid.best_estimator_.coef_,
        SoftmaxRegression(alpha=grid.best_params_["alpha"]).fit(X, y).coef_,
        rtol=1e-12,
    )
    assert grid.score(X, y) > 0.95


def test_cross_val_score_on_digits(digits):
    X, y = digits  # 10 classes, 650 parameters
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression(alpha=1e-2))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9, scores


def test_calibrated_classifier_gives_valid_probabilities(wine):
    X, y = wine
    base = make_pipeline(StandardScaler(), SoftmaxRegression())
    for method in ("sigmoid", "isotonic"):
        calibrated = CalibratedClassifierCV(base, method=method, cv=3).fit(X, y)
        assert len(calibrated.calibrated_classifiers_) == 3
        proba = calibrated.predict_proba(X)
        _assert_probabilities(proba, len(y), 3)
        assert accuracy_score(y, calibrated.classes_[proba.argmax(axis=1)]) > 0.95


def test_calibrated_classifier_binary_uses_one_dimensional_decision_function(
    iris_scaled,
):
    X, y = iris_scaled
    binary = y > 0  # setosa against the rest
    calibrated = CalibratedClassifierCV(SoftmaxRegression(), cv=3).fit(X, binary)
    _assert_probabilities(calibrated.predict_proba(X), len(y), 2)
    assert calibrated.score(X, binary) == 1.0


@pytest.mark.parametrize("stack_method", ["predict_proba", "decision_function"])
def test_stacking_classifier(iris_scaled, stack_method):
    X, y = iris_scaled
    stack = StackingClassifier(
        [
            ("softmax", SoftmaxRegression(alpha=1e-2)),
            ("logistic", LogisticRegression(C=0.1)),
        ],
        final_estimator=SoftmaxRegression(),
        stack_method=stack_method,
        cv=3,
    ).fit(X, y)
    assert stack.stack_method_[0] == stack_method
    features = stack.transform(X)
    assert features.shape[0] == len(y) and np.all(np.isfinite(features))
    softmax_block = features[:, :3]  # three classes: three columns either way
    expected = getattr(stack.named_estimators_["softmax"], stack_method)(X)
    np.testing.assert_allclose(softmax_block, expected, rtol=1e-12)
    _assert_probabilities(stack.predict_proba(X), len(y), 3)
    assert stack.score(X, y) > 0.9


def test_stacking_binary_decision_function_is_one_column(iris_scaled):
    X, y = iris_scaled
    binary = (y == 2).astype(int)
    stack = StackingClassifier(
        [
            ("softmax", SoftmaxRegression()),
            ("logistic", LogisticRegression(C=0.1)),
        ],
        final_estimator=SoftmaxRegression(),
        stack_method="decision_function",
        cv=3,
    ).fit(X, binary)
    assert stack.transform(X).shape == (len(y), 2)  # one score per base model
    assert stack.score(X, binary) > 0.9


def test_one_vs_rest_fits_two_class_softmax_models(iris_scaled):
    X, y = iris_scaled
    ovr = OneVsRestClassifier(SoftmaxRegression()).fit(X, y)
    assert len(ovr.estimators_) == 3
    for k, sub in enumerate(ovr.estimators_):
        np.testing.assert_array_equal(sub.classes_, [0, 1])
        assert sub.coef_.shape == (2, 4)
        np.testing.assert_allclose(sub.coef_[0], -sub.coef_[1], atol=1e-8)
        assert sub.decision_function(X).shape == (len(y),)
        assert sub.score(X, y == k) > 0.7
    scores = ovr.decision_function(X)
    np.testing.assert_allclose(
        scores, np.column_stack([sub.decision_function(X) for sub in ovr.estimators_])
    )
    _assert_probabilities(ovr.predict_proba(X), len(y), 3)
    assert ovr.score(X, y) > 0.9


# -- DataFrames ---------------------------------------------------------------
@pytest.fixture
def wine_frame_scaled(wine_frame):
    """wine_frame with the features standardised by a pandas-output
    StandardScaler (still a DataFrame with the feature names)."""
    X, y = wine_frame
    return StandardScaler().set_output(transform="pandas").fit_transform(X), y


def test_pandas_input_keeps_feature_names_and_predicts_like_numpy(wine_frame_scaled):
    X, y = wine_frame_scaled
    clf = SoftmaxRegression().fit(X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, X.columns.to_numpy())
    assert clf.feature_names_in_.dtype == object and clf.n_features_in_ == 13
    plain = SoftmaxRegression().fit(X.to_numpy(), y.to_numpy())
    assert not hasattr(plain, "feature_names_in_")
    np.testing.assert_array_equal(clf.coef_, plain.coef_)
    np.testing.assert_array_equal(
        clf.predict_proba(X), plain.predict_proba(X.to_numpy())
    )


def test_pandas_reordered_or_renamed_columns_are_refused(wine_frame_scaled):
    X, y = wine_frame_scaled
    clf = SoftmaxRegression().fit(X, y)
    reordered = X[X.columns[::-1]]
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match="must be in the same order"):
            getattr(clf, method)(reordered)
    renamed = X.rename(columns={"alcohol": "ethanol"})
    with pytest.raises(ValueError, match=r"unseen at fit time:\n- ethanol"):
        clf.predict(renamed)
    with pytest.raises(
        ValueError, match=r"seen at fit time, yet now missing:\n- alcohol"
    ):
        clf.predict(renamed)


def test_pandas_names_missing_on_one_side_warn(wine_frame_scaled):
    X, y = wine_frame_scaled
    named = SoftmaxRegression().fit(X, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        proba = named.predict_proba(X.to_numpy())
    np.testing.assert_array_equal(proba, named.predict_proba(X))
    unnamed = SoftmaxRegression().fit(X.to_numpy(), y)
    with pytest.warns(UserWarning, match="X has feature names, but SoftmaxRegression"):
        unnamed.predict(X)


def test_pandas_string_and_categorical_labels(wine_frame_scaled):
    X, y = wine_frame_scaled
    names = pd.Series(np.array(["barolo", "grignolino", "barbera"])[y])
    for labels in (names, names.astype("category")):
        clf = SoftmaxRegression().fit(X, labels)
        np.testing.assert_array_equal(clf.classes_, ["barbera", "barolo", "grignolino"])
        assert clf.score(X, labels) > 0.95


def test_polars_input_keeps_feature_names(wine_frame_scaled, wine_frame):
    X, y = wine_frame_scaled
    frame = pl.from_pandas(X)
    clf = SoftmaxRegression().fit(frame, pl.Series(y.to_numpy()))
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    expected = SoftmaxRegression().fit(X.to_numpy(), y.to_numpy())
    # polars hands over column-major data: same model up to summation order
    np.testing.assert_allclose(
        clf.predict_proba(frame), expected.predict_proba(X.to_numpy()), rtol=1e-10
    )
    with pytest.raises(ValueError, match="must be in the same order"):
        clf.predict(frame.select(frame.columns[::-1]))
    # a pipeline that outputs polars hands the names on to the estimator
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression())
    pipe[0].set_output(transform="polars")
    pipe.fit(wine_frame[0].pipe(pl.from_pandas), y.to_numpy())
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, frame.columns)


# -- metadata routing ---------------------------------------------------------
@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.fixture
def weighted_wine(wine):
    X, y = wine
    weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    return X, y, weight


def _weighted_model(**params):
    return SoftmaxRegression(tol=1e-10, **params).set_fit_request(sample_weight=True)


def test_pipeline_routes_sample_weight_like_repeated_rows(routing, weighted_wine):
    X, y, weight = weighted_wine
    weighted = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=True), _weighted_model()
    ).fit(X, y, sample_weight=weight)
    repeated = make_pipeline(StandardScaler(), SoftmaxRegression(tol=1e-10)).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(
        weighted[-1].coef_, repeated[-1].coef_, rtol=1e-6, atol=1e-8
    )
    unweighted = make_pipeline(StandardScaler(), SoftmaxRegression(tol=1e-10)).fit(X, y)
    assert not np.allclose(weighted[-1].coef_, unweighted[-1].coef_, rtol=1e-3)


def test_unrequested_sample_weight_is_an_error_under_routing(routing, weighted_wine):
    X, y, weight = weighted_wine
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False), SoftmaxRegression()
    )
    with pytest.raises(
        UnsetMetadataPassedError,
        match=r"\[sample_weight\] are passed but are not explicitly set as requested "
        r"or not requested for SoftmaxRegression.fit",
    ):
        pipe.fit(X, y, sample_weight=weight)
    with pytest.raises(UnsetMetadataPassedError, match=r"SoftmaxRegression\.fit"):
        cross_validate(SoftmaxRegression(), X, y, params={"sample_weight": weight})
    # explicitly refused by every step: metadata nobody consumes is an error too
    refused = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        SoftmaxRegression().set_fit_request(sample_weight=False),
    )
    with pytest.raises(TypeError, match=r"\{'sample_weight'\}, which are not routed"):
        refused.fit(X, y, sample_weight=weight)


def test_set_fit_request_needs_routing_enabled():
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        SoftmaxRegression().set_fit_request(sample_weight=True)


def _scaled_weighted_fit(X, y, weight, **params):
    """StandardScaler (unweighted) then SoftmaxRegression fitted with weights."""
    scaler = StandardScaler().fit(X)
    model = SoftmaxRegression(tol=1e-10, **params)
    return scaler, model.fit(scaler.transform(X), y, sample_weight=weight)


def _manual_weighted_cv(X, y, weight, cv, **params):
    """Per-fold weighted accuracy of a model fitted on the fold's weights."""
    scores = []
    for train, test in cv.split(X, y):
        scaler, model = _scaled_weighted_fit(
            X[train], y[train], weight[train], **params
        )
        predicted = model.predict(scaler.transform(X[test]))
        scores.append(accuracy_score(y[test], predicted, sample_weight=weight[test]))
    return np.array(scores)


def _weighted_accuracy():
    return make_scorer(accuracy_score).set_score_request(sample_weight=True)


def test_grid_search_routes_sample_weight_to_fit_and_scorer(routing, wine):
    X, y = wine
    rng = np.random.default_rng(1)
    weight = rng.uniform(0.0, 3.0, size=len(y))
    cv = KFold(4, shuffle=True, random_state=0)
    alphas = [1e-3, 3.0]
    grid = GridSearchCV(
        make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False), _weighted_model()
        ),
        {"softmaxregression__alpha": alphas},
        scoring=_weighted_accuracy(),
        cv=cv,
    ).fit(X, y, sample_weight=weight)
    for i, alpha in enumerate(alphas):
        expected = _manual_weighted_cv(X, y, weight, cv, alpha=alpha)
        got = [grid.cv_results_[f"split{k}_test_score"][i] for k in range(4)]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    # the refit on all data used the weights too
    best_alpha = grid.best_params_["softmaxregression__alpha"]
    _, refit = _scaled_weighted_fit(X, y, weight, alpha=best_alpha)
    np.testing.assert_allclose(grid.best_estimator_[-1].coef_, refit.coef_, rtol=1e-10)


def test_cross_validate_routes_sample_weight(routing, wine):
    X, y = wine
    weight = np.random.default_rng(2).uniform(0.0, 3.0, size=len(y))
    cv = KFold(3, shuffle=True, random_state=1)
    model = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        _weighted_model(alpha=0.3),
    )
    result = cross_validate(
        model,
        X,
        y,
        cv=cv,
        scoring=_weighted_accuracy(),
        params={"sample_weight": weight},
    )
    np.testing.assert_allclose(
        result["test_score"],
        _manual_weighted_cv(X, y, weight, cv, alpha=0.3),
        rtol=1e-12,
    )


def test_routing_does_not_leak_out_of_the_context():
    assert not sklearn.get_config()["enable_metadata_routing"]
