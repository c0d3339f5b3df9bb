"""
Learning from a stream with partial_fit
=======================================

Fashion-MNIST's training images arrive in batches of 1,000, each seen once:
:meth:`~softmax_regression.SoftmaxRegression.partial_fit` takes one pass of
mini-batch SGD over each batch and the batch is gone.  We follow the test
accuracy (10,000 images) after every batch, for two settings of the
streaming optimiser:

* the defaults (Adam, ``learning_rate_init=1e-2``, mini-batches of 200,
  ``average="polynomial"``): the reported coefficients are a running mean
  of the iterates that weighs recent ones more (Shamir and Zhang's
  polynomial-decay average), which removes most of the noise a constant
  step leaves in the last iterate without keeping the first, poor ones;
* the earlier defaults (``learning_rate_init=1e-3``, ``average=False``):
  the last iterate of a small constant step.

The dashed line is the batch fit, the optimum of the same objective
(``alpha=1e-4``) from the same images at once.  To keep the example quick
the stream is the first 20,000 training images; the test suite runs the full
60,000 (one pass of ``partial_fit`` with the defaults ends within 1 point
of the batch fit).
The data come from :func:`softmax_regression.datasets.fetch_fashion_mnist`
(a local copy if one is configured, else the download cache).
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from softmax_regression import SoftmaxRegression
from softmax_regression.datasets import fetch_fashion_mnist

ALPHA, BATCH, N_STREAM = 1e-4, 1_000, 20_000


X, y = fetch_fashion_mnist("train", n_samples=N_STREAM)
X_test, y_test = fetch_fashion_mnist("test")

# %%
# One pass over the stream
# ------------------------
#
# The first call names every class: a batch need not contain all of them.

settings = {
    "defaults (Adam, lr 1e-2, polynomial average)": {},
    "earlier defaults (lr 1e-3, last iterate)": dict(
        learning_rate_init=1e-3, average=False
    ),
}
curves = {}
for name, options in settings.items():
    model = SoftmaxRegression(alpha=ALPHA, random_state=0, **options)
    accuracy, seconds = [], 0.0
    for start in range(0, N_STREAM, BATCH):
        tic = time.perf_counter()
        model.partial_fit(
            X[start : start + BATCH], y[start : start + BATCH], classes=np.arange(10)
        )
        seconds += time.perf_counter() - tic
        accuracy.append(model.score(X_test, y_test))
    curves[name] = (model, np.array(accuracy))
    print(f"partial_fit, {name}: accuracy {accuracy[-1]:.4f} in {seconds:.1f} s")

tic = time.perf_counter()
batch = SoftmaxRegression(alpha=ALPHA, tol=1e-3).fit(X, y)
batch_seconds = time.perf_counter() - tic
batch_accuracy = batch.score(X_test, y_test)
print(f"batch fit: accuracy {batch_accuracy:.4f} in {batch_seconds:.1f} s")

# %%
# Accuracy and loss along the stream
# ----------------------------------
#
# ``loss_curve_`` holds the mean mini-batch objective of each
# ``partial_fit`` call; the batch fit's objective is the floor.

log_proba = batch.predict_log_proba(X)
batch_objective = -np.mean(log_proba[np.arange(len(y)), y]) + ALPHA / 2 * np.sum(
    batch.coef_.astype(float) ** 2
)
seen = BATCH * np.arange(1, N_STREAM // BATCH + 1)
fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
for name, (model, accuracy) in curves.items():
    ax_acc.plot(seen, accuracy, label=f"partial_fit, {name}")
    ax_loss.plot(seen, model.loss_curve_, label=name)
ax_acc.axhline(
    batch_accuracy,
    color="black",
    linestyle="--",
    label=f"batch fit: {batch_accuracy:.3f}",
)
ax_acc.set_ylim(0.6, 0.87)
ax_acc.set_xlabel("training images seen (each once)")
ax_acc.set_ylabel("test accuracy")
ax_acc.legend(fontsize=8, loc="lower right")
ax_loss.axhline(batch_objective, color="black", linestyle="--", label="batch optimum")
ax_loss.set_xlabel("training images seen (each once)")
ax_loss.set_ylabel("loss_curve_ (mean mini-batch objective per call)")
ax_loss.legend(fontsize=8)
plt.show()
