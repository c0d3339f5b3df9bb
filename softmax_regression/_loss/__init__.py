"""The multinomial (softmax cross-entropy) loss over a data set.

This package owns the loss a solver minimises (without the penalty, see
:mod:`softmax_regression._objective`) and the flat parameter vector it is
written in.

Modules
-------
_multinomial
    :class:`MultinomialLoss`: value, gradient, Hessian products, diagonal
    and full Hessian, and the curvature summaries, over blocks of rows of
    X, in threads.
_layout
    :class:`ParameterLayout`: the flat parameter vector (``W`` row-major,
    then the intercepts), packing, unpacking and the softmax's null space.
_curvature
    Summaries for preconditioners: each feature's moments, the weighted
    Gram matrix of ``(x, 1)``, the value range, and the classes' mean
    softmax covariance (the other Kronecker factor, offered by the
    ``HessianProduct`` that ``gradient_hessp`` returns).
_conditioning
    :func:`newton_cg_steps`: how many conjugate-gradient iterations a
    Newton step needs on the features (from the spectrum of their scaled
    second moments), for ``solver="auto"``.
_pairs
    The full Hessian's two pair factors: class-pair coefficients and
    feature-pair products, whose product is a block's Hessian.
_working_order
    :class:`WorkingOrder`: the Hessian-vector product in the order the
    sparse products read and write the coefficients (feature-major), for
    conjugate gradients that transpose once per Newton step.
_kernels
    Module-level helpers: the thread pool, the sparse in-place products,
    the tiled transpose, :func:`column_layout_pays` and the block-size
    constants.
"""

from ._conditioning import (
    conjugate_gradient_steps,
    eigenvalue_resolution,
    newton_cg_steps,
    row_leverages,
    scaled_gram_spectrum,
)
from ._curvature import SUMMARIES, HessianProduct
from ._kernels import FLOAT32_RANGE, column_layout_pays, within_float32_range
from ._layout import ParameterLayout
from ._multinomial import MultinomialLoss
from ._working_order import WorkingOrder, order_maps

__all__ = [
    "FLOAT32_RANGE",
    "SUMMARIES",
    "HessianProduct",
    "MultinomialLoss",
    "ParameterLayout",
    "WorkingOrder",
    "column_layout_pays",
    "conjugate_gradient_steps",
    "eigenvalue_resolution",
    "newton_cg_steps",
    "order_maps",
    "row_leverages",
    "scaled_gram_spectrum",
    "within_float32_range",
]
