"""How close the streaming optimiser's settings get to the batch optimum.

Two measurements of the issue that set the defaults of ``solver="sgd"`` and
``partial_fit``:

* standardised wine, ``alpha=1e-2``: 300 epochs of ``partial_fit`` in 6
  batches (a new random split each epoch), then the largest difference of
  ``predict_proba`` from the batch optimum's;
* Fashion-MNIST, ``alpha=1e-4``: one pass of ``partial_fit`` in batches of
  1,000, then the test accuracy's distance below the batch fit's.

Each setting is run with ``--seeds`` random states::

    python benchmarks/bench_sgd_defaults.py \
        --out benchmarks/results_sgd_defaults.md
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
from datasets import load_fashion_mnist
from machine import append_lines
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression

SETTINGS = {
    "defaults (Adam 1e-2, polynomial average)": {},
    "Adam 1e-2, uniform average": dict(average=True),
    "Adam 1e-2, last iterate": dict(average=False),
    "earlier defaults (Adam 1e-3, last iterate)": dict(
        learning_rate_init=1e-3, average=False
    ),
}


def wine_gap(settings: dict, seed: int) -> float:
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    optimum = SoftmaxRegression(alpha=1e-2, tol=1e-12).fit(X, y).predict_proba(X)
    rng = np.random.default_rng(seed)
    model = SoftmaxRegression(alpha=1e-2, random_state=seed, **settings)
    for _ in range(300):
        for rows in np.array_split(rng.permutation(len(y)), 6):
            model.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    return float(np.abs(model.predict_proba(X) - optimum).max())


def fashion_points(settings: dict, seed: int, data, batch_accuracy: float) -> float:
    X, y, X_test, y_test = data
    model = SoftmaxRegression(alpha=1e-4, random_state=seed, **settings)
    for start in range(0, len(y), 1000):
        model.partial_fit(
            X[start : start + 1000], y[start : start + 1000], classes=np.arange(10)
        )
    return 100 * (batch_accuracy - model.score(X_test, y_test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    # float32, as the package's loader returns them by default
    train, test = (load_fashion_mnist(split, np.float32) for split in ("train", "test"))
    data = (*train, *test)
    X, y, X_test, y_test = data
    batch = SoftmaxRegression(alpha=1e-4, tol=1e-4).fit(X, y).score(X_test, y_test)
    lines = [
        f"Fashion-MNIST batch fit (tol 1e-4): test accuracy {batch:.4f}",
        "",
        "| setting | wine max abs dP (per seed) | Fashion-MNIST points below "
        "the batch fit (per seed) |",
        "|---|---|---|",
    ]
    for name, settings in SETTINGS.items():
        gaps = [wine_gap(settings, seed) for seed in options.seeds]
        points = [fashion_points(settings, seed, data, batch) for seed in options.seeds]
        lines.append(
            f"| {name} | {', '.join(f'{g:.4f}' for g in gaps)} | "
            f"{', '.join(f'{p:.2f}' for p in points)} |"
        )
        print(lines[-1], flush=True)
    append_lines(options.out, lines)


if __name__ == "__main__":
    main()
