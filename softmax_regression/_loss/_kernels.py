"""Module-level helpers of the multinomial loss: the thread pool, the row
blocks, the sparse in-place products, the tiled transpose, the float32
copy of sparse values the Hessian-vector products read, and the
block-size constants.

The constants are read at call time as attributes of this module (tests
patch them here)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

try:  # scipy's in-place kernels for Y += A X; the operator is the fallback
    from scipy.sparse._sparsetools import csc_matvecs, csr_matvecs

    # A^T of a CSR block is the CSC matrix with the same arrays, and back.
    TRANSPOSED_KERNELS = {"csr": csc_matvecs, "csc": csr_matvecs}
except ImportError:  # pragma: no cover - a scipy that moved them
    csc_matvecs = None
    TRANSPOSED_KERNELS = {}

# Rows per block are chosen so that one block of X plus its logits stays
# within about this many bytes, which keeps the block in cache between the
# two products that read it (X_b W^T and G^T X_b), but never fewer than
# MIN_BLOCK_ROWS rows: on wide data a 1 MiB block is a thin product that
# runs far below the BLAS's speed.  One loss-and-gradient pass on
# Fashion-MNIST (784 features, 163 rows a MiB) took 154.7 ms on one thread
# and 101.3 ms on two with a floor of 64 rows, 112.1 and 63.9 ms with 1024;
# the 200,000 x 100 synthetic set (1092 rows a MiB), a 20,000 x 50 one,
# pendigits and digits are unchanged (benchmarks/results_blocks.md).  The
# blocks do not depend on the thread count, so fits with different n_jobs
# sum in the same blocks.
BLOCK_BYTES = 1 << 20
MIN_BLOCK_ROWS = 1024
# Entries of X copied (densified, or cast) at a time where a whole copy is
# not wanted: rows_of's casts and value_range.  128 KiB of float64, where
# glibc's malloc still reuses its heap: with 512 KiB chunks, each chunk was
# a fresh mapping of the kernel's, and value_range on 2,000 rows of the
# 20,000 x 50 synthetic set took 0.71 ms in a fit (284 page faults) against
# 0.20 ms (none).
CHUNK_ENTRIES = 1 << 14
# Rows of a matrix copied per tile when transposing it (see transposed).
TRANSPOSE_TILE = 512

# Dense float64 logits are W X_b^T, except for at most this many classes
# and features, where OpenBLAS's dgemm runs X_b W^T plus the transposed copy
# faster (a few columns out, X_b read as stored).  One value_and_grad on
# 20,000 random rows took 0.69-0.89x the time with 3 to 8 classes and 30 to
# 100 features, 0.88-1.06x with 8 to 20 features; with 10 or more classes
# it was 0.86-1.16x, and from 150-200 features on up to 1.46x
# (bench_logit_layout.py, benchmarks/results_blocks.md).
SAMPLE_MAJOR_MAX_CLASSES = 8
SAMPLE_MAJOR_MAX_FEATURES = 128

# gradient_hessp keeps the n x K probabilities for the Hessian-vector
# products that follow.  Beyond this many bytes they are stored in float32:
# 4 nK bytes (5% of a float64 X with d = 100, K = 10) instead of 8 nK.  The
# products still run in X's dtype; a relative error of 6e-8 in the Hessian
# perturbs only the Newton direction, never the gradient or the objective
# the solver tests.  Smaller problems keep them exact, so Newton-CG keeps
# its quadratic convergence to the last digits where memory is no concern.
FLOAT32_PROBA_BYTES = 8 << 20

# Values whose magnitudes lie in this range (far inside float32's) are copied
# in float32 where a copy only steers a search direction: subsampled-newton's
# samples, the sparse Hessian-vector products (float32_products_pay).
FLOAT32_RANGE = (1e-15, 1e15)

POOLS: dict[int, ThreadPoolExecutor] = {}


def thread_pool(n_threads: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``n_threads`` workers, created on first use."""
    if n_threads not in POOLS:
        POOLS[n_threads] = ThreadPoolExecutor(
            n_threads, thread_name_prefix="softmax_regression"
        )
    return POOLS[n_threads]


