"""L2Penalty: value, gradient and Hessian agree."""

import numpy as np
import pytest

from softmax_regression._penalty import L2Penalty


def test_value_gradient_hessp():
    coef = np.random.default_rng(0).normal(size=(3, 4))
    penalty = L2Penalty(0.3)
    assert penalty.value(coef) == pytest.approx(0.15 * np.sum(coef**2))
    np.testing.assert_allclose(penalty.gradient(coef), 0.3 * coef)
    np.testing.assert_allclose(penalty.hessp(coef), 0.3 * coef)
    assert L2Penalty(0.0).value(coef) == 0.0


def test_negative_strength_is_rejected():
    with pytest.raises(ValueError, match="strength must be >= 0"):
        L2Penalty(-1.0)
