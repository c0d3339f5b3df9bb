"""Model files: bit-exact round trips and every refusal."""

import hashlib
import io
import json
import os
import pickle
import stat
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from softmax_regression import (
    ModelFileError,
    SoftmaxRegression,
    SoftmaxRegressionCV,
    __version__,
    _model_io,
    load_model,
    save_model,
)


@pytest.fixture
def wine_frame_std(wine_frame):
    """Wine standardised by pandas (sample standard deviation) as a DataFrame,
    with the labels as a numpy array."""
    X, y = wine_frame
    return (X - X.mean()) / X.std(), y.to_numpy()


def _assert_same_model(loaded, model, X):
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    for name in ("coef_", "intercept_", "classes_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
        assert getattr(loaded, name).dtype == getattr(model, name).dtype
    assert hasattr(loaded, "feature_names_in_") == hasattr(model, "feature_names_in_")
    if hasattr(model, "feature_names_in_"):
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
        assert loaded.feature_names_in_.dtype == object
    assert loaded.n_features_in_ == model.n_features_in_
    assert loaded.n_iter_ == model.n_iter_ and loaded._solver == model._solver
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("labels", ["int", "str", "object"])
@pytest.mark.parametrize("names", [True, False])
def test_round_trip_is_bit_exact(tmp_path, wine_frame_std, dtype, labels, names):
    X, y = wine_frame_std
    X = X.astype(dtype) if names else X.to_numpy(dtype=dtype)
    y = {
        "int": y,
        "str": np.array(["barolo", "grignolino", "barbera"])[y],
        "object": np.array(["barolo", "grignolino", "barbera"], dtype=object)[y],
    }[labels]
    class_weight = {y[0]: 2.0, y[-1]: np.float64(0.5)}
    model = SoftmaxRegression(alpha=np.float64(1e-3), class_weight=class_weight)
    model.fit(X, y)
    path = tmp_path / "wine.srm"
    save_model(model, path)
    loaded = load_model(path)
    _assert_same_model(loaded, model, X)
    assert loaded.coef_.dtype == dtype
    assert loaded.class_weight == class_weight  # int keys stay ints
    assert type(loaded.class_weight[y[-1]]) is np.float64


def test_cross_validated_model_round_trips(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    model = SoftmaxRegressionCV(alphas=[1e-1, 1e-3], cv=3).fit(X, y)
    save_model(model, tmp_path / "cv.srm")
    loaded = load_model(tmp_path / "cv.srm")
    assert type(loaded) is SoftmaxRegressionCV
    assert loaded.get_params() == model.get_params()
    assert loaded.alpha_ == model.alpha_
    for name in ("coef_", "intercept_", "scores_", "alphas_", "coefs_paths_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_streamed_model_round_trips_and_streams_on(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    model = SoftmaxRegression(random_state=0)
    for rows in (slice(0, 90), slice(90, None)):
        model.partial_fit(X.iloc[rows], y[rows], classes=[0, 1, 2])
    save_model(model, tmp_path / "stream.srm")
    loaded = load_model(tmp_path / "stream.srm")
    _assert_same_model(loaded, model, X)
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.t_ == model.t_
    # the optimiser's moments are not saved: the next call starts afresh
    # from the saved coefficients, as after fit
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == 3 and np.all(np.isfinite(loaded.coef_))
    from_zeros = SoftmaxRegression(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    assert not np.allclose(loaded.coef_, from_zeros.coef_)


def test_params_of_every_json_kind_round_trip(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    model = SoftmaxRegression(alpha=0.0, max_iter=np.int64(30)).fit(X, y)
    model.set_params(tol=float("inf"))
    model.example_ = (1, [2.5, "x", None], {"k": float("-inf"), 4: True})
    save_model(model, tmp_path / "m.srm")
    loaded = load_model(tmp_path / "m.srm")
    assert loaded.tol == float("inf") and type(loaded.max_iter) is np.int64
    assert loaded.example_ == model.example_


class NewParameters(SoftmaxRegression):
    """A later estimator: SoftmaxRegression's parameters and new ones."""

    penalty, batch_size, smoothing = "l2", None, 0.0  # their defaults

    @classmethod
    def _get_param_names(cls):
        return sorted(
            [*super()._get_param_names(), "penalty", "batch_size", "smoothing"]
        )


def test_new_estimator_and_parameters_need_one_line(
    tmp_path, wine_frame_std, monkeypatch
):
    monkeypatch.setitem(_model_io._ESTIMATORS, "NewParameters", NewParameters)
    X, y = wine_frame_std
    model = NewParameters(alpha=1e-3).set_params(
        penalty="elasticnet", batch_size=64, smoothing=0.1
    )
    save_model(model.fit(X, y), tmp_path / "m.srm")
    loaded = load_model(tmp_path / "m.srm")
    assert type(loaded) is NewParameters
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_pickle_and_joblib_still_work(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    model = SoftmaxRegression().fit(X, y)
    joblib.dump(model, tmp_path / "m.joblib")
    copies = pickle.loads(pickle.dumps(model)), joblib.load(tmp_path / "m.joblib")
    for loaded in copies:
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_skops_persistence_as_documented(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    model = SoftmaxRegression().fit(X, y)
    sio.dump(model, tmp_path / "m.skops")
    unknown = sio.get_untrusted_types(file=tmp_path / "m.skops")
    assert unknown == ["softmax_regression._estimator.SoftmaxRegression"]
    loaded = sio.load(tmp_path / "m.skops", trusted=unknown)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_save_refuses_what_it_cannot_store(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    with pytest.raises(NotFittedError):
        save_model(SoftmaxRegression(), tmp_path / "m.srm")
    with pytest.raises(TypeError, match=r"stores only SoftmaxRegression.*got Logistic"):
        save_model(LogisticRegression().fit(X, y), tmp_path / "m.srm")

    class Sub(SoftmaxRegression):
        pass

    with pytest.raises(TypeError, match="got Sub"):
        save_model(Sub().fit(X, y), tmp_path / "m.srm")
    model = SoftmaxRegression(random_state=np.random.RandomState(0)).fit(X, y)
    with pytest.raises(TypeError, match="parameter random_state is a RandomState"):
        save_model(model, tmp_path / "m.srm")
    model = SoftmaxRegression().fit(X, y)
    model.mixed_ = np.array(["a", 1], dtype=object)
    with pytest.raises(TypeError, match="only strings or only numbers"):
        save_model(model, tmp_path / "m.srm")
    assert not list(tmp_path.iterdir())


def test_write_is_atomic(tmp_path, wine_frame_std, monkeypatch):
    X, y = wine_frame_std
    model = SoftmaxRegression().fit(X, y)
    path = tmp_path / "m.srm"
    calls = []
    writestr = zipfile.ZipFile.writestr

    def fail_on_second_member(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("disk full")
        return writestr(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_second_member)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, path)
    assert not list(tmp_path.iterdir())
    monkeypatch.undo()

    path.write_bytes(b"previous")
    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_second_member)
    calls.clear()
    with pytest.raises(OSError, match="disk full"):
        save_model(model, path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.srm"]
    monkeypatch.undo()

    with pytest.raises(FileExistsError, match=r"m.srm exists"):
        save_model(model, path, overwrite=False)
    path.unlink()
    save_model(model, path, overwrite=False)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    np.testing.assert_array_equal(load_model(path).coef_, model.coef_)


# -- refusals -----------------------------------------------------------------


@pytest.fixture
def saved(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    path = tmp_path / "wine.srm"
    save_model(SoftmaxRegression().fit(X, np.array(["a", "b", "c"])[y]), path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path, edit=None, members=None, checksum=True):
    """Rewrite a model file: ``edit(metadata)`` in place, members replaced
    or added, the metadata checksum recomputed unless told not to."""
    contents = _members(path)
    metadata = json.loads(contents.pop("metadata.json"))
    if edit is not None:
        edit(metadata)
    if checksum:
        canonical = json.dumps(
            metadata["content"], sort_keys=True, separators=(",", ":")
        ).encode()
        metadata["content_sha256"] = hashlib.sha256(canonical).hexdigest()
    contents.update(members or {})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        for name, data in contents.items():
            if data is not None:
                archive.writestr(name, data)
    return path


def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _declare(name, array, data):
    def edit(metadata):
        metadata["content"]["attributes"][name].update(
            dtype=array.dtype.str,
            shape=list(array.shape),
            sha256=hashlib.sha256(data).hexdigest(),
        )

    return edit


def test_refuses_files_that_are_not_model_files(tmp_path, saved, wine_frame_std):
    text = tmp_path / "model.csv"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(ModelFileError, match="not a complete zip archive"):
        load_model(text)
    truncated = tmp_path / "truncated.srm"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="not a complete zip archive"):
        load_model(truncated)
    joblib.dump(SoftmaxRegression().fit(*wine_frame_std), tmp_path / "m.joblib")
    with pytest.raises(ModelFileError, match=r"looks like a pickle.*never unpickles"):
        load_model(tmp_path / "m.joblib")
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match=r"no metadata.json"):
        load_model(other_zip)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.srm")


def test_refuses_modified_files(saved):
    original = saved.read_bytes()

    def alpha(metadata):
        metadata["content"]["params"]["alpha"] = 1.0

    _rewrite(saved, alpha, checksum=False)
    with pytest.raises(ModelFileError, match=r"checksum mismatch in metadata.json"):
        load_model(saved)
    saved.write_bytes(original)
    coef = np.load(io.BytesIO(_members(saved)["arrays/coef_.npy"]))
    _rewrite(saved, members={"arrays/coef_.npy": _npy(coef + 1e-16)})
    with pytest.raises(ModelFileError, match=r"checksum mismatch in arrays/coef_"):
        load_model(saved)
    saved.write_bytes(original)
    data = bytearray(original)
    at = original.index(_members(saved)["arrays/coef_.npy"][200:220])
    data[at] ^= 1  # one bit of a stored member: its CRC-32 no longer matches
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"arrays/coef_.npy is corrupted"):
        load_model(saved)


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"extra.txt": b"x"}, r"unexpected members \['extra.txt'\]"),
        ({"arrays/coef_.npy": None}, r"missing members \['arrays/coef_.npy'\]"),
        ({"../evil.npy": b"x"}, "refused member name '../evil.npy'"),
        ({"/etc/evil": b"x"}, "refused member name '/etc/evil'"),
        ({"arrays\\..\\evil": b"x"}, "refused member name"),
    ],
)
def test_refuses_unexpected_members(saved, members, match):
    with pytest.raises(ModelFileError, match=match):
        load_model(_rewrite(saved, members=members))


def test_refuses_object_arrays_and_pickles(saved):
    classes = np.array(["a", "b", "c"], dtype=object)
    pickled = _npy(classes, allow_pickle=True)
    declare = _declare("classes_", classes, pickled)
    _rewrite(saved, declare, {"arrays/classes_.npy": pickled})
    with pytest.raises(ModelFileError, match="classes_ has object dtype; refused"):
        load_model(saved)
    # declared as strings, but the member is a pickled object array
    declared = np.array(["a", "b", "c"])
    _rewrite(saved, _declare("classes_", declared, pickled))
    with pytest.raises(ModelFileError, match=r"classes_.npy refused.*allow_pickle"):
        load_model(saved)


def test_refuses_arrays_larger_or_smaller_than_declared(saved):
    big = np.zeros((3, 10**6))
    data = _npy(big)
    coef = np.zeros((3, 13))
    _rewrite(saved, _declare("coef_", coef, data), {"arrays/coef_.npy": data})
    with pytest.raises(ModelFileError, match=r"holds 24000128 bytes.*\(3, 13\)"):
        load_model(saved)
    huge = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**9, 10**4))
    _rewrite(saved, _declare("coef_", huge, data))
    with pytest.raises(ModelFileError, match="needs 80000000000000 plus a header"):
        load_model(saved)
    small = _npy(np.zeros((3, 12)))
    _rewrite(saved, _declare("coef_", coef, small), {"arrays/coef_.npy": small})
    with pytest.raises(ModelFileError, match="holds"):
        load_model(saved)


