"""softmax, log_softmax, logsumexp: extremes, dtypes, axes and bad logits
(their hypothesis properties are in test_properties.py)."""

import numpy as np
import pytest
from scipy import special

from softmax_regression import log_softmax, logsumexp, softmax

FLOATS = [np.float32, np.float64]


def test_extreme_finite_logits_give_exact_finite_probabilities():
    p = softmax([1e308, -1e308])
    assert p.tolist() == [1.0, 0.0]
    assert softmax([1e308, 1e308]).tolist() == [0.5, 0.5]
    assert softmax([-1e308, -1e308]).tolist() == [0.5, 0.5]
    assert np.all(np.isfinite(log_softmax([1e308, 1e307])))
    assert logsumexp([1e308, 1e308]) == pytest.approx(1e308)  # no overflow


def test_plus_inf_takes_all_the_mass():
    assert softmax([np.inf, 0.0, -5.0]).tolist() == [1.0, 0.0, 0.0]
    assert softmax([np.inf, 1.0, np.inf]).tolist() == [0.5, 0.0, 0.5]
    assert log_softmax([np.inf, 3.0]).tolist() == [0.0, -np.inf]
    assert logsumexp([np.inf, 3.0]) == np.inf


def test_minus_inf_gets_zero_and_others_stay_finite():
    z = np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, -np.inf]])
    p = softmax(z)
    assert p[0, 0] == 0.0 and p[1].tolist() == [1.0, 0.0, 0.0]
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    logp = log_softmax(z)
    assert logp[0, 0] == -np.inf
    assert np.all(np.isfinite(logp[0, 1:])) and logp[1, 0] == 0.0
    np.testing.assert_allclose(logsumexp(z), special.logsumexp(z, axis=1))


def test_all_minus_inf_slice():
    assert logsumexp([-np.inf, -np.inf]) == -np.inf
    assert np.all(np.isnan(softmax([-np.inf, -np.inf])))


def test_log_softmax_never_takes_log_of_underflowed_probability():
    logp = log_softmax(np.array([0.0, -1000.0]))
    assert logp.tolist() == [0.0, -1000.0]
    assert softmax([0.0, -1000.0])[1] == 0.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_is_preserved(dtype):
    z = np.arange(6, dtype=dtype).reshape(2, 3)
    for func in (softmax, log_softmax, logsumexp):
        assert func(z).dtype == dtype


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool])
def test_integer_and_bool_input_computed_in_float64(dtype):
    z = np.ones((2, 3), dtype=dtype)
    assert softmax(z).dtype == np.float64
    np.testing.assert_allclose(softmax(z), 1 / 3)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_argument_matches_scipy(axis):
    z = np.random.default_rng(0).normal(size=(4, 5)) * 30
    np.testing.assert_allclose(softmax(z, axis=axis), special.softmax(z, axis=axis))
    np.testing.assert_allclose(
        log_softmax(z, axis=axis), special.log_softmax(z, axis=axis)
    )
    np.testing.assert_allclose(logsumexp(z, axis=axis), special.logsumexp(z, axis=axis))
    assert logsumexp(z, axis=axis, keepdims=True).ndim == 2


def test_bad_logits_are_rejected_clearly():
    with pytest.raises(TypeError, match="complex"):
        softmax(np.array([1j, 2.0]))
    with pytest.raises(TypeError, match="numeric"):
        softmax(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="scalar"):
        softmax(3.0)
    with pytest.raises(ValueError, match="empty"):
        softmax(np.zeros((3, 0)))
