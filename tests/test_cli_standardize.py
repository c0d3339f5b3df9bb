"""``fit --standardize``: a scaler fitted with the model, stored in the same
safe model file (format version 2) and applied by every command that uses
the model; and what ``save_model``/``load_model`` make of such pipelines."""

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from softmax_regression import (
    ModelFileError,
    SoftmaxRegression,
    _model_io,
    load_model,
    save_model,
)
from softmax_regression._cli import main
from softmax_regression._model_state import canonical_json, sha256

BEFORE = Path(__file__).parent / "data" / "models_before_refactor"
CULTIVARS = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """Raw (unscaled) wine as CSV with a string label column."""
    folder = tmp_path_factory.mktemp("std")
    X, y = load_wine(return_X_y=True, as_frame=True)
    X.assign(cultivar=CULTIVARS[y.to_numpy()]).to_csv(folder / "wine.csv", index=False)
    return folder / "wine.csv", X, CULTIVARS[y.to_numpy()]


def _fit(csv, model, *extra):
    return main(["fit", str(csv), "--target", "cultivar", "-o", str(model), *extra])


def test_raw_features_warn_and_name_the_option(wine, tmp_path, capsys):
    csv, _, _ = wine
    assert _fit(csv, tmp_path / "raw.srm", "--solver", "lbfgs", "--max-iter", "30") == 0
    err = capsys.readouterr().err
    assert "did not converge" in err
    assert err.rstrip().endswith("On the command line: fit --standardize.")


def test_standardize_fits_stores_and_applies_the_scaler(wine, tmp_path, capsys):
    csv, X, y = wine
    path = tmp_path / "std.srm"
    assert (
        _fit(csv, path, "--standardize", "--solver", "lbfgs", "--max-iter", "100")
        == 0
    )
    captured = capsys.readouterr()
    assert captured.err == ""  # converges: no ConvergenceWarning
    assert "178 samples, 13 features, standardised" in captured.out

    model = load_model(path)
    assert isinstance(model, Pipeline)
    scaler, clf = model[0], model[-1]
    assert isinstance(scaler, StandardScaler) and isinstance(clf, SoftmaxRegression)
    np.testing.assert_allclose(scaler.mean_, X.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, X.std(ddof=0).to_numpy(), rtol=1e-12)
    assert list(model.feature_names_in_) == list(X.columns)
    expected = clf.predict_proba(scaler.transform(X))

    out = tmp_path / "p.csv"
    assert main(["predict", str(path), str(csv), "-o", str(out), "--proba",
                 "--precision", "17"]) == 0  # fmt: skip
    written = pd.read_csv(out)
    np.testing.assert_array_equal(written.iloc[:, 1:].to_numpy(), expected)
    np.testing.assert_array_equal(written["prediction"], model.predict(X))

    capsys.readouterr()
    assert main(["evaluate", str(path), str(csv), "--target", "cultivar"]) == 0
    accuracy = accuracy_score(y, clf.classes_[expected.argmax(axis=1)])
    assert f"accuracy   {accuracy:.4f}" in capsys.readouterr().out.splitlines()


def test_model_file_holds_the_scaler_as_plain_arrays(wine, tmp_path):
    csv, _, _ = wine
    plain, std = tmp_path / "plain.srm", tmp_path / "std.srm"
    assert _fit(csv, plain) == 0 and _fit(csv, std, "--standardize") == 0
    with zipfile.ZipFile(std) as archive:
        names = sorted(archive.namelist())
        metadata = json.loads(archive.read("metadata.json"))
    assert {
        "preprocessing/0/mean_.npy",
        "preprocessing/0/scale_.npy",
        "preprocessing/0/var_.npy",
        "arrays/coef_.npy",
    } <= set(names)
    assert metadata["format_version"] == 2  # a pipeline, no array parameters
    step = metadata["content"]["pipeline"]["preprocessing"][0]
    assert step["class"] == "StandardScaler" and step["name"] == "standardscaler"
    assert metadata["content"]["pipeline"]["final_step"] == "softmaxregression"
    with zipfile.ZipFile(plain) as archive:
        # a model without a scaler stays in version 1, which older releases read
        assert json.loads(archive.read("metadata.json"))["format_version"] == 1


def test_a_version_1_reader_asks_for_an_upgrade(wine, tmp_path, monkeypatch):
    csv, _, _ = wine
    std = tmp_path / "std.srm"
    assert _fit(csv, std, "--standardize") == 0
    monkeypatch.setattr(_model_io, "FORMAT_VERSION", 1)
    with pytest.raises(ModelFileError, match=r"format version 2.*Upgrade: pip install"):
        load_model(std)


