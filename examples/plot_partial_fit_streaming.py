"""Learning from a stream: ``partial_fit`` against the batch fit.

Fashion-MNIST's 60,000 training images arrive in 60 batches of 1,000, each
seen once: :meth:`~softmax_regression.SoftmaxRegression.partial_fit` takes
one pass of mini-batch SGD over each batch and the batch is gone.  We follow
the test accuracy (10,000 images) after every batch, for two settings of
the streaming optimiser:

* the defaults (Adam, ``learning_rate_init=1e-3``, mini-batches of 200);
* mini-batches of 100, ``learning_rate_init=1e-2`` and ``average=True``:
  the reported coefficients are the running mean of the iterates, which
  removes most of the noise a constant step leaves in the last one.

The dashed line is the batch fit, the optimum of the same objective
(``alpha=1e-4``) from all 60,000 images at once.  The right panel shows
``loss_curve_``, the mean mini-batch objective of each ``partial_fit`` call,
against the batch optimum's objective.

The data are read from ``../shared/data/fashion-mnist`` beside the project
checkout.  Run ``python examples/plot_partial_fit_streaming.py --save`` to
write the figure to ``docs/_static/plot_partial_fit_streaming.png``.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from softmax_regression import SoftmaxRegression

ALPHA = 1e-4
BATCH = 1_000
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"
FIGURE_PATH = ROOT / "docs" / "_static" / "plot_partial_fit_streaming.png"
SETTINGS = {
    "defaults (Adam, lr 1e-3)": {},
    "batch_size=100, lr 1e-2, average=True": dict(
        batch_size=100, learning_rate_init=1e-2, average=True
    ),
}


def load(split: str):
    """Images as float32 pixels in [0, 1], and labels."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(DATA / f"{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    with gzip.open(DATA / f"{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return images.reshape(-1, 784).astype(np.float32) / 255, labels.astype(int)


def objective(model, X, y) -> float:
    """Mean cross-entropy plus ``alpha / 2 ||W||^2``."""
    log_proba = model.predict_log_proba(X)
    penalty = model.alpha / 2 * float(np.sum(model.coef_.astype(float) ** 2))
    return -float(np.mean(log_proba[np.arange(len(y)), y])) + penalty


def stream(X, y, X_test, y_test, **settings):
    """One pass of partial_fit; test accuracy after each batch, and time."""
    model = SoftmaxRegression(alpha=ALPHA, random_state=0, **settings)
    accuracy, seconds = [], 0.0
    for start in range(0, len(y), BATCH):
        tic = time.perf_counter()
        model.partial_fit(
            X[start : start + BATCH], y[start : start + BATCH], classes=np.arange(10)
        )
        seconds += time.perf_counter() - tic
        accuracy.append(model.score(X_test, y_test))
    return model, np.array(accuracy), seconds


def run():
    X, y = load("train")
    X_test, y_test = load("test")
    streamed = {name: stream(X, y, X_test, y_test, **s) for name, s in SETTINGS.items()}
    tic = time.perf_counter()
    batch = SoftmaxRegression(alpha=ALPHA, tol=1e-3).fit(X, y)
    batch_seconds = time.perf_counter() - tic
    batch_accuracy = batch.score(X_test, y_test)
    return streamed, batch_accuracy, batch_seconds, objective(batch, X, y)


def make_figure(streamed, batch_accuracy, batch_seconds, batch_objective) -> Figure:
    fig = Figure(figsize=(12, 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax_acc, ax_loss = fig.subplots(1, 2)
    for name, (model, accuracy, seconds) in streamed.items():
        seen = BATCH * np.arange(1, len(accuracy) + 1)
        ax_acc.plot(seen, accuracy, label=f"partial_fit, {name}: {seconds:.1f} s")
        ax_loss.plot(seen, model.loss_curve_, label=name)
    ax_acc.axhline(
        batch_accuracy,
        color="black",
        linestyle="--",
        label=f"batch fit: {batch_accuracy:.3f}, {batch_seconds:.1f} s",
    )
    ax_acc.set_ylim(0.6, 0.87)
    ax_acc.set_xlabel("training images seen (each once)")
    ax_acc.set_ylabel("test accuracy")
    ax_acc.legend(fontsize=8, loc="lower right")
    ax_loss.axhline(
        batch_objective, color="black", linestyle="--", label="batch optimum"
    )
    ax_loss.set_ylim(0.3, 1.0)
    ax_loss.set_xlabel("training images seen (each once)")
    ax_loss.set_ylabel("loss_curve_ (mean mini-batch objective per call)")
    ax_loss.legend(fontsize=8)
    fig.suptitle(
        f"Fashion-MNIST streamed in batches of {BATCH:,}: one pass of partial_fit "
        f"against the batch fit (alpha={ALPHA:g})"
    )
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--save", action="store_true", help=f"write the figure to {FIGURE_PATH}"
    )
    args = parser.parse_args()
    streamed, batch_accuracy, batch_seconds, batch_objective = run()
    for name, (_, accuracy, seconds) in streamed.items():
        print(f"partial_fit, {name}: accuracy {accuracy[-1]:.4f} in {seconds:.1f} s")
    print(f"batch fit: accuracy {batch_accuracy:.4f} in {batch_seconds:.1f} s")
    fig = make_figure(streamed, batch_accuracy, batch_seconds, batch_objective)
    if args.save:
        FIGURE_PATH.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(FIGURE_PATH, dpi=80)
        print(f"figure written to {FIGURE_PATH}")
    else:
        print("figure not saved; pass --save to write it")


if __name__ == "__main__":
    main()
