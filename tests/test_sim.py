"""genoff.sim and genoff.deciders: the evaluator against eq. (1), (3), (4), (4e), (10) by
hand, the oracle against brute force (independent and load-aware edge), the dropped
network, and the step context the deciders see."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from genoff import deciders
from genoff.world.catalog import load_catalog
from genoff.world.scenario import Scenario, load_scenario
from genoff.sim import Evaluator, Network, Radio, StepContext
from genoff.world.tasks import QUALITY_PREFERRED, SERVICE_TYPES, Requests, TaskGenerator

LOAD_AWARE = {
    "llm.load_aware_edge": True,
    "llm.edge_batch_ttft_slope": 0.1,
    "llm.edge_batch_tpot_slope": 0.1,
}


def _requests(rng: np.random.Generator, num: int, *, quality_req=None) -> Requests:
    """``num`` requests with random services, sizes 1..4096 and (by default) the
    scenario-default requirements of their services."""
    service = rng.integers(0, len(SERVICE_TYPES), size=num)
    qp = np.isin(service, [SERVICE_TYPES.index(s) for s in QUALITY_PREFERRED])
    if quality_req is None:
        quality_req = np.where(qp, 68.5, 45.0)
    n_tokens = np.clip(np.rint(rng.lognormal(np.log(1000.0), 0.8, size=num)), 1, 4096)
    return Requests(
        user=np.arange(num),
        service=service,
        quality_preferred=qp,
        quality_req=quality_req,
        n_tokens=n_tokens.astype(np.int64),
        est_tokens=n_tokens.astype(np.float64),
        size_level=np.zeros(num, dtype=np.int64),
    )


def _radio(rng: np.random.Generator, num: int, mode: str) -> Radio:
    if mode == "analytic":
        return Radio(capacity_bps=10 ** rng.uniform(5.0, 8.0, size=num))
    return Radio(delay_s=rng.uniform(0.001, 2.0, size=num))


# ---------------------------------------------------------------------------------------
# Evaluator: eq. (1), (3), (4), (4e), (10) by hand


@pytest.mark.parametrize("mode", ["analytic", "tti"])
@pytest.mark.parametrize("decision", ["local", "offload", "mixed"])
@pytest.mark.parametrize(
    "edge, cloud, overrides",
    [
        ("llama3-8b", "gpt-4o", {}),  # the paper's defaults
        (
            "gemma-7b",
            "llama3-70b",
            {"reward.target_s": 35.0, "reward.penalty": 12.5, "reward.t_back_s": 0.25,
             "tasks.bytes_per_token": 3.0},
        ),
    ],
)
def test_evaluator_matches_equations_by_hand(edge, cloud, overrides, decision, mode):
    s = Scenario().with_overrides({"llm.edge": edge, "llm.cloud": cloud, **overrides})
    cat = load_catalog()
    m_edge, m_cloud = cat[edge], cat[cloud]
    rng = np.random.default_rng(3)
    num = 12
    # Requirements around both models' quality, including exactly equal (not a violation).
    qreq = np.array([45.0, 68.5, m_edge.quality, m_cloud.quality, 90.0, 0.0] * 2)
    req = _requests(rng, num, quality_req=qreq)
    radio = _radio(rng, num, mode)
    offload = {
        "local": np.zeros(num, dtype=bool),
        "offload": np.ones(num, dtype=bool),
        "mixed": rng.random(num) < 0.5,
    }[decision]

    ev = Evaluator(s)(req, offload, radio)

    r = s.reward
    for i in range(num):
        n = float(req.n_tokens[i])
        if mode == "analytic":
            radio_s = n * s.tasks.bytes_per_token * 8.0 / radio.capacity_bps[i]  # eq. (1)
        else:
            radio_s = radio.delay_s[i]
        alpha = 1.0 if offload[i] else 0.0
        t_tran = radio_s + alpha * r.t_back_s  # eq. (1)
        model = m_cloud if offload[i] else m_edge
        t_gen = model.ttft_s + n * model.tpot_s  # eq. (3), (4c), (4d)
        t_total = t_tran + t_gen  # eq. (4)
        violated = qreq[i] > model.quality  # eq. (4e)
        reward = r.target_s - t_total - r.penalty * violated  # eq. (10)
        assert ev.t_tran_s[i] == pytest.approx(t_tran, rel=1e-12)
        assert ev.t_gen_s[i] == pytest.approx(t_gen, rel=1e-12)
        assert ev.t_total_s[i] == pytest.approx(t_total, rel=1e-12)
        assert bool(ev.violated[i]) == violated
        assert ev.reward[i] == pytest.approx(reward, rel=1e-12, abs=1e-12)


def test_load_aware_edge_times_by_hand():
    s = Scenario().with_overrides(
        {"llm.load_aware_edge": True, "llm.edge_batch_ttft_slope": 0.2,
         "llm.edge_batch_tpot_slope": 0.05}
    )
    ev = Evaluator(s)
    edge, cloud = ev.edge, ev.cloud
    assert ev.load_aware
    for n in (0, 1, 2, 7, 20):
        ttft, tpot = ev.edge_times(n)
        k = max(n - 1, 0)
        assert ttft == pytest.approx(edge.ttft_s * (1 + 0.2 * k), rel=1e-12)
        assert tpot == pytest.approx(edge.tpot_s * (1 + 0.05 * k), rel=1e-12)

    rng = np.random.default_rng(0)
    req = _requests(rng, 6)
    radio = _radio(rng, 6, "analytic")
    offload = np.array([False, True, False, False, True, True])  # 3 kept at the edge
    out = ev(req, offload, radio)
    n = req.n_tokens.astype(float)
    want = np.where(
        offload,
        cloud.ttft_s + n * cloud.tpot_s,  # the cloud does not depend on load
        edge.ttft_s * (1 + 0.2 * 2) + n * edge.tpot_s * (1 + 0.05 * 2),
    )
    np.testing.assert_allclose(out.t_gen_s, want, rtol=1e-12)
    # An explicit load overrides the count of this call.
    out5 = ev(req, offload, radio, num_at_edge=5)
    want5 = np.where(offload, want, edge.ttft_s * 1.8 + n * edge.tpot_s * 1.2)
    np.testing.assert_allclose(out5.t_gen_s, want5, rtol=1e-12)


def test_load_aware_needs_the_flag_and_a_slope():
    base = Scenario()
    assert not Evaluator(base).load_aware
    # Slopes without the flag, or the flag with zero slopes: the paper's independent edge.
    assert not Evaluator(base.with_overrides({"llm.edge_batch_tpot_slope": 0.5})).load_aware
    assert not Evaluator(base.with_overrides({"llm.load_aware_edge": True})).load_aware
    ev = Evaluator(base.with_overrides({"llm.edge_batch_tpot_slope": 0.5}))
    assert ev.edge_times(20) == (ev.edge.ttft_s, ev.edge.tpot_s)


def test_evaluator_unknown_model_names_the_field():
    s = Scenario().with_overrides({"llm.cloud": "gpt-5-turbo"})
    with pytest.raises(KeyError, match=r"llm\.cloud = 'gpt-5-turbo' is not in the catalog"):
        Evaluator(s)


# ---------------------------------------------------------------------------------------
# Oracle: exact on exhaustive small cases


def _brute_force(ev: Evaluator, req: Requests, radio: Radio) -> float:
    best = -np.inf
    for bits in itertools.product((False, True), repeat=len(req)):
        best = max(best, float(ev(req, np.array(bits), radio).reward.sum()))
    return best


ORACLE_CASES = [
    ("paper models, independent edge", {}),
    ("fast cloud, independent edge", {"llm.edge": "gpt-4o", "llm.cloud": "gemma-7b"}),
    ("paper models, load-aware edge", LOAD_AWARE),
    (
        "fast cloud, load-aware edge",
        {"llm.edge": "gpt-4o", "llm.cloud": "gemma-7b", **LOAD_AWARE},
    ),
    (
        "steep load, big penalty",
        {"llm.load_aware_edge": True, "llm.edge_batch_ttft_slope": 0.7,
         "llm.edge_batch_tpot_slope": 0.3, "reward.penalty": 60.0},
    ),
]


@pytest.mark.parametrize("mode", ["analytic", "tti"])
@pytest.mark.parametrize("label, overrides", ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_oracle_is_optimal_by_brute_force(label, overrides, mode):
    s = Scenario().with_overrides(overrides)
    ev = Evaluator(s)
    rng = np.random.default_rng(11)
    greedy_suboptimal = 0
    for num in range(1, 9):
        for _ in range(3):
            req = _requests(rng, num)
            radio = _radio(rng, num, mode)
            best = ev.oracle(req, radio)
            assert best.dtype == bool and best.shape == (num,)
            total = float(ev(req, best, radio).reward.sum())
            assert total == pytest.approx(_brute_force(ev, req, radio), rel=1e-12, abs=1e-9)
            # The per-request rule (each request alone at the edge) for comparison.
            cloud = ev(req, np.ones(num, dtype=bool), radio).reward
            alone = ev(req, np.zeros(num, dtype=bool), radio, num_at_edge=1).reward
            greedy = float(ev(req, cloud > alone, radio).reward.sum())
            greedy_suboptimal += greedy < total - 1e-9
    if ev.load_aware:
        # The cases really couple through the edge load (else this test proves little).
        assert greedy_suboptimal > 0
    else:
        assert greedy_suboptimal == 0


def test_oracle_ties_stay_at_the_edge():
    # A model pair with equal times and quality: both decisions give equal reward except
    # the backhaul; with t_back = 0 they tie exactly and the oracle keeps them local.
    s = Scenario().with_overrides(
        {"llm.edge": "llama3-70b", "llm.cloud": "llama2-70b", "reward.t_back_s": 0.0}
    )
    ev = Evaluator(s)
    rng = np.random.default_rng(2)
    req = _requests(rng, 5, quality_req=np.full(5, 50.0))
    radio = _radio(rng, 5, "analytic")
    assert not ev.oracle(req, radio).any()


def test_load_aware_edge_makes_offloading_regular_tasks_pay_off():
    base = load_scenario("paper")  # 20 users in the centre cell
    aware = base.with_overrides(LOAD_AWARE)
    net = Network(base, np.random.default_rng(4), n_threads=1)
    tasks = TaskGenerator(base.tasks)
    ev_plain, ev_aware = Evaluator(base), Evaluator(aware)
    task_rng = np.random.default_rng(5)
    offloaded_plain = offloaded_aware = 0
    for step in range(3):
        req = tasks.sample(task_rng, np.arange(net.num_ue))
        assert len(req) == 20
        radio = net.radio(req, seed=step)
        regular = ~req.quality_preferred
        assert regular.any()
        plain = ev_plain.oracle(req, radio)
        aware_best = ev_aware.oracle(req, radio)
        offloaded_plain += int(np.count_nonzero(plain & regular))
        offloaded_aware += int(np.count_nonzero(aware_best & regular))
        # Under load, the load-aware oracle beats acting as if the edge were unloaded.
        assert (
            ev_aware(req, aware_best, radio).reward.sum()
            > ev_aware(req, plain, radio).reward.sum()
        )
    assert offloaded_plain == 0
    assert offloaded_aware > 0


# ---------------------------------------------------------------------------------------
# Network


def _small(**overrides) -> Scenario:
    return load_scenario("paper").with_overrides(
        {"layout.users_per_cell": 8, "scheduler.num_tti": 300, **overrides}
    )


def test_network_capacity_positive_and_deterministic_per_seed():
    s = _small()
    a = Network(s, np.random.default_rng(1), n_threads=1)
    b = Network(s, np.random.default_rng(1), n_threads=1)
    c = Network(s, np.random.default_rng(2), n_threads=1)
    assert a.num_ue == s.num_users == 8
    assert a.gain.shape == (8, s.num_cells, 1)
    assert a.serving.shape == (8,)
    cap = a.capacity(seed=9)
    assert cap.shape == (8,)
    assert np.all(np.isfinite(cap)) and np.all(cap > 0)
    # Users get at most what one cell's whole band could carry at a huge SINR.
    assert np.all(cap < s.radio.num_rb * s.radio.rb_bandwidth_hz * 30)
    np.testing.assert_array_equal(a.gain, b.gain)
    np.testing.assert_array_equal(a.serving, b.serving)
    np.testing.assert_array_equal(cap, b.capacity(seed=9))
    assert not np.array_equal(a.gain, c.gain)
    assert not np.array_equal(cap, c.capacity(seed=9))


def test_network_radio_analytic_mode_gives_capacity_of_the_requesting_users():
    s = _small()
    net = Network(s, np.random.default_rng(3), n_threads=1)
    req = TaskGenerator(s.tasks).sample(np.random.default_rng(0), np.array([5, 0, 5, 2]))
    radio = net.radio(req, seed=1)
    assert radio.delay_s is None
    np.testing.assert_array_equal(radio.capacity_bps, net.capacity(seed=1)[[5, 0, 5, 2]])
    assert radio.column[0] == "capacity_bps"


def test_network_tti_delivery_delays_positive_and_grow_with_content():
    s = _small(**{"transmission.mode": "tti"})
    net = Network(s, np.random.default_rng(3), n_threads=1)
    tti = s.scheduler.tti_s
    users = np.arange(net.num_ue)
    small = net.delivery_delay(users, np.full(net.num_ue, 2_000.0), seed=4)
    large = net.delivery_delay(users, np.full(net.num_ue, 40_000.0), seed=4)
    for d in (small, large):
        assert d.shape == (net.num_ue,)
        assert np.all(np.isfinite(d)) and np.all(d >= tti)
        np.testing.assert_allclose(d / tti, np.round(d / tti), atol=1e-6)  # whole TTIs
    assert np.all(large > small)
    # One user alone: strictly longer for every larger content; deterministic per seed.
    alone = [
        float(net.delivery_delay(np.array([1]), np.array([b]), seed=4)[0])
        for b in (1e3, 1e4, 1e5, 1e6)
    ]
    assert all(x < y for x, y in zip(alone, alone[1:]))
    np.testing.assert_array_equal(
        small, net.delivery_delay(users, np.full(net.num_ue, 2_000.0), seed=4)
    )

    # Network.radio in tti mode drains n_tokens * bytes_per_token per request.
    req = TaskGenerator(s.tasks).sample(np.random.default_rng(0), users)
    radio = net.radio(req, seed=4)
    assert radio.capacity_bps is None and radio.column[0] == "radio_delay_s"
    np.testing.assert_array_equal(
        radio.delay_s,
        net.delivery_delay(req.user, req.n_tokens * s.tasks.bytes_per_token, seed=4),
    )


# ---------------------------------------------------------------------------------------
# StepContext and the deciders


@pytest.mark.parametrize("overrides", [{}, LOAD_AWARE], ids=["independent", "load-aware"])
def test_step_context_evaluate_equals_evaluator(overrides):
    s = Scenario().with_overrides(overrides)
    ev = Evaluator(s)
    rng = np.random.default_rng(8)
    req = _requests(rng, 10)
    radio = _radio(rng, 10, "analytic")
    ctx = StepContext(0, req, radio, ev)
    for offload in (np.zeros(10, bool), np.ones(10, bool), rng.random(10) < 0.5):
        got, want = ctx.evaluate(offload), ev(req, offload, radio)
        for name in ("t_tran_s", "t_gen_s", "t_total_s", "violated", "reward"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    np.testing.assert_array_equal(deciders.Oracle().decide(ctx), ev.oracle(req, radio))


def test_reference_deciders():
    rng = np.random.default_rng(8)
    req = _requests(rng, 50)
    ctx = StepContext(0, req, _radio(rng, 50, "analytic"), Evaluator(Scenario()))
    assert not deciders.AlwaysLocal().decide(ctx).any()
    assert deciders.AlwaysOffload().decide(ctx).all()
    r1, r2 = deciders.Random(seed=3), deciders.Random(seed=3)
    a = r1.decide(ctx)
    assert a.dtype == bool and a.shape == (50,) and 0 < a.sum() < 50
    np.testing.assert_array_equal(a, r2.decide(ctx))
    r1.reset(3)
    np.testing.assert_array_equal(a, r1.decide(ctx))
    assert not deciders.Random(p=0.0, seed=1).decide(ctx).any()
    assert deciders.Random(p=1.0, seed=1).decide(ctx).all()
    assert deciders.Random(p=0.25).config() == {"name": "random", "p": 0.25}
    with pytest.raises(ValueError, match="p must"):
        deciders.Random(p=1.5)
    for name in ("oracle", "local", "offload", "random"):
        assert deciders.make_decider(name).name == name
    with pytest.raises(ValueError, match="decider must be one of.*'nope'"):
        deciders.make_decider("nope")
