"""
A regularisation path with warm starts
======================================

The penalty ``alpha / 2 * ||W||^2`` trades the fit to the training data
against the size of the coefficients.  To see the trade-off we fit
:class:`~softmax_regression.SoftmaxRegression` on digits for a grid of
``alpha`` values, from a strong penalty down to a weak one, and track the
size of ``W`` and the accuracy and log-loss on held-out digits.

Neighbouring values of ``alpha`` have neighbouring optima, so each fit can
start from the previous solution: with ``warm_start=True`` a refit on the
same classes and features starts from the current ``coef_`` and
``intercept_`` instead of zeros.  Going from strong to weak penalties, every
start is already close.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from softmax_regression import SoftmaxRegression

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, random_state=0
)

# %%
# The path
# --------
#
# One estimator, refitted with ``set_params(alpha=...)`` for each value of a
# decreasing grid.

alphas = np.logspace(0, -5, 11)
model = SoftmaxRegression(warm_start=True, tol=1e-6)
path = []
for alpha in alphas:
    start = time.perf_counter()
    model.set_params(alpha=alpha).fit(X_train, y_train)
    path.append(
        {
            "seconds": time.perf_counter() - start,
            "n_iter": model.n_iter_,
            "row_norms": np.linalg.norm(model.coef_, axis=1),
            "train": model.score(X_train, y_train),
            "test": model.score(X_test, y_test),
            "log_loss": log_loss(y_test, model.predict_proba(X_test)),
        }
    )
    print(
        f"alpha={alpha:8.1e}: {model.n_iter_:3d} iterations, "
        f"{path[-1]['seconds']:.2f} s, test accuracy {path[-1]['test']:.3f}"
    )

# %%
# The pictures
# ------------
#
# Left: the norm of each class's coefficient row ``||w_k||`` (one line per
# digit) and the Frobenius norm of ``W``.  Right: training and test accuracy,
# and the test log-loss on its own axis.

row_norms = np.array([step["row_norms"] for step in path])
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
left.loglog(alphas, row_norms, color="tab:blue", linewidth=0.8, alpha=0.6)
left.loglog(
    alphas,
    np.linalg.norm(row_norms, axis=1),
    color="black",
    linewidth=2,
    label="||W||_F",
)
left.plot([], [], color="tab:blue", linewidth=0.8, label="||w_k||, one per class")
left.set_xlabel("alpha")
left.set_ylabel("coefficient norm")
left.legend()
left.invert_xaxis()

right.semilogx(alphas, [s["train"] for s in path], "o-", label="train accuracy")
right.semilogx(alphas, [s["test"] for s in path], "o-", label="test accuracy")
right.set_xlabel("alpha")
right.set_ylabel("accuracy")
right.invert_xaxis()
loss_axis = right.twinx()
loss_axis.semilogx(
    alphas, [s["log_loss"] for s in path], "s--", color="tab:red", label="test"
)
loss_axis.set_ylabel("test log-loss", color="tab:red")
right.legend(loc="center left")
best = alphas[np.argmin([s["log_loss"] for s in path])]
right.axvline(best, color="tab:red", linewidth=0.8, linestyle=":")
fig.suptitle("Digits: strong penalty (left of each panel) to weak (right)")
plt.show()

# %%
# With a strong penalty every row of ``W`` is small, the probabilities are
# close to uniform and even the training accuracy suffers.  As ``alpha``
# falls the norms grow, fast while the penalty dominates and then slowly,
# once the training data are almost separated.  The test accuracy levels off
# around ``alpha = 1e-3``, while the test log-loss (the quantity the model is
# trained for, and the one to cross-validate) keeps falling a little longer,
# to its minimum at the dotted line: past it, the model mostly grows more
# confident, not more right.
#
# The warm starts save iterations: each fit starts near its optimum.  The
# same grid fitted from zeros each time, for comparison:

n_iter_cold = sum(
    SoftmaxRegression(alpha=alpha, tol=1e-6).fit(X_train, y_train).n_iter_
    for alpha in alphas
)
print(
    f"whole path: {sum(s['n_iter'] for s in path)} iterations with warm starts, "
    f"{n_iter_cold} from zeros; lowest test log-loss at alpha={best:.1e}"
)
