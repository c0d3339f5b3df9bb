"""Newton-CG on sparse X runs its conjugate gradients in the loss's working
order (the coefficients feature-major, as the sparse products read and
write them): the products there against the flat-order ones, the orders'
round trip, and the steps and fits against the flat order's."""

import numpy as np
import pytest
import scipy.sparse as sp
from _spies import spy

from softmax_regression import SoftmaxRegression, _objective
from softmax_regression._loss import MultinomialLoss
from softmax_regression._objective import Objective
from softmax_regression._penalty import L2Penalty
from softmax_regression._solvers import _newton_cg
from softmax_regression._solvers._kronecker import jacobi
from softmax_regression._solvers._newton_cg import (
    conjugate_gradients,
    newton_cg_step,
    preconditioned_cg,
)


def _sparse_objective(
    fmt="csr",
    fit_intercept=True,
    dtype=np.float64,
    factor=None,
    n_threads=1,
    n=200,
    d=30,
    k=4,
    seed=0,
):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.2, random_state=seed, format=fmt, dtype=dtype)
    X.data *= rng.lognormal(0, 1, X.nnz).astype(dtype)
    weight = rng.uniform(0.5, 2.0, n)
    loss = MultinomialLoss(
        X, rng.integers(0, k, n), weight, k, fit_intercept, n_threads=n_threads
    )
    return Objective(loss, L2Penalty(0.05, factor=factor, n_classes=k))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_factor", [False, True])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_the_working_order_product_is_the_flat_product_reordered(
    fmt, fit_intercept, dtype, with_factor, n_threads
):
    factor = np.linspace(0.0, 2.0, 30) if with_factor else None
    objective = _sparse_objective(fmt, fit_intercept, dtype, factor, n_threads)
    rng = np.random.default_rng(1)
    w = rng.normal(size=objective.n_params)
    v = rng.normal(size=objective.n_params)
    _, _, _, hessp = objective.gradient_hessp(w)
    working = hessp.working
    assert working is not None
    u = working.to_order(v)
    np.testing.assert_array_equal(working.from_order(u), v)
    # feature-major: the coefficients of feature j for every class, in turn
    k, d = 4, 30
    np.testing.assert_array_equal(u[: k * d], v[: k * d].reshape(k, d).T.ravel())
    out = np.full(objective.n_params, np.nan)
    returned = working.product(u, out)
    assert returned is out and out.dtype == np.float64
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(
        working.from_order(out), hessp(v), rtol=tolerance, atol=tolerance
    )


def test_dense_data_keep_the_flat_order():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5))
    loss = MultinomialLoss(X, rng.integers(0, 3, 100), np.ones(100), 3, True)
    objective = Objective(loss, L2Penalty(0.1, n_classes=3))
    assert objective.gradient_hessp(np.zeros(objective.n_params))[3].working is None


def test_the_penalty_curvature_is_one_axpy_only_for_a_plain_ridge(monkeypatch):
    axpys = []
    get_blas_funcs = _objective.blas.get_blas_funcs

    def counted(names, arrays):
        axpy = get_blas_funcs(names, arrays)

        def counted_axpy(x, y, a):
            axpys.append((a, x.dtype))
            return axpy(x, y, a=a)

        return counted_axpy

    monkeypatch.setattr(_objective.blas, "get_blas_funcs", counted)
    plain = _sparse_objective()
    factored = _sparse_objective(factor=np.linspace(0.5, 2.0, 30))
    for dtype in (np.float64, np.float32):
        for objective, expected in [(plain, [(0.05, dtype)]), (factored, [])]:
            hessp = objective.gradient_hessp(np.zeros(objective.n_params))[3]
            axpys.clear()  # the product's own, not the gradient's penalty
            u = np.ones(objective.n_params, dtype=dtype)
            out = hessp.working.product(u, np.empty_like(u))
            assert axpys == expected
            np.testing.assert_allclose(
                hessp.working.from_order(out),
                hessp(hessp.working.from_order(u.astype(np.float64))),
                rtol=1e-6,
            )


