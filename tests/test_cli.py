"""The command line, end to end on real files.

The happy paths run through the real entry points; every user error runs
both in-process through ``main`` (fast, with the written files checked) and
through the console script in a subprocess (exit status and stderr as a
shell sees them), two at a time since each costs about a second of imports.
"""

import errno
import io
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _datasets import PENDIGITS, load_pendigits
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

from softmax_regression import SoftmaxRegression, __version__, load_model
from softmax_regression._cli import _data_io as data_io
from softmax_regression._cli import main
from softmax_regression._cli._progress import fit_progress

SCRIPT = Path(sys.executable).with_name("softmax-regression")
CULTIVARS = np.array(["barolo", "grignolino", "barbera"])


def _run(*args, module=False):
    command = [sys.executable, "-m", "softmax_regression"] if module else [SCRIPT]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, timeout=120
    )


def _assert_user_error(result, match):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("softmax-regression: error: ")
    assert re.search(match, lines[0]), lines[0]


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """Wine as a CSV with a string label column ``cultivar`` (and as
    Parquet and npz)."""
    folder = tmp_path_factory.mktemp("wine")
    X, y = load_wine(return_X_y=True, as_frame=True)
    frame = X.assign(cultivar=CULTIVARS[y.to_numpy()])
    frame.to_csv(folder / "wine.csv", index=False)
    frame.to_parquet(folder / "wine.parquet", index=False)
    np.savez(folder / "wine.npz", X=X.to_numpy(), y=y.to_numpy())
    return folder


def test_csv_fit_predict_evaluate(tmp_path, wine):
    csv, model_path = wine / "wine.csv", tmp_path / "wine.srm"
    fit = _run(
        "fit", csv, "--target", "cultivar", "-o", model_path,
        "--test-size", "0.25", "--seed", "1",
    )  # fmt: skip
    assert fit.returncode == 0 and fit.stderr == "", fit.stderr
    model = load_model(model_path)
    frame = pd.read_csv(csv)
    X, y = frame.drop(columns="cultivar"), frame["cultivar"].to_numpy()
    _, X_test, _, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=1
    )
    assert "178 samples (133 train, 45 test), 13 features" in fit.stdout
    assert "classes    3: 'barbera', 'barolo', 'grignolino'" in fit.stdout
    test_row = fit.stdout.splitlines()[-2].split()
    assert test_row == [
        "test",
        f"{accuracy_score(y_test, model.predict(X_test)):.4f}",
        f"{log_loss(y_test, model.predict_proba(X_test), labels=model.classes_):.4f}",
    ]
    assert list(model.feature_names_in_) == list(X.columns)

    out = tmp_path / "proba.csv"
    predict = _run("predict", model_path, csv, "-o", out, "--proba")
    assert predict.returncode == 0, predict.stderr
    assert "wrote 178 rows of labels and probabilities" in predict.stdout
    header = out.read_text().splitlines()[0]
    assert header == ",".join(["prediction", *(f"proba_{c}" for c in model.classes_)])
    written = pd.read_csv(out)
    np.testing.assert_array_equal(written["prediction"], model.predict(X))
    # six significant digits by default
    np.testing.assert_allclose(
        written.iloc[:, 1:].to_numpy(), model.predict_proba(X), rtol=5e-6, atol=0
    )
    # the label column in DATA is ignored; --force replaces the output
    assert main(["predict", str(model_path), str(csv), "-o", str(out), "--force"]) == 0
    labels = pd.read_csv(out)
    assert list(labels.columns) == ["prediction"]
    np.testing.assert_array_equal(labels["prediction"], model.predict(X))

    evaluate = _run("evaluate", model_path, csv, "--target", "cultivar")
    assert evaluate.returncode == 0 and evaluate.stderr == "", evaluate.stderr
    lines = evaluate.stdout.splitlines()
    assert f"accuracy   {accuracy_score(y, model.predict(X)):.4f}" in lines
    assert f"log loss   {log_loss(y, model.predict_proba(X)):.4f}" in lines
    assert any(line.split()[:1] == ["grignolino"] for line in lines)  # per class
    matrix = lines[lines.index(next(s for s in lines if "confusion" in s)) + 2 :]
    counts = np.array([row.split()[1:] for row in matrix], dtype=int)
    assert counts.sum() == 178 and np.trace(counts) == round(
        178 * accuracy_score(y, model.predict(X))
    )


