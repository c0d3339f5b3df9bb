"""
Choosing alpha by cross-validation along the regularisation path
================================================================

:class:`~softmax_regression.SoftmaxRegressionCV` fits, on each of five
folds of the standardised digits, the whole grid of penalty strengths as one
path: from the strongest penalty to the weakest, each fit starting from the
previous solutions.  It scores each point on the held-out fold (negative log
loss by default), keeps the alpha with the best mean score and refits there
on all the training data.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegressionCV, softmax_regression_path

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# The cross-validated fit
# -----------------------
#
# Sixteen alphas, five folds: 80 fits, each warm-started from its
# neighbour on the path.

alphas = np.logspace(-5, 0, 16)
model = SoftmaxRegressionCV(alphas=alphas, cv=5, tol=1e-6).fit(X_train, y_train)
print(
    f"chosen alpha: {model.alpha_:.3g} "
    f"(mean validation log loss {-model.best_score_:.4f})"
)
print(f"test accuracy: {model.score(X_test, y_test):.4f}")
print(
    f"solver iterations: {int(model.n_iter_.sum())} for {model.n_iter_.size} fold fits"
)

# %%
# Validation loss and the path
# ----------------------------
#
# Left, the validation log loss of each fold and their mean: too strong a
# penalty underfits (the model stays near the class frequencies), too weak a
# one overfits (confident mistakes cost a lot of log loss).  Right, the path
# itself, from :func:`~softmax_regression.softmax_regression_path` on the
# training data: the norm of each class's coefficient row grows as alpha
# shrinks.

losses = -model.scores_[:, 0, :]
path_alphas, coefs, _, _ = softmax_regression_path(X_train, y_train, alphas, tol=1e-6)

fig, (ax_score, ax_path) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for fold, fold_losses in enumerate(losses):
    ax_score.semilogx(
        model.alphas_[0],
        fold_losses,
        color="tab:gray",
        linewidth=0.8,
        alpha=0.6,
        label="each fold" if fold == 0 else None,
    )
ax_score.semilogx(
    model.alphas_[0], losses.mean(axis=0), "o-", color="tab:blue", label="mean"
)
ax_score.axvline(
    model.alpha_, color="tab:red", linestyle="--", label=f"alpha_ = {model.alpha_:.2g}"
)
ax_score.set_xlabel("alpha")
ax_score.set_ylabel("validation log loss")
ax_score.set_title("5-fold cross-validation on digits")
ax_score.legend(fontsize=8)

row_norms = np.linalg.norm(coefs, axis=2)  # (n_alphas, n_classes)
for k, label in enumerate(model.classes_):
    ax_path.loglog(path_alphas, row_norms[:, k], linewidth=1, label=str(label))
ax_path.axvline(model.alpha_, color="tab:red", linestyle="--")
ax_path.set_xlabel("alpha")
ax_path.set_ylabel("||W_k||, coefficient row norm of class k")
ax_path.set_title("the regularisation path (training data)")
ax_path.legend(title="class", fontsize=7, ncols=2)
plt.show()
