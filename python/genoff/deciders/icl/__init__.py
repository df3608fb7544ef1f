"""In-context learning for offloading (paper Sec. III): prompts, experience pools, decider.

* :class:`PromptBuilder` writes the prompt of eq. (5): the task description D (goal,
  definition, rules; eq. 7), examples E (keywords, decision, reward, evaluation; eq. 9) and
  the query x (eq. 8). The text is deterministic. Keywords are drawn from a fixed vocabulary
  (service-type and size-level names, "normal"/"high" quality), so no request field can
  carry text into the prompt.
* :class:`PrioritizedPool` keeps one example per keyword tuple with the paper's two rules
  (Sec. III-B); :class:`LatestPool` keeps the last N experiences (baseline 1). Decisions that
  violate the quality constraint (4e) are Bad decisions (Step 3). Pools save to and load from
  JSON, atomically (never pickle).
* :class:`ICLDecider` decides a step's requests in one batch against the pool as it stood
  at the step's start: epsilon-greedy exploration, then argmax over the candidates'
  log-probabilities (eq. 6), scored on a shared prefix; optional content-free calibration
  (Zhao et al. 2021); a generate-and-parse mode for backends without log-probs.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from genoff._util.io import atomic_write_text
from genoff.deciders.base import Decider
from genoff.llm.base import Backend, BackendError
from genoff.world.services import SERVICE_TYPES
from genoff.world.tasks import Requests

if TYPE_CHECKING:
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = [
    "KEYWORD_FIELDS",
    "Experience",
    "PromptBuilder",
    "PrioritizedPool",
    "LatestPool",
    "load_pool",
    "ICLDecider",
]

#: Keyword fields a prompt can use, and how each is named in the prompt.
KEYWORD_FIELDS = {
    "service": "service type",
    "size_level": "estimated output token size",
    "quality_requirement": "quality requirement",
}
DECISIONS = ("local", "offload")
_SERVICE_WORDS = {s: s.replace("_", " ") for s in SERVICE_TYPES}


@dataclass(frozen=True)
class Experience:
    """One example of eq. (9): keywords, decision, reward and its evaluation."""

    keywords: tuple[str, ...]
    decision: str
    reward: float
    good: bool
    violated: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["keywords"] = list(self.keywords)
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "experience") -> "Experience":
        """The experience of ``d`` (as :meth:`to_dict` writes it); ``ValueError`` naming
        ``where`` and the field for a missing, unknown or ill-typed field."""
        if not isinstance(d, Mapping):
            raise ValueError(f"{where} must be an object, got {type(d).__name__}")
        unknown = sorted(str(k) for k in d if k not in _EXPERIENCE_FIELDS)
        if unknown:
            raise ValueError(f"{where} has unknown fields {unknown}")
        for key in ("keywords", "decision", "reward", "good"):
            if key not in d:
                raise ValueError(f"{where} lacks the field {key!r}")
        if d["decision"] not in DECISIONS:
            raise ValueError(
                f"{where}.decision must be one of {DECISIONS}, got {d['decision']!r}")
        kws = d["keywords"]
        if not isinstance(kws, list) or not kws or not all(_keyword_ok(k) for k in kws):
            raise ValueError(
                f"{where}.keywords must be a non-empty list of words (letters, digits, spaces, "
                f"'-', '_', '/'; at most {_MAX_KEYWORD_LEN} characters), got {kws!r:.200}")
        reward = d["reward"]
        if isinstance(reward, bool) or not isinstance(reward, (int, float)):
            raise ValueError(f"{where}.reward must be a number, got {reward!r:.100}")
        reward = float(reward)  # an int beyond float range raises OverflowError here
        if not np.isfinite(reward):
            raise ValueError(f"{where}.reward must be finite, got {reward}")
        for key in ("good", "violated"):
            if not isinstance(d.get(key, False), bool):
                raise ValueError(f"{where}.{key} must be true or false, got {d[key]!r:.100}")
        return cls(
            keywords=tuple(kws),
            decision=d["decision"],
            reward=reward,
            good=d["good"],
            violated=d.get("violated", False),
        )


_EXPERIENCE_FIELDS = frozenset(("keywords", "decision", "reward", "good", "violated"))
_MAX_KEYWORD_LEN = 64


def _keyword_ok(k: object) -> bool:
    """A keyword read from a file enters the prompt verbatim: words only (no newlines or
    punctuation that could restructure the prompt), as the builder's own vocabulary."""
    return (
        isinstance(k, str)
        and 0 < len(k) <= _MAX_KEYWORD_LEN
        and k == k.strip()
        and all(c.isalnum() or c in " -_/" for c in k)
    )


