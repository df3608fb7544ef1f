"""The delay and reward of decisions (eq. 1-10) and the oracle.

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

from genoff import core
from genoff.sim.network import Radio
from genoff.sim.oracle import best_decisions
from genoff.world.catalog import Catalog, LLMModel, load_catalog
from genoff.world.scenario import Scenario
from genoff.world.tasks import Requests

__all__ = ["Evaluator", "StepContext"]


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
        """The decisions that maximize the step's total reward, exactly
        (:func:`genoff.sim.oracle.best_decisions`)."""
        return best_decisions(self, requests, radio)


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
