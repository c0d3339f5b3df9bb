"""
Decision regions on iris
========================

A softmax regression splits the plane into one convex region per class: at a
point ``x`` it predicts the class of the largest logit ``w_k . x + b_k``, and
the boundary between two classes is where their logits are equal, the line
``(w_j - w_k) . x + b_j - b_k = 0``.  Here we fit
:class:`~softmax_regression.SoftmaxRegression` on two of the four iris
features (petal length and width, in cm), so the regions can be drawn, and
shade each point of the plane by the probability of its predicted class.

The penalty ``alpha`` decides how sharp the transitions are: with a strong
penalty the coefficients stay small and the probabilities change slowly,
with a weak one the regions meet along steep, almost hard boundaries.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris

from softmax_regression import SoftmaxRegression

iris = load_iris()
X = iris.data[:, 2:4]  # petal length, petal width
y = iris.target
feature_names = [name.replace(" (cm)", "") for name in iris.feature_names[2:4]]

# %%
# Two fits, a strong and a weak penalty
# -------------------------------------
#
# The objective is the mean cross-entropy plus ``alpha / 2 * ||W||^2``, so
# ``alpha`` is independent of the number of samples.

alphas = [1e-1, 1e-4]
models = [SoftmaxRegression(alpha=alpha).fit(X, y) for alpha in alphas]
for alpha, model in zip(alphas, models, strict=True):
    print(
        f"alpha={alpha:g}: training accuracy {model.score(X, y):.3f}, "
        f"||W||_F = {np.linalg.norm(model.coef_):.2f}, {model.n_iter_} iterations"
    )

# %%
# The regions and the confidence
# ------------------------------
#
# The colour of the background is the predicted class; its intensity the
# probability of that class, from 1/3 (white: the three classes tie) to 1.
# The dots are the 150 flowers, coloured by their true species.

colours = np.array([[0.12, 0.47, 0.71], [1.0, 0.5, 0.05], [0.17, 0.63, 0.17]])
x0, x1 = np.meshgrid(
    np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 300),
    np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 300),
)
grid = np.column_stack([x0.ravel(), x1.ravel()])

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
for ax, alpha, model in zip(axes, alphas, models, strict=True):
    proba = model.predict_proba(grid)
    confidence = (proba.max(axis=1) - 1 / 3) / (2 / 3)  # 0 at a tie, 1 sure
    shade = colours[proba.argmax(axis=1)] * confidence[:, None] + (
        1 - confidence[:, None]
    )
    ax.imshow(
        shade.reshape(*x0.shape, 3),
        origin="lower",
        extent=(x0.min(), x0.max(), x1.min(), x1.max()),
        aspect="auto",
        interpolation="bilinear",
    )
    # The class boundaries: where the predicted class changes.
    predicted = proba.argmax(axis=1).reshape(x0.shape)
    ax.contour(x0, x1, predicted, levels=[0.5, 1.5], colors="black", linewidths=0.8)
    for k, name in enumerate(iris.target_names):
        ax.scatter(*X[y == k].T, color=colours[k], edgecolor="black", s=25, label=name)
    ax.set_xlabel(feature_names[0] + " (cm)")
    ax.set_ylabel(feature_names[1] + " (cm)")
    ax.set_title(
        f"alpha = {alpha:g}: training accuracy {model.score(X, y):.3f}", fontsize=10
    )
axes[0].legend(loc="upper left", fontsize=8)
fig.suptitle("SoftmaxRegression on iris petals: predicted class and its probability")
plt.show()

# %%
# Both boundaries are straight lines, as they must be for a linear model.  The
# weak penalty turns the versicolor/virginica boundary towards the few flowers
# that overlap there and makes the model far more sure of itself away from
# the boundaries; it does not raise the training accuracy, because the fit
# minimises the cross-entropy, not the number of errors.  A model that is too
# sure of itself is badly *calibrated*: pick ``alpha`` by cross-validating the
# log-loss (for example with :class:`~sklearn.model_selection.GridSearchCV`
# and ``scoring="neg_log_loss"``), not by looking at training accuracy.
