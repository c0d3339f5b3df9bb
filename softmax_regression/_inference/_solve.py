"""Solving ``A X = B`` for the gauge-fixed information matrix ``A``: by a
Cholesky factor of the whole matrix, or by conjugate gradients on
matrix products, with a measure of how close ``A`` is to singular.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

#: Below this reciprocal condition number of the (diagonally scaled)
#: information matrix the standard errors are not to be trusted.
RCOND_WARNING = 1e-10


@dataclass
class Solution:
    """``A^{-1} B`` and how well it could be computed.

    Attributes
    ----------
    X : ndarray of shape (n_params, q)
    rcond : float or None
        Estimated reciprocal condition number of ``D A D`` (``D`` the
        inverse square root of ``A``'s diagonal) in the 1-norm: 0 when
        ``A`` is numerically singular; None when not estimated (conjugate
        gradients).
    converged : bool
        Whether every conjugate-gradient solve reached its tolerance
        (always True for the Cholesky solve).
    iterations : int
        Conjugate-gradient iterations (0 for the Cholesky solve).
    """

    X: NDArray
    rcond: float | None
    converged: bool = True
    iterations: int = 0


def solve_dense(A: NDArray, B: NDArray) -> Solution:
    """``A^{-1} B`` for a symmetric positive (semi)definite ``A``.

    ``A`` is scaled to a unit diagonal and factored by Cholesky; its
    reciprocal condition number is estimated from the factor (LAPACK
    ``dpocon``).  When the factorisation fails the inverse is taken on the
    eigenvalues above ``n eps`` times the largest (the others clipped
    there), and ``rcond`` is 0.
    """
    diagonal = np.diag(A).copy()
    tiny = np.finfo(np.float64).tiny ** 0.5
    scale = 1.0 / np.sqrt(np.maximum(diagonal, tiny))
    scaled = A * scale[:, None] * scale[None, :]
    rhs = B * scale[:, None]
    try:
        factor = scipy.linalg.cho_factor(scaled, lower=False, check_finite=False)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(scaled)
        floor = max(values[-1], tiny) * A.shape[0] * np.finfo(np.float64).eps
        values = np.maximum(values, floor)
        X = vectors @ ((vectors.T @ rhs) / values[:, None])
        return Solution(X * scale[:, None], rcond=0.0)
    anorm = float(np.abs(scaled).sum(axis=0).max())
    rcond, info = scipy.linalg.lapack.dpocon(factor[0], anorm, uplo="U")
    X = scipy.linalg.cho_solve(factor, rhs, check_finite=False)
    return Solution(X * scale[:, None], rcond=float(rcond) if info == 0 else 0.0)


def solve_cg(
    matmat: Callable[[NDArray], NDArray],
    diagonal: NDArray,
    B: NDArray,
    *,
    rtol: float = 1e-10,
    max_iter: int = 1000,
) -> Solution:
    """``A^{-1} B`` by conjugate gradients, all columns at once.

    Each iteration is one call of ``matmat`` on the columns not yet
    solved (one pass over the data for all of them); the preconditioner
    is ``A``'s diagonal (Jacobi).  A column stops when its residual's norm
    falls below ``rtol`` times its right-hand side's.

    Parameters
    ----------
    matmat : callable
        ``matmat(V) -> A V`` for ``V`` of shape ``(n_params, q)``.
    diagonal : ndarray of shape (n_params,)
        ``A``'s diagonal, positive.
    B : ndarray of shape (n_params, q)
    rtol : float, default=1e-10
    max_iter : int, default=1000

    Returns
    -------
    Solution
    """
    inverse_diagonal = 1.0 / np.maximum(diagonal, np.finfo(np.float64).tiny ** 0.5)
    X = np.zeros_like(B)
    R = B.copy()
    Z = R * inverse_diagonal[:, None]
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)
    goal = rtol * np.linalg.norm(B, axis=0)
    active = np.flatnonzero(np.linalg.norm(R, axis=0) > goal)
    iterations = 0
    while active.size and iterations < max_iter:
        iterations += 1
        AP = matmat(P[:, active])
        curvature = np.einsum("ij,ij->j", P[:, active], AP)
        step = rz[active] / np.where(curvature > 0, curvature, np.inf)
        X[:, active] += P[:, active] * step
        R[:, active] -= AP * step
        Z[:, active] = R[:, active] * inverse_diagonal[:, None]
        rz_new = np.einsum("ij,ij->j", R[:, active], Z[:, active])
        beta = rz_new / np.where(rz[active] > 0, rz[active], np.inf)
        P[:, active] = Z[:, active] + P[:, active] * beta
        rz[active] = rz_new
        still = (np.linalg.norm(R[:, active], axis=0) > goal[active]) & (curvature > 0)
        active = active[still]
    return Solution(X, rcond=None, converged=active.size == 0, iterations=iterations)
