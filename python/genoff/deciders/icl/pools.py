"""Experience pools (paper Sec. III-B): where the examples of a prompt come from.

:class:`PrioritizedPool` keeps one example per keyword tuple with the paper's two rules
(prioritized replay); :class:`LatestPool` keeps the last N experiences (baseline 1).
Decisions that violate the quality constraint (4e) are Bad decisions (Step 3). Pools save
to and load from JSON, atomically (never pickle): :meth:`save`, :func:`load_pool`.
"""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path
from typing import Mapping, Sequence

from genoff._util import validate
from genoff._util.io import atomic_write_text
from genoff.deciders.icl.prompt import DECISIONS, Experience

__all__ = ["PrioritizedPool", "LatestPool", "POOL_KINDS", "as_pool", "pool_from_dict",
           "load_pool"]


class _Pool:
    kind = "pool"

    def add(self, keywords: Sequence[str], decision: str, reward: float,
            violated: bool) -> Experience:
        raise NotImplementedError

    def examples(self) -> list[Experience]:
        raise NotImplementedError

    def _check(self, keywords, decision, reward) -> tuple[tuple[str, ...], str, float]:
        decision = validate.choice("decision", decision, DECISIONS)
        return tuple(str(k) for k in keywords), decision, validate.real("reward", reward)

    def save(self, path: str | os.PathLike) -> None:
        """Write the pool as JSON, atomically (a crash never leaves half a file)."""
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=1) + "\n")

    def __len__(self) -> int:
        return len(self.examples())


class PrioritizedPool(_Pool):
    """One example per keyword tuple, with the paper's prioritized-replay rules (Sec. III-B).

    1. A new keyword tuple is kept (a Good decision, unless it violated (4e)).
    2. For a known tuple the higher reward stays: a newcomer with a higher reward replaces
       the example (Good unless it violated); otherwise it is a Bad decision and the pool is
       unchanged.

    Examples are listed in keyword order, so prompts are deterministic.
    """

    kind = "prioritized"

    def __init__(self) -> None:
        self._by_keywords: dict[tuple[str, ...], Experience] = {}

    def add(self, keywords, decision, reward, violated=False) -> Experience:
        kw, decision, reward = self._check(keywords, decision, reward)
        old = self._by_keywords.get(kw)
        if old is None or reward > old.reward:
            e = Experience(kw, decision, reward, good=not violated, violated=bool(violated))
            self._by_keywords[kw] = e
            return e
        return Experience(kw, decision, reward, good=False, violated=bool(violated))

    def examples(self) -> list[Experience]:
        return [self._by_keywords[k] for k in sorted(self._by_keywords)]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "examples": [e.to_dict() for e in self.examples()]}

    @classmethod
    def from_dict(cls, d: dict) -> "PrioritizedPool":
        """The pool of ``d`` (as :meth:`to_dict` writes it); ``ValueError`` naming the field."""
        _check_pool_dict(d, cls.kind, ("kind", "examples"))
        pool = cls()
        for i, e in enumerate(d.get("examples", [])):
            ex = Experience.from_dict(e, f"examples[{i}]")
            if ex.keywords in pool._by_keywords:
                raise ValueError(
                    f"examples[{i}] repeats the keywords {list(ex.keywords)} (a prioritized "
                    "pool keeps one example per keyword tuple)")
            pool._by_keywords[ex.keywords] = ex
        return pool


class LatestPool(_Pool):
    """The last ``capacity`` experiences, oldest first (the paper's baseline 1)."""

    kind = "latest"

    def __init__(self, capacity: int = 20) -> None:
        self.capacity = validate.integer("capacity", capacity, ge=1, type_error=ValueError)
        self._items: deque[Experience] = deque(maxlen=self.capacity)

    def add(self, keywords, decision, reward, violated=False) -> Experience:
        kw, decision, reward = self._check(keywords, decision, reward)
        e = Experience(kw, decision, reward, good=not violated, violated=bool(violated))
        self._items.append(e)
        return e

    def examples(self) -> list[Experience]:
        return list(self._items)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "capacity": self.capacity,
            "examples": [e.to_dict() for e in self._items],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "LatestPool":
        """The pool of ``d`` (as :meth:`to_dict` writes it); ``ValueError`` naming the field."""
        _check_pool_dict(d, cls.kind, ("kind", "capacity", "examples"))
        cap = validate.integer("capacity", d.get("capacity", 20), ge=1, le=_MAX_CAPACITY,
                               type_error=ValueError)
        examples = d.get("examples", [])
        if len(examples) > cap:
            raise ValueError(f"examples: {len(examples)} experiences exceed the capacity {cap}")
        pool = cls(cap)
        for i, e in enumerate(examples):
            pool._items.append(Experience.from_dict(e, f"examples[{i}]"))
        return pool


#: Largest capacity of a loaded latest pool (the pool is a prompt's examples).
_MAX_CAPACITY = 1_000_000


def _check_pool_dict(d: object, kind: str, fields: tuple[str, ...]) -> None:
    if not isinstance(d, Mapping):
        raise ValueError(f"a pool must be an object, got {type(d).__name__}")
    if d.get("kind", kind) != kind:
        raise ValueError(f"kind must be {kind!r}, got {d.get('kind')!r:.100}")
    unknown = sorted(str(k) for k in d if k not in fields)
    if unknown:
        raise ValueError(f"unknown fields {unknown} (a {kind} pool has {', '.join(fields)})")
    if not isinstance(d.get("examples", []), list):
        raise ValueError(f"examples must be a list, got {type(d['examples']).__name__}")


#: The pool kinds by the name their files and ``ICLDecider(pool=...)`` use.
POOL_KINDS: dict[str, type[PrioritizedPool] | type[LatestPool]] = {
    "prioritized": PrioritizedPool,
    "latest": LatestPool,
}


def as_pool(pool: str | PrioritizedPool | LatestPool) -> PrioritizedPool | LatestPool:
    """``pool`` itself, or a new empty pool of the kind it names."""
    if isinstance(pool, str):
        if pool not in POOL_KINDS:
            raise ValueError(f"pool must be 'prioritized', 'latest' or a pool object, got {pool!r}")
        return POOL_KINDS[pool]()
    if not isinstance(pool, (PrioritizedPool, LatestPool)):
        raise TypeError("pool must be 'prioritized', 'latest' or a pool object")
    return pool


def pool_from_dict(data: object) -> PrioritizedPool | LatestPool:
    """The pool of ``data`` (as a pool's ``to_dict`` writes it, its kind included);
    ``ValueError`` naming the field."""
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str) or (
            data["kind"] not in POOL_KINDS):
        raise ValueError(f"kind must be one of {sorted(POOL_KINDS)}")
    return POOL_KINDS[data["kind"]].from_dict(data)


def load_pool(path: str | os.PathLike) -> PrioritizedPool | LatestPool:
    """Read a pool saved with ``save`` (the kind is stored in the file).

    Raises ValueError naming the file (and the field) when it is not valid JSON or not a
    genoff pool, FileNotFoundError when it does not exist.
    """
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if Path(path).is_dir():
        raise ValueError(f"{path} is a folder, not a genoff experience pool file")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors, and so is int()'s digit
        # limit for a huge integer literal; arrays nested thousands deep exhaust recursion.
        what = "nested too deeply" if isinstance(e, RecursionError) else e
        raise ValueError(f"{path} is not a genoff experience pool (bad JSON: {what})") from None
    try:
        return pool_from_dict(data)
    except (ValueError, OverflowError) as e:
        raise ValueError(f"{path} is not a genoff experience pool ({e})") from None
