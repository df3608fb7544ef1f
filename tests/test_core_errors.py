"""Bad input to genoff.core (SPEC Sec. 4): a ValueError (bad value or shape) or a TypeError
(not numeric) naming the argument, never a crash or a garbage result.

Each public entry point has a valid base call (checked to succeed first, so no case passes
because the base itself is broken); every case changes one argument.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import genoff.core as core

U, C, R = 3, 2, 4  # users, cells, RBs of the base system
NAN, INF = math.nan, math.inf


def base_args(target: str) -> dict:
    gain = np.full((U, C, R), 1e-10)
    tx = np.full((C, R), 0.2)
    serving = np.array([0, 1, 1])
    rate = np.full((U, R), 1e6)
    avg = np.full(U, 1e6)
    run = dict(gain=gain, tx_power_w=tx, noise_w=1e-14, serving=serving, bandwidth_hz=180e3,
               num_tti=3, fading=None, seed=0, beta=0.98, background=None)
    return {
        "sinr": dict(gain=gain, tx_power_w=tx, active=np.ones((C, R), bool), noise_w=1e-14,
                     serving=serving),
        "shannon_rate": dict(sinr=np.full((U, R), 10.0), bandwidth_hz=180e3),
        "pf_allocate": dict(rate=rate, avg_rate=avg, serving=serving, num_cell=C, eligible=None),
        "PFScheduler": dict(num_ue=U, serving=serving, num_cell=C, beta=0.98),
        "step": dict(rate=rate, eligible=None),
        "step_channel": dict(gain=gain, tx_power_w=tx, noise_w=1e-14, bandwidth_hz=180e3,
                             active=None, eligible=None),
        "set_state": dict(avg_rate=avg, last_rate=np.zeros(U)),
        "rayleigh_power": dict(num_tti=2, num_ue=U, num_cell=C, num_rb=R, seed=1, first_tti=0),
        "run_full_buffer": run,
        "run_finite_buffer": dict(run, request_ue=np.array([0, 1, 2]),
                                  request_tti=np.array([0, 0, 1]),
                                  request_bytes=np.array([1e3, 2e3, 3e3]), tti_s=1e-3),
        "evaluate": dict(n_tokens=np.array([100.0, 200.0, 300.0]),
                         offload=np.array([True, False, True]),
                         capacity_bps=np.array([1e6, 2e6, 3e6])),
    }[target]


def call(target: str, **override):
    kw = {**base_args(target), **override}
    if target == "sinr":
        return core.sinr(kw.pop("gain"), kw.pop("tx_power_w"), kw.pop("active"),
                         kw.pop("noise_w"), kw.pop("serving"), **kw)
    if target == "shannon_rate":
        return core.shannon_rate(kw.pop("sinr"), kw.pop("bandwidth_hz"), **kw)
    if target == "pf_allocate":
        return core.pf_allocate(**kw)
    if target == "PFScheduler":
        return core.PFScheduler(**kw)
    if target in ("step", "step_channel", "set_state"):
        pf = core.PFScheduler(U, np.array([0, 1, 1]), C)
        return getattr(pf, target)(**kw)
    if target == "rayleigh_power":
        return core.rayleigh_power(**kw)
    if target == "run_full_buffer":
        return core.run_full_buffer(**kw)
    if target == "run_finite_buffer":
        return core.run_finite_buffer(**kw)
    if target == "evaluate":
        return core.evaluate(kw.pop("n_tokens"), kw.pop("offload"), **kw)
    raise AssertionError(target)


TARGETS = ["sinr", "shannon_rate", "pf_allocate", "PFScheduler", "step", "step_channel",
           "set_state", "rayleigh_power", "run_full_buffer", "run_finite_buffer", "evaluate"]


@pytest.mark.parametrize("target", TARGETS)
def test_base_call_is_valid(target):
    """The battery's reference point: every base call succeeds."""
    call(target)


# ---------------------------------------------------------------------------- case builders

CASES: list = []


