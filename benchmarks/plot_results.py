"""Plot bench_fit.py's JSON: relative objective gap against fit time.

Run::

    python benchmarks/plot_results.py benchmarks/results.json

which writes ``docs/_static/bench_fit.png`` (``--out`` to change it).

One panel per data set; one line per estimator through the fits it tried,
one marker per ``tol`` (loosest first), with the time on the x axis and the
relative gap ``(F - f*) / f*`` on the y axis (both logarithmic; gaps at or
below 1e-16 are drawn at 1e-16).  The dashed line is the target gap; a fit
stopped at the time cap is drawn as an ``x`` at the cap.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "_static" / "bench_fit.png"
GAP_FLOOR = 1e-16
STYLE = {
    "softmax_regression": {"linestyle": "-", "linewidth": 2.0},
    "sklearn": {"linestyle": "--", "linewidth": 1.2},
    "sklearnex": {"linestyle": ":", "linewidth": 1.2},
}


def make_figure(results: dict, datasets: list[str] | None = None):
    """The time-versus-gap figure of bench_fit.py's results, one panel per
    data set (all of them, or ``datasets`` in that order).

    Also drawn by the documentation's gallery (``examples/plot_benchmark.py``).
    """
    names = datasets or list(results["datasets"])
    n_cols = min(3, len(names))
    n_rows = math.ceil(len(names) / n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(5.2 * n_cols, 4.2 * n_rows + 1.2), squeeze=False
    )
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # One colour per (family, solver) in every panel: a float32 row shares its
    # float64 row's colour, drawn thinner with triangles.
    keys = list(
        dict.fromkeys(
            (e["family"], e["solver"])
            for name in names
            for e in results["datasets"][name]["estimators"].values()
        )
    )
    for ax, name in zip(axes.flat, names, strict=False):
        entry = results["datasets"][name]
        for label, estimator in entry["estimators"].items():
            trials = [t for t in estimator["trials"] if not t["timed_out"]]
            style = dict(STYLE.get(estimator["family"], {}))
            marker = "o"
            if estimator["float32"]:
                style["linewidth"] = 0.8
                marker = "^"
            key = (estimator["family"], estimator["solver"])
            colour = colours[keys.index(key) % len(colours)]
            if trials:
                ax.plot(
                    [t["seconds"] for t in trials],
                    [max(t["gap"], GAP_FLOOR) for t in trials],
                    marker=marker,
                    markersize=3,
                    color=colour,
                    label=label,
                    **style,
                )
            if any(t["timed_out"] for t in estimator["trials"]):
                last_gap = trials[-1]["gap"] if trials else 1.0
                ax.plot(
                    [entry["time_cap"]],
                    [max(last_gap, GAP_FLOOR)],
                    marker="x",
                    markersize=8,
                    color=colour,
                    label=None if trials else f"{label} (> cap)",
                )
        ax.axhline(entry["target_gap"], color="grey", linestyle="--", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{name}\n{entry['description']}", fontsize=9)
        ax.set_xlabel("fit time (s)")
        ax.set_ylabel("(F - f*) / f*")
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    first = results["datasets"][names[0]]
    machine = first["machine"]
    fig.suptitle(
        f"Time to reach a relative objective gap (alpha={first['alpha']:g})\n"
        f"{machine['cpu']}, {machine['cpu_count']} CPUs, "
        f"BLAS threads {first['blas_threads']}, {machine['date'][:10]}",
        fontsize=10,
    )
    # One legend for all panels, below them.
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    n_legend_rows = math.ceil(len(handles) / 4)
    legend_height = 0.25 * (n_legend_rows + 1) / fig.get_figheight()
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, legend_height, 1, 1))
    return fig


def plot(results: dict, out: Path, datasets: list[str] | None = None) -> None:
    """Write :func:`make_figure`'s figure to ``out``."""
    fig = make_figure(results, datasets)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", type=Path, help="bench_fit.py's --json file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG to write")
    parser.add_argument("--datasets", nargs="+", help="panels to draw, in order")
    options = parser.parse_args(argv)
    plot(json.loads(options.json.read_text()), options.out, options.datasets)
    print(options.out)


if __name__ == "__main__":
    sys.exit(main())
