"""The ICL decider (paper Sec. III): exploration, step semantics, caching, calibration,
generate-and-parse, backend failures, pool updates; then with the embedded SmolLM2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from genoff.core import Evaluation
from genoff.deciders.icl import DECISIONS, ICLDecider, LatestPool, PrioritizedPool, PromptBuilder, load_pool
from genoff.llm.base import Backend, BackendError
from genoff.sim import StepContext
from genoff.world.tasks import Requests

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CANDIDATES = [" local", " offload"]


def make_requests(service, size_level, level_names=("short", "middle", "long")) -> Requests:
    service = np.asarray(service, dtype=np.int64)
    n = len(service)
    qp = service >= 3
    return Requests(
        user=np.arange(n), service=service, quality_preferred=qp,
        quality_req=np.where(qp, 68.5, 45.0), n_tokens=np.full(n, 1000),
        est_tokens=np.full(n, 1000.0), size_level=np.asarray(size_level, dtype=np.int64),
        level_names=level_names,
    )


def ctx_of(req: Requests, step: int = 0) -> StepContext:
    return StepContext(step, req, None, None)  # deciders only read the requests


def outcome(reward, violated) -> Evaluation:
    reward = np.asarray(reward, dtype=np.float64)
    z = np.zeros_like(reward)
    return Evaluation(t_tran_s=z, t_gen_s=z, t_total_s=z, violated=np.asarray(violated, dtype=bool),
                      reward=reward)


class FakeBackend(Backend):
    """Scores from a table keyed by the query text; records every call."""

    name = "fake"

    def __init__(self, table=None, default=(-1.0, -2.0), texts=None, default_text="", fail=False):
        self.table = dict(table or {})
        self.default = default
        self.texts = dict(texts or {})
        self.default_text = default_text
        self.fail = fail
        self.score_calls: list[tuple[str, list[str], list[str]]] = []
        self.generate_calls: list[str] = []

    def score(self, prefix, suffixes, candidates):
        self.score_calls.append((prefix, list(suffixes), list(candidates)))
        if self.fail:
            raise BackendError("server down")
        return np.array([self.table.get(s, self.default) for s in suffixes], dtype=np.float64)

    def generate(self, prompt, *, max_new_tokens=8):
        self.generate_calls.append(prompt)
        if self.fail:
            raise BackendError("server down")
        query = prompt[prompt.rindex("Keywords:"):]
        return self.texts.get(query, self.default_text)


Q = PromptBuilder().query  # query text of a keyword tuple


# -- exploration ---------------------------------------------------------------------------


def test_epsilon_zero_never_explores():
    fake = FakeBackend(default=(-3.0, -1.0))  # prefers offload
    d = ICLDecider(fake, epsilon=0.0, seed=1)
    req = make_requests(np.arange(200) % 5, np.arange(200) % 3)
    out = d.decide(ctx_of(req))
    assert out.dtype == bool and out.shape == (200,)
    assert out.all()
    assert d.stats["explored"] == 0
    assert d.stats["llm_decisions"] == d.stats["decisions"] == 200


def test_epsilon_one_always_explores_without_the_backend():
    fake = FakeBackend(fail=True)  # any call would be a fallback
    d = ICLDecider(fake, epsilon=1.0, seed=3)
    req = make_requests(np.arange(300) % 5, np.arange(300) % 3)
    out = d.decide(ctx_of(req))
    assert fake.score_calls == [] and fake.generate_calls == []
    assert d.stats["explored"] == 300 and d.stats["llm_decisions"] == 0
    assert d.stats["fallbacks"] == 0
    assert 0.3 < out.mean() < 0.7  # random decisions, both kinds


def test_seeded_exploration_is_reproducible():
    req = make_requests(np.arange(50) % 5, np.arange(50) % 3)

    def run(seed, decider=None):
        d = decider or ICLDecider(FakeBackend(default=(-1.0, -1.5)), epsilon=0.5, seed=seed)
        return [d.decide(ctx_of(req, s)) for s in range(4)], d

    a, d = run(7)
    b, _ = run(7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    d.reset(7)  # reset re-seeds
    c, _ = run(None, d)
    assert all(np.array_equal(x, y) for x, y in zip(a, c))
    other, _ = run(8)
    assert not all(np.array_equal(x, y) for x, y in zip(a, other))
    assert d.stats["explored"] + d.stats["llm_decisions"] == d.stats["decisions"] == 200


# -- one step = one batch against the pool at the step's start -----------------------------


def test_a_step_is_decided_against_the_pool_at_its_start():
    fake = FakeBackend()
    d = ICLDecider(fake, epsilon=0.0)
    builder = d.builder
    req = make_requests([0, 4, 3, 0, 1], [0, 2, 1, 0, 2])
    d.pool.add(("coding", "long"), "offload", 20.0, False)
    start = d.pool.examples()
    out = d.decide(ctx_of(req))
    assert d.pool.examples() == start  # deciding never touches the pool
    (prefix, suffixes, cands), = fake.score_calls  # one batched call for the step
    assert prefix == builder.prefix(start)
    assert cands == CANDIDATES
    kws = builder.keywords(req)
    assert suffixes == list(dict.fromkeys(Q(k) for k in kws))  # distinct queries, in order
    assert not out.any()  # default table prefers local

    # the outcome arrives: the pool changes only in observe, and the next step sees it
    result = outcome([30.0, -5.0, -4.0, 31.0, 25.0], [False, True, True, False, False])
    d.observe(ctx_of(req), out, result)
    assert d.pool.examples() != start
    d.decide(ctx_of(req, 1))
    assert fake.score_calls[-1][0] == builder.prefix(d.pool.examples())


def test_all_queries_of_a_step_share_one_prefix_with_latest_pool_too():
    fake = FakeBackend()
    d = ICLDecider(fake, pool="latest", epsilon=0.0)
    req = make_requests(np.arange(20) % 5, np.arange(20) % 3)
    for step in range(3):
        n_calls = len(fake.score_calls)
        start = d.pool.examples()
        out = d.decide(ctx_of(req, step))
        assert len(fake.score_calls) == n_calls + 1
        assert fake.score_calls[-1][0] == d.builder.prefix(start)
        d.observe(ctx_of(req, step), out, outcome(np.full(20, 10.0 + step), np.zeros(20)))
    assert isinstance(d.pool, LatestPool) and len(d.pool) == 20
    assert [e.reward for e in d.pool.examples()] == [12.0] * 20


def test_identical_prompts_are_scored_once():
    fake = FakeBackend()
    d = ICLDecider(fake, epsilon=0.0)
    req = make_requests([0, 0, 0, 4, 4, 1], [1, 1, 1, 2, 2, 0])
    d.decide(ctx_of(req))
    assert len(fake.score_calls[0][1]) == 3  # three distinct queries
    assert d.stats["scored_queries"] == 3
    assert d.stats["cache_hits"] == 3  # the repeats
    # the same prompts again (pool unchanged): all from the cache, no backend call
    d.decide(ctx_of(req, 1))
    assert len(fake.score_calls) == 1
    assert d.stats["scored_queries"] == 3 and d.stats["cache_hits"] == 9
    # a changed pool changes the prefix: nothing is reused
    d.pool.add(("chatting", "middle"), "local", 30.0, False)
    d.decide(ctx_of(req, 2))
    assert len(fake.score_calls) == 2 and d.stats["scored_queries"] == 6


def test_calibration_subtracts_the_content_free_scores():
    builder = PromptBuilder()
    cf = Q(builder.content_free())
    req = make_requests([0, 1, 4], [0, 1, 2])
    # every query leans offload a little; the content-free query leans offload a lot
    table = {cf: (-2.0, -0.5)}
    plain = ICLDecider(FakeBackend(table, default=(-1.0, -0.8)), epsilon=0.0)
    assert plain.decide(ctx_of(req)).all()
    fake = FakeBackend(table, default=(-1.0, -0.8))
    calibrated = ICLDecider(fake, epsilon=0.0, calibrate=True)
    assert not calibrated.decide(ctx_of(req)).any()  # (1.0, -0.3) after calibration: local
    # calibration only re-ranks: a query leaning offload more than the bias stays offload
    fake.table[Q(("coding", "long"))] = (-5.0, -0.1)
    calibrated.pool.add(("coding", "long"), "offload", 1.0, False)  # new prefix, no cache
    assert calibrated.decide(ctx_of(req)).tolist() == [False, False, True]
    # the content-free query is scored once per prefix (two prefixes here), beside the step's
    assert sum(suffixes.count(cf) for _, suffixes, _ in fake.score_calls) == 2
    assert {p for p, _, _ in fake.score_calls} == {
        calibrated.builder.prefix([]), calibrated.builder.prefix(calibrated.pool.examples())}
    assert not any(cf in suffixes for _, suffixes, _ in plain.backend.score_calls)


def test_batch_calibration_subtracts_the_mean_log_odds_of_the_slot():
    # every query leans offload (log-odds +0.5 .. +2.5): plain scoring offloads all of them;
    # batch calibration keeps only the queries above the slot's mean log-odds (+1.5)
    table = {Q(("chatting", "short")): (-1.0, -0.5), Q(("translation", "middle")): (-1.0, 0.5),
             Q(("coding", "long")): (-1.0, 1.5)}
    req = make_requests([0, 1, 4, 0], [0, 1, 2, 0])  # the first query twice: counted once
    plain = ICLDecider(FakeBackend(table), epsilon=0.0)
    assert plain.decide(ctx_of(req)).all()
    batch = ICLDecider(FakeBackend(table), epsilon=0.0, calibrate="batch")
    assert batch.decide(ctx_of(req)).tolist() == [False, False, True, False]
    assert batch.config()["calibrate"] == "batch"
    with pytest.raises(ValueError, match="calibrate"):
        ICLDecider(FakeBackend(), calibrate="sometimes")


def test_non_finite_scores_fall_back():
    table = {Q(("chatting", "short")): (-np.inf, -np.inf), Q(("coding", "long")): (-np.inf, -3.0),
             Q(("translation", "short")): (-2.0, -np.inf)}
    d = ICLDecider(FakeBackend(table), epsilon=0.0, fallback="offload")
    out = d.decide(ctx_of(make_requests([0, 4, 1], [0, 2, 0])))
    assert out.tolist() == [True, True, False]
    assert d.stats["fallbacks"] == 1


@pytest.mark.parametrize("fallback", ["local", "offload"])
def test_generate_mode_parses_and_counts_failures(fallback):
    texts = {
        Q(("chatting", "short")): " local",
        Q(("coding", "long")): " Offload.",
        Q(("translation", "middle")): ' "offload" because',
        Q(("summarization", "short")): "Local, since it is short",
        Q(("science reasoning", "long")): " I would say the cloud",
    }
    fake = FakeBackend(texts=texts, default_text="")
    d = ICLDecider(fake, epsilon=0.0, mode="generate", fallback=fallback)
    req = make_requests([0, 4, 1, 2, 3, 3, 0], [0, 2, 1, 0, 2, 2, 1])  # last: no text at all
    out = d.decide(ctx_of(req))
    fb = fallback == "offload"
    assert out.tolist() == [False, True, True, False, fb, fb, fb]
    assert d.stats["parse_failures"] == 3 and d.stats["fallbacks"] == 3
    assert fake.score_calls == []
    # one generate call per distinct prompt, on the full prompt (prefix + query)
    assert len(fake.generate_calls) == 6
    assert fake.generate_calls[0] == d.builder.prompt([], ("chatting", "short"))


@pytest.mark.parametrize("mode", ["logprob", "generate"])
@pytest.mark.parametrize("fallback", ["local", "offload"])
def test_backend_errors_become_counted_fallbacks(mode, fallback):
    d = ICLDecider(FakeBackend(fail=True), epsilon=0.0, mode=mode, fallback=fallback)
    req = make_requests([0, 4, 1], [0, 2, 1])
    for step in range(2):
        out = d.decide(ctx_of(req, step))
        assert out.tolist() == [fallback == "offload"] * 3
        result = outcome([10.0, 5.0, 8.0], [False, fallback == "local", False])
        d.observe(ctx_of(req, step), out, result)
    assert d.stats["backend_errors"] == 2
    assert d.stats["fallbacks"] == 6
    assert len(d.pool) == 3  # the run goes on learning


def test_observe_updates_the_pool_with_the_papers_rules():
    d = ICLDecider(FakeBackend(), epsilon=0.0)
    req = make_requests([4, 4, 0, 0], [2, 2, 0, 0])
    d.observe(ctx_of(req), np.array([False, True, False, True]),
              outcome([-5.0, 20.0, 30.0, 12.0], [True, False, False, False]))
    ex = {e.keywords: e for e in d.pool.examples()}
    assert set(ex) == {("coding", "long"), ("chatting", "short")}
    # coding/long: local violated (Bad), then offload with a higher reward replaced it (Good)
    assert (ex[("coding", "long")].decision, ex[("coding", "long")].good) == ("offload", True)
    # chatting/short: local 30 stays; offload 12 was worse and left the pool unchanged
    assert (ex[("chatting", "short")].decision, ex[("chatting", "short")].reward) == ("local", 30.0)
    # a violating newcomer for a new tuple is kept as a Bad decision
    d.observe(ctx_of(make_requests([3], [1])), np.array([False]), outcome([-4.0], [True]))
    e = {e.keywords: e for e in d.pool.examples()}[("science reasoning", "middle")]
    assert (e.decision, e.good, e.violated) == ("local", False, True)


def test_pool_argument_accepts_a_loaded_pool(tmp_path):
    pool = PrioritizedPool()
    pool.add(("coding", "long"), "offload", 20.0, False)
    pool.save(tmp_path / "pool.json")
    fake = FakeBackend()
    d = ICLDecider(fake, pool=load_pool(tmp_path / "pool.json"), epsilon=0.0)
    d.decide(ctx_of(make_requests([0], [0])))
    assert "Keywords: (coding, long); Decision: offload" in fake.score_calls[0][0]
    assert d.config()["pool"] == "prioritized"


def test_default_builder_follows_the_scenarios_level_names():
    names = ("tiny", "short", "middle", "long")
    req = make_requests([0, 4], [0, 3], level_names=names)
    fake = FakeBackend()
    d = ICLDecider(fake, epsilon=0.0)
    d.decide(ctx_of(req))
    assert fake.score_calls[0][1] == [Q(("chatting", "tiny")), Q(("coding", "long"))]
    d.observe(ctx_of(req), np.array([False, True]), outcome([1.0, 2.0], [False, False]))
    assert [e.keywords for e in d.pool.examples()] == [("chatting", "tiny"), ("coding", "long")]
    # an explicit builder is the user's choice: a mismatch is an error, not a wrong word
    strict = ICLDecider(FakeBackend(), epsilon=0.0, builder=PromptBuilder())
    with pytest.raises(ValueError, match="level_names"):
        strict.decide(ctx_of(req))


def test_a_four_level_scenario_runs():
    from genoff import experiments
    from genoff.world.scenario import load_scenario

    sc = load_scenario("paper").with_overrides({
        "layout.users_per_cell": 4, "scheduler.num_tti": 100,
        "tasks.size_level_edges": [300.0, 600.0, 1400.0],
        "tasks.size_level_names": ["tiny", "short", "middle", "long"],
    })
    d = ICLDecider(FakeBackend(), epsilon=0.0)
    res = experiments.run(sc, d, steps=3, seed=0)
    assert len(res.table) == 12
    levels = {e.keywords[1] for e in d.pool.examples()}
    assert levels <= {"tiny", "short", "middle", "long"} and levels


@pytest.mark.parametrize(
    "kwargs, exc, arg",
    [
        ({"epsilon": -0.1}, ValueError, "epsilon"),
        ({"epsilon": 1.5}, ValueError, "epsilon"),
        ({"epsilon": True}, ValueError, "epsilon"),
        ({"epsilon": "0.1"}, ValueError, "epsilon"),
        ({"epsilon": float("nan")}, ValueError, "epsilon"),
        ({"mode": "sample"}, ValueError, "mode"),
        ({"fallback": "cloud"}, ValueError, "fallback"),
        ({"pool": "fifo"}, ValueError, "pool"),
        ({"pool": [1, 2]}, TypeError, "pool"),
        ({"backend": "gpt-4o"}, TypeError, "backend"),
    ],
)
def test_bad_constructor_args_raise(kwargs, exc, arg):
    kwargs.setdefault("backend", FakeBackend())
    with pytest.raises(exc, match=arg):
        ICLDecider(**kwargs)


def test_config_records_the_settings():
    d = ICLDecider(FakeBackend(), pool="latest", epsilon=0.25, calibrate=True, mode="generate",
                   fallback="offload", name="mine")
    c = d.config()
    assert c["name"] == "mine" and c["backend"] == {"name": "fake"}
    assert (c["pool"], c["epsilon"], c["calibrate"], c["mode"], c["fallback"]) == (
        "latest", 0.25, "content-free", "generate", "offload")
    assert c["keyword_fields"] == ["service", "size_level"]
    json.dumps(c)  # recorded in run.json


# -- the embedded SmolLM2 --------------------------------------------------------------------


def test_short_run_with_the_embedded_model(embedded):
    from genoff import experiments
    from genoff.world.scenario import load_scenario

    sc = load_scenario("paper").with_overrides(
        {"layout.users_per_cell": 5, "scheduler.num_tti": 200}
    )
    d = ICLDecider(embedded, seed=0)
    res = experiments.run(sc, d, steps=3, seed=0)
    table = res.table
    assert len(table) == 15
    assert np.isfinite(table["reward"]).all()
    assert np.isfinite(res.summary["mean_reward"])
    assert 1 <= len(d.pool) <= 15
    assert d.stats["decisions"] == 15
    assert d.stats["llm_decisions"] + d.stats["explored"] == 15
    assert d.stats["llm_decisions"] > 0 and d.stats["scored_queries"] > 0
    assert d.stats["fallbacks"] == d.stats["backend_errors"] == 0
    assert res.meta["decider"]["backend"]["name"].startswith("transformers:")


def _pool_of(decision_of) -> PrioritizedPool:
    pool = PrioritizedPool()
    for s in ("chatting", "translation", "summarization", "science reasoning", "coding"):
        for lvl in ("short", "middle", "long"):
            pool.add((s, lvl), decision_of(s), 20.0, False)
    return pool


def test_embedded_scores_follow_the_examples(embedded):
    builder = PromptBuilder()
    req = make_requests(np.arange(15) % 5, np.arange(15) // 5)
    queries = [builder.query(k) for k in builder.keywords(req)]
    margins = {}
    rules = {
        "local": lambda s: "local",
        "offload": lambda s: "offload",
        "paper": lambda s: "offload" if s in ("science reasoning", "coding") else "local",
    }
    for name, rule in rules.items():
        scores = embedded.score(builder.prefix(_pool_of(rule).examples()), queries, CANDIDATES)
        assert scores.shape == (15, 2) and scores.dtype == np.float64
        assert np.isfinite(scores).all() and (scores < 0).all()
        assert (np.logaddexp(scores[:, 0], scores[:, 1]) <= 1e-9).all()  # probabilities sum <= 1
        margins[name] = scores[:, 1] - scores[:, 0]  # offload minus local
    # in-context learning in rank order: the examples move every query's preference
    assert (margins["local"] < 0).all() and (margins["offload"] > 0).all()
    qp = req.quality_preferred
    assert margins["paper"][qp].mean() > margins["paper"][~qp].mean()


def test_simulate_cli_with_icl_writes_the_pool(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "genoff", "simulate", "--decider", "icl", "--steps", "2",
         "--users", "3", "--set", "scheduler.num_tti=100", "--out", str(out), "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "decider icl" in proc.stdout and "llm_decisions" in proc.stdout
    for name in ("requests.parquet", "requests.csv", "run.json", "pool.json"):
        assert (out / name).is_file(), name
    pool = load_pool(out / "pool.json")
    assert isinstance(pool, PrioritizedPool) and 1 <= len(pool) <= 6
    assert all(e.decision in DECISIONS for e in pool.examples())
    run = json.loads((out / "run.json").read_text())
    assert run["decider"]["name"] == "icl" and run["steps"] == 2
