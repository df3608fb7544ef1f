"""The DQN's uniform replay buffer (as Stable-Baselines3's ``ReplayBuffer``): a ring of
preallocated numpy arrays, uniform sampling with replacement, and its saved form (the stored
transitions oldest first, as tensors)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ReplayBuffer", "ReplayBatch", "COLUMNS"]

#: The stored columns, in the order a checkpoint lists them.
COLUMNS = ("obs", "action", "reward", "next_obs", "done")


class ReplayBatch(NamedTuple):
    """Sampled transitions: observations [n, obs_dim] (float32), actions [n] (int64),
    scaled rewards [n] (float32), next observations [n, obs_dim], done flags [n] (float32)."""

    obs: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    next_obs: np.ndarray
    done: np.ndarray


class ReplayBuffer:
    """Uniform replay ring buffer in preallocated numpy arrays."""

    def __init__(self, capacity: int, obs_dim: int) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.action = np.zeros(capacity, dtype=np.int64)
        self.reward = np.zeros(capacity, dtype=np.float32)
        self.done = np.zeros(capacity, dtype=np.float32)
        self.pos = 0
        self.size = 0

    def add(self, obs, action, reward, next_obs, done) -> None:
        """Store one transition (overwriting the oldest once full)."""
        i = self.pos
        self.obs[i] = obs
        self.action[i] = action
        self.reward[i] = reward
        self.next_obs[i] = next_obs
        self.done[i] = done
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def add_batch(self, obs, action, reward, next_obs, done) -> None:
        """Store transitions in order (only the newest ``capacity`` if there are more)."""
        n = len(action)
        if n > self.capacity:  # only the newest fit
            obs, action, reward, next_obs, done = (
                a[-self.capacity:] for a in (obs, action, reward, next_obs, done))
            n = self.capacity
        idx = (self.pos + np.arange(n)) % self.capacity
        self.obs[idx] = obs
        self.action[idx] = action
        self.reward[idx] = reward
        self.next_obs[idx] = next_obs
        self.done[idx] = done
        self.pos = int((self.pos + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, rng: np.random.Generator, batch_size: int) -> ReplayBatch:
        """``batch_size`` stored transitions drawn uniformly with replacement (one
        ``rng.integers`` call)."""
        idx = rng.integers(0, self.size, size=batch_size)
        return ReplayBatch(self.obs[idx], self.action[idx], self.reward[idx],
                           self.next_obs[idx], self.done[idx])

    def arrays(self) -> dict[str, np.ndarray]:
        """The stored transitions in insertion order (oldest first)."""
        if self.size < self.capacity:
            order = np.arange(self.size)
        else:
            order = (self.pos + np.arange(self.capacity)) % self.capacity
        return {"obs": self.obs[order], "action": self.action[order],
                "reward": self.reward[order], "next_obs": self.next_obs[order],
                "done": self.done[order]}

    # -- saved form ------------------------------------------------------------------------
    def tensors(self) -> dict:
        """The stored transitions, oldest first, as CPU tensors (a checkpoint's ``buffer``)."""
        import torch

        return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.arrays().items()}

    def load_tensors(self, tensors: dict) -> None:
        """Append the transitions of :meth:`tensors` (a checkpoint's ``buffer``, checked)."""
        columns = {k: v.cpu().numpy() for k, v in tensors.items()}
        if len(columns["action"]):
            self.add_batch(*(columns[k] for k in COLUMNS))

    def rotate_to(self, pos: int) -> None:
        """Put a full buffer loaded oldest first back at ring position ``pos``, so that
        sampled indices pick the same transitions as in the buffer that was saved."""
        if self.size == self.capacity and pos:
            for column in (self.obs, self.next_obs, self.action, self.reward, self.done):
                column[:] = np.roll(column, pos, axis=0)
            self.pos = pos
