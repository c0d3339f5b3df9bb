"""A Kronecker-factored preconditioner for the Newton-CG solvers.

On the augmented coefficients ``V (K, d + 1)`` (each class's coefficients,
then its intercept), the Hessian of ``F`` is

    ``H = sum_i s_i S_i (x) x~_i x~_i^T / sum(s) + I (x) diag(f)``,

with ``S_i = diag(p_i) - p_i p_i^T`` the softmax's covariance at row ``i``,
``x~ = (x, 1)`` and ``f`` the penalty's curvature per feature (0 for the
intercept).  As in K-FAC (Martens and Grosse 2015, "Optimizing neural
networks with Kronecker-factored approximate curvature"), the sum is
approximated by ``A (x) B``: ``A`` the weighted mean of the ``S_i``, ``B``
that of ``x~_i x~_i^T`` (:mod:`softmax_regression._loss._curvature`).
The preconditioner

    ``M = A (x) B + I (x) diag(f^)``,

``f^`` being ``f`` with its zeros (the intercept, unpenalised features)
replaced in proportion to their column's second moment (:func:`damped`),
is inverted exactly by two
symmetric eigendecompositions: with ``g = f^ ** -1/2``,
``A = U diag(a) U^T`` and ``diag(g) B diag(g) = Q diag(b) Q^T``,

    ``M^-1 R = (U [(U^T (R diag(g)) Q) / (a b^T + 1)] Q^T) diag(g)``,

except along ``A``'s null direction, the shift of every class alike
(:meth:`KroneckerFactors.preconditioner`), which is handled apart;
``2 K (d + 1) (K + d + 1)`` multiply-adds per application, against the
``2 n K d`` of a Hessian-vector product.  ``M`` is positive definite
whatever the data, so conjugate gradients converge with it; unlike the
Jacobi preconditioner (the diagonal of ``H``), it also captures the
correlations between features and between classes.  Measured
(benchmarks/results_kronecker.md: Newton-CG in one process, BLAS on one
thread, alpha 1e-4, ``tol=1e-3``), Hessian-vector products and time:
digits 499 -> 194 (0.158 -> 0.081 s), a raw 20,000 x 50 set with offsets
9,601 -> 23 (17.0 -> 0.098 s), diamonds 1,445 -> 156 (4.9 -> 0.89 s); on
well-conditioned Gaussian features it saves little (``subsampled-newton``
on a 20,000 x 50 set: 1.13x slower).

``B`` is computed once per fit, on a fixed sample of at most
:data:`SAMPLE_ROWS` rows, or on rows the solver chose (``subsampled-newton``:
its first sample's), read in place (a preconditioner needs its shape, not
its last digits); ``A`` at each Newton step, from the probabilities the step's
Hessian-vector products keep (``hessp.class_covariance()``: ``n K^2``
multiply-adds, no pass over X).  Used where ``d + 1 <=``
:data:`MAX_WIDTH` (two eigendecompositions per step stay cheap), on
objectives that offer ``B`` (in memory, not Dask),
with an L2 penalty (``f > 0`` somewhere; without any, the Jacobi
preconditioner).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .._loss import eigenvalue_resolution

#: The widest ``x~`` (features plus intercept) for which the factors are used.
MAX_WIDTH = 1024
#: Rows of the sample on which the factors are computed.
SAMPLE_ROWS = 2048
#: What the objective must offer.
NEEDS = frozenset({"feature_gram"})

#: ``precondition(r, out)`` writes ``M^-1 r`` into ``out`` and returns it
#: (in place: a vector of sector's 5.8 M parameters costs as much to
#: allocate as to update).
Preconditioner = Callable[[NDArray, NDArray], NDArray]


def jacobi(diagonal: NDArray) -> Preconditioner:
    """``r / diag(H)``: the Jacobi preconditioner of a Hessian with
    this diagonal (see :func:`jacobi_inverse`)."""
    inverse = jacobi_inverse(diagonal)
    return lambda residual, out: np.multiply(inverse, residual, out=out)


def jacobi_inverse(diagonal: NDArray) -> NDArray:
    """The Jacobi preconditioner's ``1 / diag(H)``.

    Positive entries are kept however small (features of scale 1e-150 have
    curvature 1e-300 next to the intercepts' 0.1); only flat directions
    (an all-zero feature without penalty) get a floor, ``1e-12`` times the
    largest entry.
    """
    floor = 1e-12 * max(float(np.max(diagonal, initial=0.0)), 1e-300)
    inverse = np.maximum(diagonal, np.finfo(np.float64).tiny)
    inverse[~(diagonal > 0)] = floor
    # in place: 2.6 M parameters on 20 Newsgroups, each temporary 21 MB
    return np.reciprocal(inverse, out=inverse)


class KroneckerFactors:
    """The fixed part of ``M``: ``B`` and the penalty's curvature.

    Parameters
    ----------
    gram : ndarray of shape (width, width)
        ``B``, the weighted mean of ``x~ x~^T``.
    penalty_curvature : ndarray of shape (width,)
        ``f^``: positive, per column of ``x~`` (:func:`damped`).
    layout : ParameterLayout
        The flat parameter vector's layout.
    """

    def __init__(self, gram: NDArray, penalty_curvature: NDArray, layout) -> None:
        self.layout = layout
        self.penalty_curvature = penalty_curvature
        self.second_moments = np.diag(gram).copy()
        self.scale = 1.0 / np.sqrt(penalty_curvature)
        scaled = gram * self.scale[:, None] * self.scale[None, :]
        eigenvalues, self.feature_basis = np.linalg.eigh(scaled)
        self.feature_eigenvalues = _resolved(eigenvalues)

    def preconditioner(self, class_covariance: NDArray) -> Preconditioner:
        """``M^-1`` for the class factor ``A`` at the current point (the
        ``class_covariance()`` of the objective's Hessian product there).

        Along ``A``'s null direction (a shift of every class alike, along
        which the loss is flat) ``M`` keeps the penalty's curvature, but no
        less than the column's second moment times ``A``'s least positive
        eigenvalue: the gradient has no component there but rounding, and
        divided by an alpha of 1e-19 (features of scale 1e8) that rounding
        became the whole step (Newton-CG stopped after one step, its line
        search finding no decrease).
        """
        eigenvalues, class_basis = class_eigenpairs(class_covariance)
        positive = eigenvalues[eigenvalues > 0]
        least = float(positive.min()) if positive.size else 1.0
        null_curvature = np.maximum(
            self.penalty_curvature, least * self.second_moments
        )
        denominator = np.outer(eigenvalues[1:], self.feature_eigenvalues) + 1.0
        shift, others = class_basis[:, :1], class_basis[:, 1:]
        basis = self.feature_basis
        layout = self.layout
        n_coef, d = layout.n_coef, layout.n_features

        def precondition(residual: NDArray, out: NDArray) -> NDArray:
            matrix = np.empty((layout.n_classes, len(self.scale)))
            matrix[:, :d] = residual[:n_coef].reshape(layout.n_classes, d)
            if layout.fit_intercept:
                matrix[:, d] = residual[n_coef:]
            along_shift = shift.T @ matrix  # (1, width)
            rotated = others.T @ (matrix * self.scale) @ basis
            rotated /= denominator
            matrix = others @ rotated @ basis.T
            matrix *= self.scale
            matrix += shift @ (along_shift / null_curvature)
            out[:n_coef] = matrix[:, :d].ravel()
            if layout.fit_intercept:
                out[n_coef:] = matrix[:, d]
            return out

        return precondition


def class_eigenpairs(class_covariance: NDArray) -> tuple[NDArray, NDArray]:
    """The eigenvalues and eigenvectors of ``A``, its null direction
    ``1 / sqrt(K)`` (eigenvalue 0) exact and first.

    ``A``'s rows sum to zero, so ``1 / sqrt(K)`` is an eigenvector of
    eigenvalue 0; an eigendecomposition of ``A`` itself resolves it only to
    about ``eps`` times the largest eigenvalue (+-1e-17), which multiplied by
    ``B``'s largest eigenvalue over the penalty (1e35 for features of scale
    1e8 with an alpha of 1e-19) swamped the ``+ 1`` of ``M``'s denominator:
    Newton-CG stopped after two steps.  So ``A`` is decomposed on the
    complement of ``1`` (an orthonormal basis ``Q``, from a QR
    factorisation) and the null direction added with eigenvalue 0.
    """
    basis = _shift_basis(class_covariance.shape[0])
    complement = basis[:, 1:]
    eigenvalues, vectors = np.linalg.eigh(
        complement.T @ class_covariance @ complement
    )
    return (
        np.concatenate([[0.0], np.maximum(eigenvalues, 0.0)]),
        np.hstack([basis[:, :1], complement @ vectors]),
    )


@functools.lru_cache(maxsize=8)
def _shift_basis(n_classes: int) -> NDArray:
    """An orthonormal basis of ``R^K`` whose first vector is ``1 / sqrt(K)``
    (read-only: one per number of classes, not one QR factorisation per
    Newton step)."""
    ones = np.full((n_classes, 1), 1.0 / np.sqrt(n_classes))
    basis, _ = np.linalg.qr(np.hstack([ones, np.eye(n_classes)[:, :-1]]))
    basis.setflags(write=False)
    return basis


def preconditioner_at(
    factors: KroneckerFactors | None, diagonal: NDArray, hessp
) -> Preconditioner:
    """The Kronecker-factored preconditioner at the point of ``hessp`` (its
    ``class_covariance()``), or the Jacobi one of ``diagonal`` where there
    are no factors."""
    if factors is None:
        return jacobi(diagonal)
    return factors.preconditioner(hessp.class_covariance())


def _resolved(eigenvalues: NDArray) -> NDArray:
    """Eigenvalues at or below the eigendecomposition's resolution
    (:func:`~softmax_regression._loss.eigenvalue_resolution`) set to zero:
    a direction of ``B`` that should be flat (collinear columns) would
    otherwise weigh that rounding against the penalty's 1.  Above it they
    are kept, however small against the largest: zeroing everything below
    1e-10 of it (the rule before) dropped the small features' curvature on
    Ecdat's HI survey, and subsampled-newton's sampled steps took 56-98
    products instead of 1-7."""
    return np.where(eigenvalues > eigenvalue_resolution(eigenvalues), eigenvalues, 0.0)


def sample_rows(n_samples: int, seed: int = 0) -> NDArray[np.intp] | None:
    """A fixed sample of at most :data:`SAMPLE_ROWS` rows, in increasing
    order; None (every row) when there are no more."""
    if n_samples <= SAMPLE_ROWS:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_samples, SAMPLE_ROWS, replace=False))


def kronecker_factors(objective, rows=None) -> KroneckerFactors | None:
    """The fixed factors of ``M``, or None where the preconditioner is not
    used (see the module docstring): then the Jacobi preconditioner is.

    ``B`` comes from X's ``rows`` (an index array, read in place) when
    given, else from a fixed sample of the rows (:func:`sample_rows`)."""
    layout = objective.layout
    width = layout.n_features + int(layout.fit_intercept)
    if not NEEDS <= objective.offers or width > MAX_WIDTH:
        return None
    per_feature = objective.penalty_hessian_diagonal().reshape(
        layout.n_classes, layout.n_features
    )
    curvature = np.zeros(width)
    curvature[: layout.n_features] = per_feature.mean(axis=0)
    if not np.any(curvature > 0):
        return None
    if rows is None:
        rows = sample_rows(objective.n_samples)
    gram = objective.feature_gram(rows)
    return KroneckerFactors(gram, damped(curvature, np.diag(gram)), layout)


def damped(curvature: NDArray, second_moments: NDArray) -> NDArray:
    """``f^``: the penalty's curvature per column of ``x~``, its zeros
    replaced in proportion to the column's second moment ``B_jj``, by the
    ratio ``sum f_k / sum B_kk`` over the penalised columns (so that a
    column's scale, 1e150 or 1, does not decide how much it is damped;
    a mean of the ratios ``f_k / B_kk`` would be ruled by the rarest
    feature, and on digits its damping of the intercepts cost a 1e-4 gap
    at ``tol=1e-3``); an all-zero unpenalised column takes the mean of the
    positive ``f``."""
    penalised = curvature > 0
    measured = penalised & (second_moments > 0)
    if np.any(measured):
        ratio = float(curvature[measured].sum() / second_moments[measured].sum())
        curvature = np.where(penalised, curvature, ratio * second_moments)
    return np.where(curvature > 0, curvature, curvature[penalised].mean())
