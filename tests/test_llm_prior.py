"""The llm-prior decider: the prior (scored once, calibrated, standardized), Thompson
updates that correct a wrong prior, backend failures, the real embedded model, and the CLI's
non-zero exit when the LLM's decisions fall back."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from test_icl_decider import FakeBackend, ctx_of, make_requests, outcome

from genoff import experiments
from genoff.deciders.icl import PromptBuilder
from genoff.llm.base import Backend
from genoff.deciders.llm_prior import LLMPriorDecider
from genoff.world.scenario import load_scenario

os.environ.setdefault("HF_HUB_OFFLINE", "1")

B = PromptBuilder()
Q = B.query
QP = ("science reasoning", "coding")


def _table(logodds: dict) -> dict:
    """FakeBackend scores (local, offload) with the given log-odds per keyword tuple."""
    return {Q(kw): (-1.0, -1.0 + lo) for kw, lo in logodds.items()}


def _leaning(qp_logodds=1.0, regular_logodds=-1.0, bias=2.0) -> dict:
    """Every tuple of the vocabulary: QP services lean offload, regular ones local, plus a
    constant bias toward offload that calibration must cancel."""
    return {kw: bias + (qp_logodds if kw[0] in QP else regular_logodds) for kw in B.vocabulary()}


def test_prior_is_scored_once_calibrated_and_standardized():
    lo = _leaning()
    fake = FakeBackend(_table(lo))
    d = LLMPriorDecider(fake, seed=0)
    prior = d.prior()
    raw = np.array([lo[k] for k in B.vocabulary()])
    z = (raw - raw.mean()) / raw.std()
    np.testing.assert_allclose([prior[k] for k in B.vocabulary()], z)
    assert math.isclose(np.mean(list(prior.values())), 0.0, abs_tol=1e-12)  # bias gone
    # one call: the zero-shot prompt (no examples), every tuple of the vocabulary at once
    assert len(fake.score_calls) == 1
    prefix, suffixes, cands = fake.score_calls[0]
    assert prefix == B.prefix([]) and suffixes == [Q(k) for k in B.vocabulary()]
    assert cands == [" local", " offload"]
    req = make_requests(np.arange(40) % 5, np.arange(40) % 3)
    for step in range(3):
        off = d.decide(ctx_of(req, step))
        d.observe(ctx_of(req, step), off, outcome(np.full(40, 10.0), np.zeros(40, bool)))
    d.reset(1)  # a new run keeps the model's prior: still one call
    d.decide(ctx_of(req))
    assert len(fake.score_calls) == 1 and d.stats["scored_queries"] == 0


def test_other_calibrations():
    lo = _leaning(bias=2.0)
    cf = B.query(B.content_free())
    table = {**_table(lo), cf: (-1.0, 1.5)}
    none = LLMPriorDecider(FakeBackend(table), calibrate="none", standardize=False).prior()
    assert none[("coding", "short")] == pytest.approx(3.0)
    cfree = LLMPriorDecider(FakeBackend(table), calibrate="content-free", standardize=False).prior()
    assert cfree[("coding", "short")] == pytest.approx(3.0 - 2.5)
    assert cfree[("chatting", "short")] == pytest.approx(1.0 - 2.5)


def test_before_any_reward_decisions_follow_the_prior():
    d = LLMPriorDecider(FakeBackend(_table(_leaning())), seed=3)
    n = 600
    req = make_requests(np.arange(n) % 5, np.arange(n) % 3)
    off = d.decide(ctx_of(req))
    qp = req.quality_preferred
    # standardized prior +-1 (two groups): P(follow) = Phi(2 / sqrt 2) = 0.92
    assert 0.86 < off[qp].mean() < 0.97
    assert 0.03 < off[~qp].mean() < 0.14
    assert d.stats["llm_decisions"] == n and d.stats["fallbacks"] == 0
    assert 0.03 < d.stats["explored"] / n < 0.14


def test_rewards_correct_a_wrong_prior():
    # the model says QP services belong at the edge and regular ones in the cloud: wrong
    d = LLMPriorDecider(FakeBackend(_table(_leaning(qp_logodds=-1.0, regular_logodds=1.0))), seed=4)

    def reward(service, offload):
        good = bool(offload) == (service >= 3)
        return 20.0 if good else -10.0

    rng = np.random.default_rng(0)
    right = []
    for step in range(30):
        req = make_requests(rng.integers(0, 5, 20), rng.integers(0, 3, 20))
        off = d.decide(ctx_of(req, step))
        r = np.array([reward(s, o) for s, o in zip(req.service, off)])
        d.observe(ctx_of(req, step), off, outcome(r, np.zeros(20, bool)))
        right.append(np.mean(off == (req.service >= 3)))
    assert np.mean(right[:2]) < 0.3  # it starts wrong ...
    assert np.mean(right[-10:]) > 0.95  # ... and learns


def test_prior_scale_zero_is_a_plain_thompson_bandit():
    d = LLMPriorDecider(FakeBackend(_table(_leaning())), prior_scale=0.0, seed=0)
    req = make_requests(np.arange(1000) % 5, np.arange(1000) % 3)
    assert 0.4 < d.decide(ctx_of(req)).mean() < 0.6  # no prior: a coin per request


def test_backend_failure_is_counted_and_retried():
    fake = FakeBackend(_table(_leaning()), fail=True)
    d = LLMPriorDecider(fake, seed=0)
    req = make_requests(np.arange(20) % 5, np.arange(20) % 3)
    off = d.decide(ctx_of(req))
    assert off.dtype == bool and off.shape == (20,)
    assert d.stats["fallbacks"] == 20 and d.stats["llm_decisions"] == 0
    assert d.stats["backend_errors"] == 1
    fake.fail = False  # the server is back: the next slot scores the prior
    d.decide(ctx_of(req, 1))
    assert d.stats["llm_decisions"] == 20 and d.stats["fallbacks"] == 20
    assert len(fake.score_calls) == 2


def test_garbage_scores_are_a_failure():
    fake = FakeBackend(default=(-np.inf, -np.inf))
    d = LLMPriorDecider(fake, seed=0)
    d.decide(ctx_of(make_requests([0, 3], [0, 1])))
    assert d.stats["fallbacks"] == 2 and d.stats["backend_errors"] == 1
    assert d.prior() == {}  # retried (and still garbage)
    assert len(fake.score_calls) == 2


def test_candidates_outside_the_top_log_probs():
    # offload visible for two tuples only: the others get a bound below them (a prior that
    # leans local), not a missing prior
    vocab = B.vocabulary()
    table = {Q(k): (-1.0, -np.inf) for k in vocab}
    table[Q(("coding", "long"))] = (-1.0, -0.5)
    table[Q(("coding", "short"))] = (-1.0, -2.0)
    d = LLMPriorDecider(FakeBackend(table), seed=0)
    prior = d.prior()
    assert len(prior) == len(vocab)
    assert prior[("coding", "long")] > prior[("coding", "short")] > prior[("chatting", "short")]
    # never visible: no prior at all; fallbacks, not rescored every slot
    blind = FakeBackend({Q(k): (-1.0 - 0.1 * i, -np.inf) for i, k in enumerate(vocab)})
    d = LLMPriorDecider(blind, seed=0)
    req = make_requests([0, 3], [0, 1])
    d.decide(ctx_of(req))
    d.decide(ctx_of(req, 1))
    assert d.prior() == {} and d.stats["uninformative_prior"] == 1
    assert d.stats["fallbacks"] == 4 and len(blind.score_calls) == 1


class _GenerateOnly(Backend):
    supports_logprobs = False


@pytest.mark.parametrize("kwargs, exc, arg", [
    ({"prior_scale": -1.0}, ValueError, "prior_scale"),
    ({"prior_scale": float("inf")}, ValueError, "prior_scale"),
    ({"prior_scale": "2"}, ValueError, "prior_scale"),
    ({"calibrate": "platt"}, ValueError, "calibrate"),
    ({"backend": "gpt-4o"}, TypeError, "backend"),
    ({"backend": _GenerateOnly()}, ValueError, "scores candidates"),
    ({"builder": 3}, TypeError, "builder"),
])
def test_bad_arguments(kwargs, exc, arg):
    kwargs.setdefault("backend", FakeBackend())
    with pytest.raises(exc, match=arg):
        LLMPriorDecider(**kwargs)


def test_config_is_json():
    import json

    c = LLMPriorDecider(FakeBackend(), calibrate="batch", prior_scale=1.5, name="mine").config()
    assert c == {"name": "mine", "backend": {"name": "fake"}, "calibrate": "batch",
                 "prior_scale": 1.5, "keyword_fields": ["service", "size_level"]}
    json.dumps(c)


# -- the embedded SmolLM2 --------------------------------------------------------------------


def test_embedded_model_prior_ranks_quality_preferred_services_toward_the_cloud(embedded):
    d = LLMPriorDecider(embedded, seed=0)
    prior = d.prior()
    assert set(prior) == set(B.vocabulary())
    qp = np.mean([v for k, v in prior.items() if k[0] in QP])
    regular = np.mean([v for k, v in prior.items() if k[0] not in QP])
    assert qp > regular + 0.5  # in standardized units
    r = experiments.run(load_scenario("paper"), d, steps=3, seed=1, n_threads=1)
    assert r.meta["decider_stats"]["llm_decisions"] == 60
    assert r.meta["decider"]["name"] == "llm-prior"


# -- backend failure is never silent (CLI) ---------------------------------------------------


def _simulate(*extra, env=None):
    # a port nothing listens on; no API key: every scoring call fails
    argv = [sys.executable, "-m", "genoff.cli", "simulate", "--decider", "llm-prior",
            "--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9",
            "--steps", "2", "--no-progress", *extra]
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)


def test_cli_exits_nonzero_when_the_llm_decisions_fall_back(tmp_path):
    p = _simulate("--out", str(tmp_path / "a"))
    assert p.returncode == 3, p.stderr
    assert "100% of llm-prior's decisions fell back" in p.stderr
    assert "Traceback" not in p.stderr
    assert (tmp_path / "a" / "requests.parquet").is_file()  # nothing lost
    p = _simulate("--allow-fallbacks")
    assert p.returncode == 0, p.stderr
    assert "fell back" in p.stderr  # still said


def test_state_round_trip_continues_exactly(tmp_path):
    """save_state / load_state (resumed runs): the same decisions as an uninterrupted run."""
    from genoff.deciders.bandit import BanditDecider

    lo = _leaning()
    rng = np.random.default_rng(2)
    reqs = [make_requests(rng.integers(0, 5, 20), rng.integers(0, 3, 20)) for _ in range(8)]

    def play(d, steps):
        out = []
        for step in steps:
            off = d.decide(ctx_of(reqs[step], step))
            d.observe(ctx_of(reqs[step], step), off,
                      outcome(np.where(off, 3.0, 1.0) + step, np.zeros(20, bool)))
            out.append(off)
        return out

    for make in (lambda: LLMPriorDecider(FakeBackend(_table(lo)), seed=9),
                 lambda: BanditDecider(seed=9)):
        whole = play(make(), range(8))
        first = make()
        part = play(first, range(4))
        folder = tmp_path / type(first).__name__
        folder.mkdir()
        first.save_state(folder)
        fresh = make()
        fresh.load_state(folder)
        part += play(fresh, range(4, 8))
        assert all((a == b).all() for a, b in zip(whole, part))
        assert fresh.stats["decisions"] == 8 * 20  # the counters continue too
        if isinstance(fresh, LLMPriorDecider):
            assert len(fresh.backend.score_calls) == 0  # the prior came from the file
