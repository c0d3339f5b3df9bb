"""Input checks, target encoding (labels or probability rows) and weights.

The first step of every fit: nothing here knows of losses, penalties or
solvers."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_array, validate_data

#: The sparse formats and dtypes every fit and prediction accepts without
#: conversion (other numeric input is converted to float64).
ACCEPT_SPARSE = ("csr", "csc")
FLOAT_DTYPES = (np.float64, np.float32)


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


def unknown_labels(y: NDArray, classes: NDArray) -> list:
    """The distinct labels of ``y`` that are not in ``classes``, sorted."""
    known = set(classes.tolist())
    return sorted({label for label in y.tolist() if label not in known}, key=str)


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
    codes = _small_integer_codes(y)
    if codes is not None:
        return codes
    _check_label_types(y)
    # 1-D strings are always classes (scikit-learn's type_of_target calls
    # them binary or multiclass), and its check sorts them twice: 3.8 ms on
    # 22,272 labels, against 1.7 ms for the encoding below, which also
    # gives what the check's warning counts
    strings = y.ndim == 1 and y.dtype.kind in "US"
    if not strings:
        check_classification_targets(y)
    classes, indices = np.unique(y, return_inverse=True)
    if strings and classes.size > 2 and y.size > 20 and classes.size > round(
        0.5 * y.size
    ):
        warnings.warn(
            "The number of unique classes is greater than 50% of the number "
            "of samples. `y` could represent a regression problem, not a "
            "classification problem.",
            UserWarning,
            stacklevel=2,
        )
    return classes, indices.reshape(-1).astype(np.intp, copy=False)


def _small_integer_codes(y: NDArray) -> tuple[NDArray, NDArray[np.intp]] | None:
    """:func:`encode_labels` of 1-D integer labels spanning at most about
    as many values as there are labels, by counting (``np.bincount``)
    instead of sorting: 0.1 ms instead of 2.2 on 20,000 labels, 5% of a
    small fit.  Integer labels are always classes (scikit-learn's
    ``type_of_target`` calls them binary or multiclass); None for any other
    ``y``, and where more than half the labels are distinct, for
    scikit-learn's check to warn that y looks like a regression target."""
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iu":
        return None
    low, high = int(y.min()), int(y.max())
    if high - low > max(2 * y.size, 1 << 10):
        return None
    # y - low in a dtype that holds it: unsigned labels lie at or above low,
    # signed ones within int64, and the span is small
    if y.dtype.kind == "u":
        offsets = (y - y.dtype.type(low)).astype(np.intp)
    else:
        offsets = (y.astype(np.int64) - low).astype(np.intp, copy=False)
    present = np.flatnonzero(np.bincount(offsets, minlength=high - low + 1))
    if y.size > 20 and present.size > round(0.5 * y.size):
        return None  # scikit-learn's check warns that y may be a regression's
    code_of = np.zeros(high - low + 1, dtype=np.intp)
    code_of[present] = np.arange(present.size)
    codes = code_of[offsets]
    # each class's label read back from y (no arithmetic in y's dtype)
    first = np.empty(present.size, dtype=np.intp)
    first[codes[::-1]] = np.arange(y.size - 1, -1, -1)
    return y[first], codes


def is_probability_target(y) -> bool:
    """Whether ``y`` is 2-D with at least two columns: probability rows.

    A single column ``(n, 1)`` still means labels, as in scikit-learn.
    """
    shape = getattr(y, "shape", None)
    if shape is None and isinstance(y, (list, tuple)):
        try:
            shape = np.shape(y)
        except ValueError:  # ragged: validation reports it
            return False
    return shape is not None and len(shape) == 2 and shape[1] >= 2


#: How far a probability row's sum may stray from 1.
PROBABILITY_SUM_TOLERANCE = 1e-6


def check_probability_rows(Y) -> NDArray[np.float64]:
    """``Y`` as float64 rows that are probability distributions.

    Raises a ValueError naming the first row that has a negative or
    non-finite entry or does not sum to 1 within
    :data:`PROBABILITY_SUM_TOLERANCE`.
    """
    try:
        Y = np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "y of shape (n_samples, n_classes) must hold class probabilities "
            f"(numbers), but it could not be converted to float: {error}"
        ) from None
    fix = (
        "Each row must be a probability distribution over the classes; "
        "normalise with Y / Y.sum(axis=1, keepdims=True), or pass 1-D class "
        "labels."
    )
    not_finite = ~np.all(np.isfinite(Y), axis=1)
    negative = np.any(Y < 0, axis=1)
    sums = Y.sum(axis=1)
    off_sum = np.abs(sums - 1) > PROBABILITY_SUM_TOLERANCE
    if np.any(not_finite | negative):
        row = int(np.argmax(not_finite | negative))
        problem = "a non-finite entry" if not_finite[row] else "a negative entry"
        raise ValueError(f"Row {row} of y, {Y[row]}, has {problem}. {fix}")
    if np.any(off_sum):
        row = int(np.argmax(off_sum))
        raise ValueError(
            f"Row {row} of y, {Y[row]}, sums to {sums[row]:.9g}, not 1 (tolerance "
            f"{PROBABILITY_SUM_TOLERANCE:g}). {fix}"
        )
    return Y


