"""Sub-sampled Newton-CG: exact gradients, Hessian products on a row sample.

Newton-CG (:mod:`._newton_cg`) spends nearly all of its passes over X on
Hessian-vector products.  This solver computes the objective and its
gradient on every row, so it stops at the same optimum under the same rule
(:mod:`._newton`), but builds each Newton step's curvature from a
sample of the rows, drawn afresh at every step (Byrd, Chin, Neveitt and
Nocedal 2011, "On the use of stochastic Hessian information in optimization
methods for machine learning"; Roosta-Khorasani and Mahoney 2016,
"Sub-sampled Newton methods"):

* the fit starts on one sample (Byrd, Chin, Nocedal and Wu 2012, "Sample
  size selection in optimization methods for machine learning": the
  gradient's sample grows as the gradient shrinks, here in one move):
  far from the optimum a gradient over a tenth of the rows points where
  the gradient over every row does, so the first Newton steps take value,
  gradient, curvature and line search from one sample, and cost a tenth
  of a pass each.  They stop where the decrease the sample's model
  predicts falls below three times what its own optimum is expected to
  miss the data's by (:func:`_start_tol`); every later step takes value and
  gradient from every row.  This skips the passes over X of Newton's
  damped phase, where full steps from ``W = 0`` fell short (the best
  step length along them 1.4 to 1.9 on the 20,000 x 50 synthetic set);
* the sampled rows are copied once per step (a tenth of the rows, at
  least 2,000, in float32 unless a first draw's magnitudes leave
  float32's comfort: never more than a tenth of X's bytes from 20,000
  rows on, where ``solver="auto"`` takes this solver; up to 4,000 float32
  rows of dense float64 X where a tenth of the rows is fewer), so each
  conjugate-gradient product is a pass over the copy, not over X; the
  preconditioner's class factor (or its diagonal, for the Jacobi
  preconditioner) comes from the same sample (:mod:`._kronecker`), a
  fresh one at every step;
* the inner solve stops at Newton-CG's forcing term, but at a relative
  residual of at most :data:`_SAMPLED_RTOL` (Newton-CG's 0.5 assumes a
  product costs a pass over X; a sampled one costs a tenth at most), and
  with no tighter cap on its products than Newton-CG's (prototypes that
  drew one sample for the whole fit, or capped CG at 20-30 products,
  measured no faster than Newton-CG itself on Fashion-MNIST);
* only on small data, where a sample would hold half the rows, is the
  solver Newton-CG on every row, which needs no copy;
* the line search's point also measures the objective's curvature along
  the step (``F`` along it is nearly quadratic), against the sample's:
  with many parameters against the sampled rows, the sample's is low by a
  steady factor (a sample covariance's small eigenvalues shrink), and
  where the last two steps agree on that factor the next step is
  shortened by it (:data:`_LEAST_BIAS`), instead of overshooting into a
  second pass for the line search;
* a step whose predicted decrease is below the objective's working
  precision (where the Newton loop stops) is computed again on every
  row, and the solver stays there: a sample must not end the fit;
* where a sampled step's products cost about as much as the full Hessian
  (:data:`_HESSIAN_SHARE`: the preconditioner missed the curvature's
  shape, and conjugate gradients took tens of products), the rest of the
  fit takes Newton steps with the full Hessian, as newton-cholesky does,
  where there are few enough parameters.

An accepted full step costs one pass over X (value, gradient) plus the
products on the sample; the model check reads the step's curvature from
the conjugate gradients' residual, without one more product.
Near the optimum the sampled steps converge linearly (on Fashion-MNIST
the decrement halves at each step, against Newton-CG's quadratic rate),
but each costs a tenth of a step on every row: with the Kronecker
preconditioner, Fashion-MNIST reached a 3.5e-7 gap at ``tol=1e-3`` in
18.9 s where turning to every row at the largest sample (the rule
before) took 37.4 s to 2.7e-9 (bench_fit, medians of 3), and
``tol=1e-5`` took 45.6 s in a single run
(benchmarks/results_kronecker.md).  Earlier (the Jacobi preconditioner,
benchmarks/results_subsampled.md): letting the sample grow to half the
rows took 39.7 s against 48.3 s, but copied 84% of X.  A whole fit on
Fashion-MNIST now peaks at 7.2% of X beyond it (its float32 samples).
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

from .._loss import within_float32_range
from ._curvature_pairs import carried_pairs
from ._kronecker import KroneckerFactors, kronecker_factors
from ._newton import run_newton
from ._newton_cg import LOOSEST_RTOL, newton_cg_step
from ._newton_cholesky import (
    FULL_HESSIAN_MAX_PARAMS,
    CholeskySteps,
    hessian_in_products,
)
from ._result import (
    DECREMENT_RULE,
    IterationCallback,
    SolverResult,
    below_working_precision,
)

#: What this solver needs of the objective: exact values and gradients on
#: every row, and the objective of a subset of them (``take``).
NEEDS = frozenset(
    {"value", "value_and_grad", "gradient_hessp", "take", "unconstrained"}
)

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = DECREMENT_RULE

#: The share of the rows whose magnitudes decide the samples' dtype, and
#: the samples' share: a copy of the sampled rows never exceeds a tenth of
#: X ...
_FIRST_FRACTION = 0.025
_MAX_FRACTION = 0.1
#: ... and the least sample, so that a small data set is not sampled down
#: to a few hundred rows (below twice this size, every row is used).
_MIN_ROWS = 2000
#: Where a tenth of the rows is fewer, the largest sample takes up to this
#: many rows, as far as a tenth of dense X's bytes holds them in the
#: samples' dtype (float32 rows of float64 X: a fifth of the rows).  On the
#: 20,000 x 50 synthetic set (255 parameters) 2,000 sampled rows shrank
#: the gap tenfold a step; with 4,000, ``tol=1e-2`` reaches a 2.4e-7 gap in
#: 6 steps where 2,000 took 8 (``tol=1e-3``): 0.86x the time in one process
#: (with the passes that skip the unused Hessian diagonal; before that, the
#: diagonal's 800 KB squares of each larger sample cost 2,000 page faults
#: a fit, and the larger sample saved nothing).
_LARGEST_ROWS = 4000
#: The fewest rows on which sampling pays: the largest sample is then at
#: most ``_MAX_FRACTION`` of them.  ``solver="auto"`` takes this solver from
#: here on (time to a 1e-6 gap, benchmarks/results_subsampled.md).
MIN_ROWS_TO_SAMPLE = int(_MIN_ROWS / _MAX_FRACTION)
#: A sampled step is solved to a relative residual of at most this
#: (Newton-CG's forcing term, at most 0.5, assumes a product costs a pass).
_SAMPLED_RTOL = 0.1
#: A sampled step is shortened (:func:`_step_scale`) where the last two
#: found the objective's curvature along them at least ``_LEAST_BIAS``
#: times the sample's, within a factor ``_STEADY_BIAS`` of each other;
#: never below ``_LEAST_SCALE`` of its length.  Where the parameters are
#: many against the sampled rows, the sampled curvature is low by a steady
#: factor (Fashion-MNIST, 7,850 parameters on 6,000 rows: 1.9 to 2.7):
#: full steps overshot, and most iterations paid a second pass over X for
#: the line search's cut.  Shortened, Fashion-MNIST reached a 1e-6 gap in
#: 22 steps and 12.0 s where it took 29 steps and 15.5 s; a Gaussian
#: 20,000 x 200 set with 10 classes (bias 1.8, so full steps passed but
#: converged slowly) took 24 steps instead of 93.  A bias that varies from
#: step to step (diamonds: 1 to 90) or that comes from the objective's
#: nonlinearity early on leaves the steps alone.
_LEAST_BIAS = 1.25
_STEADY_BIAS = 1.25
_LEAST_SCALE = 0.1
#: A sampled step whose products read more rows than this share of the
#: full Hessian's cost (``hessian_in_products`` products over every row)
#: hands the rest of the fit to Newton steps with the full Hessian
#: (:class:`._newton_cholesky.CholeskySteps`), where the objective has one
#: of at most ``FULL_HESSIAN_MAX_PARAMS`` parameters.  On HI (below) a
#: Hessian took the time of 81 products on a 4,000-row float32 sample (6.6
#: against 0.081 ms), 93 by the count of multiply-adds, so at this share a
#: sampled step costs over half a Hessian; full steps converge
#: quadratically where sampled ones converge linearly, so that already
#: pays.  This bounds what a preconditioner that misses the curvature's
#: shape costs: on Ecdat's HI (22,272 x 17, 6 classes, 108 parameters),
#: while the Kronecker factors dropped its small features' eigenvalues (see
#: ``_kronecker._resolved``), the sampled steps needed 56 to 98 products
#: each, and ``tol=1e-1`` took 0.122 s in 10 sampled steps, 0.066 s
#: turning after the fourth (newton-cholesky alone 0.070 s; one process,
#: medians of 5).  With the factors fixed they need 1 to 7, and no
#: benchmark set turns (the most products a step: 36, on diamonds).
_HESSIAN_SHARE = 0.5
#: At most this many Newton steps on one sample start the fit ...
_START_STEPS = 5
#: ... while the decrease the sample's model predicts is above this many
#: times the expected shortfall of the sample's own optimum
#: (:func:`_start_tol`).  Time to a 1e-6 gap against the solver before
#: (no start, samples growing from a fortieth of the rows), in one
#: process, alternating (medians of 15): 0.83-0.92 on four sets,
#: 0.97-0.98 on two; Fashion-MNIST 0.90-1.01 in three runs
#: (benchmarks/results_subsampled.md).  Twice left VietNamI 1.27x slower,
#: once three of the six sets (VietNamI 1.26x, a 50,000 x 40 x 20 raw
#: set 1.16x, the 200,000 x 100 synthetic set 1.04x): the full steps then
#: began next to the sample's optimum, where what is left lies along the
#: directions that sample saw least of.  Four times was as fast but on
#: the 20,000 x 50 synthetic set, which it started one step shorter
#: (0.96 against 0.91).
_START_MARGIN = 3.0


class _Sampler:
    """The row samples: a first draw that decides their dtype, then one of
    the largest size at every step."""

    def __init__(
        self, n_samples: int, seed: int, data_itemsize: int | None = None
    ) -> None:
        self.n_samples = n_samples
        self.rng = np.random.default_rng(seed)
        self.size = max(_MIN_ROWS, int(_FIRST_FRACTION * n_samples))
        self.largest = max(_MIN_ROWS, int(_MAX_FRACTION * n_samples))
        self.data_itemsize = data_itemsize
        #: The samples' dtype, decided on the first (None until then).
        self.dtype: np.dtype | type | None = None

    def settle_dtype(self, dtype) -> None:
        """Copy the later samples in ``dtype``, at the largest size: up to
        :data:`_LARGEST_ROWS` rows where a tenth of X's bytes
        (``data_itemsize`` a value; None for sparse X, whose rows also hold
        their indices) holds them."""
        self.dtype = dtype
        if self.data_itemsize is not None:
            share = _MAX_FRACTION * self.n_samples * self.data_itemsize
            rows_in_share = int(share / np.dtype(dtype).itemsize)
            self.largest = max(self.largest, min(_LARGEST_ROWS, rows_in_share))
        self.size = self.largest

    @property
    def exhausted(self) -> bool:
        """Whether a sample would hold half the rows (small data, or every
        row asked for): then every row is used."""
        return 2 * self.size >= self.n_samples

    def draw(self) -> NDArray[np.intp]:
        """A fresh sample of the rows, in increasing order (X is read in
        order, and CSR rows stay contiguous)."""
        return np.sort(self.rng.choice(self.n_samples, self.size, replace=False))


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
    seed: int = 0,
) -> SolverResult:
    """Minimise a smooth objective by sub-sampled Newton-CG with line search.

    Parameters
    ----------
    objective : Objective
        Provides ``value_and_grad``, ``gradient_hessp``, ``take`` and
        ``dtype``.
    w0 : ndarray
        Starting point.
    tol : float
        Stop when ``max |grad| <= tol`` (the gradient over every row) and
        the Newton decrement of the step is at most ``tol`` (see
        :mod:`._newton`).
    max_iter : int
        Maximum number of Newton (outer) iterations.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every iteration.
    seed : int, default=0
        Seed of the row samples: the solver is deterministic.

    Returns
    -------
    SolverResult
    """
    # a dense row's bytes scale with its dtype (sparse rows keep their indices)
    itemsize = None if objective.sparse else np.dtype(objective.dtype).itemsize
    sampler = _Sampler(objective.n_samples, seed, itemsize)
    # the preconditioner's fixed factor, from the start's sample
    kronecker: dict[str, KroneckerFactors | None] = {}
    dtype = objective.dtype
    last: dict[str, NDArray | float] = {}
    # the objective's curvature along the last sampled steps over the sample's
    biases: deque[float] = deque(maxlen=2)
    # Newton steps with the full Hessian, once the samples' products cost more
    full_hessian: list[CholeskySteps] = []
    # the last solve's search directions, preconditioning the next
    product_rows = min(sampler.largest, objective.n_samples)
    pairs = carried_pairs(objective, product_rows)

    def factors(rows=None) -> KroneckerFactors | None:
        """The preconditioner's fixed factor, from X's ``rows`` the first
        time (the start's sample, read in X before it is copied, so the
        workspace of their Gram and its eigenvectors never adds to the
        copy: on Fashion-MNIST 14 MiB, the fit's peak beyond X 7.2% of X
        against 9.5%), or from rows of its own on small data; None where
        the Jacobi preconditioner serves, the only one that reads the
        Hessian's diagonal (so the passes skip it otherwise)."""
        if "factors" not in kronecker:
            kronecker["factors"] = kronecker_factors(objective, rows)
        return kronecker["factors"]

    def model_on(rows_objective, w):
        """Value, gradient, diagonal (where the Jacobi preconditioner
        needs it) and Hessian product of ``rows_objective`` (every row, or a
        sample's) at ``w``."""
        return rows_objective.gradient_hessp(w, diagonal=factors() is None)

    def every_row(w):
        return model_on(objective, w)

    def local_model(w):
        if sampler.exhausted:
            value, grad, diagonal, hessp = every_row(w)
            return value, grad, (w, value, diagonal, hessp)
        value, grad = objective.value_and_grad(w)
        return value, grad, (w, value, None, None)

    def conjugate_gradient_step(grad, diagonal, hessp, sampled=False):
        """Newton-CG's inexact step on ``hessp``'s curvature (to at most
        :data:`_SAMPLED_RTOL` on a sample), its products and its curvature
        (:class:`._newton_cg.InnerSolve`)."""
        largest = _SAMPLED_RTOL if sampled else LOOSEST_RTOL
        return newton_cg_step(grad, diagonal, hessp, factors(), largest, pairs)

    def sampled_step(w, grad, value, scale):
        """The step of a fresh sample's model, times ``scale``; None when
        the decrease it predicts is below working precision, where the
        Newton loop would stop: a sample may underestimate it, so every row
        decides."""
        sample = objective.take(sampler.draw(), sampler.dtype)
        _, _, diagonal, hessp = model_on(sample, w)
        step, n_products, curvature = conjugate_gradient_step(
            grad, diagonal, hessp, sampled=True
        )
        decrease = -float(grad @ step)
        if below_working_precision(decrease, value, dtype):
            return None
        if decrease <= tol**2:
            scale = 1.0  # the stopping test reads the model's own decrement
        if curvature is None:  # conjugate gradients met no positive curvature
            curvature = float(step @ hessp(step))
            n_products += 1
        curvature *= scale**2
        last["curvature"] = curvature
        if _sampled_step_costs_a_hessian(objective, n_products * sample.n_samples):
            full_hessian.append(CholeskySteps(objective))
        return scale * step

    def newton_step(grad, model):
        w, value, diagonal, hessp = model
        if full_hessian:
            return full_hessian[0](w, value, grad)
        scale = 1.0
        if last:
            # The step length the line search took, 1 for the full step.
            step = last["step"]
            t = float((w - last["w"]) @ step) / max(float(step @ step), 1e-300)
            bias = _curvature_bias(last, t, float(last["value"]) - value)
            if bias is None:
                biases.clear()
            else:
                biases.append(bias)
            scale = _step_scale(biases)
        last.clear()
        step = None
        if hessp is None and not sampler.exhausted:
            step = sampled_step(w, grad, value, scale)
            if step is None:
                sampler.size = objective.n_samples  # every row from here on
        if step is None:
            if hessp is None:
                _, _, diagonal, hessp = every_row(w)
            step = conjugate_gradient_step(grad, diagonal, hessp).step
        last.update(w=w, step=step, value=value, slope=float(grad @ step))
        return step

    def start_on_one_sample(w0):
        """Newton steps from ``w0`` on one sample, value, gradient and
        curvature included, while the sample resolves them
        (:func:`_start_tol`; the module docstring), once a first draw of
        rows, read in place, has settled the samples' dtype; their end
        point."""
        sampler.settle_dtype(_sample_dtype(objective, sampler.draw()))
        rows = sampler.draw()
        factors(rows)
        sample = objective.take(rows, sampler.dtype)

        def sample_model(w):
            value, grad, diagonal, hessp = model_on(sample, w)
            return value, grad, (diagonal, hessp)

        def sample_step(grad, model):
            return conjugate_gradient_step(grad, *model, sampled=True).step

        return run_newton(
            sample,
            w0,
            tol=_start_tol(objective.n_params, sample.n_samples),
            max_iter=min(max_iter, _START_STEPS),
            callback=None,
            local_model=sample_model,
            newton_step=sample_step,
            model_at_trial=True,
            final_step=False,
        ).x

    if not sampler.exhausted:
        w0 = start_on_one_sample(w0)
    return run_newton(
        objective,
        w0,
        tol=tol,
        max_iter=max_iter,
        callback=callback,
        local_model=local_model,
        newton_step=newton_step,
        model_at_trial=True,
    )


