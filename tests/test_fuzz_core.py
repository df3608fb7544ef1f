"""Fuzz campaign over every public function of genoff.core.

Each test draws arguments of any kind (random shapes including 0-sized ones, dtypes, lists,
scalars, None, non-contiguous and negative-stride views, NaN / inf / negative / huge values,
integers that overflow index arithmetic without allocating anything large) and asserts the
contract: a clean ``ValueError`` / ``TypeError`` whose message is one line, or a valid
result (right shape and dtype, finite where the contract promises it). A crash, hang or any
other exception fails.

Example counts come from the Hypothesis profile (tests/conftest.py): the normal run fuzzes
each function a bounded number of times; the long campaign is
``GENOFF_HYPOTHESIS_PROFILE=fuzz python -m pytest -m fuzz tests/test_fuzz_core.py
--hypothesis-show-statistics``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from genoff import core

pytestmark = pytest.mark.fuzz

CLEAN = (ValueError, TypeError)

DTYPES = [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_, np.complex128,
          np.float16]
SPECIAL = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e-320, 1e308, -1e308, 1e-30, 1e30]
HUGE_INTS = [2**31 - 1, 2**31, 2**32, 2**33, 2**62, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30,
             -1, -(2**63)]


def expect(fn, *args, **kwargs):
    """fn(...) or a clean, one-line ValueError/TypeError (returned as None)."""
    try:
        return fn(*args, **kwargs)
    except CLEAN as e:
        msg = str(e)
        assert msg and "\n" not in msg.strip(), f"unclean message: {msg!r}"
        return None


@st.composite
def values(draw, shape, positive=False):
    """An array of `shape` with mostly sensible values, sometimes special ones."""
    n = int(np.prod(shape)) if len(shape) else 1
    kind = draw(st.sampled_from(["good", "good", "good", "special", "mixed"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "good":
        x = rng.uniform(0.1 if positive else 0.0, 10.0, n)
    elif kind == "special":
        x = np.full(n, draw(st.sampled_from(SPECIAL)))
    else:
        x = rng.uniform(-1.0, 10.0, n)
        if n:
            x[rng.integers(0, n)] = draw(st.sampled_from(SPECIAL))
    return x.reshape(shape)


@st.composite
def arrays(draw, shape, positive=False, kind="float"):
    """`shape` as any kind of argument: arrays of random dtype and layout, lists, junk."""
    form = draw(st.sampled_from(
        ["plain"] * 6 + ["dtype", "strided", "reversed", "fortran", "list", "junk", "wrongshape"]
    ))
    if kind == "bool":
        n = int(np.prod(shape))
        x = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        x = x.reshape(shape)
    elif kind == "int":
        hi = draw(st.sampled_from([2, 10, 2**40]))
        seed = draw(st.integers(0, 2**32 - 1))
        x = np.random.default_rng(seed).integers(-1 if hi == 2**40 else 0, hi, shape)
    else:
        x = draw(values(shape, positive))
    if form == "dtype":
        with np.errstate(all="ignore"):
            x = x.astype(draw(st.sampled_from(DTYPES)))
    elif form == "strided" and x.ndim:
        big = np.repeat(x, 2, axis=-1)
        x = big[..., ::2]
    elif form == "reversed" and x.ndim:
        x = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    elif form == "fortran":
        x = np.asfortranarray(x)
    elif form == "list":
        return x.tolist()
    elif form == "junk":
        return draw(st.sampled_from([None, "abc", {"a": 1}, object(), [[1, 2], [3]], b"xy"]))
    elif form == "wrongshape":
        extra = draw(st.sampled_from([(0,), (1,), (3,), (2, 2), (1, 1, 1, 1, 1)]))
        return np.zeros(extra)
    return x


dims = st.integers(0, 6)
threads = st.one_of(st.integers(0, 4), st.sampled_from(HUGE_INTS), st.sampled_from([None, 1.5, "2"]))


@st.composite
def channel(draw, allow_tti=False):
    num_ue, num_cell, num_rb = draw(dims), draw(st.integers(0, 5)), draw(dims)
    per_rb = draw(st.booleans())
    shape = (num_ue, num_cell, num_rb if per_rb else 1)
    if allow_tti and draw(st.booleans()):
        shape = (draw(st.integers(0, 3)),) + shape
    gain = draw(arrays(shape, kind="float"))
    if draw(st.booleans()) and isinstance(gain, np.ndarray) and gain.dtype == np.float64:
        with np.errstate(over="ignore"):  # huge float64 values become inf: a case to refuse
            gain = gain.astype(np.float32)
    tx = draw(arrays((num_cell, num_rb)))
    noise = draw(st.one_of(st.sampled_from(SPECIAL + [1e-13]), arrays((num_rb,), positive=True)))
    bw = draw(st.one_of(st.sampled_from(SPECIAL + [180e3]), arrays((num_rb,), positive=True)))
    serving = draw(arrays((num_ue,), kind="int"))
    return dict(gain=gain, tx=tx, noise=noise, bw=bw, serving=serving, num_ue=num_ue,
                num_cell=num_cell, num_rb=num_rb)


def _shape_ok(out, shape, dtype):
    assert isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype


@given(channel(), st.one_of(arrays((2, 3), kind="bool"), st.just(None)), threads)
def test_fuzz_sinr(c, active_other, n_threads):
    act = np.ones((c["num_cell"], c["num_rb"]), bool) if active_other is None else active_other
    out = expect(core.sinr, c["gain"], c["tx"], act, c["noise"], c["serving"], n_threads=n_threads)
    if out is not None:
        _shape_ok(out, (c["num_ue"], c["num_rb"]), np.float64)
        assert np.all(np.isfinite(out)) and np.all(out >= 0)


@given(st.tuples(dims, dims).flatmap(lambda s: arrays(s)), st.one_of(
    st.sampled_from(SPECIAL + [180e3, 0.0]), arrays((3,), positive=True)), threads)
def test_fuzz_shannon_rate(sinr, bw, n_threads):
    out = expect(core.shannon_rate, sinr, bw, n_threads=n_threads)
    if out is not None:
        s = np.asarray(sinr)
        _shape_ok(out, s.shape, np.float64)
        assert np.all(np.isfinite(out)) and np.all(out >= 0)


@given(channel(), st.one_of(st.integers(-2, 6), st.sampled_from(HUGE_INTS)), st.booleans(), threads)
def test_fuzz_pf_allocate(c, num_cell, with_eligible, n_threads):
    rate = np.random.default_rng(0).uniform(0, 1e6, (c["num_ue"], c["num_rb"]))
    avg = np.ones(c["num_ue"])
    elig = (np.arange(c["num_ue"]) % 2 == 0) if with_eligible else None
    out = expect(core.pf_allocate, rate, avg, c["serving"], num_cell, elig, n_threads=n_threads)
    if out is not None:
        _shape_ok(out, (num_cell, c["num_rb"]), np.int64)
        assert np.all((out >= -1) & (out < max(c["num_ue"], 1)))


@given(st.data(), threads)
def test_fuzz_pf_allocate_values(data, n_threads):
    num_ue, num_rb, num_cell = data.draw(dims), data.draw(dims), data.draw(st.integers(1, 4))
    rate = data.draw(arrays((num_ue, num_rb)))
    avg = data.draw(arrays((num_ue,), positive=True))
    serving = data.draw(arrays((num_ue,), kind="int"))
    elig = data.draw(st.one_of(st.none(), arrays((num_ue,), kind="bool")))
    out = expect(core.pf_allocate, rate, avg, serving, num_cell, elig, n_threads=n_threads)
    if out is not None:
        _shape_ok(out, (num_cell, np.shape(rate)[1]), np.int64)
        assert np.all((out >= -1) & (out < max(num_ue, 1)))


@given(channel(), st.one_of(st.floats(allow_nan=True), st.sampled_from([10**400, 0, 1, True])),
       st.data(), threads)
def test_fuzz_pf_scheduler(c, beta, data, n_threads):
    num_ue = data.draw(st.one_of(st.just(c["num_ue"]), st.sampled_from(HUGE_INTS)))
    pf = expect(core.PFScheduler, num_ue, c["serving"], max(c["num_cell"], 1), beta)
    if pf is None:
        return
    rate = data.draw(arrays((c["num_ue"], c["num_rb"])))
    out = expect(pf.step, rate, n_threads=n_threads)
    if out is not None:
        _shape_ok(out, (max(c["num_cell"], 1), np.shape(rate)[1]), np.int64)
    out = expect(pf.step_channel, c["gain"], c["tx"], c["noise"], c["bw"], n_threads=n_threads)
    if out is not None:
        assert out.dtype == np.int64
    assert np.all(np.isfinite(pf.avg_rate)) and np.all(pf.avg_rate > 0)
    assert np.all(np.isfinite(pf.last_rate)) and np.all(pf.last_rate >= 0)
    expect(pf.set_state, data.draw(arrays((c["num_ue"],), positive=True)),
           data.draw(arrays((c["num_ue"],))))
    # Saved state, possibly tampered with: restores or refuses cleanly.
    state = pf.__getstate__()
    how = data.draw(st.sampled_from(["keep", "drop", "junk", "type", "value"]))
    key = data.draw(st.sampled_from(sorted(state)))
    if how == "drop":
        del state[key]
    elif how == "junk":
        state[key] = data.draw(st.sampled_from([None, "x", [1, 2], -5, np.nan, 10**400]))
    elif how == "type":
        state = data.draw(st.sampled_from([None, [], "state", 3]))
    elif how == "value" and isinstance(state[key], np.ndarray) and state[key].size:
        state[key] = state[key] * -1.0
    fresh = core.PFScheduler.__new__(core.PFScheduler)
    expect(fresh.__setstate__, state)
    if how == "keep":
        again = pickle.loads(pickle.dumps(pf))
        np.testing.assert_array_equal(again.avg_rate, pf.avg_rate)


@st.composite
def rayleigh_args(draw):
    def dim():
        return draw(st.one_of(st.integers(0, 8), st.sampled_from(HUGE_INTS)))

    d = [dim(), dim(), dim(), dim()]
    first = draw(st.one_of(st.integers(0, 100), st.sampled_from(HUGE_INTS)))
    # Never ask for an array that fits in int64 yet not in memory: small or overflowing.
    ok = all(isinstance(v, int) and v >= 0 for v in d)
    size = int(np.prod([float(v) for v in d])) if ok else 0
    assume(not ok or 0 in d or size * 8 <= 8e6 or size * 8 >= 2**63)
    return d, first


@given(rayleigh_args(), st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([-1, 2**64, 1.5, None])),
       threads)
def test_fuzz_rayleigh_power(args, seed, n_threads):
    (nt, nu, nc, nr), first = args
    out = expect(core.rayleigh_power, nt, nu, nc, nr, seed=seed, first_tti=first,
                 n_threads=n_threads)
    if out is not None:
        _shape_ok(out, (nt, nu, nc, nr), np.float64)
        assert np.all(out >= 0) and np.all(out <= 16.64)


@st.composite
def run_kwargs(draw):
    kw = {}
    kw["num_tti"] = draw(st.one_of(st.none(), st.integers(-1, 6), st.sampled_from([2**62, 2**63, 2**64, 10**30])))
    kw["fading"] = draw(st.sampled_from([None, "none", "rayleigh", "rayleigh", "bogus", 3]))
    kw["seed"] = draw(st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([-1, 2**64, "s"])))
    kw["beta"] = draw(st.one_of(st.just(0.98), st.floats(allow_nan=True), st.sampled_from([10**400, "b"])))
    kw["n_threads"] = draw(threads)
    return kw


def _bounded(c, kw):
    """Huge num_tti only where it must be refused (fading draws overflow), never run."""
    n = kw["num_tti"]
    if n is not None and n > 10:
        per_tti = c["num_ue"] * c["num_cell"] * c["num_rb"]
        return kw["fading"] == "rayleigh" and per_tti > 0 and n * per_tti >= 2**63
    return True


@given(channel(allow_tti=True), run_kwargs(), st.one_of(st.none(), arrays((2,), kind="bool")))
def test_fuzz_run_full_buffer(c, kw, background):
    assume(_bounded(c, kw))
    out = expect(core.run_full_buffer, c["gain"], c["tx"], c["noise"], c["serving"], c["bw"],
                 background=background, **kw)
    if out is not None:
        for a in (out.throughput_bps, out.avg_rate_bps, out.rb_share):
            _shape_ok(a, (c["num_ue"],), np.float64)
            assert np.all(np.isfinite(a)) and np.all(a >= 0)


@given(channel(allow_tti=True), run_kwargs(), st.data())
def test_fuzz_run_finite_buffer(c, kw, data):
    assume(_bounded(c, kw))
    num_req = data.draw(st.integers(0, 6))
    ue = data.draw(arrays((num_req,), kind="int"))
    tti = data.draw(st.one_of(arrays((num_req,), kind="int"),
                              st.just(np.full(num_req, 2**62, dtype=np.int64))))
    size = data.draw(arrays((num_req,), positive=True))
    tti_s = data.draw(st.one_of(st.just(1e-3), st.sampled_from(SPECIAL)))
    if kw["num_tti"] is None or kw["num_tti"] > 10:
        # A request arriving at TTI 2**62 keeps a run going until then: give a horizon.
        kw["num_tti"] = kw["num_tti"] if kw["num_tti"] is not None and kw["fading"] == "rayleigh" else 5
        assume(_bounded(c, kw))
    out = expect(core.run_finite_buffer, c["gain"], c["tx"], c["noise"], c["serving"], c["bw"],
                 request_ue=ue, request_tti=tti, request_bytes=size, tti_s=tti_s, **kw)
    if out is not None:
        assert out.completion_tti.shape == (num_req,)
        assert np.all(out.completion_tti >= -1)
        assert np.all(np.isfinite(out.throughput_bps)) and np.all(out.throughput_bps >= 0)


@given(st.data())
def test_fuzz_evaluate(data):
    n = data.draw(st.integers(0, 6))
    def arg(positive=False):
        return data.draw(st.one_of(st.sampled_from(SPECIAL + [1.0, 0.5]), arrays((n,), positive=positive)))
    radio = data.draw(st.sampled_from(["cap", "delay", "both", "none"]))
    kw = dict(
        capacity_bps=arg(True) if radio in ("cap", "both") else None,
        radio_delay_s=arg() if radio in ("delay", "both") else None,
        quality_req=arg(), bytes_per_token=arg(), t_back_s=arg(), ttft_edge_s=arg(),
        tpot_edge_s=arg(), ttft_cloud_s=arg(), tpot_cloud_s=arg(), quality_edge=arg(),
        quality_cloud=arg(), target_s=arg(), penalty=arg(),
        n_threads=data.draw(threads),
    )
    offload = data.draw(st.one_of(st.booleans(), arrays((n,), kind="bool"), arrays((n,), kind="int")))
    out = expect(core.evaluate, arg(), offload, **kw)
    if out is not None:
        for a in (out.t_tran_s, out.t_gen_s, out.t_total_s, out.reward):
            assert a.dtype == np.float64 and np.all(np.isfinite(a))
        assert out.violated.dtype == np.bool_


@given(st.sampled_from(["max_threads", "get_include", "get_library_dir", "has_openmp"]))
def test_fuzz_module_helpers(name):
    value = getattr(core, name)
    result = value() if callable(value) else value
    assert result is not None
