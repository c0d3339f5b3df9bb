"""The fitting core: configuration, starting point, solve, fitted parameters
and warnings, called directly as the path, CV and Dask call them."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from softmax_regression import SoftmaxRegression
from softmax_regression._fit_hooks import SolveReport, observe_solves
from softmax_regression._fitting import (
    FitConfig,
    Fitted,
    fit_objective,
    in_memory_objective,
    penalised,
    start_point,
)
from softmax_regression._loss import ParameterLayout
from softmax_regression._penalty import GroupElasticNetPenalty, L2Penalty


def _encoded(X, y):
    classes, target = np.unique(y, return_inverse=True)
    return classes, target, np.ones(X.shape[0])


def test_config_reads_the_estimators_parameters_and_ignores_the_rest():
    estimator = SoftmaxRegression(alpha=0.5, solver="lbfgs", batch_size=7, tol=1e-3)
    config = FitConfig.from_params(estimator.get_params(), verbose=2)
    assert config == FitConfig(alpha=0.5, solver="lbfgs", tol=1e-3, verbose=2)
    assert config.at(0.25).alpha == 0.25 and config.alpha == 0.5
    assert isinstance(config.make_penalty(3), L2Penalty)
    group = FitConfig(l1_ratio=0.5, penalty="group").make_penalty(3)
    assert isinstance(group, GroupElasticNetPenalty) and group.n_classes == 3


def test_fit_objective_is_what_fit_computes(iris):
    X, y = iris
    config = FitConfig(alpha=1e-3, tol=1e-8)
    classes, target, weight = _encoded(X, y)
    objective = in_memory_objective(config, X, target, weight, len(classes))
    solver = config.resolve_solver(*X.shape, len(classes))
    reports = []
    with observe_solves(reports.append):
        fitted, result = fit_objective(
            config, objective, classes, solver, start_point(objective.layout, classes)
        )
    estimator = SoftmaxRegression(alpha=1e-3, tol=1e-8).fit(X, y)
    np.testing.assert_array_equal(fitted.coef, estimator.coef_)
    np.testing.assert_array_equal(fitted.intercept, estimator.intercept_)
    assert fitted.solver == solver == estimator._solver == "newton-cholesky"
    assert fitted.n_iter == result.n_iter == estimator.n_iter_
    assert abs(fitted.intercept.sum()) < 1e-12  # centred
    assert reports == [SolveReport(solver, result.n_iter, True, result.message)]


def test_start_point_is_a_warm_start_only_when_it_fits():
    layout = ParameterLayout(3, 2, fit_intercept=True)
    classes = np.array([0, 1, 2])
    coef, intercept = np.arange(6.0).reshape(3, 2), np.array([1.0, 2.0, 3.0])
    previous = Fitted(classes, coef, intercept)
    w = start_point(layout, classes, previous)
    np.testing.assert_array_equal(w, [0, 1, 2, 3, 4, 5, 1, 2, 3])
    np.testing.assert_array_equal(start_point(layout, classes), layout.zeros())
    other = Fitted(np.array([0, 1, 3]), coef, intercept)
    np.testing.assert_array_equal(start_point(layout, classes, other), 0.0)
    narrow = Fitted(classes, coef[:, :1], intercept)
    np.testing.assert_array_equal(start_point(layout, classes, narrow), 0.0)


def test_the_core_warns_about_no_convergence_and_separation(iris):
    X, y = iris
    classes, target, weight = _encoded(X, y)
    config = FitConfig(alpha=0.0, solver="lbfgs", max_iter=3)
    objective = in_memory_objective(config, X, target, weight, len(classes))
    with pytest.warns(ConvergenceWarning, match=r"solver='lbfgs'.*max_iter=3"):
        fit_objective(config, objective, classes, "lbfgs", objective.layout.zeros())
    separable = target < 1  # setosa against the rest: linearly separable
    config = FitConfig(alpha=0.0, tol=1e-6)
    objective = in_memory_objective(config, X, separable.astype(np.intp), weight, 2)
    with pytest.warns(ConvergenceWarning, match="separates the training data"):
        fit_objective(
            config, objective, np.array([0, 1]), "lbfgs", objective.layout.zeros()
        )


def test_penalised_pairs_any_loss_with_the_configured_penalty(iris):
    X, y = iris
    _, target, weight = _encoded(X, y)
    plain = in_memory_objective(FitConfig(), X, target, weight, 3)
    objective = penalised(FitConfig(alpha=0.1, l1_ratio=1.0), plain.loss)
    assert objective.loss is plain.loss and objective.penalty_name == "l1"
    assert "prox" in objective.offers and "value_and_grad" not in objective.offers


def test_a_stochastic_objective_keeps_sparse_rows_sliceable():
    """Mini-batches slice rows: by_rows keeps (or makes) sparse X CSR, where
    a batch fit of wide sparse X reads it by columns."""
    import scipy.sparse as sp

    from softmax_regression._fitting import FitConfig, in_memory_objective

    X = sp.random(100, 5000, density=0.01, format="csr", random_state=0)
    target, weight = np.arange(100) % 3, np.ones(100)
    assert in_memory_objective(FitConfig(), X, target, weight, 3).loss.X.format == "csc"
    for given in (X, X.tocsc()):
        objective = in_memory_objective(
            FitConfig(), given, target, weight, 3, by_rows=True
        )
        assert objective.loss.X.format == "csr"
        assert objective.take(np.arange(10)).loss.X.format == "csr"
