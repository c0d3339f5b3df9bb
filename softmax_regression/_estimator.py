"""SoftmaxRegression: validate -> encode -> objective -> solve -> attributes."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._loss import MultinomialLoss
from ._objective import Objective
from ._penalty import make_penalty
from ._softmax import log_softmax, softmax
from ._solvers import SOLVERS, select_solver
from ._validation import (
    check_solver_penalty,
    check_weighted_classes,
    encode_labels,
    penalty_name,
    sample_weights,
)

_ACCEPT_SPARSE = ("csr", "csc")
_FLOAT_DTYPES = (np.float64, np.float32)


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
        optimum is at infinity: the fit stops at ``max_iter`` with a
        ConvergenceWarning and finite coefficients.
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
        - ``"auto"``: up to 300 parameters (and a cheap Hessian)
          ``"newton-cholesky"``, or ``"prox-newton"`` when ``l1_ratio > 0``;
          beyond, ``"newton-cg"``, or ``"fista"`` when ``l1_ratio > 0``; the
          choice is kept in the private attribute ``_solver``.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the objective's gradient
        (for ``l1_ratio > 0``: of its minimal-norm subgradient) is at most
        ``tol``, or when the solver no longer decreases the objective by
        more than a few units in the last place of the data's dtype (the
        optimum to working precision).
    max_iter : int, default=1000
        Maximum number of solver iterations (Newton steps for the Newton
        and ``"prox-newton"``, proximal gradient steps for ``"fista"``).
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
        Seed for solvers that draw random numbers; the current solvers are
        deterministic and do not use it.
    n_jobs : int, default=None
        Threads that evaluate the loss over blocks of rows in parallel;
        ``None`` means 1 unless in a :func:`joblib.parallel_backend`
        context, ``-1`` means all processors.  BLAS runs single-threaded
        inside the fit, and results agree across thread counts to about
        1e-12 relative.

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
        Number of solver iterations run.

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
    >>> clf.predict_proba(X[:1]).sum()
    np.float64(1.0)
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y, sample_weight=None) -> SoftmaxRegression:
        """Fit the model to labelled data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.  float32 data is fitted in float32, float64 in
            float64; other numeric types are converted to float64.  A
            C-contiguous float array or a CSR matrix is used without a copy.
        y : array-like of shape (n_samples,)
            Class labels (integers or strings, at least two distinct).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero.

        Returns
        -------
        self : SoftmaxRegression
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(
            self, X, y, accept_sparse=_ACCEPT_SPARSE, dtype=_FLOAT_DTYPES
        )
        classes, y_index = encode_labels(y)
        weight = sample_weights(sample_weight, X, y_index, classes, self.class_weight)
        check_weighted_classes(weight, y_index, classes)
        solver = self._resolve_solver(X.shape, classes.shape[0])
        objective = self._objective(X, y_index, weight, classes.shape[0])
        result = self._solve(
            objective, solver, self._initial_parameters(classes, objective.loss)
        )
        self._set_solution(classes, objective.loss, result, solver)
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
        parameters."""
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

    def _solve(self, objective: Objective, solver: str, w0: np.ndarray):
        """Run ``solver`` from ``w0``; warn when it does not converge."""
        # numpy and scipy each load their own multi-threaded BLAS; between
        # them, their spinning threads slow each small product tenfold on a
        # two-core machine, so BLAS runs single-threaded and parallelism
        # comes from the loss's own threads over blocks of rows (n_jobs).
        with threadpool_limits(limits=1, user_api="blas"):
            result = SOLVERS[solver].solve(
                objective,
                w0,
                tol=self.tol,
                max_iter=self.max_iter,
                callback=self._print_progress if self.verbose else None,
            )
        if not result.converged:
            warnings.warn(
                f"SoftmaxRegression (solver={solver!r}) did not converge: "
                f"{result.n_iter} iterations (max_iter={self.max_iter}) did not "
                "bring the largest (sub)gradient entry down to "
                f"tol={self.tol:g} "
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

    def _initial_parameters(self, classes, loss: MultinomialLoss) -> np.ndarray:
        """Zeros, or the previous solution under ``warm_start``."""
        w0 = np.zeros(loss.n_params, dtype=np.float64)
        if not (self.warm_start and hasattr(self, "coef_")):
            return w0
        same_problem = self.coef_.shape == (
            loss.n_classes,
            loss.n_features,
        ) and np.array_equal(self.classes_, classes)
        if same_problem:
            w0[: loss.n_coef] = self.coef_.ravel()
            if loss.fit_intercept:
                w0[loss.n_coef :] = self.intercept_
        return w0

    def _print_progress(self, n_iter: int, w, value: float, grad_max: float) -> None:
        print(
            f"[SoftmaxRegression] iter {n_iter:4d}  objective {value:.10e}  "
            f"max|grad| {grad_max:.3e}"
        )

    # -- prediction --------------------------------------------------------
    def _logits(self, X) -> np.ndarray:
        check_is_fitted(self)
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
