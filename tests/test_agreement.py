"""Agreement with scikit-learn's LogisticRegression on the same objective.

DESIGN.md: ``LogisticRegression(C)`` minimises our objective for
``alpha = 1 / (C * sum(s))``; with two classes it fits one vector ``v`` where
we keep ``w_1 = -w_0 = v / 2``, so there ``C = 2 / (alpha * sum(s))``.  The
reference is scikit-learn's ``newton-cholesky`` solver at ``tol=1e-10``,
which converges quadratically to the optimum.
"""

import functools

import numpy as np
import pytest
from _datasets import load_pendigits
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression, cross_entropy
from softmax_regression._solvers import SOLVERS

ALPHA = 1e-4
LOADERS = {
    "iris": lambda: load_iris(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "pendigits": load_pendigits,
}


def _objective(coef, intercept, X, y_index, weight, alpha):
    logits = X @ coef.T + intercept
    return cross_entropy(logits, y_index, weight) + 0.5 * alpha * np.sum(coef**2)


def _full_softmax_parameters(reference):
    """scikit-learn's parameters in the symmetric K-row parameterisation."""
    if reference.coef_.shape[0] == 1:
        coef = np.vstack([-reference.coef_ / 2, reference.coef_ / 2])
        return coef, np.array([-0.5, 0.5]) * reference.intercept_[0]
    return reference.coef_, reference.intercept_


def _weights(name, y, kind):
    rng = np.random.default_rng(len(name))
    classes = np.unique(y)
    if kind == "sample_weight":
        return rng.uniform(0.2, 3.0, size=len(y)), None
    if kind == "class_weight":
        class_weight = {
            c: float(w)
            for c, w in zip(classes, rng.uniform(0.5, 2, len(classes)), strict=True)
        }
        return None, class_weight
    return None, None


@functools.cache
def _problem(name, kind):
    """Data, weights and scikit-learn's optimum, computed once per case."""
    X, y = LOADERS[name]()
    X = StandardScaler().fit_transform(X)
    sample_weight, class_weight = _weights(name, y, kind)
    classes, y_index = np.unique(y, return_inverse=True)
    weight = np.ones(len(y)) if sample_weight is None else sample_weight.copy()
    if class_weight is not None:
        weight *= np.array([class_weight[c] for c in classes])[y_index]
    C = (2.0 if len(classes) == 2 else 1.0) / (ALPHA * weight.sum())
    # one BLAS thread: numpy's and scipy's pools otherwise fight on 2 cores
    with threadpool_limits(limits=1, user_api="blas"):
        reference = LogisticRegression(
            C=C,
            tol=1e-10,
            max_iter=1000,
            solver="newton-cholesky",
            class_weight=class_weight,
        ).fit(X, y, sample_weight=sample_weight)
    return X, y, y_index, sample_weight, class_weight, weight, reference


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", sorted(set(SOLVERS) - {"sgd"}))  # exact solvers
@pytest.mark.parametrize("kind", ["unweighted", "sample_weight", "class_weight"])
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_matches_sklearn_optimum(name, kind, solver):
    X, y, y_index, sample_weight, class_weight, weight, reference = _problem(name, kind)
    ours = SoftmaxRegression(
        alpha=ALPHA,
        solver=solver,
        tol=1e-10,
        max_iter=10_000,
        class_weight=class_weight,
    ).fit(X, y, sample_weight=sample_weight)

    proba_gap = np.max(np.abs(ours.predict_proba(X) - reference.predict_proba(X)))
    assert proba_gap < 1e-6, proba_gap

    ref_coef, ref_intercept = _full_softmax_parameters(reference)
    f_ours = _objective(ours.coef_, ours.intercept_, X, y_index, weight, ALPHA)
    f_ref = _objective(ref_coef, ref_intercept, X, y_index, weight, ALPHA)
    assert abs(f_ours - f_ref) <= 1e-8 * abs(f_ref), (f_ours, f_ref)

    np.testing.assert_allclose(ours.coef_, ref_coef, atol=1e-4)
    np.testing.assert_allclose(
        ours.intercept_ - ours.intercept_.mean(),
        ref_intercept - ref_intercept.mean(),
        atol=1e-4,
    )
