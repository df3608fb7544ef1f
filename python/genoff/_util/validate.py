"""The one set of argument checks used across genoff.

Each check returns the coerced value or raises naming the argument: ``TypeError`` for a
wrong type (pass ``type_error=ValueError`` where a wrong type is bad *content*, e.g. a
field of a file being read), ``ValueError`` for a value out of range. Booleans are never
numbers; integers are accepted where a real is expected, never the reverse; NumPy scalars
count as their Python kinds.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

__all__ = [
    "is_int", "integer", "real", "real_array", "boolean", "string", "choice", "index", "fmt",
]


_MAX_SHOWN = 60


def fmt(value: Any) -> str:
    """A value as an error message shows it: one line, strings quoted, at most 60
    characters (a long value is cut with "...")."""
    text = str(value) if isinstance(value, numbers.Number) else repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def is_int(value: Any) -> bool:
    """True for an integer (Python or NumPy), False for ``bool`` and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(name: str, value: Any, *, ge: int | None = None, le: int | None = None,
            choices: Sequence[int] | None = None,
            type_error: type[Exception] = TypeError) -> int:
    """``value`` as an ``int``; ``ge``/``le`` are inclusive bounds."""
    if not is_int(value):
        raise type_error(f"{name} must be an integer, got {type(value).__name__} {fmt(value)}")
    v = int(value)
    if choices is not None and v not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}, got {v}")
    if ge is not None and v < ge:
        raise ValueError(f"{name} must be >= {ge}, got {v}")
    if le is not None and v > le:
        raise ValueError(f"{name} must be <= {le}, got {v}")
    return v


def index(name: str, value: Any, *, ge: int = 0) -> int:
    """A count for the compiled core: anything with ``__index__`` (``operator.index``)."""
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if v < ge:
        raise ValueError(f"{name} must be >= {ge}, got {v}")
    return v


def real(name: str, value: Any, *, gt: float | None = None, ge: float | None = None,
         lt: float | None = None, le: float | None = None, finite: bool = True,
         type_error: type[Exception] = TypeError) -> float:
    """``value`` as a ``float``; ``finite=False`` lets inf and NaN through (the bounds
    still apply)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise type_error(f"{name} must be a number, got {type(value).__name__} {fmt(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float: {value!r}") from None
    if finite and not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if gt is not None and not v > gt:
        raise ValueError(f"{name} must be > {gt:g}, got {v:g}")
    if ge is not None and not v >= ge:
        raise ValueError(f"{name} must be >= {ge:g}, got {v:g}")
    if lt is not None and not v < lt:
        raise ValueError(f"{name} must be < {lt:g}, got {v:g}")
    if le is not None and not v <= le:
        raise ValueError(f"{name} must be <= {le:g}, got {v:g}")
    return v


def real_array(name: str, value: Any, *, gt: float | None = None,
               ge: float | None = None) -> Any:
    """``value`` as a float64 NumPy array (any shape) whose entries are all finite; ``gt``/
    ``ge`` bound every entry (the message shows the smallest)."""
    import numpy as np

    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {type(value).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if gt is not None and not np.all(arr > gt):
        raise ValueError(f"{name} must be > {gt:g}, got min {arr.min():g}")
    if ge is not None and not np.all(arr >= ge):
        raise ValueError(f"{name} must be >= {ge:g}, got min {arr.min():g}")
    return arr


def boolean(name: str, value: Any, *, type_error: type[Exception] = TypeError) -> bool:
    """``value`` if it is a ``bool`` (NumPy's included)."""
    if not isinstance(value, (bool, _np_bool())):
        raise type_error(f"{name} must be true or false, got {type(value).__name__} {fmt(value)}")
    return bool(value)


def string(name: str, value: Any, *, nonempty: bool = False,
           type_error: type[Exception] = TypeError) -> str:
    """``value`` if it is a ``str``; ``nonempty=True`` also refuses one that is empty or
    only white space (``ValueError``)."""
    if not isinstance(value, str):
        raise type_error(f"{name} must be a string, got {type(value).__name__} {fmt(value)}")
    if nonempty and not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value


def choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` if it is one of the strings ``choices``."""
    string(name, value)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _np_bool() -> type:
    import numpy as np

    return np.bool_
