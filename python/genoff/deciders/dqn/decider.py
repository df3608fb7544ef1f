"""The DQN decider (as Stable-Baselines3's ``DQN``): the epsilon-greedy policy, the replay
and training schedule, and the :class:`~genoff.deciders.Decider` interface that learns online
inside :func:`genoff.experiments.run`. Its parts: :mod:`.config` (hyper-parameters),
:mod:`.network` (Q-network, target, Adam), :mod:`.buffer` (replay), :mod:`.train` (the
Gymnasium loop), :mod:`.checkpoint` (save/load)."""

from __future__ import annotations

import dataclasses
import math
import os
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genoff.deciders.base import Decider
from genoff.deciders.dqn.checkpoint import (load_checkpoint, load_run_state, save_checkpoint,
                                            save_run_state)
from genoff.deciders.dqn.buffer import ReplayBuffer
from genoff.deciders.dqn.config import FIELDS, DQNConfig
from genoff.deciders.dqn.network import QNetworks
from genoff.deciders.dqn.train import train as train_on_env
from genoff.sim.features import observation

if TYPE_CHECKING:
    import pandas as pd

    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["DQNDecider", "step_observation"]


class DQNDecider(Decider):
    """Deep Q-network decider (baseline 3): see :mod:`genoff.deciders.dqn`.

    ``DQNDecider(lr=1e-3, seed=0, ...)`` takes the hyper-parameters of
    :class:`~genoff.deciders.dqn.config.DQNConfig` (documented there) as keywords, or a
    ``DQNConfig`` (and keywords that replace some of its fields). They are in
    :attr:`settings` and readable as attributes (``decider.lr``, ...).
    """

    name = "dqn"
    resumable = True

    def __init__(self, settings: DQNConfig | None = None, /, **options: Any) -> None:
        settings = (DQNConfig(**options) if settings is None
                    else dataclasses.replace(settings, **options))
        self.name = settings.name
        self.obs_dim = settings.obs_dim
        init_seed, rng_seed = np.random.SeedSequence(settings.seed).generate_state(
            2, dtype=np.uint32)
        self._rng_seed = int(rng_seed)
        self.networks = QNetworks(self.obs_dim, settings.hidden, settings.device,
                                  lr=settings.lr, init_seed=int(init_seed))
        #: The hyper-parameters (the device as torch names it).
        self.settings = dataclasses.replace(settings, device=str(self.networks.device))
        #: 1 / T_target of the first scenario met unless set (rewards are scaled by it).
        self.reward_scale = settings.reward_scale
        self.buffer = ReplayBuffer(settings.buffer_size, self.obs_dim)
        #: decisions made while learning (drives epsilon), transitions stored, updates done
        self.num_decisions = 0
        self.num_transitions = 0
        self.num_updates = 0
        self.last_loss = float("nan")
        #: False: greedy decisions, nothing stored or trained (evaluation)
        self.learning = True
        self._curve: list[dict] = []
        self._loss_sum = 0.0
        self._loss_count = 0
        self.reset(None)

    def __getattr__(self, key: str) -> Any:
        # The hyper-parameters read as attributes (decider.lr, decider.gamma, ...).
        if key in FIELDS and "settings" in self.__dict__:
            return getattr(self.__dict__["settings"], key)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    # The torch parts, kept in :attr:`networks` (a :class:`QNetworks`).
    q_net = property(attrgetter("networks.q_net"),
                     doc="The Q-network (torch module: state -> Q-values of local, offload).")
    target_net = property(attrgetter("networks.target_net"),
                          doc="The target network (used when ``gamma > 0``).")
    optimizer = property(attrgetter("networks.optimizer"), doc="Adam on the Q-network.")

    # -- settings ------------------------------------------------------------------------
    def hyperparameters(self) -> dict:
        """The constructor's arguments (as resolved), enough to rebuild the decider."""
        return {**self.settings.as_dict(), "reward_scale": self.reward_scale}

    def config(self) -> dict:
        return {**self.hyperparameters(), "num_decisions": self.num_decisions,
                "num_transitions": self.num_transitions, "num_updates": self.num_updates}

    @property
    def stats(self) -> dict:
        """Counters printed by ``genoff simulate``."""
        return {"transitions": self.num_transitions, "updates": self.num_updates,
                "epsilon": round(self.epsilon, 4),
                "last_loss": round(self.last_loss, 6) if math.isfinite(self.last_loss) else "n/a"}

    @property
    def epsilon(self) -> float:
        """The exploration probability of the next decision."""
        return self.settings.epsilon_at(self.num_decisions)

    def reset(self, seed: int | None = None) -> None:
        """Re-seed exploration and replay sampling (None: the constructor's stream).

        Weights, replay buffer and counters are kept, so a trained decider can be evaluated
        with :func:`genoff.experiments.run` (which calls ``reset``) without losing them.
        """
        self._rng = np.random.default_rng(self._rng_seed if seed is None else seed)
        self._last_obs: np.ndarray | None = None
        self._pending: tuple | None = None

    # -- policy --------------------------------------------------------------------------
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q-values [n, 2] (scaled reward units) of observations [n, obs_dim]."""
        return self.networks.q_values(obs)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Greedy actions (0 local, 1 offload; int64 [n]) of observations [n, obs_dim]."""
        q = self.q_values(obs)
        return (q[:, 1] > q[:, 0]).astype(np.int64)  # ties stay at the edge

    def policy(self, obs: np.ndarray) -> int:
        """Greedy action of one observation (for :func:`evaluate_policy`)."""
        return self.networks.greedy_action(obs)

    # -- learning ------------------------------------------------------------------------
    def _resolve_scale(self, scenario) -> None:
        if self.reward_scale is None:
            target = float(scenario.reward.target_s) if scenario is not None else 0.0
            self.reward_scale = 1.0 / abs(target) if target != 0.0 else 1.0

    def _update(self) -> None:
        s = self.settings
        batch = self.buffer.sample(self._rng, s.batch_size)
        value = self.networks.gradient_step(batch, gamma=s.gamma, huber_delta=s.huber_delta,
                                            grad_clip=s.grad_clip)
        self.num_updates += 1
        self.last_loss = value
        self._loss_sum += value
        self._loss_count += 1

    def _after_transitions(self, old: int, new: int) -> None:
        """Training rounds and target syncs for transitions old+1 .. new."""
        s = self.settings
        f = s.train_freq
        first = max(old + 1, s.learning_starts, 1)
        if new >= first:
            rounds = new // f - (first - 1) // f
            for _ in range(rounds * s.gradient_steps):
                self._update()
        if s.gamma > 0.0 and new // s.target_update > old // s.target_update:
            self.networks.sync_target()

    def _store(self, obs, action, reward, next_obs, done) -> None:
        old = self.num_transitions
        self.buffer.add(obs, action, reward * self.reward_scale, next_obs, done)
        self.num_transitions = old + 1
        self._after_transitions(old, old + 1)

    def _store_batch(self, obs, action, reward, next_obs, done) -> None:
        n = len(action)
        if n == 0:
            return
        old = self.num_transitions
        self.buffer.add_batch(obs, action, np.asarray(reward, dtype=np.float64) * self.reward_scale,
                              next_obs, done)
        self.num_transitions = old + n
        self._after_transitions(old, old + n)

    def _take_loss(self) -> float:
        loss = self._loss_sum / self._loss_count if self._loss_count else float("nan")
        self._loss_sum, self._loss_count = 0.0, 0
        return loss

    # -- the Decider interface (online learning inside genoff.experiments.run) -----------
    def _ctx_obs(self, ctx: StepContext) -> np.ndarray:
        return step_observation(ctx, self.settings.extra_features)

    def decide(self, ctx: StepContext) -> np.ndarray:
        obs = self._ctx_obs(ctx)
        n = len(obs)
        greedy = self.act(obs).astype(bool) if n else np.zeros(0, dtype=bool)
        if not self.learning:
            return greedy
        self._resolve_scale(ctx.evaluator.scenario)
        if self._pending is not None and n:  # gamma > 0: last request of the previous step
            p_obs, p_act, p_rew = self._pending
            self._store(p_obs, p_act, p_rew, obs[0], 0.0)
        self._pending = None
        eps = self.settings.epsilon_at(self.num_decisions + np.arange(n))
        self._step_epsilon = float(eps[0]) if n else self.epsilon
        explore = self._rng.random(n) < eps
        random_action = self._rng.random(n) < 0.5
        self.num_decisions += n
        self._last_obs = obs
        return np.where(explore, random_action, greedy)

    def observe(self, ctx: StepContext, offload: np.ndarray, outcome: Evaluation) -> None:
        if not self.learning:
            return
        obs = self._last_obs
        offload = np.asarray(offload, dtype=bool)
        if obs is None or len(obs) != len(offload):
            raise ValueError("observe() must follow decide() of the same step")
        self._last_obs = None
        reward = np.asarray(outcome.reward, dtype=np.float64)
        action = offload.astype(np.int64)
        n = len(action)
        if self.settings.gamma > 0.0:  # next state = next request; the last waits for the next
            if n:
                self._store_batch(obs[:-1], action[:-1], reward[:-1], obs[1:], np.zeros(n - 1))
                self._pending = (obs[-1], int(action[-1]), float(reward[-1]))
        else:  # gamma = 0: the next state never enters the target
            self._store_batch(obs, action, reward, obs, np.zeros(n))
        self._curve.append({
            "step": int(ctx.step),
            "transitions": self.num_transitions,
            "mean_reward": float(reward.mean()) if n else float("nan"),
            "epsilon": getattr(self, "_step_epsilon", self.epsilon),
            "loss": self._take_loss(),
            "updates": self.num_updates,
        })

    def training_curve(self) -> pd.DataFrame:
        """The online training curve: one row per observed step (step, transitions,
        mean_reward, epsilon, loss (mean over the step's updates; NaN before learning
        starts), updates). See :func:`online_curve` to add the oracle's reward."""
        import pandas as pd

        cols = ["step", "transitions", "mean_reward", "epsilon", "loss", "updates"]
        return pd.DataFrame(self._curve, columns=cols)

    # -- the Gymnasium training loop (genoff.deciders.dqn.train) ------------------------
    def train(self, env, total_steps: int, **options: Any) -> pd.DataFrame:
        """Train on a Gymnasium environment (``genoff/Offload-v0``) for ``total_steps``
        steps and return the training curve: :func:`genoff.deciders.dqn.train.train` (its
        keyword ``options``: ``seed``, ``log_every``, ``eval_env``, ``eval_every``,
        ``eval_episodes``, ``eval_seed``, ``stop_at_fraction``)."""
        return train_on_env(self, env, total_steps, **options)

    # -- checkpoints (genoff.deciders.dqn.checkpoint) ------------------------------------
    def save(self, path: str | os.PathLike, *, include_buffer: bool = True) -> tuple[Path, Path]:
        """Write ``NAME.pt`` (tensors) and ``NAME.json`` (settings, counters, generator
        state) for ``path`` = ``NAME``, ``NAME.pt`` or ``NAME.json``; atomically.

        With ``include_buffer`` the replay buffer is saved too, so training resumes exactly.
        Returns the two paths.
        """
        return save_checkpoint(self, path, include_buffer=include_buffer)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> DQNDecider:
        """Restore a decider written by :meth:`save` (``path`` = ``NAME``, ``NAME.pt`` or
        ``NAME.json``); optionally onto another ``device``. ``FileNotFoundError`` or
        ``ValueError`` naming the file (and the field): see
        :func:`~genoff.deciders.dqn.checkpoint.load_checkpoint`."""
        return load_checkpoint(cls, path, device=device)

    def save_state(self, folder: str | os.PathLike) -> None:
        """A checkpoint (:meth:`save`, replay buffer included) as ``folder/dqn.pt`` +
        ``dqn.json``, and the online training curve and any transition waiting for its next
        state (``gamma > 0``) in ``folder/dqn-run.json``."""
        save_run_state(self, folder)

    def load_state(self, folder: str | os.PathLike) -> None:
        """Become the decider :meth:`save_state` wrote (weights, optimizer, replay buffer,
        generator, counters, training curve)."""
        load_run_state(self, folder)


def step_observation(ctx: StepContext, extra_features: bool) -> np.ndarray:
    """The states (eq. 8, :func:`genoff.sim.features.observation`) of a step's requests."""
    tasks = ctx.evaluator.scenario.tasks
    capacity = None
    if extra_features:
        capacity = ctx.radio.capacity_bps
        if capacity is None:
            raise ValueError(
                "extra_features=True needs the users' throughput C, which runs in 'tti' "
                "transmission mode do not provide: use analytic mode or "
                "extra_features=False")
    return observation(ctx.requests, tasks.mean_output_tokens, tasks.max_tokens, capacity)
