"""``softmax-regression fit --chunksize``: CSV/Parquet files read in chunks."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, log_loss
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression, load_model
from softmax_regression._cli import main
from softmax_regression._cli._chunked_fit import fit_chunked

CULTIVARS = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(
        StandardScaler().fit_transform(X), columns=[f"f{j}" for j in range(13)]
    )
    frame["cultivar"] = CULTIVARS[y]
    return frame


def _printed(text: str, name: str) -> tuple[float, float]:
    accuracy, loss = re.search(rf"^{name}\s+(\S+)\s+(\S+)$", text, re.M).groups()
    return float(accuracy), float(loss)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_csv_in_chunks_fits_on_dask_like_in_memory(wine, tmp_path, capsys, solver):
    path, output = tmp_path / "wine.csv", tmp_path / "model.srm"
    wine.to_csv(path, index=False)
    args = ["fit", path, "--target", "cultivar", "-o", output, "--chunksize", "40"]
    args += ["--solver", solver, "--alpha", "1e-2", "--tol", "1e-8"]
    assert main(list(map(str, args))) == 0
    model = load_model(output)
    X, y = wine.drop(columns=["cultivar"]), wine["cultivar"].to_numpy()
    memory = SoftmaxRegression(solver=solver, alpha=1e-2, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    out = capsys.readouterr().out
    assert "178 samples in chunks of 40, 13 features" in out
    accuracy, loss = _printed(out, "train")
    assert accuracy == pytest.approx(accuracy_score(y, model.predict(X)), abs=1e-4)
    assert loss == pytest.approx(log_loss(y, model.predict_proba(X)), abs=1e-4)


def test_parquet_in_chunks_streams_through_partial_fit(wine, tmp_path):
    # through fit_chunked: a model file cannot hold the streaming optimiser
    # yet (save_model refuses _optimizer), so the CLI's "fit --solver sgd"
    # cannot save its model, with or without --chunksize
    path = tmp_path / "wine.parquet"
    wine.to_parquet(path, index=False)
    model = SoftmaxRegression(solver="sgd", max_iter=3, random_state=0)
    summary = fit_chunked(model, path, "parquet", "cultivar", 50)
    X, y = wine.drop(columns=["cultivar"]), wine["cultivar"].to_numpy()
    assert model.n_iter_ == 3 * 4  # 3 passes over 4 chunks of <= 50 rows
    assert model.t_ == 3 * 178
    assert sorted(model.classes_) == sorted(CULTIVARS)
    assert summary["n_samples"] == 178
    assert summary["accuracy"] == pytest.approx(accuracy_score(y, model.predict(X)))
    assert summary["log_loss"] == pytest.approx(log_loss(y, model.predict_proba(X)))


@pytest.mark.parametrize(
    ("name", "extra", "match"),
    [
        ("wine.npz", [], "--chunksize reads CSV or Parquet files"),
        ("wine.csv", ["--test-size", "0.2"], "--test-size cannot be combined"),
        ("wine.csv", ["--chunksize", "0"], "must be a positive number of rows"),
        ("wine.csv", ["--target", "grape"], "has no column 'grape'"),
        ("wine.csv", ["--solver", "fista"], "cannot fit Dask input"),
    ],
)
def test_chunked_fit_errors(wine, tmp_path, capsys, name, extra, match):
    path = tmp_path / name
    if name.endswith(".csv"):
        wine.to_csv(path, index=False)
    else:
        np.savez(path, X=wine.drop(columns=["cultivar"]).to_numpy())
    args = ["fit", str(path), "-o", str(tmp_path / "m.srm"), "--chunksize", "40"]
    target = [] if "--target" in extra else ["--target", "cultivar"]
    assert main([*args, *target, *extra]) == 2
    assert match in capsys.readouterr().err
