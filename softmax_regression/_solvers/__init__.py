"""The solver registry, and the one place ``solver="auto"`` is decided.

Every solver module exposes ``solve(objective, w0, *, tol, max_iter,
callback) -> SolverResult``, ``NEEDS``: the methods of the
:class:`~softmax_regression._objective.Objective` it calls (see
:func:`~softmax_regression._objective.objective_offers`), and
``STOPPING_RULE``: what ``tol`` bounds, for the ConvergenceWarning.  :data:`SOLVERS`
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
from ._newton_cholesky import FULL_HESSIAN_MAX_PARAMS, hessian_in_products
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

# Without a look at the features (select_solver, and Dask), "auto" decides
# from the shape: the full Hessian (n_samples * n_params^2 multiply-adds
# per Newton step, n_params^2 memory) where it is cheap.  Measured
# (benchmarks/results.md, 2026-11-23): pendigits (170 parameters, raw
# features) reaches a 1e-6 gap 4x sooner with newton-cholesky than
# newton-cg (0.18 vs 0.70 s); digits (650 parameters) 1.7x sooner with
# newton-cg (0.23 vs 0.39 s).
_CHOLESKY_MAX_PARAMS = 300
_CHOLESKY_MAX_COST = 5e9
# With the features in hand, "auto" weighs the full Hessian against the
# conjugate-gradient products a Newton-CG step needs on them
# (_loss.newton_cg_steps: CG on the spectrum of the diagonally scaled
# second moments, to a residual of 1e-2).  The Hessian costs about
# (K + 1)(d + 2) / 8 products (its K(K+1)/2 class pairs times the
# (d+1)(d+2)/2 feature pairs, per row, against 2K(d+1) per product).
# (_newton_cholesky.hessian_in_products).
# Time to the default tol, BLAS on one thread, medians of 3
# (benchmarks/bench_auto_rule.py, results_auto.md):
# - against newton-cg (below MIN_ROWS_TO_SAMPLE rows) the Hessian pays
#   from about a tenth of its cost in products: 20,000 x 50, 5 classes
#   (39 products' worth): 2 products a step 3x for newton-cg (0.09 vs
#   0.28 s), 6 level (0.32 vs 0.28 s), 13 2.6x for the Hessian (0.71 vs
#   0.28 s); 15,000 x 40, 20 classes (110): 6 level (0.72 vs 0.79 s), 13
#   1.9x for the Hessian (1.53 vs 0.80 s);
# - against subsampled-newton, whose products run on a tenth of the rows,
#   from about 0.6 of it: 50,000 x 40, 20 classes: 57 products 2.1x for
#   subsampled-newton (1.0 vs 2.1 s), 70 1.2x (1.45 vs 1.69 s), 96 30x for
#   the Hessian (51.6 vs 1.74 s), 140 unconverged after 300 sampled steps
#   (9.9 s).  Past the crossover subsampled-newton loses far more than the
#   Hessian loses before it, so the threshold errs towards the Hessian.
#   Those times predate the Kronecker preconditioner: with it (and its
#   eigenvalues kept to the decomposition's resolution) the same shape
#   took 0.18-0.22 s against the Hessian's 1.7-2.7 s at m / h from 0.54 to
#   1.26 (bench_auto_rule.py, 2026-12-01), so from MIN_ROWS_TO_SAMPLE rows
#   the threshold decides only where the rows do not sample well (below).
_HESSIAN_SHARE_VS_NEWTON_CG = 0.1
_HESSIAN_SHARE_VS_SUBSAMPLED = 0.6
# With this few products a step Newton-CG is within a few passes of a full
# Newton step, whatever the Hessian costs (the 2-product case above; a
# well-conditioned 4,000 x 20 with 5 classes needs 2, its 16.5 products'
# worth of Hessian notwithstanding).
_FEW_CG_STEPS = 3
# The full Hessian's size limit (FULL_HESSIAN_MAX_PARAMS), and beyond 300
# parameters its rows per parameter: digits (1,797 rows, 650 parameters,
# 2.8 per parameter) needs 37 products a step by the spectrum, but it is
# nearly separable (F* = 0.003), so near the optimum the penalty rules the
# Hessian and newton-cg wins 1.6x (0.16 vs 0.25 s).
_FULL_HESSIAN_MIN_ROWS_PER_PARAM = 10
# The spectrum above is what Jacobi-preconditioned products see; the
# sampled steps' Kronecker factors take the features' scales, offsets and
# correlations out, and lose to the full Hessian only where a few rows
# carry the curvature, which their samples then miss or overweigh.  So
# from 20,000 rows the full Hessian is taken only where the rows'
# effective share of the curvature is below _SAMPLED_ROW_SHARE or a
# single row's leverage reaches _SAMPLED_MAX_LEVERAGE (_loss.row_leverages).
# Measured (one process, tol 1e-3 or 1e-4, benchmarks/results_subsampled.md,
# 2026-12-01): subsampled-newton 4x to 17x faster on seven synthetic raw
# sets (share 0.21 to 0.96, leverage at most 0.085; the raw 50,000 x 40
# set with 20 classes 0.16 against 2.66 s) and on diamonds without its 23
# outliers (0.060, 0.16: 0.14 against 0.30 s); 7x slower on diamonds
# (0.005, 0.74: 1.56 against 0.23 s), and unconverged after 300 steps
# where newton-cholesky took 46 on a raw 25,000 x 40 set with a dozen
# rows scaled 200-fold in three features (0.068, 0.47).
_SAMPLED_ROW_SHARE = 0.02
_SAMPLED_MAX_LEVERAGE = 0.2


def _full_hessian_pays(
    n_samples: int, n_features: int, n_classes: int, cg_steps: Callable[[], int]
) -> bool:
    """Whether a Newton step with the full Hessian costs less than one with
    Jacobi-preconditioned conjugate-gradient products; ``cg_steps()`` is
    called only if the shape leaves it open."""
    n_params = n_classes * (n_features + 1)
    if n_params > FULL_HESSIAN_MAX_PARAMS or (
        n_params > _CHOLESKY_MAX_PARAMS
        and n_samples < _FULL_HESSIAN_MIN_ROWS_PER_PARAM * n_params
    ):
        return False
    share = (
        _HESSIAN_SHARE_VS_SUBSAMPLED
        if n_samples >= _subsampled_newton.MIN_ROWS_TO_SAMPLE
        else _HESSIAN_SHARE_VS_NEWTON_CG
    )
    hessian = hessian_in_products(n_features, n_classes)
    return cg_steps() > max(_FEW_CG_STEPS, share * hessian)


def _rows_sample_well(row_leverages: Callable[[], tuple[float, float]]) -> bool:
    """Whether the rows carry the curvature evenly enough for a tenth of
    them to stand for all (see :data:`_SAMPLED_ROW_SHARE`)."""
    row_share, largest = row_leverages()
    return row_share >= _SAMPLED_ROW_SHARE and largest < _SAMPLED_MAX_LEVERAGE


def _auto_candidates(
    n_samples: int,
    n_features: int,
    n_classes: int,
    smooth: bool,
    cg_steps: Callable[[], int] | None = None,
    row_leverages: Callable[[], tuple[float, float]] | None = None,
) -> tuple[str, ...]:
    """The solvers ``"auto"`` prefers for a problem, best first; the first
    whose needs the objective meets is chosen.  ``cg_steps`` and
    ``row_leverages`` (each called only where it decides) give the
    conjugate-gradient iterations a Newton step needs on the features and
    how evenly the rows carry the curvature."""
    n_params = n_classes * (n_features + 1)
    cheap_hessian = (
        n_params <= _CHOLESKY_MAX_PARAMS
        and n_samples * n_params**2 <= _CHOLESKY_MAX_COST
    )
    if not smooth:
        # alpha=1e-3, tol=1e-8 (benchmarks/results_sparse.md, 2026-11-23):
        # pendigits raw, L1 (170 parameters) 0.50 s prox-newton vs 5.3 s
        # fista; digits standardised, l1_ratio=0.5 (650) 0.92 s vs 0.14 s.
        return ("prox-newton", "fista") if cheap_hessian else ("fista",)
    if cg_steps is None:
        full_hessian = cheap_hessian
    else:
        full_hessian = _full_hessian_pays(n_samples, n_features, n_classes, cg_steps)
    sampled = n_samples >= _subsampled_newton.MIN_ROWS_TO_SAMPLE
    # lbfgs (L-BFGS-B) last: where bounds rule out newton-cg.
    if (
        full_hessian
        and sampled
        and row_leverages is not None
        and _rows_sample_well(row_leverages)
    ):
        # the sampled steps' Kronecker factors take the features' scaling
        # out; the full Hessian where bounds rule them out
        return ("subsampled-newton", "newton-cholesky", "newton-cg", "lbfgs")
    if full_hessian:
        return ("newton-cholesky", "newton-cg", "lbfgs")
    if sampled:
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
    cg_steps: Callable[[], int] | None = None,
    row_leverages: Callable[[], tuple[float, float]] | None = None,
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
    cg_steps : callable, default=None
        ``cg_steps()`` is the number of conjugate-gradient iterations a
        Newton step needs on the features
        (:func:`~softmax_regression._loss.newton_cg_steps`), asked for only
        when it decides; without it, ``"auto"`` decides from the shape.
    row_leverages : callable, default=None
        ``row_leverages()`` is the effective share of the rows that carry
        the curvature and the largest row's
        (:func:`~softmax_regression._loss.row_leverages`), asked for only
        when it decides.

    Returns
    -------
    str
        A key of :data:`SOLVERS`.  ``"auto"`` means ``"newton-cholesky"``
        where the full Hessian costs less than the products a Newton-CG
        step needs: up to 1,500 parameters (beyond 300, with at least 10
        rows per parameter), when ``cg_steps()`` exceeds 3 and a tenth of
        the Hessian's cost in products, 0.6 of it from 20,000 rows, where
        also the rows' curvature share must be below 0.02 or a row's
        leverage at least 0.2 (without ``cg_steps``: up to 300 parameters
        and ``n * n_params**2 <= 5e9``).
        Otherwise, from 20,000 rows, ``"subsampled-newton"`` (with bounds,
        where only the rows ruled the full Hessian out, ``"newton-cholesky"``
        still), and below, ``"newton-cg"``.  For a non-smooth penalty,
        ``"prox-newton"`` up to 300 parameters and
        ``n * n_params**2 <= 5e9``, else ``"fista"``.
        Or the next of these the objective can serve (on Dask,
        ``"newton-cg"``; with bounds, ``"lbfgs"`` instead of either
        Newton-CG).

    Raises
    ------
    ValueError
        When the solver's needs exceed what the objective offers: naming
        the solvers that can, or saying that none can.
    """
    offers = objective_offers(loss_offers, penalty.smooth, bounded)
    if solver == "auto":
        candidates = _auto_candidates(
            n_samples, n_features, n_classes, penalty.smooth, cg_steps, row_leverages
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
