"""The command line's demo: an honest, stable comparison with scikit-learn.

Both libraries are fitted to the same relative distance from a tight
reference optimum of the same objective, timed as a median with BLAS on
one thread, and the table says so.
"""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression._cli import main
from softmax_regression._cli._demo import TARGET_GAP, objective, run_demo


@pytest.fixture(scope="module")
def summary():
    return run_demo()


def test_both_libraries_reach_the_same_gap_to_the_optimum(summary):
    """Each row reports its solver, iterations and relative objective gap
    to F*, and both are within the target gap, so neither stops at a looser
    point than the other."""
    assert [row["model"] for row in summary.rows] == [
        "SoftmaxRegression",
        "sklearn LogisticRegression",
    ]
    for row in summary.rows:
        assert row["reached"] and 0 <= row["gap"] <= TARGET_GAP
        assert row["solver"] != "auto" and row["n_iter"] > 0
        assert 0 < row["fit_seconds"] < 5
    assert summary.rows[1]["solver"] == "lbfgs"
    ours, theirs = summary.rows
    # at the same distance from the optimum the test figures agree closely
    assert abs(ours["log_loss"] - theirs["log_loss"]) < 1e-4
    assert ours["accuracy"] > 0.9


def test_reference_optimum_is_the_objective_minimum(summary):
    """F* agrees with scikit-learn's own tight optimum of the same objective
    (C = 1 / (alpha n)) to 1e-9 relative."""
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X_train = StandardScaler().fit_transform(X_train)
    clf = LogisticRegression(
        C=summary.C, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X_train, y_train)
    f_sklearn = objective(clf, X_train, y_train, summary.alpha)
    assert summary.C == pytest.approx(1 / (summary.alpha * summary.n_train))
    assert f_sklearn >= summary.f_star * (1 - 1e-9)
    np.testing.assert_allclose(summary.f_star, f_sklearn, rtol=1e-9)


def test_demo_prints_solver_gap_and_blas_setting(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("model"))
    for column in ("solver", "tol", "iters", "(F-F*)/F*", "fit (s)", "accuracy"):
        assert column in header
    assert "reference  F* = " in out and "tol=1e-10" in out
    assert "median of 5 fits, BLAS and OpenMP limited to one thread" in out
    assert any(line.startswith("BLAS       ") for line in lines)
    ours = next(line for line in lines if line.startswith("SoftmaxRegression "))
    theirs = next(line for line in lines if line.startswith("sklearn "))
    assert " lbfgs " in theirs
    for row in (ours, theirs):
        gap = float(row.split()[-4])
        assert gap <= TARGET_GAP


@pytest.mark.slow
def test_demo_needs_only_the_core_dependencies():
    """``python -m softmax_regression demo``, the README's first command,
    runs with none of the optional packages importable."""
    blocked = {"pandas", "tqdm", "pyarrow", "dask", "distributed", "polars", "skops"}
    code = f"""
import runpy, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is blocked")

sys.meta_path.insert(0, Block())
sys.argv = ["softmax-regression", "demo"]
runpy.run_module("softmax_regression", run_name="__main__")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "sklearn LogisticRegression" in result.stdout