def case(target, arg, value, exc=ValueError, label="", name=None, **extra):
    """One bad-input case; `name` is what the message must contain (default: arg)."""
    CASES.append(pytest.param(target, {arg: value, **extra}, exc, name or arg,
                              id=f"{target}-{arg}-{label}"))


def with_flat(v, x):
    """A copy of array v with its last element set to x (scalars become x)."""
    a = np.array(v, dtype=np.float64, copy=True)
    if a.ndim == 0:
        return x
    a.flat[-1] = x
    return a


def floats(target, arg, v, *, neg=True, zero=False, non_finite=True, tag=""):
    """NaN / inf / negative / zero values where they are not allowed."""
    bad = []
    if non_finite:
        bad += [("nan", NAN), ("inf", INF), ("-inf", -INF)]
    if neg:
        bad.append(("negative", -1.0))
    if zero:
        bad.append(("zero", 0.0))
    for label, x in bad:
        case(target, arg, with_flat(v, x), ValueError, tag + label)


def non_numeric(target, arg, v, *, none=True):
    """Strings, None, object arrays, complex: TypeError."""
    a = np.atleast_1d(np.asarray(v))
    case(target, arg, "abc", TypeError, "str")
    case(target, arg, np.array(["1"] * a.size).reshape(a.shape), TypeError, "str_array")
    if none:
        case(target, arg, None, TypeError, "None")
    case(target, arg, a.astype(object), TypeError, "object_array")
    case(target, arg, a.astype(np.complex128), TypeError, "complex")


def shapes(target, arg, v, wrong):
    """Wrong ndim / shape variants given as (label, array) pairs."""
    for label, x in wrong:
        case(target, arg, x, ValueError, label)


def mask(target, arg, shape):
    good = np.ones(shape, dtype=bool)
    case(target, arg, np.full(shape, 2), ValueError, "not_0_or_1")
    case(target, arg, np.full(shape, 0.5), (TypeError, ValueError), "float")
    shapes(target, arg, good, [("ndim+1", good[None]), ("short", good[..., :-1])])
    non_numeric(target, arg, good, none=False)


def threads(target):
    case(target, "n_threads", -1, ValueError, "negative")
    case(target, "n_threads", "2", TypeError, "str")
    case(target, "n_threads", 1.5, TypeError, "float")


def count(target, arg, minimum=0):
    case(target, arg, minimum - 1, ValueError, f"below_{minimum}")
    case(target, arg, 2.5, TypeError, "float")
    case(target, arg, "2", TypeError, "str")


def beta(target):
    for label, b in [("0", 0.0), ("1", 1.0), ("-0.5", -0.5), ("1.5", 1.5), ("nan", NAN),
                     ("inf", INF)]:
        case(target, "beta", b, ValueError, label)
    case(target, "beta", "0.9", TypeError, "str")
    case(target, "beta", None, TypeError, "None")
    case(target, "beta", 0.5 + 0j, TypeError, "complex")


def gain_cases(target, allow_tti):
    g = np.full((U, C, R), 1e-10)
    floats(target, "gain", g)
    for label, idx in [("serving_cell", (0, 0, 0)), ("interferer", (0, 1, 2))]:
        for x in (NAN, INF, -1e-10):
            bad = g.copy()
            bad[idx] = x
            case(target, "gain", bad, ValueError, f"{label}_{x}")
    f32 = g.astype(np.float32)
    f32[1, 1, 1] = np.nan
    case(target, "gain", f32, ValueError, "float32_nan")
    flat = np.full((U, C, 1), 1e-10)
    flat[2, 0, 0] = np.nan
    case(target, "gain", flat, ValueError, "flat_nan")
    wrong = [("ndim2", g[0]), ("more_ue", np.full((U + 1, C, R), 1e-10)),
             ("more_cell", np.full((U, C + 1, R), 1e-10)),
             ("wrong_rb", np.full((U, C, R + 1), 1e-10)), ("ndim5", g[None, None])]
    if not allow_tti:
        wrong.append(("ndim4", g[None]))
    else:
        wrong.append(("tti_wrong_ue", np.full((5, U + 1, C, R), 1e-10)))
    shapes(target, "gain", g, wrong)
    non_numeric(target, "gain", g)


