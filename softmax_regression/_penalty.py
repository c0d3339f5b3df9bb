"""Penalties on the coefficient matrix ``W`` (never on the intercept), and
the one registry of their names.

Every penalty is ``alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio *
R(W))``: a smooth L2 part of strength ``strength = alpha * (1 - l1_ratio)``
and a non-smooth part ``R`` of strength ``l1_strength = alpha * l1_ratio``.
:class:`Penalty` implements the L2 part and the interface once; each
penalty class (one level below it) supplies its ``R``:

* ``value(coef)``: the penalty itself;
* ``gradient``, ``hessp``, ``hessian_diagonal``: those of the smooth (L2)
  part, all a smooth solver needs;
* ``prox(coef, step)``: the proximal operator of ``step`` times the *whole*
  penalty, ``argmin_x ||x - coef||^2 / (2 step) + penalty(x)``, all a
  proximal solver needs besides the loss; ``step`` may also be an array,
  one step per entry (a diagonal metric; for the group penalty equal
  within each feature's column), with ``||.||^2 / (2 step)`` summed
  entrywise;
* ``min_norm_subgradient(coef, loss_grad)``: the element of smallest norm in
  ``loss_grad + d penalty(coef)``; it is zero exactly at the optimum, and
  its largest absolute entry is the stopping measure that gives ``tol`` one
  meaning for every penalty (for the L2 penalty it is the gradient);
* ``dual_norm(grad_coef)``: the norm of ``R``'s dual, in which ``W = 0``
  is optimal exactly when ``l1_strength >= dual_norm(loss gradient)``
  (the top of a regularisation path).

Every function acts on the flat coefficient block ``coef`` (``W`` in
row-major order, see :class:`~softmax_regression._loss.ParameterLayout`).

A ``penalty_factor`` ``f`` (one entry >= 0 per feature, glmnet's
``penalty.factor``, not rescaled) multiplies both parts for feature j:
``alpha * sum_j f_j ((1 - l1_ratio) / 2 * ||W[:, j]||^2 + l1_ratio *
R_j(W[:, j]))``; ``f_j = 0`` leaves feature j unpenalised.

Adding a penalty is one class here and one entry in :data:`PENALTY_CLASSES`
(see the architecture page of the documentation).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

#: A column's norm carries a rounding error of a few units in the last place.
_NORM_ROUNDING = 8 * float(np.finfo(np.float64).eps)


class Penalty:
    """The L2 part ``strength / 2 * ||W||_F^2`` plus ``l1_strength * R(W)``.

    Subclasses define the non-smooth ``R`` through ``_r_value``,
    ``_r_prox`` (the proximal operator of ``threshold * R``) and
    ``_r_min_norm`` (the minimal-norm element of ``g + l1_strength *
    dR(coef)``), and declare:

    Attributes
    ----------
    option : str or None
        The value of the estimators' ``penalty`` parameter that selects
        this class for ``l1_ratio > 0`` (None: chosen by ``l1_ratio = 0``).
    names : tuple of str
        The names the class answers to in :func:`make_penalty`.
    smooth : bool
        Whether the penalty is differentiable.
    r_of_columns : bool
        Whether ``R`` is a sum of norms of whole columns of ``W`` (or
        zero), so that centring each column never raises it (see
        :meth:`centring_never_raises`).
    """

    @property
    def r_separable(self) -> bool:
        """Whether ``R`` (with its strength) is a sum over the entries of
        ``W``, as a box constraint needs: an entrywise norm, or none."""
        return not self.r_of_columns or self.l1_strength == 0

    option: ClassVar[str | None] = None
    names: ClassVar[tuple[str, ...]] = ()
    smooth: ClassVar[bool] = False
    r_of_columns: ClassVar[bool] = True

    def __init__(
        self,
        strength: float,
        l1_strength: float = 0.0,
        *,
        factor: NDArray | None = None,
        n_classes: int = 1,
    ) -> None:
        if not strength >= 0:
            raise ValueError(f"penalty strength must be >= 0, got {strength}.")
        self.strength = float(strength)
        self.l1_strength = float(l1_strength)
        self.n_classes = int(n_classes)
        self.factor = None if factor is None else np.asarray(factor, dtype=np.float64)
        # Per entry of the flat block: its factor, the L2 and the R strengths.
        self._entries = None
        self._l2, self._l1 = self.strength, self.l1_strength
        if self.factor is not None:
            self._entries = np.tile(self.factor, self.n_classes)
            self._l2 = self.strength * self._entries
            self._l1 = self.l1_strength * self._entries
        #: The smooth part's curvature where it is one value on every
        #: coefficient (no factor, or equal factors), else None: then its
        #: value, gradient and curvature ignore the coefficients' order and
        #: need no vector of their size.
        self.uniform_curvature: float | None = self.strength
        if self.factor is not None:
            first = float(self.factor.flat[0]) if self.factor.size else 0.0
            equal = bool(np.all(self.factor == first))
            self.uniform_curvature = self.strength * first if equal else None

    @classmethod
    def from_params(
        cls,
        alpha: float,
        l1_ratio: float,
        n_classes: int,
        factor: NDArray | None = None,
    ) -> Penalty:
        """The penalty of the estimators' ``alpha``, ``l1_ratio`` and
        ``penalty_factor`` on ``n_classes`` rows of ``W``."""
        return cls(alpha, l1_ratio, factor=factor, n_classes=n_classes)

    @property
    def name(self) -> str:
        """The penalty's name, e.g. in a solver's error message."""
        return self.names[0]

    def centring_never_raises(self) -> bool:
        """Whether subtracting from each column of ``W`` its mean over the
        classes never raises the penalty.

        The loss is unchanged by that shift (the softmax is invariant to a
        vector added to every row of ``W``), and the mean is the shift of
        least Euclidean norm, so the L2 part and norms of whole columns
        only fall; the L1 norm of the entries can rise.
        """
        return self.r_of_columns or self.l1_strength == 0

    # -- the smooth part -----------------------------------------------------
    def gradient(self, coef: NDArray) -> NDArray:
        """``strength * f * coef``: the gradient of the smooth part."""
        return self._l2 * coef

    def hessp(self, direction: NDArray) -> NDArray:
        """``strength * f * direction``: the smooth part's Hessian is
        diagonal."""
        return self._l2 * direction

    def hessian_diagonal(self, coef: NDArray) -> NDArray:
        """Diagonal of the smooth part's Hessian: ``strength * f``."""
        return np.broadcast_to(self._l2, coef.shape).astype(np.float64)

    # -- the whole penalty -----------------------------------------------------
    def value(self, coef: NDArray) -> float:
        """``strength / 2 * sum f ||coef||^2 + l1_strength * R(coef)``."""
        coef = np.ravel(coef)
        if self.uniform_curvature is not None:  # no temporary of coef's size
            smooth = 0.5 * self.uniform_curvature * float(np.vdot(coef, coef))
        else:
            smooth = 0.5 * float(np.vdot(coef, self._l2 * coef))
        if self.l1_strength == 0:
            return smooth
        return smooth + self._r_value(coef)

    def prox(self, coef: NDArray, step) -> NDArray:
        """The proximal operator of ``step * penalty``: ``R``'s at
        ``step * l1_strength * f``, then the L2 shrinkage."""
        return self._r_prox(coef, step) / (1.0 + step * self._l2)

    def min_norm_subgradient(self, coef: NDArray, loss_grad: NDArray) -> NDArray:
        """The minimal-norm element of ``loss_grad + d penalty(coef)``."""
        return self._r_min_norm(coef, loss_grad + self._l2 * coef)

    def subgradient_interval(
        self, coef: NDArray, loss_grad: NDArray
    ) -> tuple[NDArray, NDArray]:
        """Per entry, the ends of the interval ``loss_grad + d penalty``
        (for a penalty separable over the entries; what a box needs)."""
        return self._r_interval(coef, loss_grad + self._l2 * coef)

    def dual_norm(self, grad_coef: NDArray) -> float:
        """The dual norm of ``R`` (weighted by ``f``) at the flat
        ``grad_coef``: the largest ``|g| / f`` over the entries (entrywise
        ``R``); the unpenalised features (``f = 0``) are left out."""
        return _largest_ratio(np.abs(grad_coef), self._entries)

    # -- R, by subclass --------------------------------------------------------
    def _r_value(self, coef: NDArray) -> float:
        """``l1_strength * R(coef)``, weighted by the factors."""
        raise NotImplementedError

    def _r_prox(self, coef: NDArray, step) -> NDArray:
        raise NotImplementedError

    def _r_min_norm(self, coef: NDArray, smooth_grad: NDArray) -> NDArray:
        raise NotImplementedError

    def _r_interval(self, coef: NDArray, smooth_grad: NDArray):
        raise NotImplementedError(
            f"the {self.name!r} penalty is not separable over the coefficients"
        )


