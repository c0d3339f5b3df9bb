"""``softmax-regression summary MODEL DATA --target COL``: the table of
``inference(...).summary()`` for a saved model on its training data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from softmax_regression import SoftmaxRegression, inference, load_model
from softmax_regression._cli import main

FEATURES = ["alcohol", "malic_acid", "flavanoids", "color_intensity"]


@pytest.fixture
def wine_csv(tmp_path, wine_frame):
    X, y = wine_frame
    frame = X[FEATURES].assign(
        cultivar=y.map({0: "barolo", 1: "grignolino", 2: "barbera"})
    )
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _fit(path, model, *extra):
    args = ["fit", str(path), "--target", "cultivar", "-o", str(model)]
    assert main([*args, "--alpha", "1e-3", "--tol", "1e-10", *extra]) == 0


def test_summary_prints_the_inference_table(wine_csv, tmp_path, capsys):
    path, frame = wine_csv
    model_path = tmp_path / "m.srm"
    _fit(path, model_path)
    capsys.readouterr()
    args = ["summary", str(model_path), str(path), "--target", "cultivar"]
    assert main([*args, "--reference", "barbera", "--cov-type", "HC0"]) == 0
    out = capsys.readouterr().out
    model = load_model(model_path)
    expected = inference(
        model, frame[FEATURES], frame["cultivar"], reference="barbera", cov_type="HC0"
    )
    assert expected.summary() in out
    assert "class=barolo vs barbera" in out and "HC0" in out
    for name in FEATURES:
        assert name in out


def test_summary_of_a_standardized_model_names_the_features(
    wine_csv, tmp_path, capsys
):
    path, frame = wine_csv
    model_path = tmp_path / "std.srm"
    _fit(path, model_path, "--standardize")
    capsys.readouterr()
    assert main(["summary", str(model_path), str(path), "--target", "cultivar"]) == 0
    out = capsys.readouterr().out
    assert "coefficients per standard deviation" in out
    scaled = StandardScaler().fit_transform(frame[FEATURES])
    direct = SoftmaxRegression(alpha=1e-3, tol=1e-10).fit(scaled, frame["cultivar"])
    result = inference(direct, scaled, frame["cultivar"])
    for row in result.to_frame().itertuples():
        assert f"{row.coef:.4f}" in out
    for name in FEATURES:
        assert name in out


def test_summary_refusals(wine_csv, tmp_path, capsys):
    path, _ = wine_csv
    model_path = tmp_path / "m.srm"
    _fit(path, model_path)
    capsys.readouterr()
    base = ["summary", str(model_path), str(path)]
    assert main([*base, "--target", "cultivar", "--reference", "merlot"]) == 2
    assert "--reference 'merlot' is not a class of the model" in capsys.readouterr().err
    assert main(base) == 2
    assert "has no labels to summarise" in capsys.readouterr().err
    l1 = tmp_path / "l1.srm"
    _fit(path, l1, "--l1-ratio", "0.5", "--solver", "fista")
    capsys.readouterr()
    assert main(["summary", str(l1), str(path), "--target", "cultivar"]) == 2
    assert "l1_ratio" in capsys.readouterr().err


def test_confidence_level(wine_csv, tmp_path, capsys):
    path, frame = wine_csv
    model_path = tmp_path / "m.srm"
    _fit(path, model_path)
    capsys.readouterr()
    args = ["summary", str(model_path), str(path), "--target", "cultivar"]
    assert main([*args, "--confidence", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "[0.05" in out and "0.95]" in out
    result = inference(load_model(model_path), frame[FEATURES], frame["cultivar"])
    lower, _ = result.conf_int(alpha=0.1)
    assert f"{lower.ravel()[0]:.4f}" in out
    assert np.isfinite(lower).all()
    assert isinstance(frame, pd.DataFrame)