def test_svmlight_fit_and_evaluate_on_pendigits(tmp_path, capsys):
    model_path = tmp_path / "pendigits.srm"
    fit = _run(
        "fit", PENDIGITS / "pendigits.gz", "--format", "svmlight", "-o", model_path,
        module=True,
    )  # fmt: skip
    assert fit.returncode == 0 and fit.stderr == "", fit.stderr  # no bar off a tty
    assert "7494 samples, 16 features" in fit.stdout
    assert "classes    10: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in fit.stdout
    model = load_model(model_path)
    assert model.classes_.dtype.kind == "i"
    test = str(PENDIGITS / "pendigits.t.gz")
    assert main(["evaluate", str(model_path), test, "--format", "svmlight"]) == 0
    X_test, y_test = load_pendigits("test")
    accuracy = accuracy_score(y_test, model.predict(X_test))
    assert f"accuracy   {accuracy:.4f}" in capsys.readouterr().out.splitlines()
    assert accuracy > 0.9


def test_npz_and_parquet(tmp_path, wine):
    model_path, out = tmp_path / "npz.srm", tmp_path / "labels.npz"
    assert main(["fit", str(wine / "wine.npz"), "-o", str(model_path)]) == 0
    assert (
        main(["predict", str(model_path), str(wine / "wine.npz"), "-o", str(out)]) == 0
    )
    model = load_model(model_path)
    assert not hasattr(model, "feature_names_in_")
    with np.load(wine / "wine.npz") as data, np.load(out) as predicted:
        np.testing.assert_array_equal(predicted["prediction"], model.predict(data["X"]))

    parquet, model_path = wine / "wine.parquet", tmp_path / "parquet.srm"
    out = tmp_path / "proba.parquet"
    assert (
        main(["fit", str(parquet), "--target", "cultivar", "-o", str(model_path)]) == 0
    )
    assert (
        main(["predict", str(model_path), str(parquet), "--proba", "-o", str(out)]) == 0
    )
    X = pd.read_parquet(parquet).drop(columns="cultivar")
    np.testing.assert_array_equal(
        pd.read_parquet(out).iloc[:, 1:].to_numpy(),
        load_model(model_path).predict_proba(X),
    )


def test_failures_through_the_entry_point(tmp_path, wine):
    model_path = tmp_path / "wine.srm"
    joblib.dump(SoftmaxRegression().fit(np.eye(3), [0, 1, 2]), model_path)
    _assert_user_error(
        _run("evaluate", model_path, wine / "wine.csv", "--target", "cultivar"),
        "looks like a pickle",
    )


# -- every user error, in-process -----------------------------------------------