def test_newer_format_version_names_the_version_needed(saved):
    def newer(metadata):
        metadata["format_version"] = _model_io.FORMAT_VERSION + 1
        metadata["package_version"] = "9.1.0"
        metadata["content"] = "a layout this version cannot read"

    _rewrite(saved, newer, checksum=False)
    with pytest.raises(
        ModelFileError,
        match=r"written by softmax_regression 9\.1\.0 in model-file format version "
        rf"{_model_io.FORMAT_VERSION + 1}; this softmax_regression {__version__} "
        rf"reads format versions up to {_model_io.FORMAT_VERSION}\. "
        r"Upgrade: pip install --upgrade 'softmax-regression>=9\.1\.0'",
    ):
        load_model(saved)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: m.update(format="other"), "not a softmax_regression model file"),
        (lambda m: m.update(format_version="1"), "invalid format_version '1'"),
        (lambda m: m.update(format_version=0), "invalid format_version 0"),
        (lambda m: m.update(format_version=True), "invalid format_version True"),
        (
            lambda m: m["content"].update(estimator="os.system"),
            "estimator class 'os.system' is not one load_model creates",
        ),
        (
            lambda m: m["content"]["attributes"].update(__class__=1),
            "attribute name '__class__' is not a fitted attribute",
        ),
        (
            lambda m: m["content"]["attributes"].update(predict_proba=1),
            "attribute name 'predict_proba' is not a fitted attribute",
        ),
        (
            lambda m: m["content"]["params"].update(alpha={"$type": "code"}),
            "parameter alpha: unknown value type 'code'",
        ),
    ],
)
def test_refuses_malformed_metadata(saved, edit, match):
    with pytest.raises(ModelFileError, match=match):
        load_model(_rewrite(saved, edit))


