"""The fitting core: objective, starting point, solve, fitted attributes,
warnings, as plain functions over an explicit :class:`FitConfig`.

Every way of fitting calls these functions openly, never an estimator's
private methods: :class:`~softmax_regression.SoftmaxRegression` (in memory
and on Dask), the regularisation path and cross-validation
(:mod:`softmax_regression._search`).  Data flow one way::

    validate -> encode (_validation) -> objective -> solve -> Fitted

:func:`fit_objective` runs the last three steps; the callers validate and
encode their data and hold the fitted attributes.  See the architecture
page of the documentation for the layers.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

from ._box import Box, check_bounds
from ._fit_hooks import (
    ModelShape,
    SolveReport,
    StopFit,
    iteration_callback,
    report_solve,
    solving,
)
from ._loss import MultinomialLoss, ParameterLayout, column_layout_pays
from ._objective import Objective
from ._penalty import Penalty, make_penalty
from ._solvers import SOLVERS, SolverResult, resolve_solver
from ._validation import any_finite, check_penalty_factor


@dataclass(frozen=True)
class FitConfig:
    """What a fit minimises and how: the estimator's parameters that reach
    the objective and the solver (see :class:`SoftmaxRegression`).

    Attributes
    ----------
    alpha, l1_ratio, penalty : float, float, str
        The penalty.
    penalty_factor : array-like of shape (n_features,) or None
        Per feature, a multiplier >= 0 of the penalty (checked when the
        penalty is made for data of known width).
    lower_bound, upper_bound : float, array-like or None
        Bounds on the coefficients (see :func:`~._box.check_bounds`).
    fit_intercept : bool
        Whether the parameter vector ends with intercepts.
    solver : str
        A key of :data:`~softmax_regression._solvers.SOLVERS` or ``"auto"``.
    tol : float
        The solver's stopping tolerance.
    max_iter : int
        The solver's iteration budget.
    n_jobs : int or None
        Threads of the loss (joblib's convention).
    verbose : int
        Print every iteration when positive.
    """

    alpha: float = 1e-4
    l1_ratio: float = 0.0
    penalty: str = "elasticnet"
    penalty_factor: Any = None
    lower_bound: Any = None
    upper_bound: Any = None
    fit_intercept: bool = True
    solver: str = "auto"
    tol: float = 1e-4
    max_iter: int = 1000
    n_jobs: int | None = None
    verbose: int = 0

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **overrides) -> FitConfig:
        """The configuration of an estimator's ``get_params()`` (the
        entries that are not fields are ignored), with ``overrides``."""
        names = {field.name for field in fields(cls)}
        chosen = {name: value for name, value in params.items() if name in names}
        return cls(**{**chosen, **overrides})

    def at(self, alpha: float) -> FitConfig:
        """The same configuration at another ``alpha``."""
        return replace(self, alpha=float(alpha))

    def make_penalty(self, n_classes: int, n_features: int | None = None) -> Penalty:
        """The penalty object of ``alpha``, ``l1_ratio``, ``penalty`` and,
        for data of ``n_features`` columns, ``penalty_factor`` (checked
        against it; without ``n_features``, when only the penalty's kind
        matters, the factors are left out)."""
        factor = (
            None
            if n_features is None
            else check_penalty_factor(self.penalty_factor, n_features)
        )
        return make_penalty(
            self.penalty, self.alpha, self.l1_ratio, n_classes, factor=factor
        )

    def make_box(self, layout: ParameterLayout) -> Box | None:
        """The box of ``lower_bound`` and ``upper_bound`` on ``layout``'s
        coefficients, or None when every bound is infinite."""
        bounds = self._bounds(layout.n_classes, layout.n_features)
        return None if bounds is None else Box.on_coefficients(*bounds, layout.n_params)

    def _bounds(self, n_classes: int, n_features: int):
        bounds = check_bounds(self.lower_bound, self.upper_bound, n_classes, n_features)
        if bounds is not None and not self.make_penalty(n_classes).r_separable:
            raise ValueError(
                "lower_bound / upper_bound cannot be combined with "
                f"penalty={self.penalty!r} and l1_ratio > 0: its proximal "
                "operator within a box has no closed form. Use "
                "penalty='elasticnet', l1_ratio=0, or no bounds."
            )
        return bounds

    def resolve_solver(
        self,
        n_samples: int,
        n_features: int | None,
        n_classes: int,
        cg_steps: Callable[[], int] | None = None,
        row_leverages: Callable[[], tuple[float, float]] | None = None,
        **location,
    ) -> str:
        """The solver to run, ``"auto"`` resolved and checked against the
        penalty, the bounds and, through ``location`` (``loss_offers`` and
        ``where``), the data's location (see
        :func:`~softmax_regression._solvers.resolve_solver`, which calls
        ``cg_steps()`` and ``row_leverages()`` where the features' conditioning
        and the rows' curvature decide).  With
        ``n_features=None`` (data not read yet) the factors and bounds are
        checked later, when the objective is made."""
        if n_features is None:
            penalty = self.make_penalty(n_classes)
            bounded = any_finite(self.lower_bound) or any_finite(self.upper_bound)
            n_features = 0
        else:
            penalty = self.make_penalty(n_classes, n_features)
            bounded = self._bounds(n_classes, n_features) is not None
        shape = {"n_samples": n_samples, "n_features": n_features}
        return resolve_solver(
            self.solver,
            penalty,
            **shape,
            n_classes=n_classes,
            bounded=bounded,
            cg_steps=cg_steps,
            row_leverages=row_leverages,
            **location,
        )


@dataclass(frozen=True)
class Fitted:
    """A fitted model's parameters, as an estimator's attributes hold them.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The labels, sorted.
    coef : ndarray of shape (n_classes, n_features)
        ``W``, in the data's dtype.
    intercept : ndarray of shape (n_classes,)
        ``b``, centred to sum to zero (zeros without intercepts).
    n_iter : int, default=0
        Solver iterations.
    solver : str, default=""
        The solver that ran.
    converged : bool, default=False
        Whether the solver met its stopping rule.
    objective : float, default=nan
        The objective at these parameters (as the solver evaluated it).
    """

    classes: NDArray
    coef: NDArray
    intercept: NDArray
    n_iter: int = 0
    solver: str = ""
    converged: bool = False
    objective: float = float("nan")


def in_memory_objective(
    config: FitConfig,
    X,
    target: NDArray,
    weight: NDArray,
    n_classes: int,
    *,
    by_rows: bool = False,
) -> Objective:
    """The loss on in-memory ``(X, target, weight)`` plus the penalty.

    Wide sparse X is read by columns (see
    :func:`~softmax_regression._loss.column_layout_pays`), unless
    ``by_rows``: a stochastic solver slices mini-batches of rows, so sparse
    X is then kept (or made) CSR.  The loss runs on ``config.n_jobs``
    threads.
    """
    if sp.issparse(X) and by_rows:
        X = X.tocsr()
    elif column_layout_pays(X, n_classes):
        X = X.tocsc()
    loss = MultinomialLoss(
        X,
        target,
        weight,
        n_classes,
        fit_intercept=config.fit_intercept,
        n_threads=effective_n_jobs(config.n_jobs),
    )
    return penalised(config, loss)


def penalised(config: FitConfig, loss) -> Objective:
    """``loss`` (in memory or on Dask) plus ``config``'s penalty."""
    layout = loss.layout
    penalty = config.make_penalty(layout.n_classes, layout.n_features)
    return Objective(loss, penalty, config.make_box(layout))


