"""Core vs NumPy reference, side by side in pytest-benchmark groups.

Run: ``python -m pytest bench --benchmark-group-by=group`` (add
``--benchmark-json=out.json`` and ``python bench/ratios.py out.json`` for the ratios).
"""

from __future__ import annotations

import numpy as np
import pytest

from genoff import _reference as ref
from genoff import core

from conftest import RB_HZ, THREADS

IMPLS = {"core": core, "reference": ref}
NUM_TTI = 1000


def _tti(impl, case, gain):
    pf = impl.PFScheduler(case.serving.size, case.serving, case.tx_power_w.shape[0])
    return lambda: pf.step_channel(gain, case.tx_power_w, case.noise_w, RB_HZ, n_threads=THREADS)


@pytest.mark.parametrize("impl", ["core", "reference"])
def test_tti_paper(benchmark, impl, paper):
    """One TTI (SINR + rate + PF + average update), paper scale: 140 users, 7 cells, 106 RBs."""
    benchmark.group = "tti-paper"
    benchmark(_tti(IMPLS[impl], paper, paper.gain))


@pytest.mark.parametrize("impl", ["core", "reference"])
def test_tti_3gpp(benchmark, impl, gpp):
    """One TTI at 3GPP scale: 1140 users, 57 cells, 273 RBs, float64 gains (142 MB)."""
    benchmark.group = "tti-3gpp-float64"
    benchmark.pedantic(_tti(IMPLS[impl], gpp, gpp.gain), rounds=10 if impl == "core" else 5,
                       warmup_rounds=1)


def test_tti_3gpp_roofline(benchmark, gpp):
    """Roofline of a single TTI: one memory copy of the float64 gain tensor."""
    benchmark.group = "tti-3gpp-float64"
    dst = np.empty_like(gpp.gain)
    benchmark.pedantic(lambda: np.copyto(dst, gpp.gain), rounds=10, warmup_rounds=1)
    benchmark.extra_info["bytes"] = gpp.gain.nbytes


@pytest.mark.parametrize("what", ["core", "roofline"])
def test_tti_3gpp_float32(benchmark, what, gpp):
    """One TTI at 3GPP scale with float32 gains (71 MB), against a copy of that tensor."""
    benchmark.group = "tti-3gpp-float32"
    g32 = gpp.gain.astype(np.float32)
    if what == "core":
        fn = _tti(core, gpp, g32)
    else:
        dst = np.empty_like(g32)
        fn = lambda: np.copyto(dst, g32)  # noqa: E731
    benchmark.pedantic(fn, rounds=10, warmup_rounds=1)


def _run(impl, case):
    return lambda: impl.run_full_buffer(
        case.gain_ls, case.tx_power_w, case.noise_w, case.serving, RB_HZ, num_tti=NUM_TTI,
        fading="rayleigh", seed=1, n_threads=THREADS,
    )


@pytest.mark.parametrize("impl", ["core", "reference"])
def test_run_paper(benchmark, impl, paper):
    """1000-TTI full-buffer run, fading drawn inside, paper scale."""
    benchmark.group = "run1000-paper"
    benchmark.pedantic(_run(IMPLS[impl], paper), rounds=5 if impl == "core" else 1)


@pytest.mark.parametrize("impl", ["core", "reference"])
def test_run_3gpp(benchmark, impl, gpp):
    """1000-TTI full-buffer run, fading drawn inside, 3GPP scale (the reference takes minutes)."""
    benchmark.group = "run1000-3gpp"
    benchmark.pedantic(_run(IMPLS[impl], gpp), rounds=2 if impl == "core" else 1)