def sample_major_pays(n_classes: int, n_features: int) -> bool:
    """Whether dense float64 logits are computed as ``X_b W^T`` and
    transposed (see :data:`SAMPLE_MAJOR_MAX_CLASSES`)."""
    return (
        n_classes <= SAMPLE_MAJOR_MAX_CLASSES
        and n_features <= SAMPLE_MAJOR_MAX_FEATURES
    )


def run_blocks(
    blocks: list[slice], n_threads: int, work, make_buffers
) -> list[NDArray]:
    """Apply ``work(rows, buffers)`` to every block of rows and return the
    sum of the buffers.

    With ``n_threads > 1`` the blocks are dealt to the threads in a fixed
    round-robin order; each thread accumulates into its own buffers from
    ``make_buffers()`` and the per-thread buffers are summed in thread
    order, so a given thread count always gives the same bits.  numpy
    releases the GIL inside the products, so the blocks run in parallel.
    """
    n_threads = min(n_threads, len(blocks))
    if n_threads <= 1:
        buffers = make_buffers()
        for rows in blocks:
            work(rows, buffers)
        return buffers

    def run_share(thread_index: int) -> list[NDArray]:
        buffers = make_buffers()
        for rows in blocks[thread_index::n_threads]:
            work(rows, buffers)
        return buffers

    shares = list(thread_pool(n_threads).map(run_share, range(n_threads)))
    total = shares[0]
    for share in shares[1:]:
        for into, part in zip(total, share, strict=True):
            into += part
    return total


def squared(X_block):
    """Elementwise square of a dense or sparse block (a CSR/CSC block keeps
    its structure: only the stored values are squared)."""
    if not sp.issparse(X_block):
        return X_block**2
    if X_block.format in ("csr", "csc"):
        return type(X_block)(
            (np.square(X_block.data), X_block.indices, X_block.indptr),
            shape=X_block.shape,
        )
    return X_block.multiply(X_block).tocsr()


def add_sparse_xt_g(
    out: NDArray, X_block, g_rows: NDArray, n_threads: int = 1
) -> None:
    """``out += X_block^T g_rows`` for a sparse block, in place.

    ``out`` is ``(d, K)`` and ``g_rows`` is ``(m, K)``.  For a CSR or CSC
    block whose dtype matches, scipy's own kernels (those behind
    ``X.T @ G``: a CSR block's transpose is CSC and vice versa) accumulate
    straight into ``out``; the operator would allocate a ``d x K`` product
    per block and add it, which on wide data (sector: 55,197 features x 105
    classes, 46 MB) costs as much as the product itself.  A CSC block's
    columns are dealt to ``n_threads`` threads (:func:`column_shares`), each
    writing its own rows of ``out``: the same bits as one thread.
    """
    kernel = TRANSPOSED_KERNELS.get(X_block.format)
    fits = (
        kernel is not None
        and out.flags.c_contiguous
        and g_rows.flags.c_contiguous
        and out.dtype == X_block.dtype == g_rows.dtype
    )
    if not fits:
        out += X_block.T @ g_rows
        return
    n_rows, n_features = X_block.shape
    n_columns, g_flat = g_rows.shape[1], g_rows.ravel()
    if X_block.format == "csr":
        arrays = (X_block.indptr, X_block.indices, X_block.data)
        kernel(n_features, n_rows, n_columns, *arrays, g_flat, out.ravel())
        return

    def add_columns(columns: tuple[int, int]) -> None:
        start, stop = columns
        arrays = _column_arrays(X_block, start, stop)
        into = out[start:stop].ravel()  # a view: out is C-contiguous
        kernel(stop - start, n_rows, n_columns, *arrays, g_flat, into)

    _run_shares(add_columns, column_shares(X_block, n_threads))


