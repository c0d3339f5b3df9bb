"""Cost of the loss kernel against one read of X, and peak memory of a fit.

Run (about two minutes)::

    python benchmarks/bench_kernel.py --out benchmarks/results.md

Kernel: one ``MultinomialLoss.value_and_grad(w)`` (and one ``hessp(w, v)``)
on dense synthetic data (200,000 x 100, 10 classes) and on the 20newsgroups
TF-IDF matrix (CSR, 20 classes; the loss reads it as CSC, as ``fit`` does
for wide sparse data), in float32 and float64, each the median of
``--runs`` calls, divided by the median time of one streaming read of X
(``X.sum()`` dense, ``X.data.sum()`` CSR): the ratio says how many reads of
X one evaluation costs.  scikit-learn's private
``LinearModelLoss.loss_gradient`` on the same data is timed for context.  If
``MultinomialLoss`` takes an ``n_jobs`` (or ``n_threads``) argument, 1 and 2
threads are timed, else only its default.  Everything runs inside
``threadpool_limits(--blas-threads, user_api="blas")`` (default 1, see
``bench_fit.py`` for why).

Memory: the peak of the memory numpy and Python allocate during
``SoftmaxRegression(max_iter=20).fit`` (tracemalloc; numpy reports its
buffers to it, BLAS's internal buffers are not seen), beyond what was
allocated before, divided by the bytes of X, for dense float64 and CSR data;
scikit-learn's ``LogisticRegression(max_iter=20)`` for comparison.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
import tracemalloc
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from datasets import describe, load
from machine import machine_info, markdown_header, markdown_table
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import MultinomialLoss, column_layout_pays

DATASETS = {"dense": "synthetic", "sparse": "20newsgroups"}


def median_seconds(func, runs: int) -> float:
    """Median wall time of ``func()`` over ``runs`` calls, after one warm-up."""
    func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def x_nbytes(X) -> int:
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def read_once(X):
    """One streaming pass over the stored values of X."""
    return (lambda: X.data.sum()) if sp.issparse(X) else (lambda: X.sum())


def thread_keyword() -> str | None:
    """MultinomialLoss's thread-count argument (``n_jobs`` or ``n_threads``),
    or None when it has none."""
    parameters = inspect.signature(MultinomialLoss).parameters
    for name in ("n_jobs", "n_threads"):
        if name in parameters:
            return name
    return None


def loss_thread_options() -> list[int | None]:
    """``[1, 2]`` if MultinomialLoss takes a thread count, else ``[None]``."""
    return [None] if thread_keyword() is None else [1, 2]


def sklearn_loss_gradient(X, y_index, n_classes: int):
    """scikit-learn's fused multinomial loss and gradient, or None."""
    try:
        from sklearn._loss.loss import HalfMultinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss
    except ImportError:
        return None
    linear_loss = LinearModelLoss(
        base_loss=HalfMultinomialLoss(n_classes=n_classes), fit_intercept=True
    )
    rng = np.random.default_rng(1)
    coef = (0.01 * rng.standard_normal((n_classes, X.shape[1] + 1))).astype(X.dtype)
    target = y_index.astype(X.dtype)

    def run():
        return linear_loss.loss_gradient(
            coef, X, target, sample_weight=None, l2_reg_strength=0.0, n_threads=1
        )

    return run


