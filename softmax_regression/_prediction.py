"""The predictions of a fitted softmax model: logits, labels, probabilities.

:class:`SoftmaxPredictionMixin` reads only the fitted ``coef_`` (a dense
array, or a sparse matrix after :meth:`~SoftmaxPredictionMixin.sparsify`),
``intercept_`` and ``classes_``; on a Dask collection each method returns a
lazy Dask array (see :func:`~softmax_regression._dask.lazy_on_dask`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ._dask import lazy_on_dask
from ._softmax import log_softmax, softmax
from ._validation import ACCEPT_SPARSE, FLOAT_DTYPES, check_numeric_features


class SoftmaxPredictionMixin:
    """``decision_function``, ``predict``, ``predict_proba`` and
    ``predict_log_proba`` of a fitted linear softmax model, and
    ``sparsify`` / ``densify`` of its coefficients."""

    def sparsify(self):
        """Store ``coef_`` as a sparse (CSR) matrix.

        Worth it when most coefficients are zero (an L1 or group penalty):
        the matrix then takes less memory and predictions on sparse data
        cost less.  Predictions are unchanged.  A later :meth:`fit` stores
        a dense ``coef_`` again (and a warm start reads the sparse one).

        Returns
        -------
        self
            The estimator, with ``coef_`` a ``scipy.sparse.csr_matrix``.
        """
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (the default after
        :meth:`fit`); a no-op when it is dense.

        Returns
        -------
        self
            The estimator, with ``coef_`` a numpy array.
        """
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def _logits(self, X) -> np.ndarray:
        check_is_fitted(self)
        check_numeric_features(X)
        X = validate_data(
            self, X, accept_sparse=ACCEPT_SPARSE, dtype=FLOAT_DTYPES, reset=False
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
            return safe_sparse_dot(X / scale, self.coef_.T, dense_output=True) * scale

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