def start_point(
    layout: ParameterLayout, classes: NDArray, previous: Fitted | None = None
) -> NDArray[np.float64]:
    """The flat starting vector: ``previous``'s parameters when it has the
    same classes and shape (a warm start), else zeros."""
    if warm_starts(layout, classes, previous):
        return layout.pack(previous.coef, previous.intercept)
    return layout.zeros()


def warm_starts(
    layout: ParameterLayout, classes: NDArray, previous: Fitted | None
) -> bool:
    """Whether :func:`start_point` starts from ``previous``."""
    return (
        previous is not None
        and np.array_equal(previous.classes, classes)
        and previous.coef.shape == (layout.n_classes, layout.n_features)
    )


def check_warm_start(objective: Objective, w0: NDArray) -> None:
    """A ValueError when a warm start ``w0`` lies outside the objective's
    box (a fit from zeros is projected onto it instead)."""
    if objective.box is not None and not objective.box.contains(w0):
        raise ValueError(
            "warm_start: the previous coefficients lie outside lower_bound / "
            "upper_bound. Refit with warm_start=False, or with bounds that "
            "contain them."
        )


_Fit = TypeVar("_Fit", bound=Callable[..., Any])


def all_or_nothing(fit: _Fit) -> _Fit:
    """Make an estimator's ``fit`` leave it exactly as it was when it raises.

    ``fit`` sets attributes as it goes (``validate_data`` sets
    ``n_features_in_`` before any solver runs; a search sets its results
    before the refit); on an exception, every attribute is put back as it
    was before the call, so a failed fit never leaves a half-fitted model
    that ``check_is_fitted`` accepts, nor new attributes beside old ones.
    """

    @functools.wraps(fit)
    def fit_or_restore(estimator, *args, **kwargs):
        before = dict(vars(estimator))
        try:
            return fit(estimator, *args, **kwargs)
        except BaseException:
            vars(estimator).clear()
            vars(estimator).update(before)
            raise

    return fit_or_restore  # type: ignore[return-value]


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """numpy's and scipy's BLAS libraries, found once, at the first fit
    (both are loaded by then): inspecting them on every fit
    (``threadpool_limits``) cost 7.6 ms on the 2-core benchmark machine, as
    much as a small fit."""
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS limited to one thread inside the block.

    numpy and scipy each load their own multi-threaded BLAS; between them,
    their spinning threads slow each small product tenfold on a two-core
    machine, so BLAS runs single-threaded and parallelism comes from the
    loss's own threads over blocks of rows (``n_jobs``).
    """
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


def print_iteration(n_iter: int, w, value: float, grad_max: float) -> None:
    """The ``verbose`` line of one solver iteration."""
    print(
        f"[SoftmaxRegression] iter {n_iter:4d}  objective {value:.10e}  "
        f"max|grad| {grad_max:.3e}"
    )


def solve(
    config: FitConfig,
    objective: Objective,
    solver: str,
    w0: NDArray,
    options: Mapping[str, Any] | None = None,
) -> SolverResult:
    """Run ``solver`` from ``w0`` (with the solver's own keyword
    ``options``), report the solve (:mod:`~softmax_regression._fit_hooks`)
    and warn when it does not converge, unless an iteration observer
    stopped it (:class:`~softmax_regression._fit_hooks.StopFit`)."""
    try:
        with single_threaded_blas():
            result = SOLVERS[solver].solve(
                objective,
                w0,
                tol=config.tol,
                max_iter=config.max_iter,
                callback=iteration_callback(
                    print_iteration if config.verbose else None
                ),
                **(options or {}),
            )
    except StopFit as stop:
        result = SolverResult(
            np.array(stop.w, dtype=np.float64),
            float(stop.value),
            stop.n_iter,
            False,
            "stopped by a callback",
        )
        report_solve(SolveReport(solver, result.n_iter, False, result.message))
        return result
    report_solve(SolveReport(solver, result.n_iter, result.converged, result.message))
    if not result.converged:
        warnings.warn(
            f"SoftmaxRegression (solver={solver!r}) did not converge: "
            f"{result.n_iter} iterations (max_iter={config.max_iter}) did not "
            f"{SOLVERS[solver].STOPPING_RULE} tol={config.tol:g} "
            f"(solver says: {result.message}). Increase max_iter, scale the "
            "features (e.g. StandardScaler) or increase alpha.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return result


def fitted_parameters(
    classes: NDArray, objective: Objective, result: SolverResult, solver: str
) -> Fitted:
    """The fitted parameters of a solver's result, in the data's dtype.

    The softmax is invariant to a common shift of the classes' logits, so
    the intercepts are centred to sum to zero, and so are the columns of
    ``coef`` wherever that cannot raise the penalty (every penalty but an
    L1 one) nor leave the bounds (there are none): then every solver
    reports the same representative, the one of least norm, whatever
    null-space component its iterations left (Newton-CG's, at ``alpha=0``,
    can be of order one).
    """
    coef, intercept = objective.layout.unpack(result.x, np.float64)
    value = result.fun
    if objective.box is None and objective.penalty.centring_never_raises():
        centred = coef - coef.mean(axis=0)
        penalty = objective.penalty
        value += penalty.value(centred) - penalty.value(coef)  # the loss is equal
        coef = centred
    intercept = (
        intercept - intercept.mean()
        if intercept is not None
        else np.zeros(classes.shape[0])
    )
    dtype = objective.dtype
    return Fitted(
        classes,
        coef.astype(dtype, copy=True),
        intercept.astype(dtype),
        result.n_iter,
        solver,
        result.converged,
        float(value),
    )


def warn_if_separated(config: FitConfig, objective: Objective, w: NDArray) -> None:
    """Warn when the unpenalised model ``w`` separates the training data
    (one more pass over it, only when ``alpha=0``).

    Then no finite minimiser exists, so the coefficients are only as large
    as the solver's stopping point made them, even when it reported
    convergence.
    """
    if config.alpha != 0 or not objective.separates(w):
        return
    warnings.warn(
        "SoftmaxRegression with alpha=0 separates the training data "
        "perfectly: the unpenalised optimum lies at infinity, and coef_ is "
        f"only as large as the solver's stopping point (tol={config.tol:g}, "
        f"max_iter={config.max_iter}) made it. Set alpha > 0 for a "
        "well-defined model.",
        ConvergenceWarning,
        stacklevel=3,
    )


def fit_objective(
    config: FitConfig,
    objective: Objective,
    classes: NDArray,
    solver: str,
    w0: NDArray,
    *,
    options: Mapping[str, Any] | None = None,
    check_separation: bool = True,
) -> tuple[Fitted, SolverResult]:
    """Solve, then read the fitted parameters off the solution.

    Parameters
    ----------
    config : FitConfig
        Tolerance, iterations, verbosity.
    objective : Objective
        What to minimise.
    classes : ndarray of shape (n_classes,)
        The labels.
    solver : str
        The resolved solver (see :meth:`FitConfig.resolve_solver`).
    w0 : ndarray
        The flat starting vector (see :func:`start_point`), projected onto
        the objective's box if it has one.
    options : mapping, default=None
        The solver's own keyword options.
    check_separation : bool, default=True
        Warn when ``alpha=0`` and the solution separates the data.

    Returns
    -------
    fitted : Fitted
    result : SolverResult
        The solver's own result (its flat ``x`` starts the next point of a
        path).
    """
    with solving(ModelShape(classes, objective.layout, objective.dtype)):
        result = solve(config, objective, solver, objective.project(w0), options)
    if check_separation:
        warn_if_separated(config, objective, result.x)
    return fitted_parameters(classes, objective, result, solver), result
