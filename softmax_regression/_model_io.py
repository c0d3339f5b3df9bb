"""Safe model files: a zip of JSON metadata and ``.npy`` arrays.

Nothing in a model file is ever executed, unpickled or imported: the
estimator class is looked up by name in :data:`_ESTIMATORS`, an explicit
allow-list; parameters and scalar attributes are plain JSON; arrays are
``.npy`` members read with ``allow_pickle=False``.  The format is described
in ``docs/model_files.rst``; bump :data:`FORMAT_VERSION` whenever a reader of
the current version could misread a file of the new layout.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import math
import re
import sys
import warnings
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import sklearn
from sklearn.utils.validation import check_is_fitted

from ._atomic import atomic_write
from ._estimator import SoftmaxRegression
from ._search import SoftmaxRegressionCV
from ._version import __version__

FORMAT_NAME = "softmax_regression.model"
#: The layout version this code writes and the newest it reads.
FORMAT_VERSION = 1

#: The estimators a model file may hold, by class name: the only classes
#: ``load_model`` ever instantiates.  A new estimator is one more line.
_ESTIMATORS: dict[str, type] = {
    "SoftmaxRegression": SoftmaxRegression,
    "SoftmaxRegressionCV": SoftmaxRegressionCV,
}

_METADATA = "metadata.json"
_ARRAY_DIR = "arrays"
_MAX_METADATA_BYTES = 16 * 2**20
# np.lib.format refuses headers over 10,000 bytes; the preamble adds 12.
_MAX_NPY_HEADER_BYTES = 10_000 + 16
_ARRAY_KINDS = "biufcU"
# Fitted attributes ("coef_") and private state ("_solver"), never dunders.
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_|_[A-Za-z][A-Za-z0-9_]*")
_PICKLE_PROTOCOL_2_PLUS = b"\x80"
#: Working state that is not part of the model: the streaming optimiser's
#: moments (``solver="sgd"``, ``partial_fit``).  Not saved; a loaded model's
#: next ``partial_fit`` starts a new optimiser from ``coef_``.
_TRANSIENT_ATTRIBUTES = frozenset({"_optimizer"})


class ModelFileError(ValueError):
    """A model file that :func:`load_model` refuses to read (or
    :func:`save_model` cannot write): not a model file, truncated,
    modified, from a newer format version, or holding something other than
    plain parameters and numeric or string arrays."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_json(value) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


# -- JSON values, losslessly --------------------------------------------------
# Plain JSON for None, bools, ints, strings, finite floats and lists; a
# {"$type": ...} object for everything else, so dict keys keep their type
# (class_weight={0: 2.0} and {"0": 2.0} differ) and numpy scalars their dtype.


def _encode(value, where: str):
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{where}: numpy {value.dtype} scalars are refused")
        return {
            "$type": "numpy",
            "dtype": value.dtype.str,
            "value": _encode(value.item(), where),
        }
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$type": "float", "value": repr(value)}
    if isinstance(value, list):
        return [_encode(item, where) for item in value]
    if isinstance(value, tuple):
        return {"$type": "tuple", "items": [_encode(item, where) for item in value]}
    if isinstance(value, dict):
        return {
            "$type": "dict",
            "items": [[_encode(k, where), _encode(v, where)] for k, v in value.items()],
        }
    raise TypeError(
        f"{where} is a {type(value).__name__}, which a model file cannot hold "
        "(only None, bools, numbers, strings, lists, tuples, dicts and numeric "
        "or string arrays)"
    )


