"""The command line's demo (the README's main job)."""

import subprocess
import sys

from softmax_regression import __version__
from softmax_regression._cli import main
from softmax_regression._demo import run_demo


def test_demo_prints_both_models(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "SoftmaxRegression" in out and "sklearn LogisticRegression" in out
    assert "accuracy" in out and "log loss" in out and "fit (s)" in out


def test_demo_models_agree():
    ours, theirs = run_demo()
    assert ours["accuracy"] > 0.9
    assert abs(ours["log_loss"] - theirs["log_loss"]) < 1e-3


def test_python_dash_m_reports_version():
    out = subprocess.run(
        [sys.executable, "-m", "softmax_regression", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == __version__