def tx_cases(target):
    tx = np.full((C, R), 0.2)
    floats(target, "tx_power_w", tx)
    shapes(target, "tx_power_w", tx, [("ndim1", tx[0]), ("ndim3", tx[None]),
                                      ("no_rb", np.zeros((C, 0)))])
    non_numeric(target, "tx_power_w", tx)


def per_rb_cases(target, arg, v, zero_bad):
    floats(target, arg, v, zero=zero_bad, tag="scalar_")
    floats(target, arg, np.full(R, v), zero=zero_bad, tag="vector_")
    shapes(target, arg, v, [("len_rb+1", np.full(R + 1, v)), ("ndim2", np.full((1, R), v))])
    non_numeric(target, arg, np.full(R, v))


def serving_cases(target):
    s = np.array([0, 1, 1])
    case(target, "serving", np.array([0, -1, 1]), ValueError, "negative")
    case(target, "serving", np.array([0, C, 1]), ValueError, "num_cell")
    case(target, "serving", np.array([0, 1, 10**12]), ValueError, "huge")
    case(target, "serving", s[None], ValueError, "ndim2")
    case(target, "serving", s.astype(float), (TypeError, ValueError), "float")
    non_numeric(target, "serving", s)


def rate_cases(target):
    r = np.full((U, R), 1e6)
    floats(target, "rate", r)
    shapes(target, "rate", r, [("ndim1", r[0]), ("ndim3", r[None]),
                               ("more_ue", np.full((U + 1, R), 1e6)),
                               ("no_rb", np.zeros((U, 0)))])
    non_numeric(target, "rate", r)


# ---------------------------------------------------------------------------- the battery

# sinr
gain_cases("sinr", allow_tti=False)
tx_cases("sinr")
mask("sinr", "active", (C, R))
case("sinr", "active", None, TypeError, "None")
per_rb_cases("sinr", "noise_w", 1e-14, zero_bad=True)
serving_cases("sinr")
threads("sinr")

# shannon_rate
sinr0 = np.full((U, R), 10.0)
floats("shannon_rate", "sinr", sinr0)
shapes("shannon_rate", "sinr", sinr0, [("ndim1", sinr0[0]), ("ndim3", sinr0[None])])
non_numeric("shannon_rate", "sinr", sinr0)
per_rb_cases("shannon_rate", "bandwidth_hz", 180e3, zero_bad=False)
threads("shannon_rate")

# pf_allocate
rate_cases("pf_allocate")
avg0 = np.full(U, 1e6)
floats("pf_allocate", "avg_rate", avg0, zero=True)
shapes("pf_allocate", "avg_rate", avg0, [("ndim2", avg0[None]), ("short", avg0[:-1])])
non_numeric("pf_allocate", "avg_rate", avg0)
serving_cases("pf_allocate")
count("pf_allocate", "num_cell", 1)
case("pf_allocate", "num_cell", None, TypeError, "None")
mask("pf_allocate", "eligible", (U,))
threads("pf_allocate")

# PFScheduler constructor
count("PFScheduler", "num_ue", 0)
case("PFScheduler", "num_ue", None, TypeError, "None")
serving_cases("PFScheduler")
case("PFScheduler", "serving", np.array([0, 1]), ValueError, "short")
count("PFScheduler", "num_cell", 1)
beta("PFScheduler")

# PFScheduler.step
rate_cases("step")
mask("step", "eligible", (U,))
threads("step")

# PFScheduler.step_channel
gain_cases("step_channel", allow_tti=False)
tx_cases("step_channel")
case("step_channel", "tx_power_w", np.full((C + 1, R), 0.2), ValueError, "more_cells")
per_rb_cases("step_channel", "noise_w", 1e-14, zero_bad=True)
per_rb_cases("step_channel", "bandwidth_hz", 180e3, zero_bad=False)
mask("step_channel", "active", (C, R))
mask("step_channel", "eligible", (U,))
threads("step_channel")