def kernel_rows(runs: int, log) -> list[list[str]]:
    rows = []
    for kind, name in DATASETS.items():
        X64, y = load(name)
        _, y_index = np.unique(y, return_inverse=True)
        n_classes = int(y_index.max()) + 1
        weight = np.ones(X64.shape[0])
        for dtype in (np.float32, np.float64):
            X = X64.astype(dtype)
            read = median_seconds(read_once(X), runs)
            log(f"{name} {np.dtype(dtype).name}: read {read * 1e3:.2f} ms")
            # the layout fit gives the loss: wide CSR data is read as CSC
            by_columns = column_layout_pays(X, n_classes)
            X_loss = X.tocsc() if by_columns else X
            label = f"{name} ({kind}{', read as CSC' if by_columns else ''})"
            for n_jobs in loss_thread_options():
                extra = {} if n_jobs is None else {thread_keyword(): n_jobs}
                loss = MultinomialLoss(
                    X_loss, y_index, weight, n_classes, fit_intercept=True, **extra
                )
                rng = np.random.default_rng(0)
                w = 0.01 * rng.standard_normal(loss.n_params)
                v = rng.standard_normal(loss.n_params)
                grad = median_seconds(partial(loss.value_and_grad, w), runs)
                hessp = median_seconds(partial(loss.hessp, w, v), runs)
                rows.append(
                    [
                        label,
                        np.dtype(dtype).name,
                        "default" if n_jobs is None else str(n_jobs),
                        f"{read * 1e3:.2f}",
                        f"{grad * 1e3:.2f}",
                        f"{grad / read:.1f}",
                        f"{hessp * 1e3:.2f}",
                        f"{hessp / read:.1f}",
                    ]
                )
                log("  " + " | ".join(rows[-1]))
            reference = sklearn_loss_gradient(X, y_index, n_classes)
            if reference is not None:
                seconds = median_seconds(reference, runs)
                rows.append(
                    [
                        f"{name} ({kind})",
                        np.dtype(dtype).name,
                        "sklearn LinearModelLoss",
                        f"{read * 1e3:.2f}",
                        f"{seconds * 1e3:.2f}",
                        f"{seconds / read:.1f}",
                        "-",
                        "-",
                    ]
                )
                log("  " + " | ".join(rows[-1]))
    return rows


def peak_bytes(fit) -> int:
    """Peak traced allocation during ``fit()`` beyond what was live before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fit()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before


def memory_rows(log) -> list[list[str]]:
    from sklearn.linear_model import LogisticRegression

    rows = []
    for kind, name in DATASETS.items():
        X, y = load(name)
        size = x_nbytes(X)
        estimators = {
            "SoftmaxRegression(max_iter=20)": SoftmaxRegression(max_iter=20),
            "sklearn LogisticRegression(max_iter=20)": LogisticRegression(max_iter=20),
        }
        for label, estimator in estimators.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                peak = peak_bytes(partial(estimator.fit, X, y))
            rows.append(
                [
                    f"{name} ({kind}, {X.dtype})",
                    label,
                    f"{size / 2**20:.1f}",
                    f"{peak / 2**20:.1f}",
                    f"{peak / size:.2f}",
                ]
            )
            log("  " + " | ".join(rows[-1]))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="markdown file to append to")
    options = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    info = machine_info()
    described = [f"{name}: {describe(*load(name))}" for name in DATASETS.values()]
    settings = [
        *described,
        f"median of {options.runs} calls after one warm-up, inside "
        f'threadpool_limits({options.blas_threads}, user_api="blas")',
        "ratio = kernel time / one streaming read of X (X.sum() dense, "
        "X.data.sum() CSR)",
        "MultinomialLoss threads: "
        + (
            f"{thread_keyword()} = 1 and 2"
            if thread_keyword()
            else "no n_jobs / n_threads parameter: its default only"
        ),
    ]
    with threadpool_limits(limits=options.blas_threads, user_api="blas"):
        kernels = markdown_table(
            [
                "data",
                "dtype",
                "threads",
                "read ms",
                "value_and_grad ms",
                "/ read",
                "hessp ms",
                "/ read",
            ],
            kernel_rows(options.runs, log),
        )
        memory = markdown_table(
            ["data", "fit", "X MiB", "peak extra MiB", "peak / X"],
            memory_rows(log),
        )
    text = (
        markdown_header(info, "bench_kernel", settings)
        + "\n### One loss evaluation against one read of X\n\n"
        + kernels
        + "\n### Peak traced memory of a fit, beyond X\n\n"
        + memory
    )
    print(text)
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        with options.out.open("a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    sys.exit(main())