def _textbook_cg(hessp, rhs, inverse_diagonal, rtol):
    """Jacobi-preconditioned conjugate gradients as printed (Saad,
    Algorithm 9.1): new arrays at every step, the products counted."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = inverse_diagonal * r
    p = z.copy()
    for n_products in range(1, 251):
        hp = hessp(p)
        alpha = (r @ z) / (p @ hp)
        x = x + alpha * p
        r_new = r - alpha * hp
        if np.linalg.norm(r_new) <= rtol * np.linalg.norm(rhs):
            return x, n_products
        z_new = inverse_diagonal * r_new
        p = z_new + (r_new @ z_new) / (r @ z) * p
        r, z = r_new, z_new
    return x, n_products


def test_conjugate_gradients_in_place_match_the_textbook_version():
    objective = _sparse_objective(fit_intercept=False)
    w = np.random.default_rng(2).normal(size=objective.n_params)
    _, grad, diagonal, hessp = objective.gradient_hessp(w)

    def into(v, out):
        out[...] = hessp(v)
        return out

    for rtol in [0.5, 1e-2, 1e-8]:
        expected, expected_products = _textbook_cg(hessp, -grad, 1 / diagonal, rtol)
        step, n_products, curvature = conjugate_gradients(
            into, -grad, jacobi(diagonal), rtol
        )
        assert n_products == expected_products
        np.testing.assert_allclose(step, expected, rtol=1e-10, atol=1e-14)
        # the curvature read from the residual is the step's x . H x
        assert curvature == pytest.approx(float(step @ hessp(step)), rel=1e-10)
        np.testing.assert_array_equal(
            preconditioned_cg(hessp, -grad, jacobi(diagonal), rtol), step
        )
    tight = conjugate_gradients(into, -grad, jacobi(diagonal), 1e-10).step
    np.testing.assert_allclose(hessp(tight), -grad, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_working_order_step_is_the_flat_order_step(fit_intercept):
    objective = _sparse_objective(fit_intercept=fit_intercept)
    w = np.random.default_rng(3).normal(size=objective.n_params)
    _, grad, diagonal, hessp = objective.gradient_hessp(w)
    flat = preconditioned_cg(
        hessp, -grad, jacobi(diagonal), _newton_cg.forcing_term(grad)
    )
    step = newton_cg_step(grad, diagonal, hessp, factors=None).step
    np.testing.assert_allclose(step, flat, rtol=1e-9, atol=1e-12)


def test_the_working_order_serves_every_sparse_newton_cg_step(monkeypatch):
    # the flat-order preconditioner is never built on sparse X without
    # Kronecker factors (more features than the factors allow): every step
    # solves in the working order
    calls = {"flat": 0, "working": 0}
    flat, working = _newton_cg.preconditioner_at, _newton_cg.conjugate_gradients

    def counted_flat(*args):
        calls["flat"] += 1
        return flat(*args)

    def counted_working(*args):
        calls["working"] += 1
        return working(*args)

    monkeypatch.setattr(_newton_cg, "preconditioner_at", counted_flat)
    monkeypatch.setattr(_newton_cg, "conjugate_gradients", counted_working)
    monkeypatch.setattr(_newton_cg, "kronecker_factors", lambda objective: None)
    objective = _sparse_objective()
    X, y = objective.loss.X, objective.loss.target
    sparse_fit = SoftmaxRegression(alpha=1e-2, solver="newton-cg", tol=1e-8).fit(X, y)
    assert calls["working"] >= sparse_fit.n_iter_ > 0
    assert calls["flat"] == 0
    dense_fit = SoftmaxRegression(alpha=1e-2, solver="newton-cg", tol=1e-8).fit(
        X.toarray(), y
    )
    np.testing.assert_allclose(
        sparse_fit.predict_proba(X), dense_fit.predict_proba(X), atol=1e-9
    )


def _wide_sparse_objective(scale=1.0, dtype=np.float64, fmt="csr", n_threads=1):
    # fewer stored values than parameters, as in text: 60 rows, 400 features
    rng = np.random.default_rng(5)
    X = sp.random(60, 400, density=0.02, random_state=5, format=fmt, dtype=dtype)
    X.data = (X.data + 0.1) * scale
    loss = MultinomialLoss(
        X, rng.integers(0, 4, 60), rng.uniform(0.5, 2, 60), 4, True, n_threads
    )
    return Objective(loss, L2Penalty(0.05, n_classes=4))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_sparse_products_read_a_float32_copy_of_the_values(fmt, n_threads):
    objective = _wide_sparse_objective(fmt=fmt, n_threads=n_threads)
    loss = objective.loss
    rng = np.random.default_rng(6)
    w, v = rng.normal(size=(2, objective.n_params))
    _, _, _, hessp = objective.gradient_hessp(w)
    copy, dtype = loss.products.matrix()
    assert dtype == np.float32 and copy.dtype == np.float32
    assert np.shares_memory(copy.indices, loss.X.indices)  # only the values
    exact = objective.hessp(w, v)  # float64 throughout
    np.testing.assert_allclose(hessp(v), exact, rtol=1e-5, atol=1e-7)
    working = hessp.working
    out = working.product(working.to_order(v), np.empty(objective.n_params))
    np.testing.assert_allclose(working.from_order(out), exact, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "objective",
    [
        _wide_sparse_objective(scale=1e-20),  # values float32 would lose
        _wide_sparse_objective(dtype=np.float32),  # already float32
        _sparse_objective(),  # more stored values than parameters
    ],
    ids=["tiny values", "float32 X", "denser X"],
)
def test_no_float32_copy_where_it_would_not_pay_or_not_keep_the_values(objective):
    objective.gradient_hessp(np.zeros(objective.n_params))
    matrix, dtype = objective.loss.products.matrix()
    assert matrix is objective.loss.X and dtype == objective.loss.dtype


def test_float32_products_reach_the_optimum_of_the_dense_fit():
    X = _wide_sparse_objective().loss.X
    y = np.random.default_rng(5).integers(0, 4, 60)
    sparse_fit = SoftmaxRegression(alpha=1e-2, solver="newton-cg", tol=1e-8).fit(X, y)
    dense_fit = SoftmaxRegression(
        alpha=1e-2, solver="newton-cholesky", tol=1e-8
    ).fit(X.toarray(), y)
    # 2e-8 apart with float64 products too: the two solvers' stopping points
    np.testing.assert_allclose(
        sparse_fit.predict_proba(X), dense_fit.predict_proba(X), atol=1e-7
    )


def _solve_dtypes(monkeypatch):
    """The dtype of every conjugate-gradient solve's right-hand side."""
    dtypes = []
    spy(
        monkeypatch,
        _newton_cg,
        "conjugate_gradients",
        lambda product, rhs, precondition, rtol: dtypes.append(rhs.dtype),
    )
    return dtypes


