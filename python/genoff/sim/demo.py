"""A short downlink + evaluation demo of the compiled core (``genoff demo``).

Seven hexagonal cells (ISD 500 m, centre cell plus one ring), users dropped uniformly in
the centre cell, the neighbours fully loaded so they always interfere. Path loss is the
TR 36.814 macro formula ``128.1 + 37.6 log10(d / km)`` with 8 dB log-normal shadowing: a
stand-in until the scenario module provides TR 38.901 UMa. The demo

1. runs a full-buffer PF downlink with Rayleigh fading for ``num_tti`` TTIs in C++ and
   reports each user's long-run throughput ``C`` (the paper's eq. 2 capacity);
2. gives every user one 1000-token request and evaluates both decisions (edge Llama3-8B,
   cloud GPT-4o) with eq. (1)-(10), in the paper's ``analytic`` mode and in ``tti`` mode
   (content drained through finite buffers under PF);
3. prints the per-decision mean delay and reward and the oracle (best decision per request).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from genoff import core
from genoff._util import validate

ISD_M = 500.0
NUM_RB = 106
RB_HZ = 180e3
TX_DBM = 46.0
NOISE_DBM_HZ = -174.0
NOISE_FIGURE_DB = 9.0


@dataclass
class Demo:
    gain: np.ndarray  # [num_ue, num_cell, 1]
    tx_power_w: np.ndarray  # [num_cell, num_rb]
    noise_w: float
    serving: np.ndarray  # [num_ue]
    background: np.ndarray  # [num_cell]


def build(num_ue: int, seed: int) -> Demo:
    rng = np.random.default_rng(seed)
    angles = np.arange(6) * np.pi / 3 + np.pi / 6
    sites = np.vstack([[0.0, 0.0], ISD_M * np.c_[np.cos(angles), np.sin(angles)]])  # [7, 2]
    # users uniform in the centre hexagon's inscribed disc, at least 35 m from the site
    r = np.sqrt(rng.uniform(35.0**2, (ISD_M / 2) ** 2, num_ue))
    phi = rng.uniform(0, 2 * np.pi, num_ue)
    ue = np.c_[r * np.cos(phi), r * np.sin(phi)]  # [num_ue, 2]
    d_km = np.linalg.norm(ue[:, None, :] - sites[None], axis=-1) / 1e3  # [num_ue, 7]
    pl_db = 128.1 + 37.6 * np.log10(d_km) + rng.normal(0.0, 8.0, d_km.shape)
    gain = 10.0 ** (-pl_db / 10)[..., None]
    tx = np.full((7, NUM_RB), 10 ** ((TX_DBM - 30) / 10) / NUM_RB)
    noise = 10 ** ((NOISE_DBM_HZ + NOISE_FIGURE_DB - 30) / 10) * RB_HZ
    background = np.arange(7) > 0  # neighbours are loaded by users we do not simulate
    return Demo(gain, tx, noise, np.zeros(num_ue, dtype=np.int64), background)


MAX_UE = 100_000
MAX_TTI = 10_000_000  # 10^4 s of air time: beyond that the demo would run for hours
MAX_SEED = 2**63 - 1


def run(num_ue: int = 20, num_tti: int = 1000, seed: int = 0, n_threads: int = 0) -> str:
    """Run the demo and return its report. Bad sizes raise ValueError naming them."""
    validate.integer("users", num_ue, ge=1, le=MAX_UE)
    validate.integer("tti", num_tti, ge=1, le=MAX_TTI)
    validate.integer("seed", seed, ge=0, le=MAX_SEED)
    validate.integer("threads", n_threads, ge=0, le=2**31 - 1)
    d = build(num_ue, seed)
    t0 = time.perf_counter()
    full = core.run_full_buffer(
        d.gain, d.tx_power_w, d.noise_w, d.serving, RB_HZ, num_tti=num_tti, fading="rayleigh",
        seed=seed, background=d.background, n_threads=n_threads,
    )
    t_full = time.perf_counter() - t0
    n_tokens = np.full(num_ue, 1000.0)
    rng = np.random.default_rng(seed + 1)
    quality_req = np.where(rng.random(num_ue) < 0.4, 80.0, 60.0)  # 40 % quality-preferred
    t0 = time.perf_counter()
    fin = core.run_finite_buffer(
        d.gain, d.tx_power_w, d.noise_w, d.serving, RB_HZ, request_ue=np.arange(num_ue),
        request_tti=np.zeros(num_ue, dtype=np.int64), request_bytes=n_tokens * 4.0,
        num_tti=100_000, fading="rayleigh", seed=seed, background=d.background,
        n_threads=n_threads,
    )
    t_fin = time.perf_counter() - t0
    lines = [
        f"genoff demo: {num_ue} users in the centre of 7 cells, {NUM_RB} RBs, seed {seed}",
        f"full-buffer PF run: {num_tti} TTIs with Rayleigh fading in {t_full * 1e3:.1f} ms "
        f"({t_full / num_tti * 1e6:.1f} us/TTI, "
        + (f"n_threads={n_threads})" if n_threads else
           f"n_threads=0: the core's choice, at most {core.max_threads()} threads)"),
        "per-user throughput C [Mbit/s]: min {:.2f}  median {:.2f}  max {:.2f}".format(
            *(np.percentile(full.throughput_bps, [0, 50, 100]) / 1e6)
        ),
        f"finite-buffer PF run: {fin.num_tti_run} TTIs to deliver {num_ue} x 4000-byte "
        f"contents ({t_fin * 1e3:.1f} ms)",
        "",
        f"{'mode':<9}{'decision':<10}{'mean delay [s]':>16}{'mean reward':>13}{'violations':>12}",
    ]
    for mode, radio in (("analytic", {"capacity_bps": full.throughput_bps}),
                        ("tti", {"radio_delay_s": fin.delay_s})):
        local = core.evaluate(n_tokens, False, quality_req=quality_req, **radio)
        cloud = core.evaluate(n_tokens, True, quality_req=quality_req, **radio)
        best = cloud.reward > local.reward
        oracle = core.evaluate(n_tokens, best, quality_req=quality_req, **radio)
        for name, ev in (("local", local), ("offload", cloud), ("oracle", oracle)):
            lines.append(
                f"{mode:<9}{name:<10}{ev.t_total_s.mean():>16.3f}{ev.reward.mean():>13.3f}"
                f"{int(ev.violated.sum()):>12d}"
            )
    return "\n".join(lines)
