"""Cross-validated alpha: SoftmaxRegressionCV against GridSearchCV.

Run (about two minutes; add ``--out benchmarks/results.md`` to append the
section)::

    python benchmarks/bench_cv.py

On digits (standardised, 1797 x 64, 10 classes), both search the same 10
alphas with the same 5 stratified folds, the same ``tol`` and the negative
log loss, then refit on all the data at the best alpha:

- ``SoftmaxRegressionCV(alphas=alphas, cv=folds, tol=tol)``: per fold, one
  regularisation path, each alpha warm-started from the previous one;
- ``GridSearchCV(SoftmaxRegression(tol=tol), {"alpha": alphas},
  scoring="neg_log_loss", cv=folds)``: 50 independent cold fits.

Both run with ``n_jobs=1`` inside ``threadpool_limits(1, "blas")``; the time
is the median of ``--repeats`` runs of each (alternating), wall clock and CPU time (the
process's; everything runs in one thread, so it is what the fit costs even
when other processes share the machine).  The script prints both times,
their ratio, the chosen alphas and the difference of the best mean scores
(``best_score_``), and the total solver iterations of the folds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from machine import machine_info, markdown_header, markdown_table
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression, SoftmaxRegressionCV


def _fit_timed(estimator, X, y) -> tuple[float, float]:
    """Wall and CPU (process) seconds of ``estimator.fit(X, y)``."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    estimator.fit(X, y)
    return time.perf_counter() - start_wall, time.process_time() - start_cpu


def run(tol: float, repeats: int, alphas: np.ndarray, n_folds: int) -> list[str]:
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    folds = StratifiedKFold(n_folds)
    times = {"cv": [], "grid": []}
    with threadpool_limits(1, user_api="blas"):
        # alternate the two, so that both meet the same load on the machine
        for _ in range(repeats):
            cv = SoftmaxRegressionCV(alphas=alphas, cv=folds, tol=tol, n_jobs=1)
            times["cv"].append(_fit_timed(cv, X, y))
            grid = GridSearchCV(
                SoftmaxRegression(tol=tol),
                {"alpha": alphas},
                scoring="neg_log_loss",
                cv=folds,
                n_jobs=1,
            )
            times["grid"].append(_fit_timed(grid, X, y))
    (cv_time, cv_cpu), (grid_time, grid_cpu) = (
        [statistics.median(column) for column in zip(*times[key], strict=True)]
        for key in ("cv", "grid")
    )
    grid_iters = int(
        sum(
            SoftmaxRegression(tol=tol, alpha=alpha).fit(X[train], y[train]).n_iter_
            for alpha in alphas
            for train, _ in folds.split(X, y)
        )
    )
    return [
        f"{tol:g}",
        f"{cv_time:.3f}",
        f"{grid_time:.3f}",
        f"{grid_time / cv_time:.2f}",
        f"{cv_cpu:.3f}",
        f"{grid_cpu:.3f}",
        f"{grid_cpu / cv_cpu:.2f}",
        f"{cv.alpha_:.3g}",
        f"{grid.best_params_['alpha']:.3g}",
        f"{abs(cv.best_score_ - grid.best_score_):.1e}",
        f"{int(cv.n_iter_.sum())} / {grid_iters}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tols", type=float, nargs="+", default=[1e-4, 1e-6, 1e-7, 1e-8]
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, help="markdown file to append to")
    parser.add_argument("--note", default="", help="a line added to the section")
    args = parser.parse_args()
    alphas = np.logspace(-5, 0, 10)
    header = [
        "tol",
        "CV s",
        "GridSearchCV s",
        "speed-up",
        "CV cpu s",
        "GridSearchCV cpu s",
        "cpu speed-up",
        "CV alpha_",
        "GridSearchCV alpha",
        "|score diff|",
        "fold iters CV / grid",
    ]
    rows = []
    for tol in args.tols:
        rows.append(run(tol, args.repeats, alphas, args.folds))
        print(" | ".join(f"{h}: {c}" for h, c in zip(header, rows[-1], strict=True)))
    settings = [
        "data: digits, StandardScaler, 1797 x 64, 10 classes",
        f"grid: alphas = logspace(-5, 0, 10); cv = StratifiedKFold({args.folds}); "
        "score: negative log loss; both refit at the best alpha",
        f"time: median of {args.repeats} fits each, wall clock and CPU time of "
        "the process (robust to other load on the machine); n_jobs=1; every fit "
        "inside threadpool_limits(1, user_api='blas')",
        "|score diff|: |SoftmaxRegressionCV.best_score_ - GridSearchCV.best_score_|",
        "fold iters: total solver iterations of the 50 fold fits (warm path vs cold)",
    ]
    if args.note:
        settings.append(args.note)
    section = (
        markdown_header(machine_info(), "bench_cv", settings)
        + "\n"
        + markdown_table(header, rows)
    )
    print(section)
    if args.out:
        with args.out.open("a") as f:
            f.write("\n" + section)


if __name__ == "__main__":
    main()
