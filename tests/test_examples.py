"""Every gallery script in ``examples/`` runs to the end and draws a figure.

The documentation's CI build does not execute the examples
(``make -C docs html-noplot``), so this is where they run: each in this
process with matplotlib's Agg backend, from the ``examples`` folder as
sphinx-gallery runs them.  An example whose data set is neither configured
nor cached is skipped (failed in CI), never downloaded by the tests.
"""

from __future__ import annotations

import functools
import runpy
import warnings
from pathlib import Path

import matplotlib
import pytest
from _datasets import required

from softmax_regression import datasets

matplotlib.use("Agg")
import matplotlib.pyplot as plt

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))
# The ones that take more than a couple of seconds on two cores.
SLOW = {
    "plot_digits_probabilities.py",
    "plot_fashion_mnist_weights.py",
    "plot_solver_loss_curves.py",
}


def test_examples_found():
    assert {script.name for script in SCRIPTS} >= SLOW | {
        "plot_benchmark.py",
        "plot_iris_decision_regions.py",
        "plot_regularisation_path.py",
    }


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(script, id=script.name, marks=[pytest.mark.slow])
        if script.name in SLOW
        else pytest.param(script, id=script.name)
        for script in SCRIPTS
    ],
)
def test_example_runs(script, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    for name in datasets.__all__:
        if name.startswith("fetch_"):
            fetch = getattr(datasets, name)
            monkeypatch.setattr(datasets, name, functools.partial(required, fetch))
    plt.close("all")
    with warnings.catch_warnings():
        # An example must not warn: the documentation shows its output.
        warnings.simplefilter("error")
        runpy.run_path(str(script), run_name="__main__")
    try:
        assert plt.get_fignums(), f"{script.name} drew no figure"
    finally:
        plt.close("all")