def _start_tol(n_params: int, n_rows: int) -> float:
    """The ``tol`` of the steps on one sample that start the fit: they stop
    where the Newton decrement ``lambda`` has ``lambda^2 <= 3 p / m``
    (:data:`_START_MARGIN`), the decrease the sample's model predicts,
    ``lambda^2 / 2``, below three times ``p / (2 m)``: the expected excess
    of the optimum of ``m`` rows over the data's (in ``p`` parameters, for
    a well-specified model), beyond which the sample's steps no longer
    lead towards the data's optimum."""
    return float(np.sqrt(_START_MARGIN * n_params / n_rows))


def _sample_dtype(objective, rows) -> type | np.dtype:
    """float32 where the nonzero magnitudes of X's ``rows`` lie in
    ``FLOAT32_RANGE`` (far inside float32's), else X's dtype.

    Samples are then copied in float32: half the bytes (Fashion-MNIST: its
    largest sample 18 MB instead of 36 MB, the fit's peak beyond X 7.8% of X
    instead of 13.7%, its time to a 1e-6 gap 19.0 s against 18.9 s,
    bench_fit medians of 3); a sampled step is only a search direction,
    whose sampling error dwarfs float32's rounding."""
    fits = within_float32_range(*objective.value_range(rows))
    return np.float32 if fits else objective.dtype


