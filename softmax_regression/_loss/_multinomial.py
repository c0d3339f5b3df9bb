"""The multinomial (softmax cross-entropy) loss over a data set."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._softmax import softmax_columns_inplace
from . import _curvature, _kernels
from ._kernels import add_sparse_xt_g, run_blocks, squared, transposed
from ._layout import ParameterLayout
from ._pairs import add_pair_products, class_pair_coefficients, hessian_of_pairs
from ._working_order import working_order


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
    Blocks and memory
        Dense X and CSR X are processed in blocks of rows (dense: about
        1 MiB of X; CSR: about equal numbers of stored entries), each
        block's logits held class-major, ``(K, m)``, so reductions over the
        classes run across contiguous rows.  ``value``, ``value_and_grad``
        and ``hessp`` allocate only one block's temporaries and one set of
        ``(K, d)`` accumulators per thread; ``gradient_hessp`` also keeps
        the probabilities (``n x K``, float32 beyond 8 MiB) for the
        products that follow, and
        ``hessian`` a ``(K (d + 1))^2`` matrix.  X is never copied.  CSC X,
        whose rows cannot be sliced cheaply, is one block.

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
    n_threads : int, default=1
        Threads that process blocks of rows in parallel, each with private
        accumulators (BLAS should be limited to one thread meanwhile).

    Attributes
    ----------
    layout : ParameterLayout
        The flat parameter vector's layout.
    """

    #: What this loss can compute, by method name; a solver's declared needs
    #: are checked against it (see softmax_regression/_objective.py).
    OFFERS = frozenset(
        {
            "value",
            "value_and_grad",
            "hessp",
            "gradient_hessp",
            "hessian_diagonal",
            "hessian",
            "take",
            "separates",
        }
    ) | _curvature.SUMMARIES

    def __init__(
        self,
        X,
        target: NDArray,
        sample_weight: NDArray[np.floating],
        n_classes: int,
        fit_intercept: bool = True,
        n_threads: int = 1,
    ) -> None:
        self.X = X
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.layout = ParameterLayout(n_classes, self.n_features, fit_intercept)
        self.n_threads = max(1, int(n_threads))
        self.soft_targets = target.ndim == 2
        self.target = target.astype(self.dtype) if self.soft_targets else target
        self.sample_weight = np.asarray(sample_weight, dtype=np.float64)
        self.weight_sum = float(self.sample_weight.sum())
        # all-zero weights (a weightless mini-batch) give a zero loss
        self.normalised_weight = (
            self.sample_weight / self.weight_sum
            if self.weight_sum > 0
            else np.zeros_like(self.sample_weight)
        ).astype(self.dtype)
        self.sparse = sp.issparse(X)
        # Logits as X_b W^T (m x K), then transposed, rather than W X_b^T:
        # sparse products need it, and OpenBLAS's sgemm runs W X_b^T (few
        # rows, X_b transposed) no faster than dgemm, where X_b W^T and the
        # copy are faster.  Synthetic float32 value_and_grad: 29.4 ms,
        # against 57.1 ms in float64 (bench_kernel).  Float64 X takes the
        # same road for few classes and features (see _kernels).
        self._sample_major = (
            self.sparse
            or self.dtype == np.float32
            or _kernels.sample_major_pays(n_classes, self.n_features)
        )
        shape = (self.n_classes, self.n_features)
        self._coef_accumulator_shape = shape[::-1] if self.sparse else shape
        self.blocks = _kernels.row_blocks(X, n_classes, self.n_threads)
        self._target_positions = (
            None
            if self.soft_targets
            else _kernels.class_major_positions(target, self.blocks)
        )
        self.products = _kernels.ProductMatrices(X, self.n_params)

    def take(self, rows, dtype=None) -> MultinomialLoss:
        """The loss on a subset of the rows (a slice or an index array), its
        weights normalised over that subset: a mini-batch; its X copied in
        ``dtype`` (X's by default)."""
        return MultinomialLoss(
            _kernels.rows_of(self.X, rows, dtype),
            self.target[rows],
            self.sample_weight[rows],
            self.n_classes,
            fit_intercept=self.fit_intercept,
            n_threads=self.n_threads,
        )

    # -- layout (see ParameterLayout) ----------------------------------------
    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return self.layout.n_params

    @property
    def n_coef(self) -> int:
        """Number of entries of ``W`` at the head of the flat vector."""
        return self.layout.n_coef

    def unpack(self, w: NDArray) -> tuple[NDArray, NDArray | None]:
        """Split a flat vector into ``W (K, d)`` and ``b (K,)`` (or None), in
        the loss dtype."""
        return self.layout.unpack(w, self.dtype)

    def shift_directions(self) -> NDArray:
        """Orthonormal directions along which the loss is flat (see
        :meth:`ParameterLayout.shift_directions`)."""
        return self.layout.shift_directions()

    # -- kernels -----------------------------------------------------------
    def _block(self, rows: slice, matrix=None):
        """The rows of X (or of ``matrix``, its float32 copy) in ``rows``:
        the whole matrix for all of them (slicing a sparse matrix copies
        it)."""
        matrix = self.X if matrix is None else matrix
        if rows.start == 0 and rows.stop == self.n_samples:
            return matrix
        return matrix[rows]

    def _logit_factor(self, coef: NDArray) -> NDArray | None:
        """``coef`` as :meth:`_logits` multiplies it: ``coef.T`` made
        C-contiguous once per pass when the logits are computed sample-major
        (scipy would otherwise copy it once per block), else itself; None
        for an all-zero ``coef`` of dense X (a fit's start), whose logits
        are the intercepts whatever the rows hold: the pass then skips
        their product (on the 20,000 x 50 synthetic set 0.5 ms of a 1.7 ms
        pass).  Sparse X keeps the product: its ``coef`` can hold millions
        of entries, read in full to find none nonzero."""
        if not self.sparse and not coef.any():
            return None
        return np.ascontiguousarray(coef.T) if self._sample_major else coef

    def _logits(
        self,
        X_block,
        factor: NDArray | None,
        intercept: NDArray | None,
        dtype=None,
        n_rows: int | None = None,
    ) -> NDArray:
        """Class-major logits ``W X_b^T + b``, shape ``(K, m)``, C-contiguous
        (in ``dtype``, the loss's by default; ``factor`` None for ``W = 0``,
        see :meth:`_logit_factor`, whose ``W`` has ``n_rows`` rows, ``K``
        by default)."""
        if factor is None:
            shape = (n_rows or self.n_classes, X_block.shape[0])
            logits = np.zeros(shape, dtype or self.dtype)
        elif self._sample_major:
            product = _kernels.block_product(X_block, factor, self.n_threads)
            logits = np.ascontiguousarray(product.T, dtype=dtype or self.dtype)
        else:
            logits = factor @ X_block.T
        if intercept is not None:
            logits += intercept[:, None]
        return logits

    def _add_xt_g(self, grad_coef: NDArray, g_block: NDArray, X_block) -> None:
        """Add ``g_block X_block`` (``g_block`` class-major ``(K, m)``) to the
        coefficient accumulator.

        The accumulator is ``(K, d)`` for dense X and ``(d, K)`` for sparse X,
        the layout in which each product comes out contiguous.
        """
        if self.sparse:
            g_rows = np.ascontiguousarray(g_block.T)
            add_sparse_xt_g(grad_coef, X_block, g_rows, self.n_threads)
        else:
            grad_coef += g_block @ X_block

    def _factor(self, w: NDArray, ordered: bool = False):
        """``(factor, intercept)`` of a flat vector: the coefficients as
        :meth:`_logits` multiplies them, and the intercepts (or None), in
        the loss's dtype.  An ``ordered`` vector (sparse X's working order)
        holds the factor as it is, feature-major."""
        if not ordered:
            coef, intercept = self.unpack(w)
            return self._logit_factor(coef), intercept
        w = np.asarray(w, dtype=self.dtype)
        factor = w[: self.n_coef].reshape(self.n_features, self.n_classes)
        return factor, (w[self.n_coef :] if self.fit_intercept else None)

    def _pack(
        self, grad_coef: NDArray, grad_intercept: NDArray, ordered: bool = False
    ) -> NDArray:
        """The flat vector of a coefficient accumulator and intercept part,
        written in one copy (in the working order with ``ordered``: the
        sparse accumulator as it is)."""
        flat = np.empty(self.n_params, dtype=self.dtype)
        coef_view = flat[: self.n_coef].reshape(self.n_classes, self.n_features)
        if ordered:
            flat[: self.n_coef] = grad_coef.ravel()
        elif self.sparse:
            transposed(grad_coef, out=coef_view)
        else:
            coef_view[...] = grad_coef
        if self.fit_intercept:
            flat[self.n_coef :] = grad_intercept
        return flat

    # -- the block runner --------------------------------------------------
    def _run(self, work, make_buffers) -> list[NDArray]:
        """:func:`._kernels.run_blocks` over this loss's blocks and threads."""
        return run_blocks(self.blocks, self.n_threads, work, make_buffers)

    def _zeros(self, with_value: bool = True, dtype=None):
        """Buffers: [value (float64), coef-shaped, intercept-shaped], the
        last two in ``dtype`` (the loss's by default)."""
        dtype = dtype or self.dtype

        def make() -> list[NDArray]:
            buffers = [
                np.zeros(self._coef_accumulator_shape, dtype=dtype),
                np.zeros(self.n_classes, dtype=dtype),
            ]
            return [np.zeros(1), *buffers] if with_value else buffers

        return make

    # -- value, gradient, Hessian ----------------------------------------------
    def value(self, w: NDArray) -> float:
        """The loss ``L(W, b)``."""
        coef, intercept = self.unpack(w)
        factor = self._logit_factor(coef)

        def work(rows, buffers):
            logits = self._logits(self._block(rows), factor, intercept)
            buffers[0] += self.normalised_weight[rows] @ self._block_losses(
                logits, rows
            )

        return float(self._run(work, lambda: [np.zeros(1)])[0][0])

    def _block_losses(self, logits: NDArray, rows: slice) -> NDArray:
        """Per-sample cross-entropy of class-major ``(K, m)`` logits, which
        are overwritten with probabilities."""
        if self.soft_targets:
            target_logit = np.einsum("ik,ki->i", self.target[rows], logits)
        else:
            target_logit = logits.reshape(-1).take(self._target_positions[rows])
        return softmax_columns_inplace(logits) - target_logit

    def _subtract_target(self, proba: NDArray, rows: slice) -> None:
        """``proba -= Y`` for the block: ``P - Y`` in place (``proba`` is
        C-contiguous, as :meth:`_logits` returns it)."""
        if self.soft_targets:
            proba -= self.target[rows].T
        else:
            proba.reshape(-1)[self._target_positions[rows]] -= 1

    def _gradient_block(
        self, rows, X_block, logits, buffers, keep_proba: bool = False
    ) -> NDArray | None:
        """Add one block's loss and gradient to ``buffers[:3]``.

        ``logits`` is overwritten; with ``keep_proba`` a copy of the block's
        probabilities is returned.
        """
        weight = self.normalised_weight[rows]
        buffers[0] += weight @ self._block_losses(logits, rows)
        proba = logits.copy() if keep_proba else None
        self._subtract_target(logits, rows)
        logits *= weight
        self._add_xt_g(buffers[1], logits, X_block)
        buffers[2] += logits.sum(axis=1)
        return proba

    def value_and_grad(self, w: NDArray) -> tuple[float, NDArray]:
        """The loss and its gradient, in one pass over the rows of X.

        The gradient with respect to the logits of sample i is
        ``s_i (p_i - y_i) / sum(s)``; with respect to ``W`` it is
        ``G^T X`` and with respect to ``b`` the column sums of ``G``.
        """
        coef, intercept = self.unpack(w)
        factor = self._logit_factor(coef)

        def work(rows, buffers):
            X_block = self._block(rows)
            logits = self._logits(X_block, factor, intercept)
            self._gradient_block(rows, X_block, logits, buffers)

        value, grad_coef, grad_intercept = self._run(work, self._zeros())
        return float(value[0]), self._pack(grad_coef, grad_intercept)

    def _hessp_block(self, X_block, proba, direction_logits, weight, buffers) -> None:
        """Add one block's ``X^T (s (p * r - p (p . r)))`` to ``buffers``."""
        hp = proba * direction_logits
        hp -= proba * hp.sum(axis=0)
        hp *= weight
        self._add_xt_g(buffers[0], hp, X_block)
        buffers[1] += hp.sum(axis=1)

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
        both_factor = self._logit_factor(np.concatenate([coef, dir_coef]))
        both_intercept = (
            np.concatenate([intercept, dir_intercept]) if self.fit_intercept else None
        )
        k = self.n_classes

        def work(rows, buffers):
            X_block = self._block(rows)
            both = self._logits(X_block, both_factor, both_intercept, n_rows=2 * k)
            proba = both[:k]
            softmax_columns_inplace(proba)
            weight = self.normalised_weight[rows]
            self._hessp_block(X_block, proba, both[k:], weight, buffers)

        return self._pack(*self._run(work, self._zeros(with_value=False)))

    def _add_curvature(self, rows, X_block, proba, buffers, squares=None) -> None:
        """Add one block's Hessian diagonal ``s p (1 - p) x^2 / sum(s)`` (and
        ``s p (1 - p) / sum(s)`` for the intercepts) to ``buffers``, in
        their dtype; ``squares`` is the block's ``x^2`` where it is kept."""
        curvature = proba * (1 - proba)
        curvature *= self.normalised_weight[rows]
        curvature = curvature.astype(buffers[0].dtype, copy=False)
        if squares is None:
            squares = squared(X_block)
        self._add_xt_g(buffers[0], curvature, squares)
        buffers[1] += curvature.sum(axis=1)

    def hessian_diagonal(self, w: NDArray) -> NDArray:
        """The diagonal of the Hessian at ``w``, in one pass over X that keeps
        nothing of size ``n`` (a diagonal preconditioner's scale)."""
        coef, intercept = self.unpack(w)
        factor = self._logit_factor(coef)

        def work(rows, buffers):
            X_block = self._block(rows)
            proba = self._logits(X_block, factor, intercept)
            softmax_columns_inplace(proba)
            self._add_curvature(rows, X_block, proba, buffers)

        return self._pack(*self._run(work, self._zeros(with_value=False)))

    def gradient_hessp(self, w: NDArray, ordered: bool = False, diagonal: bool = True):
        """Loss, gradient, Hessian diagonal and a Hessian-vector product at ``w``.

        One pass over X computes the loss and gradient and keeps the
        probabilities ``P`` (``n x K``; in float32 beyond 8 MiB); each call of the
        returned ``hessp(v)`` then costs one more pass over X and no softmax.
        The diagonal ``sum_i s_i p_ik (1 - p_ik) x_ij^2 / sum(s)`` is what a
        Jacobi preconditioner needs; without ``diagonal`` (a solver with
        another preconditioner) it is None, and the pass skips its squares
        of X and their product.

        With ``ordered`` (sparse X only), ``w``, the gradient, the diagonal
        and the products' vectors are all in the products' working order
        (:mod:`._working_order`): no transposes at all.

        Returns
        -------
        value : float
        grad : ndarray of shape (n_params,)
        diagonal : ndarray of shape (n_params,) or None
        hessp : HessianProduct
            ``hessp(v) -> H(w) v``; ``hessp.class_covariance()`` is the
            Kronecker preconditioner's class factor, from the same
            probabilities (no further pass over X).
        """
        if ordered and not self.sparse:
            raise ValueError("only sparse X has a working order of its own")
        factor, intercept = self._factor(w, ordered)
        probas: dict[int, NDArray] = {}
        product_X, product_dtype = self.products.matrix()
        # with float32 products the diagonal (the preconditioner's, no more
        # exact than that) is float32 too, from X's squared values kept
        # beside the float32 copy: on 20 Newsgroups its kernel takes about 8 ms
        # a pass, against 14.5 ms in float64 plus 2.8 ms squaring X each time
        squares = self.products.squares() if diagonal else None
        proba_bytes = self.n_samples * self.n_classes * self.dtype.itemsize
        stored_dtype = (
            np.float32
            if proba_bytes > _kernels.FLOAT32_PROBA_BYTES
            else product_dtype
        )

        def work(rows, buffers):
            X_block = self._block(rows)
            logits = self._logits(X_block, factor, intercept)
            proba = self._gradient_block(
                rows, X_block, logits, buffers, keep_proba=True
            )
            if diagonal:
                block_squares = None if squares is None else self._block(rows, squares)
                self._add_curvature(rows, X_block, proba, buffers[3:], block_squares)
            probas[rows.start] = proba.astype(stored_dtype, copy=False)

        def make_buffers():
            buffers = self._zeros()()
            if diagonal:
                diagonal_dtype = self.dtype if squares is None else squares.dtype
                buffers += self._zeros(False, diagonal_dtype)()
            return buffers

        value, grad_coef, grad_int, *diagonal_parts = self._run(work, make_buffers)

        product_weight = self.normalised_weight.astype(product_dtype, copy=False)

        def accumulated_product(
            dir_factor, dir_intercept, make_buffers=None
        ) -> list[NDArray]:
            if dir_factor is not None:
                dir_factor = dir_factor.astype(product_dtype, copy=False)
            if dir_intercept is not None:
                dir_intercept = dir_intercept.astype(product_dtype, copy=False)

            def hessp_work(rows, buffers):
                X_block = self._block(rows, product_X)
                direction = self._logits(
                    X_block, dir_factor, dir_intercept, product_dtype
                )
                weight = product_weight[rows]
                self._hessp_block(
                    X_block, probas[rows.start], direction, weight, buffers
                )

            return self._run(
                hessp_work, make_buffers or self._zeros(False, product_dtype)
            )

        def hessp(v: NDArray) -> NDArray:
            dir_factor, dir_intercept = self._factor(v, ordered)
            return self._pack(*accumulated_product(dir_factor, dir_intercept), ordered)

        def class_covariance() -> NDArray:
            weight = self.normalised_weight.astype(np.float64)
            return sum(
                _curvature.class_covariance(probas[rows.start], weight[rows])
                for rows in self.blocks
            )

        return (
            float(value[0]),
            self._pack(grad_coef, grad_int, ordered),
            self._pack(*diagonal_parts, ordered) if diagonal else None,
            _curvature.HessianProduct(
                hessp,
                class_covariance,
                working_order(self, accumulated_product, product_dtype, ordered),
            ),
        )

    def hessian(
        self, w: NDArray, products_dtype=None
    ) -> tuple[float, NDArray, NDArray]:
        """Loss, gradient and the full Hessian matrix, in one pass over X.

        For small ``K * d`` only (a Newton step with a Cholesky factor): the
        matrix is ``n_params x n_params``.  With ``x~ = (x, 1)``, the block of
        classes ``(k, l)`` is ``sum_i c_ikl x~_i x~_i^T`` with
        ``c_ikl = s_i (delta_kl p_ik - p_ik p_il) / sum(s)``, built from the
        upper triangles of both factors (:mod:`._pairs`: a quarter of the
        multiply-adds of ``B^T B`` with ``B = [sqrt(c) x~]``), then permuted
        to the flat layout.  Sparse blocks are densified block by block.

        ``products_dtype`` (the loss's dtype by default) is the dtype of
        ``C`` and ``Q`` and of their product within a block; the sum over
        blocks stays in the loss's dtype.  float32 products take 0.77x the
        time of float64 ones on pendigits and diamonds, whose Newton steps
        they leave within rounding of the float64 steps: the caller
        decides when the Hessian can be that approximate.
        """
        coef, intercept = self.unpack(w)
        factor = self._logit_factor(coef)
        width = self.n_features + int(self.fit_intercept)
        n_pairs = (self.n_classes * (self.n_classes + 1) // 2, width * (width + 1) // 2)
        pair_dtype = self.dtype if products_dtype is None else products_dtype

        def work(rows, buffers):
            X_block = self._block(rows)
            logits = self._logits(X_block, factor, intercept)
            proba = self._gradient_block(
                rows, X_block, logits, buffers, keep_proba=True
            )
            coefficients = class_pair_coefficients(
                proba.astype(pair_dtype, copy=False),
                self.normalised_weight[rows].astype(pair_dtype, copy=False),
            )
            add_pair_products(
                buffers[3], coefficients, X_block, self.fit_intercept, pair_dtype
            )

        def make_buffers():
            return [*self._zeros()(), np.zeros(n_pairs, self.dtype)]

        value, grad_coef, grad_int, pairs = self._run(work, make_buffers)
        hess = hessian_of_pairs(pairs, self.n_classes, width)
        order = self.layout.augmented_order()
        return (
            float(value[0]),
            self._pack(grad_coef, grad_int),
            hess[np.ix_(order, order)],
        )

    def separates(self, w: NDArray) -> bool:
        """Whether the model ``w`` ranks every row of positive weight's own
        class strictly first (hard labels only; never for probability rows).

        Then, without a penalty, no finite minimiser exists: scaling ``W``
        up always lowers the loss.
        """
        if self.soft_targets:
            return False
        coef, intercept = self.unpack(w)
        factor = self._logit_factor(coef)
        for rows in self.blocks:
            logits = self._logits(self._block(rows), factor, intercept)
            flat, positions = logits.reshape(-1), self._target_positions[rows]
            own = flat.take(positions)
            flat[positions] = -np.inf
            ahead = own > logits.max(axis=0)
            if not np.all(ahead | (self.sample_weight[rows] == 0)):
                return False
        return True

    # -- data summaries (see _curvature) -------------------------------------
    def feature_moments(self) -> tuple[NDArray, NDArray]:
        """Each feature's weighted centre and spread, for preconditioning
        (see :func:`._curvature.feature_moments`)."""
        return _curvature.feature_moments(self)

    def value_range(self, rows=None) -> tuple[float, float]:
        """The smallest nonzero and the largest ``|x|``, of every row or of
        ``rows`` (see :func:`._curvature.value_range`)."""
        return _curvature.value_range(self, rows)

    def feature_gram(self, rows=None) -> NDArray:
        """The weighted mean of ``x~ x~^T`` over ``rows`` (all by default;
        see :func:`._curvature.feature_gram`)."""
        return _curvature.feature_gram(self, rows)
