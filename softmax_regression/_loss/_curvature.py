"""Summaries of the data and of the model's curvature, for preconditioners.

Each function reads a :class:`~._multinomial.MultinomialLoss` block by
block (no float64 copy of X) and returns a small float64 array:

* :func:`feature_moments`: each feature's weighted centre and spread (the
  proximal solvers' diagonal scaling);
* :func:`value_range`: the smallest and largest magnitudes in X (whether a
  float32 copy keeps them);
* :func:`feature_gram` and :func:`class_covariance` (of the probabilities
  a Hessian-vector product keeps, :class:`HessianProduct`): the two factors of
  the Kronecker approximation of the Hessian,
  ``sum_i s_i (diag(p_i) - p_i p_i^T) (x) x~_i x~_i^T / sum(s)``
  ``~ A (x) B`` with ``A`` the weighted mean of the softmax covariances
  ``diag(p_i) - p_i p_i^T`` (``K x K``) and ``B`` the weighted mean of
  ``x~_i x~_i^T`` (``x~ = (x, 1)``, the 1 only with intercepts): exact when
  the probabilities do not vary with the features (see
  :mod:`softmax_regression._solvers._kronecker`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from . import _kernels
from ._conditioning import augmented_gram


def feature_moments(loss) -> tuple[NDArray, NDArray]:
    """Each feature's weighted centre and spread.

    Returns
    -------
    centre : ndarray of shape (n_features,)
        The weighted mean of each feature when the model has intercepts
        (which can absorb a shift of the features), else zeros.
    spread : ndarray of shape (n_features,)
        The weighted mean of ``(x_j - centre_j)^2``.
    """
    X, weight = loss.X, loss.normalised_weight.astype(np.float64)
    if sp.issparse(X):
        mean = np.asarray(X.T @ weight, dtype=np.float64).ravel()
        second = np.asarray(X.multiply(X).T @ weight, dtype=np.float64).ravel()
    else:  # by blocks of rows: no float64 copy of X
        mean = np.zeros(X.shape[1])
        second = np.zeros(X.shape[1])
        for rows in loss.blocks:
            block = np.asarray(X[rows], dtype=np.float64)
            mean += weight[rows] @ block
            second += weight[rows] @ np.square(block)
    weight_total = float(weight.sum())
    if not loss.fit_intercept:
        return np.zeros_like(mean), second / weight_total
    mean /= weight_total
    return mean, np.maximum(second / weight_total - mean**2, 0.0)


#: The summaries an in-memory loss offers, by method name (the Dask loss,
#: whose rows are never in one place, offers none of them).
SUMMARIES = frozenset(
    {"feature_moments", "feature_gram", "value_range"}
)


def feature_gram(loss, rows=None) -> NDArray[np.float64]:
    """``B = sum_i s_i x~_i x~_i^T / sum(s)`` over ``rows`` (every row when
    None), ``x~ = (x, 1)`` with intercepts: a ``(d + 1, d + 1)`` (or
    ``(d, d)``) float64 matrix (:func:`._conditioning.augmented_gram`;
    meant for few features: the result is dense)."""
    rows = np.arange(loss.n_samples) if rows is None else np.asarray(rows)
    total = float(loss.sample_weight[rows].sum())
    gram = augmented_gram(loss.X, loss.sample_weight, rows, loss.fit_intercept)
    return gram / total if total > 0 else np.zeros_like(gram)


def class_covariance(probabilities, weight: NDArray) -> NDArray[np.float64]:
    """``A = sum_i s_i (diag(p_i) - p_i p_i^T)`` of class-major ``(K, m)``
    probabilities and normalised weights ``s``: the weighted mean of the
    softmax's covariance, ``(K, K)`` float64 (symmetric, positive
    semi-definite, rows summing to zero)."""
    proba = np.asarray(probabilities, dtype=np.float64)
    weighted = proba * weight
    return np.diag(weighted.sum(axis=1)) - weighted @ proba.T


class HessianProduct:
    """``v -> H v`` at a point, and the class factor of ``H`` there.

    Parameters
    ----------
    product : callable
        ``v -> H v``.
    class_covariance : callable or None
        ``() -> A`` from the probabilities the product keeps (see
        :func:`class_covariance`); None where the loss does not offer it.
    working : WorkingOrder or None
        The same product in the loss's working order, where that differs
        from the flat vector's (see :mod:`._working_order`).
    """

    def __init__(self, product, class_covariance=None, working=None) -> None:
        self.product = product
        self.class_covariance = class_covariance
        self.working = working

    def __call__(self, v: NDArray) -> NDArray:
        return self.product(v)


def value_range(loss, rows=None) -> tuple[float, float]:
    """The smallest nonzero and the largest ``|x|`` of X, or of its
    ``rows`` (see :func:`._kernels.value_range`)."""
    return _kernels.value_range(loss.X, rows)
