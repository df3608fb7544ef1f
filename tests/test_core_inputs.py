"""Input classes the fuzz campaigns found (issue 11): each must give a clean one-line
ValueError/TypeError naming the argument, never a crash, hang, garbage or a raw traceback."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest

from genoff import _reference as ref
from genoff import cli, core
from genoff.sim import demo


def _small():
    rng = np.random.default_rng(0)
    num_ue, num_cell, num_rb = 4, 3, 5
    gain = rng.uniform(1e-10, 1e-8, (num_ue, num_cell, num_rb))
    tx = np.full((num_cell, num_rb), 1.0)
    serving = np.array([0, 1, 2, 0])
    return gain, tx, 1e-13, serving, 180e3


def test_4d_gain_with_no_tti_is_refused_not_read_past_its_end():
    gain, tx, noise, serving, bw = _small()
    empty = np.empty((0,) + gain.shape)
    for run in (core.run_full_buffer, core.run_finite_buffer):
        kw = {} if run is core.run_full_buffer else dict(
            request_ue=[0], request_tti=[0], request_bytes=[100.0])
        with pytest.raises(ValueError, match="gain has a TTI axis of length 0"):
            run(empty, tx, noise, serving, bw, num_tti=5, **kw)


def test_rayleigh_power_empty_output_returns_at_once():
    out = core.rayleigh_power(2**33, 2, 1, 0, seed=1)
    assert out.shape == (2**33, 2, 1, 0)
    assert core.rayleigh_power(0, 2**20, 2**20, 2, seed=1).size == 0


@pytest.mark.parametrize("impl", [core, ref])
def test_fading_draw_index_overflow_raises(impl):
    with pytest.raises(ValueError, match="first_tti"):
        impl.rayleigh_power(1, 1, 1, 2, seed=1, first_tti=2**62)
    with pytest.raises(ValueError, match="first_tti"):
        impl.rayleigh_power(2, 1, 1, 1, seed=1, first_tti=2**63 - 2)
    # the last representable draws are fine, and equal in core and reference
    a = core.rayleigh_power(1, 1, 1, 4, seed=3, first_tti=2**61 - 2)
    b = ref.rayleigh_power(1, 1, 1, 4, seed=3, first_tti=2**61 - 2)
    np.testing.assert_array_equal(a, b)


def test_run_fading_draw_index_overflow_raises():
    gain, tx, noise, serving, bw = _small()
    with pytest.raises(ValueError, match="num_tti"):
        core.run_full_buffer(gain, tx, noise, serving, bw, num_tti=2**62, fading="rayleigh")


@pytest.mark.parametrize("n", [2**31, 2**63, 10**30])
def test_huge_n_threads_is_a_clean_value_error(n):
    gain, tx, noise, serving, bw = _small()
    act = np.ones(tx.shape, bool)
    for call in (
        lambda: core.sinr(gain, tx, act, noise, serving, n_threads=n),
        lambda: core._core.sinr(gain, tx, act, noise, serving, n_threads=n),
        lambda: core.rayleigh_power(1, 1, 1, 1, seed=0, n_threads=n),
        lambda: core._core.pf_allocate(np.ones((4, 5)), np.ones(4), serving, 3, n_threads=n),
    ):
        with pytest.raises(ValueError, match="n_threads") as e:
            call()
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("bad", [2**63, 10**30])
def test_huge_counts_in_the_raw_binding_are_clean(bad):
    with pytest.raises(ValueError, match="num_cell") as e:
        core._core.pf_allocate(np.ones((4, 5)), np.ones(4), np.zeros(4, int), bad)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="num_ue"):
        core._core.PFScheduler(bad, np.zeros(4, int), 3, 0.98)
    with pytest.raises(ValueError, match="num_cell"):
        core.pf_allocate(np.ones((4, 5)), np.ones(4), np.zeros(4, int), 2**31 - 1)


def test_beta_too_large_for_a_float():
    with pytest.raises(ValueError, match="beta"):
        core.PFScheduler(2, [0, 0], 1, beta=10**400)
    gain, tx, noise, serving, bw = _small()
    with pytest.raises(ValueError, match="beta"):
        core._core.run_full_buffer(gain, tx, noise, serving, bw, num_tti=1, beta=10**400)


@pytest.mark.parametrize("tamper", [
    lambda s: s.pop("avg_rate"),
    lambda s: s.pop("beta"),
    lambda s: s.__setitem__("beta", 10**400),
    lambda s: s.__setitem__("avg_rate", -s["avg_rate"]),
    lambda s: s.__setitem__("serving", "x"),
    lambda s: s.clear(),
])
def test_tampered_pickled_scheduler_state(tamper):
    pf = core.PFScheduler(3, [0, 1, 1], 2)
    pf.step(np.ones((3, 4)))
    state = pf.__getstate__()
    tamper(state)
    fresh = core.PFScheduler.__new__(core.PFScheduler)
    with pytest.raises((ValueError, TypeError)):
        fresh.__setstate__(state)
    with pytest.raises(ValueError):
        fresh.__setstate__(["not", "a", "dict"])
    assert pickle.loads(pickle.dumps(pf)).avg_rate.tolist() == pf.avg_rate.tolist()


def test_rates_that_overflow_to_inf_are_refused():
    gain, tx, noise, serving, _ = _small()
    gain[np.arange(4), serving] *= 1e4  # SINR well above 1: log2(1 + SINR) > 1
    with pytest.raises(ValueError, match="bandwidth_hz"):
        core.shannon_rate(np.array([[2.0, 5.0]]), 1e308)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        core.run_full_buffer(gain, tx, noise, serving, 1e308, num_tti=2)
    pf = core.PFScheduler(4, serving, 3)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        pf.step_channel(gain, tx, noise, 1e308)
    with pytest.raises(ValueError, match="n_tokens"):
        core.evaluate(1e308, True, capacity_bps=1e-300)


def test_zero_bandwidth_is_refused_like_in_scenarios():
    gain, tx, noise, serving, _ = _small()
    with pytest.raises(ValueError, match="bandwidth_hz"):
        core.shannon_rate(np.ones((2, 3)), 0.0)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        core.run_full_buffer(gain, tx, noise, serving, 0.0, num_tti=1)


def test_sinr_blames_the_power_that_disagrees_with_gain_and_active():
    gain, tx, noise, serving, _ = _small()
    act = np.ones(tx.shape, bool)
    with pytest.raises(ValueError, match="^tx_power_w"):
        core.sinr(gain, tx[:, :3], act, noise, serving)
    with pytest.raises(ValueError, match="^active"):
        core.sinr(gain, tx, act[:, :3], noise, serving)


PUBLIC = [core.sinr, core.shannon_rate, core.pf_allocate, core.rayleigh_power,
          core.run_full_buffer, core.run_finite_buffer, core.evaluate, core.PFScheduler,
          core.PFScheduler.step, core.PFScheduler.step_channel, core.PFScheduler.set_state]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__qualname__)
def test_docstrings_have_args_and_no_spec_citation(fn):
    doc = inspect.getdoc(fn)
    assert "Args" in doc, f"{fn.__qualname__} has no Args section"
    assert "SPEC" not in doc
    assert "SPEC Sec" not in (inspect.getdoc(core) or "")


def test_demo_reports_the_threads_it_was_given_and_checks_sizes(capsys):
    text = demo.run(num_ue=3, num_tti=5, seed=1, n_threads=1)
    assert "n_threads=1" in text and "2 threads" not in text
    for kw, name in ((dict(num_tti=10**12), "tti"), (dict(seed=2**70), "seed"),
                     (dict(num_ue=0), "users")):
        with pytest.raises(ValueError, match=name):
            demo.run(**kw)
    with pytest.raises(SystemExit) as e:
        cli.main(["demo", "--tti", str(10**15)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "genoff demo: error:" in err and "tti" in err and "Traceback" not in err


def test_rayleigh_power_with_an_empty_axis_and_huge_others_is_refused():
    """An empty output whose strides would overflow (8 bytes x the trailing axes): found by
    the fuzz campaign under UBSan (signed overflow inside pybind11's stride computation)."""
    for args in ((0, 2**62, 1, 1), (0, 1, 2**61, 2)):
        with pytest.raises(ValueError, match="too large for one array"):
            core.rayleigh_power(*args, seed=1)
    assert core.rayleigh_power(2**33, 2, 1, 0, seed=1).shape == (2**33, 2, 1, 0)
