"""SoftmaxRegression: the parameters, ``fit`` and ``partial_fit`` calling the
fitting core, and the predictions.

The estimator validates and encodes its input (:mod:`._validation`), then
hands an explicit configuration to the fitting core (:mod:`._fitting`), the
streaming optimiser (:mod:`._streaming`) or the Dask layer (:mod:`._dask`),
and keeps the fitted parameters they return.  It never computes a gradient.
"""

from __future__ import annotations

from typing import ClassVar

from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import _check_feature_names

from ._callbacks import CallbackSupportMixin
from ._dask import (
    dask_objective,
    dask_solver,
    is_dask_collection,
    persist_dask_data,
)
from ._fitting import (
    FitConfig,
    Fitted,
    all_or_nothing,
    check_warm_start,
    fit_objective,
    in_memory_objective,
    start_point,
    warm_starts,
)
from ._loss import newton_cg_steps, row_leverages
from ._parameters import PARAMETER_CONSTRAINTS
from ._partial_fit import PartialFitMixin
from ._prediction import SoftmaxPredictionMixin
from ._streaming import (
    STREAMING_ATTRIBUTES,
    StreamingConfig,
    sgd_problem,
    streaming_attributes,
)
from ._validation import (
    check_feature_scale_for_sgd,
    check_weighted_classes,
    encode_targets,
    validate_X_y,
    weighted_targets,
)