def _largest_ratio(sizes: NDArray, factor: NDArray | None) -> float:
    """``max sizes / factor`` over the entries with ``factor > 0``."""
    if factor is None:
        return float(np.max(sizes, initial=0.0))
    penalised = factor > 0
    return float(np.max(sizes[penalised] / factor[penalised], initial=0.0))


class L2Penalty(Penalty):
    """Ridge penalty ``strength / 2 * ||W||_F^2`` (``R = 0``).

    In the objective of the user guide, ``strength = alpha * (1 -
    l1_ratio)``; it is the penalty of every ``l1_ratio = 0`` (or
    ``alpha = 0``) model.

    Parameters
    ----------
    strength : float
        Non-negative multiplier of ``||W||_F^2 / 2``.
    """

    names = ("l2",)
    smooth = True

    def __init__(
        self, strength: float, *, factor: NDArray | None = None, n_classes: int = 1
    ) -> None:
        super().__init__(strength, factor=factor, n_classes=n_classes)

    @classmethod
    def from_params(
        cls,
        alpha: float,
        l1_ratio: float,
        n_classes: int,
        factor: NDArray | None = None,
    ) -> L2Penalty:
        """The L2 part of ``alpha`` and ``l1_ratio``."""
        return cls(alpha * (1 - l1_ratio), factor=factor, n_classes=n_classes)

    def _r_value(self, coef: NDArray) -> float:
        return 0.0

    def _r_prox(self, coef: NDArray, step) -> NDArray:
        return coef

    def _r_min_norm(self, coef: NDArray, smooth_grad: NDArray) -> NDArray:
        return smooth_grad

    def _r_interval(self, coef: NDArray, smooth_grad: NDArray):
        return smooth_grad, smooth_grad