def _check_classes(classes) -> NDArray:
    """The declared labels, sorted; duplicates rejected."""
    declared = np.asarray(classes)
    if declared.ndim != 1 or declared.size < 2:
        raise ValueError(
            "classes must be a 1-D array of at least 2 labels, got "
            f"{declared.tolist()!r}."
        )
    sorted_classes, _ = encode_labels(declared)
    if sorted_classes.shape[0] != declared.shape[0]:
        raise ValueError(f"classes has duplicate labels: {declared.tolist()!r}.")
    return sorted_classes


def encode_targets(y, classes=None) -> tuple[NDArray, NDArray]:
    """Return ``(classes, target)``: the labels and what the loss is fitted to.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Class labels, or rows of class probabilities (see
        :func:`check_probability_rows`), their columns in the order of
        ``classes``.
    classes : array-like of shape (n_classes,), default=None
        The labels.  For labels, ``None`` means the distinct labels of ``y``;
        otherwise every label of ``y`` must be one of ``classes``.  For
        probability rows, ``None`` means ``range(n_classes)``; otherwise its
        length must be ``n_classes``.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted labels.
    target : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Index of each label in ``classes`` (intp), or the probability rows
        (float64) with columns in the order of the sorted ``classes``.
    """
    if is_probability_target(y):
        Y = check_probability_rows(y)
        if classes is None:
            return np.arange(Y.shape[1]), Y
        declared = np.asarray(classes)
        if declared.shape != (Y.shape[1],):
            raise ValueError(
                f"y has {Y.shape[1]} columns of class probabilities but classes "
                f"has {declared.size} labels; give one label per column."
            )
        sorted_classes = _check_classes(declared)
        return sorted_classes, Y[:, np.argsort(declared, kind="stable")]
    if classes is None:
        return encode_labels(y)
    sorted_classes = _check_classes(classes)
    _check_label_types(y)
    check_classification_targets(y)
    unknown = unknown_labels(y, sorted_classes)
    if unknown:
        raise ValueError(
            f"y contains labels {unknown} that are not in classes "
            f"{sorted_classes.tolist()}."
        )
    return sorted_classes, np.searchsorted(sorted_classes, y).astype(np.intp)


def stream_classes(classes, y, fitted_classes: NDArray | None):
    """The classes of a ``partial_fit`` call: those declared on the first
    call (``fitted_classes`` None), checked against the first on later
    calls.

    Raises
    ------
    ValueError
        When a first call of labels declares no classes, or a later call
        declares other classes.
    """
    if fitted_classes is None:
        if classes is None and not is_probability_target(y):
            raise ValueError(
                "classes must be passed on the first call to partial_fit: "
                "the labels of the whole stream, e.g. "
                "partial_fit(X, y, classes=np.unique(y_all))."
            )
        return classes
    if classes is not None:
        declared, _ = encode_targets(np.asarray(classes))
        if not np.array_equal(declared, fitted_classes):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} differs from the "
                f"classes {fitted_classes.tolist()} of the first call to "
                "partial_fit (or of fit); they cannot change."
            )
    return fitted_classes


def class_totals(target: NDArray, weight: NDArray, n_classes: int) -> NDArray:
    """Total sample weight of each class (probability rows count fractionally)."""
    if target.ndim == 2:
        return weight @ target
    return np.bincount(target, weights=weight, minlength=n_classes)


def class_weight_factors(class_weight, classes: NDArray, totals: NDArray):
    """The multiplier of each class from a ``class_weight`` dict or
    ``"balanced"`` (from the classes' total weights)."""
    if isinstance(class_weight, str):  # "balanced"
        with np.errstate(divide="ignore"):
            return np.where(totals > 0, totals.sum() / (classes.shape[0] * totals), 0.0)
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
    return factors


