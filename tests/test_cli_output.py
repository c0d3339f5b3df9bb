"""What ``predict`` writes and what ``fit`` prints: npz with one 2-D
``proba`` array, CSV with the predicted label beside the probabilities at a
sensible precision, CSV on standard output (every other line on stderr),
and class names quoted so that names with spaces read unambiguously."""

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from softmax_regression import load_model
from softmax_regression._cli import main

CROPS = np.array(["cotton crop", "rice", "maize, sweet"])


@pytest.fixture(scope="module")
def crops(tmp_path_factory):
    """Iris with class names holding a space and a comma, and a model."""
    folder = tmp_path_factory.mktemp("out")
    X, y = load_iris(return_X_y=True, as_frame=True)
    X.assign(crop=CROPS[y.to_numpy()]).to_csv(folder / "crops.csv", index=False)
    model = folder / "crops.srm"
    assert main(["fit", str(folder / "crops.csv"), "--target", "crop",
                 "-o", str(model)]) == 0  # fmt: skip
    return folder, model, X


def test_fit_summary_quotes_class_names(tmp_path, crops, capsys):
    folder, _, _ = crops
    assert main(["fit", str(folder / "crops.csv"), "--target", "crop",
                 "-o", str(tmp_path / "m.srm")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "classes    3: 'cotton crop', 'maize, sweet', 'rice'" in out.splitlines()


def test_npz_proba_is_one_2d_array_with_the_classes(tmp_path, crops):
    folder, model_path, X = crops
    out = tmp_path / "p.npz"
    assert main(["predict", str(model_path), str(folder / "crops.csv"),
                 "-o", str(out), "--proba"]) == 0  # fmt: skip
    model = load_model(model_path)
    with np.load(out) as npz:
        assert sorted(npz.files) == ["classes", "prediction", "proba"]
        assert npz["proba"].shape == (150, 3)
        np.testing.assert_array_equal(npz["proba"], model.predict_proba(X))
        np.testing.assert_array_equal(npz["classes"], model.classes_.astype(str))
        np.testing.assert_array_equal(npz["prediction"], model.predict(X).astype(str))
        assert npz["classes"].dtype.kind == "U"  # no pickled object arrays


def test_csv_proba_has_the_label_and_six_significant_digits(tmp_path, crops):
    folder, model_path, X = crops
    out = tmp_path / "p.csv"
    assert main(["predict", str(model_path), str(folder / "crops.csv"),
                 "-o", str(out), "--proba"]) == 0  # fmt: skip
    model = load_model(model_path)
    text = out.read_text()
    header = text.splitlines()[0]
    assert header == 'prediction,proba_cotton crop,"proba_maize, sweet",proba_rice'
    assert "\r" not in text
    written = pd.read_csv(out)
    np.testing.assert_array_equal(written["prediction"], model.predict(X))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(written.iloc[:, 1:].to_numpy(), proba, rtol=5e-6)
    for line in text.splitlines()[1:]:
        for field in line.rsplit(",", 3)[1:]:
            mantissa = field.split("e")[0].lstrip("0.").replace(".", "")
            assert len(mantissa) <= 6, field

    exact = tmp_path / "exact.csv"
    assert main(["predict", str(model_path), str(folder / "crops.csv"),
                 "-o", str(exact), "--proba", "--precision", "17"]) == 0  # fmt: skip
    np.testing.assert_array_equal(pd.read_csv(exact).iloc[:, 1:].to_numpy(), proba)


def test_precision_must_be_1_to_17(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "m.srm", "d.csv", "--precision", "0"])
    assert "--precision: must be a whole number from 1 to 17" in capsys.readouterr().err


@pytest.mark.parametrize("output", [[], ["-o", "-"]], ids=["no-o", "dash"])
def test_predict_writes_csv_to_stdout(crops, capsys, output):
    folder, model_path, _ = crops
    args = ["predict", str(model_path), str(folder / "crops.csv"), "--proba"]
    assert main([*args, *output]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("prediction,proba_cotton crop,") and len(lines) == 151
    assert (
        captured.err
        == "wrote 150 rows of labels and probabilities to standard output\n"
    )
    assert not (folder / "-").exists()


def test_stdout_stays_clean_through_the_console_script(crops):
    """Through a pipe, stdout holds only the CSV even when there are
    warnings; they and the summary go to stderr."""
    folder, model_path, _ = crops
    script = [sys.executable, "-m", "softmax_regression"]
    result = subprocess.run(
        [*script, "predict", str(model_path), str(folder / "crops.csv"), "-o", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["prediction"] and len(frame) == 150
    assert "wrote 150 rows of labels to standard output" in result.stderr


def test_parquet_proba_has_the_label_column(tmp_path, crops):
    pytest.importorskip("pyarrow")
    folder, model_path, X = crops
    out = tmp_path / "p.parquet"
    assert main(["predict", str(model_path), str(folder / "crops.csv"),
                 "-o", str(out), "--proba"]) == 0  # fmt: skip
    frame = pd.read_parquet(out)
    model = load_model(model_path)
    assert list(frame.columns) == ["prediction"] + [
        f"proba_{c}" for c in model.classes_
    ]
    np.testing.assert_array_equal(frame.iloc[:, 1:].to_numpy(), model.predict_proba(X))
