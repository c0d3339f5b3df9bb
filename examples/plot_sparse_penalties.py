"""
Which pixels survive: elastic net against group lasso on digits
================================================================

Both penalties of :class:`~softmax_regression.SoftmaxRegression` with
``l1_ratio > 0`` set coefficients exactly to zero, but in different shapes.
The elastic net (``penalty="elasticnet"``) drops single entries of the
``10 x 64`` coefficient matrix: a pixel can be used for some digits and
ignored for others.  The group penalty (``penalty="group"``, glmnet's
grouped multinomial) drops whole columns: a pixel is used for every digit
or for none, which is what feature *selection* means (a dropped pixel need
not even be measured).

We fit both on scikit-learn's 8x8 digits (standardised, 75/25 split), the
group fit at a strength that keeps about a quarter of the pixels, and the
elastic net at two strengths found by bisection on ``alpha``: one with the
same number of non-zero coefficients, one touching the same number of
pixels.  With equal numbers of coefficients the elastic net spreads them
over many more pixels; restricted to as few pixels as the group fit, it
uses far fewer coefficients and predicts worse.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression

L1_RATIO = 0.9
GROUP_ALPHA = 0.2
TOL = 1e-6


def n_coefficients(model) -> int:
    """Non-zero entries of ``coef_``."""
    return int(np.count_nonzero(model.coef_))


def n_pixels(model) -> int:
    """Features (pixels) with a non-zero coefficient for at least one class."""
    return int(np.count_nonzero(np.any(model.coef_ != 0, axis=0)))


def fit(X, y, alpha: float, penalty: str) -> SoftmaxRegression:
    model = SoftmaxRegression(alpha=alpha, l1_ratio=L1_RATIO, penalty=penalty, tol=TOL)
    return model.fit(X, y)


def match_elastic_net(X, y, count, target: int, steps: int = 14):
    """Bisect ``log(alpha)`` for the elastic net whose ``count`` is closest to
    ``target`` (counts fall as alpha grows)."""
    low, high = np.log(1e-4), np.log(1.0)
    best = None
    for _ in range(steps):
        middle = 0.5 * (low + high)
        model = fit(X, y, np.exp(middle), "elasticnet")
        if best is None or abs(count(model) - target) < abs(count(best) - target):
            best = model
        if count(model) == target:
            break
        if count(model) > target:
            low = middle
        else:
            high = middle
    return best


def fit_models():
    """The group fit and the two elastic-net fits that match its sparsity."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    group = fit(X_train, y_train, GROUP_ALPHA, "group")
    same_coefficients = match_elastic_net(
        X_train, y_train, n_coefficients, n_coefficients(group)
    )
    same_pixels = match_elastic_net(X_train, y_train, n_pixels, n_pixels(group))
    models = {
        "penalty='group'": group,
        "'elasticnet', as many coefficients": same_coefficients,
        "'elasticnet', as many pixels": same_pixels,
    }
    scores = {name: model.score(X_test, y_test) for name, model in models.items()}
    return models, scores


def make_figure(models, scores):
    """Per pixel, the number of digits whose coefficient is non-zero."""
    fig, axes = plt.subplots(1, len(models), figsize=(11, 4.2), layout="constrained")
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        used_by = np.count_nonzero(model.coef_, axis=0).reshape(8, 8)
        image = ax.imshow(
            np.ma.masked_equal(used_by, 0),  # dropped pixels stay white
            cmap=colormaps["viridis"].with_extremes(bad="white"),
            vmin=1,
            vmax=model.coef_.shape[0],
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(
            f"{name}\nalpha={model.alpha:.3g}: {n_coefficients(model)} coefficients, "
            f"{n_pixels(model)} pixels\ntest accuracy {scores[name]:.3f}",
            fontsize=9,
        )
    fig.colorbar(
        image, ax=axes, shrink=0.8, label="digits using the pixel (white: none)"
    )
    fig.suptitle(f"Pixels kept by SoftmaxRegression(l1_ratio={L1_RATIO}) on 8x8 digits")
    return fig


# %%
# The three fits
# --------------
#
# The group fit, then the elastic net bisected on ``alpha`` to the same
# number of coefficients and to the same number of pixels.

models, scores = fit_models()
for name, model in models.items():
    print(
        f"{name:36s} alpha={model.alpha:.4g}  "
        f"coefficients {n_coefficients(model):3d}  pixels {n_pixels(model):2d}  "
        f"test accuracy {scores[name]:.4f}"
    )

# %%
# The pixels each fit uses
# ------------------------
#
# Per pixel, how many digits' coefficients are non-zero (white: none).

make_figure(models, scores)
plt.show()