def _decode(value, where: str):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_decode(item, where) for item in value]
    if not isinstance(value, dict):
        raise ModelFileError(f"{where}: unreadable value {value!r}")
    kind = value.get("$type")
    try:
        if kind == "float" and value["value"] in ("inf", "-inf", "nan"):
            return float(value["value"])
        if kind == "numpy":
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "biuf":
                raise ValueError(dtype)
            return dtype.type(_decode(value["value"], where))
        if kind == "tuple":
            return tuple(_decode(item, where) for item in value["items"])
        if kind == "dict":
            return {_decode(k, where): _decode(v, where) for k, v in value["items"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: malformed {kind!r} value ({exc})") from None
    raise ModelFileError(f"{where}: unknown value type {kind!r}")


# -- arrays -------------------------------------------------------------------


def _plain_array(array: np.ndarray, where: str) -> tuple[np.ndarray, bool]:
    """``(array, was_object)``: object arrays of str (or of numbers) as the
    equivalent str (or numeric) array, checked to convert back exactly."""
    if array.dtype != object:
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields is not None:
            raise TypeError(f"{where}: arrays of dtype {array.dtype} are refused")
        return array, False
    items = array.ravel().tolist()
    plain = np.asarray(items).reshape(array.shape) if items else array.astype(str)
    back = plain.ravel().tolist()
    exact = plain.dtype.kind in _ARRAY_KINDS and all(
        type(a) is type(b) and a == b for a, b in zip(items, back, strict=True)
    )
    if not exact:
        raise TypeError(
            f"{where}: an object array must hold only strings or only numbers "
            "of one type to be stored"
        )
    return plain, True


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _array_member(name: str) -> str:
    return f"{_ARRAY_DIR}/{name}.npy"


# -- saving -------------------------------------------------------------------


def _check_attribute_name(cls: type, name: str) -> None:
    if not _ATTRIBUTE_NAME.fullmatch(name) or hasattr(cls, name):
        raise ModelFileError(
            f"attribute name {name!r} is not a fitted attribute of {cls.__name__}"
        )


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
    never holds a partial model.  See :doc:`/model_files`.

    Parameters
    ----------
    estimator : SoftmaxRegression
        A fitted estimator of a class :func:`load_model` accepts.
    path : str or path-like
        Destination file, conventionally ending in ``.srm``.
    overwrite : bool, default=True
        If False, raise ``FileExistsError`` when ``path`` exists.

    Raises
    ------
    TypeError
        If the estimator's class is not one a model file can hold, or a
        parameter or attribute is of a type the format cannot store (for
        example ``random_state=np.random.RandomState(0)``: set it to an int
        or None first).
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
    cls = type(estimator)
    if _ESTIMATORS.get(cls.__name__) is not cls:
        known = ", ".join(sorted(_ESTIMATORS))
        raise TypeError(
            f"save_model stores only {known} estimators, got {cls.__name__}; "
            "use joblib or skops.io for other objects (see docs/model_files.rst)"
        )
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    members: dict[str, bytes] = {}
    attributes: dict[str, Any] = {}
    for name, value in vars(estimator).items():
        if name in params or name in _TRANSIENT_ATTRIBUTES:
            continue
        _check_attribute_name(cls, name)
        where = f"attribute {name}"
        if isinstance(value, np.ndarray):
            plain, was_object = _plain_array(value, where)
            data = _npy_bytes(plain)
            member = _array_member(name)
            members[member] = data
            attributes[name] = {
                "$type": "ndarray",
                "member": member,
                "dtype": plain.dtype.str,
                "shape": list(plain.shape),
                "object": was_object,
                "sha256": _sha256(data),
            }
        else:
            attributes[name] = _encode(value, where)
    content = {
        "estimator": cls.__name__,
        "params": {k: _encode(v, f"parameter {k}") for k, v in params.items()},
        "attributes": attributes,
        "written_with": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "content": content,
        "content_sha256": _sha256(_canonical_json(content)),
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


#: What zipfile raises on a damaged member: a bad CRC or header, a flipped
#: compression method or "version needed" field, a broken deflate stream.
_CORRUPT_MEMBER = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)


def _read_member(path, archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    try:
        with archive.open(name) as member:
            return member.read(size + 1)
    except _CORRUPT_MEMBER as exc:
        raise ModelFileError(f"{path}: member {name} is corrupted ({exc})") from None


def _read_metadata(path, archive: zipfile.ZipFile) -> dict:
    info = archive.getinfo(_METADATA)
    if info.file_size > _MAX_METADATA_BYTES:
        raise ModelFileError(f"{path}: {_METADATA} is implausibly large")
    raw = _read_member(path, archive, _METADATA, _MAX_METADATA_BYTES)
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


def _check_version(path, metadata: dict) -> None:
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


def _checked_content(path, metadata: dict) -> dict:
    content = metadata.get("content")
    if not isinstance(content, dict) or not isinstance(
        metadata.get("content_sha256"), str
    ):
        raise ModelFileError(f"{path}: metadata lacks its content or checksum")
    try:
        digest = _sha256(_canonical_json(content))
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


def _array_spec(path, name: str, spec: dict) -> tuple[str, np.dtype, tuple, str]:
    try:
        member, dtype, shape, digest = (
            spec["member"],
            np.dtype(spec["dtype"]),
            tuple(spec["shape"]),
            spec["sha256"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: malformed array entry {name} ({exc})") from None
    if dtype.kind == "O":
        raise ModelFileError(f"{path}: array {name} has object dtype; refused")
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
        raise ModelFileError(f"{path}: array {name} has refused dtype {dtype}")
    if member != _array_member(name):
        raise ModelFileError(f"{path}: array {name} names member {member!r}")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ModelFileError(f"{path}: array {name} has invalid shape {shape}")
    return member, dtype, shape, digest


def _read_array(path, archive: zipfile.ZipFile, name: str, spec: dict) -> np.ndarray:
    member, dtype, shape, digest = _array_spec(path, name, spec)
    n_bytes = math.prod(shape) * dtype.itemsize
    size = archive.getinfo(member).file_size
    if not n_bytes <= size <= n_bytes + _MAX_NPY_HEADER_BYTES:
        raise ModelFileError(
            f"{path}: member {member} holds {size} bytes, but an array of shape "
            f"{shape} and dtype {dtype} needs {n_bytes} plus a header"
        )
    data = _read_member(path, archive, member, size)
    if _sha256(data) != digest:
        raise ModelFileError(
            f"{path}: checksum mismatch in {member} (the file was modified or "
            "corrupted)"
        )
    try:
        array = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise ModelFileError(f"{path}: member {member} refused ({exc})") from None
    if array.dtype != dtype or array.shape != shape:
        raise ModelFileError(
            f"{path}: member {member} holds dtype {array.dtype} shape "
            f"{array.shape}, the metadata declares {dtype} {shape}"
        )
    if spec.get("object"):
        array = np.array(array.tolist(), dtype=object).reshape(shape)
    return array


def _read_attributes(path, archive: zipfile.ZipFile, cls: type, content: dict):
    attributes = content.get("attributes")
    if not isinstance(attributes, dict):
        raise ModelFileError(f"{path}: metadata lacks the fitted attributes")
    specs = {
        name: value
        for name, value in attributes.items()
        if isinstance(value, dict) and value.get("$type") == "ndarray"
    }
    expected = {_METADATA} | {_array_member(name) for name in specs}
    present = set(archive.namelist())
    if present != expected:
        extra, missing = sorted(present - expected), sorted(expected - present)
        raise ModelFileError(
            f"{path}: unexpected members {extra} / missing members {missing}"
        )
    values = {}
    for name, value in attributes.items():
        _check_attribute_name(cls, name)
        values[name] = (
            _read_array(path, archive, name, value)
            if name in specs
            else _decode(value, f"{path}: attribute {name}")
        )
    return values


def _set_params(path, estimator, content: dict) -> None:
    params = content.get("params")
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: metadata lacks the parameters")
    known = estimator.get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        warnings.warn(
            f"{path} sets parameters this softmax_regression "
            f"{__version__} does not know: {', '.join(unknown)} (written "
            "by a newer version?). They are ignored: the model predicts as "
            "saved, but a refit would use this version's behaviour.",
            UserWarning,
            stacklevel=3,
        )
    estimator.set_params(
        **{
            name: _decode(value, f"{path}: parameter {name}")
            for name, value in params.items()
            if name in known
        }
    )


def load_model(path):
    """Load an estimator written by :func:`save_model`.

    Reading never unpickles, never imports and never executes anything the
    file names: the estimator class must be in an allow-list
    (``SoftmaxRegression``), arrays are read with ``allow_pickle=False``
    after their declared size, dtype and SHA-256 are checked.  The loaded
    estimator equals the saved one bit for bit (``coef_``,
    ``intercept_``, ``classes_`` and every prediction).

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
    estimator : SoftmaxRegression
        The fitted estimator.

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
        _check_version(path, metadata)
        content = _checked_content(path, metadata)
        cls = _estimator_class(path, content)
        attributes = _read_attributes(path, archive, cls, content)
    estimator = cls()
    _set_params(path, estimator, content)
    for name, value in attributes.items():
        setattr(estimator, name, value)
    return estimator
