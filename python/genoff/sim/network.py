"""The dropped network and the radio part of eq. (1).

:class:`Network` drops users into a scenario's cells once (large-scale channel from
:mod:`genoff.world.topology`) and obtains the radio part of eq. (1) from the compiled core:
``analytic`` mode runs a full-buffer PF downlink of ``scheduler.num_tti`` TTIs with Rayleigh
fading and gives each user its long-run throughput ``C``; ``tti`` mode drains each step's
contents through finite buffers under PF and measures each delivery time (:class:`Radio`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genoff import core
from genoff.world import topology
from genoff.world.scenario import Scenario
from genoff.world.tasks import Requests

__all__ = ["Network", "Radio"]


@dataclass(frozen=True)
class Radio:
    """Radio part of eq. (1) for a step's requests: exactly one field is set.

    Attributes:
        capacity_bps: [num_req] the user's long-run PF throughput C (``analytic`` mode).
        delay_s: [num_req] measured delivery time of the content (``tti`` mode).
    """

    capacity_bps: np.ndarray | None = None
    delay_s: np.ndarray | None = None

    def kwargs(self) -> dict:
        if self.capacity_bps is not None:
            return {"capacity_bps": self.capacity_bps}
        return {"radio_delay_s": self.delay_s}

    @property
    def column(self) -> tuple[str, np.ndarray]:
        if self.capacity_bps is not None:
            return "capacity_bps", self.capacity_bps
        return "radio_delay_s", self.delay_s


class Network:
    """One drop of users into the scenario's cells and the downlink the core simulates.

    Args:
        scenario: the configuration.
        rng: generator for the drop (positions, LOS states, shadowing).
        n_threads: threads for the core's runs (0 = all).
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator, n_threads: int = 0) -> None:
        self.scenario = scenario
        self.n_threads = n_threads
        self.large_scale = topology.large_scale(rng, scenario)
        self.num_ue = int(self.large_scale.serving.shape[0])
        self.gain = self.large_scale.gain[..., None]  # [num_ue, num_cell, 1]: flat over RBs
        self.tx_power_w = np.asarray(scenario.tx_power_w_per_rb, dtype=np.float64)
        if self.tx_power_w.ndim == 0:
            self.tx_power_w = np.full(
                (scenario.num_cells, scenario.radio.num_rb), float(self.tx_power_w)
            )
        self._capacity: np.ndarray | None = None

    @property
    def serving(self) -> np.ndarray:
        return self.large_scale.serving

    def _common(self) -> dict:
        s = self.scenario
        return dict(
            gain=self.gain,
            tx_power_w=self.tx_power_w,
            noise_w=s.noise_w,
            serving=self.serving,
            bandwidth_hz=s.radio.rb_bandwidth_hz,
            fading=None if s.channel.fading == "none" else s.channel.fading,
            beta=s.scheduler.beta,
            background=self.large_scale.background,
            n_threads=self.n_threads,
        )

    def capacity(self, seed: int) -> np.ndarray:
        """Each user's long-run PF throughput C [num_ue] in bit/s (full buffer, W TTIs).

        Computed once per drop (the first seed is used; later calls return the same values).
        """
        if self._capacity is None:
            res = core.run_full_buffer(
                **self._common(), num_tti=self.scenario.scheduler.num_tti, seed=seed
            )
            starved = np.flatnonzero(~(res.throughput_bps > 0.0))
            if starved.size:  # eq. (1) needs C > 0: such a user's content never arrives
                raise ValueError(
                    f"{starved.size} of {self.num_ue} users (first: user {starved[0]}) got no "
                    f"downlink throughput in the full-buffer run of scheduler.num_tti = "
                    f"{self.scenario.scheduler.num_tti} TTIs; raise scheduler.num_tti or "
                    "radio.num_rb, or give them a usable channel (radio.tx_power_dbm, "
                    "layout.isd_m)"
                )
            self._capacity = res.throughput_bps
        return self._capacity

    def delivery_delay(self, users: np.ndarray, n_bytes: np.ndarray, seed: int) -> np.ndarray:
        """Delivery time [num_req] (s) of contents that all enter the buffers at TTI 0.

        Each user's contents drain first-in first-out under PF with finite buffers; the run
        lasts until everything is delivered (at most 10^6 TTIs; ``ValueError`` naming the
        scenario fields to change if some content is still undelivered then).
        """
        num_tti = 1_000_000
        res = core.run_finite_buffer(
            **self._common(),
            request_ue=users,
            request_tti=np.zeros(len(users), dtype=np.int64),
            request_bytes=n_bytes,
            num_tti=num_tti,
            tti_s=self.scenario.scheduler.tti_s,
            seed=seed,
        )
        late = np.flatnonzero(~np.isfinite(res.delay_s))
        if late.size:  # eq. (1) needs a finite delivery time
            raise ValueError(
                f"{late.size} of {len(users)} contents (first: user {users[late[0]]}) were not "
                f"delivered within {num_tti:,} TTIs of scheduler.tti_s = "
                f"{self.scenario.scheduler.tti_s:g} s; raise scheduler.tti_s or radio.num_rb, "
                "lower tasks.bytes_per_token or tasks.max_tokens, or use transmission.mode = "
                "'analytic'"
            )
        return res.delay_s

    def radio(self, requests: Requests, seed: int) -> Radio:
        """The radio term of eq. (1) for a step's requests in the scenario's mode."""
        if self.scenario.transmission.mode == "analytic":
            return Radio(capacity_bps=self.capacity(seed)[requests.user])
        n_bytes = requests.n_tokens * self.scenario.tasks.bytes_per_token
        return Radio(delay_s=self.delivery_delay(requests.user, n_bytes, seed))
