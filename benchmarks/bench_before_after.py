"""SoftmaxRegression now against an older checkout of itself, side by side.

For a change that should not change speed (a reorganisation of the code):
both versions are imported into one process (the old package under another
name) and their fits interleaved, alternating which goes first, BLAS on
one thread, so the machine's drift hits both alike.  Prints the median
times, their ratio and whether ``coef_`` is bit-identical.

    git worktree add /tmp/before <commit>
    python benchmarks/bench_before_after.py /tmp/before \\
        --datasets digits pendigits --repeats 11 --tols 1e-4 1e-8
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
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    versions = {"before": import_old(options.checkout), "after": current}
    print(f"python benchmarks/bench_before_after.py {' '.join(sys.argv[1:])}")
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


if __name__ == "__main__":
    main()