class SoftmaxRegression(
    CallbackSupportMixin,
    PartialFitMixin,
    SoftmaxPredictionMixin,
    ClassifierMixin,
    BaseEstimator,
):
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
    penalty_factor : array-like of shape (n_features,), default=None
        glmnet's ``penalty.factor``: feature j's coefficients are penalised
        by ``alpha * penalty_factor[j]`` in both the L2 and the non-smooth
        part, for every penalty and solver; 0 leaves a feature unpenalised
        (e.g. a confounder to adjust for).  Entries >= 0, used as given
        (glmnet rescales them to sum to ``n_features``; this does not).
        None means ones.
    lower_bound, upper_bound : float or array-like, default=None
        glmnet's ``lower.limits`` / ``upper.limits``: bounds on each
        coefficient ``W[k, j]`` (the intercepts stay free), a scalar, one
        per feature ``(n_features,)`` or one per class and feature
        ``(n_classes, n_features)``; ``-inf`` / ``inf`` (or None) for no
        bound, e.g. ``lower_bound=0`` for non-negative coefficients.
        Solvers ``"lbfgs"``, ``"newton-cholesky"``, ``"fista"`` and
        ``"prox-newton"`` keep to them (``"auto"`` picks among them); not
        with ``penalty="group"`` and ``l1_ratio > 0``.  What bounds mean in
        the symmetric parameterisation: see "Coefficient bounds" in the
        user guide.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercepts ``b``.
    solver : {"auto", "fista", "lbfgs", "newton-cg", "newton-cholesky", \
            "prox-newton", "sgd", "subsampled-newton"}, default="auto"
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
        - ``"subsampled-newton"``: Newton-CG whose Hessian-vector products
          run on a copy of a sample of the rows (10%), drawn afresh at
          every Newton step; after a start on one sample (its first steps
          take the gradient from the sample too), the objective and
          gradient use every row, so it stops at the same optimum; for
          many rows (tens of thousands); deterministic (a fixed seed);
        - ``"newton-cholesky"``: Newton with the full Hessian, for few
          parameters (``n_classes * (n_features + 1)`` up to a few
          hundred, or on raw features up to a thousand or two);
          insensitive to feature scaling;
        - ``"sgd"``: mini-batch stochastic gradient (Adam or momentum, see
          ``sgd_update``), for data too large for a full pass per step or
          arriving in pieces (:meth:`partial_fit` always uses it); it
          approaches the optimum only as closely as the learning-rate
          schedule allows;
        - ``"auto"``: ``"newton-cholesky"`` where the full Hessian costs
          less than the conjugate-gradient products a Newton step needs on
          these features (estimated from the spectrum of their scaled
          second moments; up to 1,500 parameters: badly scaled raw
          features); otherwise, from 20,000 rows ``"subsampled-newton"``,
          below ``"newton-cg"``; when ``l1_ratio > 0``, ``"prox-newton"``
          up to 300 parameters (and a cheap Hessian), else ``"fista"``;
          with bounds ``"lbfgs"`` for the Newton-CG ones.  The user guide
          gives the rule and its measurements.  The choice is kept in the
          private attribute ``_solver``.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the objective's gradient
        (for ``l1_ratio > 0``: of its minimal-norm subgradient) is at most
        ``tol`` and, for the smooth solvers (``"lbfgs"``, ``"newton-cg"``,
        ``"newton-cholesky"`` and ``"subsampled-newton"``, without bounds),
        so is the Newton decrement ``sqrt(g^T H^-1 g)``: half its square is
        the objective's distance from the optimum to second order, so each
        of them stops within about ``tol**2 / 2`` of the optimum (5e-9 at
        the default).  Or stop when the solver no longer decreases the
        objective by more than a few units in the last place of the data's
        dtype (the optimum to working precision).  For ``solver="sgd"``,
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
    learning_rate_init : float, default=1e-2
        Initial step size of ``solver="sgd"`` (earlier releases' default was
        1e-3).  Adam's steps are about this large in every coordinate
        whatever the gradient's scale; momentum steps are this times the
        gradient.
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
    average : bool, int or "polynomial", default="polynomial"
        For ``solver="sgd"`` and :meth:`partial_fit`: the reported
        coefficients are a running mean of the iterates, which removes most
        of the noise of the last one.  ``"polynomial"`` weighs recent
        iterates more (Shamir and Zhang's polynomial-decay average), so the
        defaults approach the optimum without tuning; ``True`` is
        SGDClassifier's uniform mean, an int ``a`` starts it once ``a``
        samples have been seen, False reports the last iterate (earlier
        releases' default).  The iterates carry on between calls.
    label_smoothing : float, default=0.0
        In [0, 1), with PyTorch's meaning: each target row ``y`` (one-hot
        for labels) becomes ``t = (1 - label_smoothing) * y +
        label_smoothing / n_classes``, for every solver.  Smoothing keeps
        the fitted probabilities away from 0 and 1.  With ``class_weight``
        ``w``, class c's term is weighted by ``w_c`` as in PyTorch's
        ``CrossEntropyLoss(weight=w, label_smoothing=eps)``; its loss is
        ``F``'s data term divided by ``rho = sum_i s_i w_{y_i} / sum_i s_i
        sum_c t_ic w_c`` (PyTorch normalises by ``sum_i s_i w_{y_i}``):
        the same fit at ``alpha=0``; PyTorch's loss plus ``lam / 2
        ||W||^2`` is ``alpha = rho * lam`` (see the user guide).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients ``W``, in the dtype the model was fitted in (float32 for
        float32 data).  Two classes keep two rows.  Each column sums to zero
        (the representative of least norm, which every solver reports),
        except with an L1 penalty (``penalty="elasticnet"``,
        ``l1_ratio > 0``), whose optimum need not.
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
    converged_ : bool
        Whether the solver met its stopping rule (``tol``) within
        ``max_iter`` (a fit that did not also warns).  False after
        :meth:`partial_fit`, which runs one pass and has no stopping rule.
    objective_ : float
        The objective ``F`` (above) at ``coef_`` and ``intercept_``
        on the training data; after :meth:`partial_fit`, the mean
        mini-batch objective of its pass (as ``loss_curve_``).
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

    _parameter_constraints: ClassVar[dict] = dict(PARAMETER_CONSTRAINTS)

    def __init__(
        self,
        alpha: float = 1e-4,
        *,
        l1_ratio: float = 0.0,
        penalty: str = "elasticnet",
        penalty_factor=None,
        lower_bound=None,
        upper_bound=None,
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
        learning_rate_init: float = 1e-2,
        power_t: float = 0.5,
        sgd_update: str = "adam",
        momentum: float = 0.9,
        shuffle: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        average: bool | int | str = "polynomial",
        label_smoothing: float = 0.0,
    ) -> None:
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty = penalty
        self.penalty_factor = penalty_factor
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- fitting -----------------------------------------------------------
    @all_or_nothing
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
        with self._fit_task(X, y, sample_weight):
            return self._fit(X, y, sample_weight, classes)

    def _fit(self, X, y, sample_weight, classes):
        """:meth:`fit`, its parameters validated."""
        config = self._fit_config()
        if is_dask_collection(X):
            return self._fit_dask(config, X, y, sample_weight, classes)
        X, y = validate_X_y(self, X, y, reset=True)
        classes, target = encode_targets(y, classes)
        target, weight = weighted_targets(
            target, sample_weight, X, classes, self.class_weight, self.label_smoothing
        )
        check_weighted_classes(weight, target, classes)
        n_classes = classes.shape[0]
        solver = config.resolve_solver(
            *X.shape,
            n_classes,
            cg_steps=lambda: newton_cg_steps(X, weight, self.fit_intercept),
            row_leverages=lambda: row_leverages(X, weight, self.fit_intercept),
        )
        options = {}
        if solver == "sgd":
            check_feature_scale_for_sgd(X)
            objective, options = sgd_problem(
                config,
                StreamingConfig.from_params(self.get_params()),
                X,
                target,
                weight,
                n_classes,
            )
        else:
            objective = in_memory_objective(config, X, target, weight, n_classes)
        return self._fit_objective(config, objective, classes, solver, options)

    def _fit_dask(self, config: FitConfig, X, y, sample_weight, classes):
        """:meth:`fit` on a Dask collection (see :mod:`._dask`)."""
        solver = dask_solver(config)  # before any work on the cluster
        data = persist_dask_data(X, y, sample_weight)
        _check_feature_names(self, data.meta, reset=True)
        self.n_features_in_ = data.X.shape[1]
        objective, classes = dask_objective(
            config,
            data,
            classes=classes,
            class_weight=self.class_weight,
            label_smoothing=self.label_smoothing,
        )
        return self._fit_objective(config, objective, classes, solver)

    # -- the estimator's side of fitting -------------------------------------
    def _fit_config(self) -> FitConfig:
        """The parameters that reach the objective and the solver."""
        return FitConfig.from_params(self.get_params())

    def _fit_objective(self, config, objective, classes, solver, options=None):
        """Solve from the warm start (if any); keep the fitted attributes."""
        previous = self._previous_fit()
        start = start_point(objective.layout, classes, previous)
        if warm_starts(objective.layout, classes, previous):
            check_warm_start(objective, start)
        fitted, _ = fit_objective(
            config, objective, classes, solver, start, options=options
        )
        self._set_fitted(fitted, (options or {}).get("optimizer"))
        return self

    def _previous_fit(self, always: bool = False) -> Fitted | None:
        """The fitted parameters to start from: under ``warm_start`` (or
        ``always``) when there are any."""
        if not (always or self.warm_start) or not hasattr(self, "coef_"):
            return None
        coef = self.coef_.toarray() if issparse(self.coef_) else self.coef_
        return Fitted(self.classes_, coef, self.intercept_)

    def _set_fitted(self, fitted: Fitted, optimizer) -> None:
        """The fitted attributes, and the streaming optimiser's (or none of
        them, after a fit by another solver)."""
        self.classes_ = fitted.classes
        self.coef_ = fitted.coef
        self.intercept_ = fitted.intercept
        self.n_iter_ = fitted.n_iter
        self.converged_ = fitted.converged
        self.objective_ = fitted.objective
        self._solver = fitted.solver
        self._optimizer = optimizer
        if optimizer is None:
            for name in STREAMING_ATTRIBUTES:
                self.__dict__.pop(name, None)
        else:
            self.__dict__.update(streaming_attributes(optimizer))
