"""File writing shared by results, experience pools and checkpoints."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["atomic_write", "atomic_write_text", "write_table", "toml_value", "writable_folder",
           "json_default", "check_saved_settings"]


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


def write_table(table, stem: str | os.PathLike, meta: dict, csv_header: dict | None = None, *,
                csv_lines: Sequence[str] = (), csv: bool = True,
                parquet_metadata: dict[str, str] | None = None) -> list[Path]:
    """Write ``table`` (a pandas DataFrame) as ``stem.parquet`` and ``stem.csv``, atomically.

    The Parquet file carries ``meta`` as JSON under the schema metadata key ``genoff`` (and
    each entry of ``parquet_metadata``, a text, under its own key); the CSV starts with
    ``# genoff <version>``, then ``# <line>`` for each of ``csv_lines`` and one
    ``# <key> <json>`` line per entry of ``csv_header`` (read it back with
    ``pandas.read_csv(path, comment="#")``). ``csv=False`` writes the Parquet file only.
    Returns ``[csv_path, parquet_path]`` (``[parquet_path]`` without the CSV).
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    meta_json = json.dumps(meta, sort_keys=True, default=json_default)
    extra = {k.encode(): v.encode() for k, v in (parquet_metadata or {}).items()}

    def parquet(tmp: str) -> None:
        t = pa.Table.from_pandas(table, preserve_index=False)
        pq.write_table(t.replace_schema_metadata({**(t.schema.metadata or {}),
                                                  b"genoff": meta_json.encode(), **extra}), tmp)

    def write_csv(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"# genoff {meta.get('genoff_version', '')}\n")
            for line in csv_lines:
                f.write(f"# {line}\n")
            for key, value in (csv_header or {}).items():
                f.write(f"# {key} {json.dumps(value, sort_keys=True, default=json_default)}\n")
            table.to_csv(f, index=False)

    stem = Path(stem)
    pq_path, csv_path = stem.with_suffix(".parquet"), stem.with_suffix(".csv")
    atomic_write(pq_path, parquet)
    if not csv:
        return [pq_path]
    atomic_write(csv_path, write_csv)
    return [csv_path, pq_path]


def json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, (np.ndarray, tuple)):
        return list(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def toml_value(text: str):
    """A value as TOML reads it (numbers, booleans, quoted strings, arrays); a bare word is
    returned as the string itself (so ``--set llm.edge=gemma-7b`` needs no quotes)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


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


def check_saved_settings(out: str | os.PathLike, file_name: str, settings: dict, force: bool, *,
                         what: str, kept: str) -> None:
    """Refuse to mix results of other settings into the folder ``out``.

    ``out/file_name`` (JSON with a ``"settings"`` entry) records the settings of the results
    in ``out``; unless ``force``, ``ValueError`` when it does not read or its settings differ
    from ``settings``. ``what`` names the kind of results ("a comparison"), ``kept`` says
    what ``--force`` overwrites and what it keeps.
    """
    import json

    out = Path(out)
    f = out / file_name
    if not f.is_file() or force:
        return
    try:
        saved = json.loads(f.read_text(encoding="utf-8"))["settings"]
    except (ValueError, KeyError, OSError, TypeError):
        raise ValueError(f"{f} exists but does not read as {what}; choose another --out "
                         "or pass force=True (--force)") from None
    if saved != settings:
        raise ValueError(f"{out} holds {what} with other settings ({f}); rerun with the same "
                         "settings to resume it, choose another --out, or pass force=True "
                         f"(--force) to {kept}")
