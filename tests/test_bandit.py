"""The tabular bandit (the simplest learner an LLM decider must beat) and its reward table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_icl_decider import ctx_of, make_requests, outcome

from genoff import experiments
from genoff.deciders.bandit import BanditDecider, RewardTable
from genoff.deciders import make_decider
from genoff.deciders.icl import PromptBuilder
from genoff.world.scenario import load_scenario


def _learn(d, reward_of, steps, n=30, seed=0):
    """Run ``d`` on random requests; ``reward_of(service, offload) -> reward``."""
    rng = np.random.default_rng(seed)
    history = []
    for step in range(steps):
        req = make_requests(rng.integers(0, 5, n), rng.integers(0, 3, n))
        off = d.decide(ctx_of(req, step))
        r = np.array([reward_of(s, o) for s, o in zip(req.service, off)], dtype=float)
        d.observe(ctx_of(req, step), off, outcome(r, np.zeros(n, bool)))
        history.append((req, off))
    return history


def test_untried_actions_come_first():
    d = BanditDecider(epsilon=0.0, seed=0)
    req = make_requests([0], [1])  # (chatting, middle)
    first = bool(d.decide(ctx_of(req))[0])
    d.observe(ctx_of(req), np.array([first]), outcome([10.0], [False]))
    second = bool(d.decide(ctx_of(req))[0])
    assert second != first  # the other action, still untried
    d.observe(ctx_of(req), np.array([second]), outcome([5.0], [False]))
    assert d.stats["untried"] == 2
    # both tried, epsilon 0: the better mean from now on
    assert [bool(d.decide(ctx_of(req))[0]) for _ in range(5)] == [first] * 5


def test_learns_the_better_action_of_every_keyword_tuple():
    # quality-preferred services (3, 4) earn more offloaded, regular ones locally
    def reward_of(service, offload):
        return 20.0 if bool(offload) == (service >= 3) else 5.0

    d = BanditDecider(epsilon=0.1, seed=1)
    hist = _learn(d, reward_of, steps=30)
    req, off = hist[-1]
    right = off == (req.service >= 3)
    assert right.mean() >= 0.85  # only exploration (epsilon 0.1: ~5 % wrong) is left
    assert d.stats["explored"] > 0
    for kw in d.table.keys():
        m = d.table.means(kw)
        qp = kw[0] in ("science reasoning", "coding")
        assert (m[1] > m[0]) == qp, kw


def test_epsilon_explores_at_its_rate_and_seeds_repeat():
    def reward_of(service, offload):
        return 10.0 if not offload else 0.0

    a = BanditDecider(epsilon=0.3, seed=7)
    hist = _learn(a, reward_of, steps=40, n=50)
    late = np.concatenate([off for _, off in hist[10:]])
    assert 0.09 < late.mean() < 0.21  # about epsilon / 2 random offloads
    b = BanditDecider(epsilon=0.3, seed=7)
    hist_b = _learn(b, reward_of, steps=40, n=50)
    assert all((x == y).all() for (_, x), (_, y) in zip(hist, hist_b))
    b.reset(7)
    assert b.table.keys() == [] and b.stats["decisions"] == 0


def test_keys_are_exactly_the_prompt_keywords():
    builder = PromptBuilder(("size_level", "quality_requirement"))
    d = BanditDecider(builder=builder, seed=0)
    req = make_requests([0, 3, 4], [0, 2, 2])
    off = d.decide(ctx_of(req))
    d.observe(ctx_of(req), off, outcome([1.0, 2.0, 3.0], [False] * 3))
    assert d.table.keys() == sorted(set(builder.keywords(req)))
    assert d.table.counts(("long", "high")).sum() == 2


@pytest.mark.parametrize("kwargs, exc, arg", [
    ({"epsilon": 1.5}, ValueError, "epsilon"),
    ({"epsilon": True}, ValueError, "epsilon"),
    ({"epsilon": "0.1"}, ValueError, "epsilon"),
    ({"builder": "service"}, TypeError, "builder"),
])
def test_bad_arguments_name_themselves(kwargs, exc, arg):
    with pytest.raises(exc, match=arg):
        BanditDecider(**kwargs)


def test_reward_table_statistics_and_round_trip():
    rng = np.random.default_rng(3)
    t = RewardTable()
    values = {("a",): (rng.normal(5, 2, 40), rng.normal(1, 1, 7)), ("b",): (rng.normal(0, 3, 3), [])}
    for kw, (loc, off) in values.items():
        for v in loc:
            t.update(kw, 0, v)
        for v in off:
            t.update(kw, 1, v)
    np.testing.assert_allclose(t.means(("a",)), [np.mean(values[("a",)][0]), np.mean(values[("a",)][1])])
    np.testing.assert_array_equal(t.counts(("b",)), [3, 0])
    count, mean, within, total = t.pooled()
    every = np.concatenate([np.concatenate([np.asarray(x, float) for x in v]) for v in values.values()])
    assert count == every.size
    assert mean == pytest.approx(every.mean())
    assert total == pytest.approx(every.var(ddof=1))
    cells = [values[("a",)][0], values[("a",)][1], values[("b",)][0]]
    ss = sum(((np.asarray(c) - np.mean(c)) ** 2).sum() for c in cells)
    assert within == pytest.approx(ss / (every.size - len(cells)))
    back = RewardTable.from_dict(json.loads(json.dumps(t.to_dict())))
    assert back.to_dict() == t.to_dict()
    with pytest.raises(ValueError, match="reward must be finite"):
        t.update(("a",), 0, float("nan"))
    with pytest.raises(ValueError, match="action"):
        t.update(("a",), 2, 1.0)
    with pytest.raises(ValueError, match="cell"):
        RewardTable.from_dict({"cells": [{"keywords": ["a"], "local": [1, 2], "offload": [0, 0, 0]}]})


def test_the_bandit_learns_in_the_paper_scenario():
    """On the paper's scenario the bandit ends well above always-local (same requests)."""
    sc = load_scenario("paper")
    bandit = experiments.run(sc, make_decider("bandit"), steps=20, seed=5, n_threads=1).table
    local = experiments.run(sc, make_decider("local"), steps=20, seed=5, n_threads=1).table
    late = lambda t: t[t.step >= 10]  # noqa: E731
    assert (late(bandit).reward.sum() / late(bandit).oracle_reward.sum()
            > late(local).reward.sum() / late(local).oracle_reward.sum() + 0.1)
    assert bandit.oracle_reward.equals(local.oracle_reward)  # the same requests
