"""The solver registry, and the one place ``solver="auto"`` is decided.

Every solver module exposes ``solve(objective, w0, *, tol, max_iter,
callback) -> SolverResult`` and ``NEEDS``: the methods of the
:class:`~softmax_regression._objective.Objective` it calls (see
:func:`~softmax_regression._objective.objective_offers`).  :data:`SOLVERS`
maps the public ``solver`` parameter values to those modules.  A solver may
accept further keyword options after ``callback`` (``"sgd"`` takes its
``optimizer`` and ``validation_score``); called without them it runs with
defaults.

:func:`resolve_solver` checks a solver's needs against what an objective
will offer (which depends on the penalty and on where the data live, in
memory or on Dask) once, before any work, and resolves ``"auto"`` for every
caller: the estimator, the path, cross-validation and Dask.  Adding a
solver is one module and one entry in :data:`SOLVERS` (see the
architecture page of the documentation).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from .._loss import MultinomialLoss
from .._objective import objective_offers
from .._penalty import Penalty, make_penalty
from . import (
    _fista,
    _lbfgs,
    _newton_cg,
    _newton_cholesky,
    _prox_newton,
    _sgd,
    _subsampled_newton,
)
from ._result import SolverResult

SOLVERS: dict[str, ModuleType] = {
    "fista": _fista,
    "lbfgs": _lbfgs,
    "newton-cg": _newton_cg,
    "newton-cholesky": _newton_cholesky,
    "prox-newton": _prox_newton,
    "sgd": _sgd,
    "subsampled-newton": _subsampled_newton,
}

#: The solvers that converge to the optimum itself (``"sgd"`` only
#: approaches it, as closely as its learning-rate schedule allows).
EXACT_SOLVERS: tuple[str, ...] = tuple(sorted(set(SOLVERS) - {"sgd"}))

#: The values of the ``solver`` parameter.
SOLVER_OPTIONS: tuple[str, ...] = ("auto", *SOLVERS)

#: Where in-memory data are: what :class:`MultinomialLoss` offers.
IN_MEMORY = "in-memory data"

__all__ = [
    "EXACT_SOLVERS",
    "IN_MEMORY",
    "SOLVERS",
    "SOLVER_OPTIONS",
    "SolverResult",
    "resolve_solver",
    "select_solver",
]

# A full Hessian costs n_samples * n_params^2 multiply-adds per Newton step
# (and n_params^2 memory).  Measured (benchmarks/results.md, 2026-11-23):
# pendigits (170 parameters, raw features) reaches a 1e-6 gap 4x sooner with
# newton-cholesky than newton-cg (0.18 vs 0.70 s); digits (650 parameters)
# 1.7x sooner with newton-cg (0.23 vs 0.39 s).  The crossover lies between.
_CHOLESKY_MAX_PARAMS = 300
_CHOLESKY_MAX_COST = 5e9
# On few parameters the full Hessian still loses to Newton-CG when the
# features are well conditioned: CG then needs a handful of products per
# step.  Time to a 1e-6 gap (benchmarks/results_auto.md): a standard
# Gaussian 20,000 x 50, 5 classes (scaled condition 1.19) newton-cg
# 0.144 s vs newton-cholesky 0.357 s; the same data with raw scales and
# offsets (6.2e8) 24.5 s vs 0.424 s; raw pendigits (2506) 0.825 vs 0.207 s.
# Below this condition number (of the diagonally scaled second-moment
# matrix, see _loss.scaled_gram_condition) "auto" takes Newton-CG.
_WELL_CONDITIONED = 10.0


def _auto_candidates(
    n_samples: int,
    n_features: int,
    n_classes: int,
    smooth: bool,
    conditioning: Callable[[], float] | None = None,
) -> tuple[str, ...]:
    """The solvers ``"auto"`` prefers for a problem, best first; the first
    whose needs the objective meets is chosen.  ``conditioning`` (called
    only where it decides) gives the features' scaled condition number."""
    n_params = n_classes * (n_features + 1)
    small = (
        n_params <= _CHOLESKY_MAX_PARAMS
        and n_samples * n_params**2 <= _CHOLESKY_MAX_COST
    )
    if small and smooth and conditioning is not None:
        small = not conditioning() <= _WELL_CONDITIONED
    if not smooth:
        # alpha=1e-3, tol=1e-8 (benchmarks/results_sparse.md, 2026-11-23):
        # pendigits raw, L1 (170 parameters) 0.50 s prox-newton vs 5.3 s
        # fista; digits standardised, l1_ratio=0.5 (650) 0.92 s vs 0.14 s.
        return ("prox-newton", "fista") if small else ("fista",)
    # lbfgs (L-BFGS-B) last: where bounds rule out newton-cg.
    if small:
        return ("newton-cholesky", "newton-cg", "lbfgs")
    if n_samples >= _subsampled_newton.MIN_ROWS_TO_SAMPLE:
        # Where take() is not offered (Dask), newton-cg.
        return ("subsampled-newton", "newton-cg", "lbfgs")
    return ("newton-cg", "lbfgs")


def _able(offers: frozenset[str]) -> list[str]:
    return [name for name, module in SOLVERS.items() if module.NEEDS <= offers]


