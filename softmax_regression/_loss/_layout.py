"""The solvers' flat parameter vector: its length, its parts, its null space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike, NDArray


@dataclass(frozen=True)
class ParameterLayout:
    """Layout of the flat parameter vector of a multinomial linear model.

    Solvers see one vector ``w`` of length ``K * d`` (``+ K`` when
    ``fit_intercept``): first the coefficients ``W (K, d)`` in row-major (C)
    order, so class ``k``'s coefficients are ``w[k * d:(k + 1) * d]``, then
    the intercepts ``b (K,)`` in class order at the end.  Gradients and
    Hessian-vector products use the same layout.

    Parameters
    ----------
    n_classes : int
        Number of classes K.
    n_features : int
        Number of features d.
    fit_intercept : bool
        Whether the vector ends with K intercepts.
    """

    n_classes: int
    n_features: int
    fit_intercept: bool

    @property
    def n_coef(self) -> int:
        """Number of entries of ``W`` at the head of the flat vector, ``K * d``."""
        return self.n_classes * self.n_features

    @property
    def n_params(self) -> int:
        """Length of the flat vector: ``K * d``, plus ``K`` with intercepts."""
        return self.n_coef + (self.n_classes if self.fit_intercept else 0)

    def unpack(
        self, w: NDArray, dtype: DTypeLike = None
    ) -> tuple[NDArray, NDArray | None]:
        """Split a flat vector into its coefficients and intercepts.

        Parameters
        ----------
        w : array-like of shape (n_params,)
            The flat parameter vector.
        dtype : dtype, default=None
            The dtype of the parts; None keeps ``w``'s.

        Returns
        -------
        coef : ndarray of shape (n_classes, n_features)
            A view of ``w`` when no cast is needed.
        intercept : ndarray of shape (n_classes,) or None
            A view of ``w`` when no cast is needed; None without intercepts.
        """
        w = np.asarray(w, dtype=dtype)
        coef = w[: self.n_coef].reshape(self.n_classes, self.n_features)
        intercept = w[self.n_coef :] if self.fit_intercept else None
        return coef, intercept

    def pack(
        self, coef: NDArray, intercept: NDArray | None = None
    ) -> NDArray[np.float64]:
        """The flat float64 vector of coefficients and intercepts.

        Parameters
        ----------
        coef : array-like of shape (n_classes, n_features)
            The coefficients ``W``.
        intercept : array-like of shape (n_classes,), default=None
            The intercepts ``b``: zeros when None; ignored without
            intercepts.

        Returns
        -------
        w : ndarray of shape (n_params,)
            A new float64 vector: ``W`` row-major, then ``b``.

        Raises
        ------
        ValueError
            If ``coef`` or ``intercept`` has the wrong shape.
        """
        coef = np.asarray(coef)
        expected = (self.n_classes, self.n_features)
        if coef.shape != expected:
            raise ValueError(f"coef has shape {coef.shape}, expected {expected}.")
        w = np.zeros(self.n_params)
        w[: self.n_coef] = coef.ravel()
        if self.fit_intercept and intercept is not None:
            intercept = np.asarray(intercept)
            if intercept.shape != (self.n_classes,):
                raise ValueError(
                    f"intercept has shape {intercept.shape}, "
                    f"expected {(self.n_classes,)}."
                )
            w[self.n_coef :] = intercept
        return w

    def zeros(self) -> NDArray[np.float64]:
        """A float64 vector of zeros, shape (n_params,).

        Returns
        -------
        w : ndarray of shape (n_params,)
        """
        return np.zeros(self.n_params)

    def augmented_order(self) -> NDArray[np.intp]:
        """Position of each flat parameter in the class-major augmented layout.

        The augmented layout indexes the pairs ``(k, j)`` of a class and a
        column of ``x~ = (x, 1)`` (the 1 only with intercepts) as
        ``k * width + j``, ``width = d + fit_intercept``: the layout of the
        full Hessian's class blocks.

        Returns
        -------
        order : ndarray of shape (n_params,)
            For each flat parameter (coefficients row-major, then
            intercepts), its augmented position.
        """
        width = self.n_features + int(self.fit_intercept)
        classes = np.arange(self.n_classes)[:, None]
        coef_positions = (classes * width + np.arange(self.n_features)).ravel()
        if not self.fit_intercept:
            return coef_positions
        return np.concatenate([coef_positions, classes[:, 0] * width + self.n_features])

    def shift_directions(self) -> NDArray:
        """Orthonormal directions that shift every class's parameter alike.

        Each direction adds the same amount to every class's coefficient of
        one feature (or to every intercept).  The softmax is invariant to
        them, so the loss is flat along them: the Hessian of the loss is
        singular there, and the loss gradient is orthogonal to them.

        Returns
        -------
        directions : ndarray of shape (n_params, n_features + fit_intercept)
            Orthonormal columns.
        """
        width = self.n_features + int(self.fit_intercept)
        directions = np.zeros((self.n_params, width))
        # flat parameter i is column (augmented position mod width) of x~
        columns = self.augmented_order() % width
        directions[np.arange(self.n_params), columns] = 1.0 / np.sqrt(self.n_classes)
        return directions
