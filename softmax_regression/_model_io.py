"""Safe model files: a zip of JSON metadata and ``.npy`` arrays.

Nothing in a model file is ever executed, unpickled or imported: the
estimator class is looked up by name in :data:`_ESTIMATORS`, and the class
of a preprocessing step (a standardised model's scaler) in
:data:`_TRANSFORMERS`, explicit allow-lists; parameters and scalar
attributes are plain JSON; arrays are ``.npy`` members read with
``allow_pickle=False`` (:mod:`._model_state` stores and reads each object's
state).  The format is described on the documentation page "Model files
and the command line"; bump :data:`FORMAT_VERSION` whenever a reader of the current
version could misread a file of the new layout.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
import zipfile
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import sklearn
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._atomic import atomic_write
from ._estimator import SoftmaxRegression
from ._model_state import (
    ARRAY_DIR,
    ModelFileError,
    array_member,
    canonical_json,
    declared_arrays,
    decode_value,
    encode_state,
    encode_value,
    needs_arrays,
    read_member,
    read_state,
    sha256,
)
from ._search import SoftmaxRegressionCV
from ._version import __version__

FORMAT_NAME = "softmax_regression.model"
#: The newest layout version this code reads and writes.  A file is written
#: in the oldest version that describes it: 1 for an estimator alone (which
#: every release reads), 2 for a pipeline of preprocessing steps and an
#: estimator (``fit --standardize``), 3 for an array-valued parameter
#: (``penalty_factor``, ``lower_bound``, ``upper_bound``) or a sparse
#: ``coef_`` (after ``sparsify()``); older readers refuse a newer file with
#: a message naming the release needed.
FORMAT_VERSION = 3
_PIPELINE_VERSION = 2
_ARRAYS_VERSION = 3

#: The estimators a model file may hold, by class name: the only classes
#: ``load_model`` ever instantiates.  A new estimator is one more line.
_ESTIMATORS: dict[str, type] = {
    "SoftmaxRegression": SoftmaxRegression,
    "SoftmaxRegressionCV": SoftmaxRegressionCV,
}
#: The preprocessing steps a model file may hold before its estimator.
_TRANSFORMERS: dict[str, type] = {"StandardScaler": StandardScaler}

_METADATA = "metadata.json"
_STEP_DIR = "preprocessing"
_STEP_NAME = re.compile(r"(?!.*__)[A-Za-z0-9_.-]{1,100}")
_MAX_METADATA_BYTES = 16 * 2**20
_PICKLE_PROTOCOL_2_PLUS = b"\x80"
#: Working state that is not part of the model: the streaming optimiser's
#: moments (``solver="sgd"``, ``partial_fit``).  Not saved; a loaded model's
#: next ``partial_fit`` starts a new optimiser from ``coef_``.
_TRANSIENT_ATTRIBUTES = frozenset({"_optimizer"})


# -- saving -------------------------------------------------------------------


def _step_folder(index: int) -> str:
    return f"{_STEP_DIR}/{index}"


def _split_pipeline(obj) -> tuple[list[tuple[str, Any]], str | None, Any]:
    """``(preprocessing steps, final step's name, estimator)`` of ``obj``, a
    Pipeline or an estimator alone (no steps, no name)."""
    if not isinstance(obj, Pipeline):
        return [], None, obj
    names = [name for name, _ in obj.steps]
    *steps, (final_name, estimator) = obj.steps
    for name, step in steps:
        cls = type(step)
        if _TRANSFORMERS.get(cls.__name__) is not cls:
            raise TypeError(
                f"save_model stores a Pipeline only of "
                f"{', '.join(sorted(_TRANSFORMERS))} steps before the estimator; "
                f"step {name!r} is a {cls.__name__}"
            )
    bad = [name for name in names if not _STEP_NAME.fullmatch(name)]
    if bad:
        raise TypeError(
            f"save_model stores Pipeline step names of letters, digits, '_', '.' "
            f"and '-' only; got {bad[0]!r}"
        )
    return steps, final_name, estimator


def _pipeline_content(steps: list[tuple[str, Any]], final_name: str):
    """The ``pipeline`` entry of the content, and the steps' array members."""
    members: dict[str, bytes] = {}
    entries = []
    for index, (name, step) in enumerate(steps):
        check_is_fitted(step)
        params = step.get_params(deep=False)
        attributes, arrays = encode_state(step, set(params), _step_folder(index))
        members.update(arrays)
        entries.append(
            {
                "name": name,
                "class": type(step).__name__,
                "params": {
                    k: encode_value(v, f"step {name} parameter {k}")
                    for k, v in params.items()
                },
                "attributes": attributes,
            }
        )
    return {"final_step": final_name, "preprocessing": entries}, members


def save_model(estimator, path, *, overwrite: bool = True) -> None:
    """Save a fitted estimator to a safe, versioned model file.

    The file is a zip archive of ``metadata.json`` (format name and version,
    package version, estimator class name, ``get_params(deep=False)``,
    scalar fitted attributes, and the name, dtype, shape and SHA-256 of
    every array, the whole guarded by its own SHA-256) and one ``.npy``
    member per array attribute (``coef_``, ``intercept_``, ``classes_``,
    ``feature_names_in_`` ...).  It holds no pickle and no code;
    :func:`load_model` reads it back bit for bit.  The file is written to a
    temporary file in the same directory and renamed into place, so ``path``
    never holds a partial model.  The format is described on the
    documentation page "Model files and the command line".

    A :class:`~sklearn.pipeline.Pipeline` of
    :class:`~sklearn.preprocessing.StandardScaler` steps followed by an
    estimator (``make_pipeline(StandardScaler(), SoftmaxRegression())``,
    what the command line's ``fit --standardize`` fits) is stored too, the
    scaler's mean and scale as arrays of the same file.

    Parameters
    ----------
    estimator : SoftmaxRegression, SoftmaxRegressionCV or Pipeline
        A fitted estimator of a class :func:`load_model` accepts, or a
        fitted Pipeline of StandardScaler steps and such an estimator.
    path : str or path-like
        Destination file, conventionally ending in ``.srm``.
    overwrite : bool, default=True
        If False, raise ``FileExistsError`` when ``path`` exists.

    Raises
    ------
    TypeError
        If the estimator's class (or a pipeline step's) is not one a model
        file can hold, or a parameter or attribute is of a type the format
        cannot store (for example ``random_state=np.random.RandomState(0)``:
        set it to an int or None first).
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_iris
    >>> from softmax_regression import SoftmaxRegression, load_model, save_model
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression().fit(X, y)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "iris.srm"
    >>> save_model(clf, path)
    >>> (load_model(path).predict_proba(X) == clf.predict_proba(X)).all()
    np.True_
    """
    steps, final_name, estimator = _split_pipeline(estimator)
    cls = type(estimator)
    if _ESTIMATORS.get(cls.__name__) is not cls:
        known = ", ".join(sorted(_ESTIMATORS))
        raise TypeError(
            f"save_model stores only {known} estimators (alone or after "
            f"StandardScaler steps in a Pipeline), got {cls.__name__}; use "
            "joblib or skops.io for other objects (see the documentation page "
            "'Model files and the command line', or help(save_model))"
        )
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    attributes, members = encode_state(
        estimator, set(params) | _TRANSIENT_ATTRIBUTES
    )
    content = {
        "estimator": cls.__name__,
        "params": {k: encode_value(v, f"parameter {k}") for k, v in params.items()},
        "attributes": attributes,
        "written_with": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }
    version = 1
    if final_name is not None:
        content["pipeline"], step_members = _pipeline_content(steps, final_name)
        members.update(step_members)
        version = _PIPELINE_VERSION
    if needs_arrays(content):
        version = _ARRAYS_VERSION
    metadata = {
        "format": FORMAT_NAME,
        "format_version": version,
        "package_version": __version__,
        "content": content,
        "content_sha256": sha256(canonical_json(content)),
    }
    with (
        atomic_write(path, overwrite=overwrite) as file,
        zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        archive.writestr(
            _METADATA,
            json.dumps(metadata, indent=1, sort_keys=True, allow_nan=False),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for member, data in members.items():
            archive.writestr(member, data)


# -- loading ------------------------------------------------------------------


def _open_archive(path) -> zipfile.ZipFile:
    with open(path, "rb") as file:
        head = file.read(4)
    if head[:1] == _PICKLE_PROTOCOL_2_PLUS:
        raise ModelFileError(
            f"{path} looks like a pickle (pickle.dump or joblib.dump), not a "
            "softmax_regression model file; load_model never unpickles. Load it "
            "with joblib.load only if you trust its source, then save_model it."
        )
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError):
        # NotImplementedError: a damaged "version needed to extract" field
        raise ModelFileError(
            f"{path} is not a softmax_regression model file: not a complete zip "
            "archive (truncated, corrupted, or another kind of file)"
        ) from None


def _check_member_names(path, archive: zipfile.ZipFile) -> None:
    names = archive.namelist()
    for name in names:
        parts = PurePosixPath(name).parts
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or ":" in name
            or ".." in parts
        ):
            raise ModelFileError(f"{path}: refused member name {name!r}")
    if len(set(names)) != len(names):
        raise ModelFileError(f"{path}: duplicate member names")
    if _METADATA not in names:
        raise ModelFileError(
            f"{path} is not a softmax_regression model file: no {_METADATA}"
        )


def _read_metadata(path, archive: zipfile.ZipFile) -> dict:
    info = archive.getinfo(_METADATA)
    if info.file_size > _MAX_METADATA_BYTES:
        raise ModelFileError(f"{path}: {_METADATA} is implausibly large")
    raw = read_member(path, archive, _METADATA, _MAX_METADATA_BYTES)
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{path}: {_METADATA} is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelFileError(
            f"{path} is not a softmax_regression model file (format "
            f"{metadata.get('format') if isinstance(metadata, dict) else None!r})"
        )
    return metadata


def _check_version(path, metadata: dict) -> int:
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        written_by = metadata.get("package_version")
        if isinstance(written_by, str) and re.fullmatch(r"[\w.+!-]{1,40}", written_by):
            writer, needed = f"softmax_regression {written_by}", f">={written_by}"
        else:
            writer, needed = "a newer softmax_regression", ""
        raise ModelFileError(
            f"{path} was written by {writer} in model-file format version "
            f"{version}; this softmax_regression {__version__} reads format "
            f"versions up to {FORMAT_VERSION}. Upgrade: pip install --upgrade "
            f"'softmax-regression{needed}'"
        )
    return version


def _checked_content(path, metadata: dict) -> dict:
    content = metadata.get("content")
    if not isinstance(content, dict) or not isinstance(
        metadata.get("content_sha256"), str
    ):
        raise ModelFileError(f"{path}: metadata lacks its content or checksum")
    try:
        digest = sha256(canonical_json(content))
    except ValueError:
        digest = None
    if digest != metadata["content_sha256"]:
        raise ModelFileError(
            f"{path}: checksum mismatch in {_METADATA} (the file was modified "
            "or corrupted)"
        )
    return content


def _estimator_class(path, content: dict) -> type:
    name = content.get("estimator")
    if not isinstance(name, str) or name not in _ESTIMATORS:
        known = ", ".join(sorted(_ESTIMATORS))
        raise ModelFileError(
            f"{path}: estimator class {name!r} is not one load_model creates ({known})"
        )
    return _ESTIMATORS[name]


def _pipeline_steps(path, content: dict, version: int) -> tuple[list[dict], Any]:
    """The preprocessing entries and the final step's name (None: no pipeline)."""
    pipeline = content.get("pipeline")
    if pipeline is None:
        return [], None
    if version < _PIPELINE_VERSION:
        raise ModelFileError(
            f"{path}: format version {version} files hold no pipeline, but this "
            "one declares one"
        )
    steps = pipeline.get("preprocessing") if isinstance(pipeline, dict) else None
    final = pipeline.get("final_step") if isinstance(pipeline, dict) else None
    names = [step.get("name") for step in steps or () if isinstance(step, dict)]
    if (
        not isinstance(steps, list)
        or len(names) != len(steps)
        or not all(isinstance(n, str) and _STEP_NAME.fullmatch(n) for n in names)
        or not isinstance(final, str)
        or not _STEP_NAME.fullmatch(final)
        or len({*names, final}) != len(names) + 1
    ):
        raise ModelFileError(f"{path}: malformed pipeline entry in {_METADATA}")
    for step in steps:
        if step.get("class") not in _TRANSFORMERS:
            raise ModelFileError(
                f"{path}: pipeline step class {step.get('class')!r} is not one "
                f"load_model creates ({', '.join(sorted(_TRANSFORMERS))})"
            )
        if not isinstance(step.get("attributes"), dict):
            raise ModelFileError(f"{path}: step {step['name']} lacks its attributes")
    return steps, final


def _check_members(
    path, archive: zipfile.ZipFile, attributes: dict, steps: list[dict]
) -> None:
    expected = {_METADATA} | {array_member(name) for name in attributes}
    for index, step in enumerate(steps):
        folder = _step_folder(index)
        expected |= {array_member(name, folder) for name in step}
    present = set(archive.namelist())
    if present != expected:
        extra, missing = sorted(present - expected), sorted(expected - present)
        raise ModelFileError(
            f"{path}: unexpected members {extra} / missing members {missing}"
        )


def _set_params(path, estimator, params, what: str = "") -> None:
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: metadata lacks the parameters{what}")
    known = estimator.get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        warnings.warn(
            f"{path} sets parameters{what} this softmax_regression "
            f"{__version__} does not know: {', '.join(unknown)} (written "
            "by a newer version?). They are ignored: the model predicts as "
            "saved, but a refit would use this version's behaviour.",
            UserWarning,
            stacklevel=4,
        )
    estimator.set_params(
        **{
            name: decode_value(value, f"{path}: parameter {name}")
            for name, value in params.items()
            if name in known
        }
    )


def _new(path, cls: type, params, values: dict, what: str = ""):
    obj = cls()
    _set_params(path, obj, params, what)
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def _check_scaler(path, scaler, name: str, n_features: Any) -> None:
    """Refuse a scaler whose arrays cannot standardise the model's features."""
    for attribute in ("mean_", "var_", "scale_"):
        value = getattr(scaler, attribute, None)
        if value is None:
            continue
        if (
            not isinstance(value, np.ndarray)
            or value.dtype.kind != "f"
            or value.shape != (n_features,)
        ):
            raise ModelFileError(
                f"{path}: step {name} attribute {attribute} must be a float array "
                f"of shape ({n_features},), the model's features"
            )
    if getattr(scaler, "n_features_in_", None) != n_features:
        raise ModelFileError(
            f"{path}: step {name} takes {getattr(scaler, 'n_features_in_', None)!r} "
            f"features, the estimator {n_features!r}"
        )


def load_model(path):
    """Load an estimator written by :func:`save_model`.

    Reading never unpickles, never imports and never executes anything the
    file names: the estimator class must be in an allow-list
    (``SoftmaxRegression``, ``SoftmaxRegressionCV``; ``StandardScaler``
    for a pipeline's preprocessing steps), arrays are read with
    ``allow_pickle=False`` after their declared size, dtype and SHA-256 are
    checked.  The loaded estimator equals the saved one bit for bit
    (``coef_``, ``intercept_``, ``classes_`` and every prediction).

    Parameters with names this version does not know (a file from a newer
    version) are dropped with a ``UserWarning``: they do not affect
    predictions, only a refit.  Parameters the file lacks (a file from an
    older version) keep their defaults.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : SoftmaxRegression, SoftmaxRegressionCV or Pipeline
        The fitted estimator; a :class:`~sklearn.pipeline.Pipeline` of the
        fitted StandardScaler and estimator when the file holds a
        standardised model (``fit --standardize`` on the command line), so
        that ``predict`` and ``predict_proba`` standardise their input.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) if the file is not a model file, is truncated or
        modified (checksum mismatch), holds a pickle, object arrays,
        unexpected members or an estimator class outside the allow-list, or
        was written in a newer format version (the message names the
        version needed).
    FileNotFoundError
        If ``path`` does not exist.

    See Also
    --------
    save_model : Write a model file.
    """
    with _open_archive(path) as archive:
        _check_member_names(path, archive)
        metadata = _read_metadata(path, archive)
        version = _check_version(path, metadata)
        content = _checked_content(path, metadata)
        cls = _estimator_class(path, content)
        attributes = content.get("attributes")
        if not isinstance(attributes, dict):
            raise ModelFileError(f"{path}: metadata lacks the fitted attributes")
        steps, final_name = _pipeline_steps(path, content, version)
        _check_members(
            path,
            archive,
            declared_arrays(attributes),
            [declared_arrays(step["attributes"]) for step in steps],
        )
        values = read_state(path, archive, cls, attributes, ARRAY_DIR)
        step_values = [
            read_state(
                path,
                archive,
                _TRANSFORMERS[step["class"]],
                step["attributes"],
                _step_folder(index),
            )
            for index, step in enumerate(steps)
        ]
    estimator = _new(path, cls, content.get("params"), values)
    if final_name is None:
        return estimator
    fitted = []
    for step, state in zip(steps, step_values, strict=True):
        name = step["name"]
        scaler = _new(
            path, _TRANSFORMERS[step["class"]], step.get("params"), state,
            f" of step {name}",
        )  # fmt: skip
        _check_scaler(path, scaler, name, getattr(estimator, "n_features_in_", None))
        fitted.append((name, scaler))
    return Pipeline([*fitted, (final_name, estimator)])