def _refusal(
    solver: str,
    penalty: Penalty,
    loss_offers: frozenset[str],
    where: str,
    bounded: bool = False,
) -> str:
    """Why ``solver`` cannot minimise ``penalty`` on this data, and the fix."""
    if bounded and solver != "auto" and "unconstrained" in SOLVERS[solver].NEEDS:
        able = _able(objective_offers(loss_offers, penalty.smooth, bounded=True))
        fix = " or ".join(f"solver={name!r}" for name in [*able, "auto"])
        return (
            f"solver={solver!r} cannot keep the coefficients within lower_bound "
            f"and upper_bound: use {fix}."
        )
    anywhere = _able(objective_offers(loss_offers, smooth=True))
    if solver != "auto" and solver not in anywhere:
        names = ", ".join(repr(name) for name in anywhere)
        return (
            f"solver={solver!r} cannot fit {where}; use one of {names} or 'auto', "
            "or compute X into memory."
        )
    able = _able(objective_offers(loss_offers, penalty.smooth))
    what = f"the {penalty.name!r} penalty (l1_ratio > 0)"
    if able:
        fix = " or ".join(f"solver={name!r}" for name in [*able, "auto"])
        return f"solver={solver!r} does not support {what}: use {fix}."
    in_memory = _able(objective_offers(MultinomialLoss.OFFERS, penalty.smooth))
    if where != IN_MEMORY and in_memory:
        names = " or ".join(repr(name) for name in in_memory)
        return (
            f"The {penalty.name!r} penalty (l1_ratio > 0) cannot be fitted on "
            f"{where}: the solvers there ({', '.join(map(repr, anywhere))}) "
            "minimise only the L2 penalty. Set l1_ratio=0, or compute X into "
            f"memory for solver={names}."
        )
    return (
        f"solver={solver!r} does not support {what}: no solver supports it in "
        "this version; set l1_ratio=0."
    )


def resolve_solver(
    solver: str,
    penalty: Penalty,
    *,
    n_samples: int,
    n_features: int,
    n_classes: int,
    loss_offers: frozenset[str] = MultinomialLoss.OFFERS,
    where: str = IN_MEMORY,
    bounded: bool = False,
    conditioning: Callable[[], float] | None = None,
) -> str:
    """The solver to run: ``"auto"`` resolved, its needs checked.

    Parameters
    ----------
    solver : str
        The ``solver`` parameter: a key of :data:`SOLVERS` or ``"auto"``.
    penalty : Penalty
        The penalty to minimise (smooth ones admit every solver).
    n_samples, n_features, n_classes : int
        The problem's shape, for ``"auto"``.
    loss_offers : frozenset of str, default=MultinomialLoss.OFFERS
        What the loss computes: in memory, or the Dask loss's ``OFFERS``.
    where : str, default=IN_MEMORY
        Where the data are, for the error message.
    bounded : bool, default=False
        Whether the coefficients are bounded: only the solvers that keep to
        a box qualify (not those that need ``"unconstrained"``).
    conditioning : callable, default=None
        ``conditioning()`` is the condition number of the diagonally scaled
        second-moment matrix of the features
        (:func:`~softmax_regression._loss.scaled_gram_condition`), asked
        for only when it decides: on few parameters, well-conditioned
        features (below 10) go to ``"newton-cg"``, not the full Hessian.

    Returns
    -------
    str
        A key of :data:`SOLVERS`.  ``"auto"`` means, when the full Hessian
        is cheap to build and factor (up to 300 parameters) and the
        features are not well conditioned, ``"newton-cholesky"``
        (``"prox-newton"`` for a non-smooth penalty); otherwise, from
        20,000 rows, ``"subsampled-newton"``, and below, ``"newton-cg"``
        (``"fista"`` for a non-smooth penalty); or the next of these the
        objective can serve (on Dask, ``"newton-cg"``; with bounds,
        ``"lbfgs"`` instead of either Newton-CG).

    Raises
    ------
    ValueError
        When the solver's needs exceed what the objective offers: naming
        the solvers that can, or saying that none can.
    """
    offers = objective_offers(loss_offers, penalty.smooth, bounded)
    if solver == "auto":
        candidates = _auto_candidates(
            n_samples, n_features, n_classes, penalty.smooth, conditioning
        )
        for name in candidates:
            if SOLVERS[name].NEEDS <= offers:
                return name
    elif SOLVERS[solver].NEEDS <= offers:
        return solver
    raise ValueError(_refusal(solver, penalty, loss_offers, where, bounded))


def select_solver(
    n_samples: int, n_features: int, n_classes: int, penalty: str = "l2"
) -> str:
    """What ``solver="auto"`` resolves to for in-memory data of a shape.

    Parameters
    ----------
    n_samples, n_features, n_classes : int
        The problem's shape.
    penalty : str, default="l2"
        A penalty name; the non-smooth ones need a proximal solver.

    Returns
    -------
    str
        See :func:`resolve_solver`.
    """
    l1_ratio = 0.0 if penalty == "l2" else 1.0
    return resolve_solver(
        "auto",
        make_penalty(penalty, 1.0, l1_ratio, n_classes),
        n_samples=n_samples,
        n_features=n_features,
        n_classes=n_classes,
    )
