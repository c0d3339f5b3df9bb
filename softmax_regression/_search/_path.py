"""The regularisation path: one fit per alpha, each warm-started from the last.

Every point of the path is fitted by the fitting core
(:func:`~softmax_regression._fitting.fit_objective`) with the configuration
of ``SoftmaxRegression(alpha=a, l1_ratio=r, ...)``, so the path solves
exactly the problem that estimator's ``fit`` solves, whatever the penalty.

The path reads its data only through a problem's ``objective``,
``solver`` and ``class_totals`` (see :class:`PathProblem`), so the same
path runs on data held elsewhere: :class:`~softmax_regression._search.
_dask_search.DaskPathProblem` supplies the objective of data in chunks on
Dask workers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array, check_X_y

from .._box import check_bounds
from .._fitting import FitConfig, fit_objective, in_memory_objective
from .._loss import column_layout_pays, newton_cg_steps, row_leverages
from .._objective import Objective
from .._penalty import PENALTY_OPTIONS, make_penalty
from .._solvers import SOLVER_OPTIONS
from .._validation import (
    ACCEPT_SPARSE,
    FLOAT_DTYPES,
    check_weighted_classes,
    class_totals,
    encode_labels,
    sample_weights,
)

#: For pure L2 the grid's top is the L1 formula at this ``l1_ratio`` (as
#: glmnet does for ridge): no finite L2 strength zeroes the coefficients.
_L2_RATIO_FLOOR = 1e-3
#: ``alpha_min / alpha_max`` of the default grid: ``enet_path``'s 1e-3 when
#: the penalty has an L1 part; for pure L2, whose top is 1000x higher, 1e-6,
#: so both grids end at ``1e-3 * max|gradient|``.
_EPS_L1 = 1e-3
_EPS_L2 = 1e-6
#: Highest degree of the polynomial extrapolating the path to the next alpha.
_PREDICTOR_ORDER = 2


@dataclass
class PathProblem:
    """Validated data of one path: what every point of it shares.

    Attributes
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The data, float32 or float64.
    target : ndarray of shape (n_samples,)
        Class indices into ``classes``.
    weight : ndarray of shape (n_samples,)
        Sample weight times class weight.
    classes : ndarray of shape (n_classes,)
        The labels; a class may carry zero weight (absent from a
        cross-validation fold), its probabilities are then pushed towards
        zero.
    """

    X: object
    target: NDArray[np.intp]
    weight: NDArray[np.float64]
    classes: NDArray
    _cg_steps_by_intercept: dict = field(default_factory=dict, init=False, repr=False)
    _leverages_by_intercept: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Every point's loss reads wide sparse X by columns: convert it once
        # here, not once per alpha in in_memory_objective.
        if column_layout_pays(self.X, len(self.classes)):
            self.X = self.X.tocsc()

    @property
    def n_features(self) -> int:
        """Number of features."""
        return self.X.shape[1]

    @property
    def dtype(self) -> np.dtype:
        """The dtype the path is fitted in (X's)."""
        return self.X.dtype

    def class_totals(self) -> NDArray[np.float64]:
        """The total weight of each class."""
        return class_totals(self.target, self.weight, self.classes.shape[0])

    def solver(self, config: FitConfig) -> str:
        """The solver ``config`` runs on this data (``"auto"`` resolved)."""
        return config.resolve_solver(
            *self.X.shape,
            self.classes.shape[0],
            cg_steps=lambda: self.cg_steps(config.fit_intercept),
            row_leverages=lambda: self.leverages(config.fit_intercept),
        )

    def cg_steps(self, fit_intercept: bool) -> int:
        """The conjugate-gradient iterations a Newton step needs on the
        features (see :func:`~softmax_regression._loss.newton_cg_steps`),
        computed once for every point of the path."""
        if fit_intercept not in self._cg_steps_by_intercept:
            self._cg_steps_by_intercept[fit_intercept] = newton_cg_steps(
                self.X, self.weight, fit_intercept
            )
        return self._cg_steps_by_intercept[fit_intercept]

    def leverages(self, fit_intercept: bool) -> tuple[float, float]:
        """How evenly the rows carry the curvature (see
        :func:`~softmax_regression._loss.row_leverages`), computed
        once for every point of the path."""
        if fit_intercept not in self._leverages_by_intercept:
            self._leverages_by_intercept[fit_intercept] = row_leverages(
                self.X, self.weight, fit_intercept
            )
        return self._leverages_by_intercept[fit_intercept]

    def objective(self, config: FitConfig) -> Objective:
        """``config``'s objective (its loss and penalty) on this data."""
        return in_memory_objective(
            config, self.X, self.target, self.weight, self.classes.shape[0]
        )


@dataclass
class PathResult:
    """The solutions along a path, in the order of ``alphas``.

    Attributes
    ----------
    coefs : ndarray of shape (n_alphas, n_classes, n_features)
    intercepts : ndarray of shape (n_alphas, n_classes)
    n_iters : ndarray of shape (n_alphas,)
    converged : ndarray of shape (n_alphas,)
        Whether each solve met its stopping rule.
    objectives : ndarray of shape (n_alphas,)
        The objective at each solution.
    """

    coefs: NDArray
    intercepts: NDArray
    n_iters: NDArray[np.intp]
    converged: NDArray[np.bool_]
    objectives: NDArray[np.float64]


def _extrapolate(history: list[tuple[float, NDArray]], t: float) -> NDArray:
    """The polynomial through the points ``(t_i, w_i)`` of ``history``,
    evaluated at ``t`` (Lagrange form)."""
    guess = np.zeros_like(history[0][1])
    for i, (t_i, w_i) in enumerate(history):
        factor = np.prod(
            [(t - t_j) / (t_i - t_j) for j, (t_j, _) in enumerate(history) if j != i]
        )
        guess += factor * w_i
    return guess


def _remember(history: list[tuple[float, NDArray]], t: float, w: NDArray):
    """The last solutions to extrapolate from, at distinct ``t = log(alpha)``
    (a repeated alpha replaces its previous solution)."""
    if history and history[-1][0] == t:
        history = history[:-1]
    return [*history[-_PREDICTOR_ORDER:], (t, w)]


def _start(objective, w: NDArray, history: list[tuple[float, NDArray]], alpha: float):
    """The warm start of the next point: the previous solution ``w``, or its
    extrapolation along the path when that has a lower objective.

    The solutions are smooth in ``log(alpha)`` (between the kinks an L1 part
    makes), so the polynomials of degree 1 and 2 through the last solutions
    predict the next one (a predictor step of path following); each
    candidate costs one evaluation of the objective, and the solver corrects
    whichever is kept.
    """
    if not alpha > 0 or len(history) < 2:
        return w
    best, best_value = w, objective.value(w)
    for order in range(1, min(len(history), _PREDICTOR_ORDER + 1)):
        guess = _extrapolate(history[-(order + 1) :], float(np.log(alpha)))
        value = objective.value(guess)
        if value < best_value:
            best, best_value = guess, value
    return best


def solve_path(
    config: FitConfig,
    problem: PathProblem,
    alphas: NDArray[np.float64],
    w0: NDArray[np.float64] | None = None,
) -> PathResult:
    """Fit ``config``'s problem at each alpha in turn, warm-starting each
    solve from the previous solutions (see :func:`_start`).

    Parameters
    ----------
    config : FitConfig
        Penalty, solver, tolerance, ...; its ``alpha`` is replaced per
        point.
    problem : PathProblem
        The validated data, or an object with its ``n_features``,
        ``dtype``, ``classes``, ``objective`` and ``solver`` (e.g.
        :class:`~softmax_regression._search._dask_search.DaskPathProblem`).
    alphas : ndarray of shape (n_alphas,)
        Penalty strengths, in the order to solve them (decreasing is what
        makes warm starts pay).
    w0 : ndarray, default=None
        Flat starting vector of the first solve; zeros when None.

    Returns
    -------
    PathResult
    """
    n_classes = problem.classes.shape[0]
    coefs = np.empty((len(alphas), n_classes, problem.n_features), problem.dtype)
    intercepts = np.empty((len(alphas), n_classes), dtype=problem.dtype)
    n_iters = np.empty(len(alphas), dtype=np.intp)
    converged = np.empty(len(alphas), dtype=bool)
    objectives = np.empty(len(alphas))
    w = w0
    history: list[tuple[float, NDArray]] = []
    for index, alpha in enumerate(alphas):
        point = config.at(alpha)
        solver = problem.solver(point)
        objective = problem.objective(point)
        if w is None:
            w = objective.layout.zeros()
        fitted, result = fit_objective(
            point,
            objective,
            problem.classes,
            solver,
            _start(objective, w, history, alpha),
            check_separation=False,
        )
        if alpha > 0:
            history = _remember(history, float(np.log(alpha)), result.x)
        coefs[index] = fitted.coef
        intercepts[index] = fitted.intercept
        n_iters[index] = fitted.n_iter
        converged[index] = fitted.converged
        objectives[index] = fitted.objective
        w = result.x
    return PathResult(coefs, intercepts, n_iters, converged, objectives)


def max_gradient_at_null(config: FitConfig, problem: PathProblem) -> float:
    """The size of the loss gradient in ``W`` at the null model.

    The null model is ``W = 0`` with, when ``config.fit_intercept``, the
    intercepts at their optimum, the log of the weighted class frequencies;
    with unpenalised features (``penalty_factor`` 0), those features'
    coefficients and the intercepts at their optimum, the others 0.  The
    size is the dual norm of the non-smooth part that ``penalty`` names,
    weighted by the factors (:meth:`Penalty.dual_norm`: the largest
    ``|g| / f`` for ``"elasticnet"``, the largest column norm over ``f``
    for ``"group"``): with that part of weight ``alpha * l1_ratio``, the
    null model is optimal exactly when ``alpha * l1_ratio`` is at least
    this value.
    """
    objective = problem.objective(config)
    layout = objective.layout
    factor = objective.penalty.factor  # checked when the penalty was made
    if factor is not None and np.any(factor == 0):
        w = _unpenalised_fit(config, problem, factor == 0)
    else:
        w = layout.zeros()
        if config.fit_intercept:
            prior = problem.class_totals()
            w[layout.n_coef :] = np.log(np.maximum(prior / prior.sum(), 1e-300))
    _, grad = objective.loss_value_and_grad(w)
    shape = make_penalty(config.penalty, 1.0, 1.0, layout.n_classes, factor)
    return shape.dual_norm(grad[: layout.n_coef])


def _unpenalised_fit(config: FitConfig, problem, free: NDArray[np.bool_]):
    """The flat solution with only the ``free`` (unpenalised) features'
    coefficients and the intercepts fitted, the others held at 0 (bounds
    of 0 on them), unpenalised."""
    n_classes = problem.classes.shape[0]
    bounds = check_bounds(config.lower_bound, config.upper_bound, n_classes, len(free))
    lower, upper = (-np.inf, np.inf) if bounds is None else bounds
    lower, upper = np.where(free, lower, 0.0), np.where(free, upper, 0.0)
    null = replace(
        config.at(0.0),
        penalty_factor=None,
        lower_bound=lower,
        upper_bound=upper,
        solver="auto",
        verbose=0,
    )
    objective = problem.objective(null)
    with warnings.catch_warnings():
        # unpenalised, it may not converge (separable): the top of a grid
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, result = fit_objective(
            null,
            objective,
            problem.classes,
            problem.solver(null),
            objective.layout.zeros(),
            check_separation=False,
        )
    return result.x


def default_alphas(
    config: FitConfig,
    problem: PathProblem,
    n_alphas: int,
    eps: float | None,
) -> NDArray[np.float64]:
    """``n_alphas`` log-spaced strengths from ``alpha_max`` down to
    ``eps * alpha_max`` (see :func:`softmax_regression_path`)."""
    l1_ratio = float(config.l1_ratio)
    if eps is None:
        eps = _EPS_L1 if l1_ratio > 0 else _EPS_L2
    alpha_max = max_gradient_at_null(config, problem) / max(l1_ratio, _L2_RATIO_FLOOR)
    if not alpha_max > 0:
        # The null model is already optimal (e.g. constant features): any
        # alpha gives W = 0; keep a grid of positive strengths all the same.
        alpha_max = 1.0
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def check_alphas(alphas: ArrayLike) -> NDArray[np.float64]:
    """A 1-D grid of finite, non-negative strengths, sorted decreasing."""
    alphas = check_array(
        alphas, ensure_2d=False, dtype=np.float64, input_name="alphas"
    ).ravel()
    if np.any(alphas < 0):
        raise ValueError(
            f"alphas must be >= 0, got {alphas[alphas < 0].tolist()}; the penalty "
            "strength alpha is a non-negative number."
        )
    return np.sort(alphas)[::-1]


def check_path_problem(X, y, sample_weight, class_weight) -> PathProblem:
    """Validate ``(X, y, sample_weight)`` as :meth:`SoftmaxRegression.fit`
    does, and encode them."""
    X, y = check_X_y(X, y, accept_sparse=ACCEPT_SPARSE, dtype=FLOAT_DTYPES)
    classes, target = encode_labels(y)
    weight = sample_weights(sample_weight, X, target, classes, class_weight)
    check_weighted_classes(weight, target, classes)
    return PathProblem(X, target, weight, classes)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "alphas": ["array-like", None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "penalty": [StrOptions(set(PENALTY_OPTIONS))],
        "penalty_factor": ["array-like", None],
        "lower_bound": [Real, "array-like", None],
        "upper_bound": [Real, "array-like", None],
        "sample_weight": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither"), None],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(SOLVER_OPTIONS))],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def softmax_regression_path(
    X,
    y,
    alphas: ArrayLike | None = None,
    *,
    l1_ratio: float = 0.0,
    penalty: str = "elasticnet",
    penalty_factor: ArrayLike | None = None,
    lower_bound=None,
    upper_bound=None,
    sample_weight: ArrayLike | None = None,
    n_alphas: int = 100,
    eps: float | None = None,
    fit_intercept: bool = True,
    solver: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 1000,
    class_weight=None,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Softmax regression solutions along a decreasing grid of ``alpha``.

    Solves ``SoftmaxRegression(alpha=a, l1_ratio=l1_ratio, ...)`` for each
    ``a`` in ``alphas``, from the strongest penalty to the weakest, each
    solve starting from the previous solution (warm start), which costs a
    fraction of the iterations of independent fits.  Each point is the
    solution ``SoftmaxRegression.fit`` reaches with the same parameters, to
    the solver's tolerance.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data (float32 is fitted in float32, as by
        :class:`SoftmaxRegression`).
    y : array-like of shape (n_samples,)
        Class labels, at least two distinct.
    alphas : array-like of shape (n_alphas,), default=None
        Penalty strengths, >= 0; sorted decreasing before solving.  None
        builds ``n_alphas`` strengths log-spaced from ``alpha_max`` down to
        ``eps * alpha_max``, where ``alpha_max = G / l1_ratio`` and ``G``
        is the largest absolute entry of the loss gradient in ``W`` at the
        null model (``W = 0``, intercepts at the log class frequencies):
        with an L1 part, the smallest alpha at which every coefficient is
        zero.  For pure L2 (``l1_ratio=0``) no alpha zeroes the
        coefficients; as glmnet does, ``G / 0.001`` is used, where the fit is
        close to the null model.
    l1_ratio : float, default=0.0
        Elastic-net mixing in [0, 1], as in :class:`SoftmaxRegression`
        (whose solvers decide which values are supported).
    penalty : {"elasticnet", "group"}, default="elasticnet"
        The shape of the L1 part, as in :class:`SoftmaxRegression`: single
        entries, or whole feature columns (then ``G`` above is the largest
        column norm of the gradient).
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature multipliers of the penalty, as in
        :class:`SoftmaxRegression`.  ``G`` above is then the largest
        ``|gradient| / penalty_factor`` over the penalised features, at the
        null model in which the unpenalised features (factor 0) are fitted.
    lower_bound, upper_bound : float or array-like, default=None
        Bounds on the coefficients, as in :class:`SoftmaxRegression`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; integer weights give the path of the data
        with rows repeated.
    n_alphas : int, default=100
        Number of strengths of the default grid (ignored when ``alphas`` is
        given).
    eps : float, default=None
        ``alpha_min / alpha_max`` of the default grid.  None means ``1e-3``
        (``enet_path``'s default) when ``l1_ratio > 0`` and ``1e-6`` for pure
        L2, whose ``alpha_max`` is 1000 times higher, so that both grids end
        at ``0.001 * G``.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercepts.
    solver : {"auto", "fista", "lbfgs", "newton-cg", "newton-cholesky", \
            "prox-newton", "sgd", "subsampled-newton"}, default="auto"
        As in :class:`SoftmaxRegression`; ``"auto"`` is resolved per point.
    tol : float, default=1e-4
        Stopping tolerance of each solve, as in :class:`SoftmaxRegression`.
    max_iter : int, default=1000
        Maximum iterations of each solve.
    class_weight : dict or "balanced", default=None
        As in :class:`SoftmaxRegression`.
    n_jobs : int, default=None
        Threads evaluating the loss, as in :class:`SoftmaxRegression`.
    verbose : int, default=0
        If positive, print each solver iteration.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The strengths, decreasing.
    coefs : ndarray of shape (n_alphas, n_classes, n_features)
        ``coef_`` at each alpha, classes in sorted label order (as
        ``np.unique(y)``), in the data's dtype.
    intercepts : ndarray of shape (n_alphas, n_classes)
        ``intercept_`` at each alpha (centred to sum to zero; zeros when
        ``fit_intercept=False``).
    n_iters : ndarray of shape (n_alphas,)
        Solver iterations at each alpha.

    See Also
    --------
    SoftmaxRegressionCV : Chooses alpha by cross-validation along this path.
    sklearn.linear_model.enet_path : The same convention for linear models.

    Notes
    -----
    Unlike :func:`sklearn.linear_model.enet_path`, which returns coefficients
    of shape ``(n_features, n_alphas)``, the alpha axis comes first here, so
    ``coefs[i]`` is the ``coef_`` of ``alphas[i]``.  A point that does not
    converge within ``max_iter`` raises a
    :class:`~sklearn.exceptions.ConvergenceWarning`, as a fit does.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from softmax_regression import softmax_regression_path
    >>> X, y = load_iris(return_X_y=True)
    >>> alphas, coefs, intercepts, n_iters = softmax_regression_path(
    ...     X, y, n_alphas=5
    ... )
    >>> coefs.shape
    (5, 3, 4)
    >>> bool(alphas[0] > alphas[-1])
    True
    """
    config = FitConfig(
        l1_ratio=l1_ratio,
        penalty=penalty,
        penalty_factor=penalty_factor,
        lower_bound=lower_bound,
        upper_bound=upper_bound,
        fit_intercept=fit_intercept,
        solver=solver,
        tol=tol,
        max_iter=max_iter,
        verbose=verbose,
        n_jobs=n_jobs,
    )
    problem = check_path_problem(X, y, sample_weight, class_weight)
    if alphas is None:
        alphas = default_alphas(config, problem, n_alphas, eps)
    alphas = check_alphas(alphas)
    path = solve_path(config, problem, alphas)
    return alphas, path.coefs, path.intercepts, path.n_iters
