"""Solver registry.

Every solver module exposes ``solve(objective, w0, *, tol, max_iter,
callback) -> SolverResult`` and ``SUPPORTED_PENALTIES``, the names of the
penalties it can minimise; :data:`SOLVERS` maps the public ``solver``
parameter values to those modules.
"""

from __future__ import annotations

from types import ModuleType

from . import _lbfgs
from ._result import SolverResult

SOLVERS: dict[str, ModuleType] = {"lbfgs": _lbfgs}

__all__ = ["SOLVERS", "SolverResult"]