def test_parameters_from_other_versions(saved, wine_frame_std):
    def newer_and_older(metadata):
        params = metadata["content"]["params"]
        params["temperature"] = 0.1
        del params["max_iter"]

    _rewrite(saved, newer_and_older)
    with pytest.warns(UserWarning, match="does not know: temperature"):
        loaded = load_model(saved)
    assert loaded.max_iter == SoftmaxRegression().max_iter
    assert loaded.predict(wine_frame_std[0].iloc[:1]).shape == (1,)


def test_every_bit_flip_and_truncation_is_refused_or_harmless(saved):
    """Every third byte of the file with one bit flipped (bit ``i % 8`` of
    byte ``i``), and the file cut short at every fifth length: a
    ModelFileError, or (a flip in a field nothing reads, such as a
    timestamp) the very same model."""
    original = saved.read_bytes()
    model = load_model(saved)
    harmless = 0
    for i in range(0, len(original), 3):
        data = bytearray(original)
        data[i] ^= 1 << (i % 8)
        saved.write_bytes(bytes(data))
        try:
            loaded = load_model(saved)
        except ModelFileError:
            continue
        harmless += 1
        assert loaded.get_params() == model.get_params()
        for name in ("coef_", "intercept_", "classes_", "feature_names_in_"):
            np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    assert harmless < len(original) // 12
    for length in range(0, len(original), 5):
        saved.write_bytes(original[:length])
        with pytest.raises(ModelFileError, match="not a complete zip archive"):
            load_model(saved)


