"""The reported parameters as linear functions of the model's flat vector.

The full softmax parameterisation ``theta = (W, b)`` is not identified
without a penalty: adding one vector to every class's row (of ``W``, or
to every intercept) changes no probability.  The reported parameters are
``L theta`` for a matrix ``L`` that annihilates those *shift directions*:

* ``reference=r``: the contrasts ``theta_k - theta_r`` of the other classes
  (statsmodels' MNLogit parameters);
* ``reference=None``: the projection onto the sum-to-zero subspace,
  ``theta_k - mean_l theta_l``, of every shift direction that is
  unidentified (all of them at ``alpha=0``; only the intercepts' and those
  of unpenalised features, ``penalty_factor`` 0, when an L2 penalty pins
  the other coefficients down).

The information matrix ``I`` is singular along the unidentified directions
``N``; ``A = I + N C N^T`` (``C`` a positive diagonal of scales like
``I``'s) is positive definite, and ``L A^{-1} L^T`` does not depend on
``C`` because ``L N = 0``: it is the covariance of ``L theta`` under the
Gaussian (Laplace) approximation of the likelihood.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .._loss import ParameterLayout


class Parameterisation:
    """The map ``L`` from the flat parameter vector to the reported one.

    Parameters
    ----------
    layout : ParameterLayout
        The model's flat vector.
    reference : int or None
        Index of the reference class, or None for sum-to-zero.
    penalised : bool or ndarray of shape (n_features,)
        Whether an L2 penalty identifies the coefficients (of each feature):
        the shifts of the others and of the intercepts are unidentified.
    features : ndarray of int
        The features reported.

    Attributes
    ----------
    rows : ndarray of int
        The class index of each reported row.
    reported : ParameterLayout
        The layout of the reported vector: one row per reported class,
        one column per reported feature, then the intercepts.
    """

    def __init__(
        self,
        layout: ParameterLayout,
        reference: int | None,
        penalised: bool,
        features: NDArray,
    ) -> None:
        self.layout = layout
        self.reference = reference
        self.penalised = np.broadcast_to(
            np.asarray(penalised, dtype=bool), (layout.n_features,)
        )
        self.features = np.asarray(features, dtype=np.intp)
        classes = np.arange(layout.n_classes)
        self.rows = classes if reference is None else classes[classes != reference]
        self.reported = ParameterLayout(
            self.rows.shape[0], self.features.shape[0], layout.fit_intercept
        )

    def _flat(self, k: int, column: int) -> int:
        """Position of class ``k``'s parameter of ``column`` in the flat
        vector (``-1``: the intercept)."""
        if column < 0:
            return self.layout.n_coef + k
        return k * self.layout.n_features + column

    def matrix(self) -> NDArray:
        """``L``, shape ``(n_reported, n_params)``, in the reported layout:
        the coefficients of the reported rows and features row-major, then
        the rows' intercepts."""
        layout = self.layout
        n_classes = layout.n_classes
        columns = [int(f) for f in self.features]
        if layout.fit_intercept:
            columns.append(-1)
        n_rows, n_selected = self.rows.shape[0], self.features.shape[0]
        L = np.zeros((self.reported.n_params, layout.n_params))
        all_classes = np.arange(n_classes)
        for position, column in enumerate(columns):
            for r, k in enumerate(self.rows):
                if column < 0:
                    out = n_rows * n_selected + r
                else:
                    out = r * n_selected + position
                L[out, self._flat(int(k), column)] += 1.0
                if self.reference is not None:
                    L[out, self._flat(self.reference, column)] -= 1.0
                elif column < 0 or not self.penalised[column]:
                    L[out, [self._flat(int(c), column) for c in all_classes]] -= (
                        1.0 / n_classes
                    )
        return L

    def null_directions(self) -> NDArray:
        """Orthonormal columns spanning the unidentified shifts,
        ``(n_params, n_null)``: the layout's shift directions (one per
        feature, then the intercepts') of the unpenalised features and of
        the intercepts."""
        intercepts = np.ones(int(self.layout.fit_intercept), dtype=bool)
        unidentified = np.r_[~self.penalised, intercepts]
        return self.layout.shift_directions()[:, unidentified]

    @staticmethod
    def gauge_scales(N: NDArray, diagonal: NDArray) -> NDArray:
        """Each null direction's scale: the mean information diagonal over
        the parameters it moves (so ``A`` is as well scaled as ``I``)."""
        support = N**2
        scale = (diagonal @ support) / np.maximum(support.sum(axis=0), 1.0)
        return np.maximum(scale, np.finfo(np.float64).tiny ** 0.5)
