"""lbfgs whose line search fails where the objective cannot resolve more
progress says so (converged to working precision), not scipy's bare
"ABNORMAL: "."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import make_classification

from softmax_regression import SoftmaxRegression
from softmax_regression._fit_hooks import observe_solves


def test_a_line_search_at_working_precision_counts_as_converged():
    # float32 features on scales from 1e-2 to 1e2, alpha=0, a tol float32
    # cannot reach: scipy's line search fails ("ABNORMAL: ") after a few
    # iterations, where the predicted decrease is below F's rounding error.
    X, y = make_classification(
        n_samples=300, n_features=20, n_informative=3, n_redundant=0,
        n_classes=3, random_state=3, flip_y=0.5,
    )  # fmt: skip
    X = (X * np.random.default_rng(3).lognormal(0, 2, 20)).astype(np.float32)
    reports = []
    with observe_solves(reports.append), warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        model = SoftmaxRegression(
            alpha=0, solver="lbfgs", tol=1e-9, fit_intercept=False
        ).fit(X, y)
    (report,) = reports
    assert report.converged
    assert report.message.startswith("converged to working precision")
    assert "ABNORMAL" not in report.message
    reference = SoftmaxRegression(
        alpha=0, solver="newton-cholesky", tol=1e-10, fit_intercept=False
    ).fit(X.astype(np.float64), y)
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), atol=1e-3
    )
