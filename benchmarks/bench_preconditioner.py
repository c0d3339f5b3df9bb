"""Newton-CG's preconditioners side by side: Jacobi against Kronecker-factored.

For each data set, solver and tol, fits SoftmaxRegression with each
preconditioner in the same process (BLAS on one thread, the two
alternating), and prints the median time, the Newton steps, the
Hessian-vector products of the last fit, the relative gap to ``--f-star``
(or ``F`` itself without it) and the time ratio Kronecker / Jacobi.  The
Jacobi rows set ``_kronecker.MAX_WIDTH = 0``, which turns the Kronecker
factors off::

    python benchmarks/bench_preconditioner.py --dataset digits \\
        --solvers newton-cg --tols 1e-3 1e-4 --f-star 0.00288426826209222
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from bench_fit import Problem
from datasets import LOADERS
from threadpoolctl import threadpool_limits

from softmax_regression import SoftmaxRegression
from softmax_regression._loss import HessianProduct
from softmax_regression._objective import Objective
from softmax_regression._solvers import _kronecker

MODES = {"jacobi": 0, "kronecker": _kronecker.MAX_WIDTH}


def counting_products():
    """Patch ``Objective.gradient_hessp`` to count Hessian-vector products;
    returns the counter and the undo."""
    original = Objective.gradient_hessp
    count = [0]

    def counted_model(self, w):
        value, grad, diagonal, hessp = original(self, w)

        def counted(v):
            count[0] += 1
            return hessp(v)

        return value, grad, diagonal, HessianProduct(counted, hessp.class_covariance)

    Objective.gradient_hessp = counted_model
    return count, lambda: setattr(Objective, "gradient_hessp", original)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=list(LOADERS), required=True)
    parser.add_argument("--solvers", nargs="+", default=["newton-cg"])
    parser.add_argument("--tols", nargs="+", type=float, default=[1e-3])
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--f-star", type=float, default=None)
    options = parser.parse_args(argv)
    problem = Problem(options.dataset, options.alpha, float32=False)
    count, undo = counting_products()
    print(
        "| solver | tol | preconditioner | median s | steps | products | gap | "
        "kronecker / jacobi |\n|---|---|---|---|---|---|---|---|"
    )
    try:
        for solver in options.solvers:
            for tol in options.tols:
                times = {mode: [] for mode in MODES}
                last = {}
                for _ in range(options.repeats):
                    for mode, width in MODES.items():
                        _kronecker.MAX_WIDTH = width
                        estimator = SoftmaxRegression(
                            alpha=options.alpha, tol=tol, solver=solver, max_iter=1000
                        )
                        count[0] = 0
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            with threadpool_limits(1, user_api="blas"):
                                start = time.perf_counter()
                                estimator.fit(problem.X, problem.y)
                                times[mode].append(time.perf_counter() - start)
                        last[mode] = (estimator, count[0])
                medians = {mode: statistics.median(t) for mode, t in times.items()}
                for mode, (estimator, products) in last.items():
                    value = problem.objective(
                        estimator.coef_, estimator.intercept_, estimator.classes_
                    )
                    gap = (
                        f"{(value - options.f_star) / options.f_star:.1e}"
                        if options.f_star
                        else f"F={value:.10f}"
                    )
                    ratio = medians["kronecker"] / medians["jacobi"]
                    print(
                        f"| {solver} | {tol:g} | {mode} | {medians[mode]:.3f} | "
                        f"{int(np.max(estimator.n_iter_))} | {products} | {gap} | "
                        + (f"{ratio:.2f} |" if mode == "kronecker" else "|"),
                        flush=True,
                    )
    finally:
        undo()
        _kronecker.MAX_WIDTH = MODES["kronecker"]


if __name__ == "__main__":
    main()
