"""Multinomial logistic (softmax) regression for scikit-learn."""

from ._cross_entropy import cross_entropy, cross_entropy_grad
from ._estimator import SoftmaxRegression
from ._inference import InferenceResult, inference
from ._model_io import ModelFileError, load_model, save_model
from ._search import SoftmaxRegressionCV, softmax_regression_path
from ._softmax import log_softmax, logsumexp, softmax
from ._version import __version__

__all__ = [
    "InferenceResult",
    "ModelFileError",
    "SoftmaxRegression",
    "SoftmaxRegressionCV",
    "__version__",
    "cross_entropy",
    "cross_entropy_grad",
    "inference",
    "load_model",
    "log_softmax",
    "logsumexp",
    "save_model",
    "softmax",
    "softmax_regression_path",
]
