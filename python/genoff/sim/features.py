"""The state of eq. (8) as features: one row per request, shared by the Gymnasium
environment (:class:`genoff.envs.offload.OffloadEnv`) and the DQN decider, so a policy sees
identical features in a Gymnasium loop and in :func:`genoff.experiments.run`."""

from __future__ import annotations

import numpy as np

from genoff.world.services import SERVICE_TYPES
from genoff.world.tasks import Requests

__all__ = ["observation", "observation_bounds"]


def observation_bounds(
    mean_tokens: float, max_tokens: float, extra_features: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds (float32) of the observation :func:`observation` returns."""
    low = np.zeros(len(SERVICE_TYPES) + 1, dtype=np.float32)
    high = np.ones(len(SERVICE_TYPES) + 1, dtype=np.float32)
    high[-1] = 4.0 * float(max_tokens) / float(mean_tokens)
    if extra_features:
        low = np.concatenate([low, np.array([0.0, -6.0], dtype=np.float32)])
        high = np.concatenate([high, np.array([2.0, 6.0], dtype=np.float32)])
    return low, high


def observation(
    requests: Requests,
    mean_tokens: float,
    max_tokens: float,
    capacity_bps: np.ndarray | None = None,
) -> np.ndarray:
    """The state of eq. (8) of every request, float32 ``[num_req, 6]`` (or ``[num_req, 8]``).

    Columns: a one-hot of the service type (:data:`genoff.world.services.SERVICE_TYPES` order), the
    estimated output size / ``mean_tokens`` (capped at ``4 * max_tokens / mean_tokens``);
    with ``capacity_bps`` ([num_req], each request's user throughput C in bit/s) also the
    quality requirement / 100 (clipped to [0, 2]) and log10(C / 1 Mbit/s) (clipped to
    [-6, 6]). :class:`OffloadEnv` and the DQN decider both build their states here, so a
    policy sees identical features in a Gymnasium loop and in :func:`genoff.experiments.run`.
    """
    n = len(requests)
    extra = capacity_bps is not None
    _, high = observation_bounds(mean_tokens, max_tokens, extra)
    obs = np.zeros((n, len(high)), dtype=np.float32)
    obs[np.arange(n), requests.service] = 1.0
    size_col = len(SERVICE_TYPES)
    obs[:, size_col] = np.minimum(requests.est_tokens / float(mean_tokens), float(high[size_col]))
    if extra:
        c = np.asarray(capacity_bps, dtype=np.float64)
        if c.shape != (n,):
            raise ValueError(f"capacity_bps must have shape ({n},), got {c.shape}")
        obs[:, size_col + 1] = np.clip(requests.quality_req / 100.0, 0.0, 2.0)
        obs[:, size_col + 2] = np.clip(np.log10(np.maximum(c, 1e-6) / 1e6), -6.0, 6.0)
    return obs
