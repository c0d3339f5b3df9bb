"""Target encoding, weights and the solver x penalty check."""

import numpy as np
import pytest

from softmax_regression._validation import (
    check_solver_penalty,
    encode_labels,
    penalty_name,
    sample_weights,
)


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


def test_penalty_names_and_solver_table():
    assert penalty_name(1e-4, 0.0) == "l2"
    assert penalty_name(0.0, 0.7) == "l2"  # no penalty at all
    assert penalty_name(1e-4, 1.0) == "l1"
    assert penalty_name(1e-4, 0.3) == "elasticnet"
    assert penalty_name(1e-4, 0.3, "group") == "group"
    assert penalty_name(1e-4, 1.0, "group") == "group"
    assert penalty_name(1e-4, 0.0, "group") == "l2"
    check_solver_penalty("lbfgs", "l2")
    for name in ("l2", "l1", "elasticnet", "group"):
        check_solver_penalty("fista", name)
    with pytest.raises(
        ValueError,
        match="solver='lbfgs' does not support the 'l1' penalty "
        r"\(l1_ratio > 0\): use solver='fista' or solver='prox-newton' or "
        "solver='auto'",
    ):
        check_solver_penalty("lbfgs", "l1")
