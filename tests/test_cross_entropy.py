"""cross_entropy and cross_entropy_grad against definitions and differences."""

import numpy as np
import pytest

from softmax_regression import cross_entropy, cross_entropy_grad, log_softmax


def _problem(seed=0, n=7, k=4):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 3
    labels = rng.integers(0, k, size=n)
    proba = rng.dirichlet(np.ones(k), size=n)
    weight = rng.uniform(0.1, 2.0, size=n)
    return logits, labels, proba, weight


def test_value_matches_definition_for_labels_and_probabilities():
    logits, labels, proba, weight = _problem()
    logp = log_softmax(logits)
    expected = -logp[np.arange(len(labels)), labels].mean()
    assert cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-14)
    expected_soft = -(weight * (proba * logp).sum(axis=1)).sum() / weight.sum()
    assert cross_entropy(logits, proba, weight) == pytest.approx(
        expected_soft, rel=1e-14
    )


def test_one_hot_probabilities_equal_labels():
    logits, labels, _, weight = _problem(1)
    one_hot = np.eye(logits.shape[1])[labels]
    assert cross_entropy(logits, one_hot, weight) == pytest.approx(
        cross_entropy(logits, labels, weight), rel=1e-14
    )


@pytest.mark.parametrize("soft", [False, True])
def test_gradient_matches_central_differences(soft):
    logits, labels, proba, weight = _problem(2)
    target = proba if soft else labels
    grad = cross_entropy_grad(logits, target, weight)
    numeric = np.zeros_like(logits)
    h = 1e-6
    for idx in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[idx] = h
        numeric[idx] = (
            cross_entropy(logits + step, target, weight)
            - cross_entropy(logits - step, target, weight)
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, atol=1e-9)


def test_unweighted_gradient_is_p_minus_y_over_m():
    logits, labels, _, _ = _problem(3)
    p = np.exp(log_softmax(logits))
    y = np.eye(logits.shape[1])[labels]
    np.testing.assert_allclose(
        cross_entropy_grad(logits, labels), (p - y) / len(labels), atol=1e-15
    )


def test_huge_logits_stay_finite():
    logits = np.array([[1e308, -1e308], [0.0, 800.0]])
    assert np.isfinite(cross_entropy(logits, [0, 1]))
    assert np.all(np.isfinite(cross_entropy_grad(logits, [0, 1])))


def test_bad_targets_are_rejected_clearly():
    logits = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        cross_entropy(logits, [0, 1, 2])
    with pytest.raises(TypeError, match="integer class indices"):
        cross_entropy(logits, [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="3 rows"):
        cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(logits, np.ones((3, 3)) / 3)
    with pytest.raises(ValueError, match="2-D"):
        cross_entropy(np.zeros(3), [0, 1, 0])
    with pytest.raises(ValueError, match="positive sum"):
        cross_entropy(logits, [0, 1, 0], sample_weight=[0, 0, 0])