def test_refuses_empty_files_directories_and_missing_paths(tmp_path):
    empty = tmp_path / "empty.srm"
    empty.touch()
    with pytest.raises(ModelFileError, match=r"empty\.srm is not a softmax_regression"):
        load_model(empty)
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"missing\.srm"):
        load_model(tmp_path / "missing.srm")


@pytest.mark.parametrize(
    "name", ["../../escaped.npy", "arrays/../../../escaped.npy", "/tmp/escaped.npy"]
)
def test_path_traversal_member_writes_nothing_anywhere(
    tmp_path, saved, monkeypatch, name
):
    target = tmp_path / "models" / "deep"
    target.mkdir(parents=True)
    path = target / "attack.srm"
    path.write_bytes(_rewrite(saved, members={name: _npy(np.ones(3))}).read_bytes())
    monkeypatch.chdir(target)  # where a relative member name would land
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ModelFileError, match=f"refused member name '{name}'"):
        load_model("attack.srm")
    assert sorted(tmp_path.rglob("*")) == before
    assert not os.path.exists("/tmp/escaped.npy")


def test_refuses_a_metadata_bomb_before_inflating_it(saved):
    """17 MiB of JSON that deflates to a few kB: refused from its declared
    size, without decompressing it."""
    contents = _members(saved)
    with zipfile.ZipFile(saved, "w") as archive:
        padded = contents.pop("metadata.json") + b" " * (17 * 2**20)
        archive.writestr("metadata.json", padded, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in contents.items():
            archive.writestr(name, data)
    assert saved.stat().st_size < 2**16
    with pytest.raises(ModelFileError, match=r"metadata\.json is implausibly large"):
        load_model(saved)


def test_loaded_model_checks_feature_names(tmp_path, wine_frame_std):
    X, y = wine_frame_std
    path = tmp_path / "m.srm"
    save_model(SoftmaxRegression().fit(X, y), path)
    with pytest.raises(ValueError, match="feature names"):
        load_model(path).predict(pd.DataFrame(X.to_numpy(), columns=X.columns[::-1]))


# -- files written before the package was reorganised ------------------------
BEFORE = Path(__file__).parent / "data" / "models_before_refactor"


@pytest.mark.parametrize(
    "name",
    [
        "softmax_regression",
        "softmax_regression_l1",
        "softmax_regression_cv",
        "softmax_regression_sgd",
    ],
)
def test_files_written_before_the_redesign_still_load(name, iris):
    """Model files saved by the code before the fitting core was factored
    out (commit 05d9a27, with ``tests/data/models_before_refactor``'s
    probabilities computed then) load and predict the same."""
    X, y = iris
    if name.endswith("sgd"):
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = load_model(BEFORE / f"{name}.srm")
    expected = np.load(BEFORE / "expected_proba.npz")[name]
    np.testing.assert_array_equal(model.predict_proba(X), expected)
    if name.endswith("sgd"):  # a loaded streamed model streams on
        model.partial_fit(X, y)
        assert model.n_iter_ == 6 and np.all(np.isfinite(model.coef_))
