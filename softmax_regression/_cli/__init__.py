"""The ``softmax-regression`` command line: fit, predict, evaluate, demo.

This package owns everything the command line does beyond the estimator:
its arguments, its commands, what it prints, the files it reads and writes,
and the ways it fits a file.  One responsibility per module:

* :mod:`._parsing`: the argparse parser (:func:`build_parser`) and its
  argument types.
* :mod:`._commands`: the commands ``fit``, ``predict``, ``evaluate`` and
  ``demo``, and :func:`main` (error handling, exit statuses).
* :mod:`._report`: every line printed to stdout or stderr, formatted; the
  place for a new output format.
* :mod:`._data_io`: DATA files in (CSV, Parquet, npz, svmlight), tables out.
* :mod:`._chunked_fit`: fitting a CSV/Parquet file in chunks, through
  ``partial_fit`` or Dask.
* :mod:`._progress`: the progress bar during fits.
* :mod:`._demo`: the digits demo beside scikit-learn's LogisticRegression.

:func:`main` is the console script ``softmax-regression`` and
``python -m softmax_regression``.
"""

from ._commands import main

__all__ = ["main"]
