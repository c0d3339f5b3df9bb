"""The parameters of :class:`~softmax_regression.SoftmaxRegression` and the
constraints scikit-learn's ``_validate_params`` checks them against."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._penalty import PENALTY_OPTIONS
from ._solvers import SOLVER_OPTIONS

#: ``SoftmaxRegression._parameter_constraints``: one entry per parameter.
PARAMETER_CONSTRAINTS: dict[str, list] = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "penalty": [StrOptions(set(PENALTY_OPTIONS))],
    "penalty_factor": ["array-like", None],
    "lower_bound": [Real, "array-like", None],
    "upper_bound": [Real, "array-like", None],
    "fit_intercept": ["boolean"],
    "solver": [StrOptions(set(SOLVER_OPTIONS))],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "batch_size": [
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
    ],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "sgd_update": [StrOptions({"adam", "momentum"})],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "shuffle": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "average": [
        "boolean",
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"polynomial"}),
    ],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
}
