"""Passes over the data at the fitted parameters: the log-likelihood, its
gradient, the observed information (as a matrix, or as products with a
block of vectors) and the per-observation scores a sandwich needs.

All sums are of the *total* weighted log-likelihood
``l(theta) = sum_i s_i log p_{i, y_i}``, not of the mean the estimator
minimises: the information matrix is ``sum(s)`` times the loss's Hessian.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._loss import MultinomialLoss, ParameterLayout
from .._softmax import log_softmax

#: Entries of a block's largest temporary (rows times columns): about 32 MiB.
BLOCK_ENTRIES = 1 << 22


def _row_blocks(n_samples: int, width: int) -> list[slice]:
    rows = max(64, BLOCK_ENTRIES // max(width, 1))
    return [
        slice(start, min(start + rows, n_samples))
        for start in range(0, n_samples, rows)
    ]


class DataPasses:
    """The fitted model's probabilities on ``X`` and the passes that use them.

    One pass at construction computes and keeps the class probabilities
    ``P`` (``n x K``), the log-likelihood, its gradient and the diagonal of
    the information matrix; every product with the information matrix is
    one more pass over X.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        float64 data.
    target : ndarray of shape (n_samples,)
        Class indices.
    weight : ndarray of shape (n_samples,)
        Frequency weights.
    layout : ParameterLayout
        The flat parameter vector's layout.
    theta : ndarray of shape (n_params,)
        The fitted parameters.

    Attributes
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    loglik : float
        ``sum_i s_i log p_{i, y_i}``.
    gradient : ndarray of shape (n_params,)
        The gradient of ``loglik``.
    diagonal : ndarray of shape (n_params,)
        The diagonal of the information ``-d^2 loglik``.
    separated : bool
        Whether every row of positive weight has its own class strictly
        the most probable (complete separation).
    saturated : bool
        Whether some row of positive weight has its own class's
        probability within 1e-8 of 1 (a hint of quasi-separation).
    """

    def __init__(
        self,
        X,
        target: NDArray,
        weight: NDArray,
        layout: ParameterLayout,
        theta: NDArray,
    ) -> None:
        self.X = X.tocsr() if sp.issparse(X) and X.format != "csr" else X
        self.target = target
        self.weight = weight
        self.layout = layout
        self.theta = theta
        n_samples = X.shape[0]
        n_classes = layout.n_classes
        coef, intercept = layout.unpack(theta)
        self.proba = np.empty((n_samples, n_classes))
        loglik = 0.0
        separated = True
        least_doubt = np.inf
        grad_coef = np.zeros((n_classes, layout.n_features))
        grad_intercept = np.zeros(n_classes)
        diag_coef = np.zeros_like(grad_coef)
        diag_intercept = np.zeros(n_classes)
        squared = self.X.multiply(self.X).tocsr() if sp.issparse(X) else None
        for rows in _row_blocks(n_samples, layout.n_features + n_classes):
            block = self.X[rows]
            logits = np.asarray(block @ coef.T)
            if intercept is not None:
                logits += intercept
            log_proba = log_softmax(logits, axis=1)
            proba = np.exp(log_proba)
            self.proba[rows] = proba
            own = target[rows]
            index = np.arange(own.shape[0])
            s = weight[rows]
            loglik += float(s @ log_proba[index, own])
            others = logits.copy()
            others[index, own] = -np.inf
            ahead = logits[index, own] > others.max(axis=1)
            separated = separated and bool(np.all(ahead | (s == 0)))
            doubt = -np.expm1(log_proba[index, own][s > 0])
            if doubt.size:
                least_doubt = min(least_doubt, float(doubt.min()))
            residual = -proba
            residual[index, own] += 1.0
            residual *= s[:, None]
            grad_coef += np.asarray(block.T @ residual).T
            grad_intercept += residual.sum(axis=0)
            curvature = proba * (1.0 - proba) * s[:, None]
            block_squared = squared[rows] if squared is not None else block**2
            diag_coef += np.asarray(block_squared.T @ curvature).T
            diag_intercept += curvature.sum(axis=0)
        self.loglik = loglik
        self.separated = separated
        self.saturated = least_doubt < 1e-8
        self.gradient = layout.pack(grad_coef, grad_intercept)
        self.diagonal = layout.pack(diag_coef, diag_intercept)

    def information(self) -> NDArray:
        """The observed information ``-d^2 loglik``, ``n_params x n_params``,
        in one pass over X (the newton-cholesky solver's kernel)."""
        loss = MultinomialLoss(
            self.X,
            self.target,
            self.weight,
            self.layout.n_classes,
            fit_intercept=self.layout.fit_intercept,
        )
        _, _, hess = loss.hessian(self.theta)
        hess *= loss.weight_sum
        return hess

    def _split(self, V: NDArray) -> tuple[NDArray, NDArray]:
        """Columns of flat vectors ``(n_params, q)`` as ``(K, d, q)`` and
        ``(K, q)`` (zeros without intercepts)."""
        layout = self.layout
        n_classes, n_features = layout.n_classes, layout.n_features
        coef = V[: layout.n_coef].reshape(n_classes, n_features, -1)
        if layout.fit_intercept:
            return coef, V[layout.n_coef :]
        return coef, np.zeros((n_classes, V.shape[1]))

    def _join(self, coef: NDArray, intercept: NDArray) -> NDArray:
        rows = [coef.reshape(self.layout.n_coef, -1)]
        if self.layout.fit_intercept:
            rows.append(intercept)
        return np.concatenate(rows)

    def _direction_logits(self, block, coef_t: NDArray, intercept: NDArray):
        """``r_ikc = x_i . V_c[k] + v_c[k]`` for a block: ``(m, K, q)``."""
        n_classes, n_columns = intercept.shape
        logits = np.asarray(block @ coef_t).reshape(-1, n_classes, n_columns)
        logits += intercept
        return logits

    def information_matmat(self, V: NDArray) -> NDArray:
        """``I V`` for a block of flat vectors ``V (n_params, q)``, in one
        pass over X that reuses the kept probabilities.

        Per sample the information in the logits is ``s (diag(p) - p p^T)``;
        with ``r = V x~`` (the directions' logits) it contributes
        ``s (p * r - p (p . r))``, mapped back through ``X^T``.
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.layout.n_params, -1)
        coef, intercept = self._split(V)
        n_classes, n_features, n_columns = coef.shape
        coef_t = np.ascontiguousarray(coef.transpose(1, 0, 2)).reshape(n_features, -1)
        out_coef = np.zeros((n_features, n_classes * n_columns))
        out_intercept = np.zeros((n_classes, n_columns))
        width = max(n_features, n_classes * n_columns)
        for rows in _row_blocks(self.X.shape[0], width):
            block = self.X[rows]
            r = self._direction_logits(block, coef_t, intercept)
            proba = self.proba[rows][:, :, None]
            product = proba * r
            product -= proba * product.sum(axis=1, keepdims=True)
            product *= self.weight[rows][:, None, None]
            out_coef += np.asarray(block.T @ product.reshape(product.shape[0], -1))
            out_intercept += product.sum(axis=0)
        out_coef = out_coef.reshape(n_features, n_classes, n_columns).transpose(1, 0, 2)
        return self._join(out_coef, out_intercept)

    def score_gram(self, V: NDArray) -> NDArray:
        """``sum_i s_i (g_i . v_a)(g_i . v_b)`` over the columns of ``V``:
        the sandwich's meat ``V^T (sum_i s_i g_i g_i^T) V``.

        ``g_i = (y_i - p_i) (x) x~_i`` is the score of one observation (of
        weight one: frequency weights count repeated rows), so
        ``g_i . v = sum_k (y_ik - p_ik) r_ik`` with ``r = V x~``.
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.layout.n_params, -1)
        coef, intercept = self._split(V)
        n_classes, n_features, n_columns = coef.shape
        coef_t = np.ascontiguousarray(coef.transpose(1, 0, 2)).reshape(n_features, -1)
        gram = np.zeros((n_columns, n_columns))
        width = max(n_features, n_classes * n_columns)
        for rows in _row_blocks(self.X.shape[0], width):
            r = self._direction_logits(self.X[rows], coef_t, intercept)
            residual = -self.proba[rows]
            own = self.target[rows]
            residual[np.arange(own.shape[0]), own] += 1.0
            projections = np.einsum("ik,ikc->ic", residual, r)
            gram += projections.T @ (projections * self.weight[rows][:, None])
        return gram
