"""Detection of (quasi-)complete separation by a linear programme.

Without a penalty the maximum likelihood estimate exists unless some
direction ``theta`` (not a shift of every class alike) never lowers any
observation's own-class logit against another class's:
``(theta_{y_i} - theta_k) . x~_i >= 0`` for every observation ``i`` of
positive weight and every class ``k != y_i``, strictly for at least one
(Albert and Anderson, 1984; the linear programme of Konis, 2007).  Moving
along it raises the likelihood for ever.  The programme maximises the sum
of those margins over ``theta`` in a box: its optimum is zero exactly when
the estimate exists.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog

#: Problems beyond this many constraint-by-variable entries are not checked:
#: the programme's time grows with its size (about 7 s on pendigits at
#: alpha=0, size 1.0e7; benchmarks/results_inference.md).
MAX_LP_SIZE = 5e7
#: Problems up to this size are always checked (small programmes).
ALWAYS_LP_SIZE = 1e5


def lp_size(n_samples: int, n_classes: int, n_columns: int) -> float:
    """Constraints times variables of the programme."""
    return float(n_samples * (n_classes - 1)) * (n_classes - 1) * n_columns


def separated(
    X, target: NDArray, weight: NDArray, n_classes: int, fit_intercept: bool
) -> bool:
    """Whether the data are (quasi-)completely separated.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    target : ndarray of shape (n_samples,)
        Class indices.
    weight : ndarray of shape (n_samples,)
        Observations of zero weight are left out.
    n_classes : int
    fit_intercept : bool

    Returns
    -------
    bool
    """
    keep = weight > 0
    X = sp.csr_matrix(X[keep])
    target = target[keep]
    if fit_intercept:
        X = sp.hstack([X, np.ones((X.shape[0], 1))], format="csr")
    scale = np.asarray(abs(X).max(axis=0).todense()).ravel()
    X = X @ sp.diags(1.0 / np.where(scale > 0, scale, 1.0))
    blocks = []
    for k in range(n_classes):
        rows = np.flatnonzero(target != k)
        if rows.size == 0:
            continue
        Xk = X[rows]
        own = target[rows]
        # margin (theta_{y_i} - theta_k) . x~_i, class 0's theta fixed at 0
        blocks.append(
            sp.hstack(
                [
                    sp.diags((own == c).astype(float) - float(c == k)) @ Xk
                    for c in range(1, n_classes)
                ],
                format="csr",
            )
        )
    margins = sp.vstack(blocks, format="csr")
    objective = -np.asarray(margins.sum(axis=0)).ravel()
    if not np.any(objective):
        return False
    result = linprog(
        objective,
        A_ub=-margins,
        b_ub=np.zeros(margins.shape[0]),
        bounds=(-1.0, 1.0),
        method="highs",
    )
    if result.status != 0:  # pragma: no cover - bounded and feasible (theta=0)
        return False
    return bool(-result.fun > 1e-6 * max(1.0, np.sqrt(margins.shape[0])))
