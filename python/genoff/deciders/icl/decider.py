"""The paper's in-context-learning decider (Sec. III, Steps 1-4) and the bases it shares.

* :class:`KeywordDecider`: a decider keyed on the prompt's keywords (eq. 8), following the
  scenario's size-level names (base of ``bandit``, ``icl`` and ``llm-prior``);
* :class:`LLMDecider`: a keyword decider that asks an LLM (its backend built on first use);
* :class:`ICLDecider`: decides a step's requests in one batch against the pool as it stood
  at the step's start: epsilon-greedy exploration, then argmax over the candidates'
  log-probabilities (eq. 6), scored on a shared prefix; optional calibration; a
  generate-and-parse mode for backends without log-probs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping

import numpy as np

from genoff._util import validate
from genoff.deciders.base import JSONStateDecider
from genoff.deciders.icl.pools import LatestPool, PrioritizedPool, as_pool, pool_from_dict
from genoff.deciders.icl.prompt import CANDIDATES, DECISIONS, PromptBuilder
from genoff.deciders.icl.scoring import BackendRef, batch_calibrate, calibration_mode
from genoff.llm.base import Backend, BackendError
from genoff.world.tasks import Requests

if TYPE_CHECKING:
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["KeywordDecider", "LLMDecider", "ICLDecider"]


class KeywordDecider(JSONStateDecider):
    """Base of deciders keyed on the ICL prompt's keywords (follows the scenario's levels)."""

    def __init__(self, builder: PromptBuilder | None = None) -> None:
        if builder is not None and not isinstance(builder, PromptBuilder):
            raise TypeError(f"builder must be a PromptBuilder, got {type(builder).__name__}")
        self.builder = builder if builder is not None else PromptBuilder()
        self._own_builder = builder is None  # follows the scenario's size-level names

    def _keywords(self, requests: Requests) -> list[tuple[str, ...]]:
        names = tuple(requests.level_names)
        if self._own_builder and names != self.builder.level_names:
            # the default builder adopts the scenario's size-level names (validated as words)
            b = self.builder
            self.builder = PromptBuilder(b.keyword_fields, level_names=names,
                                         max_examples=b.max_examples)
        return self.builder.keywords(requests)


class LLMDecider(KeywordDecider):
    """Base of keyword deciders that ask an LLM (``icl``, ``llm-prior``).

    ``backend``: an LLM backend, a backend spec (``{"kind": "embedded"}``) or None (the
    embedded SmolLM2); a spec or None is built on first use (:class:`BackendRef`).
    """

    def __init__(self, backend: Backend | Mapping | None, builder: PromptBuilder | None,
                 *, needs_logprobs: bool = True) -> None:
        super().__init__(builder)
        self._backend_ref = BackendRef(backend, needs_logprobs=needs_logprobs)

    @property
    def backend(self) -> Backend:
        return self._backend_ref.get()


class ICLDecider(LLMDecider):
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
    #: The saved state's file in a checkpoint folder (whatever the decider's name).
    state_file = "icl.json"

    def __init__(
        self,
        backend: Backend | Mapping | None = None,
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
        super().__init__(backend, builder, needs_logprobs=mode == "logprob")
        self.pool = as_pool(pool)
        self.epsilon = validate.real("epsilon", epsilon, ge=0.0, le=1.0, type_error=ValueError)
        self.calibrate = calibration_mode(calibrate)
        self.mode = validate.choice("mode", mode, ("logprob", "generate"))
        self.fallback = validate.choice("fallback", fallback, DECISIONS)
        if name is not None:
            self.name = name
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._cache_prefix: str | None = None
        self.reset(seed)

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
    def _scores(self, prefix: str, queries: list[str]) -> np.ndarray:
        """Candidate log-probs [len(queries), 2], with identical prompts computed once."""
        if prefix != self._cache_prefix:
            self._cache, self._cache_prefix = {}, prefix
        todo = [q for q in dict.fromkeys(queries) if (prefix, q) not in self._cache]
        # every query answered without the backend (repeated in this batch or cached)
        self.stats["cache_hits"] += len(queries) - len(todo)
        if todo:
            scores = self.backend.score(prefix, todo, list(CANDIDATES))
            self.stats["scored_queries"] += len(todo)
            for q, row in zip(todo, scores):
                self._cache[(prefix, q)] = np.asarray(row, dtype=np.float64)
        return np.stack([self._cache[(prefix, q)] for q in queries])

    def _choose_by_scores(self, prefix: str, queries: list[str], fallback: bool) -> np.ndarray:
        """Eq. (6): offload where " offload" scores above " local" (after calibration);
        ``fallback`` where neither candidate has a finite score."""
        scores = self._scores(prefix, queries)
        if self.calibrate == "content-free":
            content_free = self.builder.query(self.builder.content_free())
            scores = scores - self._scores(prefix, [content_free])[0]
        elif self.calibrate == "batch":
            scores = batch_calibrate(scores, queries)
        ok = np.isfinite(scores).any(axis=1)
        best = np.argmax(np.where(np.isfinite(scores), scores, -np.inf), axis=1)
        self.stats["fallbacks"] += int((~ok).sum())
        return np.where(ok, best == 1, fallback)

    def _parse(self, text: str) -> int | None:
        """The first of "local"/"offload" among the reply's first three words, else None."""
        words = re.findall(r"[a-z]+", text.lower())  # "Local," / "**offload**" count too
        for w in words[:3]:
            if w in DECISIONS:
                return DECISIONS.index(w)
        return None

    def _choose_by_text(self, prefix: str, queries: list[str], fallback: bool) -> np.ndarray:
        """The decision the model writes after each distinct query; ``fallback`` where its
        text names none."""
        parsed = {q: self._parse(self.backend.generate(prefix + q, max_new_tokens=4))
                  for q in dict.fromkeys(queries)}
        choice = np.empty(len(queries), dtype=bool)
        for k, q in enumerate(queries):
            if parsed[q] is None:
                self.stats["parse_failures"] += 1
                self.stats["fallbacks"] += 1
                choice[k] = fallback
            else:
                choice[k] = parsed[q] == 1
        return choice

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
        choose = self._choose_by_scores if self.mode == "logprob" else self._choose_by_text
        try:
            choice = choose(prefix, queries, fallback)
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
            self.pool.add(kw, DECISIONS[int(bool(offload[i]))], float(outcome.reward[i]),
                          bool(outcome.violated[i]))

    # -- resuming a run (genoff.experiments.run with a checkpoint) ------------------------
    def state_dict(self) -> dict:
        """The pool, the exploration generator, the counters and the current prefix's
        scores (so a resumed slot scores the same batches)."""
        cache = [[q, [float(v) for v in row]] for (prefix, q), row in self._cache.items()
                 if prefix == self._cache_prefix]
        return {
            "pool": self.pool.to_dict(),
            "rng_state": self._rng.bit_generator.state,
            "stats": dict(self.stats),
            "cache_prefix": self._cache_prefix,
            "cache": cache,
        }

    def load_state_dict(self, state: Mapping) -> None:
        self.pool = pool_from_dict(state["pool"])
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
