"""MultinomialLoss: value, gradient and Hessian-vector product against the truth."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime

from softmax_regression import _loss, cross_entropy
from softmax_regression._loss import MultinomialLoss, ParameterLayout, _kernels
from softmax_regression._loss._pairs import (
    class_pair_coefficients,
    feature_pair_products,
)

N, D, K = 40, 5, 3


def _data(seed=0, soft=False, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)).astype(dtype)
    X[rng.random(size=X.shape) < 0.4] = 0.0  # some sparsity for the sparse case
    target = rng.dirichlet(np.ones(K), size=N) if soft else rng.integers(0, K, N)
    weight = rng.uniform(0.2, 3.0, size=N)
    return X, target, weight


CONTAINERS = {"dense": np.asarray, "csr": sp.csr_matrix, "csc": sp.csc_matrix}


def _loss_for(container, fit_intercept, weighted, soft=False, dtype=np.float64):
    X, target, weight = _data(soft=soft, dtype=dtype)
    if not weighted:
        weight = np.ones(N)
    return (
        MultinomialLoss(
            CONTAINERS[container](X), target, weight, K, fit_intercept=fit_intercept
        ),
        X,
        target,
        weight,
    )


CASES = [
    (container, fit_intercept, weighted, soft)
    for container in CONTAINERS
    for fit_intercept in (True, False)
    for weighted in (True, False)
    for soft in (False, True)
]


@pytest.mark.parametrize("container, fit_intercept, weighted, soft", CASES)
def test_value_matches_cross_entropy_of_logits(
    container, fit_intercept, weighted, soft
):
    loss, X, target, weight = _loss_for(container, fit_intercept, weighted, soft)
    w = np.random.default_rng(1).normal(size=loss.n_params)
    coef, intercept = loss.unpack(w)
    logits = X @ coef.T + (intercept if fit_intercept else 0)
    expected = cross_entropy(logits, target, weight)
    assert loss.value(w) == pytest.approx(expected, rel=1e-13)
    assert loss.value_and_grad(w)[0] == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("container, fit_intercept, weighted, soft", CASES)
def test_gradient_matches_finite_differences(container, fit_intercept, weighted, soft):
    loss, *_ = _loss_for(container, fit_intercept, weighted, soft)
    w = np.random.default_rng(2).normal(size=loss.n_params)
    _, grad = loss.value_and_grad(w)
    numeric = approx_fprime(w, loss.value, 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("container, fit_intercept, weighted, soft", CASES)
def test_hessp_matches_finite_differences_of_gradient(
    container, fit_intercept, weighted, soft
):
    loss, *_ = _loss_for(container, fit_intercept, weighted, soft)
    rng = np.random.default_rng(3)
    w, v = rng.normal(size=(2, loss.n_params))
    h = 1e-6
    numeric = (
        loss.value_and_grad(w + h * v)[1] - loss.value_and_grad(w - h * v)[1]
    ) / (2 * h)
    np.testing.assert_allclose(loss.hessp(w, v), numeric, rtol=1e-6, atol=1e-9)


def test_hessp_is_symmetric_and_positive_semidefinite():
    loss, *_ = _loss_for("dense", True, True)
    rng = np.random.default_rng(4)
    w, u, v = rng.normal(size=(3, loss.n_params))
    assert u @ loss.hessp(w, v) == pytest.approx(v @ loss.hessp(w, u), rel=1e-12)
    assert v @ loss.hessp(w, v) >= 0


@pytest.mark.parametrize("container", ["dense", "csr"])
def test_many_small_blocks_equal_one_block(container, monkeypatch):
    loss_one, *_ = _loss_for(container, True, True)
    monkeypatch.setattr(_kernels, "BLOCK_BYTES", 1)
    monkeypatch.setattr(_kernels, "MIN_BLOCK_ROWS", 7)
    loss_blocked, *_ = _loss_for(container, True, True)
    assert len(loss_blocked.blocks) > 2 and len(loss_one.blocks) == 1
    assert loss_blocked.blocks[-1].stop == N
    _assert_same_numbers(loss_one, loss_blocked, seed=5)


def _assert_same_numbers(loss, other, seed, zero_coef=()):
    """The two losses agree on the value, gradient, Hessian diagonal and
    Hessian-vector products at a random point, to rounding (``w``, ``v``
    with all-zero coefficients where named in ``zero_coef``)."""
    rng = np.random.default_rng(seed)
    w, v = rng.normal(size=(2, loss.n_params))
    for name, vector in (("w", w), ("v", v)):
        if name in zero_coef:
            vector[: loss.n_coef] = 0.0
    value, grad, diagonal, hessp = loss.gradient_hessp(w)
    other_value, other_grad, other_diagonal, other_hessp = other.gradient_hessp(w)
    assert value == pytest.approx(other_value, rel=1e-14)
    assert other.value_and_grad(w)[0] == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(grad, other_grad, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(diagonal, other_diagonal, rtol=1e-13)
    np.testing.assert_allclose(hessp(v), other_hessp(v), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(loss.hessp(w, v), other.hessp(w, v), rtol=1e-13)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_both_dense_logit_layouts_give_the_same_numbers(fit_intercept, monkeypatch):
    # Dense float64 X with few classes and features computes its logits
    # sample-major (X_b W^T, transposed); the class-major road (W X_b^T)
    # must give the same loss, gradient, products and diagonal.
    sample_major, *_ = _loss_for("dense", fit_intercept, True)
    monkeypatch.setattr(_kernels, "SAMPLE_MAJOR_MAX_CLASSES", 0)
    class_major, *_ = _loss_for("dense", fit_intercept, True)
    assert sample_major._sample_major and not class_major._sample_major
    _assert_same_numbers(sample_major, class_major, seed=6)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("zero_coef", [("w",), ("v",), ("w", "v")])
def test_all_zero_coefficients_give_the_multiplied_numbers(fit_intercept, zero_coef):
    # Dense X skips the logits' product where W = 0 (a fit's start); sparse
    # X, which always multiplies, is the reference, in both logit layouts.
    dense, *_ = _loss_for("dense", fit_intercept, True)
    sparse, *_ = _loss_for("csr", fit_intercept, True)
    assert dense._logit_factor(np.zeros((K, D))) is None
    _assert_same_numbers(dense, sparse, seed=7, zero_coef=zero_coef)


def test_dense_logits_are_sample_major_only_for_few_classes_and_features():
    assert _kernels.sample_major_pays(5, 50)
    assert _kernels.sample_major_pays(_kernels.SAMPLE_MAJOR_MAX_CLASSES, 128)
    assert not _kernels.sample_major_pays(10, 50)
    assert not _kernels.sample_major_pays(5, 784)
    X = np.zeros((4, 784))
    assert not MultinomialLoss(X, np.arange(4) % 2, np.ones(4), 2)._sample_major


def test_float32_computes_in_float32_close_to_float64():
    loss32, *_ = _loss_for("dense", True, True, dtype=np.float32)
    loss64, *_ = _loss_for("dense", True, True, dtype=np.float64)
    w = np.random.default_rng(6).normal(size=loss32.n_params)
    v32, g32 = loss32.value_and_grad(w)
    v64, g64 = loss64.value_and_grad(w)
    assert g32.dtype == np.float32 and loss32.hessp(w, w).dtype == np.float32
    assert v32 == pytest.approx(v64, rel=1e-6)
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)


def test_flat_vector_layout_is_row_major_coef_then_intercept():
    loss, *_ = _loss_for("dense", True, False)
    w = np.arange(loss.n_params, dtype=float)
    coef, intercept = loss.unpack(w)
    assert coef.shape == (K, D)
    assert coef[1, 0] == D  # class 1 starts after class 0's D coefficients
    np.testing.assert_array_equal(intercept, np.arange(K * D, K * D + K))


def test_data_is_not_copied():
    X, target, weight = _data()
    loss = MultinomialLoss(X, target, weight, K)
    assert loss.X is X


@pytest.mark.parametrize("container, fit_intercept, weighted, soft", CASES)
def test_full_hessian_and_cached_hessp_match_hessp(
    container, fit_intercept, weighted, soft
):
    loss, *_ = _loss_for(container, fit_intercept, weighted, soft)
    rng = np.random.default_rng(7)
    w, v = rng.normal(size=(2, loss.n_params))
    value, grad = loss.value_and_grad(w)
    value_h, grad_h, hess = loss.hessian(w)
    value_c, grad_c, diagonal, cached_hessp = loss.gradient_hessp(w)
    for other_value, other_grad in ((value_h, grad_h), (value_c, grad_c)):
        assert other_value == pytest.approx(value, rel=1e-14)
        np.testing.assert_allclose(other_grad, grad, rtol=1e-12, atol=1e-16)
    expected = loss.hessp(w, v)
    np.testing.assert_allclose(hess @ v, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(cached_hessp(v), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(hess, hess.T, atol=1e-15)
    np.testing.assert_allclose(np.diag(hess), diagonal, rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(
        loss.hessian_diagonal(w), diagonal, rtol=1e-12, atol=1e-16
    )


@pytest.mark.parametrize("container", ["dense", "csr", "csc"])
def test_gradient_hessp_without_the_diagonal_gives_the_same_rest(container):
    loss, *_ = _loss_for(container, True, True)
    rng = np.random.default_rng(9)
    w, v = rng.normal(size=(2, loss.n_params))
    value, grad, diagonal, hessp = loss.gradient_hessp(w)
    value_n, grad_n, none, hessp_n = loss.gradient_hessp(w, diagonal=False)
    assert none is None and diagonal.shape == grad.shape
    assert value_n == value
    np.testing.assert_array_equal(grad_n, grad)
    np.testing.assert_array_equal(hessp_n(v), hessp(v))
    np.testing.assert_array_equal(
        hessp_n.class_covariance(), hessp.class_covariance()
    )


def test_target_positions_index_each_blocks_class_major_logits(monkeypatch):
    monkeypatch.setattr(_kernels, "BLOCK_BYTES", 1)
    monkeypatch.setattr(_kernels, "MIN_BLOCK_ROWS", 7)
    loss, _, target, _ = _loss_for("dense", True, False)
    assert len(loss.blocks) > 2
    positions = _kernels.class_major_positions(target, loss.blocks)
    assert positions.dtype == np.int32  # half the bytes of an intp array
    for rows in loss.blocks:
        logits = np.random.default_rng(rows.start).normal(
            size=(K, rows.stop - rows.start)
        )
        columns = np.arange(logits.shape[1])
        np.testing.assert_array_equal(
            logits.reshape(-1)[positions[rows]], logits[target[rows], columns]
        )


def test_cached_hessp_stores_large_probabilities_in_float32(monkeypatch):
    """Beyond the size limit the cached probabilities are float32: the
    products agree with the exact ones to float32 precision, in norm."""
    import softmax_regression._loss._kernels as loss_module

    monkeypatch.setattr(loss_module, "FLOAT32_PROBA_BYTES", 0)
    loss, *_ = _loss_for("dense", True, True)
    rng = np.random.default_rng(8)
    w, v = rng.normal(size=(2, loss.n_params))
    *_, cached_hessp = loss.gradient_hessp(w)
    expected = loss.hessp(w, v)
    cached = cached_hessp(v)
    assert cached.dtype == np.float64
    assert not np.array_equal(cached, expected)  # rounded, so not bit-equal
    assert np.linalg.norm(cached - expected) <= 1e-6 * np.linalg.norm(expected)


def test_shift_directions_are_flat_for_the_loss():
    loss, *_ = _loss_for("dense", True, True)
    w = np.random.default_rng(8).normal(size=loss.n_params)
    _, grad, hess = loss.hessian(w)
    directions = loss.shift_directions()
    assert directions.shape == (loss.n_params, D + 1)
    np.testing.assert_allclose(directions.T @ directions, np.eye(D + 1), atol=1e-15)
    np.testing.assert_allclose(hess @ directions, 0.0, atol=1e-14)
    np.testing.assert_allclose(directions.T @ grad, 0.0, atol=1e-14)


@pytest.mark.parametrize("container", ["dense", "csr", "csc"])
def test_threads_give_the_same_numbers(container, monkeypatch):
    monkeypatch.setattr(_kernels, "BLOCK_BYTES", 1)
    monkeypatch.setattr(_kernels, "MIN_BLOCK_ROWS", 5)
    X, target, weight = _data()
    X = CONTAINERS[container](X)
    rng = np.random.default_rng(9)
    w, v = rng.normal(size=(2, K * D + K))
    results = []
    for n_threads in (1, 2, 3):
        loss = MultinomialLoss(X, target, weight, K, n_threads=n_threads)
        value, grad = loss.value_and_grad(w)
        results.append((value, grad, loss.hessp(w, v), loss.gradient_hessp(w)[3](v)))
        again = loss.value_and_grad(w)
        assert again[0] == value and np.array_equal(again[1], grad)  # bit-identical
    for value, grad, hv, cached_hv in results[1:]:
        assert value == pytest.approx(results[0][0], rel=1e-12)
        np.testing.assert_allclose(grad, results[0][1], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hv, results[0][2], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(cached_hv, results[0][3], rtol=1e-12, atol=1e-15)


def _wide_csc(n=300, d=2_000, density=0.02, dtype=np.float64, seed=11):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csc", random_state=rng)
    return X.astype(dtype)


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_csc_columns_split_among_threads(n_threads, dtype):
    X = _wide_csc(dtype=dtype)
    shares = _kernels.column_shares(X, n_threads)
    assert len(shares) == n_threads
    assert shares[0][0] == 0 and shares[-1][1] == X.shape[1]
    starts, stops = zip(*shares, strict=True)
    assert starts[1:] == stops[:-1]  # contiguous
    counts = [X.indptr[stop] - X.indptr[start] for start, stop in shares]
    assert max(counts) - min(counts) <= 2 * np.diff(X.indptr).max()  # even
    rng = np.random.default_rng(12)
    factor = rng.normal(size=(X.shape[1], 4)).astype(dtype)
    g_rows = rng.normal(size=(X.shape[0], 4)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    product = _kernels.block_product(X, factor, n_threads)
    expected = X.toarray() @ factor
    scale = tolerance * np.abs(expected).max()
    np.testing.assert_allclose(product, expected, rtol=tolerance, atol=scale)
    assert np.array_equal(product, _kernels.block_product(X, factor, n_threads))
    one, split = (np.zeros((X.shape[1], 4), dtype=dtype) for _ in range(2))
    _kernels.add_sparse_xt_g(one, X, g_rows, 1)
    _kernels.add_sparse_xt_g(split, X, g_rows, n_threads)
    assert np.array_equal(one, split)  # each thread writes its own rows
    expected = X.toarray().T @ g_rows
    scale = tolerance * np.abs(expected).max()
    np.testing.assert_allclose(split, expected, rtol=tolerance, atol=scale)


def test_a_csc_loss_on_threads_matches_one_thread_in_every_product():
    X = _wide_csc()
    rng = np.random.default_rng(13)
    target = rng.integers(0, 3, size=X.shape[0])
    weight = rng.uniform(0.5, 2.0, size=X.shape[0])
    w, v = rng.normal(size=(2, 3 * X.shape[1] + 3))
    results = []
    for n_threads in (1, 2):
        loss = MultinomialLoss(X, target, weight, 3, n_threads=n_threads)
        value, grad, diagonal, hessp = loss.gradient_hessp(w)
        working = hessp.working
        out = np.empty_like(v)
        in_order = working.from_order(working.product(working.to_order(v), out))
        results.append((value, grad, diagonal, hessp(v), in_order))
    for one, two in zip(*results, strict=True):
        np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(results[1][4], results[1][3], rtol=1e-12, atol=1e-15)


def test_sparse_products_without_scipys_in_place_kernels(monkeypatch):
    """The operator fallback (a scipy without the private kernels) gives the
    same numbers as the in-place kernels, for CSR and CSC."""
    rng = np.random.default_rng(10)
    w, v = rng.normal(size=(2, K * D + K))
    for container in ("csr", "csc"):
        loss, *_ = _loss_for(container, True, True)
        fast = (*loss.value_and_grad(w), loss.hessp(w, v), loss.hessian_diagonal(w))
        with monkeypatch.context() as patch:
            patch.setattr(_kernels, "TRANSPOSED_KERNELS", {})
            slow = (*loss.value_and_grad(w), loss.hessp(w, v), loss.hessian_diagonal(w))
        assert fast[0] == pytest.approx(slow[0], rel=1e-14)
        for a, b in zip(fast[1:], slow[1:], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-16)


def test_column_layout_only_for_wide_sparse_data():
    rng = np.random.default_rng(11)
    wide = sp.random(50, 400, density=0.05, format="csr", random_state=rng)
    assert _loss.column_layout_pays(wide, n_classes=3)
    assert not _loss.column_layout_pays(wide.T.tocsr(), n_classes=3)  # tall
    assert not _loss.column_layout_pays(wide.tocsc(), n_classes=3)  # already
    assert not _loss.column_layout_pays(wide.toarray(), n_classes=3)  # dense
    # a copy larger than two d x K vectors is not taken: nearly dense rows
    dense_rows = sp.csr_matrix(rng.normal(size=(50, 400)))
    assert not _loss.column_layout_pays(dense_rows, n_classes=2)


def test_transposed_in_tiles(monkeypatch):
    monkeypatch.setattr(_kernels, "TRANSPOSE_TILE", 3)
    matrix = np.arange(70.0).reshape(14, 5)
    np.testing.assert_array_equal(_kernels.transposed(matrix), matrix.T)
    out = np.empty((5, 14))
    assert _kernels.transposed(matrix, out=out) is out
    np.testing.assert_array_equal(out, matrix.T)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_parameter_layout_pack_unpack_round_trip(fit_intercept):
    layout = ParameterLayout(K, D, fit_intercept)
    assert layout.n_coef == K * D
    assert layout.n_params == K * D + (K if fit_intercept else 0)
    rng = np.random.default_rng(12)
    coef, intercept = rng.normal(size=(K, D)), rng.normal(size=K)
    w = layout.pack(coef, intercept)
    assert w.dtype == np.float64 and w.shape == (layout.n_params,)
    np.testing.assert_array_equal(w[D : 2 * D], coef[1])  # class 1, row-major
    got_coef, got_intercept = layout.unpack(w)
    np.testing.assert_array_equal(got_coef, coef)
    assert np.shares_memory(got_coef, w)  # a view, no copy
    if fit_intercept:
        np.testing.assert_array_equal(got_intercept, intercept)
        np.testing.assert_array_equal(layout.pack(coef)[K * D :], 0.0)
    else:
        assert got_intercept is None
    np.testing.assert_array_equal(layout.zeros(), np.zeros(layout.n_params))
    loss, *_ = _loss_for("dense", fit_intercept, True)
    assert loss.layout == layout
    np.testing.assert_array_equal(loss.unpack(w)[0], got_coef)


def test_parameter_layout_unpack_casts_to_the_given_dtype():
    layout = ParameterLayout(K, D, True)
    w = np.arange(layout.n_params, dtype=np.float64)
    coef, intercept = layout.unpack(w, np.float32)
    assert coef.dtype == intercept.dtype == np.float32
    assert layout.unpack(w)[0].dtype == np.float64  # None keeps w's dtype
    loss32, *_ = _loss_for("dense", True, True, dtype=np.float32)
    assert loss32.unpack(w)[0].dtype == np.float32
    np.testing.assert_array_equal(layout.pack(coef, intercept), w)


def test_parameter_layout_rejects_a_wrong_coef_shape():
    layout = ParameterLayout(K, D, True)
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(3, 5\)"):
        layout.pack(np.zeros((D, K)))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_parameter_layout_shift_directions_span_the_null_space(fit_intercept):
    loss, *_ = _loss_for("dense", fit_intercept, True)
    directions = loss.layout.shift_directions()
    width = D + int(fit_intercept)
    assert directions.shape == (loss.n_params, width)
    np.testing.assert_allclose(directions.T @ directions, np.eye(width), atol=1e-15)
    rng = np.random.default_rng(13)
    w = rng.normal(size=loss.n_params)
    for u in directions.T:
        for t in (-2.0, 3.5):
            assert loss.value(w + t * u) == pytest.approx(loss.value(w), rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_hessian_pair_factors_match_their_definitions(fit_intercept):
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=30).T  # (K, m)
    weight = rng.uniform(0.5, 2.0, 30)
    class_a, class_b = np.triu_indices(4)
    expected = -(proba[class_a] * proba[class_b]) * weight
    expected[class_a == class_b] += proba * weight
    np.testing.assert_allclose(class_pair_coefficients(proba, weight), expected)
    X = rng.normal(size=(30, 3))
    augmented = np.hstack([X, np.ones((30, 1))]) if fit_intercept else X
    feat_a, feat_b = np.triu_indices(augmented.shape[1])
    np.testing.assert_allclose(
        feature_pair_products(X, fit_intercept),
        (augmented[:, feat_a] * augmented[:, feat_b]).T,
    )
    np.testing.assert_allclose(
        feature_pair_products(sp.csr_matrix(X), fit_intercept),
        (augmented[:, feat_a] * augmented[:, feat_b]).T,
    )


@pytest.mark.parametrize("container", ["dense", "csr"])
def test_a_loss_is_freed_without_the_cyclic_garbage_collector(container):
    """A sample's loss (subsampled-newton draws one per step) goes when its
    step is done: nothing it holds refers back to it."""
    import gc
    import weakref

    loss, *_ = _loss_for(container, True, True)
    loss.gradient_hessp(np.zeros(loss.n_params))
    loss.products.squares()
    reference = weakref.ref(loss)
    gc.disable()
    try:
        del loss
        assert reference() is None
    finally:
        gc.enable()
