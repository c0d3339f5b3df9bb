"""Curvature pairs carried from one conjugate-gradient solve to the next.

A Newton solver solves a sequence of systems ``H_k x = -g_k`` whose
matrices change little from one step to the next.  Conjugate gradients
spend their products discovering the directions their preconditioner
``M_0`` misses, and the next solve discovers them again.  Morales and
Nocedal (2000, "Automatic preconditioning by limited memory quasi-Newton
updating", SIAM J. Optim. 10(4)) keep a few of a solve's search directions
``s_i`` and their products ``y_i = H s_i`` (free: conjugate gradients
compute them) and precondition the next solve with the L-BFGS inverse
built on them over ``M_0^-1``: the inverse of a matrix that agrees with
``H`` along the ``s_i`` and with ``M_0`` elsewhere.  It is symmetric
positive definite whenever ``M_0`` is and every ``s_i . y_i > 0``, so
conjugate gradients stay valid whatever the new matrix.

The pairs kept are spread evenly over the solve (their paper's uniform
sampling; the last ones alone did less): a solve's directions are
recorded at a stride that doubles whenever twice the kept number are
held, so a solve of any length holds at most ``2 m`` of them.  On
Fashion-MNIST (7,850 parameters, subsampled-newton's solves on a fresh
sample at every step: 40 to 120 products each near the optimum) eight
pairs took the products to a 1e-6 gap from 1,087 to 604
(benchmarks/results_subsampled.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import blas as _blas

from ._kronecker import Preconditioner

#: Pairs carried from one solve to the next ...
PAIRS = 8
#: ... where the last solve searched at least this many directions (a
#: shorter one's preconditioner already fits; on Ecdat's VietNamI, whose
#: solves take 3 to 6 products, pairs from every solve left ``tol=1e-2``
#: at a 2.7e-6 gap instead of 4.4e-7) ...
MIN_SEARCHED = 2 * PAIRS
#: ... and where a product multiplies at least this many rows times
#: parameters: the two-loop recursion costs 30 to 80 microseconds (16
#: vector products and 16 updates, from 650 to 7,850 parameters), a
#: product this large about a millisecond.  On digits (1,797 rows, 650
#: parameters) the pairs saved 9% of newton-cg's products and took 3-6%
#: longer.
MIN_PRODUCT_SIZE = 1 << 22


def curvature_pairs(n_params: int, product_rows: int) -> CurvaturePairs | None:
    """Pairs for the solves of a Newton solver whose products read
    ``product_rows`` rows, or None where they do not pay
    (:data:`MIN_PRODUCT_SIZE`)."""
    if product_rows * n_params < MIN_PRODUCT_SIZE:
        return None
    return CurvaturePairs(n_params)


class CurvaturePairs:
    """The pairs ``(s_i, H s_i)`` of the last solve, and the record of the
    current one.

    Parameters
    ----------
    n_params : int
        Length of the vectors.
    size : int, default=PAIRS
        Pairs carried from one solve to the next.
    """

    def __init__(self, n_params: int, size: int = PAIRS) -> None:
        self.size = size
        # the pairs in use, from the last solve, oldest first
        self.directions = np.empty((size, n_params))
        self.products = np.empty((size, n_params))
        self.inverse_curvatures = np.empty(size)
        self.n_pairs = 0
        # the current solve's record: every ``stride``-th direction
        capacity = 2 * size
        self._directions = np.empty((capacity, n_params))
        self._products = np.empty((capacity, n_params))
        self._inverse_curvatures = np.empty(capacity)
        self._n_recorded = 0
        self._n_seen = 0
        self._stride = 1

    def preconditioner(self, base: Preconditioner) -> Preconditioner:
        """``M^-1``: the L-BFGS inverse of the pairs in use over ``base``
        (``M_0^-1``), applied by the two-loop recursion; ``base`` itself
        while there are none.  Starts a fresh record."""
        n_pairs = self.n_pairs if self._n_seen >= MIN_SEARCHED else 0
        self._n_recorded = self._n_seen = 0
        self._stride = 1
        if n_pairs == 0:
            return base
        # views: the pairs change only in keep(), after the solve
        directions = self.directions[:n_pairs]
        products = self.products[:n_pairs]
        inverse_curvatures = self.inverse_curvatures[:n_pairs]
        axpy = _blas.get_blas_funcs("axpy", (directions,))
        work = np.empty(directions.shape[1])
        weights = np.empty(n_pairs)

        def precondition(residual: NDArray, out: NDArray) -> NDArray:
            work[...] = residual
            for i in range(n_pairs - 1, -1, -1):
                weights[i] = inverse_curvatures[i] * float(directions[i] @ work)
                axpy(products[i], work, a=-weights[i])
            base(work, out)
            for i in range(n_pairs):
                correction = inverse_curvatures[i] * float(products[i] @ out)
                axpy(directions[i], out, a=weights[i] - correction)
            return out

        return precondition

    def record(self, direction: NDArray, product: NDArray, curvature: float) -> None:
        """Note a search direction of positive ``curvature`` and its
        product, if it falls on the record's stride (the stride doubles,
        and every other recorded pair is dropped, when the record is
        full)."""
        seen, self._n_seen = self._n_seen, self._n_seen + 1
        if seen % self._stride:
            return
        if self._n_recorded == len(self._inverse_curvatures):
            for held in (self._directions, self._products, self._inverse_curvatures):
                held[: self.size] = held[::2]
            self._n_recorded = self.size
            self._stride *= 2
            if seen % self._stride:
                return
        slot = self._n_recorded
        self._directions[slot] = direction
        self._products[slot] = product
        self._inverse_curvatures[slot] = 1.0 / curvature
        self._n_recorded += 1

    def keep(self) -> None:
        """Take up to ``size`` of the recorded pairs, evenly spread over the
        solve, as the pairs of the next one, where it searched at least
        :data:`MIN_SEARCHED` directions."""
        n_recorded = self._n_recorded
        if n_recorded == 0 or self._n_seen < MIN_SEARCHED:
            return  # the next solve will not use them
        chosen = np.unique(
            np.linspace(0, n_recorded - 1, min(self.size, n_recorded)).round()
        ).astype(np.intp)
        self.n_pairs = len(chosen)
        self.directions[: self.n_pairs] = self._directions[chosen]
        self.products[: self.n_pairs] = self._products[chosen]
        self.inverse_curvatures[: self.n_pairs] = self._inverse_curvatures[chosen]
