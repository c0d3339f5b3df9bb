"""Choosing alpha by cross-validation along the regularisation path.

:class:`~softmax_regression.SoftmaxRegressionCV` fits, on each of five
folds of the standardised digits, the whole grid of penalty strengths as one
path: from the strongest penalty to the weakest, each fit starting from the
previous solutions.  It scores each point on the held-out fold (negative log
loss by default), keeps the alpha with the best mean score and refits there
on all the training data.

The left panel shows the validation log loss of each fold and their mean:
too strong a penalty underfits (the model stays near the class frequencies),
too weak a one overfits (confident mistakes cost a lot of log loss).  The
right panel shows the path itself, from
:func:`~softmax_regression.softmax_regression_path` on the training data:
the norm of each class's coefficient row grows as alpha shrinks.

Run ``python examples/plot_cv_path.py --save`` to write the figure to
``docs/_static/plot_cv_path.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegressionCV, softmax_regression_path

ALPHAS = np.logspace(-5, 0, 16)
FIGURE_PATH = (
    Path(__file__).resolve().parent.parent / "docs" / "_static" / "plot_cv_path.png"
)


def fit_models():
    """The cross-validated model, the path on the training data, and the
    test data."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = SoftmaxRegressionCV(alphas=ALPHAS, cv=5, tol=1e-6).fit(X_train, y_train)
    path = softmax_regression_path(X_train, y_train, ALPHAS, tol=1e-6)
    return model, path, X_test, y_test


def make_figure(model, path, X_test, y_test) -> Figure:
    """Validation log loss against alpha, and the coefficient-norm path."""
    alphas = model.alphas_[0]
    losses = -model.scores_[:, 0, :]
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax_score, ax_path = fig.subplots(1, 2)

    for fold, fold_losses in enumerate(losses):
        ax_score.semilogx(
            alphas,
            fold_losses,
            color="tab:gray",
            linewidth=0.8,
            alpha=0.6,
            label="each fold" if fold == 0 else None,
        )
    ax_score.semilogx(
        alphas, losses.mean(axis=0), "o-", color="tab:blue", label="mean of folds"
    )
    ax_score.axvline(
        model.alpha_,
        color="tab:red",
        linestyle="--",
        label=f"chosen alpha_ = {model.alpha_:.2g}",
    )
    ax_score.set_xlabel("alpha")
    ax_score.set_ylabel("validation log loss")
    ax_score.set_title(
        f"5-fold CV on digits; test accuracy {model.score(X_test, y_test):.3f}"
    )
    ax_score.legend(fontsize=8)

    path_alphas, coefs, _, _ = path
    row_norms = np.linalg.norm(coefs, axis=2)  # (n_alphas, n_classes)
    for k, label in enumerate(model.classes_):
        ax_path.loglog(path_alphas, row_norms[:, k], linewidth=1, label=str(label))
    ax_path.axvline(model.alpha_, color="tab:red", linestyle="--")
    ax_path.set_xlabel("alpha")
    ax_path.set_ylabel("||W_k||, coefficient row norm of class k")
    ax_path.set_title("the regularisation path (training data)")
    ax_path.legend(title="class", fontsize=7, ncols=2)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--save", action="store_true", help=f"write the figure to {FIGURE_PATH}"
    )
    args = parser.parse_args()

    model, path, X_test, y_test = fit_models()
    print(
        f"chosen alpha: {model.alpha_:.3g} (mean validation log loss "
        f"{-model.best_score_:.4f})"
    )
    print(f"test accuracy: {model.score(X_test, y_test):.4f}")
    print(
        f"solver iterations: {int(model.n_iter_.sum())} for "
        f"{model.n_iter_.size} fold fits"
    )
    fig = make_figure(model, path, X_test, y_test)
    if args.save:
        FIGURE_PATH.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(FIGURE_PATH, dpi=80)
        print(f"figure written to {FIGURE_PATH}")
    else:
        print("figure not saved; pass --save to write it")


if __name__ == "__main__":
    main()