def test_float32_products_solve_in_float32_to_the_forcing_term(monkeypatch):
    dtypes = _solve_dtypes(monkeypatch)
    objective = _wide_sparse_objective()
    w = np.random.default_rng(7).normal(scale=0.3, size=objective.n_params)
    _, grad, diagonal, hessp = objective.gradient_hessp(w)
    step = newton_cg_step(grad, diagonal, hessp, factors=None, largest_rtol=1e-3).step
    assert dtypes == [np.float32] and step.dtype == np.float64
    # the residual in exact float64 arithmetic: the float32 solve's target
    # (the forcing term, here 1e-3) plus float32's rounding of the products
    residual = objective.hessp(w, step) + grad
    assert np.linalg.norm(residual) <= 1.01e-3 * np.linalg.norm(grad)


def test_float32_conjugate_gradients_stop_no_tighter_than_float32_allows(monkeypatch):
    objective = _wide_sparse_objective()
    w = np.zeros(objective.n_params)
    _, grad, diagonal, hessp = objective.gradient_hessp(w)
    rtols = []
    spy(
        monkeypatch,
        _newton_cg,
        "conjugate_gradients",
        lambda product, rhs, precondition, rtol: rtols.append(rtol),
    )
    tiny_gradient = grad * 1e-12  # a forcing term of 1e-6, far below 1e-4
    newton_cg_step(tiny_gradient, diagonal, hessp, factors=None)
    assert rtols == [_newton_cg._FLOAT32_RTOL]


def test_a_gradient_beyond_float32s_range_solves_in_float64(monkeypatch):
    dtypes = _solve_dtypes(monkeypatch)
    objective = _wide_sparse_objective()
    _, grad, diagonal, hessp = objective.gradient_hessp(np.zeros(objective.n_params))
    newton_cg_step(grad * 1e20, diagonal, hessp, factors=None)
    assert dtypes == [np.float64]


