"""
Monotone effects: non-negative coefficients against a reference class
=====================================================================

Prior knowledge often fixes the *sign* of an effect: larger, more irregular
cell nuclei should never make a tumour look *less* malignant.  glmnet's
``lower.limits`` express this as bounds on the coefficients, and so do
``lower_bound`` and ``upper_bound`` of
:class:`~softmax_regression.SoftmaxRegression`.  But the softmax has one row
of coefficients per class and its probabilities depend only on the
*differences* of the rows, so what a bound means depends on how it is
placed.  On scikit-learn's breast cancer data (569 tumours, 30 measurements
of their cell nuclei, malignant or benign) we compare

* the unconstrained fit,
* the tempting ``lower_bound=0`` (every coefficient of both classes
  non-negative), which turns out to constrain no effect at all, and
* the benign class as the *reference*, its row fixed at 0
  (``lower_bound = upper_bound = 0``), and the malignant row bounded below
  by 0 for the size and shape measurements: the log-odds of malignancy can
  only rise with them.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression

data = load_breast_cancer()
names = np.array(data.feature_names)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, stratify=data.target, random_state=0
)
# Bounds at 0 survive standardisation: it rescales each feature by a positive
# factor, which changes no coefficient's sign.
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
MALIGNANT, BENIGN = 0, 1  # data.target_names: ['malignant' 'benign']
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test tumours")

# %%
# Which effects should be monotone
# --------------------------------
#
# The size (radius, perimeter, area) and the shape irregularity
# (compactness, concavity, concave points) of the nuclei, as their mean,
# standard error and worst value: 18 of the 30 features.  Texture,
# smoothness, symmetry and fractal dimension stay free.

SHAPE = ("radius", "perimeter", "area", "compactness", "concavity", "concave points")
monotone = np.array([any(word in name for word in SHAPE) for name in names])
print(f"{monotone.sum()} monotone features")

# %%
# Three fits
# ----------
#
# The probabilities depend on the coefficients only through the contrast
# ``v = W[malignant] - W[benign]``, the change in the log-odds of malignancy
# per standard deviation of each feature; that is what we compare.
#
# With the reference row fixed at 0, the whole contrast sits in the
# malignant row and the L2 penalty ``alpha / 2 * ||v||^2`` is twice that of
# the symmetric split ``w_1 = -w_0 = v / 2`` of an unconstrained fit
# (``alpha / 4 * ||v||^2``, see the user guide): the reference-coded fits
# use ``ALPHA / 2`` to penalise the contrast as the unconstrained fit does.

ALPHA = 1e-2
TOL = 1e-8
n_features = X_train.shape[1]

# Reference coding: the benign row is fixed at 0, the malignant row is free...
free = np.full((2, n_features), -np.inf)
free[BENIGN] = 0.0
upper = np.full((2, n_features), np.inf)
upper[BENIGN] = 0.0
reference_free = SoftmaxRegression(
    alpha=ALPHA / 2, lower_bound=free, upper_bound=upper, tol=TOL
).fit(X_train, y_train)
# ... or bounded below by 0 for the monotone features.
lower = free.copy()
lower[MALIGNANT, monotone] = 0.0
models = {
    "unconstrained": SoftmaxRegression(alpha=ALPHA, tol=TOL),
    "lower_bound=0 (both rows)": SoftmaxRegression(alpha=ALPHA, lower_bound=0, tol=TOL),
    "benign row = 0, malignant >= 0": SoftmaxRegression(
        alpha=ALPHA / 2, lower_bound=lower, upper_bound=upper, tol=TOL
    ),
}
contrasts = {}
for label, model in models.items():
    model.fit(X_train, y_train)
    v = model.coef_[MALIGNANT] - model.coef_[BENIGN]
    contrasts[label] = v
    print(
        f"{label:31s} {model.n_iter_:2d} iterations: "
        f"test accuracy {model.score(X_test, y_test):.3f}, log-loss "
        f"{log_loss(y_test, model.predict_proba(X_test)):.4f}; monotone "
        f"effects < 0: {np.sum(v[monotone] < 0)}, = 0: {np.sum(v[monotone] == 0)}"
    )

# %%
# Reference coding without the sign constraint is the unconstrained model:
# the same probabilities, written with the benign row at zero.

unconstrained = models["unconstrained"]
gap = np.abs(
    reference_free.predict_proba(X_test) - unconstrained.predict_proba(X_test)
).max()
print(f"reference-coded vs unconstrained fit: probabilities differ by {gap:.1e}")

# %%
# And ``lower_bound=0`` on both rows constrains no contrast: any column can
# be shifted up until both entries are >= 0 without changing a probability.
# The penalty then picks, in each column, the representative of least norm
# inside the box, ``(max(v_j, 0), max(-v_j, 0))``, whose penalty is
# ``alpha / 2 * v_j^2``: the unconstrained model with ``alpha`` doubled.

doubled = SoftmaxRegression(alpha=2 * ALPHA, tol=TOL).fit(X_train, y_train)
naive = models["lower_bound=0 (both rows)"]
gap = np.abs(naive.predict_proba(X_test) - doubled.predict_proba(X_test)).max()
print(
    f"lower_bound=0 vs unconstrained with 2 * alpha: probabilities differ by "
    f"{gap:.1e}; columns of coef_ with a zero entry: "
    f"{np.sum(np.any(naive.coef_ == 0, axis=0))} of {n_features}"
)

# %%
# The contrasts
# -------------
#
# One bar per fit and feature, the monotone features in bold.  The
# unconstrained fit, and the one with both rows non-negative, give three
# shape measurements (mean compactness, compactness error, concavity error)
# a *negative* effect: the measurements are strongly correlated (compactness
# and concavity, like radius, perimeter and area, measure much the same
# thing) and the fit trades one against another.  The reference-coded,
# sign-bounded fit sets those three effects to exactly 0 and redistributes
# their weight over the others.

fig, ax = plt.subplots(figsize=(8, 9), layout="constrained")
positions = np.arange(n_features)
height = 0.27
for offset, (label, v) in zip((-height, 0.0, height), contrasts.items(), strict=True):
    ax.barh(positions + offset, v, height=height, label=label)
ax.set_yticks(positions, names)
for tick, is_monotone in zip(ax.get_yticklabels(), monotone, strict=True):
    tick.set_fontweight("bold" if is_monotone else "normal")
ax.invert_yaxis()
ax.axvline(0, color="black", linewidth=0.8)
ax.set_xlabel("effect on the log-odds of malignancy (per standard deviation)")
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize="small")
fig.suptitle("Breast cancer: W[malignant] - W[benign]; bold: bounded below by 0")
plt.show()

# %%
# The sign-bounded model predicts about as well as the unconstrained one on
# the held-out tumours (the constraint costs a little log-loss, as any
# restriction of the fit does on data it did not see), and every effect it
# reports has the sign the domain prescribes.  Note what the constraint
# says: the log-odds of *malignant against benign* rise with each bounded
# feature.  With more classes, bounding every non-reference row below by 0
# makes each class's log-odds against the reference rise; it says nothing
# about two non-reference classes against each other, nor about a class's
# probability, which can fall when another class's rises faster.
