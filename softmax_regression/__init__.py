"""Multinomial logistic (softmax) regression for scikit-learn."""

from ._cross_entropy import cross_entropy, cross_entropy_grad
from ._cv import SoftmaxRegressionCV
from ._estimator import SoftmaxRegression
from ._path import softmax_regression_path
from ._softmax import log_softmax, logsumexp, softmax

__version__ = "0.1.0"

__all__ = [
    "SoftmaxRegression",
    "SoftmaxRegressionCV",
    "__version__",
    "cross_entropy",
    "cross_entropy_grad",
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_regression_path",
]