def _sampled_step_costs_a_hessian(objective, product_rows: int) -> bool:
    """Whether a sampled step whose products read ``product_rows`` rows in
    all cost more than :data:`_HESSIAN_SHARE` of the full Hessian, where
    the objective has one of at most ``FULL_HESSIAN_MAX_PARAMS``
    parameters."""
    layout = objective.layout
    if layout.n_params > FULL_HESSIAN_MAX_PARAMS or "hessian" not in objective.offers:
        return False
    hessian = hessian_in_products(layout.n_features, layout.n_classes)
    return product_rows > _HESSIAN_SHARE * hessian * objective.n_samples


def _curvature_bias(last: dict, t: float, measured: float) -> float | None:
    """The objective's curvature along the last sampled step over the
    sample's, from the line search's point at step length ``t`` (where
    ``F`` fell by ``measured``: ``F(w + t s) - F(w) = t g.s + t^2 c / 2``);
    None after a step on every row."""
    if "curvature" not in last or not last["curvature"] > 0:
        return None
    along = 2.0 * (-measured - t * last["slope"]) / t**2
    return along / last["curvature"] if along > 0 else None


def _step_scale(biases: deque[float]) -> float:
    """The length of the next sampled step, relative to its model's
    minimiser: ``1 / bias`` (the geometric mean of the last two biases)
    where the last two sampled steps found the sample's curvature too low
    by the same factor (see :data:`_LEAST_BIAS`); else 1."""
    if len(biases) < 2:
        return 1.0
    low, high = sorted(biases)
    if low < _LEAST_BIAS or high > _STEADY_BIAS * low:
        return 1.0
    return max(_LEAST_SCALE, 1.0 / np.sqrt(low * high))
