"""
Standard errors and a summary table on wine
===========================================

:func:`~softmax_regression.inference` turns a fitted
:class:`~softmax_regression.SoftmaxRegression` into what a statistician
reads: standard errors, z statistics, p-values, confidence intervals, the
log-likelihood and a likelihood-ratio test against the null model, as
statsmodels' ``MNLogit`` reports them.  Here we fit the wine data (three
cultivars, 178 wines) on four of its chemical measurements without a
penalty, print the summary with the first cultivar as the reference, and
draw each coefficient with its 95% confidence interval.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine

from softmax_regression import SoftmaxRegression, inference

X, y = load_wine(return_X_y=True, as_frame=True)
X = X[["alcohol", "malic_acid", "ash", "alcalinity_of_ash"]]

# %%
# The fit and the summary
# -----------------------
#
# ``alpha=0`` is the maximum likelihood fit; a tight ``tol`` puts the
# estimates at the optimum, where the standard errors are computed.  With
# ``reference=0`` every coefficient is a contrast against cultivar 0: the
# change in the log-odds of cultivar k against cultivar 0 per unit of the
# feature.

model = SoftmaxRegression(alpha=0, tol=1e-10).fit(X, y)
result = inference(model, X, y, reference=0)
print(result.summary())

# %%
# The same numbers as a DataFrame, one row per class and term:

frame = result.to_frame()
print(frame.round(4))

# %%
# Coefficients with their confidence intervals
# --------------------------------------------
#
# ``conf_int`` returns the lower and upper bounds shaped like the
# coefficients (plus a last column for the intercepts).  An interval that
# crosses zero is a feature whose contrast the data do not pin down at the
# 5% level.

lower, upper = result.conf_int(0.05)
n_features = len(result.feature_names)
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
positions = np.arange(n_features)
for r, label in enumerate(result.classes):
    offset = (r - 0.5) * 0.25
    ax.errorbar(
        result.coef[r],
        positions + offset,
        xerr=[
            result.coef[r] - lower[r, :n_features],
            upper[r, :n_features] - result.coef[r],
        ],
        fmt="o",
        capsize=3,
        label=f"cultivar {label} vs 0",
    )
ax.axvline(0, color="black", linewidth=0.8)
ax.set_yticks(positions, result.feature_names)
ax.set_xlabel("coefficient (log-odds per unit), 95% confidence interval")
ax.legend(loc="lower right", fontsize=8)
ax.set_title("Wine: multinomial logit contrasts against cultivar 0", fontsize=10)
plt.show()

# %%
# The sum-to-zero parameterisation
# --------------------------------
#
# ``reference=None`` reports every class instead, its coefficients centred
# over the classes (the form the estimator's penalty prefers).  Its
# covariance determines the contrasts': they are a linear map of it.

centred = inference(model, X, y)
print(np.round(centred.coef_se, 3))
