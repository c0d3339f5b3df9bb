"""Target encoding and weights."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from softmax_regression import _validation
from softmax_regression._validation import encode_labels, sample_weights


def test_encode_labels_roundtrip_for_strings_and_ints():
    for y in (np.array(["b", "a", "c", "a"]), np.array([10, -1, 10, 3])):
        classes, index = encode_labels(y)
        np.testing.assert_array_equal(classes[index], y)
        assert list(classes) == sorted(set(y.tolist()))


INTEGER_DTYPES = [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(INTEGER_DTYPES).flatmap(
        lambda dtype: arrays(dtype, st.integers(1, 60))
    )
)
def test_integer_labels_encode_as_numpy_unique_does(y):
    """The counting path for integer labels (extremes of every dtype
    included) gives np.unique's classes, dtype and inverse exactly."""
    classes, index = encode_labels(y)
    expected_classes, expected_index = np.unique(y, return_inverse=True)
    assert classes.dtype == expected_classes.dtype
    np.testing.assert_array_equal(classes, expected_classes)
    np.testing.assert_array_equal(index, expected_index)
    assert index.dtype == np.intp


def test_integer_labels_are_counted_not_sorted_unless_they_spread_wide():
    assert _validation._small_integer_codes(np.arange(5000) % 7) is not None
    spread = np.array([0, 10**9, 5])  # a span far beyond the labels' number
    assert _validation._small_integer_codes(spread) is None
    classes, index = encode_labels(spread)
    np.testing.assert_array_equal(classes[index], spread)
    for other in (np.array([0.5, 1.5]), np.array([True, False]), np.array(["a"])):
        assert _validation._small_integer_codes(other) is None


def test_many_distinct_integer_labels_still_warn_as_scikit_learn_does():
    with pytest.warns(UserWarning, match="greater than 50% of the number"):
        encode_labels(np.arange(30) % 20)


@pytest.mark.parametrize(
    "n_labels, warns", [(30, True), (16, True), (15, False), (2, False)]
)
def test_many_distinct_string_labels_warn_as_scikit_learn_does(n_labels, warns):
    from sklearn.utils.multiclass import check_classification_targets

    y = np.array([f"label {i % n_labels}" for i in range(30)])
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        classes, index = encode_labels(y)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        check_classification_targets(y)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert len(ours) == warns
    np.testing.assert_array_equal(classes[index], y)


def test_encode_labels_rejects_unsortable_objects():
    with pytest.raises(TypeError, match="strings or numbers of one kind"):
        encode_labels(np.array([None, None], dtype=object))


def test_sample_weights_multiply_class_weights():
    y_index = np.array([0, 1, 1, 2])
    classes = np.array(["a", "b", "c"])
    weight = sample_weights(
        np.array([1.0, 2.0, 3.0, 4.0]), np.zeros((4, 1)), y_index, classes, {"b": 0.5}
    )
    np.testing.assert_allclose(weight, [1.0, 1.0, 1.5, 4.0])


def test_class_weight_zeroing_every_sample_is_rejected():
    with pytest.raises(ValueError, match="every sample has zero weight"):
        sample_weights(
            None, np.zeros((2, 1)), np.array([0, 1]), np.array([0, 1]), {0: 0, 1: 0}
        )
