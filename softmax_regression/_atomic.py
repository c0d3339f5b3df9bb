"""Write a file all at once: a temporary file beside it, then a rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be
    opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish(tmp: str, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        # A hard link fails atomically if ``path`` appeared meanwhile.
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:
        if path.exists():
            raise FileExistsError(f"{path} exists") from None
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_write(path, *, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Open a binary file that appears under ``path`` only once complete.

    The data goes to a temporary file in the same directory, which is
    flushed, fsynced and renamed onto ``path`` when the ``with`` block ends
    without an exception; on any exception (``KeyboardInterrupt`` too) the
    temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The final file name.
    overwrite : bool, default=True
        If False, raise ``FileExistsError`` when ``path`` exists (checked
        before writing and again, atomically where the file system allows,
        when publishing).

    Yields
    ------
    file
        The temporary file, opened for binary writing.
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists")
    directory = path.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            os.chmod(tmp, 0o666 & ~_current_umask())
            yield file
            file.flush()
            os.fsync(file.fileno())
        _publish(tmp, path, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