def _rewrite(path: Path, change) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members["metadata.json"])
    change(metadata, members)
    content = metadata["content"]
    metadata["content_sha256"] = sha256(canonical_json(content))
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _tampered_cases():
    def other_class(metadata, members):
        metadata["content"]["pipeline"]["preprocessing"][0]["class"] = "os.system"

    def version_1(metadata, members):
        metadata["format_version"] = 1

    def extra_member(metadata, members):
        members["preprocessing/0/evil_.npy"] = b"x"

    def short_mean(metadata, members):
        step = metadata["content"]["pipeline"]["preprocessing"][0]["attributes"]
        data = members["preprocessing/0/mean_.npy"]
        array = np.load(io.BytesIO(data))[:3]
        buffer = io.BytesIO()
        np.save(buffer, array)
        members["preprocessing/0/mean_.npy"] = buffer.getvalue()
        step["mean_"].update(shape=[3], sha256=sha256(buffer.getvalue()))

    return [
        (other_class, "pipeline step class 'os.system' is not one load_model creates"),
        (version_1, "format version 1 files hold no pipeline"),
        (extra_member, r"unexpected members \['preprocessing/0/evil_.npy'\]"),
        (short_mean, r"step standardscaler attribute mean_ must be a float array"),
    ]


@pytest.mark.parametrize(("change", "match"), _tampered_cases())
def test_tampered_scalers_are_refused(wine, tmp_path, change, match):
    csv, _, _ = wine
    std = tmp_path / "std.srm"
    assert _fit(csv, std, "--standardize") == 0
    _rewrite(std, change)
    with pytest.raises(ModelFileError, match=match):
        load_model(std)


def test_save_model_round_trips_a_scaled_pipeline_bit_for_bit(tmp_path):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression()).fit(X, y)
    save_model(pipe, tmp_path / "p.srm")
    back = load_model(tmp_path / "p.srm")
    assert [name for name, _ in back.steps] == ["standardscaler", "softmaxregression"]
    np.testing.assert_array_equal(back.predict_proba(X), pipe.predict_proba(X))
    for bad, what in [
        (make_pipeline(MinMaxScaler(), SoftmaxRegression()), "MinMaxScaler"),
        (make_pipeline(StandardScaler(), LogisticRegression()), "LogisticRegression"),
    ]:
        with pytest.raises(TypeError, match=what):
            save_model(bad.fit(X, y), tmp_path / "bad.srm")


def test_old_model_files_still_load_in_the_command_line(tmp_path, capsys):
    X, y = load_iris(return_X_y=True)
    np.savez(tmp_path / "iris.npz", X=X, y=y)
    out = tmp_path / "p.npz"
    model = BEFORE / "softmax_regression.srm"
    assert main(["predict", str(model), str(tmp_path / "iris.npz"), "-o", str(out),
                 "--proba"]) == 0  # fmt: skip
    expected = np.load(BEFORE / "expected_proba.npz")["softmax_regression"]
    np.testing.assert_array_equal(np.load(out)["proba"], expected)


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_standardize_in_chunks(wine, tmp_path, capsys, solver):
    if solver != "sgd":
        pytest.importorskip("dask.dataframe")
    csv, X, _ = wine
    path = tmp_path / f"{solver}.srm"
    extra = ["--chunksize", "50", "--solver", solver, "--standardize"]
    if solver == "sgd":
        extra += ["--max-iter", "3"]
    assert _fit(csv, path, *extra) == 0
    assert "in chunks of 50, 13 features, standardised" in capsys.readouterr().out
    model = load_model(path)
    np.testing.assert_allclose(model[0].mean_, X.mean().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(model[0].scale_, X.std(ddof=0).to_numpy(), rtol=1e-10)
    if solver == "lbfgs":  # the same optimum as in memory
        assert _fit(csv, tmp_path / "mem.srm", "--standardize", "--solver", solver) == 0
        in_memory = load_model(tmp_path / "mem.srm")
        np.testing.assert_allclose(
            model.predict_proba(X), in_memory.predict_proba(X), atol=1e-4
        )


def test_standardize_sparse_data_scales_without_centring(tmp_path, capsys):
    from sklearn.datasets import dump_svmlight_file

    X, y = load_wine(return_X_y=True)
    dump_svmlight_file(X, y, str(tmp_path / "wine.svm"))
    path = tmp_path / "svm.srm"
    assert (
        main(["fit", str(tmp_path / "wine.svm"), "--standardize", "-o", str(path)]) == 0
    )
    assert "scaled (sparse: not centred)" in capsys.readouterr().out
    model = load_model(path)
    assert model[0].with_mean is False  # sparse data stay sparse
    assert main(["evaluate", str(path), str(tmp_path / "wine.svm")]) == 0
    assert re.search(
        r"accuracy   0\.9\d\d\d|accuracy   1\.0000", capsys.readouterr().out
    )
