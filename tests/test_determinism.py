"""Determinism: the same data and random_state give the same bits, in this
process and in a fresh one, for every solver; thread counts agree to the
accuracy of the fit."""

import hashlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import column_layout_pays
from softmax_regression._solvers import SOLVERS

# every registered solver, so solvers added later are covered too
SOLVER_NAMES = sorted(SOLVERS)
_DATA = dict(
    n_samples=12_000, n_features=20, n_informative=10, n_classes=5, random_state=0
)


@pytest.fixture(scope="module")
def data():
    # 12,000 rows of 20 features and 5 classes: several blocks of rows, so
    # that two threads really split the work
    return make_classification(**_DATA)


def _fit(X, y, solver, **params):
    return SoftmaxRegression(solver=solver, random_state=0, **params).fit(X, y)


def _digest(clf) -> str:
    return hashlib.sha256(clf.coef_.tobytes() + clf.intercept_.tobytes()).hexdigest()


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_refitting_gives_identical_bits(data, solver):
    X, y = data
    first, second = _fit(X, y, solver), _fit(X, y, solver)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    assert first.n_iter_ == second.n_iter_


def test_a_fresh_process_gives_identical_bits(data):
    script = textwrap.dedent(
        f"""
        import hashlib, json
        from sklearn.datasets import make_classification
        from softmax_regression import SoftmaxRegression
        X, y = make_classification(**{_DATA!r})
        digests = {{}}
        for solver in {SOLVER_NAMES!r}:
            clf = SoftmaxRegression(solver=solver, random_state=0).fit(X, y)
            raw = clf.coef_.tobytes() + clf.intercept_.tobytes()
            digests[solver] = hashlib.sha256(raw).hexdigest()
        print(json.dumps(digests))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    fresh = json.loads(out.stdout)
    X, y = data
    assert fresh == {solver: _digest(_fit(X, y, solver)) for solver in SOLVER_NAMES}


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_thread_counts_agree_to_the_accuracy_of_the_fit(data, solver, container):
    """Not to the bit: the sums run in another order, and a conjugate-gradient
    solve whose residual lies within rounding of its target may take one
    product more on one thread count (then the last Newton step differs at
    the solve's accuracy: predict_proba by up to 3e-6 here)."""
    X, y = data
    X = container(X)
    one = _fit(X, y, solver, n_jobs=1)
    two = _fit(X, y, solver, n_jobs=2)
    np.testing.assert_allclose(two.predict_proba(X), one.predict_proba(X), atol=1e-5)
    # and each thread count is itself reproducible to the bit
    np.testing.assert_array_equal(_fit(X, y, solver, n_jobs=2).coef_, two.coef_)


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
def test_wide_sparse_data_read_by_columns_agrees_on_two_threads(solver):
    """More features than rows: the loss reads X by columns (CSC), whose
    columns the two threads share; the same agreement as by rows."""
    rng = np.random.default_rng(5)
    X = sp.random(400, 3_000, density=0.01, format="csr", random_state=rng)
    y = rng.integers(0, 3, size=400)
    assert column_layout_pays(X, n_classes=3)
    one = _fit(X, y, solver, n_jobs=1, alpha=1e-2)
    two = _fit(X, y, solver, n_jobs=2, alpha=1e-2)
    np.testing.assert_allclose(two.predict_proba(X), one.predict_proba(X), atol=1e-5)
    again = _fit(X, y, solver, n_jobs=2, alpha=1e-2)
    np.testing.assert_array_equal(again.coef_, two.coef_)