@pytest.fixture(scope="module")
def files(wine, tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    frame = pd.read_csv(wine / "wine.csv")
    model = folder / "wine.srm"
    assert (
        main(["fit", str(wine / "wine.csv"), "--target", "cultivar", "-o", str(model)])
        == 0
    )
    frame.assign(cultivar=frame["cultivar"].replace({"barolo": "nebbiolo"})).to_csv(
        folder / "unknown.csv", index=False
    )
    frame.drop(columns="hue").to_csv(folder / "no_hue.csv", index=False)
    frame.assign(hue=np.nan).to_csv(folder / "nan.csv", index=False)
    npz_model = str(folder / "npz.srm")
    assert main(["fit", str(wine / "wine.npz"), "-o", npz_model]) == 0
    frame.assign(hue="high").to_csv(folder / "text.csv", index=False)
    (folder / "model.txt").write_text("not a model")
    (folder / "truncated.srm").write_bytes(model.read_bytes()[:-100])
    (folder / "data.xyz").write_text("1,2\n")
    (folder / "existing.csv").write_text("keep me")
    frame.assign(hue=np.where(frame.index == 3, np.inf, frame["hue"])).to_csv(
        folder / "inf.csv", index=False
    )
    (folder / "empty.csv").touch()
    frame.iloc[:0].to_csv(folder / "header.csv", index=False)
    frame.assign(cultivar="barolo").to_csv(folder / "one_class.csv", index=False)
    frame.assign(
        cultivar=frame["cultivar"].where(frame.index != 4, other=np.nan)
    ).to_csv(folder / "unlabelled.csv", index=False)
    joblib.dump(SoftmaxRegression().fit(np.eye(3), [0, 1, 2]), folder / "pickle.srm")
    (folder / "folder.srm").mkdir()
    return {"wine": wine, "dir": folder, "model": model}


_FOLDERS = {"@": "dir", "%": "wine"}


def _paths(files, command: str) -> list[str]:
    """``command`` split, ``@name`` in the test folder, ``%name`` a wine file,
    ``$name`` a pendigits file."""
    args = []
    for arg in command.split():
        if arg[0] in _FOLDERS:
            arg = str(files[_FOLDERS[arg[0]]] / arg[1:])
        elif arg[0] == "$":
            arg = str(PENDIGITS / arg[1:])
        args.append(arg)
    return args


USER_ERRORS = [
    ("fit @missing.csv --target c -o @m.srm", "DATA file .*missing.csv does not exist"),
    ("predict @missing.srm %wine.csv -o @o.csv", "MODEL file .*missing.srm does not"),
    (
        "fit %wine.csv --target grape -o @m.srm",
        r"no column 'grape' \(--target\); its columns are 'alcohol', 'malic_acid', "
        r".* and 9 more",
    ),
    ("fit %wine.csv -o @m.srm", "wine.csv has no labels to fit: pass --target COLUMN"),
    (
        "evaluate @wine.srm @unknown.csv --target cultivar",
        "labels the model does not know: 'nebbiolo'; the model's classes are "
        "'barbera', 'barolo', 'grignolino'",
    ),
    (
        "fit @text.csv --target cultivar -o @m.srm",
        r"feature column 'hue' of .*text.csv is not numeric: 'high' in data row 1, "
        "and 177 more non-numeric values; fix the value, or encode the column as "
        "numbers or drop it",
    ),
    ("predict @wine.srm @text.csv -o @o.csv", "column 'hue' of .* is not numeric"),
    (
        "predict @wine.srm @no_hue.csv -o @o.csv",
        "no_hue.csv lacks feature columns the model was fitted on: 'hue'",
    ),
    (
        "evaluate @wine.srm %wine.npz",
        "wine.npz has labels the model does not know: 0, 1, 2;",
    ),
    (
        "predict @npz.srm %wine.csv -o @o.csv",
        "wine.csv has 14 feature columns, the model expects 13",
    ),
    (
        "predict @wine.srm $pendigits.t.gz --format svmlight -o @o.csv",
        "n_features was set to 13, but",
    ),
    (
        "fit $pendigits.gz -o @m.srm",
        "cannot tell the format of .*pendigits.gz from its name; .* pass --format "
        r"\{csv,npz,parquet,svmlight\}",
    ),
    (
        "fit $pendigits.gz --format svmlight --target y -o @m.srm",
        "is an svmlight file: its labels are its first field; drop --target",
    ),
    (
        "predict @wine.srm %wine.csv -o @existing.csv",
        "existing.csv exists; pass --force to replace it",
    ),
    (
        "fit %wine.csv --target cultivar -o @wine.srm",
        "wine.srm exists; pass --force",
    ),
    (
        "predict @wine.srm %wine.csv -o @out.txt",
        r"cannot tell the output format of .*out.txt: name it \*.csv, \*.npz",
    ),
    (
        "predict @model.txt %wine.csv -o @o.csv",
        "model.txt is not a softmax_regression model file: not a complete zip",
    ),
    (
        "predict @truncated.srm %wine.csv -o @o.csv",
        "truncated.srm is not a softmax_regression model file",
    ),
    (
        "predict @wine.srm @nan.csv -o @o.csv",
        "feature column 'hue' of .*nan.csv has a missing value in data row 1; fill",
    ),
    (
        "fit @nan.csv --target cultivar -o @m.srm",
        "feature column 'hue' of .*nan.csv has a missing value in data row 1",
    ),
    (
        "fit @inf.csv --target cultivar -o @m.srm",
        "feature column 'hue' of .*inf.csv has an infinite value in data row 4",
    ),
    ("fit @empty.csv --target cultivar -o @m.srm", "empty.csv is empty: no header"),
    ("predict @wine.srm @empty.csv -o @o.csv", "empty.csv is empty: no header"),
    (
        "fit @header.csv --target cultivar -o @m.srm",
        "header.csv has no rows of data, only the column names",
    ),
    ("evaluate @wine.srm @header.csv --target cultivar", "header.csv has no rows"),
    (
        "fit @one_class.csv --target cultivar -o @m.srm",
        "needs samples of at least 2 classes, but the data contains only one class: "
        "'barolo'",
    ),
    (
        "fit @unlabelled.csv --target cultivar -o @m.srm",
        "label column 'cultivar' of .*unlabelled.csv has a missing value in data row "
        "5; drop unlabelled rows",
    ),
    (
        "evaluate @wine.srm @unlabelled.csv --target cultivar",
        "label column 'cultivar' .* missing value in data row 5",
    ),
    ("predict @pickle.srm %wine.csv -o @o.csv", "pickle.srm looks like a pickle"),
    (
        "predict @folder.srm %wine.csv -o @o.csv",
        "MODEL .*folder.srm is a directory, not a model file",
    ),
    (
        "predict @wine.srm %wine.csv -o @folder.srm --force",
        "folder.srm is a directory; name the output file",
    ),
    (
        "predict @wine.srm %wine.csv -o @no/such/o.csv",
        "cannot write .*o.csv: no directory .*no/such",
    ),
    (
        "fit %wine.csv --target cultivar --l1-ratio 0.5 --solver lbfgs -o @m.srm",
        "solver='lbfgs' does not support the 'elasticnet' penalty .* use "
        "solver='fista'",
    ),
    ("fit %wine.csv --target cultivar --l1-ratio 1.5 -o @m.srm", "l1_ratio"),
    ("fit @data.xyz -o @m.srm", "cannot tell the format of .*data.xyz"),
]


@pytest.mark.parametrize(("command", "match"), USER_ERRORS)
def test_user_errors_exit_2_with_one_line(files, capsys, command, match):
    before = sorted(files["dir"].iterdir())
    assert main(_paths(files, command)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("softmax-regression: error: ")
    assert re.search(match, lines[0]), lines[0]
    assert sorted(files["dir"].iterdir()) == before  # nothing written
    assert (files["dir"] / "existing.csv").read_text() == "keep me"


@pytest.mark.slow
def test_user_errors_through_the_console_script(files):
    before = sorted(files["dir"].iterdir())
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda case: _run(*_paths(files, case[0])), USER_ERRORS)
        )
    for (command, match), result in zip(USER_ERRORS, results, strict=True):
        assert result.stdout == "", command
        _assert_user_error(result, match)
    assert sorted(files["dir"].iterdir()) == before  # nothing written


