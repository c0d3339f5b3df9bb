"""Solver registry.

Every solver module exposes ``solve(objective, w0, *, tol, max_iter,
callback) -> SolverResult`` and ``SUPPORTED_PENALTIES``, the names of the
penalties it can minimise; :data:`SOLVERS` maps the public ``solver``
parameter values to those modules.
"""

from __future__ import annotations

from types import ModuleType

from . import _lbfgs, _newton_cg, _newton_cholesky
from ._result import SolverResult

SOLVERS: dict[str, ModuleType] = {
    "lbfgs": _lbfgs,
    "newton-cg": _newton_cg,
    "newton-cholesky": _newton_cholesky,
}

__all__ = ["SOLVERS", "SolverResult", "select_solver"]

# A full Hessian costs n_samples * n_params^2 multiply-adds per Newton step
# (and n_params^2 memory).  Measured (benchmarks/, 2026-11-23): pendigits
# (170 parameters) fits 5x faster with newton-cholesky than newton-cg on raw
# features and as fast on standardised ones; digits (650 parameters) fits
# 2-3x faster with newton-cg.  The crossover lies between: about 300.
_CHOLESKY_MAX_PARAMS = 300
_CHOLESKY_MAX_COST = 5e9


def select_solver(n_samples: int, n_features: int, n_classes: int) -> str:
    """The solver ``solver="auto"`` resolves to for a problem's shape.

    Parameters
    ----------
    n_samples, n_features, n_classes : int
        The problem's shape.

    Returns
    -------
    str
        ``"newton-cholesky"`` when the full Hessian is cheap to build and
        factor, otherwise ``"newton-cg"``.
    """
    n_params = n_classes * (n_features + 1)
    if (
        n_params <= _CHOLESKY_MAX_PARAMS
        and n_samples * n_params**2 <= _CHOLESKY_MAX_COST
    ):
        return "newton-cholesky"
    return "newton-cg"
