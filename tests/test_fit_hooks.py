"""Observing a fit's iterations from outside the estimator."""

import numpy as np

from softmax_regression import SoftmaxRegression
from softmax_regression._fit_hooks import iteration_callback, observe_iterations


def test_observer_sees_every_iteration_beside_verbose(iris, capsys):
    X, y = iris
    seen = []
    with observe_iterations(lambda n, w, value, grad: seen.append((n, value, grad))):
        model = SoftmaxRegression(solver="lbfgs", verbose=1).fit(X, y)
    printed = capsys.readouterr().out.splitlines()
    assert [n for n, _, _ in seen] == list(range(1, model.n_iter_ + 1))
    assert len(printed) == model.n_iter_  # verbose output is kept
    values = np.array([value for _, value, _ in seen])
    assert np.all(np.diff(values) <= 0) and seen[-1][2] <= model.tol
    SoftmaxRegression(solver="lbfgs").fit(X, y)  # outside the block: not observed
    assert len(seen) == model.n_iter_


def test_callback_is_whichever_is_set():
    def own(*args):
        return None

    assert iteration_callback(None) is None
    assert iteration_callback(own) is own
    with observe_iterations(own):
        assert iteration_callback(None) is own
