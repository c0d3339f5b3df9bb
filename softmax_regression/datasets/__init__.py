"""Real data sets for the examples, the benchmarks and the tests.

Pendigits (240 KB) ships with the package: :func:`load_pendigits` needs
nothing else.  The larger sets are looked for, in order, in

1. ``$SOFTMAX_REGRESSION_DATA/<name>/`` (a folder you configure),
2. the download cache, ``<scikit-learn data home>/softmax_regression/<name>/``,

and otherwise downloaded into the cache, checked against the published
checksum (``download_if_missing=False`` raises :class:`DatasetNotFoundError`
instead).

- :func:`load_pendigits`: 7494 x 16 (train), dense, 10 classes; ships.
- :func:`fetch_fashion_mnist`: 60000 x 784 (train), dense, 10 classes; 30 MB.
- :func:`fetch_sector`: 6412 x 55197 (train), sparse, 105 classes; 6 MB.
- :func:`fetch_20newsgroups_archive`: 11314 training messages, 20 groups;
  14 MB.
"""

from ._loaders import (
    fetch_20newsgroups_archive,
    fetch_fashion_mnist,
    fetch_sector,
    load_pendigits,
    pendigits_folder,
)
from ._locate import DATA_ENV, DatasetNotFoundError, cache_folder, dataset_file

__all__ = [
    "DATA_ENV",
    "DatasetNotFoundError",
    "cache_folder",
    "dataset_file",
    "fetch_20newsgroups_archive",
    "fetch_fashion_mnist",
    "fetch_sector",
    "load_pendigits",
    "pendigits_folder",
]
