"""SoftmaxRegressionCV: alpha (and l1_ratio) chosen by cross-validation along
warm-started regularisation paths."""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    check_array,
    check_is_fitted,
)

from .._dask import dask_solver, is_dask_collection
from .._estimator import SoftmaxRegression
from .._fitting import FitConfig, all_or_nothing, warn_if_separated
from .._loss import ParameterLayout
from .._penalty import PENALTY_OPTIONS
from .._validation import (
    check_weighted_classes,
    encode_labels,
    is_probability_target,
    sample_weights,
    validate_X_y,
)
from ._dask_search import DaskSearch
from ._path import PathProblem, check_alphas, default_alphas, solve_path
from ._scoring import path_scores, search_scorer


def _check_l1_ratios(l1_ratios) -> np.ndarray:
    """A non-empty 1-D array of mixing values in [0, 1]."""
    l1_ratios = check_array(
        l1_ratios, ensure_2d=False, dtype=np.float64, input_name="l1_ratios"
    ).ravel()
    outside = l1_ratios[(l1_ratios < 0) | (l1_ratios > 1)]
    if outside.size:
        raise ValueError(
            f"l1_ratios must lie in [0, 1], got {outside.tolist()}: each is the "
            "elastic-net mixing l1_ratio of SoftmaxRegression (0 = pure L2)."
        )
    return l1_ratios


class _InMemorySearch:
    """In-memory data validated as :meth:`SoftmaxRegression.fit` does, its
    folds (``check_cv``) and the path of each fold.

    ``problem`` (all the rows) serves the default grid and the refit;
    :class:`~softmax_regression._search._dask_search.DaskSearch` is the
    same on Dask.  ``X`` and ``y`` are validated by the caller.
    """

    require = None

    def __init__(self, cv, class_weight, X, y, sample_weight=None) -> None:
        classes, target = encode_labels(y)
        if sample_weight is not None:
            # validated (and copied) once, so folds index a plain array
            sample_weight = sample_weights(sample_weight, X, target, classes, None)
        weight = sample_weights(sample_weight, X, target, classes, class_weight)
        check_weighted_classes(weight, target, classes)
        self.problem = PathProblem(X, target, weight, classes)
        self.folds = list(check_cv(cv, y, classifier=True).split(X, y))
        self._y = y
        self._sample_weight = sample_weight
        self._class_weight = class_weight

    def fold_path(self, fold, template, alphas, scorer):
        """Fit the path on the rows ``fold[0]`` (all classes kept, absent
        ones weigh zero) and score each point on the rows ``fold[1]``.

        Returns
        -------
        scores : ndarray of shape (n_alphas,)
        coefs : ndarray of shape (n_alphas, n_classes, n_features)
        intercepts : ndarray of shape (n_alphas, n_classes)
        n_iters : ndarray of shape (n_alphas,)
        """
        train, test = fold
        X, target, classes = self.problem.X, self.problem.target, self.problem.classes
        sample_weight = self._sample_weight
        weight = sample_weights(
            None if sample_weight is None else sample_weight[train],
            X[train],
            target[train],
            classes,
            self._class_weight,
        )
        check_weighted_classes(weight, target[train], classes)
        path = solve_path(
            FitConfig.from_params(template.get_params()),
            PathProblem(X[train], target[train], weight, classes),
            alphas,
        )
        scores = path_scores(
            scorer,
            template,
            classes,
            alphas,
            path,
            X[test],
            self._y[test],
            None if sample_weight is None else sample_weight[test],
        )
        return scores, path.coefs, path.intercepts, path.n_iters


