"""The state of one estimator or transformer inside a model file.

:mod:`._model_io` owns the file (the zip archive, its metadata, versions
and allow-lists); this module owns what it stores of each object: its
parameters and scalar attributes as JSON that loses nothing
(:func:`encode_value`, :func:`decode_value`), its array attributes as
``.npy`` members with their dtype, shape and SHA-256
(:func:`encode_state`), and reading them back with every check
(:func:`read_state`).  Nothing here unpickles, imports or executes what a
file names.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import math
import re
import zipfile
import zlib
from typing import Any

import numpy as np
import scipy.sparse as sp

ARRAY_DIR = "arrays"
# np.lib.format refuses headers over 10,000 bytes; the preamble adds 12.
_MAX_NPY_HEADER_BYTES = 10_000 + 16
_ARRAY_KINDS = "biufcU"
# Fitted attributes ("coef_") and private state ("_solver"), never dunders.
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_|_[A-Za-z][A-Za-z0-9_]*")


class ModelFileError(ValueError):
    """A model file that :func:`load_model` refuses to read (or
    :func:`save_model` cannot write): not a model file, truncated,
    modified, from a newer format version, or holding something other than
    plain parameters and numeric or string arrays."""


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data``, in hexadecimal.

    Parameters
    ----------
    data : bytes
        What to hash.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: keys sorted, no spaces, ASCII.

    Parameters
    ----------
    value : object
        A JSON value (finite floats only).

    Returns
    -------
    bytes
        Its canonical serialisation, the input of the metadata checksum.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


# -- JSON values, losslessly --------------------------------------------------
# Plain JSON for None, bools, ints, strings, finite floats and lists; a
# {"$type": ...} object for everything else, so dict keys keep their type
# (class_weight={0: 2.0} and {"0": 2.0} differ) and numpy scalars their dtype.


def encode_value(value: Any, where: str) -> Any:
    """A parameter or scalar attribute as JSON that decodes to an equal value.

    Parameters
    ----------
    value : object
        None, a bool, number, string, list, tuple, dict, NumPy number or
        numeric NumPy array (a parameter such as ``penalty_factor``).
    where : str
        What ``value`` is, for the message of a refusal.

    Returns
    -------
    object
        Plain JSON, or a ``{"$type": ...}`` object for what JSON would lose.

    Raises
    ------
    TypeError
        For any other type.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{where}: numpy {value.dtype} scalars are refused")
        return {
            "$type": "numpy",
            "dtype": value.dtype.str,
            "value": encode_value(value.item(), where),
        }
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {
            "$type": "array",
            "dtype": value.dtype.str,
            "shape": list(value.shape),
            "values": [encode_value(item, where) for item in value.ravel().tolist()],
        }
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$type": "float", "value": repr(value)}
    if isinstance(value, list):
        return [encode_value(item, where) for item in value]
    if isinstance(value, tuple):
        return {
            "$type": "tuple",
            "items": [encode_value(item, where) for item in value],
        }
    if isinstance(value, dict):
        return {
            "$type": "dict",
            "items": [
                [encode_value(k, where), encode_value(v, where)]
                for k, v in value.items()
            ],
        }
    raise TypeError(
        f"{where} is a {type(value).__name__}, which a model file cannot hold "
        "(only None, bools, numbers, strings, lists, tuples, dicts and numeric "
        "or string arrays)"
    )


def decode_value(value: Any, where: str) -> Any:
    """The value :func:`encode_value` encoded.

    Parameters
    ----------
    value : object
        JSON as read from a model file.
    where : str
        The file and what ``value`` is, for the message of a refusal.

    Returns
    -------
    object
        The decoded value.

    Raises
    ------
    ModelFileError
        For an unknown or malformed ``{"$type": ...}`` object.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [decode_value(item, where) for item in value]
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
            return dtype.type(decode_value(value["value"], where))
        if kind == "array":
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "biuf":
                raise ValueError(dtype)
            items = [decode_value(item, where) for item in value["values"]]
            return np.array(items, dtype=dtype).reshape(value["shape"])
        if kind == "tuple":
            return tuple(decode_value(item, where) for item in value["items"])
        if kind == "dict":
            return {
                decode_value(k, where): decode_value(v, where)
                for k, v in value["items"]
            }
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


def array_member(name: str, folder: str = ARRAY_DIR) -> str:
    """The archive member holding array attribute ``name``.

    Parameters
    ----------
    name : str
        The attribute, e.g. ``"coef_"``.
    folder : str, default="arrays"
        The folder of the object's arrays.

    Returns
    -------
    str
        E.g. ``"arrays/coef_.npy"``.
    """
    return f"{folder}/{name}.npy"


def check_attribute_name(cls: type, name: str) -> None:
    """Refuse a name that is not a fitted attribute (``name_``, ``_name``)
    or that names a method or property of ``cls``.

    Parameters
    ----------
    cls : type
        The class whose instance gets the attribute.
    name : str
        The attribute's name.

    Raises
    ------
    ModelFileError
        When the name is refused.
    """
    if not _ATTRIBUTE_NAME.fullmatch(name) or hasattr(cls, name):
        raise ModelFileError(
            f"attribute name {name!r} is not a fitted attribute of {cls.__name__}"
        )


def encode_state(
    obj: object, skip: set[str] | frozenset[str], folder: str = ARRAY_DIR
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The fitted attributes of ``obj``: JSON entries and ``.npy`` members.

    Parameters
    ----------
    obj : object
        A fitted estimator or transformer.
    skip : set of str
        Names in ``vars(obj)`` not to store (its parameters, working state).
    folder : str, default="arrays"
        The archive folder of its arrays.

    Returns
    -------
    attributes : dict
        Name to JSON value, or to an ``{"$type": "ndarray", ...}`` entry
        naming the member, dtype, shape and SHA-256 of an array (a sparse
        ``coef_`` is stored dense, with ``"sparse": "csr"``).
    members : dict of str to bytes
        Member name to ``.npy`` bytes.

    Raises
    ------
    TypeError
        When an attribute is of a type a model file cannot hold.
    """
    cls = type(obj)
    members: dict[str, bytes] = {}
    attributes: dict[str, Any] = {}
    for name, value in vars(obj).items():
        if name in skip:
            continue
        check_attribute_name(cls, name)
        where = f"attribute {name}"
        sparse = sp.issparse(value) and value.format == "csr"
        if sparse:  # after sparsify(): stored dense, read back as CSR
            value = value.toarray()
        if isinstance(value, np.ndarray):
            plain, was_object = _plain_array(value, where)
            data = _npy_bytes(plain)
            member = array_member(name, folder)
            members[member] = data
            attributes[name] = {
                "$type": "ndarray",
                "member": member,
                "dtype": plain.dtype.str,
                "shape": list(plain.shape),
                "object": was_object,
                "sha256": sha256(data),
            }
            if sparse:
                attributes[name]["sparse"] = "csr"
        else:
            attributes[name] = encode_value(value, where)
    return attributes, members


