"""Which layout of the dense float64 logits makes a pass over X cheaper.

The loss computes each block's logits either class-major, ``W X_b^T``, or
sample-major, ``X_b W^T`` followed by a transposed copy
(``softmax_regression._loss._kernels.sample_major_pays`` decides).  For
random Gaussian data of ``--rows`` rows and every pair of feature and
class counts below, this script times one ``value_and_grad`` with each
layout, alternating them, BLAS on one thread, and prints the ratio of the
medians (sample-major over class-major: below 1, sample-major is faster)::

    python benchmarks/bench_logit_layout.py --out benchmarks/results_blocks.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from machine import append_lines
from threadpoolctl import threadpool_limits

from softmax_regression._loss import MultinomialLoss

FEATURES = [8, 12, 16, 20, 30, 50, 64, 80, 100, 150, 200, 300]
CLASSES = [3, 4, 5, 6, 8, 10, 12, 16, 20]


def layout_ratio(X, n_classes: int, budget: float) -> float:
    """Median ``value_and_grad`` time sample-major over class-major."""
    rng = np.random.default_rng(0)
    target = rng.integers(0, n_classes, X.shape[0])
    weight = np.ones(X.shape[0])
    losses = [MultinomialLoss(X, target, weight, n_classes) for _ in range(2)]
    losses[0]._sample_major, losses[1]._sample_major = True, False
    w = rng.normal(size=losses[0].n_params) * 0.01
    times: list[list[float]] = [[], []]
    # about ``budget`` seconds per cell, at least 5 alternations
    estimate = X.shape[0] * X.shape[1] * n_classes * 4e-9 + 1e-4
    for _ in range(max(5, int(budget / estimate))):
        for loss, record in zip(losses, times, strict=True):
            start = time.perf_counter()
            loss.value_and_grad(w)
            record.append(time.perf_counter() - start)
    return statistics.median(times[0]) / statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", nargs="+", type=int, default=FEATURES)
    parser.add_argument("--classes", nargs="+", type=int, default=CLASSES)
    parser.add_argument("--budget", type=float, default=0.15, help="seconds a cell")
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    rng = np.random.default_rng(1)
    lines = [
        f"value_and_grad, {options.rows} random rows, BLAS one thread: "
        "sample-major time over class-major (below 1: sample-major faster)",
        "",
        "| features \\ classes | " + " | ".join(map(str, options.classes)) + " |",
        "|---" * (len(options.classes) + 1) + "|",
    ]
    print("\n".join(lines))
    with threadpool_limits(1, user_api="blas"):
        for n_features in options.features:
            X = rng.normal(size=(options.rows, n_features))
            cells = [
                f"{layout_ratio(X, n_classes, options.budget):.2f}"
                for n_classes in options.classes
            ]
            lines.append(f"| {n_features} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    append_lines(options.out, lines)


if __name__ == "__main__":
    main()
