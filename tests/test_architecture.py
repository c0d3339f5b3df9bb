"""The rules of docs/architecture.rst, checked on the source: no module
reaches into another object's private state, no module passes 600 lines or
imports the package's ``__init__``, every module says what it owns, and the
lists of solvers and penalties in docstrings and the CLI come from the
registries."""

import ast
import inspect
import re
from pathlib import Path

import pytest

import softmax_regression
from softmax_regression import (
    SoftmaxRegression,
    SoftmaxRegressionCV,
    softmax_regression_path,
)
from softmax_regression._cli._parsing import build_parser
from softmax_regression._penalty import PENALTY_OPTIONS
from softmax_regression._solvers import SOLVER_OPTIONS, SOLVERS

PACKAGE = Path(softmax_regression.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 600
#: Private names that belong to scikit-learn's conventions, not to an object
#: of this package (class attributes a subclass extends).
_CONVENTIONS = {"_parameter_constraints"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _is_module(package_dir: Path, name: str) -> bool:
    return (package_dir / f"{name}.py").exists() or (package_dir / name).is_dir()


def _private_reaches(path: Path) -> list[str]:
    """``obj._name`` on anything but ``self``, ``cls`` or ``super()``, and
    ``from .module import _name`` of a private name that is not a module."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute):
            name = node.attr
            if not name.startswith("_") or name.startswith("__"):
                continue
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Call) and getattr(base.func, "id", "") == "super":
                continue
            if name in _CONVENTIONS:
                continue
            found.append(f"{_name(path)}:{node.lineno} .{name}")
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            source = path.parent
            for _ in range(node.level - 1):
                source = source.parent
            for part in (node.module or "").split(".") if node.module else []:
                source = source / part
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and not _is_module(source, alias.name):
                    found.append(f"{_name(path)}:{node.lineno} import {alias.name}")
    return found


def test_no_module_reaches_into_another_objects_private_state():
    reaches = [reach for path in MODULES for reach in _private_reaches(path)]
    assert reaches == []


def test_no_module_passes_600_lines():
    sizes = {_name(path): len(path.read_text().splitlines()) for path in MODULES}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_nothing_imports_the_package_init_back():
    upward = []
    for path in MODULES:
        depth = len(path.relative_to(PACKAGE).parts)  # 1: a top-level module
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.ImportFrom):
                continue
            absolute = node.level == 0 and node.module == "softmax_regression"
            relative = node.level == depth and node.module is None
            names = [alias.name for alias in node.names]
            if absolute or (
                relative and not all(_is_module(PACKAGE, name) for name in names)
            ):
                upward.append(f"{_name(path)}:{node.lineno}")
    assert upward == []


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_module_says_what_it_owns(path):
    docstring = ast.get_docstring(_tree(path))
    assert docstring and len(docstring) > 20


def _documented_options(function, parameter: str) -> set[str]:
    """The ``{"a", "b", ...}`` set of ``parameter`` in a numpydoc docstring."""
    doc = inspect.getdoc(function)
    match = re.search(
        rf"^{parameter} : \{{(.*?)\}}, default=", doc, re.MULTILINE | re.DOTALL
    )
    assert match, f"{function.__name__} documents no {parameter} options"
    return set(re.findall(r'"([^"]+)"', match.group(1)))


@pytest.mark.parametrize(
    "documented", [SoftmaxRegression, SoftmaxRegressionCV, softmax_regression_path]
)
def test_docstrings_list_the_registries(documented):
    assert _documented_options(documented, "solver") == set(SOLVER_OPTIONS)
    assert _documented_options(documented, "penalty") == set(PENALTY_OPTIONS)


def test_parameter_constraints_come_from_the_registries():
    for estimator in (SoftmaxRegression, SoftmaxRegressionCV):
        constraints = estimator._parameter_constraints
        assert constraints["solver"][0].options == set(SOLVER_OPTIONS)
        assert constraints["penalty"][0].options == set(PENALTY_OPTIONS)
    assert set(SOLVER_OPTIONS) == {"auto", *SOLVERS}


def test_the_command_line_offers_every_solver():
    parser = build_parser()
    fit = next(action for action in parser._subparsers._group_actions).choices["fit"]
    solver = next(action for action in fit._actions if action.dest == "solver")
    assert tuple(solver.choices) == SOLVER_OPTIONS


def test_the_user_guide_describes_every_solver():
    guide = (PACKAGE.parent / "docs" / "user_guide.rst").read_text(encoding="utf-8")
    # the definition list of the solvers: one term a line, ``"name"``
    terms = r'^``"([a-z-]+)"``(?: \(default\))?$'
    described = set(re.findall(terms, guide, re.MULTILINE))
    assert described == set(SOLVER_OPTIONS)
