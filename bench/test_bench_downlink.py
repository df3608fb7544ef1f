"""Core vs NumPy reference vs roofline, interleaved, 1 thread against 1 thread (2 beside).

Run: ``python -m pytest bench/test_bench_downlink.py --benchmark-json=out.json`` then
``python bench/ratios.py out.json``.

Each test is one group: its contenders run round-robin in one loop (A B C, C B A, A B C, ...)
so machine noise hits them alike, and every contender's min/median/max is stored in the
benchmark's ``extra_info["contenders"]`` (pytest-benchmark's own figures time a whole round
and mean nothing alone). Threads: ``core`` runs with the group's ``n_threads``; the NumPy
reference is single-threaded (its BLAS is pinned to one thread in conftest.py; its einsum and
ufuncs are single-threaded anyway), so the 1-thread groups compare equals and the 2-thread
groups show what a second core buys. The roofline is a read-only pass (the sum) over the gain
tensor with the group's thread count: a TTI must read that tensor once, so it cannot beat it.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from genoff import _core
from genoff import _reference as ref
from genoff import core

from conftest import RB_HZ

IMPLS = {"core": core, "reference": ref}
NUM_TTI_PAPER = 1000
NUM_TTI_3GPP = 100  # the reference needs ~0.3 s per 3GPP TTI: 1000 TTIs would take minutes


def interleaved(benchmark, contenders: dict, rounds: int, warmup: int = 1) -> dict:
    """Time `contenders` (name -> callable) round-robin; store and return their stats (s)."""
    names = list(contenders)
    times: dict[str, list[float]] = {n: [] for n in names}
    for n in names:
        for _ in range(warmup):
            contenders[n]()
    state = {"round": 0}

    def one_round():
        order = names if state["round"] % 2 == 0 else names[::-1]
        for n in order:
            t0 = time.perf_counter()
            contenders[n]()
            times[n].append(time.perf_counter() - t0)
        state["round"] += 1

    benchmark.pedantic(one_round, rounds=rounds, iterations=1)
    stats = {
        n: {"min": min(v), "median": statistics.median(v), "max": max(v), "rounds": len(v)}
        for n, v in times.items()
    }
    benchmark.extra_info["contenders"] = stats
    return stats


def _tti(impl, case, gain, threads):
    pf = impl.PFScheduler(case.serving.size, case.serving, case.tx_power_w.shape[0])
    return lambda: pf.step_channel(gain, case.tx_power_w, case.noise_w, RB_HZ, n_threads=threads)


def _roofline(gain, threads):
    return lambda: _core._read_pass(gain, threads)


@pytest.mark.parametrize("threads", [1, 2])
def test_tti_paper(benchmark, threads, paper):
    """One TTI (SINR + rate + PF + average update), paper scale: 140 users, 7 cells, 106 RBs."""
    benchmark.group = f"tti-paper-{threads}t"
    interleaved(benchmark, {
        "core": _tti(core, paper, paper.gain, threads),
        "reference": _tti(ref, paper, paper.gain, threads),
        "roofline": _roofline(paper.gain, threads),
    }, rounds=300, warmup=5)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tti_3gpp(benchmark, threads, dtype, gpp):
    """One TTI at 3GPP scale: 1140 users, 57 cells, 273 RBs (142 MB float64, 71 MB float32)."""
    benchmark.group = f"tti-3gpp-{dtype}-{threads}t"
    g = gpp.gain.astype(dtype)
    contenders = {"core": _tti(core, gpp, g, threads), "roofline": _roofline(g, threads)}
    if dtype == "float64":
        contenders["reference"] = _tti(ref, gpp, g, threads)
    benchmark.extra_info["bytes"] = g.nbytes
    interleaved(benchmark, contenders, rounds=10 if dtype == "float64" else 20)


def _requests(case, num_tti, per_user=5, seed=3):
    """Each user gets `per_user` requests of 1000 tokens x 4 bytes at random TTIs."""
    rng = np.random.default_rng(seed)
    ue = np.repeat(np.arange(case.serving.size), per_user)
    tti = rng.integers(0, max(1, num_tti - 50), ue.size)
    return ue, tti, np.full(ue.size, 4000.0)


def _run(impl, case, mode, num_tti, threads):
    kw = dict(num_tti=num_tti, fading="rayleigh", seed=1, n_threads=threads)
    args = (case.gain_ls, case.tx_power_w, case.noise_w, case.serving, RB_HZ)
    if mode == "full":
        return lambda: impl.run_full_buffer(*args, **kw)
    ue, tti, size = _requests(case, num_tti)
    return lambda: impl.run_finite_buffer(
        *args, request_ue=ue, request_tti=tti, request_bytes=size, **kw
    )


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("mode", ["full", "finite"])
def test_run_paper(benchmark, threads, mode, paper):
    """1000-TTI run with Rayleigh fading drawn inside, paper scale, full or finite buffers."""
    benchmark.group = f"run{NUM_TTI_PAPER}-{mode}-paper-{threads}t"
    interleaved(benchmark, {
        "core": _run(core, paper, mode, NUM_TTI_PAPER, threads),
        "reference": _run(ref, paper, mode, NUM_TTI_PAPER, threads),
    }, rounds=3, warmup=0)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("mode", ["full", "finite"])
def test_run_3gpp(benchmark, threads, mode, gpp):
    """100-TTI run with Rayleigh fading drawn inside, 3GPP scale, full or finite buffers."""
    benchmark.group = f"run{NUM_TTI_3GPP}-{mode}-3gpp-{threads}t"
    interleaved(benchmark, {
        "core": _run(core, gpp, mode, NUM_TTI_3GPP, threads),
        "reference": _run(ref, gpp, mode, NUM_TTI_3GPP, threads),
    }, rounds=1, warmup=0)


def test_fading_draw_rate(benchmark):
    """In-kernel fading generator alone: ns per Exp(1) draw, 1 thread, output in cache."""
    benchmark.group = "fading-draws-1t"
    n = 200_000
    stats = interleaved(benchmark, {
        "core": lambda: core.rayleigh_power(1, 1, 1, n, seed=1, n_threads=1),
        "reference": lambda: ref.rayleigh_power(1, 1, 1, n, seed=1),
    }, rounds=50, warmup=2)
    benchmark.extra_info["ns_per_draw"] = {k: v["min"] / n * 1e9 for k, v in stats.items()}
