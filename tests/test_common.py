"""scikit-learn's estimator checks, once per solver, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from softmax_regression import SoftmaxRegression, SoftmaxRegressionCV
from softmax_regression._solvers import SOLVERS


@parametrize_with_checks(
    [SoftmaxRegression()]
    + [SoftmaxRegression(solver=name) for name in sorted(SOLVERS)]
    + [
        SoftmaxRegression(l1_ratio=0.5),
        SoftmaxRegression(penalty="group", l1_ratio=1.0),
        SoftmaxRegression(solver="fista", l1_ratio=1.0),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@parametrize_with_checks([SoftmaxRegressionCV(alphas=[1e-1, 1e-3], cv=3)])
def test_sklearn_compatible_cv_estimator(estimator, check):
    check(estimator)