# PFScheduler.set_state
floats("set_state", "avg_rate", avg0, zero=True)
floats("set_state", "last_rate", np.zeros(U))
for _arg in ("avg_rate", "last_rate"):
    shapes("set_state", _arg, avg0, [("ndim2", avg0[None]), ("short", avg0[:-1]),
                                    ("long", np.ones(U + 1))])
    non_numeric("set_state", _arg, avg0)

# rayleigh_power
for _arg in ("num_tti", "num_ue", "num_cell", "num_rb", "first_tti"):
    count("rayleigh_power", _arg, 0)
case("rayleigh_power", "seed", -1, ValueError, "negative")
case("rayleigh_power", "seed", 2**64, ValueError, "2**64")
case("rayleigh_power", "seed", 1.5, TypeError, "float")
case("rayleigh_power", "seed", "1", TypeError, "str")
case("rayleigh_power", "seed", None, TypeError, "None")
threads("rayleigh_power")

# the two runs
for _t in ("run_full_buffer", "run_finite_buffer"):
    gain_cases(_t, allow_tti=True)
    tx_cases(_t)
    per_rb_cases(_t, "noise_w", 1e-14, zero_bad=True)
    per_rb_cases(_t, "bandwidth_hz", 180e3, zero_bad=False)
    serving_cases(_t)
    beta(_t)
    threads(_t)
    case(_t, "num_tti", -1, ValueError, "negative")
    case(_t, "num_tti", 2.5, TypeError, "float")
    case(_t, "num_tti", "3", TypeError, "str")
    case(_t, "num_tti", None, ValueError, "None_with_3d_gain")
    case(_t, "num_tti", 6, ValueError, "beyond_4d_gain", gain=np.full((5, U, C, R), 1e-10))
    for _label, _f in [("capitalized", "Rayleigh"), ("rician", "rician"), ("empty", ""),
                       ("int", 1), ("true", True)]:
        case(_t, "fading", _f, ValueError, _label)
    case(_t, "fading", ["rayleigh"], (ValueError, TypeError), "list")
    case(_t, "seed", -1, ValueError, "negative")
    case(_t, "seed", 2**64, ValueError, "2**64")
    case(_t, "seed", 1.5, TypeError, "float")
    case(_t, "seed", "0", TypeError, "str")
    case(_t, "seed", None, TypeError, "None")
    _bg = np.ones(C, dtype=bool)
    shapes(_t, "background", _bg, [("more_cells", np.ones(C + 1, bool)),
                                   ("wrong_rb", np.ones((C, R + 1), bool)),
                                   ("ndim3", np.ones((1, C, R), bool))])
    case(_t, "background", np.full(C, 2), ValueError, "not_0_or_1")
    case(_t, "background", np.full(C, 0.5), (TypeError, ValueError), "float")
    case(_t, "background", "abc", TypeError, "str")
    case(_t, "background", _bg.astype(complex), TypeError, "complex")
    case(_t, "background", _bg.astype(object), TypeError, "object_array")
    case(_t, "seed", -1, ValueError, "negative_with_fading", fading="rayleigh")
case("run_full_buffer", "num_tti", 0, ValueError, "zero")

