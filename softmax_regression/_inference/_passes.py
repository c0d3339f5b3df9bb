"""Passes over the data at the fitted parameters: the log-likelihood, its
gradient, the observed information (as a matrix, or as products with a
block of vectors) and the per-observation scores a sandwich needs.

The loss, its gradient and its Hessian are the estimator's
:class:`~softmax_regression._loss.MultinomialLoss`, of the weighted *mean*
cross-entropy ``v``; inference works with the *total* weighted
log-likelihood ``l(theta) = sum_i s_i log p_{i, y_i} = -sum(s) v``, so the
information matrix is ``sum(s)`` times the loss's Hessian.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._loss import MultinomialLoss, ParameterLayout
from .._softmax import log_softmax

#: Entries of the scores' largest temporary (rows times classes times
#: columns) in :meth:`DataPasses.score_gram`: about 32 MiB.
SCORE_ENTRIES = 1 << 22


class DataPasses:
    """The fitted model's loss on ``X`` and the passes that use it.

    One pass at construction: with ``full``, the loss's full Hessian (and
    the value and gradient that come with it); else its value, gradient and
    Hessian diagonal, keeping the probabilities so that every product with
    the information matrix is one more pass over X.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        float64 data.
    target : ndarray of shape (n_samples,)
        Class indices.
    weight : ndarray of shape (n_samples,)
        Frequency weights.
    layout : ParameterLayout
        The flat parameter vector's layout.
    theta : ndarray of shape (n_params,)
        The fitted parameters.
    full : bool
        Whether to form the whole information matrix (:meth:`information`)
        rather than products with it (:meth:`information_matmat`).

    Attributes
    ----------
    loss : MultinomialLoss
    loglik : float
        ``sum_i s_i log p_{i, y_i}``.
    gradient : ndarray of shape (n_params,)
        The gradient of ``loglik``.
    diagonal : ndarray of shape (n_params,)
        The diagonal of the information ``-d^2 loglik``.
    """

    def __init__(
        self,
        X,
        target: NDArray,
        weight: NDArray,
        layout: ParameterLayout,
        theta: NDArray,
        full: bool,
    ) -> None:
        self.X = X
        self.target = target
        self.weight = weight
        self.layout = layout
        self.theta = theta
        self.loss = MultinomialLoss(
            X, target, weight, layout.n_classes, fit_intercept=layout.fit_intercept
        )
        total = self.loss.weight_sum
        self._matrix: NDArray | None = None
        self._hessp = None
        if full:
            value, grad, hess = self.loss.hessian(theta)
            hess *= total
            self._matrix = hess
            self.diagonal = np.diag(hess).copy()
        else:
            value, grad, diagonal, self._hessp = self.loss.gradient_hessp(theta)
            self.diagonal = diagonal * total
        self.loglik = -value * total
        self.gradient = -grad * total

    @cached_property
    def separated(self) -> bool:
        """Whether every row of positive weight has its own class strictly
        the most probable (complete separation)."""
        return self.loss.separates(self.theta)

    @cached_property
    def saturated(self) -> bool:
        """Whether some row of positive weight has its own class's
        probability within 1e-8 of 1 (a hint of quasi-separation)."""
        most = -np.inf
        for rows in self.loss.blocks:
            log_proba = self._log_proba(self._rows(rows))
            own = log_proba[np.arange(log_proba.shape[0]), self.target[rows]]
            own = own[self.weight[rows] > 0]
            if own.size:
                most = max(most, float(own.max()))
        return bool(-np.expm1(most) < 1e-8)

    def information(self) -> NDArray:
        """The observed information ``-d^2 loglik``, ``n_params x n_params``,
        formed at construction (with ``full``); handed over, not copied, so
        it can be taken once."""
        if self._matrix is None:
            raise RuntimeError("The information matrix was not formed (full=False).")
        matrix, self._matrix = self._matrix, None
        return matrix

    def information_matmat(self, V: NDArray) -> NDArray:
        """``I V`` for a block of flat vectors ``V (n_params, q)``: one
        Hessian-vector product of the loss (a pass over X that reuses the
        kept probabilities) per column."""
        V = np.asarray(V, dtype=np.float64).reshape(self.layout.n_params, -1)
        products = [self._hessp(np.ascontiguousarray(v)) for v in V.T]
        out = np.column_stack(products) if products else np.zeros_like(V)
        return out * self.loss.weight_sum

    def _rows(self, rows: slice):
        """X's rows in ``rows``: X itself for all of them (no sparse copy)."""
        return self.X if rows.stop - rows.start == self.X.shape[0] else self.X[rows]

    def _log_proba(self, X_block) -> NDArray:
        """The fitted model's log-probabilities on a block, ``(m, K)``."""
        coef, intercept = self.layout.unpack(self.theta)
        logits = np.asarray(X_block @ coef.T)
        if intercept is not None:
            logits = logits + intercept
        return log_softmax(logits, axis=1)

    def _split(self, V: NDArray) -> tuple[NDArray, NDArray]:
        """Columns of flat vectors ``(n_params, q)`` as the coefficients
        ``(d, K * q)`` (class-major) and intercepts ``(K, q)`` (zeros
        without intercepts)."""
        parts = [self.layout.unpack(v) for v in V.T]
        n_features = self.layout.n_features
        coef = np.stack([c.T for c, _ in parts], axis=-1).reshape(n_features, -1)
        zeros = np.zeros(self.layout.n_classes)
        intercept = np.stack([zeros if b is None else b for _, b in parts], axis=-1)
        return coef, intercept

    def score_gram(self, V: NDArray) -> NDArray:
        """``sum_i s_i (g_i . v_a)(g_i . v_b)`` over the columns of ``V``:
        the sandwich's meat ``V^T (sum_i s_i g_i g_i^T) V``.

        ``g_i = (y_i - p_i) (x) x~_i`` is the score of one observation (of
        weight one: frequency weights count repeated rows), so
        ``g_i . v = sum_k (y_ik - p_ik) r_ik`` with ``r = V x~``.  The loss's
        blocks of rows are cut further so that ``r`` stays within
        ``SCORE_ENTRIES`` entries.
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.layout.n_params, -1)
        n_classes, n_columns = self.layout.n_classes, V.shape[1]
        gram = np.zeros((n_columns, n_columns))
        if n_columns == 0:
            return gram
        coef, intercept = self._split(V)
        step = max(1, SCORE_ENTRIES // (n_classes * n_columns))
        for rows in self.loss.blocks:
            block = self._rows(rows)
            if sp.issparse(block) and block.format != "csr" and block.shape[0] > step:
                block = block.tocsr()  # CSC rows cannot be sliced cheaply
            for start in range(0, block.shape[0], step):
                part = block[start : start + step]
                chunk = slice(rows.start + start, rows.start + start + part.shape[0])
                residual = -np.exp(self._log_proba(part))
                residual[np.arange(part.shape[0]), self.target[chunk]] += 1.0
                r = np.asarray(part @ coef).reshape(-1, n_classes, n_columns)
                r += intercept
                projections = np.einsum("ik,ikc->ic", residual, r)
                gram += projections.T @ (projections * self.weight[chunk][:, None])
        return gram