def weighted_targets(
    target: NDArray,
    sample_weight,
    X,
    classes: NDArray,
    class_weight,
    label_smoothing: float = 0.0,
) -> tuple[NDArray, NDArray[np.float64]]:
    """Targets and per-sample weights with label smoothing and
    ``class_weight`` folded in.

    For labels, ``s_i = sample_weight_i * class_weight[y_i]``.  For
    probability rows, the data are read as each sample repeated once per
    class k with weight ``sample_weight_i * Y_ik * class_weight[k]``, which
    is the row ``Y_ik class_weight[k] / c_i`` with weight
    ``sample_weight_i * c_i``, ``c_i = sum_k Y_ik class_weight[k]``.
    Label smoothing turns labels into such rows first (see
    :func:`smooth_targets`), so the smoothing term of class k is weighted
    by ``class_weight[k]``, as in PyTorch; ``"balanced"`` weights are
    computed from the unsmoothed targets.

    Parameters
    ----------
    target : ndarray of shape (n_samples,) or (n_samples, n_classes)
        From :func:`encode_targets`.
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative, finite weights, not all zero.
    X : array-like
        The data, for the number of samples.
    classes : ndarray of shape (n_classes,)
        The labels, to read a ``class_weight`` dict.
    class_weight : dict, "balanced" or None
        ``"balanced"`` gives class k the weight
        ``sum(s) / (n_classes * sum(s over class k))``, counting the sample
        weights (and the probability rows' fractions).
    label_smoothing : float, default=0.0
        ``eps`` of :func:`smooth_targets`.

    Returns
    -------
    target : ndarray
        ``target``, smoothed, its probability rows reweighted by
        ``class_weight``.
    weight : ndarray of shape (n_samples,)
        float64 weights.
    """
    weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
    )
    n_classes = classes.shape[0]
    factors = None
    if class_weight is not None:
        totals = class_totals(target, weight, n_classes)
        factors = class_weight_factors(class_weight, classes, totals)
    target = smooth_targets(target, label_smoothing, n_classes)
    if factors is not None:
        target, weight = apply_class_factors(target, weight, factors)
    if not weight.sum() > 0:
        raise ValueError(
            "Sample weights must contain at least one non-zero number after "
            "applying class_weight: every sample has zero weight."
        )
    return target, weight


def apply_class_factors(
    target: NDArray, weight: NDArray[np.float64], factors: NDArray[np.float64]
) -> tuple[NDArray, NDArray[np.float64]]:
    """Fold the class weights ``factors`` into labels' weights, or into
    probability rows and their weights (see :func:`weighted_targets`).

    Parameters
    ----------
    target : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Label indices or probability rows.
    weight : ndarray of shape (n_samples,)
        The sample weights (modified in place).
    factors : ndarray of shape (n_classes,)
        The weight of each class.

    Returns
    -------
    target, weight : ndarray
    """
    if target.ndim == 1:
        weight *= factors[target]
        return target, weight
    row_factor = target @ factors
    has_weight = row_factor > 0
    target = np.where(
        has_weight[:, None],
        target * factors / np.where(has_weight, row_factor, 1.0)[:, None],
        target,
    )
    weight *= row_factor
    return target, weight


def smoothed_weight_total(
    totals: NDArray[np.float64], factors: NDArray | None, label_smoothing: float
) -> float:
    """The total weight :func:`weighted_targets` gives data whose per-class
    sample-weight totals are ``totals`` (labels), without reading the rows:
    ``sum_k totals_k ((1 - eps) f_k + eps / K sum_c f_c)``."""
    if factors is None:
        return float(totals.sum())
    eps, n_classes = label_smoothing, factors.shape[0]
    per_class = (1 - eps) * factors + eps / n_classes * factors.sum()
    return float(totals @ per_class)


def sample_weights(
    sample_weight,
    X,
    y_index: NDArray[np.intp],
    classes: NDArray,
    class_weight,
) -> NDArray[np.float64]:
    """Per-sample weights ``s_i = sample_weight_i * class_weight[y_i]`` of
    encoded labels (see :func:`weighted_targets`)."""
    return weighted_targets(y_index, sample_weight, X, classes, class_weight)[1]


def smooth_targets(target: NDArray, label_smoothing: float, n_classes: int):
    """PyTorch's label smoothing: ``(1 - eps) * Y + eps / n_classes``
    (``Y`` one-hot for labels).

    Labels become probability rows when ``eps > 0``; with ``eps == 0`` the
    target is returned unchanged.
    """
    if label_smoothing == 0:
        return target
    if target.ndim == 1:
        rows = np.zeros((target.shape[0], n_classes))
        rows[np.arange(target.shape[0]), target] = 1.0
    else:
        rows = target
    return (1 - label_smoothing) * rows + label_smoothing / n_classes


def check_weighted_classes(
    weight: NDArray[np.float64], target: NDArray, classes: NDArray
) -> None:
    """Require at least two classes carrying positive weight (``target``:
    label indices or probability rows)."""
    if classes.shape[0] < 2:
        raise ValueError(
            "SoftmaxRegression needs samples of at least 2 classes, but the data "
            f"contains only one class: {classes.tolist()[0]!r}."
        )
    per_class = class_totals(target, weight, classes.shape[0])
    weighted = classes[per_class > 0]
    if weighted.shape[0] < 2:
        raise ValueError(
            "SoftmaxRegression needs at least 2 classes with positive sample "
            f"weight, but only one class has any: {weighted.tolist()}."
        )


