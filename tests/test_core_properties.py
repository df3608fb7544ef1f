"""Properties of the core that users rely on, checked against theory rather than code.

(a) a fresh PF scheduler's first TTI is max-rate; (b) equal channels get equal shares;
(c) symmetric Rayleigh users reach the multi-user-diversity rate; (d) PF throughputs
satisfy Kelly's optimality inequality against other schedulers; (e) finite-buffer
delivery times are those of the arithmetic, FIFO, causal, and idle cells do not
interfere; (f) evaluate is eq. (1), (3), (4), (4e), (10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import genoff.core as core

RB_HZ = 180e3


# ---------------------------------------------------------------------------- (a)


@given(
    st.integers(1, 7),
    st.integers(1, 3),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.5, 0.9, 0.98]),
    st.booleans(),
)
def test_first_tti_of_fresh_scheduler_is_max_rate(num_ue, num_cell, num_rb, seed, beta, elig):
    r = np.random.default_rng(seed)
    serving = r.integers(0, num_cell, num_ue)
    rate = r.integers(0, 4, (num_ue, num_rb)) * 1e6  # many ties
    eligible = r.random(num_ue) < 0.6 if elig else np.ones(num_ue, dtype=bool)
    pf = core.PFScheduler(num_ue, serving, num_cell, beta)
    alloc = pf.step(rate, eligible if elig else None)
    want = np.full((num_cell, num_rb), -1)
    for j in range(num_cell):
        for q in range(num_rb):
            best = -1.0
            for k in range(num_ue):  # ascending: ties stay with the lowest index
                if serving[k] == j and eligible[k] and rate[k, q] > best:
                    best, want[j, q] = rate[k, q], k
    assert np.array_equal(alloc, want)
    # step 1 ran first: T = beta * 1 + (1 - beta) * 0; step 3: r_last = served rate
    np.testing.assert_array_equal(pf.avg_rate, np.full(num_ue, beta))
    served = np.zeros(num_ue)
    for j in range(num_cell):
        for q in range(num_rb):
            if want[j, q] >= 0:
                served[want[j, q]] += rate[want[j, q], q]
    np.testing.assert_array_equal(pf.last_rate, served)


def test_second_tti_follows_pf_metric():
    # two users, one RB: user 1 is better but user 0 was just starved
    pf = core.PFScheduler(2, [0, 0], 1, beta=0.5)
    assert pf.step([[1.0], [3.0]]).tolist() == [[1]]
    # T = [0.25, 0.25 + 1.5] -> metrics [4, 1.714]: user 0 now wins
    assert pf.step([[1.0], [3.0]]).tolist() == [[0]]
    np.testing.assert_allclose(pf.avg_rate, [0.25, 1.75], rtol=1e-15)


# ---------------------------------------------------------------------------- (b)


def test_equal_static_channels_give_equal_rb_shares():
    num_rb = 10
    noise = 1e-13
    gain = np.ones((4, 1, num_rb)) * noise * 10.0 ** np.linspace(0, 2, num_rb)
    res = core.run_full_buffer(gain, np.ones((1, num_rb)), noise, [0, 0, 0, 0], RB_HZ, num_tti=400)
    np.testing.assert_allclose(res.rb_share, 0.25, atol=0.01)
    np.testing.assert_allclose(res.throughput_bps, res.throughput_bps.mean(), rtol=0.02)
    assert res.rb_share.sum() == pytest.approx(1.0, rel=1e-12)


def test_static_flat_channels_give_equal_time_shares_whatever_the_snr():
    """PF maximizes sum log(share_k r_k): with static rates that is equal time shares."""
    noise = 1e-13
    gain = np.array([1.0, 10.0, 100.0])[:, None, None] * noise
    res = core.run_full_buffer(gain, np.ones((1, 8)), noise, [0, 0, 0], RB_HZ, num_tti=600)
    np.testing.assert_allclose(res.rb_share, 1 / 3, atol=0.01)
    assert res.throughput_bps[0] < res.throughput_bps[1] < res.throughput_bps[2]


# ---------------------------------------------------------------------------- (c)


def mud_spectral_efficiency(n: int, rho: float) -> float:
    """E[log2(1 + rho X)] with X the max of n i.i.d. Exp(1): pdf n e^-x (1 - e^-x)^(n-1)."""
    x = np.linspace(0.0, 60.0, 600_001)
    pdf = n * np.exp(-x) * (-np.expm1(-x)) ** (n - 1)
    assert np.trapezoid(pdf, x) == pytest.approx(1.0, abs=1e-6)
    return float(np.trapezoid(np.log2(1.0 + rho * x) * pdf, x))


@pytest.mark.parametrize("n", [4, 8])
@pytest.mark.parametrize("rho_db", [0.0, 10.0])
def test_symmetric_rayleigh_users_reach_multi_user_diversity_rate(n, rho_db):
    num_rb, num_tti = 50, 400
    rho = 10.0 ** (rho_db / 10)
    noise = 1e-13
    gain = np.full((n, 1, 1), rho * noise)  # same large-scale gain for all, P = 1 W per RB
    res = core.run_full_buffer(gain, np.ones((1, num_rb)), noise, np.zeros(n, int), RB_HZ,
                               num_tti=num_tti, fading="rayleigh", seed=2024 + n)
    se = res.throughput_bps.sum() / num_rb / RB_HZ  # bit/s/Hz per RB
    want = mud_spectral_efficiency(n, rho)
    assert se == pytest.approx(want, rel=0.02)
    # and clearly above the single-user (no diversity) rate
    assert se > 1.15 * mud_spectral_efficiency(1, rho)
    np.testing.assert_allclose(res.rb_share, 1 / n, atol=0.02)  # symmetric users share fairly


# ---------------------------------------------------------------------------- (d)


def test_kelly_inequality_against_round_robin_max_rate_and_max_weight():
    r = np.random.default_rng(0)
    n, num_rb, num_tti = 5, 12, 2000
    noise = 1e-13
    mean_snr = 10.0 ** (np.array([0.0, 5.0, 10.0, 15.0, 20.0]) / 10)
    gain = (mean_snr * noise)[None, :, None, None] * r.exponential(size=(num_tti, n, 1, num_rb))
    tx = np.ones((1, num_rb))
    pf = core.run_full_buffer(gain, tx, noise, np.zeros(n, int), RB_HZ).throughput_bps
    # the same per-TTI rates, computed with the core's kernels: (t, k) flattened into users
    s = core.sinr(gain.reshape(num_tti * n, 1, num_rb), tx, np.ones((1, num_rb), bool), noise,
                  np.zeros(num_tti * n, int))
    rate = core.shannon_rate(s, RB_HZ).reshape(num_tti, n, num_rb)

    def throughput(owner):  # owner [num_tti, num_rb] -> per-user mean rate
        return np.array([(rate[:, k, :] * (owner == k)).sum() / num_tti for k in range(n)])

    rr_rb = (np.arange(num_tti)[:, None] * num_rb + np.arange(num_rb)) % n
    rr_tti = np.broadcast_to((np.arange(num_tti) % n)[:, None], (num_tti, num_rb))
    others = {
        "round robin per RB": throughput(rr_rb),
        "round robin per TTI": throughput(rr_tti),
        "max rate": throughput(rate.argmax(axis=1)),
        # the tightest competitor: max-weight with PF's own weights 1 / T_PF
        "max weight 1/T_PF": throughput((rate / pf[None, :, None]).argmax(axis=1)),
    }
    for i in range(5):
        w = np.exp(r.normal(0.0, 1.0, n)) / pf
        others[f"max weight random {i}"] = throughput((rate * w[None, :, None]).argmax(axis=1))
    for name, t_other in others.items():
        assert np.sum(t_other / pf) <= n * 1.02, name
    # PF is not max-rate: the weakest user gets a real share
    assert pf[0] > 100 * others["max rate"][0]


# ---------------------------------------------------------------------------- (e)


def one_user_capacity(gain, tx, noise):
    s = core.sinr(gain, tx, np.ones(tx.shape, bool), noise, [0])
    return core.shannon_rate(s, RB_HZ).sum()


@given(st.floats(10.0, 2e5), st.integers(0, 30), st.sampled_from([1e-3, 0.5e-3]))
def test_single_request_delivery_time_is_ceil_bits_over_rate(nbytes, arrival, tti_s):
    num_rb = 6
    gain = 1e-10 * np.linspace(1.0, 3.0, num_rb)[None, None, :]
    tx = np.full((1, num_rb), 0.2)
    noise = 1e-14
    cap = one_user_capacity(gain, tx, noise)
    ratio = nbytes * 8.0 / (cap * tti_s)
    assume(abs(ratio - round(ratio)) > 1e-6)  # away from an exact multiple (rounding)
    n = math.ceil(ratio)
    res = core.run_finite_buffer(gain, tx, noise, [0], RB_HZ, request_ue=[0],
                                 request_tti=[arrival], request_bytes=[nbytes],
                                 num_tti=arrival + n + 5, tti_s=tti_s)
    assert res.completion_tti.tolist() == [arrival + n - 1]
    assert res.delay_s[0] == pytest.approx(n * tti_s, rel=1e-12)
    assert res.num_tti_run == arrival + n  # stops once everything is delivered
    # too short a horizon: not delivered
    short = core.run_finite_buffer(gain, tx, noise, [0], RB_HZ, request_ue=[0],
                                   request_tti=[arrival], request_bytes=[nbytes],
                                   num_tti=arrival + n - 1, tti_s=tti_s)
    assert short.completion_tti.tolist() == [-1]
    assert np.isnan(short.delay_s[0])


@given(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 12),
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, "rayleigh"]),
)
def test_finite_buffer_is_causal_and_fifo(num_ue, num_rb, num_req, seed, fading):
    r = np.random.default_rng(seed)
    gain = 10.0 ** r.uniform(-11, -9, (num_ue, 2, num_rb))
    serving = r.integers(0, 2, num_ue)
    ue = r.integers(0, num_ue, num_req)
    tti = r.integers(0, 30, num_req)
    nbytes = 10.0 ** r.uniform(2, 4, num_req)
    res = core.run_finite_buffer(gain, np.full((2, num_rb), 0.2), 1e-14, serving, RB_HZ,
                                 request_ue=ue, request_tti=tti, request_bytes=nbytes,
                                 num_tti=60, fading=fading, seed=seed)
    done = res.completion_tti
    assert np.all((done == -1) | (done >= tti))  # never before its arrival
    for k in range(num_ue):
        mine = np.flatnonzero(ue == k)
        fifo = mine[np.lexsort((mine, tti[mine]))]  # by arrival, then index
        d = done[fifo]
        delivered = d[d >= 0]
        assert np.all(np.diff(delivered) >= 0)  # in order
        # once one is undelivered, every later one is too
        if np.any(d < 0):
            assert np.all(d[np.argmax(d < 0):] == -1)


def _two_cell_delay(b_present, b_has_data):
    """Delivery TTI of user A (cell 0) next to user B (cell 1) that strongly interferes."""
    num_rb = 4
    a_gain = [[1e-9] * num_rb, [3e-10] * num_rb]
    b_gain = [[3e-10] * num_rb, [1e-9] * num_rb]
    gain = np.array([a_gain, b_gain] if b_present else [a_gain])
    serving = [0, 1] if b_present else [0]
    ue, tti, nbytes = [0], [0], [20_000.0]
    if b_has_data:
        ue, tti, nbytes = [0, 1], [0, 0], [20_000.0, 200_000.0]
    res = core.run_finite_buffer(gain, np.full((2, num_rb), 0.2), 1e-14, serving, RB_HZ,
                                 request_ue=ue, request_tti=tti, request_bytes=nbytes,
                                 num_tti=500)
    return res.completion_tti[0]


def test_idle_cells_do_not_interfere():
    alone = _two_cell_delay(b_present=False, b_has_data=False)
    b_idle = _two_cell_delay(b_present=True, b_has_data=False)
    b_busy = _two_cell_delay(b_present=True, b_has_data=True)
    assert alone >= 0 and alone == b_idle
    assert b_busy > b_idle


def test_background_cells_interfere_in_finite_buffer_runs():
    gain = np.array([[[1e-9] * 4, [3e-10] * 4]])
    kw = dict(request_ue=[0], request_tti=[0], request_bytes=[20_000.0], num_tti=500)
    quiet = core.run_finite_buffer(gain, np.full((2, 4), 0.2), 1e-14, [0], RB_HZ, **kw)
    loud = core.run_finite_buffer(gain, np.full((2, 4), 0.2), 1e-14, [0], RB_HZ,
                                  background=[False, True], **kw)
    assert loud.completion_tti[0] > quiet.completion_tti[0]


def test_full_buffer_matches_finite_buffer_with_infinite_demand():
    """With every user holding more data than the horizon drains, the two modes agree."""
    r = np.random.default_rng(3)
    gain = 10.0 ** r.uniform(-11, -9, (4, 2, 5))
    tx, serving = np.full((2, 5), 0.2), [0, 0, 1, 1]
    full = core.run_full_buffer(gain, tx, 1e-14, serving, RB_HZ, num_tti=50, fading="rayleigh",
                                seed=4)
    fin = core.run_finite_buffer(gain, tx, 1e-14, serving, RB_HZ, request_ue=[0, 1, 2, 3],
                                 request_tti=[0, 0, 0, 0], request_bytes=[1e12] * 4, num_tti=50,
                                 fading="rayleigh", seed=4)
    np.testing.assert_allclose(fin.throughput_bps, full.throughput_bps, rtol=1e-12)
    np.testing.assert_allclose(fin.avg_rate_bps, full.avg_rate_bps, rtol=1e-12)
    assert np.all(fin.completion_tti == -1)


# ---------------------------------------------------------------------------- (f)


def test_evaluate_hand_computed_analytic():
    ev = core.evaluate([1000, 1000, 500], [False, True, True], capacity_bps=[1e6, 1e6, 2e5],
                       quality_req=[80.0, 80.0, 90.0])
    radio = np.array([1000 * 4 * 8 / 1e6, 1000 * 4 * 8 / 1e6, 500 * 4 * 8 / 2e5])
    t_tran = radio + np.array([0.0, 0.1, 0.1])  # eq. (1): backhaul only when offloaded
    t_gen = np.array([0.23 + 1000 / 75, 0.42 + 1000 / 32, 0.42 + 500 / 32])  # eq. (3), (4c,d)
    violated = np.array([True, False, True])  # 80 > 68.4; 80 <= 88.7; 90 > 88.7
    np.testing.assert_allclose(ev.t_tran_s, t_tran, rtol=1e-15)
    np.testing.assert_allclose(ev.t_gen_s, t_gen, rtol=1e-15)
    np.testing.assert_allclose(ev.t_total_s, t_tran + t_gen, rtol=1e-15)  # eq. (4): delays add
    assert ev.violated.tolist() == violated.tolist()
    np.testing.assert_allclose(ev.reward, 40.0 - (t_tran + t_gen) - 30.0 * violated, rtol=1e-14)
    assert ev.reward[0] == pytest.approx(40 - 0.032 - 0.23 - 1000 / 75 - 30)


def test_evaluate_hand_computed_tti_mode_and_custom_models():
    ev = core.evaluate(200, [False, True], radio_delay_s=[0.05, 0.25], quality_req=70.0,
                       bytes_per_token=2.0, t_back_s=0.2, ttft_edge_s=0.1, tpot_edge_s=0.01,
                       ttft_cloud_s=0.3, tpot_cloud_s=0.02, quality_edge=75.0,
                       quality_cloud=72.0, target_s=10.0, penalty=5.0)
    np.testing.assert_allclose(ev.t_tran_s, [0.05, 0.45], rtol=1e-15)  # bytes_per_token unused
    np.testing.assert_allclose(ev.t_gen_s, [0.1 + 2.0, 0.3 + 4.0], rtol=1e-15)
    assert ev.violated.tolist() == [False, False]
    np.testing.assert_allclose(ev.reward, [10.0 - 2.15, 10.0 - 4.75], rtol=1e-15)


def test_evaluate_quality_equal_to_model_is_not_a_violation():
    ev = core.evaluate(10, [False, True], capacity_bps=1e6, quality_req=[68.4, 88.7])
    assert ev.violated.tolist() == [False, False]


@given(
    st.floats(0, 1000),
    st.floats(1e5, 1e9),
    st.floats(68.4, 88.7, exclude_min=True),
    st.floats(0.0, 2.0),
)
def test_oracle_offloads_when_edge_quality_is_too_low(tokens, cap, q, radio_delay):
    """Above the edge model's quality only offloading avoids the penalty; for contents up to
    1000 tokens (default models) that makes offloading the better decision."""
    for kw in ({"capacity_bps": cap}, {"radio_delay_s": radio_delay}):
        local = core.evaluate(tokens, False, quality_req=q, **kw)
        cloud = core.evaluate(tokens, True, quality_req=q, **kw)
        assert local.violated[0] and not cloud.violated[0]
        extra_time = 0.1 + 0.42 - 0.23 + tokens * (1 / 32 - 1 / 75)
        assert cloud.reward[0] - local.reward[0] == pytest.approx(30.0 - extra_time, abs=1e-9)
        assert cloud.reward[0] > local.reward[0]


def test_oracle_keeps_local_when_quality_allows():
    ev_local = core.evaluate(1000, False, capacity_bps=1e6, quality_req=50.0)
    ev_cloud = core.evaluate(1000, True, capacity_bps=1e6, quality_req=50.0)
    assert not ev_local.violated[0] and not ev_cloud.violated[0]
    assert ev_local.reward[0] > ev_cloud.reward[0]  # the edge model is faster here
