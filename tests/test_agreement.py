"""Agreement with scikit-learn's LogisticRegression on the same objective.

As docs/user_guide.rst derives ("Matching scikit-learn's LogisticRegression",
for the objective of its section "The objective"), ``LogisticRegression(C)``
minimises our objective for ``alpha = 1 / (C * sum(s))``; with two classes it
fits one vector ``v`` where we keep ``w_1 = -w_0 = v / 2``, so there
``C = 2 / (alpha * sum(s))``.  The reference is scikit-learn's
``newton-cholesky`` solver at ``tol=1e-10``, which converges quadratically to
the optimum.
"""

import functools

import numpy as np
import pytest
from _datasets import (
    load_digits_data,
    load_iris_data,
    load_pendigits,
    load_wine_data,
)
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression, cross_entropy
from softmax_regression._solvers import EXACT_SOLVERS

ALPHA = 1e-4
LOADERS = {
    "iris": load_iris_data,
    "wine": load_wine_data,
    "digits": load_digits_data,
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "pendigits": load_pendigits,
}


def _objective(coef, intercept, X, y_index, weight, alpha, l1_ratio=0.0):
    logits = X @ coef.T + intercept
    penalty = 0.5 * (1 - l1_ratio) * np.sum(coef**2) + l1_ratio * np.sum(np.abs(coef))
    return cross_entropy(logits, y_index, weight) + alpha * penalty


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


# The proximal solvers are for the non-smooth penalties; their L2 fits are
# checked on the smaller sets.  FISTA, a first-order method, needs thousands
# of iterations on the badly conditioned digits and pendigits, and
# prox-newton's inner iterations on digits' 650-square Hessian cost seconds.
_SLOW_FOR_L2 = {
    ("digits", "fista"),
    ("pendigits", "fista"),
    ("digits", "prox-newton"),
}


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "name, solver",
    [
        (name, solver)
        for name in sorted(LOADERS)
        for solver in EXACT_SOLVERS
        if (name, solver) not in _SLOW_FOR_L2
    ],
)
@pytest.mark.parametrize("kind", ["unweighted", "sample_weight", "class_weight"])
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


# -- L1 and elastic net: scikit-learn's saga -------------------------------
SPARSE_ALPHA = 1e-2


@functools.cache
def _saga_problem(name, l1_ratio):
    """Standardised data, random sample weights and saga's optimum of the
    matching problem (docs/user_guide.rst's mapping; for two classes the split
    ``w_1 = -w_0 = v / 2`` halves the L2 term but not the L1 term, so
    ``C = 2 / ((1 + r) alpha S)`` and scikit-learn's ``l1_ratio = 2 r / (1 + r)``).
    saga converges linearly on these small, well-conditioned sets; at
    ``tol=1e-12`` its coefficients are within about 1e-7 of the optimum."""
    X, y = LOADERS[name]()
    X = StandardScaler().fit_transform(X)
    weight = np.random.default_rng(7).uniform(0.2, 3.0, size=len(y))
    two = len(np.unique(y)) == 2
    S = weight.sum()
    C = 2 / ((1 + l1_ratio) * SPARSE_ALPHA * S) if two else 1 / (SPARSE_ALPHA * S)
    sklearn_l1_ratio = 2 * l1_ratio / (1 + l1_ratio) if two else l1_ratio
    with threadpool_limits(limits=1, user_api="blas"):
        reference = LogisticRegression(
            C=C, l1_ratio=sklearn_l1_ratio, solver="saga", tol=1e-12, max_iter=100_000
        ).fit(X, y, sample_weight=weight)
    return X, y, weight, reference


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["fista", "prox-newton"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_l1_and_elastic_net_match_sklearn_saga(name, l1_ratio, solver):
    X, y, weight, reference = _saga_problem(name, l1_ratio)
    ours = SoftmaxRegression(
        alpha=SPARSE_ALPHA, l1_ratio=l1_ratio, tol=1e-10, max_iter=10_000, solver=solver
    ).fit(X, y, sample_weight=weight)

    proba_gap = np.max(np.abs(ours.predict_proba(X) - reference.predict_proba(X)))
    assert proba_gap < 1e-6, proba_gap

    ref_coef, ref_intercept = _full_softmax_parameters(reference)
    y_index = np.searchsorted(ours.classes_, y)
    args = (X, y_index, weight, SPARSE_ALPHA, l1_ratio)
    f_ours = _objective(ours.coef_, ours.intercept_, *args)
    f_ref = _objective(ref_coef, ref_intercept, *args)
    # ours is the lower (saga stops on the change of its coefficients)
    assert f_ours <= f_ref + 1e-14 and f_ref - f_ours <= 1e-10 * f_ref
    # the same coefficients vanish (saga's zeros are exact too)
    np.testing.assert_array_equal(ours.coef_ == 0, ref_coef == 0)
    assert np.any(ours.coef_ == 0)
    np.testing.assert_allclose(ours.coef_, ref_coef, atol=1e-5)
