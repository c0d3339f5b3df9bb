"""Benchmark of :func:`softmax_regression.inference` against statsmodels.

Not a timed test: run ``python benchmarks/bench_inference.py`` from the
project root and copy the table into ``benchmarks/results_inference.md``.

* Satellite-shaped data (6,435 x 36, 6 classes, synthetic: the Satellite
  set itself needs a download) and digits on 6 central pixels (1,797 x 6, 10
  classes; pendigits is quasi-separated, which ``inference`` reports):
  our ``inference`` (the newton-cholesky fit, and the inference after it)
  against ``MNLogit(...).fit(method="newton")`` and its ``.bse``, with the
  largest relative difference of the standard errors.
* Fashion-MNIST (the first 10,000 training rows x 784, 10 classes, 7,850
  parameters: 2.8 GiB for the full matrix): ``features=`` two pixels, by
  conjugate gradients, on an L2-penalised fit (all 60,000 rows take about
  six times as long).

Each timing is the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from datasets import load, load_synthetic

from softmax_regression import SoftmaxRegression, inference


def median_time(function, repeats: int):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), value


def against_statsmodels(name, X, y, repeats):
    import statsmodels.api as sm

    fit_time, model = median_time(
        lambda: SoftmaxRegression(
            alpha=0, tol=1e-10, solver="newton-cholesky", max_iter=200
        ).fit(X, y),
        repeats,
    )
    inference_time, result = median_time(
        lambda: inference(model, X, y, reference=model.classes_[0]), repeats
    )
    exog = sm.add_constant(X)

    def mnlogit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = sm.MNLogit(y, exog).fit(method="newton", maxiter=100, disp=0)
            return fitted, fitted.bse

    sm_time, (_, bse) = median_time(mnlogit, repeats)
    ours = np.column_stack([result.intercept_se, result.coef_se]).T
    difference = float(np.max(np.abs(ours - bse) / np.abs(bse)))
    return (
        f"| {name} | {X.shape[0]:,} x {X.shape[1]}, {len(model.classes_)} classes "
        f"| {fit_time:.3f} | {inference_time:.3f} | {fit_time + inference_time:.3f} "
        f"| {sm_time:.3f} | {difference:.1e} |"
    )


def fashion_subset(repeats, n_features, n_rows):
    X, y = load("fashion-mnist")
    X, y = X[:n_rows], y[:n_rows]
    start = time.perf_counter()
    model = SoftmaxRegression(alpha=1e-2, tol=1e-6, solver="newton-cg").fit(X, y)
    fit_time = time.perf_counter() - start
    pixels = [14 * 28 + 14 + 3 * j for j in range(n_features)]  # near the centre
    seconds, result = median_time(
        lambda: inference(model, X, y, features=pixels), repeats
    )
    return (
        f"| fashion-mnist, alpha=1e-2 | {X.shape[0]:,} x {X.shape[1]} | "
        f"{n_features} pixels ({result.cov.shape[0]} parameters) | {fit_time:.1f} "
        f"| {seconds:.2f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fashion-features", type=int, default=2)
    parser.add_argument("--fashion-rows", type=int, default=10_000)
    parser.add_argument("--skip-fashion", action="store_true")
    args = parser.parse_args()
    print(
        "| data | shape | our fit (s) | our inference (s) | ours total (s) "
        "| MNLogit fit + bse (s) | max rel. diff. of SEs |"
    )
    print("|---|---|---|---|---|---|---|")
    X, y = load_synthetic(6435, 36, 6, seed=0)
    print(against_statsmodels("Satellite-shaped (synthetic)", X, y, args.repeats))
    X, y = load("digits")
    X = X[:, [20, 21, 28, 36, 43, 44]]
    print(against_statsmodels("digits, 6 pixels", X, y, args.repeats))
    if not args.skip_fashion:
        print()
        print("| data | shape | features= | fit (s) | inference (s) |")
        print("|---|---|---|---|---|")
        print(
            fashion_subset(
                max(1, args.repeats // 2), args.fashion_features, args.fashion_rows
            )
        )


if __name__ == "__main__":
    main()
