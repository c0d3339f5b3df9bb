"""Model files (format version 3): array-valued parameters (penalty_factor,
bounds) and a sparse coef_ after sparsify() round-trip; a model without
them is still written in version 1."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from softmax_regression import SoftmaxRegression, load_model, save_model


def _version(path) -> int:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("metadata.json"))["format_version"]


@pytest.mark.parametrize(
    "params",
    [
        dict(penalty_factor=np.r_[0.0, np.ones(12)]),
        dict(lower_bound=np.zeros(13), upper_bound=np.full((3, 13), np.inf)),
        dict(lower_bound=np.float32(-1.0)),
    ],
)
def test_array_parameters_round_trip(wine_scaled, tmp_path, params):
    X, y = wine_scaled
    model = SoftmaxRegression(**params).fit(X, y)
    save_model(model, tmp_path / "m.srm")
    loaded = load_model(tmp_path / "m.srm")
    for name, value in params.items():
        stored = loaded.get_params()[name]
        np.testing.assert_array_equal(stored, value)
        assert np.asarray(stored).dtype == np.asarray(value).dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.converged_ == model.converged_
    assert loaded.objective_ == model.objective_
    expected = 3 if isinstance(next(iter(params.values())), np.ndarray) else 1
    assert _version(tmp_path / "m.srm") == expected


def test_sparse_coef_round_trips(wine_scaled, tmp_path):
    X, y = wine_scaled
    model = SoftmaxRegression(alpha=0.05, l1_ratio=1.0).fit(X, y).sparsify()
    save_model(model, tmp_path / "m.srm")
    assert _version(tmp_path / "m.srm") == 3
    loaded = load_model(tmp_path / "m.srm")
    assert sp.issparse(loaded.coef_) and loaded.coef_.format == "csr"
    assert (loaded.coef_ != model.coef_).nnz == 0
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_plain_model_stays_version_1(wine_scaled, tmp_path):
    X, y = wine_scaled
    save_model(SoftmaxRegression().fit(X, y), tmp_path / "m.srm")
    assert _version(tmp_path / "m.srm") == 1
