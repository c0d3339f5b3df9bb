"""Truncated Newton: preconditioned conjugate gradients on H p = -g.

Each outer iteration computes the loss, gradient, Hessian diagonal and the
probabilities in one pass over X; every inner conjugate-gradient iteration
is one Hessian-vector product (one more pass).  The inner solve stops at a
relative residual ``min(0.5, sqrt(||g||_1))`` (superlinear convergence, then
quadratic as the gradient vanishes), after ``_MAX_INNER`` products, or at a
direction of non-positive curvature.  The L1 norm, as in scikit-learn's
newton-cg, keeps the early solves loose on problems with many parameters:
against ``sqrt(||g||_2)`` it takes a few more Newton steps and far fewer
products (benchmarks/results.md, time to a 1e-6 objective gap: sector
7.2 s against 12.7 s, Fashion-MNIST 50.7 s against 63.4 s; 20 Newsgroups
4.8 s against 3.1 s, as tol 1e-4 no longer reaches the gap).
The step's ``-grad . step`` is the Newton decrement the stopping rule
tests (:mod:`._newton`), as conjugate gradients estimate it, from below.
Repeating a solve that would pass the test to a relative residual of 0.05
made the estimate exact on raw-scaled data (scaled condition 6e8, where it
stopped 6x further out than ``tol**2``; ``"auto"`` takes the full Hessian
there) but cost 1.1-1.2x on the text sets, whose forcing term stays 0.5
(to a 1e-6 gap: 20 Newsgroups 6.4 s against 5.9 s, sector 13.4 s against
11.6 s, benchmarks/results_stopping.md): it is not repeated.
The preconditioner is Kronecker-factored where it applies (dense features,
up to a thousand of them: it captures their correlations and the classes'
coupling, :mod:`._kronecker`), else the Jacobi (diagonal) one, which
absorbs badly scaled features.  With the Jacobi preconditioner on sparse
X, the conjugate gradients run in the products' own order (the
coefficients feature-major, :mod:`softmax_regression._loss._working_order`),
and with a plain ridge so does the whole run (``Objective.order_maps``),
and the loss's products there may read a float32 copy of X's values
(:func:`softmax_regression._loss._kernels.float32_products_pay`).  Then
the conjugate gradients' own vectors are float32 too: with millions of
parameters their updates are memory-bound and took as long as the sparse
products (20 Newsgroups: 1.6 s of a 3.6 s fit); in float32 the fits take
0.77x the time with the same products.  Such a solve stops no tighter than
a relative residual of ``_FLOAT32_RTOL`` (1e-4: a Newton step still gains
four digits), and it runs in float64 where the gradient or the
preconditioner would leave float32's range.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import blas as _blas

from .._loss import FLOAT32_RANGE
from ._curvature_pairs import CarriedPairs, carried_pairs
from ._kronecker import (
    KroneckerFactors,
    Preconditioner,
    jacobi_inverse,
    kronecker_factors,
    preconditioner_at,
)
from ._newton import run_newton
from ._result import DECREMENT_RULE, IterationCallback, SolverResult

#: What this solver needs of the objective (a smooth one, without bounds).
NEEDS = frozenset({"value", "gradient_hessp", "unconstrained"})

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = DECREMENT_RULE
_MAX_INNER = 250
#: The loosest relative residual of an inner solve (the forcing term's cap).
LOOSEST_RTOL = 0.5
#: The tightest relative residual asked of conjugate gradients in float32.
_FLOAT32_RTOL = 1e-4


class InnerSolve(NamedTuple):
    """What conjugate gradients return."""

    #: The approximate solution ``x`` of ``H x = rhs``.
    step: NDArray
    #: The products with ``H`` it took.
    n_products: int
    #: ``x . H x``, from the residual the iterations keep (``H x = rhs - r``,
    #: so ``x . H x = x . (rhs - r)``): the step's curvature without one
    #: more product; None where a direction of non-positive curvature ended
    #: the solve.
    curvature: float | None


def preconditioned_cg(
    hessp, rhs: NDArray, precondition: Preconditioner, rtol: float
) -> NDArray:
    """Approximately solve ``H x = rhs`` by conjugate gradients.

    Parameters
    ----------
    hessp : callable
        ``v -> H v`` for a symmetric positive semi-definite ``H``.
    rhs : ndarray
        Right-hand side.
    precondition : callable
        ``precondition(r, out)`` writes ``M^-1 r`` into ``out`` and returns
        it, for a symmetric positive definite ``M`` close to ``H``
        (:func:`~._kronecker.jacobi` or the Kronecker-factored one).
    rtol : float
        Stop when ``||H x - rhs|| <= rtol * ||rhs||``.

    Returns
    -------
    ndarray
        The approximate solution; the preconditioned ``rhs`` if the first
        direction already has non-positive curvature.
    """
    return conjugate_gradients(_writing_into(hessp), rhs, precondition, rtol)[0]


def _writing_into(hessp):
    """``hessp`` as ``product(v, out)``, which writes ``H v`` into ``out``."""

    def product(v: NDArray, out: NDArray) -> NDArray:
        out[...] = hessp(v)
        return out

    return product


def conjugate_gradients(
    product,
    rhs: NDArray,
    precondition: Preconditioner,
    rtol: float,
    pairs: CarriedPairs | None = None,
) -> InnerSolve:
    """:func:`preconditioned_cg` with ``product(v, out)`` writing ``H v``
    into ``out``; also returns the number of products and the solution's
    curvature (:class:`InnerSolve`).  With ``pairs``, ``precondition`` is
    updated by the last solve's curvature pairs, and this solve's are
    recorded for the next (:mod:`._curvature_pairs`).

    Every vector lives in a buffer allocated once, and the updates are
    BLAS calls (``x += a p`` in one pass, no temporary): with millions of
    parameters (20 Newsgroups 2.6 M, sector 5.8 M) the vector work of an
    iteration is memory-bound, and each fresh ``n_params`` temporary also
    costs its page faults.
    """
    if rhs.dtype != np.float32:
        rhs = np.ascontiguousarray(rhs, dtype=np.float64)
    axpy, scal, nrm2 = _blas.get_blas_funcs(("axpy", "scal", "nrm2"), (rhs,))
    if pairs is not None:
        precondition = pairs.preconditioner(precondition)
    x = np.zeros_like(rhs)
    residual = rhs.copy()
    z = precondition(residual, np.empty_like(rhs))
    direction = z.copy()
    h_dir = np.empty_like(rhs)
    rz = float(residual @ z)
    target = rtol * float(np.linalg.norm(rhs))
    for n_products in range(1, _MAX_INNER + 1):
        product(direction, h_dir)
        curvature = float(direction @ h_dir)
        if curvature <= 0:
            if pairs is not None:
                pairs.keep()
            return InnerSolve(x if np.any(x) else z, n_products, None)
        if pairs is not None:
            pairs.record(direction, h_dir, curvature)
        step = rz / curvature
        x = axpy(direction, x, a=step)
        residual = axpy(h_dir, residual, a=-step)
        if nrm2(residual) <= target:
            break
        precondition(residual, z)
        rz_new = float(residual @ z)
        direction = scal(rz_new / rz, direction)
        direction = axpy(z, direction)
        rz = rz_new
    if pairs is not None:
        pairs.keep()
    return InnerSolve(x, n_products, float(x @ rhs) - float(x @ residual))


def forcing_term(grad: NDArray, largest: float = LOOSEST_RTOL) -> float:
    """The inner solve's relative residual, ``min(largest, sqrt(||g||_1))``
    (see the module docstring)."""
    return min(largest, float(np.sqrt(_blas.dasum(grad))))


def newton_cg_step(
    grad: NDArray,
    diagonal: NDArray,
    hessp,
    factors: KroneckerFactors | None,
    largest_rtol: float = LOOSEST_RTOL,
    pairs: CarriedPairs | None = None,
) -> InnerSolve:
    """The inexact Newton step, the number of products it took and its
    curvature (:class:`InnerSolve`).

    Conjugate gradients on ``H p = -grad`` to the relative residual of
    :func:`forcing_term` (at most ``largest_rtol``), preconditioned by the
    Kronecker factors where there are some (:func:`preconditioner_at`),
    else by the Jacobi preconditioner of ``diagonal``; in the loss's working
    order where it has one (``hessp.working``, on sparse X: the
    coefficients transposed once per step, not twice per product).
    ``pairs`` carry curvature from one solve to the next over the Kronecker
    preconditioner (:mod:`._curvature_pairs`); over the Jacobi one they
    saved nothing (subsampled-newton on Fashion-MNIST, ``tol=1e-2``: 1,233
    products against 1,158), so they are left out there."""
    rtol = forcing_term(grad, largest_rtol)
    working = getattr(hessp, "working", None)
    if factors is not None or working is None:
        precondition = preconditioner_at(factors, diagonal, hessp)
        carried = pairs if factors is not None else None
        return conjugate_gradients(
            _writing_into(hessp), -grad, precondition, rtol, carried
        )
    inverse = jacobi_inverse(diagonal)
    dtype = np.float64
    if working.dtype == np.float32 and _float32_keeps(grad, inverse):
        dtype = np.float32
        rtol = max(rtol, _FLOAT32_RTOL)
    # each vector reordered and cast in one pass
    rhs = working.to_order(grad, dtype)
    np.negative(rhs, out=rhs)
    inverse = working.to_order(inverse, dtype)
    solved = conjugate_gradients(
        working.product,
        rhs,
        lambda residual, out: np.multiply(inverse, residual, out=out),
        rtol,
    )
    step = working.from_order(solved.step, np.float64)
    return InnerSolve(step, solved.n_products, solved.curvature)


def _float32_keeps(grad: NDArray, inverse: NDArray) -> bool:
    """Whether the gradient and the preconditioner's ``1 / diag``
    (positive) stay below ``FLOAT32_RANGE``'s top in float32: entries
    smaller than its bottom lose only digits of no weight in the solve."""
    high = FLOAT32_RANGE[1]
    return max(grad.max(), -grad.min(), inverse.max()) <= high


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
) -> SolverResult:
    """Minimise a smooth objective by truncated Newton-CG with line search.

    Parameters
    ----------
    objective : Objective
        Provides ``gradient_hessp``, ``value`` and ``dtype``.
    w0 : ndarray
        Starting point.
    tol : float
        Stop when ``max |grad| <= tol`` and the Newton decrement
        ``sqrt(-grad . step)`` is at most ``tol`` (see :mod:`._newton`).
    max_iter : int
        Maximum number of Newton (outer) iterations.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration.

    Returns
    -------
    SolverResult
    """

    factors = kronecker_factors(objective)
    # Without Kronecker factors, on sparse X, the whole run may take place
    # in the products' working order: no transposes but at its two ends
    maps = objective.order_maps() if factors is None else None
    ordered = maps is not None
    # the last solve's search directions, preconditioning the next
    pairs = carried_pairs(objective, objective.n_samples)

    def local_model(w):
        # the diagonal serves only the Jacobi preconditioner
        value, grad, diagonal, hessp = objective.gradient_hessp(
            w, ordered=ordered, diagonal=factors is None
        )
        return value, grad, (diagonal, hessp)

    def newton_step(grad, model):
        diagonal, hessp = model
        return newton_cg_step(grad, diagonal, hessp, factors, pairs=pairs)[0]

    observer = callback
    if ordered:
        to_order, from_order = maps
        w0 = to_order(np.asarray(w0, dtype=np.float64))
        if callback is not None:

            def observer(n_iter, u, value, grad_max):
                callback(n_iter, from_order(u), value, grad_max)

    result = run_newton(
        objective,
        w0,
        tol=tol,
        max_iter=max_iter,
        callback=observer,
        local_model=local_model,
        newton_step=newton_step,
        model_at_trial=True,
    )
    return dataclasses.replace(result, x=from_order(result.x)) if ordered else result
