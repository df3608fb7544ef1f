# Hand-written stub of the compiled module genoff._core (see cpp/bindings/).
# Prefer the documented wrappers in genoff.core.
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str
has_openmp: bool

ArrayLike = npt.ArrayLike
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

def max_threads() -> int: ...
def _read_pass(a: ArrayLike, n_threads: int = 1) -> float: ...
def sinr(
    gain: ArrayLike, tx_power_w: ArrayLike, active: ArrayLike, noise_w: ArrayLike,
    serving: ArrayLike, *, n_threads: int = 0,
) -> F64: ...
def shannon_rate(sinr: ArrayLike, bandwidth_hz: ArrayLike, *, n_threads: int = 0) -> F64: ...
def rayleigh_power(
    num_tti: int, num_ue: int, num_cell: int, num_rb: int, *, seed: int, first_tti: int = 0,
    n_threads: int = 0,
) -> F64: ...
def pf_allocate(
    rate: ArrayLike, avg_rate: ArrayLike, serving: ArrayLike, num_cell: int,
    eligible: ArrayLike | None = None, *, n_threads: int = 0,
) -> I64: ...

class PFScheduler:
    def __init__(self, num_ue: int, serving: ArrayLike, num_cell: int, beta: float) -> None: ...
    def step(self, rate: ArrayLike, eligible: ArrayLike | None = None, *, n_threads: int = 0) -> I64: ...
    def step_channel(
        self, gain: ArrayLike, tx_power_w: ArrayLike, noise_w: ArrayLike, bandwidth_hz: ArrayLike,
        *, active: ArrayLike | None = None, eligible: ArrayLike | None = None, n_threads: int = 0,
    ) -> I64: ...
    def reset(self) -> None: ...
    def set_state(self, avg_rate: ArrayLike, last_rate: ArrayLike) -> None: ...
    @property
    def avg_rate(self) -> F64: ...
    @property
    def last_rate(self) -> F64: ...
    @property
    def num_ue(self) -> int: ...
    @property
    def num_cell(self) -> int: ...
    @property
    def beta(self) -> float: ...
    @property
    def serving(self) -> I64: ...

def run_full_buffer(
    gain: ArrayLike, tx_power_w: ArrayLike, noise_w: ArrayLike, serving: ArrayLike,
    bandwidth_hz: ArrayLike, *, num_tti: int | None = None, rayleigh: bool = False, seed: int = 0,
    beta: float, background: ArrayLike | None = None, n_threads: int = 0,
) -> dict[str, Any]: ...
def run_finite_buffer(
    gain: ArrayLike, tx_power_w: ArrayLike, noise_w: ArrayLike, serving: ArrayLike,
    bandwidth_hz: ArrayLike, *, request_ue: ArrayLike, request_tti: ArrayLike,
    request_bytes: ArrayLike, num_tti: int | None = None, rayleigh: bool = False, seed: int = 0,
    beta: float, background: ArrayLike | None = None, tti_s: float,
    n_threads: int = 0,
) -> dict[str, Any]: ...
# No defaults: genoff.core.evaluate passes every argument (defaults in genoff.defaults).
def evaluate(
    n_tokens: ArrayLike, offload: ArrayLike, *, capacity_bps: ArrayLike | None,
    radio_delay_s: ArrayLike | None, quality_req: ArrayLike, bytes_per_token: ArrayLike,
    t_back_s: ArrayLike, ttft_edge_s: ArrayLike, tpot_edge_s: ArrayLike, ttft_cloud_s: ArrayLike,
    tpot_cloud_s: ArrayLike, quality_edge: ArrayLike, quality_cloud: ArrayLike,
    target_s: ArrayLike, penalty: ArrayLike, n_threads: int,
) -> dict[str, Any]: ...
