"""Where the full Hessian pays: the calibration of ``solver="auto"``.

``"auto"`` takes ``"newton-cholesky"`` when the conjugate-gradient steps a
Newton step needs on the features (``m``, from the spectrum of their scaled
second moments: ``softmax_regression._loss.newton_cg_steps``) exceed a share
of the full Hessian's cost in Hessian-vector products (``h = (K+1)(d+2)/8``).
This script measures both sides on Gaussian features given raw-like scales
and offsets of growing spread, so that ``m`` grows while ``h`` stays, and
prints ``m``, ``h`` and each solver's time to its default ``tol`` (median of
``--repeats``, BLAS on one thread, ``alpha=1e-4``).

    python benchmarks/bench_auto_rule.py --shape 15000 40 20 \\
        --solvers newton-cholesky newton-cg --spreads 0:0 0.25:0.5 0.5:1
    python benchmarks/bench_auto_rule.py --shape 50000 40 20 \\
        --solvers newton-cholesky subsampled-newton \\
        --spreads 0.5:1 1:2 1:5 1.5:8 2:10 2:30

A spread ``s:o`` multiplies each feature by a log-normal scale of sigma
``s`` and adds a normal offset of standard deviation ``o`` (``0:0`` keeps
the standard Gaussian).  ``--max-iter`` bounds the slow solvers.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import datasets
import numpy as np
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import newton_cg_steps

ALPHA = 1e-4


def spread(X: np.ndarray, sigma: float, offset: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    d = X.shape[1]
    return X * rng.lognormal(0, sigma, d) + rng.normal(0, offset, d)


def timed_fit(X, y, solver: str, max_iter: int, repeats: int) -> tuple[float, int]:
    times = []
    for _ in range(repeats):
        with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model = SoftmaxRegression(
                solver=solver, alpha=ALPHA, max_iter=max_iter
            ).fit(X, y)
            times.append(time.perf_counter() - start)
    return float(np.median(times)), int(model.n_iter_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape", nargs=3, type=int, default=[20_000, 50, 5], metavar=("N", "D", "K")
    )
    parser.add_argument(
        "--solvers", nargs="+", default=["newton-cholesky", "newton-cg", "auto"]
    )
    parser.add_argument("--spreads", nargs="+", default=["0:0", "0.5:1", "1:5"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=300)
    options = parser.parse_args()
    n, d, k = options.shape
    print(f"python benchmarks/bench_auto_rule.py {' '.join(sys.argv[1:])}\n")
    header = ["spread", "m", "h", "m / h"] + [
        f"{solver} s (iters)" for solver in options.solvers
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    X0, y = datasets.load_synthetic(n, d, k)
    hessian_in_products = (k + 1) * (d + 2) / 8
    for text in options.spreads:
        sigma, offset = (float(part) for part in text.split(":"))
        X = spread(X0, sigma, offset)
        steps = newton_cg_steps(X, np.ones(n), True)
        cells = [text, str(steps), f"{hessian_in_products:.1f}"]
        cells.append(f"{steps / hessian_in_products:.2f}")
        for solver in options.solvers:
            seconds, iters = timed_fit(X, y, solver, options.max_iter, options.repeats)
            cells.append(f"{seconds:.3f} ({iters})")
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
