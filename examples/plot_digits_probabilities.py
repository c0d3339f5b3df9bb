"""
What a softmax regression believes about handwritten digits
===========================================================

We fit :class:`~softmax_regression.SoftmaxRegression` on scikit-learn's 8x8
digits (standardised, 75/25 train/test split) and look at what it says about
single test images.  ``predict_proba`` returns one probability per class,
``softmax(W x + b)``: for most digits nearly all the mass sits on one class,
but the least confident test digits spread it over the two or three classes
they resemble.  Low confidence is a useful warning: the misclassified test
digits have a median top probability near 0.65, the correct ones near 0.99.

The second panel checks the claim that this is the same model as
scikit-learn's ``LogisticRegression``: with ``C = 1 / (alpha * n_train)`` both
minimise the same objective, so their predicted probabilities for every test
digit and every class lie on the diagonal (log scale, to show the small ones
too).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression

ALPHA = 1e-3


def fit_models(alpha: float = ALPHA):
    """Fit both models on standardised digits; return what the figure needs."""
    digits = load_digits()
    X_train, X_test, y_train, y_test, _, images_test = train_test_split(
        digits.data, digits.target, digits.images, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    n_train = X_train.shape[0]

    model = SoftmaxRegression(alpha=alpha, tol=1e-8).fit(X_train, y_train)
    # The same objective in scikit-learn's parameterisation (K > 2 classes).
    reference = LogisticRegression(
        C=1 / (alpha * n_train), tol=1e-10, max_iter=10_000
    ).fit(X_train, y_train)
    return (
        model,
        model.predict_proba(X_test),
        reference.predict_proba(X_test),
        y_test,
        images_test,
    )


def make_figure(model, proba, proba_ref, y_test, images_test):
    """Six test digits with their probabilities, and the comparison panel."""
    predicted = model.classes_[proba.argmax(axis=1)]
    accuracy = np.mean(predicted == y_test)
    # Three most confident test digits, then the three least confident.
    order = np.argsort(proba.max(axis=1))
    shown = np.concatenate([order[-3:][::-1], order[:3][::-1]])

    fig = plt.figure(figsize=(13, 4.6), layout="constrained")
    outer = fig.add_gridspec(1, 2, width_ratios=[3.0, 1.15])
    left = outer[0].subgridspec(2, len(shown), height_ratios=[1.0, 1.1])

    for col, i in enumerate(shown):
        ax_img = fig.add_subplot(left[0, col])
        ax_img.imshow(images_test[i], cmap="gray_r", interpolation="nearest")
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        ax_img.set_title(
            f"true {y_test[i]}, predicted {predicted[i]}",
            fontsize=9,
            color="black" if predicted[i] == y_test[i] else "tab:red",
        )

        ax_bar = fig.add_subplot(left[1, col])
        colors = np.where(model.classes_ == y_test[i], "tab:green", "tab:gray")
        ax_bar.bar(model.classes_, proba[i], color=colors)
        ax_bar.set_ylim(0, 1)
        ax_bar.set_xticks(model.classes_)
        ax_bar.tick_params(labelsize=7)
        ax_bar.set_xlabel(f"class (max p = {proba[i].max():.2f})", fontsize=8)
        if col == 0:
            ax_bar.set_ylabel("predict_proba (green: true class)", fontsize=8)
        else:
            ax_bar.set_yticklabels([])

    ax_cmp = fig.add_subplot(outer[1])
    floor = 1e-12  # probabilities below this are drawn at the floor
    ax_cmp.loglog(
        np.maximum(proba_ref.ravel(), floor),
        np.maximum(proba.ravel(), floor),
        ".",
        markersize=3,
        alpha=0.4,
        color="tab:blue",
    )
    ax_cmp.plot([floor, 1], [floor, 1], color="black", linewidth=0.8)
    ax_cmp.set_xlabel("LogisticRegression(C=1/(alpha n_train))")
    ax_cmp.set_ylabel("SoftmaxRegression(alpha)")
    ax_cmp.set_title(
        f"predict_proba, {proba.size} (digit, class) pairs\n"
        f"max abs difference {np.max(np.abs(proba - proba_ref)):.1e}",
        fontsize=9,
    )
    fig.suptitle(
        f"SoftmaxRegression on digits (alpha={model.alpha:g}): "
        f"test accuracy {accuracy:.3f}; left: three confident, three hesitant"
    )
    return fig


# %%
# The fits
# --------
#
# Both models at a tight tolerance, so that they are compared at their
# optimum rather than wherever their solvers stopped.

model, proba, proba_ref, y_test, images_test = fit_models()
predicted = model.classes_[proba.argmax(axis=1)]
top = proba.max(axis=1)
print(f"test accuracy: {np.mean(predicted == y_test):.4f}")
print(f"max |proba - proba_sklearn|: {np.max(np.abs(proba - proba_ref)):.2e}")
print(
    "median top probability: "
    f"{np.median(top[predicted != y_test]):.2f} (misclassified), "
    f"{np.median(top[predicted == y_test]):.2f} (correct)"
)

# %%
# The figure
# ----------
#
# Left, the three most confident and the three least confident test digits
# (a red title marks a wrong prediction) with their predicted probabilities;
# right, every test probability of ``SoftmaxRegression`` against
# ``LogisticRegression``'s.

make_figure(model, proba, proba_ref, y_test, images_test)
plt.show()
