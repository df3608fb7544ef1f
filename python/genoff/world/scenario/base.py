"""What every scenario section shares: construction from a TOML table, plain-data output,
and the scenario's own field checks (on top of :mod:`genoff._util.validate`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from genoff._util import validate

__all__ = ["Section", "shown_key", "sequence", "word"]


def shown_key(key: Any) -> str:
    """A key as an error message shows it: plain when printable, else its repr (one line)."""
    text = str(key)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def sequence(path: str, value: Any) -> tuple:
    """``value`` (a list or tuple, not a string) as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{path} must be a list, got {type(value).__name__} {validate.fmt(value)}")
    return tuple(value)


def word(path: str, value: Any) -> str:
    """A size-level name: it becomes an ICL prompt keyword, so letters, digits and '-'."""
    text = validate.string(path, value, nonempty=True)
    if not text.replace("-", "").isalnum():
        raise ValueError(f"{path} must be a word of letters, digits and '-', got {text!r}")
    return text


class Section:
    """Shared machinery of the section dataclasses: coercion, from_dict, to_dict.

    A section names itself in ``_SECTION`` (the TOML table); its ``__post_init__`` checks
    every field through :meth:`_path` (``"<section>.<field>"``) and stores the coerced
    value with :meth:`_set` (the dataclasses are frozen).
    """

    _SECTION = ""

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _path(self, name: str) -> str:
        return f"{self._SECTION}.{name}"

    @classmethod
    def from_dict(cls, data: Any):
        """Build the section from a mapping of field -> value (a TOML table)."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls._SECTION} must be a table, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for key in data:
            if key not in known:
                raise ValueError(f"unknown field {shown_key(f'{cls._SECTION}.{key}')}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The section as plain data (lists for tuples), TOML- and JSON-serializable."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, Mapping):
                v = dict(v)
            out[f.name] = v
        return out
