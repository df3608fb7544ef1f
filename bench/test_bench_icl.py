"""ICL decision step for 20 users: shared-prefix batched scoring vs one generate per query.

Same model (the embedded SmolLM2-135M-Instruct, float32 on CPU), same prompts (genoff's ICL
prompt with a 15-example pool; 20 requests with 9 distinct keyword tuples):

* ``shared-cold``: the prefix (task description + examples) computed from scratch, then all
  distinct queries scored in one batched pass on its key/value cache;
* ``shared-incremental``: the pool changed by one example since the last step (the usual
  case while learning): only the prefix tokens after the change are recomputed;
* ``naive``: one greedy ``generate`` (2 new tokens) per distinct query with the full prompt
  (the same de-duplication as the shared-prefix scorer: identical requests are decided once).

Run: ``HF_HUB_OFFLINE=1 python -m pytest bench/test_bench_icl.py --benchmark-group-by=group``.
"""

from __future__ import annotations

import numpy as np
import pytest

from genoff.deciders.icl import DECISIONS, PrioritizedPool, PromptBuilder
from genoff.world.tasks import SERVICE_TYPES

USERS = 20
CANDIDATES = [" " + d for d in DECISIONS]


@pytest.fixture(scope="module")
def backend():
    from genoff.llm import default_backend

    return default_backend()


@pytest.fixture(scope="module")
def step():
    rng = np.random.default_rng(0)
    builder = PromptBuilder()
    pool = PrioritizedPool()
    for s in SERVICE_TYPES:
        for level in builder.level_names:
            pool.add((s.replace("_", " "), level), DECISIONS[int(s in ("science_reasoning", "coding"))],
                     float(rng.uniform(5, 35)), False)
    prefix_a = builder.prefix(pool.examples())
    pool.add(("summarization", "long"), "offload", 99.0, False)  # one example replaced
    prefix_b = builder.prefix(pool.examples())
    svc = rng.integers(0, len(SERVICE_TYPES), USERS)
    lvl = rng.integers(0, 3, USERS)
    queries = [builder.query((SERVICE_TYPES[s].replace("_", " "), builder.level_names[v]))
               for s, v in zip(svc, lvl)]
    return prefix_a, prefix_b, queries


def _shared(backend, prefix, queries):
    unique = list(dict.fromkeys(queries))
    best = dict(zip(unique, np.argmax(backend.score(prefix, unique, CANDIDATES), axis=1)))
    return [best[q] for q in queries]


def test_icl_step_shared_cold(benchmark, backend, step):
    prefix_a, _, queries = step
    benchmark.group = "icl-step-20-users"

    def run():
        backend.clear_cache()
        return _shared(backend, prefix_a, queries)

    decisions = benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    assert len(decisions) == USERS
    benchmark.extra_info["decisions_per_s"] = USERS / benchmark.stats.stats.min


def test_icl_step_shared_incremental(benchmark, backend, step):
    prefix_a, prefix_b, queries = step
    benchmark.group = "icl-step-20-users"
    state = {"flip": False}

    def run():  # alternate between two pools that differ in one example
        state["flip"] = not state["flip"]
        return _shared(backend, prefix_b if state["flip"] else prefix_a, queries)

    decisions = benchmark.pedantic(run, rounds=6, warmup_rounds=1)
    assert len(decisions) == USERS
    benchmark.extra_info["decisions_per_s"] = USERS / benchmark.stats.stats.min


def test_icl_step_naive(benchmark, backend, step):
    prefix_a, _, queries = step
    benchmark.group = "icl-step-20-users"

    def run():  # the same de-duplication as _shared: one generate per distinct query
        text = {q: backend.generate(prefix_a + q, max_new_tokens=2) for q in dict.fromkeys(queries)}
        return [text[q] for q in queries]

    texts = benchmark.pedantic(run, rounds=2, warmup_rounds=0)
    assert len(texts) == USERS
    benchmark.extra_info["decisions_per_s"] = USERS / benchmark.stats.stats.min
