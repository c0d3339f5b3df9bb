"""Solver registry.

Every solver module exposes ``solve(objective, w0, *, tol, max_iter,
callback) -> SolverResult`` and ``SUPPORTED_PENALTIES``, the names of the
penalties it can minimise; :data:`SOLVERS` maps the public ``solver``
parameter values to those modules.  A solver may accept further keyword
options after ``callback`` (``"sgd"`` takes its ``optimizer`` and
``validation_score``); called without them it runs with defaults.
"""

from __future__ import annotations

from types import ModuleType

from . import _fista, _lbfgs, _newton_cg, _newton_cholesky, _prox_newton, _sgd
from ._result import SolverResult

SOLVERS: dict[str, ModuleType] = {
    "fista": _fista,
    "lbfgs": _lbfgs,
    "newton-cg": _newton_cg,
    "newton-cholesky": _newton_cholesky,
    "prox-newton": _prox_newton,
    "sgd": _sgd,
}

#: The solvers that converge to the optimum itself (``"sgd"`` only
#: approaches it, as closely as its learning-rate schedule allows).
EXACT_SOLVERS: tuple[str, ...] = tuple(sorted(set(SOLVERS) - {"sgd"}))

__all__ = ["EXACT_SOLVERS", "SOLVERS", "SolverResult", "select_solver"]

# A full Hessian costs n_samples * n_params^2 multiply-adds per Newton step
# (and n_params^2 memory).  Measured (benchmarks/results.md, 2026-11-23):
# pendigits (170 parameters, raw features) reaches a 1e-6 gap 4x sooner with
# newton-cholesky than newton-cg (0.18 vs 0.70 s); digits (650 parameters)
# 1.7x sooner with newton-cg (0.23 vs 0.39 s).  The crossover lies between.
_CHOLESKY_MAX_PARAMS = 300
_CHOLESKY_MAX_COST = 5e9


def select_solver(
    n_samples: int, n_features: int, n_classes: int, penalty: str = "l2"
) -> str:
    """The solver ``solver="auto"`` resolves to for a problem's shape.

    Parameters
    ----------
    n_samples, n_features, n_classes : int
        The problem's shape.
    penalty : str, default="l2"
        The penalty's name; the non-smooth ones need a proximal solver.

    Returns
    -------
    str
        When the full Hessian is cheap to build and factor:
        ``"newton-cholesky"``, or ``"prox-newton"`` for a non-smooth
        penalty; otherwise ``"newton-cg"``, or ``"fista"``.
    """
    n_params = n_classes * (n_features + 1)
    small = (
        n_params <= _CHOLESKY_MAX_PARAMS
        and n_samples * n_params**2 <= _CHOLESKY_MAX_COST
    )
    if penalty != "l2":
        # alpha=1e-3, tol=1e-8 (benchmarks/results_sparse.md, 2026-11-23):
        # pendigits raw, L1 (170 parameters) 0.50 s prox-newton vs 5.3 s
        # fista; digits standardised, l1_ratio=0.5 (650) 0.92 s vs 0.14 s.
        return "prox-newton" if small else "fista"
    return "newton-cholesky" if small else "newton-cg"
