"""Time to solve the elastic-net problem: fista and prox-newton vs saga.

On one data set (standardised digits by default) with ``l1_ratio`` and
``alpha``, fits SoftmaxRegression with each proximal solver at ``--tol``
(median of ``--repeats`` fits) and scikit-learn's saga, the one scikit-learn
solver for the multinomial elastic net, at a decreasing sequence of tols
(one fit each: saga needs minutes), on the same objective
(``C = 1 / (alpha n)``), and reports time, iterations and the relative gap
to the best objective value seen.  Every fit runs inside
``threadpool_limits(1, "blas")``.

Run ``python benchmarks/bench_sparse.py --out benchmarks/results_sparse.md``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from datasets import load
from machine import machine_info, markdown_header, markdown_table
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression, cross_entropy


def objective(coef, intercept, X, y_index, alpha, l1_ratio) -> float:
    penalty = 0.5 * (1 - l1_ratio) * np.sum(coef**2) + l1_ratio * np.sum(np.abs(coef))
    return cross_entropy(X @ coef.T + intercept, y_index) + alpha * penalty


def timed(make, X, y, repeats: int):
    times, model = [], None
    for _ in range(repeats):
        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model = make().fit(X, y)
            times.append(time.perf_counter() - start)
    return float(np.median(times)), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--l1-ratio", type=float, default=0.5)
    parser.add_argument("--tol", type=float, default=1e-8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--saga-tols", type=float, nargs="*", default=[1e-3, 1e-4, 1e-5, 1e-6]
    )
    parser.add_argument("--raw", action="store_true", help="keep the features unscaled")
    parser.add_argument("--out", help="append the markdown section to this file")
    args = parser.parse_args()

    X, y = load(args.dataset)
    if not args.raw:
        X = StandardScaler().fit_transform(X)
    classes, y_index = np.unique(y, return_inverse=True)
    alpha, ratio = args.alpha, args.l1_ratio
    rows = []
    for solver in ("fista", "prox-newton"):
        seconds, model = timed(
            lambda solver=solver: SoftmaxRegression(
                alpha=alpha, l1_ratio=ratio, solver=solver, tol=args.tol, max_iter=10**6
            ),
            X,
            y,
            args.repeats,
        )
        value = objective(model.coef_, model.intercept_, X, y_index, alpha, ratio)
        rows.append(
            [f"softmax_regression {solver}", args.tol, seconds, model.n_iter_, value]
        )
    for tol in args.saga_tols:
        seconds, model = timed(
            lambda tol=tol: LogisticRegression(
                C=1 / (alpha * len(y)),
                l1_ratio=ratio,
                solver="saga",
                tol=tol,
                max_iter=10**6,
            ),
            X,
            y,
            1,
        )
        value = objective(model.coef_, model.intercept_, X, y_index, alpha, ratio)
        rows.append(["sklearn saga", tol, seconds, int(model.n_iter_[0]), value])
    best = min(row[-1] for row in rows)
    table = markdown_table(
        ["estimator", "tol", "seconds", "iters", "objective", "relative gap"],
        [
            [
                name,
                f"{tol:g}",
                f"{s:.3f}",
                str(it),
                f"{v:.15g}",
                f"{(v - best) / best:.1e}",
            ]
            for name, tol, s, it, v in rows
        ],
    )
    section = (
        markdown_header(
            machine_info(),
            "bench_sparse",
            [
                f"data: {args.dataset} {'raw' if args.raw else 'standardised'}, "
                f"{X.shape[0]} x {X.shape[1]}, "
                f"{len(classes)} classes",
                f"objective: mean CE + alpha ((1 - r)/2 ||W||^2 + r ||W||_1), "
                f"alpha = {alpha:g}, r = {ratio:g}; saga C = 1 / (alpha n)",
                f"time: median of {args.repeats} fits for softmax_regression, "
                "one fit per tol for saga; threadpool_limits(1, 'blas')",
                "gap: (F - best F in the table) / best F",
            ],
        )
        + "\n"
        + table
        + "\n"
    )
    print(section)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + section)


if __name__ == "__main__":
    main()
