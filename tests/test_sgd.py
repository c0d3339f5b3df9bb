"""solver="sgd" and partial_fit: the streaming optimiser."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty
from softmax_regression._solvers._sgd import StochasticOptimizer, solve

ALPHA = 1e-2


def _objective_value(clf, X, y, alpha=ALPHA):
    """F(W, b) of docs/user_guide.rst, "The objective" (mean cross-entropy
    plus the L2 penalty)."""
    log_proba = clf.predict_log_proba(X)
    cross_entropy = -np.mean(log_proba[np.arange(len(y)), y])
    return cross_entropy + alpha / 2 * float(np.sum(clf.coef_**2))


def _stream(clf, X, y, n_batches, classes=(0, 1, 2), **kwargs):
    for rows in np.array_split(np.arange(len(y)), n_batches):
        clf.partial_fit(X[rows], y[rows], classes=classes, **kwargs)
    return clf


@pytest.mark.parametrize(
    "settings",
    [
        dict(learning_rate_init=1e-2, batch_size=32, average=False),
        dict(
            sgd_update="momentum", learning_rate_init=0.1, batch_size=32, average=False
        ),
    ],
    ids=["adam", "momentum"],
)
def test_sgd_fit_approaches_the_batch_optimum(iris_scaled, settings):
    X, y = iris_scaled
    optimum = SoftmaxRegression(alpha=ALPHA, tol=1e-10).fit(X, y)
    sgd = SoftmaxRegression(
        alpha=ALPHA,
        solver="sgd",
        learning_rate="adaptive",
        max_iter=2000,
        random_state=0,
        **settings,
    ).fit(X, y)
    best = _objective_value(optimum, X, y)
    gap = (_objective_value(sgd, X, y) - best) / best
    assert 0 <= gap < 2e-3, gap
    assert sgd.n_iter_ == len(sgd.loss_curve_) < 2000
    assert sgd.best_loss_ == min(sgd.loss_curve_)
    assert sgd.validation_scores_ is None and sgd.best_validation_score_ is None
    assert sgd.t_ == sgd.n_iter_ * len(y)
    assert sgd._solver == "sgd" and sgd.solver == "sgd"


def test_same_random_state_same_fit_other_state_other_fit(iris_scaled):
    X, y = iris_scaled
    params = dict(solver="sgd", batch_size=16, max_iter=20, alpha=ALPHA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = SoftmaxRegression(random_state=3, **params).fit(X, y)
        again = SoftmaxRegression(random_state=3, **params).fit(X, y)
        other = SoftmaxRegression(random_state=4, **params).fit(X, y)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    assert first.loss_curve_ == again.loss_curve_
    assert not np.array_equal(first.coef_, other.coef_)
    streamed = [
        _stream(SoftmaxRegression(random_state=3, batch_size=16), X, y, 5).coef_
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*streamed)


def test_early_stopping_keeps_the_best_validation_score(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(
        solver="sgd",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        learning_rate_init=1e-2,
        random_state=0,
    ).fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) == len(clf.loss_curve_) == clf.n_iter_ < clf.max_iter
    assert clf.best_validation_score_ == max(scores) >= 0.75
    assert clf.best_loss_ is None
    # it stopped because the last n_iter_no_change + 1 epochs did not improve
    assert max(scores[-6:]) <= max(scores[:-6]) + clf.tol
    assert clf.t_ == clf.n_iter_ * 120  # 80 % of the rows train


def test_early_stopping_with_a_tiny_validation_set_is_refused(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="The validation set is too small"):
        SoftmaxRegression(
            solver="sgd", early_stopping=True, validation_fraction=0.01
        ).fit(X[::10], y[::10])


def test_max_iter_reached_warns_in_epochs(iris_scaled):
    X, y = iris_scaled
    with pytest.warns(ConvergenceWarning, match=r"3 iterations \(max_iter=3\)") as rec:
        SoftmaxRegression(solver="sgd", max_iter=3, random_state=0).fit(X, y)
    assert "improving by more than tol" in str(rec[0].message)


def test_partial_fit_records_one_pass_per_call_and_improves(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(alpha=ALPHA, learning_rate_init=1e-2, random_state=0)
    for epoch in range(30):
        _stream(clf, X, y, 5)
        if epoch == 0:
            first_pass = _objective_value(clf, X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 150
    assert clf.t_ == 30 * len(y)
    assert _objective_value(clf, X, y) < first_pass
    assert clf.score(X, y) > 0.8
    assert clf.validation_scores_ is None


def test_partial_fit_batch_may_lack_classes(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(random_state=0)
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    clf.partial_fit(X[y == 2], y[y == 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.coef_.shape == (3, 4)


def test_partial_fit_ignores_solver(iris_scaled):
    X, y = iris_scaled
    fits = [
        _stream(SoftmaxRegression(solver=name, random_state=0), X, y, 3).coef_
        for name in ("sgd", "lbfgs", "auto")
    ]
    np.testing.assert_array_equal(fits[0], fits[1])
    np.testing.assert_array_equal(fits[0], fits[2])


def test_partial_fit_after_fit_continues_from_it(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression(alpha=ALPHA, tol=1e-10).fit(X, y)
    optimum, n_iter = _objective_value(clf, X, y), clf.n_iter_
    clf.set_params(learning_rate_init=1e-4)
    clf.partial_fit(X, y)  # classes known from fit
    assert clf.n_iter_ == n_iter + 1
    assert _objective_value(clf, X, y) == pytest.approx(optimum, rel=1e-4)
    assert len(clf.loss_curve_) == 1


def test_refit_with_a_batch_solver_drops_the_streaming_state(iris_scaled):
    X, y = iris_scaled
    clf = _stream(SoftmaxRegression(random_state=0), X, y, 3)
    assert hasattr(clf, "loss_curve_")
    clf.set_params(solver="lbfgs").fit(X, y)
    assert not hasattr(clf, "loss_curve_") and not hasattr(clf, "t_")


def test_partial_fit_integer_weights_equal_repeated_rows(iris_scaled):
    X, y = iris_scaled
    weight = np.random.default_rng(0).integers(0, 4, len(y))
    one_batch = dict(batch_size=1000, random_state=0, alpha=ALPHA)
    weighted = SoftmaxRegression(**one_batch)
    repeated = SoftmaxRegression(**one_batch)
    for _ in range(5):
        weighted.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weight)
        repeated.partial_fit(
            np.repeat(X, weight, axis=0), np.repeat(y, weight), classes=[0, 1, 2]
        )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_data_give_the_dense_fit(iris_scaled, container):
    X, y = iris_scaled
    params = dict(solver="sgd", batch_size=32, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = SoftmaxRegression(**params).fit(X, y)
        sparse = SoftmaxRegression(**params).fit(container(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    streamed = _stream(SoftmaxRegression(random_state=0), container(X), y, 3)
    reference = _stream(SoftmaxRegression(random_state=0), X, y, 3)
    np.testing.assert_allclose(streamed.coef_, reference.coef_, rtol=1e-10)


def test_partial_fit_takes_probability_rows(iris_scaled):
    X, y = iris_scaled
    rows = np.eye(3)[y]
    soft = _stream(SoftmaxRegression(random_state=0), X, rows, 3, classes=None)
    hard = _stream(SoftmaxRegression(random_state=0), X, y, 3)
    np.testing.assert_array_equal(soft.classes_, [0, 1, 2])
    np.testing.assert_allclose(soft.coef_, hard.coef_, rtol=1e-12)


def test_momentum_update_and_schedules_run(iris_scaled):
    X, y = iris_scaled
    schedules = {
        "constant": dict(learning_rate_init=0.05),
        "invscaling": dict(learning_rate_init=1.0, power_t=0.25),
        "adaptive": dict(learning_rate_init=0.05, tol=1e-3, n_iter_no_change=3),
    }
    for schedule, settings in schedules.items():
        clf = SoftmaxRegression(
            solver="sgd",
            sgd_update="momentum",
            learning_rate=schedule,
            random_state=0,
            max_iter=300,
            **settings,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        assert clf.score(X, y) > 0.9, schedule
    assert clf._optimizer.learning_rate_value < 0.05  # adaptive divided it


def test_averaging_reports_the_mean_of_the_iterates(iris_scaled):
    X, y = iris_scaled
    settings = dict(batch_size=1000, shuffle=False, learning_rate_init=0.1)
    averaged = SoftmaxRegression(average=True, **settings)
    plain = SoftmaxRegression(average=False, **settings)
    iterates = []
    for _ in range(4):
        averaged.partial_fit(X, y, classes=[0, 1, 2])
        plain.partial_fit(X, y, classes=[0, 1, 2])
        iterates.append(plain.coef_.astype(float))
    # one step per call: the average is the mean of the plain run's coefficients
    np.testing.assert_allclose(averaged.coef_, np.mean(iterates, axis=0), rtol=1e-12)
    late = SoftmaxRegression(average=300, **settings)
    for _ in range(4):
        late.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(late.coef_, np.mean(iterates[1:], axis=0), rtol=1e-12)


def test_invscaling_decays_with_samples_seen():
    optimizer = StochasticOptimizer(learning_rate="invscaling", power_t=0.5)
    optimizer.n_samples_seen = 99
    optimizer.end_epoch(1.0, np.zeros(2), tol=1e-4)
    assert optimizer.learning_rate_value == pytest.approx(1e-2 / 10)


def test_divergence_is_reported(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match=r"SGD diverged.*Lower learning_rate_init"):
        SoftmaxRegression(
            solver="sgd",
            sgd_update="momentum",
            learning_rate_init=1e3,
            alpha=1.0,
            batch_size=1,
            max_iter=5,
        ).fit(X, y)
    clf = SoftmaxRegression(alpha=1.0).fit(X, y)
    coef = clf.coef_.copy()
    # the streaming optimiser is made with the settings of the call after fit
    clf.set_params(sgd_update="momentum", learning_rate_init=1e3, batch_size=1)
    with pytest.raises(ValueError, match="SGD diverged"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.coef_, coef)  # the last good state stays
    clf.set_params(learning_rate_init=1e-3).partial_fit(X, y)
    assert np.all(np.isfinite(clf.coef_))


def test_solve_defaults_and_weightless_batches_are_skipped():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    weight = np.r_[np.zeros(20), np.ones(20)]
    objective = Objective(
        MultinomialLoss(X, np.arange(40) % 2, weight, 2), L2Penalty(0)
    )
    optimizer = StochasticOptimizer(batch_size=20, shuffle=False)
    result = solve(
        objective, np.zeros(objective.n_params), tol=0, max_iter=4, optimizer=optimizer
    )
    assert optimizer.n_steps == 4 and optimizer.n_samples_seen == 80
    assert result.n_iter == 4 and not result.converged
    assert result.fun == pytest.approx(objective.value(result.x))


def test_verbose_sgd_prints_each_epoch(iris_scaled, capsys):
    X, y = iris_scaled
    with pytest.warns(ConvergenceWarning):
        SoftmaxRegression(solver="sgd", verbose=1, max_iter=2).fit(X, y)
    assert "iter    2" in capsys.readouterr().out


@pytest.mark.slow
def test_one_pass_of_partial_fit_over_fashion_mnist_nears_the_batch_fit():
    """60 batches of 1,000 images, each seen once, with the default settings
    (Adam at 1e-2, the polynomial-decay average), against the full fit."""
    from _datasets import load_fashion_mnist

    X, y = load_fashion_mnist("train")
    X_test, y_test = load_fashion_mnist("test")
    streamed = SoftmaxRegression(alpha=1e-4, random_state=0)
    for start in range(0, len(y), 1000):
        streamed.partial_fit(
            X[start : start + 1000], y[start : start + 1000], classes=np.arange(10)
        )
    assert streamed.n_iter_ == 60 and streamed.t_ == len(y)
    batch = SoftmaxRegression(alpha=1e-4, tol=1e-3).fit(X, y)
    streamed_accuracy = streamed.score(X_test, y_test)
    batch_accuracy = batch.score(X_test, y_test)
    assert batch_accuracy > 0.84
    assert streamed_accuracy > batch_accuracy - 0.01, (
        streamed_accuracy,
        batch_accuracy,
    )


def test_default_partial_fit_approaches_the_batch_optimum(wine_scaled):
    """300 epochs of 6 batches on standardised wine, default settings: the
    probabilities within 1e-2 of the batch optimum's (the uniform mean
    and no averaging, the old default, stay further away)."""
    X, y = wine_scaled
    optimum = SoftmaxRegression(alpha=1e-2, tol=1e-12).fit(X, y).predict_proba(X)

    def streamed(**settings):
        rng = np.random.default_rng(0)
        model = SoftmaxRegression(alpha=1e-2, random_state=0, **settings)
        for _ in range(300):
            for rows in np.array_split(rng.permutation(len(y)), 6):
                model.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        return np.abs(model.predict_proba(X) - optimum).max()

    default = streamed()
    assert default < 1e-2
    assert streamed(learning_rate_init=1e-3, average=False) > 5 * default
    assert streamed(average=True) > default


# -- bad input ----------------------------------------------------------------
def test_first_partial_fit_needs_classes(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "coef_")


def test_partial_fit_label_outside_classes(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match=r"y contains labels \[2\] that are not in"):
        SoftmaxRegression().partial_fit(X, y, classes=[0, 1])
    clf = SoftmaxRegression().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(
        ValueError, match=r"labels \[2\] that are not in classes \[0, 1\]"
    ):
        clf.partial_fit(X, y)


def test_partial_fit_classes_cannot_change(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression().partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y, classes=[2, 1, 0])  # the same set is fine
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] differs from"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_partial_fit_feature_count_and_names_must_match(iris_scaled):
    X, y = iris_scaled
    clf = SoftmaxRegression().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 features, but SoftmaxRegression is"):
        clf.partial_fit(X[:, :3], y)
    frame = pd.DataFrame(X, columns=list("abcd"))
    named = SoftmaxRegression().partial_fit(frame, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="feature names should match"):
        named.partial_fit(frame.rename(columns={"a": "z"}), y)


def test_partial_fit_refuses_balanced_class_weight(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="class_weight='balanced' cannot be computed"):
        SoftmaxRegression(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    # a dict is fine
    SoftmaxRegression(class_weight={0: 2.0}).partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size="big"), "batch_size"),
        (dict(learning_rate="optimal"), "learning_rate"),
        (dict(learning_rate_init=0.0), "learning_rate_init"),
        (dict(sgd_update="rmsprop"), "sgd_update"),
        (dict(momentum=1.0), "momentum"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(n_iter_no_change=0), "n_iter_no_change"),
        (dict(power_t=-1.0), "power_t"),
    ],
)
def test_invalid_streaming_parameters_are_named(iris_scaled, params, name):
    X, y = iris_scaled
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        SoftmaxRegression(solver="sgd", **params).fit(X, y)
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        SoftmaxRegression(**params).partial_fit(X, y, classes=[0, 1, 2])
