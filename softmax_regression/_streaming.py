"""The streaming optimiser behind ``solver="sgd"`` and ``partial_fit``.

The estimator holds the SGD parameters; this module turns them into the
optimiser (:class:`~softmax_regression._solvers._sgd.StochasticOptimizer`),
builds the ``"sgd"`` solver's problem (with early stopping, a stratified
held-out split and its accuracy), runs one ``partial_fit`` pass, and reads
the optimiser's state back as fitted attributes.  It calls the fitting core
(:mod:`softmax_regression._fitting`) for the objective, never the
estimator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.extmath import safe_sparse_dot

from ._fit_hooks import SolveReport, report_solve
from ._fitting import FitConfig, in_memory_objective, single_threaded_blas
from ._loss import MultinomialLoss, ParameterLayout
from ._objective import Objective, objective_offers
from ._penalty import Penalty
from ._solvers import SOLVERS, SolverResult
from ._solvers._sgd import StochasticOptimizer

#: The fitted attributes only the streaming optimiser sets.
STREAMING_ATTRIBUTES = (
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "t_",
)


@dataclass(frozen=True)
class StreamingConfig:
    """The estimator's parameters of ``solver="sgd"`` and ``partial_fit``
    (see :class:`SoftmaxRegression` for each)."""

    batch_size: int | str = "auto"
    learning_rate: str = "constant"
    learning_rate_init: float = 1e-2
    power_t: float = 0.5
    sgd_update: str = "adam"
    momentum: float = 0.9
    shuffle: bool = True
    early_stopping: bool = False
    validation_fraction: float = 0.1
    n_iter_no_change: int = 10
    average: bool | int | str = "polynomial"
    random_state: Any = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> StreamingConfig:
        """The configuration of an estimator's ``get_params()``."""
        names = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in params.items() if name in names})

    def new_optimizer(self, random_state) -> StochasticOptimizer:
        """A fresh optimiser with these settings, shuffling with
        ``random_state`` (a ``RandomState``)."""
        return StochasticOptimizer(
            update=self.sgd_update,
            learning_rate=self.learning_rate,
            learning_rate_init=self.learning_rate_init,
            power_t=self.power_t,
            momentum=self.momentum,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            random_state=random_state,
            n_iter_no_change=self.n_iter_no_change,
            average=self.average,
        )


def penalty_streams(penalty: Penalty) -> bool:
    """Whether the streaming optimiser can minimise ``penalty`` (its needs,
    checked against what an in-memory objective with it offers)."""
    offers = objective_offers(MultinomialLoss.OFFERS, penalty.smooth)
    return SOLVERS["sgd"].NEEDS <= offers


def sgd_problem(
    config: FitConfig,
    streaming: StreamingConfig,
    X,
    target: NDArray,
    weight: NDArray,
    n_classes: int,
) -> tuple[Objective, dict[str, Any]]:
    """The objective and the ``"sgd"`` solver's options: a new optimiser
    and, with ``early_stopping``, the accuracy on a held-out split.

    Returns
    -------
    objective : Objective
        On all the rows, or on the training part of the split.
    options : dict
        ``optimizer`` and ``validation_score``, the solver's keywords.
    """
    random_state = check_random_state(streaming.random_state)
    if sp.issparse(X):
        X = X.tocsr()  # the split and the mini-batches slice rows
    validation_score = None
    if streaming.early_stopping:
        labels = target if target.ndim == 1 else np.argmax(target, axis=1)
        n_held_out = int(np.ceil(streaming.validation_fraction * X.shape[0]))
        if n_held_out < 2:
            raise ValueError(
                f"The validation set is too small ({n_held_out} samples): "
                "increase validation_fraction or the size of the data, or "
                "set early_stopping=False."
            )
        train, held_out = train_test_split(
            np.arange(X.shape[0]),
            test_size=streaming.validation_fraction,
            random_state=random_state,
            stratify=labels,
        )
        train, held_out = np.sort(train), np.sort(held_out)
        objective = in_memory_objective(
            config, X[train], target[train], weight[train], n_classes, by_rows=True
        )
        validation_score = accuracy_scorer(
            X[held_out], labels[held_out], weight[held_out], objective.layout
        )
    else:
        objective = in_memory_objective(
            config, X, target, weight, n_classes, by_rows=True
        )
    options = {
        "optimizer": streaming.new_optimizer(random_state),
        "validation_score": validation_score,
    }
    return objective, options


def accuracy_scorer(X, labels: NDArray, weight: NDArray, layout: ParameterLayout):
    """``score(w)``: the weighted accuracy on ``(X, labels)`` of the flat
    parameters ``w``."""
    weights = weight if weight.sum() > 0 else None

    def score(w: NDArray) -> float:
        coef, intercept = layout.unpack(w, X.dtype)
        logits = safe_sparse_dot(X, coef.T, dense_output=True)
        if intercept is not None:
            logits = logits + intercept
        return float(np.average(np.argmax(logits, axis=1) == labels, weights=weights))

    return score


def resume(
    streaming: StreamingConfig,
    optimizer: StochasticOptimizer | None,
    w_fitted: NDArray,
) -> tuple[StochasticOptimizer, NDArray]:
    """The optimiser and iterate a ``partial_fit`` call continues from: the
    streaming state if there is one, else a new optimiser from the fitted
    parameters ``w_fitted`` (zeros on a first call)."""
    if optimizer is not None and optimizer.w is not None:
        return optimizer, optimizer.w
    random_state = check_random_state(streaming.random_state)
    return streaming.new_optimizer(random_state), w_fitted


def partial_fit_pass(
    objective: Objective,
    optimizer: StochasticOptimizer,
    w: NDArray,
    tol: float,
    n_iter: int,
) -> SolverResult:
    """One pass of the optimiser over ``objective``'s rows from ``w``.

    The pass is recorded as an epoch (loss curve, schedule) and reported to
    the solve observer.  A diverging pass raises the optimiser's
    ValueError.
    """
    with single_threaded_blas():
        loss = optimizer.run_epoch(objective, w)
    solution = optimizer.solution()
    optimizer.end_epoch(loss, solution, tol)
    result = SolverResult(solution, loss, n_iter, True, "one pass over the batch")
    report_solve(SolveReport("sgd", 1, True, result.message))
    return result


def streaming_attributes(optimizer: StochasticOptimizer) -> dict[str, Any]:
    """The fitted attributes of :data:`STREAMING_ATTRIBUTES` from the
    optimiser's state."""
    scored = bool(optimizer.validation_scores)
    return {
        "loss_curve_": list(optimizer.loss_curve),
        "best_loss_": None if scored else float(optimizer.best_loss),
        "validation_scores_": list(optimizer.validation_scores) if scored else None,
        "best_validation_score_": (
            float(optimizer.best_validation_score) if scored else None
        ),
        "t_": optimizer.n_samples_seen,
    }
