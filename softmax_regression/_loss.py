"""The multinomial (softmax cross-entropy) loss over a data set."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._softmax import _softmax_rows_inplace

# Rows per block are chosen so that one block of X plus its logits stays
# within about this many bytes, which keeps the block in cache between the
# two products that read it (X_b W^T and G^T X_b).
_BLOCK_BYTES = 1 << 20
_MIN_BLOCK_ROWS = 64


class MultinomialLoss:
    """Weighted mean softmax cross-entropy of a linear model on fixed data.

    ``L(W, b) = sum_i s_i CE(y_i, softmax(W x_i + b)) / sum_i s_i``

    Conventions
    -----------
    Shapes
        ``X`` is ``(n, d)``: a dense array or a CSR/CSC sparse matrix, float32
        or float64; every computation runs in ``X``'s dtype, with the loss
        value accumulated in float64.  ``W`` is ``(K, d)``, ``b`` is ``(K,)``.
    Targets
        Either integer class indices ``(n,)`` in ``[0, K)`` (one-hot rows,
        never materialised) or probability rows ``(n, K)``.
    Flat parameter vector
        Solvers see one vector ``w`` of length ``K * d`` (``+ K`` when
        ``fit_intercept``): first ``W`` in row-major (C) order, so class
        ``k``'s coefficients are ``w[k * d:(k + 1) * d]``, then the intercepts
        ``b`` in class order at the end.  Gradients and Hessian-vector
        products use the same layout.
    Memory
        Dense X and CSR X are processed in blocks of rows, so the only
        temporaries are one block's logits and the ``(K, d)`` accumulators;
        X is never copied.  CSC X, whose rows cannot be sliced cheaply, is
        processed as a single block.

    Parameters
    ----------
    X : {ndarray, csr_matrix, csc_matrix} of shape (n_samples, n_features)
        Training data, float32 or float64.
    target : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Class indices (integers) or probability rows.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative sample weights with a positive sum.
    n_classes : int
        Number of classes K.
    fit_intercept : bool, default=True
        Whether the parameter vector ends with K intercepts.
    """

    def __init__(
        self,
        X,
        target: NDArray,
        sample_weight: NDArray[np.floating],
        n_classes: int,
        fit_intercept: bool = True,
    ) -> None:
        self.X = X
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.soft_targets = target.ndim == 2
        self.target = target.astype(self.dtype) if self.soft_targets else target
        weight = np.asarray(sample_weight, dtype=np.float64)
        self.weight_sum = float(weight.sum())
        self.normalised_weight = (weight / self.weight_sum).astype(self.dtype)
        self.blocks = self._row_blocks()

    # -- layout ------------------------------------------------------------
    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        n_coef = self.n_classes * self.n_features
        return n_coef + (self.n_classes if self.fit_intercept else 0)

    @property
    def n_coef(self) -> int:
        """Number of entries of ``W`` at the head of the flat vector."""
        return self.n_classes * self.n_features

    def unpack(self, w: NDArray) -> tuple[NDArray, NDArray | None]:
        """Split a flat vector into ``W (K, d)`` and ``b (K,)`` (or None), in
        the loss dtype."""
        w = np.asarray(w, dtype=self.dtype)
        coef = w[: self.n_coef].reshape(self.n_classes, self.n_features)
        intercept = w[self.n_coef :] if self.fit_intercept else None
        return coef, intercept

    def _row_blocks(self) -> list[slice]:
        if sp.issparse(self.X) and self.X.format != "csr":
            return [slice(0, self.n_samples)]
        row_bytes = (self.n_features + 2 * self.n_classes) * self.dtype.itemsize
        rows = max(_MIN_BLOCK_ROWS, _BLOCK_BYTES // max(row_bytes, 1))
        return [
            slice(start, min(start + rows, self.n_samples))
            for start in range(0, self.n_samples, rows)
        ]

    # -- kernels -----------------------------------------------------------
    def _logits(self, X_block, coef: NDArray, intercept: NDArray | None) -> NDArray:
        logits = X_block @ coef.T
        if intercept is not None:
            logits += intercept
        return np.ascontiguousarray(logits, dtype=self.dtype)

    def _add_xt_g(self, grad_coef: NDArray, g_block: NDArray, X_block) -> None:
        """``grad_coef += g_block^T X_block`` for dense or sparse blocks."""
        if sp.issparse(X_block):
            grad_coef += (X_block.T @ g_block).T
        else:
            grad_coef += g_block.T @ X_block

    def _pack(self, grad_coef: NDArray, grad_intercept: NDArray) -> NDArray:
        if self.fit_intercept:
            return np.concatenate([grad_coef.ravel(), grad_intercept])
        return grad_coef.ravel()

    def value(self, w: NDArray) -> float:
        """The loss ``L(W, b)``."""
        coef, intercept = self.unpack(w)
        total = 0.0
        for rows in self.blocks:
            logits = self._logits(self.X[rows], coef, intercept)
            total += float(
                self.normalised_weight[rows] @ self._block_losses(logits, rows)
            )
        return total

    def _block_losses(self, logits: NDArray, rows: slice) -> NDArray:
        """Per-row cross-entropy; overwrites ``logits`` with probabilities."""
        target = self.target[rows]
        if self.soft_targets:
            target_logit = np.einsum("ij,ij->i", target, logits)
        else:
            target_logit = logits[np.arange(logits.shape[0]), target]
        return _softmax_rows_inplace(logits) - target_logit

    def _subtract_target(self, proba: NDArray, rows: slice) -> None:
        """``proba -= Y`` for the block: ``P - Y`` in place."""
        target = self.target[rows]
        if self.soft_targets:
            proba -= target
        else:
            proba[np.arange(proba.shape[0]), target] -= 1

    def value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """The loss and its gradient, in one pass over the rows of X.

        The gradient with respect to the logits of sample i is
        ``s_i (p_i - y_i) / sum(s)``; with respect to ``W`` it is
        ``G^T X`` and with respect to ``b`` the column sums of ``G``.
        """
        coef, intercept = self.unpack(w)
        grad_coef = np.zeros_like(coef)
        grad_intercept = np.zeros(self.n_classes, dtype=self.dtype)
        total = 0.0
        for rows in self.blocks:
            X_block = self.X[rows]
            weight = self.normalised_weight[rows]
            logits = self._logits(X_block, coef, intercept)
            total += float(weight @ self._block_losses(logits, rows))
            self._subtract_target(logits, rows)
            logits *= weight[:, None]
            self._add_xt_g(grad_coef, logits, X_block)
            grad_intercept += logits.sum(axis=0)
        return total, self._pack(grad_coef, grad_intercept)

    def hessp(self, w: NDArray, v: NDArray) -> NDArray:
        """Hessian-vector product ``H(w) v`` without forming ``H``.

        Per sample, the Hessian in the logits is ``diag(p) - p p^T``, so with
        ``r = V x + v_b`` (the direction's logits) the product contributes
        ``s (p * r - p (p . r))`` to the logits' side and is mapped back
        through ``X^T`` like the gradient.  One pass over X computes the
        logits of ``w`` and of ``v`` together.
        """
        coef, intercept = self.unpack(w)
        dir_coef, dir_intercept = self.unpack(v)
        both_coef = np.concatenate([coef, dir_coef])
        both_intercept = (
            np.concatenate([intercept, dir_intercept]) if self.fit_intercept else None
        )
        k = self.n_classes
        out_coef = np.zeros_like(coef)
        out_intercept = np.zeros(k, dtype=self.dtype)
        for rows in self.blocks:
            X_block = self.X[rows]
            both = self._logits(X_block, both_coef, both_intercept)
            proba = np.ascontiguousarray(both[:, :k])
            _softmax_rows_inplace(proba)
            hp = proba * both[:, k:]
            hp -= proba * hp.sum(axis=1, keepdims=True)
            hp *= self.normalised_weight[rows][:, None]
            self._add_xt_g(out_coef, hp, X_block)
            out_intercept += hp.sum(axis=0)
        return self._pack(out_coef, out_intercept)