# finite-buffer requests
_ft = "run_finite_buffer"
_ue = np.array([0, 1, 2])
case(_ft, "request_ue", np.array([0, -1, 2]), ValueError, "negative")
case(_ft, "request_ue", np.array([0, U, 2]), ValueError, "num_ue")
case(_ft, "request_ue", _ue[None], ValueError, "ndim2")
case(_ft, "request_ue", _ue.astype(float), (TypeError, ValueError), "float")
non_numeric(_ft, "request_ue", _ue)
case(_ft, "request_tti", np.array([0, -1, 0]), ValueError, "negative")
case(_ft, "request_tti", np.array([0, 0]), ValueError, "short")
case(_ft, "request_tti", np.array([[0, 0, 0]]), ValueError, "ndim2")
case(_ft, "request_tti", np.array([0.0, 1.0, 2.0]), (TypeError, ValueError), "float")
non_numeric(_ft, "request_tti", np.array([0, 0, 1]))
_bytes = np.array([1e3, 2e3, 3e3])
floats(_ft, "request_bytes", _bytes, zero=True)
case(_ft, "request_bytes", np.array([1e3, 2e3]), ValueError, "short")
case(_ft, "request_bytes", _bytes[None], ValueError, "ndim2")
non_numeric(_ft, "request_bytes", _bytes)
for _label, _x in [("zero", 0.0), ("negative", -1e-3), ("nan", NAN), ("inf", INF)]:
    case(_ft, "tti_s", _x, ValueError, _label)
case(_ft, "tti_s", "1e-3", TypeError, "str")
case(_ft, "tti_s", None, TypeError, "None")

# evaluate
_ev = "evaluate"
_n = np.array([100.0, 200.0, 300.0])
floats(_ev, "n_tokens", _n)
shapes(_ev, "n_tokens", _n, [("ndim2", _n[None]), ("long", np.ones(4))])
non_numeric(_ev, "n_tokens", _n)
_off = np.array([True, False, True])
case(_ev, "offload", np.array([1, 2, 0]), ValueError, "not_0_or_1")
case(_ev, "offload", np.array([0.5, 1.0, 0.0]), (TypeError, ValueError), "float")
shapes(_ev, "offload", _off, [("ndim2", _off[None])])
non_numeric(_ev, "offload", _off)
floats(_ev, "capacity_bps", _n * 1e4, zero=True)
shapes(_ev, "capacity_bps", _n, [("ndim2", _n[None] * 1e4), ("long", np.full(5, 1e6))])
non_numeric(_ev, "capacity_bps", _n * 1e4, none=False)
_radio = dict(capacity_bps=None)
for _label, _x in [("nan", NAN), ("inf", INF), ("negative", -0.1)]:
    case(_ev, "radio_delay_s", np.array([0.1, 0.2, _x]), ValueError, _label, **_radio)
case(_ev, "radio_delay_s", np.ones(2), ValueError, "short", **_radio)
case(_ev, "radio_delay_s", "abc", TypeError, "str", **_radio)
case(_ev, "radio_delay_s", np.ones(3, complex), TypeError, "complex", **_radio)
for _arg in ("bytes_per_token", "t_back_s", "ttft_edge_s", "tpot_edge_s", "ttft_cloud_s",
             "tpot_cloud_s", "penalty"):
    floats(_ev, _arg, 1.0)
    case(_ev, _arg, np.ones(5), ValueError, "length_mismatch")
    case(_ev, _arg, np.ones((3, 1)), ValueError, "ndim2")
    non_numeric(_ev, _arg, 1.0)
for _arg in ("quality_req", "quality_edge", "quality_cloud", "target_s"):
    floats(_ev, _arg, 50.0, neg=False)  # negative values are legal on these scales
    case(_ev, _arg, np.ones(5), ValueError, "length_mismatch")
    non_numeric(_ev, _arg, 50.0)
threads(_ev)


@pytest.mark.parametrize(("target", "override", "exc", "name"), CASES)
def test_bad_input_raises_naming_the_argument(target, override, exc, name):
    with pytest.raises(exc, match=rf"\b{re.escape(name)}\b"):
        call(target, **override)


@pytest.mark.parametrize(
    "override",
    [
        pytest.param(dict(capacity_bps=np.ones(3), radio_delay_s=np.ones(3)), id="both"),
        pytest.param(dict(capacity_bps=None), id="neither"),
        pytest.param(dict(capacity_bps=None, radio_delay_s=None), id="neither_explicit"),
    ],
)
def test_evaluate_needs_exactly_one_radio_term(override):
    with pytest.raises(ValueError, match=r"\bcapacity_bps\b") as err:
        call("evaluate", **override)
    assert re.search(r"\bradio_delay_s\b", str(err.value))


