"""Searches over the penalty strength: the regularisation path, scoring its
points, and cross-validation along it, in memory and on Dask folds.

Modules:

* ``_path``: :func:`softmax_regression_path` and :func:`solve_path`, the
  warm-started path over any problem that supplies an objective and a
  solver (:class:`PathProblem` in memory);
* ``_scoring``: the default score and the models a scorer is given;
* ``_cv``: :class:`SoftmaxRegressionCV` and the in-memory folds;
* ``_dask_search``: the same search on data held in chunks on Dask workers.

Each point of a path is fitted by the fitting core
(:func:`softmax_regression._fitting.fit_objective`), as
:meth:`SoftmaxRegression.fit` is.
"""

from ._cv import SoftmaxRegressionCV
from ._path import softmax_regression_path

__all__ = ["SoftmaxRegressionCV", "softmax_regression_path"]
