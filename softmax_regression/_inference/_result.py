"""``InferenceResult``: the estimates, their covariance and every statistic
derived from them (standard errors, z, p-values, confidence intervals,
likelihood-ratio test, pseudo-R², information criteria), plus the summary
table and the DataFrame."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from .._loss import ParameterLayout
from . import _summary


def _ratio(numerator: NDArray, denominator: NDArray) -> NDArray:
    """``numerator / denominator`` with ``x / 0`` as ``sign(x) inf`` and
    ``0 / 0`` as 0 (never NaN from finite input)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    zero = denominator == 0
    out[zero] = np.sign(numerator[zero]) * np.inf
    out[zero & (numerator == 0)] = 0.0
    return out


class InferenceResult:
    """Standard errors, tests and fit statistics of a softmax regression.

    Returned by :func:`~softmax_regression.inference`.  Every per-parameter
    array has one row per reported class (:attr:`classes`: every class with
    ``reference=None``, every class but the reference otherwise) and, for the
    coefficients, one column per reported feature (:attr:`feature_names`).

    Attributes
    ----------
    classes : ndarray of shape (n_rows,)
        The class of each row.
    reference : label or None
        The reference class of the contrasts, or None (sum-to-zero
        parameterisation).
    feature_names : list of str
        The reported features (``feature_names_in_``, else ``x0``, ``x1``...).
    coef : ndarray of shape (n_rows, n_reported_features)
        The estimates: the model's ``coef_`` minus the reference row, or
        centred over the classes (see :func:`~softmax_regression.inference`).
    intercept : ndarray of shape (n_rows,) or None
        Likewise for ``intercept_``; None without intercepts (and then so are
        the other ``intercept_*`` attributes).
    coef_se, intercept_se : ndarray
        Standard errors, shaped like ``coef`` and ``intercept``.
    coef_z, intercept_z : ndarray
        z statistics ``estimate / standard error``.
    coef_p_values, intercept_p_values : ndarray
        Two-sided p-values of the z statistics under the standard normal.
    cov : ndarray of shape (n_reported, n_reported)
        Covariance of the flat reported vector: ``coef`` in row-major (C)
        order (row ``r``'s coefficients at ``r * n_reported_features``...),
        then ``intercept``; the layout of the package's parameter vectors.
    cov_type : str
        ``"nonrobust"``, ``"HC0"`` or ``"HC1"``.
    loglik : float
        Weighted log-likelihood ``sum_i s_i log p(y_i | x_i)`` at the estimates.
    loglik_null : float
        Log-likelihood of the null model: the class frequencies with
        intercepts, uniform probabilities without.
    n_obs : float
        Number of observations: the sum of the frequency weights.
    df_model : int
        Degrees of freedom of the model beyond the null model,
        ``(n_classes - 1) * n_features``.
    k_params : int
        Number of identified parameters, ``(n_classes - 1) * (n_features +
        fit_intercept)``.
    penalty_alpha : float
        The fit's L2 penalty strength; when positive the covariance is that
        of the Laplace approximation to the posterior (see
        :func:`~softmax_regression.inference`), not a frequentist one.
    notes : list of str
        What the summary's footer says: the meaning of a penalised
        covariance, weights, and every warning :func:`inference` raised.
    """

    def __init__(
        self,
        *,
        estimates: NDArray,
        cov: NDArray,
        layout: ParameterLayout,
        classes: NDArray,
        reference,
        feature_names: list[str],
        cov_type: str,
        loglik: float,
        loglik_null: float,
        n_obs: float,
        k_params: int,
        df_model: int,
        penalty_alpha: float,
        notes: list[str],
    ) -> None:
        self.classes = classes
        self.reference = reference
        self.feature_names = list(feature_names)
        self.cov = cov
        self.cov_type = cov_type
        self.loglik = float(loglik)
        self.loglik_null = float(loglik_null)
        self.n_obs = float(n_obs)
        self.k_params = int(k_params)
        self.df_model = int(df_model)
        self.penalty_alpha = float(penalty_alpha)
        self.notes = list(notes)
        self.layout = layout
        se = np.sqrt(np.maximum(np.diag(cov), 0.0))
        z = _ratio(np.asarray(estimates, dtype=np.float64), se)
        p_values = 2.0 * stats.norm.sf(np.abs(z))
        self.coef, self.intercept = self._split(estimates)
        self.coef_se, self.intercept_se = self._split(se)
        self.coef_z, self.intercept_z = self._split(z)
        self.coef_p_values, self.intercept_p_values = self._split(p_values)

    def _split(self, flat: NDArray) -> tuple[NDArray, NDArray | None]:
        coef, intercept = self.layout.unpack(np.array(flat, dtype=np.float64))
        return coef.copy(), None if intercept is None else intercept.copy()

    # -- fit statistics ------------------------------------------------------
    @property
    def llr(self) -> float:
        """Likelihood-ratio statistic ``2 (loglik - loglik_null)``."""
        return 2.0 * (self.loglik - self.loglik_null)

    @property
    def llr_pvalue(self) -> float:
        """p-value of :attr:`llr` under the chi-squared law with
        :attr:`df_model` degrees of freedom."""
        return float(stats.chi2.sf(self.llr, self.df_model))

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo-R², ``1 - loglik / loglik_null``."""
        if self.loglik_null == 0:
            return 0.0
        return 1.0 - self.loglik / self.loglik_null

    @property
    def aic(self) -> float:
        """Akaike's criterion, ``-2 loglik + 2 k_params``."""
        return -2.0 * self.loglik + 2.0 * self.k_params

    @property
    def bic(self) -> float:
        """Schwarz's criterion, ``-2 loglik + log(n_obs) k_params``."""
        return -2.0 * self.loglik + np.log(self.n_obs) * self.k_params

    @property
    def df_resid(self) -> float:
        """Residual degrees of freedom, ``n_obs - k_params``."""
        return self.n_obs - self.k_params

    # -- intervals, tables ---------------------------------------------------
    def conf_int(self, alpha: float = 0.05) -> tuple[NDArray, NDArray]:
        """Wald confidence intervals ``estimate -/+ z_{1 - alpha/2} se``.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level, in (0, 1).

        Returns
        -------
        lower, upper : ndarray of shape (n_rows, n_reported_features + 1)
            The coefficients' bounds in the first columns (like
            ``coef_se``), the intercepts' in the last column (absent
            without intercepts).
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}.")
        quantile = stats.norm.ppf(1.0 - alpha / 2.0)
        columns = [self.coef]
        errors = [self.coef_se]
        if self.intercept is not None:
            columns.append(self.intercept[:, None])
            errors.append(self.intercept_se[:, None])
        estimate, se = np.hstack(columns), np.hstack(errors)
        return estimate - quantile * se, estimate + quantile * se

    def to_frame(self, alpha: float = 0.05):
        """The table of estimates as a pandas DataFrame.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the level of the confidence intervals.

        Returns
        -------
        frame : pandas.DataFrame
            One row per (class, term), the intercept first; columns
            ``coef``, ``std err``, ``z``, ``p``, ``lower``, ``upper``.
        """
        return _summary.frame(self, alpha)

    def summary(self, alpha: float = 0.05) -> str:
        """A text table of the fit and the estimates, like statsmodels'.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the level of the confidence intervals.

        Returns
        -------
        summary : str
        """
        return _summary.text(self, alpha)

    def __repr__(self) -> str:
        return (
            f"InferenceResult(n_obs={self.n_obs:g}, k_params={self.k_params}, "
            f"cov_type={self.cov_type!r}, loglik={self.loglik:.6g})"
        )
