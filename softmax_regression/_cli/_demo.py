"""The README's main job: fit on digits beside scikit-learn's LogisticRegression.

This module computes the figures; :mod:`._report` formats their table.
"""

from __future__ import annotations

import time

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .._estimator import SoftmaxRegression


def run_demo(alpha: float = 1e-4, random_state: int = 0) -> list[dict]:
    """Fit both models on the digits data set and report their figures.

    Both minimise the same objective: ``LogisticRegression`` gets
    ``C = 1 / (alpha * n_train)``, as the user guide derives.

    Parameters
    ----------
    alpha : float, default=1e-4
        Penalty strength of SoftmaxRegression.
    random_state : int, default=0
        Seed of the train/test split.

    Returns
    -------
    list of dict
        One row per model: name, accuracy, log loss, fit seconds, iterations.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    models = {
        "SoftmaxRegression": SoftmaxRegression(alpha=alpha, tol=1e-6),
        "sklearn LogisticRegression": LogisticRegression(
            C=1.0 / (alpha * X_train.shape[0]), tol=1e-6, max_iter=10_000
        ),
    }
    rows = []
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "model": name,
                "accuracy": accuracy_score(y_test, model.predict(X_test)),
                "log_loss": log_loss(y_test, model.predict_proba(X_test)),
                "fit_seconds": seconds,
                "n_iter": int(max(model.n_iter_))
                if hasattr(model.n_iter_, "__len__")
                else int(model.n_iter_),
            }
        )
    return rows
