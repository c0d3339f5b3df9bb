"""Solver registry.

Every solver module exposes ``solve(objective, w0, *, tol, max_iter,
callback) -> SolverResult`` and ``SUPPORTED_PENALTIES``, the names of the
penalties it can minimise; :data:`SOLVERS` maps the public ``solver``
parameter values to those modules.
"""

from __future__ import annotations

from types import ModuleType

from . import _fista, _lbfgs, _newton_cg, _newton_cholesky
from ._result import SolverResult

SOLVERS: dict[str, ModuleType] = {
    "fista": _fista,
    "lbfgs": _lbfgs,
    "newton-cg": _newton_cg,
    "newton-cholesky": _newton_cholesky,
}

__all__ = ["SOLVERS", "SolverResult", "select_solver"]

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
        The penalty's name; non-smooth ones need a proximal solver.

    Returns
    -------
    str
        ``"fista"`` for a non-smooth penalty; else ``"newton-cholesky"``
        when the full Hessian is cheap to build and factor, otherwise
        ``"newton-cg"``.
    """
    if penalty != "l2":
        return "fista"
    n_params = n_classes * (n_features + 1)
    if (
        n_params <= _CHOLESKY_MAX_PARAMS
        and n_samples * n_params**2 <= _CHOLESKY_MAX_COST
    ):
        return "newton-cholesky"
    return "newton-cg"
