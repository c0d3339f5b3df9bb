"""SoftmaxRegression on a Dask LocalCluster: iteration cost, memory, scaling.

Run (the issue's full size, 20,000,000 x 100 float32 = 8 GB, needs a
machine with the cores and memory for it)::

    python benchmarks/bench_dask.py --rows 20000000 --compare-rows 2000000

and a small version for a laptop or a shared 2-core machine::

    python benchmarks/bench_dask.py --rows 400000 --compare-rows 200000

The data are generated lazily, chunk by chunk, from a seed (features
N(0, 1), labels drawn from a fixed random softmax model), so no chunk
exists anywhere before a worker makes it.  Three measurements:

1. **Large fit** (``--rows``) on a ``LocalCluster`` of ``--workers``
   single-threaded worker processes: total fit time, solver iterations,
   time per iteration and each worker's peak resident memory
   (``ru_maxrss`` of the worker process).
2. **Overhead** (``--compare-rows``): the median time of one
   loss-and-gradient evaluation in memory (``MultinomialLoss`` on the
   whole array, one thread) and on the cluster (``DaskMultinomialLoss``),
   and their ratio (the issue's target: Dask <= 1.5x in-memory).
3. **Scaling**: the same evaluation on 1 and on 2 workers, and the
   throughput ratio (target >= 1.6x).
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster
from machine import machine_info
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression
from softmax_regression._dask import (
    DaskMultinomialLoss,
    dask_objective,
    persist_dask_data,
)
from softmax_regression._fitting import FitConfig
from softmax_regression._loss import MultinomialLoss


def _block(seed: int, index: int, rows: int, n_features: int, n_classes: int):
    """Chunk ``index`` of the synthetic problem: features and labels."""
    truth = np.random.default_rng(seed).normal(size=(n_classes, n_features))
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((rows, n_features), dtype=np.float32)
    logits = X @ truth.T / np.sqrt(n_features)
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    draws = rng.random(rows)[:, None]
    y = (proba.cumsum(axis=1) < draws).sum(axis=1).clip(0, n_classes - 1)
    return X, y


def lazy_problem(n_rows, n_features, n_classes, chunk_rows, seed=0):
    """Dask arrays X (float32) and y, each chunk generated on demand."""
    make = dask.delayed(_block, nout=2, pure=True)
    X_parts, y_parts = [], []
    for index, start in enumerate(range(0, n_rows, chunk_rows)):
        rows = min(chunk_rows, n_rows - start)
        X_block, y_block = make(seed, index, rows, n_features, n_classes)
        X_parts.append(da.from_delayed(X_block, (rows, n_features), np.float32))
        y_parts.append(da.from_delayed(y_block, (rows,), np.int64))
    return da.concatenate(X_parts), da.concatenate(y_parts)


def _median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cluster(n_workers: int) -> tuple[LocalCluster, Client]:
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=0,
    )
    return cluster, Client(cluster)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def _timed_evaluations():
    """Record the wall time of every distributed evaluation in a list."""
    seconds: list[float] = []
    reduce = DaskMultinomialLoss.reduce
    hessp_state = DaskMultinomialLoss.gradient_hessp

    def timed(function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            result = function(*args, **kwargs)
            seconds.append(time.perf_counter() - start)
            return result

        return wrapper

    def timed_state(self, w):
        *parts, hessp = timed(hessp_state)(self, w)
        return (*parts, timed(hessp))

    DaskMultinomialLoss.reduce = timed(reduce)
    DaskMultinomialLoss.gradient_hessp = timed_state
    try:
        yield seconds
    finally:
        DaskMultinomialLoss.reduce = reduce
        DaskMultinomialLoss.gradient_hessp = hessp_state


def large_fit(args) -> None:
    cluster, client = _cluster(args.workers)
    with cluster, client:
        X, y = lazy_problem(
            args.rows, args.features, args.classes, args.chunk_rows, args.seed
        )
        model = SoftmaxRegression(
            solver=args.solver, alpha=args.alpha, tol=args.tol, max_iter=args.max_iter
        )
        start = time.perf_counter()
        with _timed_evaluations() as evaluations:
            model.fit(X, y)
        total = time.perf_counter() - start
        peaks = client.run(_peak_rss_mib)
    print(
        f"large fit: {args.rows:,} x {args.features} float32 "
        f"({args.rows * args.features * 4 / 2**30:.2f} GiB), {args.classes} "
        f"classes, chunks of {args.chunk_rows:,} rows, {args.workers} workers, "
        f"solver={args.solver}"
    )
    print(
        f"  total fit {total:.2f} s, {model.n_iter_} iterations, "
        f"{total / max(model.n_iter_, 1):.3f} s per iteration (including the "
        "data generation, validation pass and line searches)"
    )
    print(
        f"  {len(evaluations)} distributed evaluations (loss and gradient, "
        f"Hessian diagonal or products), median {statistics.median(evaluations):.3f} s "
        f"each, {sum(evaluations):.2f} s in all"
    )
    for address, peak in sorted(peaks.items()):
        print(f"  worker {address}: peak RSS {peak:.0f} MiB")


def _evaluation_time(n_workers: int, X, y, w: np.ndarray, repeats: int) -> float:
    cluster, client = _cluster(n_workers)
    with cluster, client:
        config = FitConfig.from_params(SoftmaxRegression().get_params())
        objective, _ = dask_objective(config, persist_dask_data(X, y))
        objective.loss.value_and_grad(w)  # warm: imports and first transfer
        return _median_seconds(lambda: objective.loss.value_and_grad(w), repeats)


def overhead_and_scaling(args) -> None:
    X, y = lazy_problem(
        args.compare_rows, args.features, args.classes, args.chunk_rows, args.seed
    )
    X_memory, y_memory = dask.compute(X, y, scheduler="threads")
    weight = np.ones(args.compare_rows)
    loss = MultinomialLoss(X_memory, y_memory, weight, args.classes)
    w = np.random.default_rng(1).normal(size=loss.n_params) * 0.01
    with threadpool_limits(1, user_api="blas"):
        loss.value_and_grad(w)
        memory = _median_seconds(lambda: loss.value_and_grad(w), args.repeats)
    on_workers = {
        n: _evaluation_time(n, X, y, w, args.repeats) for n in sorted({1, args.workers})
    }
    print(
        f"one loss-and-gradient evaluation, {args.compare_rows:,} x "
        f"{args.features} float32, median of {args.repeats}:"
    )
    print(f"  in memory (1 thread):  {memory * 1e3:8.1f} ms")
    for n, seconds in on_workers.items():
        print(
            f"  Dask, {n} worker(s):     {seconds * 1e3:8.1f} ms  "
            f"({seconds / memory:.2f}x in-memory)"
        )
    if args.workers > 1:
        ratio = on_workers[1] / on_workers[args.workers]
        print(f"  throughput {args.workers} vs 1 worker: {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--compare-rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solver", default="lbfgs", choices=["lbfgs", "newton-cg"])
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for key, value in machine_info().items():
        print(f"{key}: {value}")
    large_fit(args)
    overhead_and_scaling(args)


if __name__ == "__main__":
    main()