def block_product(X_block, factor: NDArray, n_threads: int = 1) -> NDArray:
    """``X_block @ factor`` (``(m, K)``) for a block of X (dense or sparse)
    and a ``(d, K)`` factor.  A CSC block's columns are dealt to
    ``n_threads`` threads (:func:`column_shares`), each multiplying its
    columns into a ``(m, K)`` array of its own, summed in thread order: one
    thread count always gives the same bits.  On 20 Newsgroups (CSC,
    130,107 columns, 20 classes) two threads took 11.7 ms against 18.3 ms
    for one, and ``X^T G`` 10.3 against 16.7 ms."""
    shares = column_shares(X_block, n_threads)
    if (
        len(shares) < 2
        or csc_matvecs is None
        or factor.dtype != X_block.dtype
        or not factor.flags.c_contiguous
    ):
        return X_block @ factor
    n_rows, n_columns = X_block.shape[0], factor.shape[1]

    def multiply(columns: tuple[int, int]) -> NDArray:
        start, stop = columns
        arrays = _column_arrays(X_block, start, stop)
        product = np.zeros((n_rows, n_columns), dtype=factor.dtype)
        rows = factor[start:stop].ravel()
        csc_matvecs(n_rows, stop - start, n_columns, *arrays, rows, product.ravel())
        return product

    parts = _run_shares(multiply, shares)
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def column_shares(X_block, n_threads: int) -> list[tuple[int, int]]:
    """Column ranges of a CSC block with about equal numbers of stored
    entries, one per thread (a single range for one thread)."""
    n_columns = X_block.shape[1]
    csc = getattr(X_block, "format", None) == "csc"
    if n_threads <= 1 or not csc or n_columns < n_threads:
        return [(0, n_columns)]
    targets = np.linspace(0, X_block.indptr[-1], n_threads + 1)[1:-1]
    cuts = np.searchsorted(X_block.indptr, targets)
    edges = np.unique(np.concatenate([[0], cuts, [n_columns]]))
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def _column_arrays(X_block, start: int, stop: int):
    """The index pointer, indices and values of columns ``start:stop`` of a
    CSC block: views but for the index pointer, rebased (a copy of
    ``stop - start + 1`` integers) where it does not start at 0."""
    first, last = X_block.indptr[start], X_block.indptr[stop]
    indptr = X_block.indptr[start : stop + 1]
    if first:
        indptr = indptr - first
    return indptr, X_block.indices[first:last], X_block.data[first:last]


def _run_shares(work, shares: list):
    """``[work(share) for share in shares]``, on a thread each where there
    are several (scipy's sparse kernels release the GIL)."""
    if len(shares) == 1:
        return [work(shares[0])]
    return list(thread_pool(len(shares)).map(work, shares))


def class_major_positions(target: NDArray, blocks: list[slice]) -> NDArray[np.intp]:
    """For each row, the position of its target class in its block's
    class-major ``(K, m)`` logits, flattened: ``target_i * m + (i - start)``.

    With these, the loss gathers the target logits and subtracts the one-hot
    targets by one flat index per row (``take``, and ``-=`` on a flat view)
    instead of a pair of index arrays: on a 2,184-row block with 5 classes
    3.3 and 8.6 us against 13.3 and 26.9 us, about a tenth of a whole
    loss-and-gradient pass on the 20,000 x 50 synthetic set.  int32 where
    every position fits (an array of ``n``: half a float64 vector).
    """
    largest = max((rows.stop - rows.start for rows in blocks), default=0)
    fits = int(target.max(initial=0) + 1) * largest < np.iinfo(np.int32).max
    positions = target.astype(np.int32 if fits else np.intp)
    for rows in blocks:
        span = rows.stop - rows.start
        positions[rows] *= span
        positions[rows] += np.arange(span)
    return positions


