"""Load: many fits and many single-row predictions in one process keep no
memory, and concurrent predictions on one model agree with serial ones.

Memory is measured with tracemalloc, which counts only what is allocated
while it runs.  Each test first runs untraced (Python- and numpy-level
caches fill), then traced for a while (the allocators' caches settle on
traced blocks: the traced total drifts by a few KB and then stops), then
measures what the last stretch of calls leaves allocated.
"""

import gc
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.datasets import make_classification

from softmax_regression import SoftmaxRegression

pytestmark = pytest.mark.slow


def _retained_bytes(call, n_untraced: int, n_traced_warmup: int, n_measured: int):
    """Bytes allocated by the last ``n_measured`` calls and still held."""
    for i in range(n_untraced):
        call(i)
    tracemalloc.start()
    try:
        for i in range(n_traced_warmup):
            call(i)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n_measured):
            call(i)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    y = np.arange(20) % 2
    X = rng.normal(size=(20, 2)) + y[:, None]
    return X, y


def test_a_thousand_fits_keep_no_memory(tiny):
    X, y = tiny
    alphas = [1e-3, 1e-2, 1e-1]
    expected = [SoftmaxRegression(alpha=alpha).fit(X, y).coef_ for alpha in alphas]
    mismatches = []

    def fit(i):
        clf = SoftmaxRegression(alpha=alphas[i % 3]).fit(X, y)
        if not np.array_equal(clf.coef_, expected[i % 3]):
            mismatches.append(i)

    # 1,000 fits: 300 untraced, 300 traced to settle, 400 measured (after
    # settling, 400 fits moved the traced total by -3 to +13 KB; one leaked
    # 2 x 2 coef_ per fit would keep 60 KB)
    retained = _retained_bytes(fit, 300, 300, 400)
    assert retained < 64 * 1024, f"{retained} bytes kept by 400 fits"
    assert mismatches == []


def test_a_hundred_thousand_single_row_predictions_keep_no_memory(tiny):
    X, y = tiny
    clf = SoftmaxRegression().fit(X, y)
    expected = clf.predict_proba(X)
    mismatches = []

    def predict(i):
        row = i % len(X)
        proba = clf.predict_proba(X[row : row + 1])
        # one row and the whole batch may round differently in the product
        if i % 997 == 0 and not np.allclose(proba[0], expected[row], rtol=1e-14):
            mismatches.append(i)

    # 100,000 calls: 95,000 untraced, 2,500 traced to settle, 2,500 measured
    # (settling: 2,500 traced calls moved the total by 7, 6, 3.5, then 1 KB);
    # 32 KiB is 13 bytes a call, less than any Python object
    retained = _retained_bytes(predict, 95_000, 2_500, 2_500)
    assert retained < 32 * 1024, f"{retained} bytes kept by 2,500 predictions"
    assert mismatches == []


def test_predictions_from_eight_threads_equal_serial_ones():
    X, y = make_classification(
        n_samples=4_000, n_features=30, n_informative=15, n_classes=6, random_state=0
    )
    clf = SoftmaxRegression(alpha=1e-2).fit(X, y)
    chunks = np.array_split(np.arange(len(X)), 64)
    serial = [clf.predict_proba(X[rows]) for rows in chunks]
    serial_rows = [clf.predict_proba(X[i : i + 1])[0] for i in range(400)]
    start = threading.Barrier(8)

    def work(thread):
        start.wait()  # all eight threads predict at once
        blocks = [(i, clf.predict_proba(X[chunks[i]])) for i in range(thread, 64, 8)]
        rows = [clf.predict_proba(X[i : i + 1])[0] for i in range(thread, 400, 8)]
        return blocks, rows

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for thread, (blocks, rows) in enumerate(results):
        for i, proba in blocks:
            np.testing.assert_array_equal(proba, serial[i])
        np.testing.assert_array_equal(rows, serial_rows[thread::8])
