"""Reading scenarios: the built-ins shipped in ``genoff/scenarios/`` and TOML files."""

from __future__ import annotations

import copy
import functools
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from genoff.world.scenario.scenario import Scenario

__all__ = ["load_scenario", "list_scenarios"]

_BUILTIN_DIR = "scenarios"


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios (``["3gpp-57", "paper"]``)."""
    root = resources.files("genoff") / _BUILTIN_DIR
    return sorted(p.name[: -len(".toml")] for p in root.iterdir() if p.name.endswith(".toml"))


@functools.cache
def _builtin_names() -> frozenset[str]:
    return frozenset(list_scenarios())


@functools.cache
def _builtin_data(name: str) -> dict[str, Any]:
    # Parsed once per process (sweeps load a scenario for every run); callers get a copy.
    res = resources.files("genoff") / _BUILTIN_DIR / f"{name}.toml"
    return _read_toml(res.read_text(encoding="utf-8"), f"built-in scenario {name}")


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (ValueError, RecursionError) as e:
        # TOMLDecodeError is a ValueError, and so is int()'s digit limit for a huge integer
        # literal; arrays nested thousands deep exhaust the parser's recursion.
        what = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise ValueError(f"{where}: invalid TOML: {what}") from None


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load a built-in scenario by name (``"paper"``, ``"3gpp-57"``) or a TOML file.

    Fields the file leaves out take the paper's defaults; a file without ``name``
    is named after its stem. Raises ``ValueError`` for an unknown name or a missing file,
    invalid TOML, unknown fields and bad values (naming the dotted field), ``TypeError``
    for values of the wrong type.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"name_or_path must be a scenario name or a path, got {type(name_or_path).__name__}"
        )
    if isinstance(name_or_path, str) and name_or_path in _builtin_names():
        data = copy.deepcopy(_builtin_data(name_or_path))
        data.setdefault("name", name_or_path)
        return _from_file_data(data, f"built-in scenario {name_or_path!r}")
    path = Path(name_or_path)
    if path.is_dir():
        raise ValueError(
            f"scenario {str(name_or_path)!r}: {path} is a directory, not a scenario TOML file"
        )
    if not path.is_file():
        raise ValueError(
            f"unknown scenario {str(name_or_path)!r}: not a built-in "
            f"({', '.join(list_scenarios())}) and no such file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: not UTF-8 text ({e.reason})") from None
    data = _read_toml(text, str(path))
    data.setdefault("name", path.stem)
    return _from_file_data(data, str(path))


def _from_file_data(data: dict[str, Any], where: str) -> Scenario:
    # The message keeps the dotted field first (callers match on it); the file follows.
    try:
        return Scenario.from_dict(data)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{e} (in {where})") from None
