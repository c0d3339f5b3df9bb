"""Target encoding and weights."""

import numpy as np
import pytest

from softmax_regression._validation import encode_labels, sample_weights


def test_encode_labels_roundtrip_for_strings_and_ints():
    for y in (np.array(["b", "a", "c", "a"]), np.array([10, -1, 10, 3])):
        classes, index = encode_labels(y)
        np.testing.assert_array_equal(classes[index], y)
        assert list(classes) == sorted(set(y.tolist()))


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
