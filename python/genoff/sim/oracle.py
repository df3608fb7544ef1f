"""The oracle: the exact best decisions of a step (README "Simulate").

RB allocation does not depend on the decisions, so each request's two rewards can be
compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from genoff.sim.evaluator import Evaluator
    from genoff.sim.network import Radio
    from genoff.world.tasks import Requests

__all__ = ["best_decisions"]


def best_decisions(evaluator: Evaluator, requests: Requests, radio: Radio) -> np.ndarray:
    """The decisions that maximize the step's total reward under ``evaluator``, exactly.

    RB allocation does not depend on the decisions, so without a load-aware edge each
    request's best decision is the one with the larger reward (ties stay at the edge).
    With a load-aware edge the rewards couple only through the number ``n`` of requests
    kept at the edge: for each ``n`` the best set is the ``n`` requests that gain most by
    staying, so scanning ``n = 0..N`` is exact.
    """
    num = len(requests)
    cloud = evaluator(requests, np.ones(num, dtype=bool), radio).reward
    if not evaluator.load_aware:
        local = evaluator(requests, np.zeros(num, dtype=bool), radio).reward
        return cloud > local
    best_total, best = -np.inf, np.ones(num, dtype=bool)
    for n in range(num + 1):
        at_edge = max(n, 1)
        local = evaluator(requests, np.zeros(num, dtype=bool), radio, num_at_edge=at_edge).reward
        gain = local - cloud
        keep = np.argsort(-gain, kind="stable")[:n]
        total = cloud.sum() + gain[keep].sum()
        if total > best_total:
            best_total = total
            best = np.ones(num, dtype=bool)
            best[keep] = False
    return best
