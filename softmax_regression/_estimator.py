"""SoftmaxRegression: validate -> encode -> objective -> solve -> attributes."""

from __future__ import annotations

import functools
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from ._dask import fit_dask, is_dask_collection, lazy_on_dask
from ._fit_hooks import SolveReport, iteration_callback, report_solve
from ._loss import MultinomialLoss, column_layout_pays
from ._objective import Objective
from ._penalty import make_penalty
from ._softmax import log_softmax, softmax
from ._solvers import SOLVERS, SolverResult, select_solver
from ._solvers._sgd import StochasticOptimizer
from ._validation import (
    check_feature_scale_for_sgd,
    check_numeric_features,
    check_solver_penalty,
    check_weighted_classes,
    encode_targets,
    is_probability_target,
    penalty_name,
    smooth_targets,
    weighted_targets,
)

_ACCEPT_SPARSE = ("csr", "csc")
_FLOAT_DTYPES = (np.float64, np.float32)
# What "tol" bounds, for the ConvergenceWarning.
_STOPPING_RULE = {
    "sgd": "make the loss (or validation score) stop improving by more than",
}
_GRADIENT_RULE = "bring the largest (sub)gradient entry down to"


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """numpy's and scipy's BLAS libraries, found once, at the first fit
    (both are loaded by then): inspecting them on every fit
    (``threadpool_limits``) cost 7.6 ms on the 2-core benchmark machine, as
    much as a small fit."""
    return ThreadpoolController()


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic (softmax) regression.

    Minimises the weighted mean cross-entropy of ``softmax(W x + b)`` plus an
    elastic-net penalty on ``W``::

        F(W, b) = sum_i s_i CE(y_i, softmax(W x_i + b)) / sum_i s_i
                  + alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * R(W))

    where ``s_i`` is the sample weight times the class weight and ``R`` is
    ``||W||_1`` (``penalty="elasticnet"``) or ``sum_j ||W[:, j]||_2``
    (``penalty="group"``).  The intercept is not penalised.
    scikit-learn's ``LogisticRegression(C=C, l1_ratio=l1_ratio)`` solves
    the same problem for ``alpha = 1 / (C * sum(s))``.  For two classes the
    full softmax keeps two rows ``w_1 = -w_0 = v / 2``, so scikit-learn's
    matching model has ``C = 2 / ((1 + l1_ratio) * alpha * sum(s))`` and
    ``l1_ratio = 2 * l1_ratio / (1 + l1_ratio)`` (``C = 2 / (alpha *
    sum(s))`` for pure L2, ``1 / (alpha * sum(s))`` for pure L1).

    Parameters
    ----------
    alpha : float, default=1e-4
        Strength of the penalty, >= 0.  With ``alpha=0`` on separable data the
        optimum is at infinity: the fit stops with finite coefficients and a
        ConvergenceWarning that says so.
    l1_ratio : float, default=0.0
        Elastic-net mixing in [0, 1]: ``0`` is the (smooth) L2 penalty,
        ``1`` the pure L1 (or group) penalty.  Any positive value makes
        the objective non-smooth, gives exact zeros in ``coef_`` and needs
        a proximal solver (``"fista"`` or ``"prox-newton"``, which
        ``"auto"`` chooses between).
    penalty : {"elasticnet", "group"}, default="elasticnet"
        The non-smooth term ``R`` weighted by ``l1_ratio``:

        - ``"elasticnet"``: ``||W||_1``, each coefficient set to zero on its
          own;
        - ``"group"``: ``sum_j ||W[:, j]||_2``, the norms of the features'
          columns (glmnet's ``type.multinomial="grouped"``): a feature is
          kept or dropped for all classes at once.

        Without effect when ``l1_ratio=0``.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercepts ``b``.
    solver : {"auto", "fista", "lbfgs", "newton-cg", "newton-cholesky", \
            "prox-newton"}, default="auto"
        Optimisation algorithm, all minimising the same objective:

        - ``"fista"``: accelerated proximal gradient with backtracking and
          adaptive restart, for ``l1_ratio > 0`` (it also handles the L2
          penalty); one pass over X per iteration;
        - ``"prox-newton"``: proximal Newton for ``l1_ratio > 0`` with few
          parameters: the full Hessian as for ``"newton-cholesky"``, the
          penalised quadratic model minimised by FISTA on that matrix;
          insensitive to feature scaling;

        - ``"lbfgs"``: scipy's L-BFGS-B on the fused loss-and-gradient kernel;
        - ``"newton-cg"``: truncated Newton, conjugate gradients on
          Hessian-vector products with a diagonal preconditioner;
        - ``"newton-cholesky"``: Newton with the full Hessian, for few
          parameters (``n_classes * (n_features + 1)`` up to a few
          hundred); insensitive to feature scaling;
        - ``"sgd"``: mini-batch stochastic gradient (Adam or momentum, see
          ``sgd_update``), for data too large for a full pass per step or
          arriving in pieces (:meth:`partial_fit` always uses it); it
          approaches the optimum only as closely as the learning-rate
          schedule allows;
        - ``"auto"``: up to 300 parameters (and a cheap Hessian)
          ``"newton-cholesky"``, or ``"prox-newton"`` when ``l1_ratio > 0``;
          beyond, ``"newton-cg"``, or ``"fista"`` when ``l1_ratio > 0``; the
          choice is kept in the private attribute ``_solver``.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the objective's gradient
        (for ``l1_ratio > 0``: of its minimal-norm subgradient) is at most
        ``tol``, or when the solver no longer decreases the objective by
        more than a few units in the last place of the data's dtype (the
        optimum to working precision).  For ``solver="sgd"``,
        as in scikit-learn's MLPClassifier: stop when for more than
        ``n_iter_no_change`` consecutive epochs the epoch's mean mini-batch
        objective does not fall by more than ``tol`` below its best (with
        ``early_stopping``, the validation accuracy does not rise by more
        than ``tol`` above its best).
    max_iter : int, default=1000
        Maximum number of solver iterations (Newton steps for the Newton
        and ``"prox-newton"`` solvers, proximal gradient steps for
        ``"fista"``, epochs, i.e. passes over the data, for ``"sgd"``).
    class_weight : dict or "balanced", default=None
        Weights ``{label: weight}`` multiplied into the sample weights;
        ``"balanced"`` weighs class k by ``sum(s) / (n_classes * sum of s
        over class k)``.
    warm_start : bool, default=False
        Start from the previous solution when refitting on data with the
        same classes and features.
    verbose : int, default=0
        If positive, print the objective and gradient norm every iteration.
    random_state : int, RandomState instance or None, default=None
        Seed of ``solver="sgd"`` and :meth:`partial_fit`: the order of the
        rows in each epoch and the early-stopping validation split.  The
        other solvers are deterministic and do not use it.
    n_jobs : int, default=None
        Threads that evaluate the loss over blocks of rows in parallel;
        ``None`` means 1 unless in a :func:`joblib.parallel_backend`
        context, ``-1`` means all processors.  BLAS runs single-threaded
        inside the fit, and results agree across thread counts to about
        1e-12 relative.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch of ``solver="sgd"`` and :meth:`partial_fit`;
        ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Step-size schedule of ``solver="sgd"`` and :meth:`partial_fit`:

        - ``"constant"``: ``learning_rate_init`` throughout;
        - ``"invscaling"``: after each epoch, ``learning_rate_init / (t +
          1) ** power_t``, ``t`` the number of samples seen;
        - ``"adaptive"``: ``learning_rate_init`` while the epochs improve
          (see ``tol``); each time ``n_iter_no_change`` epochs in a row do
          not, divided by 5, stopping once it falls below 1e-6.
    learning_rate_init : float, default=1e-3
        Initial step size of ``solver="sgd"``.  Adam's steps are about this
        large in every coordinate whatever the gradient's scale; momentum
        steps are this times the gradient.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    sgd_update : {"adam", "momentum"}, default="adam"
        Update rule of ``solver="sgd"``: Adam (moment decays 0.9 and 0.999,
        epsilon 1e-8, as in MLPClassifier) or SGD with Nesterov's momentum
        ``momentum``.
    momentum : float, default=0.9
        Momentum of ``sgd_update="momentum"``, in [0, 1).
    shuffle : bool, default=True
        Whether ``solver="sgd"`` and :meth:`partial_fit` visit the rows in
        a new random order every epoch.
    early_stopping : bool, default=False
        For ``solver="sgd"``: hold out ``validation_fraction`` of the
        training data (stratified), stop when its accuracy stops improving
        (see ``tol``) and keep the parameters with the best accuracy.
        :meth:`partial_fit` ignores it.
    validation_fraction : float, default=0.1
        Share of the training data held out by ``early_stopping``, in
        (0, 1).
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated by ``solver="sgd"`` before it
        stops (see ``tol``).
    average : bool or int, default=False
        For ``solver="sgd"`` and :meth:`partial_fit`, as in SGDClassifier:
        ``True`` reports the mean of all iterates (Polyak-Ruppert
        averaging), which removes most of the noise of the last iterate;
        an int ``a`` starts the mean once ``a`` samples have been seen.
        The iterates themselves carry on between calls.
    label_smoothing : float, default=0.0
        In [0, 1), with PyTorch's meaning: each target row ``y`` (one-hot
        for labels) becomes ``(1 - label_smoothing) * y + label_smoothing /
        n_classes``, for every solver.  Smoothing keeps the fitted
        probabilities away from 0 and 1.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients ``W``, in the dtype the model was fitted in (float32 for
        float32 data).  Two classes keep two rows.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts ``b``, centred to sum to zero (the softmax is invariant
        to a common shift); zeros when ``fit_intercept=False``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X had string column names.
    n_iter_ : int
        Number of solver iterations run (epochs for ``"sgd"``; one per call
        of :meth:`partial_fit`, counted since the last :meth:`fit`).
    loss_curve_ : list of float
        ``solver="sgd"`` and :meth:`partial_fit` only: the mean mini-batch
        objective of each epoch (of each :meth:`partial_fit` call).
    best_loss_ : float or None
        ``solver="sgd"`` only: the smallest entry of ``loss_curve_``;
        ``None`` with ``early_stopping``.
    validation_scores_ : list of float or None
        ``solver="sgd"`` with ``early_stopping`` only: the validation
        accuracy after each epoch; ``None`` otherwise.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, whose parameters were kept;
        ``None`` without ``early_stopping``.
    t_ : int
        ``solver="sgd"`` and :meth:`partial_fit` only: the number of
        training samples seen, counting repeats over epochs.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model, with other
        solvers and parameterisation.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from softmax_regression import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(alpha=1e-3).fit(X, y)
    >>> clf.predict(X[:2])
    array([0, 0])
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.996, 0.004, 0.   ]])

    Soft targets (rows of class probabilities, e.g. a teacher's
    predictions) and label smoothing:

    >>> teacher = clf.predict_proba(X)
    >>> student = SoftmaxRegression(alpha=1e-3).fit(X, teacher, classes=clf.classes_)
    >>> smoothed = SoftmaxRegression(label_smoothing=0.1).fit(X, y)

    Streaming, one batch at a time:

    >>> online = SoftmaxRegression(random_state=0)
    >>> for rows in (slice(0, 75), slice(75, 150)):
    ...     online = online.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "penalty": [StrOptions({"elasticnet", "group"})],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"auto", *SOLVERS})],
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
        "average": ["boolean", Interval(Integral, 1, None, closed="left")],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        alpha: float = 1e-4,
        *,
        l1_ratio: float = 0.0,
        penalty: str = "elasticnet",
        fit_intercept: bool = True,
        solver: str = "auto",
        tol: float = 1e-4,
        max_iter: int = 1000,
        class_weight=None,
        warm_start: bool = False,
        verbose: int = 0,
        random_state=None,
        n_jobs: int | None = None,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        power_t: float = 0.5,
        sgd_update: str = "adam",
        momentum: float = 0.9,
        shuffle: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        average: bool | int = False,
        label_smoothing: float = 0.0,
    ) -> None:
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.sgd_update = sgd_update
        self.momentum = momentum
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.average = average
        self.label_smoothing = label_smoothing

    #: Whether :meth:`partial_fit` exists (not for the cross-validated
    #: subclass, whose fit is a search).
    _streams = True

    def _penalty_streams(self) -> bool:
        """Whether the streaming optimiser can minimise this penalty; if not,
        there is no :meth:`partial_fit`, and the AttributeError says why."""
        name = penalty_name(self.alpha, self.l1_ratio, self.penalty)
        if name in SOLVERS["sgd"].SUPPORTED_PENALTIES:
            return True
        raise AttributeError(
            f"partial_fit is not available with the {name!r} penalty "
            f"(l1_ratio={self.l1_ratio}): the streaming optimiser only handles "
            "l1_ratio=0. Set l1_ratio=0 to stream, or use fit with "
            "solver='fista' or solver='prox-newton'."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y, sample_weight=None, *, classes=None) -> SoftmaxRegression:
        """Fit the model to labels or to rows of class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.  float32 data is fitted in float32, float64 in
            float64; other numeric types are converted to float64.  A
            C-contiguous float array or a CSR matrix is used without a copy.
            A Dask array or DataFrame is fitted on its workers, chunk by
            chunk (``solver`` "lbfgs" or "newton-cg"; "auto" means
            "newton-cg"), with ``y`` and ``sample_weight`` as Dask or
            in-memory arrays of labels and weights (see
            :mod:`softmax_regression._dask`; needs the ``dask`` extra).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels (integers or strings, at least two distinct), or
            soft targets: rows of class probabilities (entries >= 0 summing
            to 1 within 1e-6), e.g. a teacher model's predictions or the
            shares of annotators' votes.  A single column ``(n_samples, 1)``
            still means labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero.
        classes : array-like of shape (n_classes,), default=None
            The labels.  For soft targets, the label of each column of ``y``
            (default ``range(n_classes)``).  For labels, the full set of
            labels (default: those present in ``y``); every label of ``y``
            must be one of them.

        Returns
        -------
        self : SoftmaxRegression
            The fitted estimator.

        Notes
        -----
        Fitting to probability rows ``Y`` with weights ``s`` is fitting to
        the data in which each sample appears once per class k, labelled
        k, with weight ``s_i * Y_ik``; ``class_weight`` multiplies those
        weights, so it also reweights the rows.
        """
        self._validate_params()
        if is_dask_collection(X):
            return fit_dask(self, X, y, sample_weight, classes=classes)
        X, y = self._validate_X_y(X, y, reset=True)
        classes, target = encode_targets(y, classes)
        target, weight = weighted_targets(
            target, sample_weight, X, classes, self.class_weight
        )
        check_weighted_classes(weight, target, classes)
        target = smooth_targets(target, self.label_smoothing, classes.shape[0])
        solver = self._resolve_solver(X.shape, classes.shape[0])
        if solver == "sgd":
            objective, options = self._stochastic_problem(
                X, target, weight, classes.shape[0]
            )
        else:
            objective, options = self._objective(X, target, weight, len(classes)), {}
        result = self._solve(
            objective,
            solver,
            self._initial_parameters(classes, objective.loss),
            options,
        )
        self._set_solution(classes, objective.loss, result, solver)
        self._set_stochastic_state(options.get("optimizer"))
        self._warn_if_separated(objective.loss, result.x)
        return self

    @available_if(lambda self: self._streams and self._penalty_streams())
    def partial_fit(self, X, y, classes=None, sample_weight=None) -> SoftmaxRegression:
        """One pass of mini-batch SGD over a batch of data.

        Always uses the streaming optimiser of ``solver="sgd"`` (with
        ``batch_size``, ``sgd_update`` and the learning-rate schedule),
        whatever ``solver`` is, continuing from the current coefficients and
        optimiser state: after :meth:`fit` it refines that fit.  As in
        MLPClassifier, the optimiser is made with the settings of the first
        call (or of the first call after :meth:`fit`); changing them later
        with ``set_params`` takes effect at the next :meth:`fit`.
        ``early_stopping`` and ``max_iter`` do not apply; ``n_iter_``
        counts the calls.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of data, with the features of the first call.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels from ``classes`` (a batch may lack some of them), or rows
            of class probabilities over ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label the stream may contain.  Required on the first call
            for labels (for probability rows it defaults to
            ``range(n_classes)``); later calls may omit it or repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each mini-batch's weights are normalised
            to sum to one.

        Returns
        -------
        self : SoftmaxRegression
            The updated estimator.
        """
        self._validate_params()
        first_call = not hasattr(self, "classes_")
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' cannot be computed from one batch in "
                "partial_fit. Compute the weights over the whole stream, e.g. "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y), and pass them as a dict."
            )
        X, y = self._validate_X_y(X, y, reset=first_call)
        classes = self._partial_fit_classes(classes, y, first_call)
        classes, target = encode_targets(y, classes)
        target, weight = weighted_targets(
            target, sample_weight, X, classes, self.class_weight
        )
        target = smooth_targets(target, self.label_smoothing, classes.shape[0])
        check_feature_scale_for_sgd(X)
        objective = self._objective(_row_sliceable(X), target, weight, classes.shape[0])
        optimizer, w = self._streaming_start(objective.loss, first_call)
        try:
            with _blas_controller().limit(limits=1, user_api="blas"):
                loss = optimizer.run_epoch(objective, w)
        except ValueError:
            self._optimizer = None  # diverged: the next call restarts from coef_
            raise
        solution = optimizer.solution()
        optimizer.end_epoch(loss, solution, self.tol)
        n_iter = 1 if first_call else self.n_iter_ + 1
        self._set_solution(
            classes,
            objective.loss,
            SolverResult(solution, loss, n_iter, True, "one pass over the batch"),
            "sgd",
        )
        self._set_stochastic_state(optimizer)
        return self

    # -- the steps of fit, shared by every way of fitting ------------------
    def _resolve_solver(self, shape: tuple[int, int], n_classes: int) -> str:
        """The solver to run (``"auto"`` resolved), checked against the
        penalty."""
        penalty = penalty_name(self.alpha, self.l1_ratio, self.penalty)
        solver = self.solver
        if solver == "auto":
            solver = select_solver(shape[0], shape[1], n_classes, penalty)
        check_solver_penalty(solver, penalty)
        return solver

    def _objective(self, X, target, weight, n_classes: int) -> Objective:
        """Loss on ``(X, target, weight)`` plus the penalty of the
        parameters; wide sparse X is read by columns (see
        :func:`~softmax_regression._loss.column_layout_pays`)."""
        if column_layout_pays(X, n_classes):
            X = X.tocsc()
        loss = MultinomialLoss(
            X,
            target,
            weight,
            n_classes,
            fit_intercept=self.fit_intercept,
            n_threads=effective_n_jobs(self.n_jobs),
        )
        penalty = make_penalty(
            penalty_name(self.alpha, self.l1_ratio, self.penalty),
            self.alpha,
            self.l1_ratio,
            n_classes,
        )
        return Objective(loss, penalty)

    def _solve(
        self,
        objective: Objective,
        solver: str,
        w0: np.ndarray,
        options: dict | None = None,
    ):
        """Run ``solver`` from ``w0`` (with the solver's own keyword
        ``options``); warn when it does not converge."""
        # numpy and scipy each load their own multi-threaded BLAS; between
        # them, their spinning threads slow each small product tenfold on a
        # two-core machine, so BLAS runs single-threaded and parallelism
        # comes from the loss's own threads over blocks of rows (n_jobs).
        with _blas_controller().limit(limits=1, user_api="blas"):
            result = SOLVERS[solver].solve(
                objective,
                w0,
                tol=self.tol,
                max_iter=self.max_iter,
                callback=iteration_callback(
                    self._print_progress if self.verbose else None
                ),
                **(options or {}),
            )
        report_solve(
            SolveReport(solver, result.n_iter, result.converged, result.message)
        )
        if not result.converged:
            warnings.warn(
                f"SoftmaxRegression (solver={solver!r}) did not converge: "
                f"{result.n_iter} iterations (max_iter={self.max_iter}) did not "
                f"{_STOPPING_RULE.get(solver, _GRADIENT_RULE)} tol={self.tol:g} "
                f"(solver says: {result.message}). Increase max_iter, scale the "
                "features (e.g. StandardScaler) or increase alpha.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result

    def _set_solution(
        self, classes, loss: MultinomialLoss, result, solver: str
    ) -> None:
        """The fitted attributes from a solver's result."""
        coef, intercept = loss.unpack(result.x)
        self.classes_ = classes
        self.coef_ = coef.copy()
        self._solver = solver
        self.intercept_ = (
            intercept - intercept.mean()
            if intercept is not None
            else np.zeros(classes.shape[0], dtype=loss.dtype)
        )
        self.n_iter_ = result.n_iter

    def _warn_if_separated(self, loss, w) -> None:
        """Warn when the unpenalised model ``w`` separates the training data
        (``loss.separates``, one more pass over it, only when ``alpha=0``).

        Then no finite minimiser exists, so the coefficients are only as
        large as the solver's stopping point made them, even when it
        reported convergence.
        """
        if self.alpha != 0 or not loss.separates(w):
            return
        warnings.warn(
            "SoftmaxRegression with alpha=0 separates the training data "
            "perfectly: the unpenalised optimum lies at infinity, and coef_ is "
            f"only as large as the solver's stopping point (tol={self.tol:g}, "
            f"max_iter={self.max_iter}) made it. Set alpha > 0 for a "
            "well-defined model.",
            ConvergenceWarning,
            stacklevel=3,
        )

    def _initial_parameters(self, classes, loss: MultinomialLoss) -> np.ndarray:
        """Zeros, or the previous solution under ``warm_start``."""
        w0 = None
        if self.warm_start and hasattr(self, "coef_"):
            if np.array_equal(self.classes_, classes):
                w0 = self._current_parameters(loss)
        return w0 if w0 is not None else np.zeros(loss.n_params, dtype=np.float64)

    def _current_parameters(self, loss: MultinomialLoss) -> np.ndarray | None:
        """The fitted ``coef_`` and ``intercept_`` as a flat float64 vector
        for ``loss``'s layout, or None if their shape does not fit it."""
        if self.coef_.shape != (loss.n_classes, loss.n_features):
            return None
        w = np.zeros(loss.n_params, dtype=np.float64)
        w[: loss.n_coef] = self.coef_.ravel()
        if loss.fit_intercept:
            w[loss.n_coef :] = self.intercept_
        return w

    # -- the streaming solver's pieces -------------------------------------
    def _validate_X_y(self, X, y, *, reset: bool):
        """``validate_data`` for labels, or for probability rows (2-D y)."""
        check_numeric_features(X)
        soft = is_probability_target(y)
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse=_ACCEPT_SPARSE,
            dtype=_FLOAT_DTYPES,
            multi_output=soft,
            y_numeric=soft,
        )

    def _partial_fit_classes(self, classes, y, first_call: bool):
        """The classes of a ``partial_fit`` call, checked against the first."""
        if first_call:
            if classes is None and not is_probability_target(y):
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the labels of the whole stream, e.g. "
                    "partial_fit(X, y, classes=np.unique(y_all))."
                )
            return classes
        if classes is not None:
            declared, _ = encode_targets(np.asarray(classes))
            if not np.array_equal(declared, self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()} differs from the "
                    f"classes {self.classes_.tolist()} of the first call to "
                    "partial_fit (or of fit); they cannot change."
                )
        return self.classes_

    def _streaming_start(self, loss: MultinomialLoss, first_call: bool):
        """The optimiser and the iterate a ``partial_fit`` call continues
        from: the streaming state if there is one, else a new optimiser
        from the fitted coefficients (or zeros on the first call)."""
        optimizer = None if first_call else getattr(self, "_optimizer", None)
        if optimizer is not None and optimizer.w is not None:
            return optimizer, optimizer.w
        w = None if first_call else self._current_parameters(loss)
        optimizer = self._new_optimizer(check_random_state(self.random_state))
        return optimizer, w if w is not None else np.zeros(loss.n_params)

    def _new_optimizer(self, random_state) -> StochasticOptimizer:
        """The streaming optimiser with this estimator's settings."""
        return StochasticOptimizer(
            update=self.sgd_update,
            learning_rate=self.learning_rate,
            learning_rate_init=self.learning_rate_init,
            power_t=self.power_t,
            momentum=self.momentum,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            random_state=random_state,
            n_iter_no_change=self.n_iter_no_change,
            average=self.average,
        )

    def _stochastic_problem(self, X, target, weight, n_classes: int):
        """The objective and the ``"sgd"`` solver's options: the optimiser
        and, with ``early_stopping``, the score on a held-out split."""
        check_feature_scale_for_sgd(X)
        random_state = check_random_state(self.random_state)
        X = _row_sliceable(X)
        validation_score = None
        if self.early_stopping:
            labels = target if target.ndim == 1 else np.argmax(target, axis=1)
            n_held_out = int(np.ceil(self.validation_fraction * X.shape[0]))
            if n_held_out < 2:
                raise ValueError(
                    f"The validation set is too small ({n_held_out} samples): "
                    "increase validation_fraction or the size of the data, or "
                    "set early_stopping=False."
                )
            train, held_out = train_test_split(
                np.arange(X.shape[0]),
                test_size=self.validation_fraction,
                random_state=random_state,
                stratify=labels,
            )
            train, held_out = np.sort(train), np.sort(held_out)
            objective = self._objective(
                X[train], target[train], weight[train], n_classes
            )
            validation_score = _accuracy_scorer(
                X[held_out], labels[held_out], weight[held_out], objective.loss
            )
        else:
            objective = self._objective(X, target, weight, n_classes)
        options = {
            "optimizer": self._new_optimizer(random_state),
            "validation_score": validation_score,
        }
        return objective, options

    def _set_stochastic_state(self, optimizer: StochasticOptimizer | None) -> None:
        """The attributes of the streaming solver, or none of them."""
        self._optimizer = optimizer
        names = ("loss_curve_", "best_loss_", "validation_scores_")
        names += ("best_validation_score_", "t_")
        if optimizer is None:
            for name in names:
                self.__dict__.pop(name, None)
            return
        scored = bool(optimizer.validation_scores)
        self.loss_curve_ = list(optimizer.loss_curve)
        self.best_loss_ = None if scored else float(optimizer.best_loss)
        self.validation_scores_ = list(optimizer.validation_scores) if scored else None
        self.best_validation_score_ = (
            float(optimizer.best_validation_score) if scored else None
        )
        self.t_ = optimizer.n_samples_seen

    def _print_progress(self, n_iter: int, w, value: float, grad_max: float) -> None:
        print(
            f"[SoftmaxRegression] iter {n_iter:4d}  objective {value:.10e}  "
            f"max|grad| {grad_max:.3e}"
        )

    # -- prediction --------------------------------------------------------
    def _logits(self, X) -> np.ndarray:
        check_is_fitted(self)
        check_numeric_features(X)
        X = validate_data(
            self, X, accept_sparse=_ACCEPT_SPARSE, dtype=_FLOAT_DTYPES, reset=False
        )
        with np.errstate(over="ignore", invalid="ignore"):
            logits = safe_sparse_dot(X, self.coef_.T, dense_output=True)
        overflowed = ~np.all(np.isfinite(logits), axis=1)
        if np.any(overflowed):
            logits[overflowed] = self._rescaled_products(X[overflowed])
        return logits + self.intercept_

    def _rescaled_products(self, X) -> np.ndarray:
        """``X @ coef_.T`` for rows whose product overflowed.

        Each row is divided by its largest absolute entry before the product
        and multiplied back after, so an overflow becomes a clean ``+-inf``
        (which the softmax handles) instead of ``inf - inf = nan``.
        """
        X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
        scale = np.max(np.abs(X), axis=1, keepdims=True)
        with np.errstate(over="ignore"):
            return (X / scale @ self.coef_.T) * scale

    @lazy_on_dask
    def decision_function(self, X) -> np.ndarray:
        """Logits ``W x + b`` of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes) or (n_samples,)
            The logits; for two classes scikit-learn's convention, the 1-D
            score ``z_1 - z_0`` of the second class.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    @lazy_on_dask
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``softmax(W x + b)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows in [0, 1] summing to one, columns in the order of
            ``classes_``.
        """
        return softmax(self._logits(X), axis=1)

    @lazy_on_dask
    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities ``z - logsumexp(z)``, finite where ``exp``
        underflows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        return log_softmax(self._logits(X), axis=1)


def _row_sliceable(X):
    """``X``, as CSR if it is a CSC matrix: mini-batches slice rows."""
    return X.tocsr() if sp.issparse(X) and X.format == "csc" else X


def _accuracy_scorer(X, labels, weight, loss: MultinomialLoss):
    """``score(w)``: the weighted accuracy on ``(X, labels)`` of the flat
    parameters ``w`` (in ``loss``'s layout)."""
    weights = weight if weight.sum() > 0 else None

    def score(w: np.ndarray) -> float:
        coef, intercept = loss.unpack(w)
        logits = safe_sparse_dot(X, coef.T, dense_output=True)
        if intercept is not None:
            logits = logits + intercept
        return float(np.average(np.argmax(logits, axis=1) == labels, weights=weights))

    return score
