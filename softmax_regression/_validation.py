"""Target encoding, weights, and the solver x penalty compatibility check."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight

from ._solvers import SOLVERS


def _check_label_types(y: NDArray) -> None:
    """Reject labels that mix strings with numbers (they cannot be sorted)."""
    if y.dtype != object or y.size == 0:
        return
    is_str = np.fromiter((isinstance(v, str) for v in y), dtype=bool, count=y.size)
    if is_str.any() and not is_str.all():
        example_str = y[np.argmax(is_str)]
        example_other = y[np.argmin(is_str)]
        raise TypeError(
            "y mixes string and non-string labels (for example "
            f"{example_str!r} and {example_other!r}); convert all labels to one "
            "type, e.g. y.astype(str)."
        )
    if not is_str.any():
        kinds = {type(v) for v in y}
        if not all(issubclass(k, numbers.Number) for k in kinds):
            names = ", ".join(sorted(k.__name__ for k in kinds))
            raise TypeError(
                f"y labels must be strings or numbers of one kind, got types {names}."
            )


def encode_labels(y: NDArray) -> tuple[NDArray, NDArray[np.intp]]:
    """Return ``(classes, indices)`` with ``classes[indices] == y``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class labels: integers, strings or other sortable hashables of one
        kind.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted unique labels.
    indices : ndarray of shape (n_samples,)
        Index of each sample's label in ``classes``.
    """
    _check_label_types(y)
    check_classification_targets(y)
    classes, indices = np.unique(y, return_inverse=True)
    return classes, indices.reshape(-1).astype(np.intp, copy=False)


def sample_weights(
    sample_weight,
    X,
    y_index: NDArray[np.intp],
    classes: NDArray,
    class_weight,
) -> NDArray[np.float64]:
    """Per-sample weights ``s_i = sample_weight_i * class_weight[y_i]``.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative, finite weights, not all zero.
    X : array-like
        The data, for the number of samples.
    y_index : ndarray of shape (n_samples,)
        Encoded labels.
    classes : ndarray of shape (n_classes,)
        The labels, to read a ``class_weight`` dict.
    class_weight : dict, "balanced" or None
        ``"balanced"`` gives class k the weight
        ``sum(s) / (n_classes * sum(s over class k))``, counting the sample
        weights.

    Returns
    -------
    ndarray of shape (n_samples,)
        float64 weights.
    """
    weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
    )
    if class_weight is None:
        return weight
    n_classes = classes.shape[0]
    if isinstance(class_weight, str):  # "balanced"
        per_class = np.bincount(y_index, weights=weight, minlength=n_classes)
        with np.errstate(divide="ignore"):
            factors = np.where(
                per_class > 0, weight.sum() / (n_classes * per_class), 0.0
            )
    else:
        unknown = [label for label in class_weight if label not in set(classes)]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown} that are not classes of y "
                f"{classes.tolist()}."
            )
        factors = np.array(
            [float(class_weight.get(label, 1.0)) for label in classes.tolist()]
        )
        if not np.all(np.isfinite(factors)) or np.any(factors < 0):
            raise ValueError(
                f"class_weight values must be finite and >= 0, got {class_weight}."
            )
    weight *= factors[y_index]
    if not weight.sum() > 0:
        raise ValueError(
            "Sample weights must contain at least one non-zero number after "
            "applying class_weight: every sample has zero weight."
        )
    return weight


def check_weighted_classes(
    weight: NDArray[np.float64], y_index: NDArray[np.intp], classes: NDArray
) -> None:
    """Require at least two classes carrying positive weight."""
    if classes.shape[0] < 2:
        raise ValueError(
            "SoftmaxRegression needs samples of at least 2 classes, but the data "
            f"contains only one class: {classes[0]!r}."
        )
    per_class = np.bincount(y_index, weights=weight, minlength=classes.shape[0])
    weighted = classes[per_class > 0]
    if weighted.shape[0] < 2:
        raise ValueError(
            "SoftmaxRegression needs at least 2 classes with positive sample "
            f"weight, but only one class has any: {weighted.tolist()}."
        )


def penalty_name(alpha: float, l1_ratio: float, penalty: str = "elasticnet") -> str:
    """The penalty implied by ``alpha``, ``l1_ratio`` and ``penalty``:
    ``"l2"``, ``"l1"``, ``"elasticnet"`` or ``"group"``."""
    if l1_ratio == 0 or alpha == 0:
        return "l2"
    if penalty == "group":
        return "group"
    return "l1" if l1_ratio == 1 else "elasticnet"


def check_solver_penalty(solver: str, penalty: str) -> None:
    """Raise a ValueError naming the fix when ``solver`` cannot do ``penalty``.

    This is the one place the solver x penalty table is checked.
    """
    if penalty in SOLVERS[solver].SUPPORTED_PENALTIES:
        return
    able = sorted(
        name for name, mod in SOLVERS.items() if penalty in mod.SUPPORTED_PENALTIES
    )
    fix = (
        "use " + " or ".join(f"solver={name!r}" for name in [*able, "auto"])
        if able
        else "no solver supports it in this version; set l1_ratio=0"
    )
    raise ValueError(
        f"solver={solver!r} does not support the {penalty!r} penalty "
        f"(l1_ratio > 0): {fix}."
    )