class PromptBuilder:
    """Deterministic ICL prompt text (eq. 5, 7-9), split into a shared prefix and a query.

    Args:
        keyword_fields: which request fields are the keywords (default: service type and
            size level, eq. 8; the authors' supplement used ``("size_level",
            "quality_requirement")``).
        level_names: names of the size levels (the scenario's ``tasks.size_level_names``).
        max_examples: cap on examples in a prompt.
    """

    def __init__(
        self,
        keyword_fields: Sequence[str] = ("service", "size_level"),
        *,
        level_names: Sequence[str] = ("short", "middle", "long"),
        max_examples: int = 20,
    ) -> None:
        fields = tuple(keyword_fields)
        if not fields or any(f not in KEYWORD_FIELDS for f in fields) or len(set(fields)) != len(fields):
            raise ValueError(
                f"keyword_fields must be distinct names from {sorted(KEYWORD_FIELDS)}, got {keyword_fields!r}"
            )
        if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 0:
            raise ValueError(f"max_examples must be an integer >= 0, got {max_examples!r}")
        levels = tuple(str(n) for n in level_names)
        if not levels or any(not n.replace("-", "").isalnum() for n in levels):
            raise ValueError(f"level_names must be simple words, got {level_names!r}")
        self.keyword_fields = fields
        self.level_names = levels
        self.max_examples = max_examples

    # -- keywords --------------------------------------------------------------------------
    def keywords(self, requests: Requests) -> list[tuple[str, ...]]:
        """Each request's keyword tuple, from the fixed vocabulary.

        Raises ValueError when a service or size-level index is out of range (a negative
        index would otherwise pick the last name) or when the requests name their size
        levels differently from this builder.
        """
        if "size_level" in self.keyword_fields and tuple(requests.level_names) != self.level_names:
            raise ValueError(
                f"the requests' level_names {tuple(requests.level_names)} differ from the prompt "
                f"builder's level_names {self.level_names}"
            )
        for name, arr, hi in (
            ("service", requests.service, len(SERVICE_TYPES)),
            ("size_level", requests.size_level, len(self.level_names)),
        ):
            if name in self.keyword_fields and arr.size and (arr.min() < 0 or arr.max() >= hi):
                raise ValueError(
                    f"Requests.{name} must lie in [0, {hi}), got values {arr.min()}..{arr.max()}"
                )
        cols = []
        for f in self.keyword_fields:
            if f == "service":
                cols.append([_SERVICE_WORDS[SERVICE_TYPES[int(s)]] for s in requests.service])
            elif f == "size_level":
                cols.append([self.level_names[int(v)] for v in requests.size_level])
            else:
                cols.append(["high" if q else "normal" for q in requests.quality_preferred])
        return list(zip(*cols))

    def vocabulary(self) -> list[tuple[str, ...]]:
        """Every keyword tuple a request can have, in a fixed order."""
        words = {
            "service": [_SERVICE_WORDS[s] for s in SERVICE_TYPES],
            "size_level": list(self.level_names),
            "quality_requirement": ["normal", "high"],
        }
        return list(itertools.product(*(words[f] for f in self.keyword_fields)))

    def content_free(self) -> tuple[str, ...]:
        """Keywords of the content-free query used for calibration."""
        return tuple("N/A" for _ in self.keyword_fields)

    # -- text ------------------------------------------------------------------------------
    def description(self) -> str:
        """The task description D = {task goal, task definition, rules} (eq. 7)."""
        names = ", ".join(KEYWORD_FIELDS[f] for f in self.keyword_fields)
        return (
            "Task goal: decide where each generation request of a mobile user is served: "
            '"local" (a small LLM at the base station\'s edge server) or "offload" '
            "(a large LLM in the cloud).\n"
            f"Task definition: a request is described by its keywords ({names}). The edge "
            "model answers sooner; the cloud model is slower per token and adds backhaul "
            "delay, but its answers have higher quality. Quality-preferred services (science "
            "reasoning, coding) need the cloud model's quality; a decision that misses the "
            "required quality is penalized.\n"
            'Rules: answer with one word, "local" or "offload". Follow the examples: repeat '
            "Good decisions with high rewards and avoid Bad decisions.\n"
        )

    def example(self, e: Experience) -> str:
        verdict = "Good decision" if e.good else "Bad decision"
        return (
            f"Keywords: ({', '.join(e.keywords)}); Decision: {e.decision}; "
            f"Reward: {e.reward:.2f}; Evaluation: {verdict}\n"
        )

    def prefix(self, examples: Iterable[Experience]) -> str:
        """D and the examples: the part shared by every query of a step."""
        ex = list(examples)[: self.max_examples]
        body = "".join(self.example(e) for e in ex) if ex else "(none yet)\n"
        return self.description() + "\nExamples:\n" + body + "\n"

    def query(self, keywords: Sequence[str]) -> str:
        """The query x (eq. 8); candidates continue it as " local" / " offload"."""
        return f"Keywords: ({', '.join(keywords)}); Decision:"

    def prompt(self, examples: Iterable[Experience], keywords: Sequence[str]) -> str:
        return self.prefix(examples) + self.query(keywords)