@pytest.mark.parametrize(
    ("override", "names"),
    [
        pytest.param(dict(offload=np.ones(2, bool)), ("offload", "n_tokens", "capacity_bps"),
                     id="offload"),
        pytest.param(dict(n_tokens=np.ones(4)), ("n_tokens", "capacity_bps", "offload"),
                     id="n_tokens"),
        pytest.param(dict(quality_req=np.ones(2)), ("quality_req",), id="quality_req"),
    ],
)
def test_evaluate_mismatched_lengths_name_an_argument(override, names):
    with pytest.raises(ValueError) as err:
        call("evaluate", **override)
    assert any(re.search(rf"\b{n}\b", str(err.value)) for n in names), str(err.value)


def test_runs_reject_mismatched_request_lengths():
    with pytest.raises(ValueError, match=r"\brequest_(tti|bytes|ue)\b"):
        call("run_finite_buffer", request_ue=np.array([0, 1]))


def test_set_state_error_leaves_state_untouched():
    pf = core.PFScheduler(U, [0, 1, 1], C)
    pf.step(np.full((U, R), 1e6))
    before = pf.avg_rate.copy(), pf.last_rate.copy()
    with pytest.raises(ValueError, match=r"\bavg_rate\b"):
        pf.set_state([1.0, NAN, 1.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"\blast_rate\b"):
        pf.set_state([1.0, 1.0, 1.0], [0.0, -1.0, 0.0])
    assert np.array_equal(pf.avg_rate, before[0]) and np.array_equal(pf.last_rate, before[1])


def test_failed_step_leaves_scheduler_state_untouched():
    pf = core.PFScheduler(U, [0, 1, 1], C)
    pf.step(np.array([[1e6] * R, [2e6] * R, [3e6] * R]))
    before = pf.avg_rate.copy(), pf.last_rate.copy()
    bad = np.full((U, R), 1e6)
    bad[2, 1] = NAN
    with pytest.raises(ValueError, match=r"\brate\b"):
        pf.step(bad)
    g = np.full((U, C, R), 1e-10)
    g[1, 0, 0] = -1.0
    with pytest.raises(ValueError, match=r"\bgain\b"):
        pf.step_channel(g, np.full((C, R), 0.2), 1e-14, 180e3)
    assert np.array_equal(pf.avg_rate, before[0]) and np.array_equal(pf.last_rate, before[1])


def test_interpreter_survives_the_battery():
    """Runs after the battery (file order): the core still computes correct numbers."""
    s = core.sinr(np.full((1, 1, 2), 2.0), np.ones((1, 2)), np.ones((1, 2), bool), 0.5, [0])
    assert s.tolist() == [[4.0, 4.0]]
    res = call("run_finite_buffer")
    assert res.completion_tti.shape == (3,)


# Child-process calls with enough work for many threads; G, TX, S are defined in the child.
HUGE_THREADS = {
    "sinr": "core.sinr(G, TX, TX > 0, 1e-14, S, n_threads=N)",
    "shannon_rate": "core.shannon_rate(np.ones((4096, 128)), 1.0, n_threads=N)",
    "pf_allocate": "core.pf_allocate(np.ones((16384, 128)), np.ones(16384), "
                   "np.arange(16384) % 256, 256, n_threads=N)",
    "rayleigh_power": "core.rayleigh_power(4, 512, 2, 128, seed=1, n_threads=N)",
    "run_full_buffer": "core.run_full_buffer(G, TX, 1e-14, S, 180e3, num_tti=1, n_threads=N)",
    "run_finite_buffer": "core.run_finite_buffer(G, TX, 1e-14, S, 180e3, num_tti=1, "
                         "request_ue=np.arange(4096), request_tti=np.zeros(4096, int), "
                         "request_bytes=np.full(4096, 1e9), n_threads=N)",
    "step_channel": "core.PFScheduler(4096, S, 2).step_channel(G, TX, 1e-14, 180e3, n_threads=N)",
    "evaluate": "core.evaluate(np.ones(200_000), True, capacity_bps=1e6, n_threads=N)",
}


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="an address-space limit cannot coexist with AddressSanitizer")
@pytest.mark.parametrize("target", sorted(HUGE_THREADS))
def test_huge_n_threads_does_not_kill_the_interpreter(target):
    """n_threads far beyond what the OS can start must be clamped or rejected (ValueError
    naming n_threads), never abort the process (libgomp aborts when it cannot create a
    thread). The child process makes thread creation fail early and harmlessly: 64 MiB
    thread stacks (OMP_STACKSIZE) under an address-space limit that leaves room for a few
    dozen threads more than max_threads(). Its control call with the default n_threads
    must run; any clamp up to a few times max_threads() passes."""
    limit = (3 << 30) + 4 * core.max_threads() * (64 << 20)
    code = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
        import numpy as np
        import genoff.core as core
        G, TX, S = np.full((4096, 2, 128), 1e-10), np.ones((2, 128)), np.arange(4096) % 2
        N = 0
        {HUGE_THREADS[target]}  # control: the environment itself is fine
        N = 100_000
        try:
            {HUGE_THREADS[target]}
        except ValueError as e:
            assert "n_threads" in str(e), e
            print("rejected")
        else:
            print("ran")
        """
    )
    env = {**os.environ, "OMP_STACKSIZE": "64M"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    assert proc.stdout.strip() in ("rejected", "ran")


GAIN_TARGETS = ["sinr", "step_channel", "run_full_buffer", "run_finite_buffer"]


@pytest.mark.parametrize(
    ("target", "fading"),
    [(t, None) for t in GAIN_TARGETS] + [(t, "rayleigh") for t in GAIN_TARGETS[2:]],
)
@pytest.mark.parametrize("num_rb", [1, 8, 13, 32, 45])
@pytest.mark.parametrize("bad", [NAN, INF, -1e-10, -1e-300], ids=["nan", "inf", "neg", "tiny_neg"])
def test_bad_gain_is_caught_on_any_rb_and_cell(target, fading, num_rb, bad):
    """Wherever it sits (any RB, own or interfering cell), a bad gain raises ValueError."""
    tx = np.full((C, num_rb), 0.2)
    extra = {} if fading is None else {"fading": fading}
    if target == "sinr":
        extra["active"] = np.ones((C, num_rb), bool)
    if target == "run_finite_buffer":  # every cell busy in every TTI, so every gain is used
        extra["request_bytes"] = np.full(U, 1e7)
    for k, j, q in [(0, 0, num_rb - 1), (1, 0, num_rb // 2), (2, 1, 0), (2, 0, num_rb - 1)]:
        gain = np.full((U, C, num_rb), 1e-10)
        gain[k, j, q] = bad
        with pytest.raises(ValueError, match=r"\bgain\b"):
            call(target, gain=gain, tx_power_w=tx, **extra)


@pytest.mark.parametrize("target", GAIN_TARGETS)
@pytest.mark.parametrize("num_rb", [1, 8, 45])
def test_negative_zero_gain_is_a_zero_gain(target, num_rb):
    """-0.0 is a valid (zero) gain: same result as +0.0, no error."""
    tx = np.full((C, num_rb), 0.2)
    gain = np.full((U, C, num_rb), 1e-10)
    gain[:, 1, ::3] = 0.0
    neg = gain.copy()
    neg[:, 1, ::3] = -0.0
    extra = {"active": np.ones((C, num_rb), bool)} if target == "sinr" else {}
    a = call(target, gain=gain, tx_power_w=tx, **extra)
    b = call(target, gain=neg, tx_power_w=tx, **extra)
    if hasattr(a, "__dataclass_fields__"):
        a, b = a.throughput_bps, b.throughput_bps
    assert np.array_equal(a, b)
