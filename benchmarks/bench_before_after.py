"""SoftmaxRegression now against an older checkout of itself, side by side.

For a change that should not change speed (a reorganisation of the code):
both versions are imported into one process (the old package under another
name) and their fits interleaved, alternating which goes first, BLAS on
one thread, so the machine's drift hits both alike.  Prints the median
times, their ratio and whether ``coef_`` is bit-identical.

    git worktree add /tmp/before <commit>
    python benchmarks/bench_before_after.py /tmp/before \\
        --datasets digits pendigits --repeats 11 --tols 1e-4 1e-8

For a change of speed, ``--gap`` times each version at its own loosest
tol in ``--tols`` whose fit reaches that relative objective gap
(``--f-star``, one per data set, as ``bench_fit.py`` takes it), the
figure ``bench_fit.py`` reports, side by side:

    python benchmarks/bench_before_after.py /tmp/before \\
        --datasets synthetic-small vietnam-health --repeats 15 \\
        --tols 1e-1 1e-2 1e-3 1e-4 --gap 1e-6 \\
        --f-star 0.649381293722609 1.73796435838112
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import datasets
import numpy as np
from bench_fit import Problem
from threadpoolctl import threadpool_limits

import softmax_regression as current

OLD_NAME = "softmax_regression_before"


def import_old(checkout: Path):
    """The package of ``checkout`` under the name :data:`OLD_NAME` (its
    imports are relative, so a renamed copy imports itself)."""
    folder = Path(tempfile.mkdtemp())
    shutil.copytree(checkout / "softmax_regression", folder / OLD_NAME)
    sys.path.insert(0, str(folder))
    return importlib.import_module(OLD_NAME)


def timed_fit(package, X, y, tol: float):
    with threadpool_limits(1, user_api="blas"):
        start = time.perf_counter()
        model = package.SoftmaxRegression(alpha=1e-4, tol=tol).fit(X, y)
        return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="the older checkout's root")
    parser.add_argument("--datasets", nargs="+", default=["digits", "pendigits"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tols", nargs="+", type=float, default=[1e-4])
    parser.add_argument(
        "--gap", type=float, help="time each version to this relative gap"
    )
    parser.add_argument("--f-star", nargs="+", type=float, help="F* per data set")
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    versions = {"before": import_old(options.checkout), "after": current}
    print(f"python benchmarks/bench_before_after.py {' '.join(sys.argv[1:])}")
    if options.gap is not None:
        if len(options.f_star or []) != len(options.datasets):
            parser.error("--gap needs one --f-star per data set")
        time_to_gap(versions, options)
        return
    print("| set | tol | solver | before s | after s | after / before | coef_ same |")
    print("|---|---|---|---|---|---|---|")
    for name in options.datasets:
        X, y = datasets.load(name)
        for tol in options.tols:
            times = {label: [] for label in versions}
            coefs = {}
            for repeat in range(options.repeats):
                order = list(versions) if repeat % 2 == 0 else list(versions)[::-1]
                for label in order:
                    seconds, model = timed_fit(versions[label], X, y, tol)
                    times[label].append(seconds)
                    coefs[label] = model.coef_
            before, after = (float(np.median(times[label])) for label in versions)
            same = np.array_equal(coefs["before"], coefs["after"])
            print(
                f"| {name} | {tol:.0e} | {model._solver} | {before:.3f} | "
                f"{after:.3f} | {after / before:.3f} | {same} |",
                flush=True,
            )


def time_to_gap(versions: dict, options) -> None:
    """Each version at its own loosest tol reaching ``options.gap``, timed
    side by side."""
    print(
        "| set | before: tol, gap, iters | after: tol, gap, iters "
        "| before s | after s | after / before |"
    )
    print("|---|---|---|---|---|---|")
    for name, f_star in zip(options.datasets, options.f_star, strict=True):
        problem = Problem(name, 1e-4, float32=False)
        X, y = problem.X, problem.y
        chosen = {}
        for label, package in versions.items():
            for tol in sorted(options.tols, reverse=True):
                _, model = timed_fit(package, X, y, tol)
                value = problem.objective(model.coef_, model.intercept_, model.classes_)
                gap = (value - f_star) / f_star
                if gap <= options.gap:
                    break
            chosen[label] = (tol, gap, model.n_iter_)
        times = {label: [] for label in versions}
        for repeat in range(options.repeats):
            order = list(versions) if repeat % 2 == 0 else list(versions)[::-1]
            for label in order:
                seconds, _ = timed_fit(versions[label], X, y, chosen[label][0])
                times[label].append(seconds)
        before, after = (float(np.median(times[label])) for label in versions)
        cells = [
            f"{tol:.0e}, {gap:.1e}, {n_iter}"
            for tol, gap, n_iter in (chosen[label] for label in versions)
        ]
        print(
            f"| {name} | {cells[0]} | {cells[1]} | {before:.4f} | {after:.4f} "
            f"| {after / before:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