class _Pool:
    kind = "pool"

    def add(self, keywords: Sequence[str], decision: str, reward: float, violated: bool) -> Experience:
        raise NotImplementedError

    def examples(self) -> list[Experience]:
        raise NotImplementedError

    def _check(self, keywords, decision, reward) -> tuple[tuple[str, ...], str, float]:
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
        reward = float(reward)
        if not np.isfinite(reward):
            raise ValueError(f"reward must be finite, got {reward}")
        return tuple(str(k) for k in keywords), decision, reward

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
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an integer >= 1, got {capacity!r}")
        self.capacity = capacity
        self._items: deque[Experience] = deque(maxlen=capacity)

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
        cap = d.get("capacity", 20)
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= _MAX_CAPACITY:
            raise ValueError(
                f"capacity must be an integer in [1, {_MAX_CAPACITY:,}], got {cap!r:.100}")
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
    kinds = {"prioritized": PrioritizedPool, "latest": LatestPool}
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str) or (
            data["kind"] not in kinds):
        raise ValueError(
            f"{path} is not a genoff experience pool (kind must be one of {sorted(kinds)})")
    try:
        return kinds[data["kind"]].from_dict(data)
    except (ValueError, OverflowError) as e:
        raise ValueError(f"{path} is not a genoff experience pool ({e})") from None


CALIBRATIONS = ("none", "content-free", "batch")


def calibration_mode(calibrate: bool | str) -> str:
    """``calibrate`` as one of :data:`CALIBRATIONS` (False -> "none", True -> "content-free")."""
    if isinstance(calibrate, (bool, np.bool_)):
        return "content-free" if calibrate else "none"
    if calibrate not in CALIBRATIONS:
        raise ValueError(f"calibrate must be a bool or one of {CALIBRATIONS}, got {calibrate!r}")
    return str(calibrate)