class SoftmaxRegressionCV(SoftmaxRegression):
    """Softmax regression with alpha and l1_ratio chosen by cross-validation.

    For each fold and each ``l1_ratio``, the whole grid of ``alphas`` is
    fitted as one regularisation path (:func:`softmax_regression_path`):
    from the strongest penalty to the weakest, each fit warm-started from the
    previous one, which costs a fraction of independent fits.  Folds run in
    parallel with joblib.  The point with the best mean validation score is
    then refitted on all the data.

    ``X`` may be a Dask array or DataFrame: the search then runs on the Dask
    workers, for ``l1_ratios`` of 0 and the ``"lbfgs"`` and ``"newton-cg"``
    solvers (see ``fit`` and the Notes).

    Parameters
    ----------
    alphas : int or array-like of shape (n_alphas,), default=10
        Penalty strengths to try (>= 0; searched in decreasing order), or
        their number: an int builds the grid of
        :func:`softmax_regression_path` on the whole data (from ``alpha_max``
        down to ``eps * alpha_max``), one per ``l1_ratio``.
    l1_ratios : array-like of shape (n_l1_ratios,), default=(0.0,)
        Elastic-net mixing values in [0, 1] to try, as ``l1_ratio`` of
        :class:`SoftmaxRegression`.
    penalty : {"elasticnet", "group"}, default="elasticnet"
        The shape of the L1 part for ``l1_ratio > 0``, as in
        :class:`SoftmaxRegression`: single entries, or whole feature columns.
    eps : float, default=None
        ``alpha_min / alpha_max`` of the grid built when ``alphas`` is an
        int; see :func:`softmax_regression_path`.
    cv : int, cross-validation generator or iterable, default=None
        Folds as in :func:`sklearn.model_selection.check_cv`: None means 5,
        an int ``StratifiedKFold`` (no shuffling).  For group-wise folds pass
        the splits, e.g. ``cv=list(GroupKFold(5).split(X, y, groups))``.
        On Dask input an int gives the same ``StratifiedKFold`` folds,
        computed on the workers; a generator is given the labels gathered
        to the client; an iterable of ``(train, test)`` index arrays is used
        as is.
    scoring : str or callable, default=None
        Validation score, higher is better: a scorer name
        (:func:`sklearn.metrics.get_scorer_names`) or a callable
        ``scorer(estimator, X, y)``.  None is the negative log loss over all
        the classes of ``y`` (also those a validation fold lacks); a name
        whose metric takes ``labels`` (``"neg_log_loss"``,
        ``"neg_brier_score"``, ``"roc_auc_ovr"``, ``"f1_macro"``, ...) is
        given all the classes too, as in ``LogisticRegressionCV``.  ``score``
        uses it as well (accuracy when None).  When
        ``fit`` gets ``sample_weight``, the scorer is called with the
        validation part as ``sample_weight=`` (class weights are not
        applied to scores).  On Dask input the default score is computed
        on the workers; another scorer is called with the validation rows
        of ``X`` as a lazy Dask array and their labels and weights gathered
        to the client, and the model's predictions on those rows (one label
        or ``n_classes`` values per row) are computed to the client too.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature multipliers of the penalty, as in
        :class:`SoftmaxRegression`; the default grid's top accounts for them
        (see :func:`softmax_regression_path`).
    lower_bound, upper_bound : float or array-like, default=None
        Bounds on the coefficients, as in :class:`SoftmaxRegression`.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercepts.
    solver : {"auto", "fista", "lbfgs", "newton-cg", "newton-cholesky", \
            "prox-newton", "sgd", "subsampled-newton"}, default="auto"
        As in :class:`SoftmaxRegression`.
    tol : float, default=1e-4
        Stopping tolerance of every fit, as in :class:`SoftmaxRegression`.
    max_iter : int, default=1000
        Maximum iterations of every fit.
    class_weight : dict or "balanced", default=None
        As in :class:`SoftmaxRegression`; ``"balanced"`` is computed on each
        training part, as a fit of :class:`SoftmaxRegression` on it would.
    refit : bool, default=True
        True: refit on all the data at the best ``(alpha, l1_ratio)``,
        warm-started from the folds' mean solution.  False: ``coef_`` and
        ``intercept_`` are the mean over folds of the solutions at the best
        point (as ``LogisticRegressionCV(refit=False)`` does); no refit.
    n_jobs : int, default=None
        Folds (times ``l1_ratios``) fitted in parallel with joblib; ``None``
        means 1 unless in a :func:`joblib.parallel_backend` context, ``-1``
        all processors.  Each fold evaluates its loss single-threaded; the
        refit uses ``n_jobs`` threads as :class:`SoftmaxRegression` does.
        On Dask input the folds run in threads of the client, each sending
        its evaluations to the cluster.
    random_state : int, RandomState instance or None, default=None
        Passed to the solvers, as in :class:`SoftmaxRegression` (the
        current solvers are deterministic).  A ``cv`` that shuffles takes its
        own seed.
    verbose : int, default=0
        Progress of the folds (joblib); above 1, also every solver
        iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients at the chosen point.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts at the chosen point, centred to sum to zero.
    alpha_ : float
        The chosen penalty strength.
    l1_ratio_ : float
        The chosen mixing value.
    alphas_ : ndarray of shape (n_l1_ratios, n_alphas)
        The strengths searched for each ``l1_ratio``, decreasing.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The mixing values searched.
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_alphas)
        Validation score of each fold at each point (``scores_[f, i, j]``
        belongs to ``l1_ratios_[i]`` and ``alphas_[i, j]``).
    best_score_ : float
        The best mean of ``scores_`` over folds (unweighted, as
        ``GridSearchCV.best_score_``).
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_alphas, \
n_classes, n_features)
        Each fold's ``coef_`` at each point.
    intercepts_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_alphas, \
n_classes)
        Each fold's ``intercept_`` at each point.
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_alphas)
        Solver iterations of each fold's fit at each point.
    refit_n_iter_ : int
        Solver iterations of the refit (0 when ``refit=False``).
    converged_ : bool
        Whether the refit met its stopping rule (False when
        ``refit=False``: ``coef_`` is then the folds' mean, no solver's
        stopping point).
    objective_ : float
        The objective at ``coef_`` and ``intercept_`` on the whole data, at
        ``alpha_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X had string column names.

    See Also
    --------
    SoftmaxRegression : The estimator at one ``alpha``; its prediction
        methods are those of this class.
    softmax_regression_path : The warm-started path each fold runs.
    sklearn.linear_model.LogisticRegressionCV : The same idea for
        scikit-learn's parameterisation.

    Notes
    -----
    Every training part keeps all the classes of ``y``: a class absent from
    it has zero weight there, so the fold's ``predict_proba`` still has a
    column per class (that class's probabilities are driven towards zero,
    to the solver's tolerance) and scores over all the classes.  A training
    part with fewer than two classes raises a ValueError.

    On Dask input (``pip install softmax-regression[dask]``), ``X``, ``y``
    and ``sample_weight`` are persisted on the workers and validated once,
    and no row of ``X`` is copied, moved or gathered: a fold's training
    objective is the loss over the same chunks with the validation rows
    weighing zero, its path is warm-started as in memory, and the refit
    evaluates the loss chunk by chunk as :meth:`SoftmaxRegression.fit`
    does on Dask input.  Only the labels (for a ``cv`` generator or a
    ``scoring``) and predictions (for a ``scoring``) reach the client.
    The fitted attributes are those of an in-memory search, with the same
    folds, to the solvers' tolerance.  Only ``l1_ratios`` of 0 (the L2
    penalty) and the solvers ``"lbfgs"`` and ``"newton-cg"`` (``"auto"``
    means ``"newton-cg"``) run on Dask; other settings, ``"sgd"`` and
    probability rows as ``y`` raise a ValueError.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from softmax_regression import SoftmaxRegressionCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegressionCV(alphas=[1e-1, 1e-2, 1e-3], cv=3).fit(X, y)
    >>> clf.scores_.shape
    (3, 1, 3)
    >>> clf.predict(X[:2])
    array([0, 0])
    """

    _parameter_constraints: ClassVar[dict] = {
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like"],
        "penalty": [StrOptions(set(PENALTY_OPTIONS))],
        "eps": [Interval(Real, 0, 1, closed="neither"), None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "refit": ["boolean"],
        **{
            name: SoftmaxRegression._parameter_constraints[name]
            for name in (
                "penalty_factor",
                "lower_bound",
                "upper_bound",
                "fit_intercept",
                "solver",
                "tol",
                "max_iter",
                "class_weight",
                "n_jobs",
                "random_state",
                "verbose",
            )
        },
    }

    _streams = False

    def __init__(
        self,
        *,
        alphas=10,
        l1_ratios=(0.0,),
        penalty: str = "elasticnet",
        penalty_factor=None,
        lower_bound=None,
        upper_bound=None,
        eps: float | None = None,
        cv=None,
        scoring=None,
        fit_intercept: bool = True,
        solver: str = "auto",
        tol: float = 1e-4,
        max_iter: int = 1000,
        class_weight=None,
        refit: bool = True,
        n_jobs: int | None = None,
        random_state=None,
        verbose: int = 0,
    ) -> None:
        self.alphas = alphas
        self.l1_ratios = l1_ratios
        self.penalty = penalty
        self.penalty_factor = penalty_factor
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.eps = eps
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @all_or_nothing
    def fit(self, X, y, sample_weight=None) -> SoftmaxRegressionCV:
        """Cross-validate the grid, then fit the best point.

        The fitted attributes are set together once everything has been
        computed: if the fit raises (in the folds, the refit, or on Dask,
        a cluster that lost its data), the estimator is left exactly as it
        was before the call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, or a Dask array or DataFrame, searched on its
            workers (see the class Notes; needs the ``dask`` extra).
        y : array-like of shape (n_samples,)
            Class labels (at least two distinct); with Dask ``X``, a Dask
            or in-memory array of labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, used in every fit and passed to the scorer
            for the validation parts; with Dask ``X``, Dask or in-memory.

        Returns
        -------
        self : SoftmaxRegressionCV
            The fitted estimator.
        """
        self._validate_params()
        with self._fit_task(X, y, sample_weight):
            return self._search(X, y, sample_weight)

    def _search(self, X, y, sample_weight) -> SoftmaxRegressionCV:
        """:meth:`fit`, its parameters validated."""
        if is_probability_target(y):
            raise ValueError(
                "SoftmaxRegressionCV fits class labels only, but y has shape "
                f"{np.shape(y)} (rows of class probabilities?). Pass 1-D labels, "
                "or fit soft targets with SoftmaxRegression(alpha=...).fit(X, Y)."
            )
        l1_ratios = _check_l1_ratios(self.l1_ratios)
        templates = [self._template(l1_ratio, n_jobs=1) for l1_ratio in l1_ratios]
        if is_dask_collection(X):
            for template in templates:  # before any work on the cluster
                dask_solver(FitConfig.from_params(template.get_params()))
            search = DaskSearch(
                self.cv, self.class_weight, self.fit_intercept, X, y, sample_weight
            )
            _check_feature_names(self, search.data.meta, reset=True)
            n_features = search.data.X.shape[1]
        else:
            X, y = validate_X_y(self, X, y, reset=True)
            search = _InMemorySearch(self.cv, self.class_weight, X, y, sample_weight)
            n_features = self.n_features_in_
        alphas = np.array(
            [self._grid(template, search.problem) for template in templates]
        )
        scorer = search_scorer(self.scoring, search.problem.classes)
        results = Parallel(
            n_jobs=self.n_jobs, verbose=self.verbose, require=search.require
        )(
            delayed(search.fold_path)(fold, template, grid, scorer)
            for fold in search.folds
            for template, grid in zip(templates, alphas, strict=True)
        )
        shape = (len(search.folds), len(l1_ratios))
        scores, coefs, intercepts, n_iters = (
            np.stack(part).reshape(*shape, *part[0].shape)
            for part in zip(*results, strict=True)
        )
        found, best = _search_results(
            l1_ratios, alphas, scores, coefs, intercepts, n_iters
        )
        fitted = {
            **found,
            **self._refitted(search.problem, found, best),
            "n_features_in_": n_features,
        }
        # all at once, after every step that may fail: a failed fit leaves
        # no result of this search beside those of an earlier one
        for name, value in fitted.items():
            setattr(self, name, value)
        return self

    def score(self, X, y, sample_weight=None) -> float:
        """Score the model on ``(X, y)`` by ``scoring``, as
        ``LogisticRegressionCV.score`` does.

        With ``scoring=None`` the score is the mean accuracy (that of
        :class:`SoftmaxRegression`, and of ``LogisticRegressionCV`` with
        ``scoring=None``), although the search itself scores by the negative
        log loss.  A scorer name whose metric takes ``labels`` (such as
        ``"neg_log_loss"``) is given all of ``classes_``, as in the search,
        so ``y`` may lack some of them; a callable is called as
        ``scoring(self, X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, passed to the scorer as ``sample_weight=`` when
            given.

        Returns
        -------
        score : float
            The score of the model on ``X`` (higher is better).
        """
        if self.scoring is None:
            return super().score(X, y, sample_weight=sample_weight)
        check_is_fitted(self)
        scorer = search_scorer(self.scoring, self.classes_)
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(scorer(self, X, y, **params))

    def _template(self, l1_ratio: float, n_jobs: int | None) -> SoftmaxRegression:
        """The unfitted configuration every fit of the search shares."""
        return SoftmaxRegression(
            l1_ratio=float(l1_ratio),
            penalty=self.penalty,
            penalty_factor=self.penalty_factor,
            lower_bound=self.lower_bound,
            upper_bound=self.upper_bound,
            fit_intercept=self.fit_intercept,
            solver=self.solver,
            tol=self.tol,
            max_iter=self.max_iter,
            verbose=int(self.verbose > 1),
            random_state=self.random_state,
            n_jobs=n_jobs,
        )

    def _grid(self, template: SoftmaxRegression, problem) -> np.ndarray:
        """The alphas of ``template``'s path on ``problem`` (a
        :class:`PathProblem` or a Dask one)."""
        if isinstance(self.alphas, Integral):
            config = FitConfig.from_params(template.get_params())
            return default_alphas(config, problem, self.alphas, self.eps)
        return check_alphas(self.alphas)

    def _refitted(self, problem, found: dict, best: tuple) -> dict:
        """``coef_``, ``intercept_``, ``classes_`` and ``refit_n_iter_``:
        the refit at the ``best`` point of the search results ``found``, or
        the folds' mean there."""
        l1_index, alpha_index = best
        coef = found["coefs_paths_"][:, l1_index, alpha_index].mean(axis=0)
        intercept = found["intercepts_paths_"][:, l1_index, alpha_index].mean(axis=0)
        template = self._template(found["l1_ratio_"], n_jobs=self.n_jobs)
        config = FitConfig.from_params(template.get_params()).at(found["alpha_"])
        layout = ParameterLayout(*coef.shape, self.fit_intercept)
        start = layout.pack(coef, intercept)
        n_iter, converged = 0, False
        if self.refit:
            path = solve_path(config, problem, np.array([config.alpha]), start)
            coef, intercept = path.coefs[0], path.intercepts[0]
            n_iter, converged = int(path.n_iters[0]), bool(path.converged[0])
            objective = float(path.objectives[0])
            if config.alpha == 0:  # as SoftmaxRegression(alpha=0).fit warns
                solution = layout.pack(coef, intercept)
                warn_if_separated(config, problem.objective(config), solution)
        else:
            objective = problem.objective(config).value(start)
        return {
            "classes_": problem.classes,
            "refit_n_iter_": n_iter,
            "converged_": converged,
            "objective_": objective,
            "coef_": coef,
            "intercept_": intercept,
        }


def _search_results(
    l1_ratios, alphas, scores, coefs, intercepts, n_iters
) -> tuple[dict, tuple[int, int]]:
    """The fitted attributes of the search, and the index ``(l1_ratio,
    alpha)`` of its best point (the best mean score over the folds)."""
    mean_scores = scores.mean(axis=0)
    if np.all(np.isnan(mean_scores)):
        raise ValueError(
            "Every point of the grid has a NaN validation score; check that "
            "the scoring applies to this data."
        )
    best = np.unravel_index(np.nanargmax(mean_scores), mean_scores.shape)
    found = {
        "l1_ratios_": l1_ratios,
        "alphas_": alphas,
        "scores_": scores,
        "coefs_paths_": coefs,
        "intercepts_paths_": intercepts,
        "n_iter_": n_iters,
        "best_score_": float(mean_scores[best]),
        "l1_ratio_": float(l1_ratios[best[0]]),
        "alpha_": float(alphas[best]),
    }
    return found, (int(best[0]), int(best[1]))
