"""The checks of :func:`~softmax_regression.inference`: the fitted model, the
data, the weights, the reference class and the features asked for.

Everything is read from the estimator's public fitted attributes and
``get_params()``; the result is one :class:`InferenceProblem`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.utils.validation import check_is_fitted, validate_data

from .._loss import ParameterLayout
from .._validation import (
    ACCEPT_SPARSE,
    any_finite,
    check_numeric_features,
    check_penalty_factor,
    check_weighted_classes,
    encode_targets,
    is_probability_target,
    weighted_targets,
)

#: The covariance estimators :func:`inference` offers.
COV_TYPES = ("nonrobust", "HC0", "HC1")


@dataclass
class InferenceProblem:
    """A fitted model and the data it is judged on, validated.

    Attributes
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        float64 data (CSR or CSC when sparse).
    target : ndarray of shape (n_samples,)
        Index of each label in ``classes``.
    weight : ndarray of shape (n_samples,)
        Frequency weights: sample weight times class weight.
    classes : ndarray of shape (n_classes,)
        The estimator's ``classes_``.
    coef, intercept : ndarray
        The estimator's ``coef_`` (K, d) and ``intercept_`` (K,) (zeros
        without intercepts).
    fit_intercept : bool
    alpha : float
        The L2 penalty strength (0 when the fit is unpenalised).
    penalty_factor : ndarray of shape (n_features,)
        The fit's per-feature multipliers of ``alpha`` (ones by default).
    reference : int or None
        Index in ``classes`` of the reference class.
    features : ndarray of int
        The features reported (all of them unless ``features=`` was given).
    feature_names : list of str
        Names of all features: ``feature_names_in_`` or ``x0, x1, ...``.
    subset : bool
        Whether ``features=`` asked for a subset.
    cov_type : str
    class_weighted : bool
        Whether ``class_weight`` was folded into the weights.
    """

    X: object
    target: NDArray
    weight: NDArray
    classes: NDArray
    coef: NDArray
    intercept: NDArray
    fit_intercept: bool
    alpha: float
    penalty_factor: NDArray
    reference: int | None
    features: NDArray
    feature_names: list
    subset: bool
    cov_type: str
    class_weighted: bool

    @property
    def layout(self) -> ParameterLayout:
        """The layout of the model's flat parameter vector."""
        return ParameterLayout(
            self.classes.shape[0], self.X.shape[1], self.fit_intercept
        )

    @property
    def theta(self) -> NDArray:
        """The fitted flat parameter vector (coefficients, then intercepts)."""
        return self.layout.pack(self.coef, self.intercept)

    @property
    def penalised(self) -> NDArray:
        """Per feature, whether the penalty identifies its coefficients
        (``alpha > 0`` and a positive factor)."""
        return (self.alpha > 0) & (self.penalty_factor > 0)

    @property
    def n_obs(self) -> float:
        """The number of observations: the sum of the frequency weights."""
        return float(self.weight.sum())


def _model_parameters(estimator) -> dict:
    """``alpha``, ``l1_ratio``, ``fit_intercept``, ``class_weight`` and
    ``label_smoothing`` of a fitted estimator (the chosen ones of a
    cross-validated estimator)."""
    if not hasattr(estimator, "get_params"):
        raise TypeError(
            "inference needs a fitted SoftmaxRegression (or SoftmaxRegressionCV), "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator, ("coef_", "intercept_", "classes_"))
    params = estimator.get_params()
    return {
        "alpha": float(getattr(estimator, "alpha_", params.get("alpha", 0.0))),
        "l1_ratio": float(getattr(estimator, "l1_ratio_", params.get("l1_ratio", 0))),
        "fit_intercept": bool(params.get("fit_intercept", True)),
        "class_weight": params.get("class_weight"),
        "label_smoothing": float(params.get("label_smoothing", 0.0)),
        "penalty_factor": params.get("penalty_factor"),
        "bounded": any_finite(params.get("lower_bound"))
        or any_finite(params.get("upper_bound")),
    }


def _check_penalty(params: dict) -> None:
    if params["alpha"] > 0 and params["l1_ratio"] > 0:
        raise ValueError(
            f"inference is not available for a sparse penalty (l1_ratio="
            f"{params['l1_ratio']:g} with alpha={params['alpha']:g}): the "
            "coefficients were selected by the penalty and the usual standard "
            "errors ignore that selection; inference after selection is out of "
            "scope. Refit with l1_ratio=0 (an L2 penalty) or alpha=0."
        )
    if params["bounded"]:
        raise ValueError(
            "inference is not available for a fit with lower_bound / upper_bound: "
            "at an active bound the estimate is not approximately normal, and "
            "the usual standard errors do not apply. Refit without bounds."
        )
    if params["label_smoothing"] > 0:
        raise ValueError(
            f"inference is not available with label_smoothing="
            f"{params['label_smoothing']:g}: the fit did not maximise the "
            "likelihood of the labels. Refit with label_smoothing=0."
        )


def _factor(penalty_factor, n_features: int) -> NDArray:
    factor = check_penalty_factor(penalty_factor, n_features)
    return np.ones(n_features) if factor is None else factor


