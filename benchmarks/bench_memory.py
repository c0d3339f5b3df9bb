"""Peak memory a fit allocates beyond its data, against the size of X.

Run::

    python benchmarks/bench_memory.py --datasets synthetic fashion-mnist

For each data set and estimator, the data are loaded first, then one fit
runs under :mod:`tracemalloc` (``bench_kernel.peak_bytes``; numpy
reports its buffers to it), at the
tolerance that reaches a 1e-6 objective gap in ``results_subsampled.md``.
The peak of the traced memory during the fit, less what was allocated
before it, is printed in MiB, as a share of X's bytes (a sparse matrix's
values, indices and row pointers) and in float64 parameter vectors
(``K (d + 1)`` entries: the issue's memory bound allows ``O(K d)``).
"""

from __future__ import annotations

import argparse
import warnings
from functools import partial

import numpy as np
from bench_kernel import peak_bytes
from datasets import LOADERS, load
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression

#: (label, estimator factory from n_samples and alpha, tol per data set)
ESTIMATORS = {
    "softmax_regression auto": lambda n, alpha, tol: SoftmaxRegression(
        alpha=alpha, tol=tol
    ),
    "softmax_regression newton-cg": lambda n, alpha, tol: SoftmaxRegression(
        alpha=alpha, solver="newton-cg", tol=tol
    ),
    "sklearn newton-cg": lambda n, alpha, tol: LogisticRegression(
        C=1 / (alpha * n), solver="newton-cg", tol=tol, max_iter=10_000
    ),
}


def matrix_bytes(X) -> int:
    """The bytes of a dense array, or of a sparse matrix's three arrays."""
    if hasattr(X, "nbytes"):
        return X.nbytes
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


def peak_mib(estimator, X, y) -> float:
    """Peak traced MiB allocated while ``estimator`` fits ``(X, y)``."""
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return peak_bytes(partial(estimator.fit, X, y)) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=list(LOADERS))
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--tol", type=float, default=1e-5)
    options = parser.parse_args()
    print(
        "| set | X (MiB) | estimator | peak beyond X (MiB) | share of X "
        "| parameter vectors |"
    )
    print("|---|---|---|---|---|---|")
    for name in options.datasets:
        X, y = load(name)
        x_mib = matrix_bytes(X) / 2**20
        vector_mib = len(np.unique(y)) * (X.shape[1] + 1) * 8 / 2**20
        for label, make in ESTIMATORS.items():
            mib = peak_mib(make(X.shape[0], options.alpha, options.tol), X, y)
            print(
                f"| {name} | {x_mib:.0f} | {label} | {mib:.1f} | "
                f"{mib / x_mib:.1%} | {mib / vector_mib:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