def _check_l1_ratio(l1_ratio: float) -> None:
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}.")


class ElasticNetPenalty(Penalty):
    """Elastic net ``alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * ||W||_1)``.

    The L1 term acts on each entry of ``W``: its proximal operator
    (soft-thresholding) sets entries exactly to zero.

    Parameters
    ----------
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the L1 term, in [0, 1].
    """

    option = "elasticnet"
    names = ("elasticnet", "l1")
    r_of_columns = False

    def __init__(
        self,
        alpha: float,
        l1_ratio: float,
        *,
        factor: NDArray | None = None,
        n_classes: int = 1,
    ) -> None:
        _check_l1_ratio(l1_ratio)
        super().__init__(
            alpha * (1 - l1_ratio),
            alpha * l1_ratio,
            factor=factor,
            n_classes=n_classes,
        )
        self.l1_ratio = float(l1_ratio)

    @property
    def name(self) -> str:
        """``"l1"`` for ``l1_ratio = 1``, else ``"elasticnet"``."""
        return "l1" if self.l1_ratio == 1 else "elasticnet"

    def _r_value(self, coef: NDArray) -> float:
        return float(np.sum(self._l1 * np.abs(coef)))

    def _r_prox(self, coef: NDArray, step) -> NDArray:
        """Soft-thresholding at ``step * l1_strength * f``."""
        magnitude = np.maximum(np.abs(coef) - step * self._l1, 0.0)
        return np.copysign(magnitude, coef)

    def _r_min_norm(self, coef: NDArray, smooth_grad: NDArray) -> NDArray:
        """Per entry: ``g + l1 * sign(w)`` where ``w != 0``, else ``g``
        shrunk towards zero by ``l1`` (``l1 = l1_strength * f``)."""
        shrunk = np.copysign(
            np.maximum(np.abs(smooth_grad) - self._l1, 0.0), smooth_grad
        )
        return np.where(coef != 0, smooth_grad + self._l1 * np.sign(coef), shrunk)

    def _r_interval(self, coef: NDArray, smooth_grad: NDArray):
        """``g + l1 * sign(w)`` where ``w != 0``, else ``[g - l1, g + l1]``."""
        point = smooth_grad + self._l1 * np.sign(coef)
        zero = coef == 0
        low = np.where(zero, smooth_grad - self._l1, point)
        high = np.where(zero, smooth_grad + self._l1, point)
        return low, high