def test_closed_output_pipe_ends_quietly(files):
    """``evaluate ... | true`` (a reader that leaves at once): no error
    line, status 141 (SIGPIPE)."""
    command = " ".join(
        map(str, [SCRIPT, "evaluate", files["model"], files["wine"] / "wine.csv"])
    )
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} --target cultivar | true"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stderr == ""
    assert result.returncode == 141


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "x.csv", "-o", "m.srm", "--test-size", "1.5"])
    assert exit_.value.code == 2
    assert "--test-size: must be between 0 and 1, got 1.5" in capsys.readouterr().err


def test_interrupt_exits_130_and_leaves_no_output(files, monkeypatch, capsys):
    out = files["dir"] / "interrupted.srm"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SoftmaxRegression, "fit", interrupted)
    args = ["fit", str(files["wine"] / "wine.csv"), "--target", "cultivar"]
    assert main([*args, "-o", str(out)]) == 130
    monkeypatch.undo()

    def interrupted_while_writing(file, columns):
        file.write(b"prediction\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(data_io, "_write_csv", interrupted_while_writing)
    predict = ["predict", str(files["model"]), str(files["wine"] / "wine.csv")]
    assert main([*predict, "-o", str(files["dir"] / "p.csv")]) == 130
    assert capsys.readouterr().err == "softmax-regression: interrupted\n" * 2
    names = [p.name for p in files["dir"].iterdir()]
    assert "interrupted.srm" not in names and "p.csv" not in names
    assert not [name for name in names if name.endswith(".tmp")]


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_mid_write_leaves_no_output(files, monkeypatch, capsys):
    """A write that fails half-way (the disk fills up) ends with status 2
    and a message naming the file, and leaves no file under the final name
    (nor the one it was to replace) and no temporary file."""
    folder = files["dir"]
    written = []

    def half_then_full(file, columns):
        file.write(b"prediction\nbarolo\n")
        written.append(file.tell())  # bytes already in the temporary file
        _disk_full()

    monkeypatch.setattr(data_io, "_write_csv", half_then_full)
    predict = ["predict", str(files["model"]), str(files["wine"] / "wine.csv")]
    assert main([*predict, "-o", str(folder / "p.csv")]) == 2
    assert main([*predict, "-o", str(folder / "existing.csv"), "--force"]) == 2
    monkeypatch.undo()

    members = []
    writestr = zipfile.ZipFile.writestr

    def full_at_second_member(self, name, *args, **kwargs):
        members.append(name)
        if len(members) == 2:
            _disk_full()
        return writestr(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_at_second_member)
    fit = ["fit", str(files["wine"] / "wine.csv"), "--target", "cultivar"]
    assert main([*fit, "-o", str(folder / "full.srm")]) == 2

    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and written == [18, 18] and len(members) == 2
    for name, line in zip(["p.csv", "existing.csv", "full.srm"], errors, strict=True):
        assert re.fullmatch(
            rf"softmax-regression: error: could not write .*{name}: No space left "
            "on device",
            line,
        )
    names = [p.name for p in folder.iterdir()]
    assert "p.csv" not in names and "full.srm" not in names
    assert (folder / "existing.csv").read_text() == "keep me"
    assert not [name for name in names if name.endswith(".tmp")]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(wine):
    with np.load(wine / "wine.npz") as data:
        X, y = data["X"] / data["X"].std(axis=0), data["y"]
    terminal, pipe = _Terminal(), io.StringIO()
    bar = fit_progress(terminal, delay=0, min_interval=0)
    with bar, pytest.warns(ConvergenceWarning):
        SoftmaxRegression(solver="lbfgs", max_iter=5).fit(X, y)
    shown = terminal.getvalue()
    assert "fit: " in shown and "5 iter" in shown
    assert "objective " in shown and "max|grad| " in shown
    with fit_progress(pipe, delay=0):
        SoftmaxRegression().fit(X, y)
    assert pipe.getvalue() == ""


def test_python_dash_m_reports_version():
    out = subprocess.run(
        [sys.executable, "-m", "softmax_regression", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == __version__


def test_model_file_is_a_plain_zip(files):
    with zipfile.ZipFile(files["model"]) as archive:
        assert sorted(archive.namelist()) == [
            "arrays/classes_.npy",
            "arrays/coef_.npy",
            "arrays/feature_names_in_.npy",
            "arrays/intercept_.npy",
            "metadata.json",
        ]
