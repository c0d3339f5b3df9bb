"""Mini-batch stochastic gradient descent, with momentum or Adam.

The objective is a weighted mean loss plus a penalty, so the objective of a
mini-batch (its rows' weights normalised to sum to one, plus the *full*
penalty) has a gradient that estimates the full gradient.  One pass over
the rows in mini-batches is an *epoch*; :class:`StochasticOptimizer` keeps
everything that must survive between epochs, and between the calls of
``partial_fit``: the momentum or Adam moments, the step counter, the
learning-rate schedule and the stopping bookkeeping.

Stopping follows scikit-learn's ``MLPClassifier``: an epoch *improves* when
the mean mini-batch objective over the epoch falls by more than ``tol``
below the best so far (or, with early stopping, when the validation score
rises by more than ``tol`` above the best so far).  After more than
``n_iter_no_change`` epochs in a row without improvement the fit stops,
converged, unless the schedule is ``"adaptive"``: then the learning rate is
divided by 5 and the count restarts, until the rate falls below 1e-6.

With averaging (``average``) the solution is a running mean of the
iterates after each step, which removes most of the noise that a constant
step leaves in the last iterate; the iterates themselves carry on from where
they were.  ``average=True`` (or an int) is scikit-learn's SGDClassifier's
uniform Polyak-Ruppert mean; ``"polynomial"``, the default, is the
polynomial-decay average of Shamir and Zhang (2013, "Stochastic gradient
descent for non-smooth optimization"), ``a_t = a_{t-1} + (w_t - a_{t-1})
(eta + 1) / (t + eta)`` with ``eta = 3``: it forgets the first iterates
(those far from the optimum, which a uniform mean keeps for long) and
converges at the optimal rate for a strongly convex objective.  With Adam
at 1e-2, 300 epochs of ``partial_fit`` on standardised wine (6 batches an
epoch, alpha=1e-2) end within 0.0013-0.0015 of the batch optimum's
probabilities (0.031-0.033 with the uniform mean, 0.010-0.015 without
averaging), and one pass over Fashion-MNIST in batches of 1,000 within
0.73-0.91 points of the batch fit's accuracy (1.6-1.9 uniform, 1.9-3.8
without); benchmarks/results_sgd_defaults.md, seeds 0-2.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

from ._result import IterationCallback, SolverResult

#: What this solver needs of the objective: smooth mini-batch objectives,
#: without bounds.
NEEDS = frozenset({"value_and_grad", "take", "unconstrained"})

#: What ``tol`` bounds (for the ConvergenceWarning).
STOPPING_RULE = "make the loss (or validation score) stop improving by more than"

#: Adam's moment decays and denominator guard (Kingma & Ba's defaults, as in
#: scikit-learn's MLPClassifier).
ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-8
#: ``average="polynomial"``: the ``eta`` of the polynomial-decay average.
POLYNOMIAL_ETA = 3.0
#: ``batch_size="auto"`` means ``min(AUTO_BATCH_SIZE, n_samples)``.
AUTO_BATCH_SIZE = 200
_ADAPTIVE_DIVISOR = 5.0
_ADAPTIVE_MIN_RATE = 1e-6


class StochasticOptimizer:
    """State of mini-batch SGD, kept between epochs and ``partial_fit`` calls.

    Parameters
    ----------
    update : {"adam", "momentum"}, default="adam"
        ``"adam"``: Adam's bias-corrected moment estimates; ``"momentum"``:
        SGD with Nesterov's momentum.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the step size: constant ``learning_rate_init``;
        ``learning_rate_init / (t + 1) ** power_t`` after each epoch, ``t``
        the samples seen; or divided by 5 whenever ``n_iter_no_change``
        epochs fail to improve.
    learning_rate_init : float, default=1e-2
        Initial step size.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    momentum : float, default=0.9
        Momentum of the ``"momentum"`` update, in [0, 1).
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(200, n_samples)``.
    shuffle : bool, default=True
        Whether to visit the rows in a new random order every epoch.
    random_state : int, RandomState instance or None, default=None
        Source of the shuffling.
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated before stopping (see the module
        docstring).
    average : bool, int or "polynomial", default="polynomial"
        ``True``: the solution is the mean of all iterates; an int ``a``:
        the mean of the iterates once ``a`` samples have been seen;
        ``"polynomial"``: the polynomial-decay average of all iterates (see
        the module docstring); False: the last iterate.

    Attributes
    ----------
    learning_rate_value : float
        The current step size.
    n_steps : int
        Parameter updates made.
    n_samples_seen : int
        Rows visited, counting repeats over epochs.
    loss_curve : list of float
        Mean mini-batch objective of each epoch.
    validation_scores : list of float
        Validation score after each epoch, when one was given.
    best_loss, best_validation_score : float
        The best of each so far.
    best_w : ndarray or None
        Solution at the best validation score.
    w : ndarray or None
        The last iterate (which the next epoch continues from).
    averaged_w : ndarray or None
        The mean of the iterates, once averaging has started.
    """

    def __init__(
        self,
        *,
        update: str = "adam",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-2,
        power_t: float = 0.5,
        momentum: float = 0.9,
        batch_size: int | str = "auto",
        shuffle: bool = True,
        random_state=None,
        n_iter_no_change: int = 10,
        average: bool | int | str = "polynomial",
    ) -> None:
        if update not in ("adam", "momentum"):
            raise ValueError(f"update must be 'adam' or 'momentum', got {update!r}.")
        if learning_rate not in ("constant", "invscaling", "adaptive"):
            raise ValueError(
                "learning_rate must be 'constant', 'invscaling' or 'adaptive', "
                f"got {learning_rate!r}."
            )
        self.update = update
        self.learning_rate = learning_rate
        self.learning_rate_init = float(learning_rate_init)
        self.power_t = float(power_t)
        self.momentum = float(momentum)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = check_random_state(random_state)
        self.n_iter_no_change = int(n_iter_no_change)
        self.learning_rate_value = self.learning_rate_init
        self.n_steps = 0
        self.n_samples_seen = 0
        self.loss_curve: list[float] = []
        self.validation_scores: list[float] = []
        self.best_loss = np.inf
        self.best_validation_score = -np.inf
        self.best_w: NDArray | None = None
        self._no_improvement = 0
        self._moments: list[NDArray] | None = None
        self.polynomial = average == "polynomial"
        self.average_start = (
            None
            if average is False
            else 0
            if average is True or self.polynomial
            else int(average)
        )
        self.w: NDArray | None = None
        self.averaged_w: NDArray | None = None
        self.n_averaged = 0

    # -- one pass ----------------------------------------------------------
    def rows_per_batch(self, n_samples: int) -> int:
        """Mini-batch size for ``n_samples`` rows."""
        if isinstance(self.batch_size, Integral):
            return max(1, min(int(self.batch_size), n_samples))
        return min(AUTO_BATCH_SIZE, n_samples)

    def _batches(self, n_samples: int):
        """Row selections of one epoch; ``None`` means all the rows."""
        size = self.rows_per_batch(n_samples)
        if size == n_samples:
            yield None
            return
        if not self.shuffle:
            for start in range(0, n_samples, size):
                yield slice(start, min(start + size, n_samples))
            return
        order = self.random_state.permutation(n_samples)
        for start in range(0, n_samples, size):
            yield np.sort(order[start : start + size])

    def run_epoch(self, objective, w: NDArray) -> float:
        """One pass over ``objective``'s rows in mini-batches.

        ``w`` (float64) is updated in place.  Mini-batches whose rows all
        have zero weight are skipped.  A ValueError is raised if the steps
        diverge (a learning rate far too large).

        Returns
        -------
        float
            The mean of the mini-batch objectives, weighted by each batch's
            total sample weight (an estimate of the objective over the
            epoch).
        """
        total = 0.0
        batch_weight = 0.0
        for rows in self._batches(objective.n_samples):
            batch = objective if rows is None else objective.take(rows)
            if batch.weight_sum == 0:
                continue
            value, grad = batch.value_and_grad(w)
            with np.errstate(over="ignore", invalid="ignore"):
                self._step(w, grad)
            if not np.all(np.isfinite(w)):
                raise ValueError(
                    "SGD diverged: the parameters became infinite or NaN with "
                    f"learning_rate_init={self.learning_rate_init:g}. Lower "
                    "learning_rate_init, use the 'adam' update, or scale the "
                    "features (e.g. StandardScaler)."
                )
            total += value * batch.weight_sum
            batch_weight += batch.weight_sum
            self.n_samples_seen += batch.n_samples
            self._update_average(w)
        self.w = w
        return total / batch_weight if batch_weight > 0 else np.nan

    def _step(self, w: NDArray, grad: NDArray) -> None:
        """One update of ``w`` in place from a mini-batch gradient."""
        self.n_steps += 1
        rate = self.learning_rate_value
        if self._moments is None:
            self._moments = [np.zeros_like(w), np.zeros_like(w)]
        first, second = self._moments
        if self.update == "momentum":
            # Nesterov: v <- mu v - rate g;  w <- w + mu v - rate g
            first *= self.momentum
            first -= rate * grad
            w += self.momentum * first - rate * grad
            return
        first *= ADAM_BETA_1
        first += (1 - ADAM_BETA_1) * grad
        second *= ADAM_BETA_2
        second += (1 - ADAM_BETA_2) * grad**2
        t = self.n_steps
        corrected = rate * np.sqrt(1 - ADAM_BETA_2**t) / (1 - ADAM_BETA_1**t)
        w -= corrected * first / (np.sqrt(second) + ADAM_EPSILON)

    def _update_average(self, w: NDArray) -> None:
        start = self.average_start
        if start is None or self.n_samples_seen < start:
            return
        self.n_averaged += 1
        if self.averaged_w is None:
            self.averaged_w = w.copy()
            return
        t = self.n_averaged
        weight = (
            (POLYNOMIAL_ETA + 1) / (t + POLYNOMIAL_ETA) if self.polynomial else 1 / t
        )
        self.averaged_w += (w - self.averaged_w) * weight

    def solution(self) -> NDArray:
        """The parameters to report: the averaged iterate once averaging has
        started, else the last iterate (a copy)."""
        return (self.averaged_w if self.averaged_w is not None else self.w).copy()

    # -- after a pass ------------------------------------------------------
    def end_epoch(
        self, loss: float, w: NDArray, tol: float, score: float | None = None
    ) -> bool:
        """Record an epoch, update the schedule; ``True`` means stop.

        Parameters
        ----------
        loss : float
            The epoch's mean mini-batch objective (from :meth:`run_epoch`).
        w : ndarray
            The solution after the epoch (copied when best on validation).
        tol : float
            Minimum improvement of the loss (or score) that counts.
        score : float, default=None
            Validation score after the epoch (early stopping), higher is
            better.
        """
        self.loss_curve.append(float(loss))
        if score is None:
            improved = loss < self.best_loss - tol
            self.best_loss = min(self.best_loss, loss)
        else:
            self.validation_scores.append(float(score))
            improved = score > self.best_validation_score + tol
            if score > self.best_validation_score:
                self.best_validation_score = float(score)
                self.best_w = w.copy()
        self._no_improvement = 0 if improved else self._no_improvement + 1
        if self.learning_rate == "invscaling":
            self.learning_rate_value = (
                self.learning_rate_init / (self.n_samples_seen + 1) ** self.power_t
            )
        if self._no_improvement <= self.n_iter_no_change:
            return False
        if self.learning_rate != "adaptive":
            return True
        if self.learning_rate_value <= _ADAPTIVE_MIN_RATE:
            return True
        self.learning_rate_value /= _ADAPTIVE_DIVISOR
        self._no_improvement = 0
        return False


def solve(
    objective,
    w0: NDArray,
    *,
    tol: float,
    max_iter: int,
    callback: IterationCallback | None = None,
    optimizer: StochasticOptimizer | None = None,
    validation_score: Callable[[NDArray], float] | None = None,
) -> SolverResult:
    """Minimise the objective by mini-batch SGD, ``max_iter`` epochs at most.

    Parameters
    ----------
    objective : Objective
        Provides ``take(rows)`` (the objective of a subset of rows),
        ``value_and_grad`` and ``value``.
    w0 : ndarray
        Starting point (flat parameter vector).
    tol : float
        Minimum improvement per epoch of the mean mini-batch objective (or
        of the validation score) that counts; see the module docstring.
    max_iter : int
        Maximum number of epochs; 0 returns ``w0`` unchanged.
    callback : callable, default=None
        ``callback(n_iter, w, value, grad_max)`` after every epoch, with the
        full objective and gradient (an extra pass over the data, so only
        when asked for).
    optimizer : StochasticOptimizer, default=None
        The update rule, schedule and batching; a default one if None.
    validation_score : callable, default=None
        ``validation_score(w) -> float`` (higher is better) for early
        stopping; the parameters with the best score are returned.

    Returns
    -------
    SolverResult
        The optimiser passed in keeps the state after the run (loss curve,
        validation scores, moments), from which ``partial_fit`` continues.
    """
    optimizer = optimizer if optimizer is not None else StochasticOptimizer()
    w = np.array(w0, dtype=np.float64)
    optimizer.w = w
    stopped = False
    n_iter = 0
    while n_iter < max_iter and not stopped:
        loss = optimizer.run_epoch(objective, w)
        n_iter += 1
        solution = optimizer.solution()
        score = validation_score(solution) if validation_score is not None else None
        stopped = optimizer.end_epoch(loss, solution, tol, score)
        if callback is not None:
            value, grad = objective.value_and_grad(solution)
            callback(n_iter, solution, value, float(np.max(np.abs(grad), initial=0)))
    solution = optimizer.solution()
    if validation_score is not None and optimizer.best_w is not None:
        solution = optimizer.best_w.copy()
    if stopped:
        criterion = "validation score" if validation_score is not None else "loss"
        message = (
            f"the {criterion} improved by at most tol={tol:g} for "
            f"{optimizer.n_iter_no_change} consecutive epochs"
        )
    else:
        message = f"max_iter={max_iter} epochs reached"
    return SolverResult(solution, objective.value(solution), n_iter, stopped, message)