def test_float32_products_come_with_a_float32_diagonal_of_the_squares():
    objective = _wide_sparse_objective()
    loss = objective.loss
    w = np.random.default_rng(8).normal(scale=0.3, size=objective.n_params)
    _, _, diagonal, _ = objective.gradient_hessp(w)
    squares = loss.products.squares()
    assert squares.dtype == np.float32
    np.testing.assert_array_equal(squares.indices, loss.X.indices)
    assert diagonal.dtype == np.float64
    exact = objective.hessian_diagonal(w)  # a float64 pass of its own
    np.testing.assert_allclose(diagonal, exact, rtol=1e-6)
    assert not np.array_equal(diagonal, exact)  # float32 indeed
    dense = _sparse_objective()  # no float32 copy: no squares kept
    dense.gradient_hessp(np.zeros(dense.n_params))
    assert dense.loss.products.squares() is None


def test_only_sparse_unbounded_plain_ridge_objectives_run_in_the_working_order():
    from softmax_regression._box import Box

    assert _sparse_objective().order_maps() is not None
    assert _sparse_objective(factor=np.linspace(0.5, 2.0, 30)).order_maps() is None
    sparse = _sparse_objective()
    loss = sparse.loss
    dense = MultinomialLoss(loss.X.toarray(), loss.target, loss.sample_weight, 4)
    assert Objective(dense, sparse.penalty).order_maps() is None
    boxed = _sparse_objective()
    boxed.box = Box(-np.ones(boxed.layout.n_coef), np.ones(boxed.layout.n_coef))
    assert boxed.order_maps() is None


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_the_ordered_gradient_hessp_is_the_flat_one_reordered(fmt, fit_intercept):
    objective = _sparse_objective(fmt=fmt, fit_intercept=fit_intercept)
    to_order, from_order = objective.order_maps()
    rng = np.random.default_rng(9)
    w, v = rng.normal(size=(2, objective.n_params))
    np.testing.assert_array_equal(from_order(to_order(w)), w)
    value, grad, diagonal, hessp = objective.gradient_hessp(w)
    ordered = objective.gradient_hessp(to_order(w), ordered=True)
    assert ordered[0] == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(ordered[1], to_order(grad), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ordered[2], to_order(diagonal), rtol=1e-12)
    np.testing.assert_allclose(
        ordered[3](to_order(v)), to_order(hessp(v)), rtol=1e-10, atol=1e-14
    )
    working = ordered[3].working  # already in order: its maps only cast
    u = to_order(v)
    np.testing.assert_array_equal(working.to_order(u), u)
    out = working.product(u.copy(), np.empty_like(u))
    np.testing.assert_allclose(out, to_order(hessp(v)), rtol=1e-10, atol=1e-14)
    loss = objective.loss
    dense = MultinomialLoss(loss.X.toarray(), loss.target, loss.sample_weight, 4)
    with pytest.raises(ValueError, match="working order"):
        Objective(dense, objective.penalty).gradient_hessp(w, ordered=True)


def test_newton_cg_runs_in_the_working_order_and_reports_flat_points(monkeypatch):
    # as on text: more features than Kronecker factors allow
    monkeypatch.setattr(_newton_cg, "kronecker_factors", lambda objective: None)
    objective = _sparse_objective(n=300, d=40)
    flags = []
    spy(
        monkeypatch,
        Objective,
        "gradient_hessp",
        lambda self, w, ordered=False, **_: flags.append(ordered),
    )
    seen = []

    def callback(n_iter, w, value, grad_max):
        seen.append((w.copy(), value))

    w0 = np.zeros(objective.n_params)
    result = _newton_cg.solve(objective, w0, tol=1e-8, max_iter=50, callback=callback)
    assert result.converged and flags and all(flags)
    for w, value in seen:  # the observer gets the flat vector
        assert objective.value(w) == pytest.approx(value, rel=1e-12)
    np.testing.assert_array_equal(seen[-1][0], result.x)
    flags.clear()
    monkeypatch.setattr(Objective, "order_maps", lambda self: None)
    flat = _newton_cg.solve(objective, w0, tol=1e-8, max_iter=50)
    assert flags and not any(flags)
    assert flat.n_iter == result.n_iter
    np.testing.assert_allclose(flat.x, result.x, rtol=1e-9, atol=1e-12)
