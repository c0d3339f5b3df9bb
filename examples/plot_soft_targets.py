"""
Soft targets: annotators' votes, and label smoothing
====================================================

**Votes.**  Each training digit (scikit-learn's 8x8 digits, standardised,
half for training) is labelled by five simulated annotators.  Each gives the
true class with probability 1/2; otherwise she picks a class the way that
image is ambiguous: from a model's (tempered) predicted probabilities for
it, cross-validated, so ambiguous digits split the votes and clear ones do
not.  We fit :class:`~softmax_regression.SoftmaxRegression` three ways: to
the share of votes per class (a row of probabilities per digit,
``fit(X, Y)``), to the majority vote, and to a single annotator's labels;
the left panel shows each model's accuracy on the test digits' true labels.
The vote shares keep what the majority throws away: how sure the annotators
were.

**Label smoothing.**  ``label_smoothing=eps`` replaces every one-hot target
by ``(1 - eps) * onehot + eps / n_classes`` (PyTorch's meaning), so the fit
never pushes a probability to 0 or 1.  The right panel is the reliability
diagram of the top-class probability on the test digits for ``eps`` in
{0, 0.01, 0.1}: with a weak penalty the plain fit is somewhat
over-confident, a little smoothing lowers the confidence, and ``eps=0.1``
overshoots into under-confidence.  Smoothing is a regulariser of
confidence, to be tuned like ``alpha`` (on held-out log-loss, say), not a
calibration method.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import cross_val_predict, train_test_split
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression

ALPHA = 1e-4
N_ANNOTATORS = 5
P_CORRECT = 0.5
TEMPERATURE = 2.0
SMOOTHING = (0.0, 0.01, 0.1)


def data():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def simulated_votes(X, y, rng):
    """Vote counts (n, 10): each annotator gives the true class with
    probability ``P_CORRECT``, else draws from the image's tempered,
    cross-validated predicted probabilities."""
    proba = cross_val_predict(
        SoftmaxRegression(alpha=1e-1), X, y, cv=5, method="predict_proba"
    )
    tempered = proba ** (1 / TEMPERATURE)
    tempered /= tempered.sum(axis=1, keepdims=True)
    choice = P_CORRECT * np.eye(10)[y] + (1 - P_CORRECT) * tempered
    return np.stack([rng.multinomial(N_ANNOTATORS, row) for row in choice])


def fit_votes(X_train, X_test, y_train, y_test):
    votes = simulated_votes(X_train, y_train, np.random.default_rng(0))
    shares = votes / votes.sum(axis=1, keepdims=True)
    single = np.array(  # one annotator's label per digit
        [np.random.default_rng(1).choice(10, p=row) for row in shares]
    )
    targets = {
        "vote shares\nfit(X, Y)": shares,
        "majority vote": np.argmax(votes, axis=1),
        "one annotator": single,
    }
    results = {}
    for name, target in targets.items():
        model = SoftmaxRegression(alpha=ALPHA).fit(X_train, target, classes=range(10))
        proba = model.predict_proba(X_test)
        results[name] = (
            log_loss(y_test, proba, labels=model.classes_),
            model.score(X_test, y_test),
        )
    return results, np.mean(np.argmax(votes, axis=1) == y_train)


def fit_smoothing(X_train, X_test, y_train, y_test):
    curves = {}
    for eps in SMOOTHING:
        model = SoftmaxRegression(alpha=ALPHA, label_smoothing=eps)
        proba = model.fit(X_train, y_train).predict_proba(X_test)
        confidence = proba.max(axis=1)
        correct = model.classes_[proba.argmax(axis=1)] == y_test
        accuracy_in_bin, confidence_in_bin = calibration_curve(
            correct, confidence, n_bins=8, strategy="quantile"
        )
        curves[eps] = (
            confidence_in_bin,
            accuracy_in_bin,
            confidence.mean(),
            correct.mean(),
        )
    return curves


def make_figure(votes_results, majority_agreement, curves):
    fig, (ax_votes, ax_rel) = plt.subplots(
        1, 2, figsize=(12, 4.6), layout="constrained"
    )
    names = list(votes_results)
    accuracies = [votes_results[n][1] for n in names]
    bars = ax_votes.bar(names, accuracies, color=["tab:green", "tab:blue", "tab:gray"])
    for bar, accuracy in zip(bars, accuracies, strict=True):
        ax_votes.annotate(
            f"{accuracy:.3f}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax_votes.set_ylim(0.5, 1.0)
    ax_votes.set_ylabel("test accuracy (true labels)")
    ax_votes.set_title(
        f"{N_ANNOTATORS} annotators per training digit; the majority vote is "
        f"right on {majority_agreement:.0%} of them",
        fontsize=9,
    )
    ax_rel.plot([0, 1], [0, 1], color="black", linewidth=0.8, label="calibrated")
    for eps, (conf, acc, mean_conf, mean_acc) in curves.items():
        ax_rel.plot(
            conf,
            acc,
            "o-",
            label=f"label_smoothing={eps:g}: mean confidence {mean_conf:.3f}, "
            f"accuracy {mean_acc:.3f}",
        )
    ax_rel.set_xlabel("top-class probability on test digits (binned)")
    ax_rel.set_ylabel("fraction of those digits predicted correctly")
    ax_rel.set_xlim(0.3, 1.01)
    ax_rel.set_ylim(0.3, 1.01)
    ax_rel.legend(fontsize=7, loc="lower right")
    ax_rel.set_title("reliability of the top-class probability", fontsize=9)
    fig.suptitle(f"Soft targets on digits (alpha={ALPHA:g})")
    return fig


# %%
# Votes, majority and one annotator
# ---------------------------------

X_train, X_test, y_train, y_test = data()
votes_results, majority_agreement = fit_votes(X_train, X_test, y_train, y_test)
for name, (loss, accuracy) in votes_results.items():
    label = name.replace("\n", " ")
    print(f"{label}: test log-loss {loss:.4f}, accuracy {accuracy:.4f}")

# %%
# Label smoothing and confidence
# ------------------------------

curves = fit_smoothing(X_train, X_test, y_train, y_test)
for eps, (_, _, mean_conf, mean_acc) in curves.items():
    print(
        f"label_smoothing={eps:g}: mean confidence {mean_conf:.4f}, "
        f"accuracy {mean_acc:.4f}"
    )
make_figure(votes_results, majority_agreement, curves)
plt.show()
