"""Properties that must hold for every input, checked with hypothesis:
softmax and log_softmax, the loss gradient, and invariances of a fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from softmax_regression import SoftmaxRegression, log_softmax, softmax
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty
from softmax_regression._solvers import EXACT_SOLVERS

# every fit here is well posed and must converge
pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

FLOATS = [np.float32, np.float64]
SOFTMAX_EXAMPLES = settings(max_examples=150, deadline=None)
# The same examples every run (CI must not pass or fail by chance).
FIT_EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True)


def finite_logits(dtype, max_value=1e4):
    return arrays(
        dtype,
        st.tuples(st.integers(1, 6), st.integers(1, 8)),
        elements=st.floats(-max_value, max_value, width=np.dtype(dtype).itemsize * 8),
    )


def _ulp_tolerance(dtype, n_classes):
    """4 units in the last place of 1, once per term of the normalising sum."""
    return 4 * np.finfo(dtype).eps * n_classes


# -- softmax and log_softmax ------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@SOFTMAX_EXAMPLES
@given(data=st.data())
def test_probabilities_in_unit_interval_and_sum_to_one(dtype, data):
    z = data.draw(finite_logits(dtype))
    p = softmax(z)
    assert p.dtype == dtype
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(
        p.sum(axis=1), 1.0, rtol=0, atol=_ulp_tolerance(dtype, z.shape[1])
    )


@SOFTMAX_EXAMPLES
@given(z=finite_logits(np.float64), shift=st.floats(-1e3, 1e3))
def test_shift_invariance(z, shift):
    np.testing.assert_allclose(softmax(z + shift), softmax(z), atol=1e-12)
    np.testing.assert_allclose(log_softmax(z + shift), log_softmax(z), atol=1e-9)


@SOFTMAX_EXAMPLES
@given(z=finite_logits(np.float64), seed=st.integers(0, 2**32 - 1))
def test_permutation_equivariance(z, seed):
    perm = np.random.default_rng(seed).permutation(z.shape[1])
    # equal up to the order of the normalising sum: a few ulp
    np.testing.assert_allclose(softmax(z[:, perm]), softmax(z)[:, perm], rtol=1e-15)
    # log-probabilities: the normaliser's log(1 + a few ulp) is absolute
    np.testing.assert_allclose(
        log_softmax(z[:, perm]),
        log_softmax(z)[:, perm],
        rtol=1e-15,
        atol=_ulp_tolerance(np.float64, z.shape[1]),
    )


@SOFTMAX_EXAMPLES
@given(z=finite_logits(np.float64, max_value=1e307))
def test_log_softmax_finite_and_equals_log_of_softmax_where_finite(z):
    # |z| <= 1e307 keeps every difference z_j - max(z) representable, so
    # every log-probability is a finite number, however small exp of it is
    logp = log_softmax(z)
    assert np.all(np.isfinite(logp)) and np.all(logp <= 0)
    with np.errstate(divide="ignore"):
        log_of_p = np.log(softmax(z))
    finite = np.isfinite(log_of_p) & (log_of_p > -700)  # p not subnormal
    np.testing.assert_allclose(logp[finite], log_of_p[finite], rtol=1e-12, atol=1e-12)


# -- the loss gradient ------------------------------------------------------
@st.composite
def loss_problems(draw):
    """A small weighted problem, labels or probability rows, and a point."""
    n = draw(st.integers(1, 12))
    d = draw(st.integers(1, 4))
    k = draw(st.integers(2, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * draw(st.sampled_from([0.1, 1.0, 3.0]))
    soft = draw(st.booleans())
    target = rng.dirichlet(np.ones(k), size=n) if soft else rng.integers(0, k, n)
    weight = rng.uniform(0.1, 3.0, size=n)
    loss = MultinomialLoss(X, target, weight, k, fit_intercept=draw(st.booleans()))
    objective = Objective(loss, L2Penalty(draw(st.sampled_from([0.0, 1e-2, 1.0]))))
    w = rng.normal(size=loss.n_params)
    direction = rng.normal(size=loss.n_params)
    return objective, w, direction


@settings(max_examples=100, deadline=None)
@given(problem=loss_problems())
def test_gradient_matches_central_differences(problem):
    objective, w, v = problem
    _, grad = objective.value_and_grad(w)
    h = 1e-5
    numeric = (objective.value(w + h * v) - objective.value(w - h * v)) / (2 * h)
    # central differences err by O(h^2) times the third derivative, plus the
    # rounding of F = logsumexp(z) - z_y: about eps * |z| / h, absolute
    scale = np.abs(grad) @ np.abs(v) + abs(objective.value(w))
    assert abs(grad @ v - numeric) <= 1e-6 * scale + 1e-9


@settings(max_examples=50, deadline=None)
@given(problem=loss_problems())
def test_hessp_matches_differences_of_the_gradient(problem):
    objective, w, v = problem
    h = 1e-5
    numeric = (
        objective.value_and_grad(w + h * v)[1] - objective.value_and_grad(w - h * v)[1]
    ) / (2 * h)
    # the gradient's entries (p - y) x are exact to about eps * |x|: its
    # differences lose eps * |x| / h to rounding, absolute
    np.testing.assert_allclose(objective.hessp(w, v), numeric, rtol=1e-5, atol=1e-8)


# -- invariances of a fit -----------------------------------------------------
@st.composite
def classification_problems(draw):
    """Small data with every class present, and a solver to fit it."""
    k = draw(st.integers(2, 4))
    n = draw(st.integers(2 * k, 30))
    d = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y = np.r_[np.arange(k), rng.integers(0, k, n - k)]
    X = rng.normal(size=(n, d)) + rng.normal(size=(k, d))[y]
    solver = draw(st.sampled_from(EXACT_SOLVERS))
    return X, y, solver, rng


def _model(solver):
    # a penalty keeps every problem strictly convex with a finite optimum;
    # a gradient below tol puts the coefficients within tol / alpha of it,
    # so tol=1e-10 keeps two fits within the 1e-8 of _assert_same_fit
    return SoftmaxRegression(alpha=1e-2, solver=solver, tol=1e-10)


def _assert_same_fit(a, b):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-6, atol=1e-8)


@FIT_EXAMPLES
@given(problem=classification_problems())
def test_fit_is_invariant_to_row_order(problem):
    X, y, solver, rng = problem
    order = rng.permutation(len(y))
    _assert_same_fit(_model(solver).fit(X, y), _model(solver).fit(X[order], y[order]))


@FIT_EXAMPLES
@given(problem=classification_problems())
def test_duplicating_every_row_with_half_weight_changes_nothing(problem):
    X, y, solver, rng = problem
    weight = rng.uniform(0.5, 2.0, size=len(y))
    once = _model(solver).fit(X, y, sample_weight=weight)
    twice = _model(solver).fit(
        np.r_[X, X], np.r_[y, y], sample_weight=np.r_[weight, weight] / 2
    )
    _assert_same_fit(once, twice)


@FIT_EXAMPLES
@given(problem=classification_problems())
def test_relabelling_classes_permutes_the_model(problem):
    X, y, solver, rng = problem
    k = int(y.max()) + 1
    new_label = rng.permutation(k)  # class j is called new_label[j]
    names = np.array([f"class {label}" for label in new_label])
    original = _model(solver).fit(X, y)
    relabelled = _model(solver).fit(X, names[y])
    # classes_ are sorted: row r of the relabelled model is old class order[r]
    order = np.argsort(names)
    np.testing.assert_array_equal(relabelled.classes_, names[order])
    np.testing.assert_allclose(
        relabelled.coef_, original.coef_[order], rtol=1e-6, atol=1e-8
    )
    np.testing.assert_array_equal(relabelled.predict(X), names[original.predict(X)])