def rows_of(X, rows, dtype=None):
    """``X[rows]`` in ``dtype`` (X's when None).  A dense cast is written
    chunk by chunk, so the copy in X's dtype never exists whole (a float32
    sample of float64 rows then costs half their bytes, not one and a
    half)."""
    if dtype is None or np.dtype(dtype) == X.dtype:
        return X[rows]
    if sp.issparse(X):
        return X[rows].astype(dtype)
    rows = np.arange(X.shape[0])[rows]
    out = np.empty((len(rows), X.shape[1]), dtype=dtype)
    step = max(1, CHUNK_ENTRIES // max(X.shape[1], 1))
    for start in range(0, len(rows), step):
        # ``take`` gathers rows faster than fancy indexing: 4,000 rows of
        # the 20,000 x 50 synthetic set in 0.08 ms against 0.14 ms
        out[start : start + step] = X.take(rows[start : start + step], axis=0)
    return out


def transposed(matrix: NDArray, out: NDArray | None = None) -> NDArray:
    """``matrix.T`` written into ``out`` (a new C-contiguous array if None),
    in tiles of ``matrix``'s rows so that reads and writes both stay in
    cache: a tall ``d x K`` sparse gradient accumulator copies faster so
    than in one strided pass."""
    if out is None:
        out = np.empty(matrix.shape[::-1], dtype=matrix.dtype)
    step = TRANSPOSE_TILE
    for start in range(0, matrix.shape[0], step):
        out[:, start : start + step] = matrix[start : start + step].T
    return out


def column_layout_pays(X, n_classes: int) -> bool:
    """Whether the products should read sparse ``X`` by columns (CSC).

    Each product ``X F`` or ``X^T G`` reads, for every stored entry, a row of
    the dense operand indexed by the entry's column (CSR) or row (CSC): the
    ``d x K`` coefficients or the ``n x K`` logits.  With more features than
    samples the latter is the smaller and stays in cache (20 Newsgroups,
    130,107 features and 11,314 samples: one loss-and-gradient evaluation
    43 ms, against 70 ms for scikit-learn's CSR loss, bench_kernel.py).  The
    CSC copy is taken only when it is no larger than two ``d x K`` vectors,
    fewer than any solver already holds, so peak memory stays
    ``O(K d)`` beyond X.
    """
    if not sp.issparse(X) or X.format == "csc":
        return False
    n_samples, n_features = X.shape
    copy_bytes = X.nnz * (X.dtype.itemsize + X.indices.itemsize)
    return (
        n_features > n_samples
        and copy_bytes <= 2 * n_features * n_classes * X.dtype.itemsize
    )


def float32_products_pay(X, n_params: int, value_range) -> bool:
    """Whether the Hessian-vector products should read a float32 copy of a
    sparse float64 X's values (``value_range()``: the smallest nonzero and
    the largest magnitude in X, asked for last).

    The products' kernels then move half the bytes: on 20 Newsgroups a
    product's two sparse kernels take 19 ms instead of 36, on sector 52 ms
    instead of 125, with the same number of conjugate-gradient iterations
    (benchmarks/results_sparse_cg.md); the gradient and the objective stay
    in float64.  The copy (4 bytes per stored value, the indices shared) is
    taken only when it is at most half a float64 parameter vector, so peak
    memory stays ``O(K d)`` beyond X, and when every value keeps its
    magnitude in float32 (:data:`FLOAT32_RANGE`).
    """
    if not (sp.issparse(X) and X.format in ("csr", "csc")):
        return False
    half_a_vector = n_params * np.dtype(np.float64).itemsize / 2
    if X.dtype != np.float64 or 4 * X.nnz > half_a_vector:
        return False
    return within_float32_range(*value_range())


def within_float32_range(low: float, high: float) -> bool:
    """Whether nonzero magnitudes from ``low`` to ``high`` (a
    :func:`value_range`) lie in :data:`FLOAT32_RANGE`."""
    return FLOAT32_RANGE[0] <= low and high <= FLOAT32_RANGE[1]


def value_range(X, rows=None) -> tuple[float, float]:
    """The smallest nonzero and the largest ``|x|`` of X, or of its
    ``rows`` (an index array; ``(inf, 0)`` when they are all zeros): whether
    a copy in float32 keeps every value.  Dense rows are read a chunk at a
    time, never copied whole."""
    if sp.issparse(X):
        values = (X if rows is None else X[rows]).data
        chunk = CHUNK_ENTRIES
        parts = (values[i : i + chunk] for i in range(0, len(values), chunk))
    else:
        step = max(1, CHUNK_ENTRIES // max(X.shape[1], 1))
        if rows is None:  # views of X
            parts = (X[i : i + step] for i in range(0, X.shape[0], step))
        else:
            parts = (
                X.take(rows[i : i + step], axis=0) for i in range(0, len(rows), step)
            )
    low, high = float("inf"), 0.0
    for part in parts:
        magnitude = np.abs(part)
        high = max(high, float(magnitude.max(initial=0.0)))
        low = min(low, float(np.min(magnitude, where=magnitude > 0, initial=np.inf)))
    return low, high


class ProductMatrices:
    """What the Hessian-vector products and the Jacobi diagonal read, made
    once per loss, at first use.

    Parameters
    ----------
    X : {ndarray, sparse matrix}
        The loss's data (held here, not the loss: a sample's loss must be
        freed when its step is done, not by the cyclic garbage collector).
    n_params : int
        The length of a parameter vector.
    """

    def __init__(self, X, n_params: int) -> None:
        self.X = X
        self.n_params = n_params
        self._matrix = None
        self._squares = None

    def matrix(self):
        """The matrix the products read and its dtype: a float32 copy of
        sparse float64 X's values where :func:`float32_products_pay`,
        else X."""
        if self._matrix is None:
            X = self.X
            self._matrix = (X, X.dtype)
            if float32_products_pay(X, self.n_params, lambda: value_range(X)):
                self._matrix = (float32_values(X), np.dtype(np.float32))
        return self._matrix

    def squares(self):
        """The float32 copy's values squared (for the diagonal), where
        there is such a copy; else None."""
        matrix = self.matrix()[0]
        if matrix is self.X:
            return None
        if self._squares is None:
            self._squares = squared(matrix)
        return self._squares


def float32_values(X):
    """A CSR/CSC matrix with X's indices and X's values in float32."""
    return type(X)((X.data.astype(np.float32), X.indices, X.indptr), shape=X.shape)


def row_blocks(X, n_classes: int, n_threads: int) -> list[slice]:
    """The blocks of rows a loss processes X in (see ``BLOCK_BYTES``).

    Dense X: about ``BLOCK_BYTES`` of X and its logits per block, at least
    ``MIN_BLOCK_ROWS`` rows; the same blocks whatever ``n_threads``, so the
    sums, and nearly the bits, do not depend on it.  CSR X: blocks with
    about equal numbers of stored entries (about ``BLOCK_BYTES`` of them,
    and at most ``nnz / n_threads`` so every thread gets work).  CSC rows
    cannot be sliced cheaply: one block, whose columns the threads share
    inside each product instead (:func:`column_shares`).
    """
    n_samples, n_features = X.shape
    if not sp.issparse(X):
        row_bytes = (n_features + 2 * n_classes) * X.dtype.itemsize
        rows = max(MIN_BLOCK_ROWS, BLOCK_BYTES // max(row_bytes, 1))
        return [
            slice(start, min(start + rows, n_samples))
            for start in range(0, n_samples, rows)
        ]
    if X.format != "csr":
        return [slice(0, n_samples)]
    nnz = int(X.indptr[-1])
    entry_bytes = X.dtype.itemsize + X.indices.itemsize
    target = max(BLOCK_BYTES // entry_bytes, 1)
    if n_threads > 1:
        target = min(target, -(-nnz // n_threads))
    n_blocks = max(1, -(-nnz // max(target, 1)))
    cuts = np.searchsorted(X.indptr, np.linspace(0, nnz, n_blocks + 1)[1:-1])
    edges = np.unique(np.concatenate([[0], cuts, [n_samples]]))
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges)]
