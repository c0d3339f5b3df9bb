"""``inference``: standard errors, tests and fit statistics of a fitted
softmax regression, computed from the training data after the fit.

The steps: validate (:mod:`._inputs`), one pass over X of the loss for
the log-likelihood, gradient and information (:mod:`._passes`), the map to
the reported parameters (:mod:`._parameterisation`), the gauge-fixed
information matrix solved by Cholesky or conjugate gradients
(:mod:`._solve`), the sandwich when asked for, and the warnings.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

from .._validation import class_totals
from ._inputs import InferenceProblem, check_inputs
from ._parameterisation import Parameterisation
from ._passes import DataPasses
from ._result import InferenceResult
from ._separation import ALWAYS_LP_SIZE, MAX_LP_SIZE, lp_size, separated
from ._solve import RCOND_WARNING, Solution, solve_cg, solve_dense

#: Default memory for the full information matrix and its factor: 2 GiB.
DEFAULT_MAX_MEMORY = 2 << 30
#: ``n_params^2`` float64 matrices alive at once on the full-matrix path
#: (the loss's Hessian kernel and its permuted copy, the scaled matrix and
#: its factor, the map L).
_DENSE_COPIES = 6
#: The estimates may lie this many standard errors from the optimum on the
#: data given before a warning says so.
STEP_WARNING = 0.1


class InferenceWarning(UserWarning):
    """The standard errors of :func:`~softmax_regression.inference` are not
    to be trusted: separation, a (nearly) singular information matrix, a fit
    that is not at the optimum of the data given, or conjugate gradients
    that did not converge."""


def dense_bytes(n_params: int) -> int:
    """Memory the full-matrix path needs for ``n_params`` parameters."""
    return _DENSE_COPIES * 8 * n_params**2


def _format_bytes(n_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n_bytes < 1024 or unit == "TiB":
            return f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TiB"  # pragma: no cover


def _null_loglik(problem: InferenceProblem) -> float:
    """Log-likelihood of the intercept-only model (uniform without
    intercepts)."""
    n_classes = problem.classes.shape[0]
    totals = class_totals(problem.target, problem.weight, n_classes)
    if not problem.fit_intercept:
        return -problem.n_obs * float(np.log(n_classes))
    return float(np.sum(xlogy(totals, totals / totals.sum())))


def _check_memory(problem: InferenceProblem, max_memory: float) -> bool:
    """Whether the full information matrix fits in ``max_memory``; raise
    when it does not and no subset of the features is asked for."""
    n_params = problem.layout.n_params
    needed = dense_bytes(n_params)
    if needed <= max_memory:
        return True
    if not problem.subset:
        raise ValueError(
            f"The full covariance of {n_params:,} parameters needs about "
            f"{_format_bytes(needed)} of memory, more than max_memory="
            f"{_format_bytes(max_memory)}. Pass features=[...] for the standard "
            "errors of a few features (computed by conjugate gradients, without "
            "the full matrix), or raise max_memory."
        )
    return False


def _solve(passes, full, penalty, N, scales, B) -> Solution:
    """``A^{-1} B`` for ``A = I + diag(penalty) + N C N^T``."""
    if full:
        A = passes.information()
        A[np.diag_indices_from(A)] += penalty
        A += (N * scales) @ N.T
        return solve_dense(A, B)

    def matmat(V: NDArray) -> NDArray:
        return (
            passes.information_matmat(V)
            + penalty[:, None] * V
            + (N * scales) @ (N.T @ V)
        )

    diagonal = passes.diagonal + penalty + (N**2) @ scales
    return solve_cg(matmat, diagonal, B)


def _warn(message: str, notes: list[str]) -> None:
    notes.append("Warning: " + message)
    warnings.warn(message, InferenceWarning, stacklevel=3)


def _quasi_separated(problem, passes, solution) -> bool:
    """Run the separation programme where it is cheap, or where the
    information or the probabilities hint at separation."""
    layout = problem.layout
    width = layout.n_features + int(layout.fit_intercept)
    size = lp_size(int(np.sum(problem.weight > 0)), layout.n_classes, width)
    hint = passes.saturated or (solution.rcond is not None and solution.rcond < 1e-6)
    if size > (MAX_LP_SIZE if hint else ALWAYS_LP_SIZE):
        return False
    return separated(
        problem.X,
        problem.target,
        problem.weight,
        layout.n_classes,
        layout.fit_intercept,
    )


def _check_solution(problem, passes, solution, step, se, notes) -> None:
    """Warn about separation, near-singular information, a fit away from
    the optimum and unconverged conjugate gradients."""
    penalised = bool(problem.penalised.all())
    if not penalised and passes.separated:
        _warn(
            "The model separates the classes completely on these data: the "
            "maximum likelihood estimate does not exist (the coefficients grow "
            "without bound as the fit's tolerance shrinks) and the standard "
            "errors are meaningless. Fit with alpha > 0 instead.",
            notes,
        )
    elif not penalised and _quasi_separated(problem, passes, solution):
        _warn(
            "The data are quasi-completely separated: some direction of the "
            "parameters never lowers any observation's likelihood and raises "
            "some, so the maximum likelihood estimate does not exist (some "
            "coefficients grow without bound as the fit's tolerance shrinks) "
            "and their standard errors are meaningless. Fit with alpha > 0, or "
            "merge or drop the classes or features that separate.",
            notes,
        )
    elif solution.rcond is not None and solution.rcond < RCOND_WARNING:
        _warn(
            "The information matrix is (nearly) singular (reciprocal condition "
            f"number {solution.rcond:.2g} after scaling): some parameters are "
            "not identified by the data, through quasi-complete separation, "
            "collinear or constant features, or a class with almost no "
            "observations. Their standard errors are huge and meaningless. "
            "Drop the offending features or fit with alpha > 0.",
            notes,
        )
    if not solution.converged:
        _warn(
            f"Conjugate gradients did not converge in {solution.iterations} "
            "iterations: the standard errors are approximate.",
            notes,
        )
    distance = np.abs(step) / np.where(se > 0, se, np.inf)
    if distance.size and float(distance.max()) > STEP_WARNING:
        _warn(
            "The estimates are not at the optimum of the objective on these "
            f"data: one lies {float(distance.max()):.2g} standard errors from "
            "it. Pass the data the model was fitted on and refit with a "
            "smaller tol (e.g. tol=1e-8) for trustworthy standard errors.",
            notes,
        )


def _notes(problem: InferenceProblem) -> list[str]:
    notes = []
    if problem.alpha > 0:
        prior_sd = 1.0 / np.sqrt(problem.alpha * problem.n_obs)
        notes.append(
            f"Penalised fit (alpha={problem.alpha:g}): the covariance is the "
            "inverse of the penalised information, the Laplace approximation "
            "to the posterior under the Gaussian prior N(0, "
            f"{prior_sd:.3g}^2) on each coefficient that the penalty implies "
            + (
                "(the variance divided by penalty_factor[j] for feature j; "
                "flat where it is 0, and on the intercepts). "
                if np.any(problem.penalty_factor != 1)
                else "(flat on the intercepts). "
            )
            + "Its standard errors are posterior "
            "standard deviations, not frequentist standard errors; the "
            "log-likelihood, LLR test, AIC and BIC are at the penalised "
            "estimate."
        )
    if problem.cov_type != "nonrobust":
        notes.append(
            f"Covariance {problem.cov_type}: the sandwich H^-1 (sum_i s_i g_i "
            "g_i^T) H^-1 of the per-observation scores g_i"
            + (
                " (HC1: times n_obs / (n_obs - k_params))."
                if problem.cov_type == "HC1"
                else "."
            )
        )
    if problem.class_weighted:
        notes.append(
            "class_weight is folded into the frequency weights: the likelihood "
            "is a weighted pseudo-likelihood; prefer a sandwich covariance "
            "(cov_type='HC0')."
        )
    elif not np.all(problem.weight == 1.0):
        notes.append("sample_weight is read as frequency weights: n_obs is their sum.")
    return notes


def inference(
    estimator,
    X: ArrayLike,
    y: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    reference=None,
    cov_type: str = "nonrobust",
    features: ArrayLike | None = None,
    max_memory: float = DEFAULT_MAX_MEMORY,
) -> InferenceResult:
    """Standard errors, z statistics, p-values, confidence intervals and fit
    statistics of a fitted softmax regression.

    The estimator is left unchanged: the covariance needs the training
    data (pass the same ``X``, ``y`` and ``sample_weight`` as to ``fit``).
    See :doc:`/inference` for the mathematics.

    Parameters
    ----------
    estimator : SoftmaxRegression or SoftmaxRegressionCV
        A fitted model with ``l1_ratio=0`` or ``alpha=0`` and no label
        smoothing.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data.
    y : array-like of shape (n_samples,)
        The training labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Frequency weights (a weight of 2 counts a row twice); multiplied by
        the estimator's ``class_weight``.
    reference : label, default=None
        A class label: report the contrasts ``theta_k - theta_reference`` of
        the other classes (statsmodels' ``MNLogit`` with that class as the
        base outcome).  None: report every class in the sum-to-zero
        parameterisation (the coefficients centred over the classes), with
        the covariance on that subspace.
    cov_type : {"nonrobust", "HC0", "HC1"}, default="nonrobust"
        ``"nonrobust"``: the inverse of the observed information;
        ``"HC0"``: the sandwich ``I^-1 (sum_i s_i g_i g_i^T) I^-1`` of the
        per-observation scores ``g_i``; ``"HC1"``: HC0 times ``n_obs /
        (n_obs - k_params)``.
    features : array-like, default=None
        Report only these features (indices, names or a boolean mask), with
        the intercepts.  When the full matrix exceeds ``max_memory`` their
        covariance is computed by conjugate gradients on
        information-vector products, without forming the matrix.
    max_memory : float, default=2 GiB
        Bytes the full information matrix and its factor may take (about
        ``48 * (n_classes * (n_features + 1))^2``).

    Returns
    -------
    InferenceResult

    Raises
    ------
    ValueError
        For a fit with a sparse penalty (``l1_ratio > 0`` and ``alpha >
        0``: inference after selection is out of scope) or label smoothing,
        probability rows as ``y``, an unknown reference class or feature, an
        unknown ``cov_type``, or a full matrix beyond ``max_memory`` without
        ``features``.

    Warns
    -----
    InferenceWarning
        When the classes are separated, the information matrix is (nearly)
        singular, the estimates are not at the optimum on these data, or
        conjugate gradients do not converge.  The warning is repeated in the
        result's notes and ``summary()``.

    Notes
    -----
    With ``alpha > 0`` (and ``l1_ratio=0``) the covariance is the inverse of
    the *penalised* information: the Laplace approximation to the posterior
    under the Gaussian prior ``N(0, 1 / (alpha n_obs))`` on each coefficient
    that the penalty implies (flat on the intercepts).  Its standard errors
    are posterior standard deviations, not frequentist standard errors.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from softmax_regression import SoftmaxRegression, inference
    >>> X, y = load_wine(return_X_y=True)
    >>> X = X[:, :3]
    >>> model = SoftmaxRegression(alpha=0, tol=1e-10).fit(X, y)
    >>> result = inference(model, X, y, reference=0)
    >>> result.coef_se.shape
    (2, 3)
    """
    problem = check_inputs(
        estimator,
        X,
        y,
        sample_weight=sample_weight,
        reference=reference,
        cov_type=cov_type,
        features=features,
    )
    layout = problem.layout
    theta = problem.theta
    full = _check_memory(problem, max_memory)
    passes = DataPasses(
        problem.X, problem.target, problem.weight, layout, theta, full=full
    )
    n_obs = problem.n_obs
    penalty = np.zeros(layout.n_params)
    penalty[: layout.n_coef] = np.tile(
        problem.alpha * n_obs * problem.penalty_factor, layout.n_classes
    )
    parameterisation = Parameterisation(
        layout, problem.reference, problem.penalised, problem.features
    )
    L = parameterisation.matrix()
    N = parameterisation.null_directions()
    scales = Parameterisation.gauge_scales(N, passes.diagonal + penalty)
    gradient = passes.gradient - penalty * theta  # of the log posterior
    B = np.column_stack([L.T, gradient])
    solution = _solve(passes, full, penalty, N, scales, B)
    solved, step = solution.X[:, :-1], L @ solution.X[:, -1]
    cov = L @ solved
    cov = (cov + cov.T) / 2.0
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    k_params = (layout.n_classes - 1) * (layout.n_features + int(layout.fit_intercept))
    if problem.cov_type != "nonrobust":
        if problem.cov_type == "HC1" and not n_obs > k_params:
            raise ValueError(
                f"cov_type='HC1' needs more observations ({n_obs:g}) than "
                f"parameters ({k_params}); use cov_type='HC0'."
            )
        cov = passes.score_gram(solved)
        if problem.cov_type == "HC1":
            cov *= n_obs / (n_obs - k_params)
    notes = _notes(problem)
    _check_solution(problem, passes, solution, step, se, notes)
    classes = problem.classes[parameterisation.rows]
    return InferenceResult(
        estimates=L @ theta,
        cov=cov,
        layout=parameterisation.reported,
        classes=classes,
        reference=None
        if problem.reference is None
        else problem.classes[problem.reference],
        feature_names=[problem.feature_names[j] for j in problem.features],
        cov_type=problem.cov_type,
        loglik=passes.loglik,
        loglik_null=_null_loglik(problem),
        n_obs=n_obs,
        k_params=k_params,
        df_model=(layout.n_classes - 1) * layout.n_features,
        penalty_alpha=problem.alpha,
        notes=notes,
    )
