"""
Benchmark: time to reach the optimum against scikit-learn
=========================================================

``benchmarks/bench_fit.py`` times every solver of
:class:`~softmax_regression.SoftmaxRegression` beside scikit-learn's
``LogisticRegression`` (and scikit-learn-intelex's where installed) on the
same objective, ``C = 1 / (alpha * n_samples)``.  For each data set it
first computes the optimum ``f*`` at a very tight tolerance, then fits each
estimator at a sequence of tolerances, loosest first, and records the fit
time and the relative objective gap ``(F - f*) / f*`` that each tolerance
reached: one curve per estimator, the lower left the better.  Every fit runs
with BLAS limited to one thread, in one process, on the machine named in the
title.

This example does not run the benchmark (that takes minutes); it draws the
results stored in ``benchmarks/results.json`` with the plotting function of
``benchmarks/plot_results.py``, the one that draws the figure of the
benchmarks page.  ``benchmarks/results.md`` has the commands and the tables.
"""

import json
import runpy
from pathlib import Path


def find_benchmarks():
    """The repository's ``benchmarks`` folder, from the working directory
    (sphinx-gallery runs an example from ``examples``, a user usually from
    the repository root)."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "benchmarks" / "results.json").is_file():
            return folder / "benchmarks"
    raise FileNotFoundError(
        f"benchmarks/results.json not found at or above {Path.cwd()}: run the "
        "example from the repository"
    )


benchmarks = find_benchmarks()
results = json.loads((benchmarks / "results.json").read_text())
make_figure = runpy.run_path(str(benchmarks / "plot_results.py"))["make_figure"]

# %%
# The stored results
# ------------------
#
# For each data set, the median time (of three fits) each estimator needed
# to reach the target gap, fastest first.

for name, entry in results["datasets"].items():
    print(f"{name}: {entry['description']}, alpha={entry['alpha']:g}")
    reached = {
        label: estimator["median_seconds"]
        for label, estimator in entry["estimators"].items()
        if estimator["status"] == "reached"
    }
    for label, seconds in sorted(reached.items(), key=lambda item: item[1]):
        print(f"  {label:>36}: {seconds:6.2f} s")

# %%
# The figure
# ----------
#
# The dashed grey line is the target gap of 1e-6.  Solid lines are
# ``SoftmaxRegression``, dashed ones scikit-learn, dotted ones
# scikit-learn-intelex.

fig = make_figure(results)

# %%
# On digits (650 parameters) and pendigits (170 parameters, raw features) the
# Newton solvers reach the target first, and ``solver="auto"`` picks the
# faster of the two.  On the synthetic set, with many samples and
# well-conditioned Gaussian features, L-BFGS is the fastest (``"auto"`` picks
# Newton-CG there, about a fifth slower) and the full Hessian of
# Newton-Cholesky is expensive.  The user guide's section on choosing a
# solver draws the lessons.
