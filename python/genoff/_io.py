"""File writing shared by results, experience pools and checkpoints."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "atomic_write_text", "writable_folder"]


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Write ``path`` through ``write(tmp)`` on a temporary file in the same folder, then
    rename it over ``path``: a crash never leaves half a file, and the previous file stays
    intact if writing fails. The file gets the usual permissions (0666 less the umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from the group
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write` of a UTF-8 text."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def writable_folder(path: str | os.PathLike, what: str = "out") -> Path:
    """Create folder ``path`` (and its parents) if needed and check that files can be written
    into it, before any work is done: ``ValueError`` naming ``what`` when it is a file, cannot
    be created or is not writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{what} must be a folder, but {path} is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"{what}: cannot create the folder {path} ({e.strerror or e})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".genoff-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ValueError(f"{what}: cannot write into {path} ({e.strerror or e})") from None
    return path