def batch_calibrate(scores: np.ndarray, queries: Sequence[str]) -> np.ndarray:
    """Batch calibration (Zhou et al., ICLR 2024) of candidate scores [n, 2].

    The log-odds (offload - local) of each distinct query, minus their mean over the
    distinct queries, becomes the offload score (local 0): a constant preference of the
    model for one candidate (e.g. one that is more tokens long) cancels. Rows whose scores
    are not finite are left out of the mean and stay as they are.
    """
    scores = np.asarray(scores, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # -inf - -inf: a row the backend could not score
        logodds = scores[:, 1] - scores[:, 0]
    first = {q: i for i, q in reversed(list(enumerate(queries)))}
    distinct = np.array(sorted(first.values()), dtype=np.int64)
    ok = np.isfinite(logodds[distinct])
    if not ok.any():
        return scores
    shift = float(logodds[distinct][ok].mean())
    out = scores.copy()
    fin = np.isfinite(logodds)
    out[fin, 0] = 0.0
    out[fin, 1] = logodds[fin] - shift
    return out


class BackendRef:
    """An LLM backend given as an object, a plain-data spec or nothing (the embedded model).

    A spec (``{"kind": "embedded"}``, see :func:`genoff.llm.make_backend`) and the default
    are built on first use, in the process that runs, and shared by the deciders of that
    process that name the same spec.
    """

    def __init__(self, backend: Backend | Mapping | None, *, needs_logprobs: bool = True) -> None:
        self._spec: dict | None = None
        if isinstance(backend, Mapping):
            from genoff.llm.spec import _check

            self._spec = _check(backend)
            backend = None
        elif backend is not None and not isinstance(backend, Backend):
            raise TypeError("backend must be a genoff.llm backend or a backend spec (a mapping)")
        self._needs_logprobs = needs_logprobs
        if backend is not None:
            self._check(backend)
        self._backend = backend

    def _check(self, backend: Backend) -> None:
        if self._needs_logprobs and not backend.supports_logprobs:
            raise ValueError(
                "mode='logprob' needs a backend that scores candidates; this one only generates "
                "(use mode='generate')"
            )

    def get(self) -> Backend:
        if self._backend is None:
            if self._spec is not None:
                from genoff.llm.spec import make_backend

                backend = make_backend(self._spec, shared=True)
            else:
                from genoff.llm import default_backend

                backend = default_backend()
            self._check(backend)
            self._backend = backend
        return self._backend

    def config(self) -> dict:
        if self._backend is not None:
            return self._backend.config()
        if self._spec is not None:
            return dict(self._spec)
        return {"name": "embedded (default)"}


class ICLDecider(Decider):
    """The paper's in-context-learning decider on the :class:`~genoff.deciders.Decider` interface.

    Args:
        backend: an LLM backend, or a backend spec (``{"kind": "embedded"}``, see
            :func:`genoff.llm.make_backend`; built on first use and shared by the deciders of
            this process that name the same spec); default: the embedded SmolLM2 (loaded on
            first use).
        pool: "prioritized" (the proposal), "latest" (baseline 1) or a pool object.
        epsilon: exploration probability (0 = baseline 2, no exploration).
        builder: the prompt builder (default: service type + size level keywords).
        calibrate: ``"none"`` (False), ``"content-free"`` (True: subtract the scores of a
            content-free query, Zhao et al. 2021, "Calibrate Before Use") or ``"batch"``
            (subtract the mean log-odds over the step's distinct queries, Zhou et al.,
            "Batch Calibration", ICLR 2024). Both counter a small model's bias toward one
            candidate; neither is the default (the paper's decider has none).
        mode: "logprob" (eq. 5-6: argmax of candidate log-probabilities) or "generate"
            (greedy text parsed for "local"/"offload"; for backends without log-probs).
        fallback: decision used when the backend fails or its text cannot be parsed
            ("local": the edge is always reachable). Such decisions are counted in ``stats``.
        seed: exploration seed (``reset`` re-seeds).

    ``reset`` re-seeds exploration and clears the statistics but keeps the experience pool, so
    a decider carries what it learned from one run into the next (pass a fresh pool, or one
    loaded with :func:`load_pool`, to choose).
    """

    name = "icl"
    resumable = True

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        pool: str | PrioritizedPool | LatestPool = "prioritized",
        epsilon: float = 0.1,
        builder: PromptBuilder | None = None,
        calibrate: bool | str = False,
        mode: str = "logprob",
        fallback: str = "local",
        seed: int | None = None,
        name: str | None = None,
    ) -> None:
        self._backend_ref = BackendRef(backend, needs_logprobs=mode == "logprob")
        if isinstance(pool, str):
            if pool not in ("prioritized", "latest"):
                raise ValueError(f"pool must be 'prioritized', 'latest' or a pool object, got {pool!r}")
            pool = PrioritizedPool() if pool == "prioritized" else LatestPool()
        elif not isinstance(pool, (PrioritizedPool, LatestPool)):
            raise TypeError("pool must be 'prioritized', 'latest' or a pool object")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must lie in [0, 1], got {epsilon!r}")
        if mode not in ("logprob", "generate"):
            raise ValueError(f"mode must be 'logprob' or 'generate', got {mode!r}")
        if fallback not in DECISIONS:
            raise ValueError(f"fallback must be one of {DECISIONS}, got {fallback!r}")
        self.pool = pool
        self.epsilon = float(epsilon)
        self.builder = builder if builder is not None else PromptBuilder()
        self._own_builder = builder is None  # follows the scenario's size-level names
        self.calibrate = calibration_mode(calibrate)
        self.mode = mode
        self.fallback = fallback
        if name is not None:
            self.name = name
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._cache_prefix: str | None = None
        self.reset(seed)

    @property
    def backend(self) -> Backend:
        return self._backend_ref.get()

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self.stats = {
            "decisions": 0,
            "explored": 0,
            "llm_decisions": 0,
            "scored_queries": 0,
            "cache_hits": 0,
            "fallbacks": 0,
            "parse_failures": 0,
            "backend_errors": 0,
        }

    # -- deciding --------------------------------------------------------------------------
    def _keywords(self, requests: Requests) -> list[tuple[str, ...]]:
        names = tuple(requests.level_names)
        if self._own_builder and names != self.builder.level_names:
            # the default builder adopts the scenario's size-level names (validated as words)
            b = self.builder
            self.builder = PromptBuilder(
                b.keyword_fields, level_names=names, max_examples=b.max_examples
            )
        return self.builder.keywords(requests)

    def _scores(self, prefix: str, queries: list[str]) -> np.ndarray:
        """Candidate log-probs [len(queries), 2], with identical prompts computed once."""
        if prefix != self._cache_prefix:
            self._cache, self._cache_prefix = {}, prefix
        todo = [q for q in dict.fromkeys(queries) if (prefix, q) not in self._cache]
        # every query answered without the backend (repeated in this batch or cached)
        self.stats["cache_hits"] += len(queries) - len(todo)
        if todo:
            scores = self.backend.score(prefix, todo, [" " + d for d in DECISIONS])
            self.stats["scored_queries"] += len(todo)
            for q, row in zip(todo, scores):
                self._cache[(prefix, q)] = np.asarray(row, dtype=np.float64)
        return np.stack([self._cache[(prefix, q)] for q in queries])

    def _parse(self, text: str) -> int | None:
        """The first of "local"/"offload" among the reply's first three words, else None."""
        words = re.findall(r"[a-z]+", text.lower())  # "Local," / "**offload**" count too
        for w in words[:3]:
            if w in DECISIONS:
                return DECISIONS.index(w)
        return None

    def decide(self, ctx: StepContext) -> np.ndarray:
        req = ctx.requests
        n = len(req)
        decisions = np.zeros(n, dtype=bool)
        explore = self._rng.random(n) < self.epsilon
        decisions[explore] = self._rng.random(int(explore.sum())) < 0.5
        self.stats["decisions"] += n
        self.stats["explored"] += int(explore.sum())
        exploit = np.flatnonzero(~explore)
        if exploit.size == 0:
            return decisions
        keywords = self._keywords(req)
        prefix = self.builder.prefix(self.pool.examples())  # the pool as of the step's start
        queries = [self.builder.query(keywords[i]) for i in exploit]
        fallback = self.fallback == "offload"
        try:
            if self.mode == "logprob":
                scores = self._scores(prefix, queries)
                if self.calibrate == "content-free":
                    scores = scores - self._scores(prefix, [self.builder.query(self.builder.content_free())])[0]
                elif self.calibrate == "batch":
                    scores = batch_calibrate(scores, queries)
                ok = np.isfinite(scores).any(axis=1)
                choice = np.where(ok, np.argmax(np.where(np.isfinite(scores), scores, -np.inf), axis=1) == 1, fallback)
                self.stats["fallbacks"] += int((~ok).sum())
            else:
                choice = np.empty(len(queries), dtype=bool)
                parsed: dict[str, int | None] = {}
                for q in dict.fromkeys(queries):
                    parsed[q] = self._parse(self.backend.generate(prefix + q, max_new_tokens=4))
                for k, q in enumerate(queries):
                    if parsed[q] is None:
                        self.stats["parse_failures"] += 1
                        self.stats["fallbacks"] += 1
                        choice[k] = fallback
                    else:
                        choice[k] = parsed[q] == 1
        except BackendError:
            self.stats["backend_errors"] += 1
            self.stats["fallbacks"] += len(queries)
            choice = np.full(len(queries), fallback)
        decisions[exploit] = choice
        self.stats["llm_decisions"] += len(queries)
        return decisions

    def observe(self, ctx: StepContext, offload: np.ndarray, outcome: Evaluation) -> None:
        """Step 3-4: evaluate each experience and update the pool (eq. 9, Sec. III-B)."""
        keywords = self._keywords(ctx.requests)
        for i, kw in enumerate(keywords):
            self.pool.add(
                kw, DECISIONS[int(bool(offload[i]))], float(outcome.reward[i]), bool(outcome.violated[i])
            )

    # -- resuming a run (genoff.experiments.run with a checkpoint) ------------------------
    def save_state(self, folder: str | os.PathLike) -> None:
        """Write the pool, the exploration generator, the counters and the current prefix's
        scores (so a resumed slot scores the same batches) into ``folder/icl.json``."""
        cache = [[q, [float(v) for v in row]] for (prefix, q), row in self._cache.items()
                 if prefix == self._cache_prefix]
        state = {
            "pool": self.pool.to_dict(),
            "rng_state": self._rng.bit_generator.state,
            "stats": dict(self.stats),
            "cache_prefix": self._cache_prefix,
            "cache": cache,
        }
        (Path(folder) / "icl.json").write_text(json.dumps(state), encoding="utf-8")

    def load_state(self, folder: str | os.PathLike) -> None:
        """Restore what :meth:`save_state` wrote."""
        state = json.loads((Path(folder) / "icl.json").read_text(encoding="utf-8"))
        kinds = {"prioritized": PrioritizedPool, "latest": LatestPool}
        self.pool = kinds[state["pool"]["kind"]].from_dict(state["pool"])
        self._rng.bit_generator.state = state["rng_state"]
        self.stats = dict(state["stats"])
        prefix = state["cache_prefix"]
        self._cache_prefix = prefix
        self._cache = {(prefix, q): np.asarray(row, dtype=np.float64)
                       for q, row in state["cache"]}

    def config(self) -> dict:
        return {
            "name": self.name,
            "backend": self._backend_ref.config(),
            "pool": self.pool.kind,
            "epsilon": self.epsilon,
            "keyword_fields": list(self.builder.keyword_fields),
            "max_examples": self.builder.max_examples,
            "calibrate": self.calibrate,
            "mode": self.mode,
            "fallback": self.fallback,
        }
