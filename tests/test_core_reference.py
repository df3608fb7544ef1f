"""genoff.core against its NumPy twin genoff._reference on generated inputs.

The two implementations are written independently (C++ loops vs. vectorized NumPy), so
agreement on random inputs is strong evidence that both implement SPEC Sec. 1. Discrete
decisions (PF allocations, completion TTIs) must agree exactly, including how ties are
broken; continuous outputs agree to rounding (the core uses its own log, so rates may
differ in the last ulp).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import genoff._reference as ref
import genoff.core as core

RTOL = 1e-12
RB_HZ = 180e3


# ---------------------------------------------------------------------------- helpers


def make_system(seed, num_ue, num_cell, num_rb, *, flat=False, dtype=np.float64,
                scalar_noise=False, scalar_bw=False):
    """A random multi-cell system with continuous gains (near-ties are improbable)."""
    r = np.random.default_rng(seed)
    gain = (10.0 ** r.uniform(-13, -7, (num_ue, num_cell, 1 if flat else num_rb))).astype(dtype)
    tx = r.uniform(0.05, 1.0, (num_cell, num_rb))
    noise = 1e-14 if scalar_noise else r.uniform(0.5, 2.0, num_rb) * 1e-14
    bw = RB_HZ if scalar_bw else r.uniform(0.5, 2.0, num_rb) * RB_HZ
    serving = r.integers(0, num_cell, num_ue)
    return gain, tx, noise, serving, bw


dims = st.tuples(
    st.integers(1, 6),  # num_ue
    st.integers(1, 3),  # num_cell
    st.one_of(st.integers(1, 7), st.integers(8, 40)),  # num_rb (the core blocks by 8 and 32)
    st.integers(0, 2**32 - 1),  # seed
)


def tie_rates(r, num_ue, num_rb):
    """Rates from a small integer set times a constant: ties are frequent."""
    return r.integers(0, 4, (num_ue, num_rb)) * 1.5e6


def tie_avgs(r, num_ue):
    return r.choice([0.5e6, 1e6, 1.5e6, 3e6], num_ue)


def assert_valid_alloc(alloc, serving, num_cell, eligible=None):
    """Every allocated user belongs to the cell and is eligible."""
    assert alloc.dtype == np.int64
    for j in range(num_cell):
        for k in alloc[j]:
            if k >= 0:
                assert serving[k] == j
                if eligible is not None:
                    assert eligible[k]


# ---------------------------------------------------------------------------- sinr


@given(dims, st.booleans(), st.booleans())
def test_sinr_float64_matches_reference(d, flat, scalar_noise):
    num_ue, num_cell, num_rb, seed = d
    gain, tx, noise, serving, _ = make_system(seed, num_ue, num_cell, num_rb, flat=flat,
                                              scalar_noise=scalar_noise)
    active = np.random.default_rng(seed + 1).random((num_cell, num_rb)) < 0.7
    got = core.sinr(gain, tx, active, noise, serving)
    want = ref.sinr(gain, tx, active, noise, serving)
    assert got.shape == (num_ue, num_rb) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@given(dims, st.booleans())
def test_sinr_float32_gain_matches_reference(d, flat):
    num_ue, num_cell, num_rb, seed = d
    gain, tx, noise, serving, _ = make_system(seed, num_ue, num_cell, num_rb, flat=flat,
                                              dtype=np.float32)
    active = np.random.default_rng(seed + 1).random((num_cell, num_rb)) < 0.7
    got = core.sinr(gain, tx, active, noise, serving)
    np.testing.assert_allclose(got, ref.sinr(gain, tx, active, noise, serving), rtol=RTOL, atol=0)
    # float32 is only a storage format: the arithmetic is that of the widened float64 gain
    np.testing.assert_allclose(
        got, core.sinr(gain.astype(np.float64), tx, active, noise, serving), rtol=RTOL, atol=0
    )


@given(dims)
def test_sinr_flat_gain_equals_gain_repeated_over_rbs(d):
    num_ue, num_cell, num_rb, seed = d
    gain, tx, noise, serving, _ = make_system(seed, num_ue, num_cell, num_rb, flat=True)
    active = np.random.default_rng(seed + 1).random((num_cell, num_rb)) < 0.5
    full = np.repeat(gain, num_rb, axis=2)
    np.testing.assert_allclose(
        core.sinr(gain, tx, active, noise, serving),
        core.sinr(full, tx, active, noise, serving),
        rtol=RTOL,
        atol=0,
    )


def test_sinr_accepts_non_contiguous_gain():
    gain, tx, noise, serving, _ = make_system(5, 4, 3, 6)
    fortran = np.asfortranarray(gain)
    view = np.ascontiguousarray(np.swapaxes(gain, 1, 2)).swapaxes(1, 2)  # strided view
    active = np.ones((3, 6), dtype=bool)
    want = core.sinr(gain, tx, active, noise, serving)
    assert np.array_equal(core.sinr(fortran, tx, active, noise, serving), want)
    assert np.array_equal(core.sinr(view, tx, active, noise, serving), want)


def test_sinr_hand_computed_two_cells():
    # user 0 in cell 0, user 1 in cell 1; RB 1 of cell 1 idle
    gain = np.array([[[2.0, 2.0], [1.0, 1.0]], [[0.5, 0.5], [4.0, 4.0]]])
    tx = np.array([[1.0, 1.0], [3.0, 3.0]])
    active = np.array([[True, True], [True, False]])
    noise = 0.5
    got = core.sinr(gain, tx, active, noise, np.array([0, 1]))
    want = np.array([[2.0 / (3.0 + 0.5), 2.0 / 0.5], [12.0 / (0.5 + 0.5), 12.0 / (0.5 + 0.5)]])
    np.testing.assert_allclose(got, want, rtol=1e-15)


# ---------------------------------------------------------------------------- shannon


@given(
    st.integers(1, 5),
    st.one_of(st.integers(1, 9), st.integers(30, 70)),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_shannon_rate_matches_reference(num_ue, num_rb, seed, scalar_bw):
    r = np.random.default_rng(seed)
    s = 10.0 ** r.uniform(-15, 9, (num_ue, num_rb))
    s[r.random(s.shape) < 0.2] = 10.0 ** r.uniform(9, 308)  # huge but finite SINR
    s[r.random(s.shape) < 0.1] = 0.0
    s.flat[0] = 1e-12  # log1p territory: log2(1 + 1e-12) must not round to 0 or lose digits
    bw = RB_HZ if scalar_bw else r.uniform(1e3, 1e6, num_rb)
    got = core.shannon_rate(s, bw)
    want = ref.shannon_rate(s, bw)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize(
    "x", [1e-300, 1e-16, 1e-12, 1e-8, 1e-3, 0.5, 1.0, 1.5, 7.0, 1e6, 1e150, 1e160, 1e300, 1.7e308]
)
def test_shannon_rate_small_and_large_sinr_exact_enough(x):
    got = core.shannon_rate(np.array([[x]]), 1.0)[0, 0]
    want = np.log1p(x) / np.log(2.0)
    assert got > 0.0
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_shannon_rate_zero_sinr_is_zero_rate():
    assert np.array_equal(core.shannon_rate(np.zeros((2, 3)), RB_HZ), np.zeros((2, 3)))


# ---------------------------------------------------------------------------- PF allocate


@given(
    st.integers(0, 7),  # num_ue
    st.integers(1, 4),  # num_cell (cells above max(serving) have no users)
    st.integers(1, 6),  # num_rb
    st.integers(0, 2**32 - 1),
    st.sampled_from(["none", "random", "all_false", "cell0_false"]),
)
def test_pf_allocate_identical_including_ties(num_ue, num_cell, num_rb, seed, elig_mode):
    r = np.random.default_rng(seed)
    serving = r.integers(0, max(1, num_cell - 1), num_ue)  # often leaves the last cell empty
    rate = tie_rates(r, num_ue, num_rb)
    avg = tie_avgs(r, num_ue)
    eligible = {
        "none": None,
        "random": r.random(num_ue) < 0.6,
        "all_false": np.zeros(num_ue, dtype=bool),
        "cell0_false": serving != 0,
    }[elig_mode]
    got = core.pf_allocate(rate, avg, serving, num_cell, eligible)
    want = ref.pf_allocate(rate, avg, serving, num_cell, eligible)
    assert got.shape == (num_cell, num_rb)
    assert np.array_equal(got, want)
    assert_valid_alloc(got, serving, num_cell, eligible)
    # a cell is idle on every RB exactly when it has no eligible user
    for j in range(num_cell):
        has = np.any((serving == j) & (True if eligible is None else eligible))
        assert np.all(got[j] >= 0) if has else np.all(got[j] == -1)


def test_pf_allocate_ties_go_to_lowest_index():
    rate = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 3.0], [1.0, 2.0, 3.0]])
    avg = np.array([1.0, 2.0, 1.0])  # metrics: [1,2,3], [1,2,1.5], [1,2,3]
    alloc = core.pf_allocate(rate, avg, np.array([0, 0, 0]), 1)
    assert alloc.tolist() == [[0, 0, 0]]
    alloc = core.pf_allocate(rate, avg, np.array([0, 0, 0]), 1, np.array([False, True, True]))
    assert alloc.tolist() == [[1, 1, 2]]


# ---------------------------------------------------------------------------- PFScheduler


@given(
    st.integers(0, 6),
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.5, 0.9, 0.98]),
    st.booleans(),
)
def test_pf_scheduler_step_matches_reference(num_ue, num_cell, num_rb, seed, beta, use_elig):
    r = np.random.default_rng(seed)
    serving = r.integers(0, num_cell, num_ue)
    a = core.PFScheduler(num_ue, serving, num_cell, beta)
    b = ref.PFScheduler(num_ue, serving, num_cell, beta)
    for _ in range(8):
        rate = tie_rates(r, num_ue, num_rb)
        eligible = r.random(num_ue) < 0.7 if use_elig else None
        got = a.step(rate, eligible)
        want = b.step(rate, eligible)
        assert np.array_equal(got, want)
        assert_valid_alloc(got, serving, num_cell, eligible)
        assert np.array_equal(a.avg_rate, b.avg_rate)
        assert np.array_equal(a.last_rate, b.last_rate)


@given(dims, st.booleans(), st.booleans(), st.booleans())
def test_pf_scheduler_step_channel_matches_reference(d, flat, use_active, use_elig):
    num_ue, num_cell, num_rb, seed = d
    r = np.random.default_rng(seed + 7)
    gain, tx, noise, serving, bw = make_system(seed, num_ue, num_cell, num_rb, flat=flat)
    a = core.PFScheduler(num_ue, serving, num_cell)
    b = ref.PFScheduler(num_ue, serving, num_cell)
    for _ in range(5):
        g = gain * r.exponential(size=gain.shape)
        active = r.random((num_cell, num_rb)) < 0.7 if use_active else None
        eligible = r.random(num_ue) < 0.7 if use_elig else None
        got = a.step_channel(g, tx, noise, bw, active=active, eligible=eligible)
        want = b.step_channel(g, tx, noise, bw, active=active, eligible=eligible)
        assert np.array_equal(got, want)
        np.testing.assert_allclose(a.avg_rate, b.avg_rate, rtol=RTOL, atol=0)
        np.testing.assert_allclose(a.last_rate, b.last_rate, rtol=RTOL, atol=0)


def test_step_channel_equals_step_of_rate():
    gain, tx, noise, serving, bw = make_system(11, 5, 2, 4)
    active = np.array([[True, False, True, True], [True, True, False, True]])
    a = core.PFScheduler(5, serving, 2)
    b = core.PFScheduler(5, serving, 2)
    for t in range(6):
        g = gain * (1.0 + 0.1 * t)
        rate = core.shannon_rate(core.sinr(g, tx, active, noise, serving), bw)
        assert np.array_equal(a.step_channel(g, tx, noise, bw, active=active), b.step(rate))
        assert np.array_equal(a.avg_rate, b.avg_rate)
        assert np.array_equal(a.last_rate, b.last_rate)


def test_pf_scheduler_reset_and_set_state():
    serving = np.array([0, 0, 1])
    pf = core.PFScheduler(3, serving, 2, 0.9)
    assert np.array_equal(pf.avg_rate, np.ones(3)) and np.array_equal(pf.last_rate, np.zeros(3))
    rate = np.array([[3.0, 1.0], [1.0, 2.0], [5.0, 5.0]])
    pf.step(rate)
    pf.set_state([2.0, 4.0, 1.0], [0.0, 10.0, 0.0])
    alloc = pf.step(rate)
    np.testing.assert_array_equal(pf.avg_rate, [0.9 * 2.0, 0.9 * 4.0 + 0.1 * 10.0, 0.9])
    # metrics: user0 [3/1.8, 1/1.8], user1 [1/4.6, 2/4.6]
    assert alloc.tolist() == [[0, 0], [2, 2]]
    pf.reset()
    assert np.array_equal(pf.avg_rate, np.ones(3)) and np.array_equal(pf.last_rate, np.zeros(3))
    assert (pf.num_ue, pf.num_cell, pf.beta) == (3, 2, 0.9)
    assert np.array_equal(pf.serving, serving)


# ---------------------------------------------------------------------------- rayleigh


@given(
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(0, 3),
    st.integers(0, 5),
    st.integers(0, 2**64 - 1),
    st.integers(0, 10**6),
)
def test_rayleigh_power_matches_reference(nt, nu, nc, nr, seed, first):
    got = core.rayleigh_power(nt, nu, nc, nr, seed=seed, first_tti=first)
    want = ref.rayleigh_power(nt, nu, nc, nr, seed=seed, first_tti=first)
    assert got.shape == (nt, nu, nc, nr)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert np.all(got > 0) and np.all(np.isfinite(got))


@given(st.integers(1, 6), st.integers(0, 5), st.integers(0, 2**63))
def test_rayleigh_power_first_tti_is_a_slice_of_the_stream(nt, first, seed):
    whole = core.rayleigh_power(first + nt, 3, 2, 4, seed=seed)
    part = core.rayleigh_power(nt, 3, 2, 4, seed=seed, first_tti=first)
    assert np.array_equal(part, whole[first:])


def test_rayleigh_power_is_exp1_distributed():
    x = core.rayleigh_power(50, 10, 2, 100, seed=3).ravel()  # 1e5 draws
    assert abs(x.mean() - 1.0) < 0.015
    assert abs(x.var() - 1.0) < 0.04
    assert abs(np.mean(x > 1.0) - np.exp(-1.0)) < 0.005
    # different seeds give different streams
    assert not np.array_equal(x[:100], core.rayleigh_power(50, 10, 2, 100, seed=4).ravel()[:100])


# ---------------------------------------------------------------------------- full buffer


def assert_full_equal(got, want):
    np.testing.assert_allclose(got.throughput_bps, want.throughput_bps, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.avg_rate_bps, want.avg_rate_bps, rtol=RTOL, atol=0)
    assert np.array_equal(got.rb_share, want.rb_share)
    assert got.num_tti == want.num_tti


@given(
    dims,
    st.sampled_from(["static", "per_tti", "flat", "flat_per_tti"]),
    st.sampled_from([None, "none", "rayleigh"]),
    st.sampled_from([None, "cells", "rbs"]),
    st.sampled_from([np.float64, np.float32]),
    st.integers(1, 40),
    st.integers(0, 2**64 - 1),
)
def test_run_full_buffer_matches_reference(d, kind, fading, bg_mode, dtype, num_tti, seed):
    num_ue, num_cell, num_rb, sys_seed = d
    flat = kind.startswith("flat")
    gain, tx, noise, serving, bw = make_system(sys_seed, num_ue, num_cell, num_rb, flat=flat,
                                               dtype=dtype)
    r = np.random.default_rng(sys_seed + 3)
    if kind.endswith("per_tti"):
        gain = (gain[None] * r.exponential(size=(num_tti + 2,) + gain.shape)).astype(dtype)
    background = {
        None: None,
        "cells": r.random(num_cell) < 0.5,
        "rbs": r.random((num_cell, num_rb)) < 0.5,
    }[bg_mode]
    kw = dict(num_tti=num_tti, fading=fading, seed=seed, background=background)
    got = core.run_full_buffer(gain, tx, noise, serving, bw, **kw)
    want = ref.run_full_buffer(gain, tx, noise, serving, bw, **kw)
    assert_full_equal(got, want)
    # each cell with users hands out all its RBs every TTI
    for j in range(num_cell):
        if np.any(serving == j):
            assert got.rb_share[serving == j].sum() == pytest.approx(1.0, rel=1e-12)


def test_run_full_buffer_num_tti_defaults_to_gain_tti_axis():
    gain, tx, noise, serving, bw = make_system(2, 3, 2, 4)
    g4 = gain[None] * np.random.default_rng(0).exponential(size=(12,) + gain.shape)
    got = core.run_full_buffer(g4, tx, noise, serving, bw)
    assert got.num_tti == 12
    assert_full_equal(got, ref.run_full_buffer(g4, tx, noise, serving, bw))
    assert_full_equal(got, core.run_full_buffer(g4, tx, noise, serving, bw, num_tti=12))


def test_run_full_buffer_fading_is_rayleigh_power_times_gain():
    """A faded run equals a run on the 4-D gain built from rayleigh_power (same seed)."""
    gain, tx, noise, serving, bw = make_system(9, 4, 3, 5)
    fade = core.rayleigh_power(30, 4, 3, 5, seed=77)
    a = core.run_full_buffer(gain, tx, noise, serving, bw, num_tti=30, fading="rayleigh", seed=77)
    b = core.run_full_buffer(gain[None] * fade, tx, noise, serving, bw)
    np.testing.assert_allclose(a.throughput_bps, b.throughput_bps, rtol=RTOL)
    assert np.array_equal(a.rb_share, b.rb_share)


def test_run_full_buffer_background_adds_interference():
    # one user in cell 0; cell 1 has no users, so it interferes only when in the background
    gain = np.array([[[1e-9] * 3, [1e-9] * 3]])
    tx = np.full((2, 3), 0.2)
    kw = dict(num_tti=5)
    quiet = core.run_full_buffer(gain, tx, 1e-14, [0], RB_HZ, **kw)
    loud = core.run_full_buffer(gain, tx, 1e-14, [0], RB_HZ, background=[False, True], **kw)
    part = core.run_full_buffer(gain, tx, 1e-14, [0], RB_HZ,
                                background=[[False] * 3, [True, False, False]], **kw)
    snr = 0.2 * 1e-9 / 1e-14
    np.testing.assert_allclose(quiet.throughput_bps, 3 * RB_HZ * np.log2(1 + snr), rtol=1e-13)
    sir = 1 / (1 + 1e-14 / 2e-10)  # equal signal and interference, plus noise
    np.testing.assert_allclose(loud.throughput_bps, 3 * RB_HZ * np.log2(1 + sir), rtol=1e-13)
    assert loud.throughput_bps[0] < part.throughput_bps[0] < quiet.throughput_bps[0]


# ---------------------------------------------------------------------------- finite buffer


@st.composite
def finite_case(draw):
    num_ue, num_cell, num_rb, seed = draw(dims)
    num_tti = draw(st.integers(0, 40))
    num_req = draw(st.integers(0, 8))
    r = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ue = r.integers(0, num_ue, num_req)
    tti = r.integers(0, num_tti + 6, num_req)  # some arrive after the horizon
    nbytes = 10.0 ** r.uniform(1, 4.5, num_req)  # some too large to finish in time
    return num_ue, num_cell, num_rb, seed, num_tti, ue, tti, nbytes


@given(
    finite_case(),
    st.sampled_from([None, "rayleigh"]),
    st.sampled_from(["static", "per_tti", "flat"]),
    st.sampled_from([None, "cells"]),
    st.sampled_from([np.float64, np.float32]),
    st.sampled_from([1e-3, 0.5e-3]),
)
def test_run_finite_buffer_matches_reference(case, fading, kind, bg_mode, dtype, tti_s):
    num_ue, num_cell, num_rb, seed, num_tti, ue, tti, nbytes = case
    gain, tx, noise, serving, bw = make_system(seed, num_ue, num_cell, num_rb,
                                               flat=kind == "flat", dtype=dtype)
    r = np.random.default_rng(seed + 5)
    if kind == "per_tti":
        gain = (gain[None] * r.exponential(size=(num_tti + 1,) + gain.shape)).astype(dtype)
    background = r.random(num_cell) < 0.5 if bg_mode else None
    kw = dict(request_ue=ue, request_tti=tti, request_bytes=nbytes, num_tti=num_tti,
              fading=fading, seed=seed, background=background, tti_s=tti_s)
    got = core.run_finite_buffer(gain, tx, noise, serving, bw, **kw)
    want = ref.run_finite_buffer(gain, tx, noise, serving, bw, **kw)
    assert np.array_equal(got.completion_tti, want.completion_tti)
    assert got.num_tti_run == want.num_tti_run
    np.testing.assert_allclose(got.throughput_bps, want.throughput_bps, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.avg_rate_bps, want.avg_rate_bps, rtol=RTOL, atol=0)
    np.testing.assert_array_equal(got.delay_s, want.delay_s)
    # sanity of the outcome itself
    done = got.completion_tti >= 0
    assert np.all(got.completion_tti[done] >= tti[done])
    assert np.all(got.completion_tti < max(num_tti, 1))
    assert np.all(got.completion_tti[tti >= num_tti] == -1)  # arrives after the horizon
    assert got.num_tti_run <= num_tti
    if num_tti > 0:
        delivered = got.throughput_bps * num_tti * tti_s
        arrived = np.bincount(ue, weights=nbytes * 8.0, minlength=num_ue)
        assert np.all(delivered <= arrived * (1 + 1e-12))
        for i in np.flatnonzero(done):
            # everything up to a completed request has left the buffer
            mine = (ue == ue[i]) & ((tti < tti[i]) | ((tti == tti[i]) & (np.arange(len(ue)) <= i)))
            assert delivered[ue[i]] >= nbytes[mine].sum() * 8.0 * (1 - 1e-12)
    if done.all():
        assert got.num_tti_run == (got.completion_tti.max() + 1 if len(ue) else 0)
    else:
        assert got.num_tti_run == num_tti


def test_run_finite_buffer_many_requests_per_user_against_reference():
    gain, tx, noise, serving, bw = make_system(21, 5, 2, 6)
    r = np.random.default_rng(1)
    ue = r.integers(0, 5, 40)
    tti = r.integers(0, 150, 40)
    nbytes = 10.0 ** r.uniform(2, 4.2, 40)
    kw = dict(request_ue=ue, request_tti=tti, request_bytes=nbytes, num_tti=200,
              fading="rayleigh", seed=8)
    got = core.run_finite_buffer(gain, tx, noise, serving, bw, **kw)
    want = ref.run_finite_buffer(gain, tx, noise, serving, bw, **kw)
    assert np.array_equal(got.completion_tti, want.completion_tti)
    assert got.num_tti_run == want.num_tti_run
    np.testing.assert_allclose(got.throughput_bps, want.throughput_bps, rtol=RTOL)
    assert 0 < np.sum(got.completion_tti >= 0) <= 40


# ---------------------------------------------------------------------------- evaluate


EVAL_ARGS = {
    "quality_req": (0.0, 100.0),
    "bytes_per_token": (1.0, 8.0),
    "t_back_s": (0.0, 0.5),
    "ttft_edge_s": (0.0, 1.0),
    "tpot_edge_s": (0.001, 0.05),
    "ttft_cloud_s": (0.0, 1.0),
    "tpot_cloud_s": (0.001, 0.05),
    "quality_edge": (40.0, 90.0),
    "quality_cloud": (60.0, 95.0),
    "target_s": (-10.0, 60.0),
    "penalty": (0.0, 50.0),
}


@given(
    st.integers(1, 12),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.lists(st.sampled_from(["absent", "scalar", "array", "len1"]), min_size=14, max_size=14),
)
def test_evaluate_matches_reference(n, seed, analytic, forms):
    r = np.random.default_rng(seed)

    def value(form, lo, hi):
        if form == "scalar":
            return float(r.uniform(lo, hi))
        if form == "len1":
            return r.uniform(lo, hi, 1)
        return r.uniform(lo, hi, n)

    n_tokens = r.integers(0, 3000, n).astype(float) if forms[0] != "scalar" else 700.0
    offload = r.random(n) < 0.5 if forms[1] != "scalar" else bool(seed % 2)
    kw = {}
    if analytic:
        kw["capacity_bps"] = value(forms[2] if forms[2] != "absent" else "array", 1e4, 1e8)
    else:
        kw["radio_delay_s"] = value(forms[2] if forms[2] != "absent" else "array", 0.0, 3.0)
    for form, (name, (lo, hi)) in zip(forms[3:], EVAL_ARGS.items()):
        if form != "absent":
            kw[name] = value(form, lo, hi)
    got = core.evaluate(n_tokens, offload, **kw)
    want = ref.evaluate(n_tokens, offload, **kw)
    size = max(np.size(v) for v in [n_tokens, offload, *kw.values()])
    for field in ("t_tran_s", "t_gen_s", "t_total_s", "reward"):
        g, w = getattr(got, field), getattr(want, field)
        assert g.shape == (size,) and g.dtype == np.float64
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=1e-12, err_msg=field)
    assert got.violated.dtype == np.bool_
    assert np.array_equal(got.violated, want.violated)


@given(st.floats(1, 5000), st.booleans(), st.floats(1e3, 1e9), st.floats(0, 100))
def test_evaluate_scalars_match_reference(tokens, off, cap, q):
    got = core.evaluate(tokens, off, capacity_bps=cap, quality_req=q)
    want = ref.evaluate(tokens, off, capacity_bps=cap, quality_req=q)
    assert got.reward.shape == (1,)
    np.testing.assert_allclose(got.reward, want.reward, rtol=RTOL)
    np.testing.assert_allclose(got.t_total_s, want.t_total_s, rtol=RTOL)
    assert got.violated[0] == want.violated[0]


# ---------------------------------------------------------------------------- edge cases


def test_extreme_sinr_runs_match_reference():
    """Absurdly strong channels (SINR ~ 1e164) still give finite rates, the same as NumPy."""
    gain = np.full((2, 1, 3), 1e150)
    gain[1] *= 3.0
    tx = np.ones((1, 3))
    got = core.run_full_buffer(gain, tx, 1e-14, [0, 0], RB_HZ, num_tti=4)
    want = ref.run_full_buffer(gain, tx, 1e-14, [0, 0], RB_HZ, num_tti=4)
    assert np.all(np.isfinite(got.throughput_bps))
    assert_full_equal(got, want)
    assert got.rb_share.sum() == pytest.approx(1.0)


def _empty_finite():
    res = core.run_finite_buffer(np.full((2, 2, 3), 1e-10), np.ones((2, 3)), 1e-14, [0, 1], RB_HZ,
                                 num_tti=5, request_ue=[], request_tti=[], request_bytes=[])
    assert res.completion_tti.shape == (0,) and res.num_tti_run == 0
    assert np.array_equal(res.throughput_bps, np.zeros(2))


def _empty_scheduler():
    pf = core.PFScheduler(0, [], 2)
    assert np.array_equal(pf.step(np.zeros((0, 3))), np.full((2, 3), -1))


def _empty_sinr():
    tx = np.ones((2, 3))
    assert core.sinr(np.zeros((0, 2, 3)), tx, tx > 0, 1e-14, []).shape == (0, 3)


def _empty_evaluate():
    ev = core.evaluate([], [], capacity_bps=1e6)
    assert ev.reward.shape == (0,) and ev.violated.shape == (0,)


@pytest.mark.parametrize("check", [_empty_finite, _empty_scheduler, _empty_sinr, _empty_evaluate],
                         ids=["run_finite_buffer", "PFScheduler", "sinr", "evaluate"])
def test_empty_inputs_given_as_lists(check):
    """No users / no requests, written the natural Python way (empty lists, which NumPy
    types as float64) are valid input."""
    check()
