"""What a benchmark result needs beside its numbers: machine, versions, date.

Shared by ``bench_fit.py`` and ``bench_kernel.py``; run
``python benchmarks/machine.py`` to print the description of this machine.
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

REPO = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return model or "unknown"


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "softmax_regression"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (softmax_regression/ modified)" if dirty else "")


def thread_pools() -> list[str]:
    """One line per thread pool threadpoolctl sees (BLAS and OpenMP)."""
    lines = []
    for pool in threadpool_info():
        lines.append(
            f"{pool.get('user_api')}: {pool.get('internal_api')} "
            f"{pool.get('version')} ({pool.get('architecture', '-')}), "
            f"{pool.get('num_threads')} threads, "
            f"{Path(pool.get('filepath', '?')).name}"
        )
    return lines


def machine_info() -> dict:
    """Machine, library versions, date and the command that was run."""
    import softmax_regression

    uname = platform.uname()
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "cpu": _cpu_model(),
        "uname": f"{uname.system} {uname.release} {uname.machine}",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "softmax_regression": f"{softmax_regression.__version__} @ {_git_revision()}",
        "thread_pools": thread_pools(),
    }


def markdown_header(info: dict, title: str, settings: list[str]) -> str:
    """A markdown section header describing the run."""
    lines = [
        f"## {title} — {info['date']}",
        "",
        "```",
        info["command"],
        "```",
        "",
        f"- machine: {info['cpu']}, {info['cpu_count']} CPUs, {info['uname']}",
        f"- python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, "
        f"scikit-learn {info['scikit-learn']}, "
        f"softmax_regression {info['softmax_regression']}",
    ]
    lines += [f"- threads: {pool}" for pool in info["thread_pools"]]
    lines += [f"- {line}" for line in settings]
    return "\n".join(lines) + "\n"


def append_lines(path: Path | None, lines: list[str]) -> None:
    """Append ``lines`` to the markdown file ``path`` (nothing if None)."""
    if path is not None:
        with open(path, "a") as out:
            out.write("\n".join(lines) + "\n")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table with padded columns (readable as plain text too)."""
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(header, *rows, strict=True)
    ]

    def line(cells):
        return (
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"


if __name__ == "__main__":
    for key, value in machine_info().items():
        print(f"{key}: {value}")
