"""Statistical inference for a fitted softmax regression: standard errors,
z statistics, p-values, confidence intervals, the likelihood-ratio test,
pseudo-R², AIC and BIC, and a summary table.

Modules
-------
_api
    :func:`inference`, the one entry point, and :class:`InferenceWarning`.
_inputs
    Validation of the fitted model, the data, the reference class and the
    features: an ``InferenceProblem``.
_passes
    ``DataPasses``: the log-likelihood, gradient, information matrix (whole,
    or as products) and the scores' Gram matrix, in passes over X.
_parameterisation
    ``Parameterisation``: the reported parameters (contrasts or sum-to-zero)
    as a linear map of the flat vector; the unidentified directions.
_solve
    Cholesky and conjugate-gradient solves of the gauge-fixed information.
_result, _summary
    :class:`InferenceResult` and its text and DataFrame tables.
"""

from ._api import InferenceWarning, inference
from ._result import InferenceResult

__all__ = ["InferenceResult", "InferenceWarning", "inference"]
