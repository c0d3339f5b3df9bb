"""The order in which a loss's Hessian-vector products read and write the
coefficients, where it is not the flat vector's.

On sparse X the products compute the logits as ``X V^T`` and accumulate
``X^T G``: both want the coefficients feature-major, ``d x K``, where the
flat vector is class-major (``K x d``, :class:`~._layout.ParameterLayout`).
Conjugate gradients run in the working order instead, so the coefficients
are transposed once per Newton step, not twice per product (on sector,
55,197 features x 105 classes, the two transposes took 30% of a product;
benchmarks/results_sparse_cg.md).  The intercepts stay last, as in the flat
vector.

Where the objective's penalty does not care for the order (a plain ridge),
a solver can run wholly in the working order (``order_maps`` at its two
ends, ``gradient_hessp(u, ordered=True)`` in between): the five transposes
a Newton step still took (the gradient and the diagonal out of the loss's
accumulators and back into the order, the step out of it) cost 10% of a
20 Newsgroups fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._kernels import transposed


class WorkingOrder:
    """``u -> H u`` with ``u`` and ``H u`` in a loss's working order, and the
    conversions of a flat vector into that order and back.

    Parameters
    ----------
    product : callable
        ``product(u, out)`` writes ``H u`` into ``out`` (the length of
        ``u``; float64, or ``dtype`` without a conversion) and returns it.
    to_order, from_order : callable
        ``to_order(v, dtype=None)``: a flat vector into this order, and
        back, as new arrays (in ``dtype``, ``v``'s by default: reordered
        and cast in one pass).
    dtype : dtype
        The dtype the product computes in: vectors in it are read and
        written as they are.
    """

    def __init__(self, product, to_order, from_order, dtype) -> None:
        self.product = product
        self.to_order = to_order
        self.from_order = from_order
        self.dtype = np.dtype(dtype)


def working_order(
    loss,
    accumulated_product: Callable[..., list[NDArray]],
    dtype=None,
    ordered: bool = False,
) -> WorkingOrder | None:
    """The working order of ``loss``'s products at a point, or None where it
    is the flat vector's (dense X).

    Parameters
    ----------
    loss : MultinomialLoss
        The loss whose ``gradient_hessp`` made the product.
    accumulated_product : callable
        ``accumulated_product(dir_factor, dir_intercept, make_buffers)``:
        the product's accumulators ``[X^T G (d x K), intercepts (K,)]`` for
        a direction given as ``V^T`` (``d x K``) and its intercepts,
        summed into the buffers ``make_buffers()`` gives (once per thread).
    dtype : dtype, default=None
        The dtype the product accumulates in (the loss's by default; float32
        where the products read a float32 copy of X).
    ordered : bool, default=False
        Whether the product's point already is in this order (a solver
        running in it): ``to_order`` and ``from_order`` then only cast.
    """
    if not loss.sparse:
        return None
    n_coef, n_classes = loss.n_coef, loss.n_classes
    dtype = np.dtype(dtype or loss.dtype)
    shape = (loss.n_features, n_classes)
    fit_intercept = loss.fit_intercept

    # In another dtype than the solver's float64 vectors (float32 products),
    # the direction is cast into, and the product accumulated in, buffers
    # made once per Newton step, not once per product.
    buffers: dict[str, NDArray] = {}

    def buffer(name: str, like: NDArray) -> NDArray:
        if name not in buffers:
            buffers[name] = np.empty(like.shape, dtype=dtype)
        return buffers[name]

    def product(u: NDArray, out: NDArray) -> NDArray:
        direction = u
        if u.dtype != dtype:
            direction = buffer("direction", u)
            np.copyto(direction, u)
        dir_factor = direction[:n_coef].reshape(shape)
        dir_intercept = direction[n_coef:] if fit_intercept else None
        # The first thread's share of the blocks accumulates straight into
        # out (or its buffer in the product's dtype): no d x K buffer per
        # product; the other threads' shares are summed into it.
        flat = out if out.dtype == dtype else buffer("accumulator", out)
        views = [flat[:n_coef].reshape(shape), flat[n_coef:]]
        if not fit_intercept:
            views[1] = np.zeros(n_classes, dtype=dtype)
        calls = itertools.count()

        def make_buffers() -> list[NDArray]:
            if next(calls) > 0:
                return [np.zeros(shape, dtype=dtype), np.zeros(n_classes, dtype=dtype)]
            flat.fill(0)
            return views

        total = accumulated_product(dir_factor, dir_intercept, make_buffers)
        if total[0] is not views[0]:  # another thread's buffers came first
            views[0][...] = total[0]
            views[1][...] = total[1]
        if flat is not out:
            out[...] = flat
        return out

    if ordered:
        return WorkingOrder(product, _cast, _cast, dtype)
    to_order, from_order = order_maps(loss)
    return WorkingOrder(product, to_order, from_order, dtype)


def order_maps(loss) -> tuple[Callable, Callable]:
    """``(to_order, from_order)`` of sparse ``loss``'s working order: a flat
    vector (class-major coefficients, then the intercepts) into the
    feature-major order and back, as new arrays; ``to_order(v, dtype)``
    reorders and casts in one pass."""
    n_coef = loss.n_coef
    shape = (loss.n_features, loss.n_classes)

    def to_order(v: NDArray, dtype=None) -> NDArray:
        out = np.empty_like(v, dtype=dtype)
        transposed(v[:n_coef].reshape(shape[::-1]), out=out[:n_coef].reshape(shape))
        out[n_coef:] = v[n_coef:]
        return out

    def from_order(u: NDArray, dtype=None) -> NDArray:
        out = np.empty_like(u, dtype=dtype)
        transposed(u[:n_coef].reshape(shape), out=out[:n_coef].reshape(shape[::-1]))
        out[n_coef:] = u[n_coef:]
        return out

    return to_order, from_order


def _cast(v: NDArray, dtype=None) -> NDArray:
    """``v`` as a new array in ``dtype`` (``v``'s by default)."""
    return np.array(v, dtype=dtype)
