"""Upper bounds of the scenario's numeric fields.

They are far outside any setting the paper or the 3GPP calibrations use, and they keep every
derived quantity finite (dBm -> W conversions, noise power, token and byte counts in
int64/float64, rewards summed over a run) and a run's arrays within memory, so a scenario that
loads also runs. A leaf: imports nothing.
"""

from __future__ import annotations

#: ``layout.isd_m`` (m).
MAX_ISD_M = 100e3
#: ``layout.users_per_cell``.
MAX_USERS_PER_CELL = 100_000
#: ``channel.h_bs_m`` (m).
MAX_H_BS_M = 1000.0
#: ``radio.num_rb``.
MAX_NUM_RB = 10_000
#: ``radio.rb_bandwidth_hz`` (Hz).
MAX_RB_BANDWIDTH_HZ = 1e9
#: ``scheduler.num_tti``.
MAX_NUM_TTI = 10_000_000
#: ``tasks.token_cv`` and ``tasks.size_estimate_noise`` (relative standard deviations).
MAX_CV = 100.0
#: ``tasks.max_tokens``.
MAX_TOKENS = 10_000_000
#: ``tasks.bytes_per_token``.
MAX_BYTES_PER_TOKEN = 1e6
#: ``tasks.size_level_edges`` (tokens).
MAX_SIZE_EDGE = 1e12
#: Number of size levels (``tasks.size_level_edges`` holds one fewer edges).
MAX_SIZE_LEVELS = 64
#: ``tasks.requests_per_step``.
MAX_REQUESTS_PER_STEP = 1000
#: ``llm.edge_batch_ttft_slope`` and ``llm.edge_batch_tpot_slope``.
MAX_SLOPE = 1000.0
#: ``reward.target_s``, ``reward.penalty`` and ``reward.t_back_s``.
MAX_SECONDS = 1e6
#: Largest users x RBs of one run (the core's per-TTI arrays are [num_ue, num_rb]).
MAX_USER_RBS = 20_000_000