def _is_temporal(dtype) -> bool:
    """Whether a numpy, pandas or polars dtype holds dates or durations."""
    if getattr(dtype, "kind", None) in ("m", "M"):
        return True
    is_temporal = getattr(dtype, "is_temporal", None)  # polars
    return bool(is_temporal()) if callable(is_temporal) else False


def check_numeric_features(X) -> None:
    """Refuse dates and durations as features.

    scikit-learn's conversion would turn them into counts of an arbitrary
    unit (days, or nanoseconds since 1970), so a model's coefficients would
    depend on how the dates happened to be stored.
    """
    dtypes = getattr(X, "dtypes", None)  # DataFrames
    if dtypes is None:
        dtypes = [getattr(X, "dtype", None)]
    temporal = sorted({str(dtype) for dtype in list(dtypes) if _is_temporal(dtype)})
    if temporal:
        raise TypeError(
            f"X holds dates or durations (dtype {', '.join(temporal)}), but "
            "SoftmaxRegression needs numeric features: convert them to numbers "
            "in a unit of your choice first, e.g. (dates - dates.min()) / "
            "np.timedelta64(1, 'D') for days."
        )


#: ``solver="sgd"`` takes steps of a fixed size in the coefficients, so it
#: cannot reach coefficients of size 1/|x| when |x| is astronomically large
#: or small; beyond these bounds it refuses rather than return a wrong model.
_SGD_FEATURE_SCALE = (1e-10, 1e10)


def check_feature_scale_for_sgd(X) -> None:
    """Refuse features of extreme scale for the streaming optimiser.

    Parameters
    ----------
    X : {ndarray, sparse matrix}
        Validated float data.

    Raises
    ------
    ValueError
        When the largest absolute feature value lies outside [1e-10, 1e10]
        (and is not 0).
    """
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return
    largest = max(float(values.max()), -float(values.min()))
    low, high = _SGD_FEATURE_SCALE
    if largest > high or 0 < largest < low:
        raise ValueError(
            "solver='sgd' and partial_fit take steps of a fixed size in the "
            f"coefficients and need features of moderate scale, but the largest "
            f"|x| is {largest:.3g}. Standardise X (e.g. "
            "sklearn.preprocessing.StandardScaler) or use a batch solver such as "
            "solver='newton-cg', which is insensitive to the scale."
        )


def check_penalty_factor(penalty_factor, n_features: int) -> NDArray | None:
    """``penalty_factor`` as a float64 array of one finite entry >= 0 per
    feature (None stays None); a ValueError naming it otherwise."""
    if penalty_factor is None:
        return None
    factor = check_array(
        penalty_factor,
        ensure_2d=False,
        ensure_min_samples=0,
        ensure_all_finite=False,
        dtype=np.float64,
        input_name="penalty_factor",
    )
    if np.isnan(factor).any():
        raise ValueError("penalty_factor contains NaN.")
    if np.isinf(factor).any():
        raise ValueError(
            "penalty_factor must be finite. To leave a feature out (glmnet's "
            "Inf), drop its column, or bound its coefficients to 0 with "
            "lower_bound and upper_bound."
        )
    if factor.shape != (n_features,):
        raise ValueError(
            f"penalty_factor must have one entry per feature, shape "
            f"({n_features},), but has shape {factor.shape}."
        )
    if np.any(factor < 0):
        negative = np.flatnonzero(factor < 0)
        raise ValueError(
            "penalty_factor must be >= 0 (0 leaves a feature unpenalised), but "
            f"feature {negative[0]} has {factor[negative[0]]:g}"
            + (f" ({negative.size} negative entries)." if negative.size > 1 else ".")
        )
    return factor


def validate_X_y(estimator, X, y, *, reset: bool):
    """scikit-learn's ``validate_data`` on ``estimator`` for labels, or for
    probability rows (2-D ``y``), after :func:`check_numeric_features`."""
    check_numeric_features(X)
    soft = is_probability_target(y)
    return validate_data(
        estimator,
        X,
        y,
        reset=reset,
        accept_sparse=ACCEPT_SPARSE,
        dtype=FLOAT_DTYPES,
        multi_output=soft,
        y_numeric=soft,
    )


def any_finite(bound) -> bool:
    """Whether a ``lower_bound`` / ``upper_bound`` setting bounds anything
    (has a finite entry); None and infinite ones do not."""
    if bound is None:
        return False
    try:
        return bool(np.any(np.isfinite(np.asarray(bound, dtype=np.float64))))
    except (TypeError, ValueError):
        return True  # not numbers: fit says what is wrong
