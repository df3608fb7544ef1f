"""The simulated system: a dropped network, the delay and reward of decisions, and the oracle.

* :class:`Network` drops users into a scenario's cells once (large-scale channel from
  :mod:`genoff.channel`) and obtains the radio part of eq. (1) from the compiled core:
  ``analytic`` mode runs a full-buffer PF downlink of ``scheduler.num_tti`` TTIs with
  Rayleigh fading and gives each user its long-run throughput ``C``; ``tti`` mode drains each
  step's contents through finite buffers under PF and measures each delivery time.
* :class:`Evaluator` turns requests + decisions into delays and rewards (eq. 1, 3, 4, 4e,
  10) through :func:`genoff.core.evaluate`, including the optional load-aware edge.
* :meth:`Evaluator.oracle` is the exact best decision of a step (RB allocation does not depend on the
  decisions, so each request's two rewards can be compared; README "Simulate").

Load-aware edge (beyond the paper, off by default): when the edge server serves ``n``
requests of a step at once (batching), its times grow linearly with the extra load::

    TTFT_edge(n) = TTFT_edge * (1 + edge_batch_ttft_slope * (n - 1))
    TPOT_edge(n) = TPOT_edge * (1 + edge_batch_tpot_slope * (n - 1))

With slopes of 0.1, 20 concurrent requests make Llama3-8B's TPOT 2.9x its single-request
value (38.7 ms > GPT-4o's 31.3 ms), so offloading regular tasks pays off under load. The
cloud is assumed elastic (its times do not depend on load).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from genoff import channel, core
from genoff.catalog import Catalog, LLMModel, load_catalog
from genoff.scenario import Scenario
from genoff.tasks import Requests

__all__ = ["Network", "Evaluator", "StepContext", "Radio"]


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
        self.large_scale = channel.large_scale(rng, scenario)
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


class Evaluator:
    """Delay and reward of decisions for one scenario and model pair.

    Args:
        scenario: the configuration (models by name, reward constants, load-aware edge).
        catalog: the LLM catalog; the packaged one by default.
    """

    def __init__(self, scenario: Scenario, catalog: Catalog | None = None) -> None:
        self.scenario = scenario
        self.catalog = catalog if catalog is not None else load_catalog()
        # KeyError naming llm.edge / llm.cloud and the catalog's models for an unknown name.
        self.edge: LLMModel
        self.cloud: LLMModel
        self.edge, self.cloud = scenario.models(self.catalog)

    @property
    def load_aware(self) -> bool:
        llm = self.scenario.llm
        return bool(llm.load_aware_edge) and (
            llm.edge_batch_ttft_slope > 0 or llm.edge_batch_tpot_slope > 0
        )

    def edge_times(self, num_at_edge: int) -> tuple[float, float]:
        """Edge (TTFT, TPOT) in seconds when it serves ``num_at_edge`` requests at once."""
        ttft, tpot = self.edge.ttft_s, self.edge.tpot_s
        if self.load_aware and num_at_edge > 1:
            llm = self.scenario.llm
            ttft *= 1.0 + llm.edge_batch_ttft_slope * (num_at_edge - 1)
            tpot *= 1.0 + llm.edge_batch_tpot_slope * (num_at_edge - 1)
        return ttft, tpot

    def __call__(
        self, requests: Requests, offload: np.ndarray, radio: Radio, num_at_edge: int | None = None
    ) -> core.Evaluation:
        """Evaluate decisions ``offload`` [num_req] (True = cloud) of a step's requests.

        ``num_at_edge`` overrides the edge load of the load-aware model (default: the number
        of requests this call keeps at the edge).
        """
        offload = np.asarray(offload, dtype=bool)
        if num_at_edge is None:
            num_at_edge = int(np.count_nonzero(~offload))
        ttft_edge, tpot_edge = self.edge_times(num_at_edge)
        s = self.scenario
        return core.evaluate(
            requests.n_tokens.astype(np.float64),
            offload,
            quality_req=requests.quality_req,
            bytes_per_token=s.tasks.bytes_per_token,
            t_back_s=s.reward.t_back_s,
            ttft_edge_s=ttft_edge,
            tpot_edge_s=tpot_edge,
            ttft_cloud_s=self.cloud.ttft_s,
            tpot_cloud_s=self.cloud.tpot_s,
            quality_edge=self.edge.quality,
            quality_cloud=self.cloud.quality,
            target_s=s.reward.target_s,
            penalty=s.reward.penalty,
            **radio.kwargs(),
        )

    def oracle(self, requests: Requests, radio: Radio) -> np.ndarray:
        """The decisions that maximize the step's total reward, exactly.

        RB allocation does not depend on the decisions, so without a load-aware edge each
        request's best decision is the one with the larger reward (ties stay at the edge).
        With a load-aware edge the rewards couple only through the number ``n`` of requests
        kept at the edge: for each ``n`` the best set is the ``n`` requests that gain most by
        staying, so scanning ``n = 0..N`` is exact.
        """
        num = len(requests)
        cloud = self(requests, np.ones(num, dtype=bool), radio).reward
        if not self.load_aware:
            local = self(requests, np.zeros(num, dtype=bool), radio).reward
            return cloud > local
        best_total, best = -np.inf, np.ones(num, dtype=bool)
        for n in range(num + 1):
            local = self(requests, np.zeros(num, dtype=bool), radio, num_at_edge=max(n, 1)).reward
            gain = local - cloud
            keep = np.argsort(-gain, kind="stable")[:n]
            total = cloud.sum() + gain[keep].sum()
            if total > best_total:
                best_total = total
                best = np.ones(num, dtype=bool)
                best[keep] = False
        return best


@dataclass
class StepContext:
    """What a decider sees of one step: the requests (eq. 8's state is ``service`` and
    ``est_tokens`` / ``size_level``), plus a what-if evaluator that only the oracle uses."""

    step: int
    requests: Requests
    radio: Radio
    evaluator: Evaluator = field(repr=False)

    def evaluate(self, offload: np.ndarray) -> core.Evaluation:
        return self.evaluator(self.requests, offload, self.radio)
