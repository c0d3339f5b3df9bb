"""Curvature pairs carried from one conjugate-gradient solve to the next.

A Newton solver solves a sequence of systems ``H_k x = -g_k`` whose
matrices change little from one step to the next.  Conjugate gradients
spend their products discovering the directions their preconditioner
``M_0`` misses, and the next solve discovers them again.  Morales and
Nocedal (2000, "Automatic preconditioning by limited memory quasi-Newton
updating", SIAM J. Optim. 10(4)) keep a few of a solve's search directions
``s_i`` and their products ``y_i = H s_i`` (free: conjugate gradients
compute them) and precondition the next solve with the L-BFGS inverse
built on them over ``M_0^-1``, which maps the ``y_i`` back to the
``s_i`` (the newest exactly, the others as far as the directions stayed
conjugate) and acts as ``M_0^-1`` elsewhere.  It is symmetric positive
definite whenever ``M_0`` is and every ``s_i . y_i > 0``, so conjugate
gradients stay valid whatever the new matrix.

The pairs kept are spread evenly over the solve (their paper's uniform
sampling; in a prototype the last eight alone took Fashion-MNIST 734
products to a 1e-6 gap, eight spread evenly 604): a solve's directions
are recorded at a stride that doubles whenever twice the kept number are
held, so a solve of any length holds at most ``2 * PAIRS`` of them.  On
Fashion-MNIST (7,850 parameters, subsampled-newton's solves on a fresh
sample at every step: 40 to 120 products each near the optimum) the
pairs took the products to a 1e-6 gap from 1,087 to 702 and the time
from 12.3 to 8.9 s; newton-cg's at ``tol=1e-3`` from 379 to 302, 40.1 to
29.5 s (benchmarks/results_subsampled.md).

They carry over the Kronecker preconditioner only: over the Jacobi one
they saved nothing (:func:`._newton_cg.newton_cg_step`).

The two-loop recursion (:func:`two_loop`) also gives L-BFGS's stopping
test its Newton decrement (:mod:`._lbfgs`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import blas as _blas

from ._kronecker import Preconditioner

#: A direction ``s``, its product ``y = H s`` and ``1 / s.y``.
Pair = tuple[NDArray, NDArray, float]

#: Pairs carried from one solve to the next ...
PAIRS = 8
#: ... where the last solve searched at least this many directions (a
#: shorter one's preconditioner already fits; on Ecdat's VietNamI, whose
#: solves take 3 to 6 products, pairs from every solve left ``tol=1e-2``
#: at a 2.7e-6 gap instead of 4.4e-7) ...
MIN_SEARCHED = 2 * PAIRS
#: ... and where a product multiplies at least this many rows times
#: parameters: the two-loop recursion costs 26 to 73 microseconds (16
#: vector products and 16 updates, at 650 to 7,850 parameters), a product
#: this large 2.4 ms on float32 rows (16,000 x 104, 10 classes), so at
#: most 3% of it.  On digits (1,797 rows, 650 parameters: a product 0.21
#: ms) the pairs saved 9% of newton-cg's products and took 3-6% longer.
MIN_PRODUCT_SIZE = 1 << 24
#: The pairs hold at most ``6 * PAIRS`` parameter vectors (a record of
#: ``2 * PAIRS`` pairs, ``PAIRS`` in use): at most this share of X's
#: ``n x d`` entries (dense X only: sparse X's are far fewer), so that they
#: stay a small part of a fit's memory (Fashion-MNIST: 0.8%, 3 MB; with
#: 100 classes they would need over 240,000 rows).
MAX_DATA_SHARE = 0.02


def carried_pairs(objective, product_rows: int) -> CarriedPairs | None:
    """Pairs for the solves of a Newton solver on ``objective`` whose
    products read ``product_rows`` rows, or None where they do not pay
    (:data:`MIN_PRODUCT_SIZE`) or would take too much memory
    (:data:`MAX_DATA_SHARE`; sparse X)."""
    n_params = objective.n_params
    entries = objective.n_samples * objective.layout.n_features
    if (
        objective.sparse
        or product_rows * n_params < MIN_PRODUCT_SIZE
        or 6 * PAIRS * n_params > MAX_DATA_SHARE * entries
    ):
        return None
    return CarriedPairs()


def two_loop(
    pairs: Sequence[Pair], vector: NDArray, initial: Preconditioner, out: NDArray
) -> NDArray:
    """``H^-1 vector`` into ``out``, for the L-BFGS inverse ``H^-1`` of
    ``pairs`` (oldest first) over ``initial`` (``initial(q, out)`` writes
    ``H_0^-1 q`` into ``out``): the two-loop recursion (Nocedal and Wright,
    *Numerical Optimization*, Algorithm 7.4).  ``vector`` is left as it
    is."""
    work = np.array(vector, dtype=np.float64)
    axpy = _blas.get_blas_funcs("axpy", (work,))
    weights = []
    for direction, product, inverse_curvature in reversed(pairs):
        weights.append(inverse_curvature * float(direction @ work))
        axpy(product, work, a=-weights[-1])
    initial(work, out)
    for (direction, product, inverse_curvature), weight in zip(
        pairs, reversed(weights), strict=True
    ):
        correction = inverse_curvature * float(product @ out)
        axpy(direction, out, a=weight - correction)
    return out


class CarriedPairs:
    """The pairs ``(s_i, H s_i)`` kept from the last solve, and the record
    of the current one.

    Both hold copies only as they are needed: the record at most ``2 size``
    pairs, dropped once the solve ends, and the pairs in use ``size`` of
    them, from the last solve that searched :data:`MIN_SEARCHED`
    directions (none where every solve is short: then the pairs cost
    nothing but the record's few copies).

    Parameters
    ----------
    size : int, default=PAIRS
        Pairs carried from one solve to the next.
    """

    def __init__(self, size: int = PAIRS) -> None:
        self.size = size
        #: The pairs in use, from the last solve, oldest first.
        self.pairs: list[Pair] = []
        # the current solve's record: every ``stride``-th direction
        self._recorded: list[Pair] = []
        self._n_seen = 0
        self._stride = 1

    def preconditioner(self, base: Preconditioner) -> Preconditioner:
        """``M^-1``: the L-BFGS inverse of the pairs in use over ``base``
        (``M_0^-1``, :func:`two_loop`); ``base`` itself while there are
        none, or where the last solve was short.  Starts a fresh record."""
        pairs = self.pairs if self._n_seen >= MIN_SEARCHED else []
        self._recorded = []
        self._n_seen = 0
        self._stride = 1
        if not pairs:
            return base

        def precondition(residual: NDArray, out: NDArray) -> NDArray:
            return two_loop(pairs, residual, base, out)

        return precondition

    def record(self, direction: NDArray, product: NDArray, curvature: float) -> None:
        """Note a search direction of positive ``curvature`` and its
        product, if it falls on the record's stride (the stride doubles,
        and every other recorded pair is dropped, when the record holds
        ``2 size``) and its curvature is above rounding (``s.y > eps y.y``,
        L-BFGS's own test)."""
        seen, self._n_seen = self._n_seen, self._n_seen + 1
        if seen % self._stride:
            return
        if len(self._recorded) == 2 * self.size:
            self._recorded = self._recorded[::2]
            self._stride *= 2
            if seen % self._stride:
                return
        if not curvature > np.finfo(np.float64).eps * float(product @ product):
            return  # flat to rounding: its update would be noise (as in L-BFGS)
        self._recorded.append((direction.copy(), product.copy(), 1.0 / curvature))

    def keep(self) -> None:
        """Take up to ``size`` of the recorded pairs, evenly spread over the
        solve, as the pairs of the next one, where it searched at least
        :data:`MIN_SEARCHED` directions; drop the record."""
        recorded, self._recorded = self._recorded, []
        if not recorded or self._n_seen < MIN_SEARCHED:
            return  # the next solve will not use them
        spread = np.linspace(0, len(recorded) - 1, min(self.size, len(recorded)))
        self.pairs = [recorded[i] for i in np.unique(spread.round().astype(np.intp))]