def _reference_index(reference, classes: NDArray) -> int | None:
    if reference is None:
        return None
    matches = [i for i, label in enumerate(classes.tolist()) if label == reference]
    if len(matches) != 1:
        raise ValueError(
            f"reference={reference!r} is not one of the model's classes "
            f"{classes.tolist()}; pass one of them, or None for the sum-to-zero "
            "parameterisation."
        )
    return int(matches[0])


def _feature_names(estimator, n_features: int) -> list[str]:
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(n_features)]
    return [str(name) for name in names]


def _feature_indices(features, names: list[str], named: bool) -> NDArray[np.intp]:
    """The indices of the features asked for (ints, names or a mask)."""
    n_features = len(names)
    requested = np.asarray(features)
    if requested.ndim != 1 or requested.size == 0:
        raise ValueError(
            "features must be a non-empty 1-D list of feature indices, feature "
            f"names or a boolean mask, got {features!r}."
        )
    if requested.dtype == bool:
        if requested.shape[0] != n_features:
            raise ValueError(
                f"features as a boolean mask needs {n_features} entries (one per "
                f"feature), got {requested.shape[0]}."
            )
        indices = np.flatnonzero(requested)
        if indices.size == 0:
            raise ValueError("features selects no feature: the mask is all False.")
        return indices
    if requested.dtype.kind in "iu":
        bad = requested[(requested < 0) | (requested >= n_features)]
        if bad.size:
            raise ValueError(
                f"features has indices {bad.tolist()} outside [0, {n_features})."
            )
        indices = requested.astype(np.intp)
    elif requested.dtype.kind in "UO":
        if not named:
            raise ValueError(
                "features names features, but the model was fitted without "
                "feature names; pass feature indices instead."
            )
        position = {name: j for j, name in enumerate(names)}
        unknown = [f for f in requested.tolist() if f not in position]
        if unknown:
            raise ValueError(
                f"features has names {unknown} that are not features of the model."
            )
        indices = np.array([position[f] for f in requested.tolist()], dtype=np.intp)
    else:
        raise TypeError(
            "features must hold feature indices, feature names or booleans, got "
            f"dtype {requested.dtype}."
        )
    if np.unique(indices).size != indices.size:
        raise ValueError(f"features lists a feature twice: {features!r}.")
    return indices


def _check_labels(y, n_samples: int, classes: NDArray) -> NDArray[np.intp]:
    if is_probability_target(y):
        raise ValueError(
            "inference needs class labels y of shape (n_samples,), not rows of "
            "class probabilities: the likelihood is that of the observed labels."
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(
            f"y must have shape ({n_samples},) like the rows of X, got {y.shape}."
        )
    _, target = encode_targets(y, classes=classes)
    return target


def check_inputs(
    estimator,
    X,
    y,
    *,
    sample_weight,
    reference,
    cov_type: str,
    features,
) -> InferenceProblem:
    """Validate everything :func:`inference` is given.

    Returns
    -------
    InferenceProblem

    Raises
    ------
    TypeError
        For an unfitted or foreign estimator, or features of a wrong type.
    ValueError
        For a sparse penalty, label smoothing, probability rows as ``y``, an
        unknown reference class or feature, or an unknown ``cov_type``.
    """
    params = _model_parameters(estimator)
    _check_penalty(params)
    if cov_type not in COV_TYPES:
        raise ValueError(
            f"cov_type must be one of {list(COV_TYPES)}, got {cov_type!r}."
        )
    check_numeric_features(X)
    X = validate_data(
        estimator, X, reset=False, accept_sparse=ACCEPT_SPARSE, dtype=np.float64
    )
    classes = np.asarray(estimator.classes_)
    coef = estimator.coef_
    coef = np.asarray(coef.toarray() if sp.issparse(coef) else coef, dtype=np.float64)
    if coef.shape != (classes.shape[0], X.shape[1]):
        raise ValueError(
            f"The estimator's coef_ has shape {coef.shape}, expected "
            f"{(classes.shape[0], X.shape[1])} (one row per class)."
        )
    intercept = np.asarray(estimator.intercept_, dtype=np.float64).reshape(-1)
    if not params["fit_intercept"]:
        intercept = np.zeros(classes.shape[0])
    target = _check_labels(y, X.shape[0], classes)
    target, weight = weighted_targets(
        target, sample_weight, X, classes, params["class_weight"]
    )
    check_weighted_classes(weight, target, classes)
    names = _feature_names(estimator, X.shape[1])
    named = getattr(estimator, "feature_names_in_", None) is not None
    subset = features is not None
    indices = (
        _feature_indices(features, names, named)
        if subset
        else np.arange(X.shape[1], dtype=np.intp)
    )
    return InferenceProblem(
        X=X,
        target=target,
        weight=weight,
        classes=classes,
        coef=coef,
        intercept=intercept,
        fit_intercept=params["fit_intercept"],
        alpha=params["alpha"],
        penalty_factor=_factor(params["penalty_factor"], X.shape[1]),
        reference=_reference_index(reference, classes),
        features=indices,
        feature_names=names,
        subset=subset,
        cov_type=cov_type,
        class_weighted=params["class_weight"] is not None,
    )
