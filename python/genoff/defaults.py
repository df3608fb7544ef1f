"""The paper's default constants, in one place (Zhou et al., IEEE WCL 2025, Sec. IV-A).

The compiled core's :func:`genoff.core.evaluate`, its NumPy twin and the scenario's field
defaults all read these; the catalog (``genoff/data/catalog.toml``) holds the models'
numbers with their sources, and the values for the default models are repeated here only
as the defaults of :func:`genoff.core.evaluate` (tests/test_catalog.py checks that they
agree). A leaf: imports nothing. The C++ API's defaults (PF_BETA, TTI_S) come from a header that
CMake generates from this file, so they have no second home either.
"""

from __future__ import annotations

__all__ = [
    "BYTES_PER_TOKEN", "T_BACK_S", "TARGET_S", "PENALTY", "EDGE_MODEL", "CLOUD_MODEL",
    "TTFT_EDGE_S", "TPOT_EDGE_S", "TTFT_CLOUD_S", "TPOT_CLOUD_S", "QUALITY_EDGE",
    "QUALITY_CLOUD", "EVALUATE_DEFAULTS", "PF_BETA", "TTI_S",
]

#: Content size per output token in bytes (paper Sec. IV-A; OpenAI's 4 characters/token).
BYTES_PER_TOKEN = 4.0
#: Backhaul delay of an offloaded request, edge <-> cloud, in seconds (eq. 1).
T_BACK_S = 0.1
#: Target delay T_target of the reward, eq. (10), in seconds.
TARGET_S = 40.0
#: Penalty of the reward, eq. (10), for violating the quality constraint (4e).
PENALTY = 30.0
#: The default model pair (the catalog's names): Llama3-8B at the edge, GPT-4o in the cloud.
EDGE_MODEL = "llama3-8b"
CLOUD_MODEL = "gpt-4o"
#: The catalog's numbers of the default pair: TTFT and TPOT in seconds, MMLU quality.
TTFT_EDGE_S = 0.23
TPOT_EDGE_S = 1.0 / 75.0
TTFT_CLOUD_S = 0.42
TPOT_CLOUD_S = 1.0 / 32.0
QUALITY_EDGE = 68.4
QUALITY_CLOUD = 88.7

#: Forgetting factor of the proportional-fair average throughput, T <- beta T + (1 - beta) r
#: (Sionna's PFSchedulerSUMIMO default; a 50-TTI window). The C++ API reads it from the
#: header CMake generates from this line (genoff/defaults.hpp): keep it a plain number.
PF_BETA = 0.98
#: Length of a TTI in seconds (5G NR numerology 0: 1 ms slots). Generated into C++ too.
TTI_S = 1e-3

#: Keyword defaults of :func:`genoff.core.evaluate` (and of its NumPy twin).
EVALUATE_DEFAULTS: dict[str, float] = {
    "quality_req": 0.0,
    "bytes_per_token": BYTES_PER_TOKEN,
    "t_back_s": T_BACK_S,
    "ttft_edge_s": TTFT_EDGE_S,
    "tpot_edge_s": TPOT_EDGE_S,
    "ttft_cloud_s": TTFT_CLOUD_S,
    "tpot_cloud_s": TPOT_CLOUD_S,
    "quality_edge": QUALITY_EDGE,
    "quality_cloud": QUALITY_CLOUD,
    "target_s": TARGET_S,
    "penalty": PENALTY,
}