class GroupElasticNetPenalty(Penalty):
    """Group elastic net over the features: ``alpha * ((1 - l1_ratio) / 2 *
    ||W||_F^2 + l1_ratio * sum_j ||W[:, j]||_2)``.

    The group of feature ``j`` is its column of ``W``, one coefficient per
    class (glmnet's ``type.multinomial="grouped"``): the proximal operator
    (block soft-thresholding) keeps or drops a feature for every class at
    once.

    Parameters
    ----------
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the group term, in [0, 1].
    n_classes : int
        Number of rows of ``W``, to find the columns in the flat block.
    """

    option = "group"
    names = ("group",)

    def __init__(
        self,
        alpha: float,
        l1_ratio: float,
        n_classes: int,
        *,
        factor: NDArray | None = None,
    ) -> None:
        _check_l1_ratio(l1_ratio)
        super().__init__(
            alpha * (1 - l1_ratio),
            alpha * l1_ratio,
            factor=factor,
            n_classes=n_classes,
        )

    def _columns(self, coef: NDArray) -> NDArray:
        return coef.reshape(self.n_classes, -1)

    def _column_l1(self):
        """``l1_strength * f_j`` per column (a scalar without factors)."""
        return (
            self.l1_strength if self.factor is None else self.l1_strength * self.factor
        )

    def dual_norm(self, grad_coef: NDArray) -> float:
        """The largest norm of a feature's column of ``grad_coef``, divided
        by its factor (the unpenalised features left out)."""
        norms = np.linalg.norm(self._columns(grad_coef), axis=0)
        return _largest_ratio(norms, self.factor)

    def _r_value(self, coef: NDArray) -> float:
        norms = np.linalg.norm(self._columns(coef), axis=0)
        return float(np.sum(self._column_l1() * norms))

    def _r_prox(self, coef: NDArray, step) -> NDArray:
        """Block soft-thresholding of each column at ``step * l1_strength *
        f_j``."""
        columns = self._columns(coef)
        norms = np.linalg.norm(columns, axis=0)
        column_step = self._columns(np.asarray(step))[0] if np.ndim(step) else step
        threshold = column_step * self._column_l1()
        # A column whose norm passes its threshold by no more than the norm's
        # own rounding is zero: its shrunk value (1e-17 at the path's first
        # alpha, where the largest column sits exactly on its threshold)
        # would be rounding noise, and rounding alone would decide whether
        # the column enters.
        enters = norms > threshold * (1.0 + _NORM_ROUNDING)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(enters, 1.0 - threshold / norms, 0.0)
        return (columns * scale).reshape(coef.shape)

    def _r_min_norm(self, coef: NDArray, smooth_grad: NDArray) -> NDArray:
        """Per column: ``g + l1 * w / ||w||`` where ``w != 0``, else ``g``
        with its norm shrunk by ``l1`` (``l1 = l1_strength * f_j``)."""
        smooth_grad = self._columns(smooth_grad)
        columns = self._columns(coef)
        coef_norms = np.linalg.norm(columns, axis=0)
        grad_norms = np.linalg.norm(smooth_grad, axis=0)
        l1 = self._column_l1()
        with np.errstate(divide="ignore", invalid="ignore"):
            active = smooth_grad + l1 * columns / coef_norms
            shrink = np.where(grad_norms > l1, 1.0 - l1 / grad_norms, 0.0)
        result = np.where(coef_norms > 0, active, smooth_grad * shrink)
        return result.reshape(coef.shape)


#: The registry: every penalty class.  Adding a penalty is one class above
#: and one entry here.
PENALTY_CLASSES: tuple[type[Penalty], ...] = (
    L2Penalty,
    ElasticNetPenalty,
    GroupElasticNetPenalty,
)

#: The values of the estimators' ``penalty`` parameter (the shape of the
#: non-smooth part), from the registry.
PENALTY_OPTIONS: tuple[str, ...] = tuple(
    cls.option for cls in PENALTY_CLASSES if cls.option is not None
)

_BY_NAME: dict[str, type[Penalty]] = {
    name: cls for cls in PENALTY_CLASSES for name in cls.names
}


def make_penalty(
    penalty: str,
    alpha: float,
    l1_ratio: float,
    n_classes: int,
    factor: NDArray | None = None,
) -> Penalty:
    """The penalty object of the estimators' parameters.

    Parameters
    ----------
    penalty : str
        An option of the ``penalty`` parameter (:data:`PENALTY_OPTIONS`), or
        a penalty's name (``"l2"``, ``"l1"``, ...).
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the non-smooth term, in [0, 1]; with ``l1_ratio = 0`` or
        ``alpha = 0`` the penalty is :class:`L2Penalty`, whatever
        ``penalty`` says.
    n_classes : int
        Number of rows of ``W``.
    factor : ndarray of shape (n_features,), default=None
        The ``penalty_factor``: per feature, a multiplier >= 0 of both
        parts (None: ones).

    Returns
    -------
    Penalty
    """
    if penalty not in _BY_NAME:
        raise ValueError(
            f"Unknown penalty {penalty!r}; the options are {list(PENALTY_OPTIONS)}."
        )
    cls = L2Penalty if l1_ratio == 0 or alpha == 0 else _BY_NAME[penalty]
    return cls.from_params(alpha, l1_ratio, n_classes, factor)


def penalty_name(alpha: float, l1_ratio: float, penalty: str = "elasticnet") -> str:
    """The name of the penalty ``alpha``, ``l1_ratio`` and ``penalty`` make:
    ``"l2"``, ``"l1"``, ``"elasticnet"`` or ``"group"``."""
    return make_penalty(penalty, alpha, l1_ratio, 1).name
