"""The README's main job: fit on digits beside scikit-learn's LogisticRegression.

Both libraries minimise the same objective, ``F(W, b) = mean cross-entropy
+ alpha/2 ||W||_F^2`` (``LogisticRegression(C=1/(alpha n))``).  A fair
comparison fits both to the same distance from the optimum: a tight
reference optimum ``F*`` is computed once, then each library runs at the
loosest tolerance of a ladder whose fit reaches a relative objective gap
``(F - F*) / F*`` of at most :data:`TARGET_GAP` (or, failing that, at the
tightest, and the gap says so), timed as the median of :data:`REPEATS`
fits with BLAS and OpenMP limited to one thread for both.

This module computes the figures; :mod:`._report` formats them.  It needs
nothing beyond numpy, scipy and scikit-learn (and threadpoolctl, which
scikit-learn requires).
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from .._cross_entropy import cross_entropy
from .._estimator import SoftmaxRegression
from .._fit_hooks import SolveReport, observe_solves
from ._report import DemoSummary

#: Relative objective gap ``(F - F*) / F*`` every timed fit reaches.
TARGET_GAP = 1e-6
#: Fits timed per library; the median is reported.
REPEATS = 5
#: The tolerances tried, loosest first (half-decade steps).
TOLERANCES = tuple(10.0 ** -(k / 2) for k in range(6, 21))
#: The reference optimum's solver and tolerance.
REFERENCE = ("newton-cholesky", 1e-10)


def objective(model, X: np.ndarray, y: np.ndarray, alpha: float) -> float:
    """``F(W, b) = mean cross-entropy + alpha/2 ||W||_F^2`` of a fitted model.

    Parameters
    ----------
    model : classifier
        A fitted linear classifier with ``decision_function``, ``coef_``
        and ``classes_`` (SoftmaxRegression or LogisticRegression).
    X : ndarray of shape (n_samples, n_features)
        The training features.
    y : ndarray of shape (n_samples,)
        The training labels.
    alpha : float
        The penalty strength.

    Returns
    -------
    float
        The objective, computed from the logits in a stable form.
    """
    loss = cross_entropy(
        model.decision_function(X), np.searchsorted(model.classes_, y)
    )
    return float(loss + alpha / 2 * np.sum(model.coef_**2))


def _blas_text() -> str:
    """The BLAS libraries loaded, with their versions."""
    names = {
        f"{info['internal_api']} {info.get('version') or ''}".strip()
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }
    return ", ".join(sorted(names)) or "none found by threadpoolctl"


def _quiet_fit(model, X, y) -> float:
    """Fit, silencing convergence warnings (the gap reports convergence);
    return the seconds it took."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start


def _n_iter(model) -> int:
    return int(np.max(model.n_iter_))


def _run_library(
    name: str,
    make: Callable[[float], object],
    data: tuple,
    alpha: float,
    f_star: float,
) -> dict:
    """Find the loosest tolerance reaching :data:`TARGET_GAP`, then time it."""
    X_train, y_train, X_test, y_test = data
    for tol in TOLERANCES:
        model = make(tol)
        _quiet_fit(model, X_train, y_train)
        gap = (objective(model, X_train, y_train, alpha) - f_star) / f_star
        if gap <= TARGET_GAP:
            break
    # the first timed fit also tells which solver ran
    reports: list[SolveReport] = []
    with observe_solves(reports.append):
        times = [_quiet_fit(make(tol), X_train, y_train)]
    solver = reports[-1].solver if reports else model.solver
    times += [_quiet_fit(make(tol), X_train, y_train) for _ in range(REPEATS - 1)]
    seconds = statistics.median(times)
    return {
        "model": name,
        "solver": solver,
        "tol": tol,
        "n_iter": _n_iter(model),
        "gap": max(gap, 0.0),
        "reached": gap <= TARGET_GAP,
        "fit_seconds": seconds,
        "accuracy": accuracy_score(y_test, model.predict(X_test)),
        "log_loss": log_loss(y_test, model.predict_proba(X_test)),
    }


def run_demo(alpha: float = 1e-4, random_state: int = 0) -> DemoSummary:
    """Fit both models on the digits data set to the same accuracy, and time them.

    Both minimise the same objective: ``LogisticRegression`` gets
    ``C = 1 / (alpha * n_train)``, as the user guide derives.  Each library
    runs at the loosest tolerance that brings its objective within a
    relative :data:`TARGET_GAP` of a reference optimum (SoftmaxRegression,
    ``solver="newton-cholesky"``, ``tol=1e-10``), and its fit time is the
    median of :data:`REPEATS` fits with BLAS and OpenMP on one thread.

    Parameters
    ----------
    alpha : float, default=1e-4
        Penalty strength of SoftmaxRegression.
    random_state : int, default=0
        Seed of the train/test split.

    Returns
    -------
    DemoSummary
        The set-up and one row per library: solver, tolerance, iterations,
        relative objective gap, median fit seconds, test accuracy and log
        loss.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    scaler = StandardScaler().fit(X_train)
    data = (scaler.transform(X_train), y_train, scaler.transform(X_test), y_test)
    n_train = X_train.shape[0]
    C = 1.0 / (alpha * n_train)
    libraries = {
        "SoftmaxRegression": lambda tol: SoftmaxRegression(alpha=alpha, tol=tol),
        "sklearn LogisticRegression": lambda tol: LogisticRegression(
            C=C, tol=tol, max_iter=10_000
        ),
    }
    with threadpool_limits(limits=1):
        solver, tol = REFERENCE
        reference = SoftmaxRegression(
            alpha=alpha, solver=solver, tol=tol, max_iter=1000
        )
        _quiet_fit(reference, data[0], data[1])
        f_star = objective(reference, data[0], data[1], alpha)
        rows = [
            _run_library(name, make, data, alpha, f_star)
            for name, make in libraries.items()
        ]
        blas = _blas_text()
    return DemoSummary(
        n_train=n_train,
        n_test=X_test.shape[0],
        n_features=X.shape[1],
        n_classes=len(np.unique(y)),
        alpha=alpha,
        C=C,
        reference=f"SoftmaxRegression(solver={solver!r}, tol={tol:g})",
        f_star=f_star,
        target_gap=TARGET_GAP,
        repeats=REPEATS,
        blas=blas,
        rows=rows,
    )
