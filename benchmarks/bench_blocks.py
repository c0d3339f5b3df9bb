"""How the loss's row blocks change the cost of one pass over X.

One loss-and-gradient evaluation (``MultinomialLoss.value_and_grad``, the
unit every solver's cost is counted in), median of ``--repeats``, BLAS on
one thread, for each floor on the rows of a block (``MIN_BLOCK_ROWS``) and
each thread count::

    python benchmarks/bench_blocks.py --min-rows 64 1024 \
        --out benchmarks/results_blocks.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import datasets
import numpy as np
from machine import append_lines
from threadpoolctl import threadpool_limits

from softmax_regression._loss import MultinomialLoss, _kernels


def pass_time(X, target, n_classes: int, n_threads: int, repeats: int):
    loss = MultinomialLoss(
        X, target, np.ones(len(target)), n_classes, fit_intercept=True,
        n_threads=n_threads,
    )  # fmt: skip
    w = np.random.default_rng(0).standard_normal(loss.layout.n_params) * 0.01
    times = []
    with threadpool_limits(1, user_api="blas"):
        loss.value_and_grad(w)
        for _ in range(repeats):
            start = time.perf_counter()
            loss.value_and_grad(w)
            times.append(time.perf_counter() - start)
    return statistics.median(times), len(loss.blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sets = ["fashion-mnist", "synthetic", "synthetic-small", "pendigits", "digits"]
    parser.add_argument("--datasets", nargs="+", default=sets)
    parser.add_argument("--min-rows", nargs="+", type=int, default=[64, 1024])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    header = ["data set"] + [
        f"{rows} rows, {threads} thread{'s' * (threads > 1)}"
        for rows in options.min_rows
        for threads in options.threads
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in options.datasets:
        X, y = datasets.load(name)
        classes, target = np.unique(y, return_inverse=True)
        cells = [f"{name} {X.shape[0]} x {X.shape[1]}"]
        for rows in options.min_rows:
            _kernels.MIN_BLOCK_ROWS = rows
            for threads in options.threads:
                seconds, n_blocks = pass_time(
                    X, target, len(classes), threads, options.repeats
                )
                cells.append(f"{1000 * seconds:.1f} ms ({n_blocks} blocks)")
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    append_lines(options.out, lines)


if __name__ == "__main__":
    main()