# -- reading ------------------------------------------------------------------

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


def read_member(path, archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    """At most ``size + 1`` bytes of member ``name`` (one more than it
    should hold, so that a longer member shows).

    Parameters
    ----------
    path : str or path-like
        The model file, for messages.
    archive : zipfile.ZipFile
        It, open.
    name : str
        The member.
    size : int
        The bytes it should hold.

    Returns
    -------
    bytes
        Its bytes.

    Raises
    ------
    ModelFileError
        When the member is corrupted.
    """
    try:
        with archive.open(name) as member:
            return member.read(size + 1)
    except _CORRUPT_MEMBER as exc:
        raise ModelFileError(f"{path}: member {name} is corrupted ({exc})") from None


def _array_spec(
    path, name: str, spec: dict, folder: str
) -> tuple[str, np.dtype, tuple, str]:
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
    if member != array_member(name, folder):
        raise ModelFileError(f"{path}: array {name} names member {member!r}")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ModelFileError(f"{path}: array {name} has invalid shape {shape}")
    return member, dtype, shape, digest


def _read_array(
    path, archive: zipfile.ZipFile, name: str, spec: dict, folder: str
) -> np.ndarray:
    member, dtype, shape, digest = _array_spec(path, name, spec, folder)
    n_bytes = math.prod(shape) * dtype.itemsize
    size = archive.getinfo(member).file_size
    if not n_bytes <= size <= n_bytes + _MAX_NPY_HEADER_BYTES:
        raise ModelFileError(
            f"{path}: member {member} holds {size} bytes, but an array of shape "
            f"{shape} and dtype {dtype} needs {n_bytes} plus a header"
        )
    data = read_member(path, archive, member, size)
    if sha256(data) != digest:
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
    if spec.get("sparse") == "csr" and array.ndim == 2:
        return sp.csr_matrix(array)
    return array


def declared_arrays(attributes: dict) -> dict[str, dict]:
    """The array entries among an object's stored attributes.

    Parameters
    ----------
    attributes : dict
        The ``attributes`` of an object in the metadata.

    Returns
    -------
    dict
        Name to ``{"$type": "ndarray", ...}`` entry.
    """
    return {
        name: value
        for name, value in attributes.items()
        if isinstance(value, dict) and value.get("$type") == "ndarray"
    }


def read_state(
    path, archive: zipfile.ZipFile, cls: type, attributes: dict, folder: str
) -> dict[str, Any]:
    """The attributes :func:`encode_state` stored, read and checked.

    Parameters
    ----------
    path : str or path-like
        The model file, for messages.
    archive : zipfile.ZipFile
        It, open; its member names already checked.
    cls : type
        The (allow-listed) class the attributes belong to.
    attributes : dict
        The object's ``attributes`` entry of the metadata.
    folder : str
        The archive folder of its arrays.

    Returns
    -------
    dict
        Attribute name to value, arrays read with ``allow_pickle=False``
        after their size, dtype, shape and SHA-256 are checked.
    """
    arrays = declared_arrays(attributes)
    values = {}
    for name, value in attributes.items():
        check_attribute_name(cls, name)
        values[name] = (
            _read_array(path, archive, name, value, folder)
            if name in arrays
            else decode_value(value, f"{path}: attribute {name}")
        )
    return values


def needs_arrays(content: dict) -> bool:
    """Whether stored ``content`` uses what format version 3 added: an
    array-valued parameter or a sparse attribute."""

    def has_array(value: Any) -> bool:
        if isinstance(value, dict):
            if value.get("$type") == "array" or value.get("sparse"):
                return True
            return any(has_array(item) for item in value.values())
        if isinstance(value, list):
            return any(has_array(item) for item in value)
        return False

    return has_array(content.get("params")) or has_array(content.get("attributes"))
