"""The getting-started page and the messages that point to documentation:
every extra of pyproject.toml listed with what it installs, the command
line section's commands run as shown, and no message sends a pip user to a
path inside the repository."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from softmax_regression import save_model
from softmax_regression._cli._parsing import build_parser

ROOT = Path(__file__).resolve().parents[1]
GETTING_STARTED = (ROOT / "docs" / "getting_started.rst").read_text()


def _section(text: str, title: str) -> str:
    start = text.index(f"{title}\n{'-' * len(title)}\n")
    following = re.search(r"\n[^\n]+\n-+\n", text[start + 2 * len(title) + 2 :])
    end = start + 2 * len(title) + 2 + (following.start() if following else len(text))
    return text[start:end]


def _extras() -> dict[str, list[str]]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["optional-dependencies"]


@pytest.mark.parametrize("extra", sorted(_extras()))
def test_installation_lists_every_extra_with_its_packages(extra):
    install = _section(GETTING_STARTED, "Installation")
    match = re.search(
        rf'pip install "\.\[{extra}\]".*?(?=\n   pip install|\n\n)', install, re.S
    )
    assert match, f"extra [{extra}] not listed"
    line = match.group(0)
    for requirement in _extras()[extra]:
        name = re.match(r"[A-Za-z0-9_.\-]+(\[[^\]]*\])?", requirement).group(0)
        if name.startswith("softmax-regression"):  # [all]: the extras it combines
            for part in re.search(r"\[(.*)\]", name).group(1).split(","):
                assert part in line, (extra, part)
        else:
            assert name in line, (extra, name)


def _commands_shown() -> list[str]:
    section = _section(GETTING_STARTED, "The command line")
    blocks = re.findall(r"\.\. code-block:: bash\n\n((?:   .*\n|\n)+)", section)
    lines = [line[3:] for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_command_line_section_shows_every_command():
    shown = " ".join(_commands_shown())
    for command in ("fit", "predict", "evaluate", "summary"):
        assert f"softmax-regression {command} " in shown
    for option in ("--standardize", "--proba", "--test-size", "--chunksize"):
        assert option in shown
    assert "python -m softmax_regression demo" in GETTING_STARTED


@pytest.mark.slow
def test_command_line_examples_run_as_shown(tmp_path):
    commands = _commands_shown()
    assert commands and not any(c.startswith("pip ") for c in commands)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    script = "set -e\n" + "\n".join(commands)
    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "written to wine.srm" in result.stdout
    assert "confusion matrix" in result.stdout
    with np.load(tmp_path / "proba.npz") as npz:
        assert npz["proba"].shape == (178, 3)


def test_messages_do_not_point_into_the_repository(capsys):
    """pip users have no docs/ folder: messages name the documentation page
    (and a docstring reachable with help())."""
    with pytest.raises(TypeError) as error:
        save_model(object(), "never.srm")
    assert "docs/" not in str(error.value)
    assert "'Model files and the command line'" in str(error.value)
    assert "help(save_model)" in str(error.value)
    fit_help = build_parser()._subparsers._group_actions[0].choices["fit"]
    text = fit_help.format_help()
    assert "docs/" not in text and "Model files and the command line" in " ".join(
        text.split()
    )


def test_model_files_page_title_is_the_one_messages_name():
    page = (ROOT / "docs" / "model_files.rst").read_text()
    assert page.splitlines()[0] == "Model files and the command line"
