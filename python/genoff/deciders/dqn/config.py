"""The DQN's hyper-parameters: one validated, frozen :class:`DQNConfig` (as Stable-Baselines3's
``DQN(...)`` arguments), and the linear epsilon schedule they define."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from genoff._util.validate import boolean, integer, is_int, real, string
from genoff.world.services import SERVICE_TYPES

__all__ = ["DQNConfig", "observation_size"]

#: Size of the eq. (8) state: one-hot service type + normalised output length.
_BASE_DIM = len(SERVICE_TYPES) + 1


def observation_size(extra_features: bool) -> int:
    """Length of the state vector: eq. (8), plus quality requirement and log10 throughput
    with ``extra_features``."""
    return _BASE_DIM + (2 if extra_features else 0)


@dataclass(frozen=True)
class DQNConfig:
    """The DQN decider's hyper-parameters, checked on creation (``ValueError`` naming the
    argument, for a wrong type too).

    The defaults (MLP 64-64, gamma 0, lr 3e-3, batch 128, a gradient step every 4
    transitions after the first 100, epsilon 1 -> 0.02 over 500 decisions) reach 95 % of the
    oracle's mean reward on the paper scenario after ~150-250 environment steps (greedy
    evaluation, tests/test_dqn.py budgets 2000); online in :func:`genoff.experiments.run` a
    20-user step costs ~5 gradient steps.

    Args:
        hidden: sizes of the Q-network's hidden layers (ReLU), e.g. ``(64, 64)``.
        lr: Adam learning rate (> 0).
        gamma: discount in [0, 1); 0 (default) fits the per-request bandit of eq. (10).
        batch_size: transitions per gradient step.
        buffer_size: replay capacity (>= batch_size).
        learning_starts: transitions stored before the first gradient step (>= batch_size
            is not required: sampling is with replacement).
        train_freq: a training round every this many transitions.
        gradient_steps: gradient steps per training round.
        target_update: copy the Q-network into the target network every this many
            transitions (used only when ``gamma > 0``).
        epsilon_start, epsilon_end, epsilon_decay_steps: exploration probability, linear
            from start to end over this many decisions, then constant.
        grad_clip: max gradient norm (None: no clipping).
        huber_delta: the Huber loss's threshold (in scaled reward units).
        reward_scale: rewards are multiplied by this before the loss; None: 1 / T_target of
            the scenario met first (1 if T_target is 0).
        extra_features: state = eq. 8 + quality requirement and log10 throughput (as
            :class:`genoff.envs.offload.OffloadEnv` with ``extra_features=True``).
        seed: initial weights and exploration/replay generator (None: fresh entropy, drawn
            here, so the config always holds the seed used).
        device: torch device of the networks ("cpu", "cuda", ...); checked as a string here,
            as a torch device when the networks are built.
        name: the decider's name in results (None: "dqn").
    """

    hidden: Sequence[int] = (64, 64)
    lr: float = 3e-3
    gamma: float = 0.0
    batch_size: int = 128
    buffer_size: int = 50_000
    learning_starts: int = 100
    train_freq: int = 4
    gradient_steps: int = 1
    target_update: int = 500
    epsilon_start: float = 1.0
    epsilon_end: float = 0.02
    epsilon_decay_steps: int = 500
    grad_clip: float | None = 10.0
    huber_delta: float = 1.0
    reward_scale: float | None = None
    extra_features: bool = False
    seed: int | None = None
    device: str = "cpu"
    name: str | None = None

    def __post_init__(self) -> None:
        self._set("hidden", _layer_sizes(self.hidden))
        self._set("lr", _positive("lr", self.lr))
        self._set("gamma", real("gamma", self.gamma, ge=0.0, lt=1.0, type_error=ValueError))
        for key in ("batch_size", "buffer_size"):
            self._set(key, count(key, getattr(self, key), 1))
        if self.buffer_size < self.batch_size:
            raise ValueError(f"buffer_size must be >= batch_size ({self.batch_size}), "
                             f"got {self.buffer_size!r}")
        self._set("learning_starts", count("learning_starts", self.learning_starts, 0))
        for key in ("train_freq", "gradient_steps", "target_update"):
            self._set(key, count(key, getattr(self, key), 1))
        for key in ("epsilon_start", "epsilon_end"):
            self._set(key, real(key, getattr(self, key), ge=0.0, le=1.0, type_error=ValueError))
        self._set("epsilon_decay_steps",
                  count("epsilon_decay_steps", self.epsilon_decay_steps, 0))
        for key in ("grad_clip", "huber_delta", "reward_scale"):
            value = getattr(self, key)
            if value is not None or key == "huber_delta":
                self._set(key, _positive(key, value))
        self._set("extra_features",
                  boolean("extra_features", self.extra_features, type_error=ValueError))
        seed = self.seed
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
        self._set("seed", count("seed", seed, 0))
        self._set("device", string("device", self.device, type_error=ValueError))
        if self.name is None:
            self._set("name", "dqn")
        elif not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")

    def _set(self, key: str, value: Any) -> None:
        object.__setattr__(self, key, value)

    @property
    def obs_dim(self) -> int:
        """Length of the state vector (:func:`observation_size`)."""
        return observation_size(self.extra_features)

    def as_dict(self) -> dict:
        """The fields in order (``hidden`` as a list): a checkpoint's ``hyperparameters``."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["hidden"] = list(self.hidden)
        return out

    def epsilon_at(self, t):
        """Exploration probability of decision ``t`` (a number or an array of them): linear
        from ``epsilon_start`` to ``epsilon_end`` over ``epsilon_decay_steps``, then
        constant."""
        if self.epsilon_decay_steps == 0:
            return self.epsilon_end if np.isscalar(t) else np.full(np.shape(t), self.epsilon_end)
        frac = np.asarray(t, dtype=np.float64) / self.epsilon_decay_steps
        eps = np.where(frac >= 1.0, self.epsilon_end,
                       self.epsilon_start + frac * (self.epsilon_end - self.epsilon_start))
        return float(eps) if np.ndim(eps) == 0 else eps


#: The hyper-parameters' names, in order.
FIELDS = tuple(f.name for f in dataclasses.fields(DQNConfig))


def count(name: str, value: Any, low: int) -> int:
    """A DQN count >= ``low`` (a wrong type is a ValueError, as for every DQN setting)."""
    return integer(name, value, ge=low, type_error=ValueError)


def _positive(name: str, value: Any) -> float:
    return real(name, value, gt=0.0, type_error=ValueError)


def _layer_sizes(hidden: Any) -> tuple[int, ...]:
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (Sequence, np.ndarray)):
        raise ValueError(f"hidden must be a sequence of layer sizes, got {hidden!r}")
    hidden = tuple(hidden)
    if not hidden or any(not is_int(h) or h < 1 for h in hidden):
        raise ValueError(f"hidden must be a non-empty sequence of integers >= 1, got {hidden!r}")
    return tuple(int(h) for h in hidden)
