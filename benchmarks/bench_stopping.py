"""Where each solver stops at a given ``tol``: the objective gap before and
after a change of the stopping rule, and the time it takes.

Both versions are imported into one process (the older checkout under
another name, as in ``bench_before_after.py``); every fit runs with BLAS on
one thread.  The gap is ``F - F*`` relative to ``F*``, with ``F*`` the
current package's ``newton-cholesky`` (up to 2,000 parameters) or
``newton-cg`` at ``tol=1e-10``.  Gaps are deterministic; times are medians.

    git worktree add /tmp/before <commit>
    python benchmarks/bench_stopping.py /tmp/before \\
        --datasets digits pendigits synthetic-small synthetic-raw diamonds
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import datasets
import numpy as np
from bench_before_after import import_old
from bench_fit import Problem
from threadpoolctl import threadpool_limits

import softmax_regression as current

SOLVERS = ["auto", "lbfgs", "newton-cg", "newton-cholesky", "subsampled-newton"]
ALPHA = 1e-4


def fit(package, X, y, solver: str, tol: float, max_iter: int):
    with threadpool_limits(1, user_api="blas"):
        start = time.perf_counter()
        model = package.SoftmaxRegression(
            alpha=ALPHA, solver=solver, tol=tol, max_iter=max_iter
        ).fit(X, y)
        return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="the older checkout's root")
    parser.add_argument("--datasets", nargs="+", default=["digits", "pendigits"])
    parser.add_argument("--solvers", nargs="+", default=SOLVERS)
    parser.add_argument("--tols", nargs="+", type=float, default=[1e-3, 1e-4, 1e-5])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=10_000)
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    versions = {"before": import_old(options.checkout), "after": current}
    print(f"python benchmarks/bench_stopping.py {' '.join(sys.argv[1:])}\n")
    for name in options.datasets:
        problem = Problem(name, ALPHA, float32=False)
        X, y = problem.X, problem.y

        def objective(model, problem=problem):
            return problem.objective(model.coef_, model.intercept_, model.classes_)

        reference = "newton-cholesky" if problem.n_params <= 2000 else "newton-cg"
        _, best = fit(current, X, y, reference, 1e-10, 1000)
        f_star = objective(best)
        print(f"### {name}: {datasets.describe(X, y)}; F* = {f_star:.15g}\n")
        print(
            "| solver | tol | gap before | gap after | abs. gap after / tol^2 "
            "| iters before | iters after | s before | s after |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for solver in options.solvers:
            for tol in options.tols:
                cells = {}
                for label, package in versions.items():
                    runs = [
                        fit(package, X, y, solver, tol, options.max_iter)
                        for _ in range(options.repeats)
                    ]
                    model = runs[0][1]
                    cells[label] = (
                        objective(model) - f_star,
                        int(np.max(model.n_iter_)),
                        float(np.median([seconds for seconds, _ in runs])),
                    )
                before, after = cells["before"], cells["after"]
                print(
                    f"| {solver} | {tol:.0e} | {before[0] / f_star:.1e} "
                    f"| {after[0] / f_star:.1e} | {after[0] / tol**2:.2f} "
                    f"| {before[1]} | {after[1]} | {before[2]:.3f} | {after[2]:.3f} |",
                    flush=True,
                )
        print()


if __name__ == "__main__":
    main()
