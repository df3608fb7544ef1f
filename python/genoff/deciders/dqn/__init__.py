"""DQN baseline (paper Sec. III, baseline 3) in PyTorch: state eq. (8), action local/offload,
reward eq. (10).

:class:`DQNDecider` is a deep Q-network learner with an MLP Q-network, a uniform replay
buffer, a target network, linearly decaying epsilon-greedy exploration, the Huber loss, Adam
and gradient-norm clipping. One learner trains in two ways:

* :meth:`DQNDecider.train` runs the ordinary RL loop on a Gymnasium environment
  (``"genoff/Offload-v0"``, :class:`genoff.envs.offload.OffloadEnv`): one request per environment
  step, exactly what any RL library (e.g. Stable-Baselines3) sees;
* online inside :func:`genoff.experiments.run` through the :class:`~genoff.deciders.Decider`
  interface: ``decide`` scores all requests of a step in one batched forward pass and
  explores epsilon-greedily, ``observe`` stores the step's transitions and trains.

Both paths build the state with :func:`genoff.sim.features.observation`, so the network sees
identical features in either.

**Discount.** Offloading is a contextual bandit per request: the reward of eq. (10) is
immediate and the next request does not depend on the decision (the radio allocation does
not depend on decisions, and the next request is drawn independently). ``gamma = 0`` is
therefore the right default (the Q-value is the expected reward of the action, and no
bootstrapping noise enters the targets); ``gamma > 0`` is allowed (the "next state" is the
next request in the environment's order) and needs the target network. Rewards are
multiplied by ``reward_scale`` (default ``1 / T_target`` of the scenario) before they enter
the loss, which keeps the Huber loss in its quadratic range; decisions are unaffected.

**Reproducibility.** ``seed`` fixes the initial weights (drawn under a forked torch RNG, so
the global torch RNG is untouched) and the numpy generator that drives exploration and
replay sampling; :meth:`~DQNDecider.reset` re-seeds that generator (``reset()`` without a
seed restores the constructor's stream). On CPU with the same thread count
(``torch.set_num_threads`` is respected, never changed) the same seed gives identical
weights.

**Checkpoints.** :meth:`DQNDecider.save` writes ``NAME.pt`` (tensors only: networks,
optimizer state, replay buffer; read back with ``torch.load(..., weights_only=True)``) and
``NAME.json`` (hyperparameters, counters, the exploration generator's state and the
SHA-256 of the ``.pt``), each atomically; :meth:`DQNDecider.load` restores a decider that
makes identical decisions and resumes training identically.

torch is imported only when a :class:`DQNDecider` is created or loaded; ``import
genoff.deciders`` never imports it (nor does ``import genoff.deciders.dqn``, which also leaves
Gymnasium and the compiled core to the code paths that use them).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from genoff._util.io import atomic_write
from genoff.deciders.base import Decider
from genoff.sim.features import observation
from genoff.world.services import SERVICE_TYPES

if TYPE_CHECKING:
    import pandas as pd

    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["DQNDecider", "evaluate_policy", "oracle_policy_fraction", "online_curve"]

_FORMAT = "genoff-dqn"
_FORMAT_VERSION = 1
_BASE_DIM = len(SERVICE_TYPES) + 1


# -- validation -----------------------------------------------------------------------------
def _int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _float(name: str, value: Any, low: float, high: float, *, low_open: bool = False,
           high_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    bad = (not math.isfinite(v) or v < low or v > high or (low_open and v == low)
           or (high_open and v == high))
    if bad:
        lb = "(" if low_open else "["
        hb = ")" if high_open else "]"
        hi = "inf" if math.isinf(high) else f"{high:g}"
        raise ValueError(f"{name} must lie in {lb}{low:g}, {hi}{hb}, got {value!r}")
    return v


def _torch():
    try:
        import torch
    except ModuleNotFoundError as e:  # pragma: no cover - torch is in the llm extra
        raise ModuleNotFoundError(
            "the DQN decider needs PyTorch: pip install torch (or genoff[llm])"
        ) from e
    return torch


def _mlp(torch, in_dim: int, hidden: Sequence[int], out_dim: int):
    layers: list = []
    prev = in_dim
    for h in hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    layers.append(torch.nn.Linear(prev, out_dim))
    return torch.nn.Sequential(*layers)


class _Replay:
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
        i = self.pos
        self.obs[i] = obs
        self.action[i] = action
        self.reward[i] = reward
        self.next_obs[i] = next_obs
        self.done[i] = done
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def add_batch(self, obs, action, reward, next_obs, done) -> None:
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

    def arrays(self) -> dict[str, np.ndarray]:
        """The stored transitions in insertion order (oldest first)."""
        if self.size < self.capacity:
            order = np.arange(self.size)
        else:
            order = (self.pos + np.arange(self.capacity)) % self.capacity
        return {"obs": self.obs[order], "action": self.action[order],
                "reward": self.reward[order], "next_obs": self.next_obs[order],
                "done": self.done[order]}


class DQNDecider(Decider):
    """Deep Q-network decider (baseline 3): see the module docstring.

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
        seed: initial weights and exploration/replay generator (None: fresh entropy, and
            the drawn seed is recorded in :meth:`config`).
        device: torch device of the networks ("cpu", "cuda", ...).
        name: the decider's name in results (default "dqn").
    """

    name = "dqn"
    resumable = True

    def __init__(
        self,
        *,
        hidden: Sequence[int] = (64, 64),
        lr: float = 3e-3,
        gamma: float = 0.0,
        batch_size: int = 128,
        buffer_size: int = 50_000,
        learning_starts: int = 100,
        train_freq: int = 4,
        gradient_steps: int = 1,
        target_update: int = 500,
        epsilon_start: float = 1.0,
        epsilon_end: float = 0.02,
        epsilon_decay_steps: int = 500,
        grad_clip: float | None = 10.0,
        huber_delta: float = 1.0,
        reward_scale: float | None = None,
        extra_features: bool = False,
        seed: int | None = None,
        device: str = "cpu",
        name: str | None = None,
    ) -> None:
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (Sequence, np.ndarray)):
            raise ValueError(f"hidden must be a sequence of layer sizes, got {hidden!r}")
        hidden = tuple(hidden)
        if not hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1
                             for h in hidden):
            raise ValueError(
                f"hidden must be a non-empty sequence of integers >= 1, got {hidden!r}")
        self.hidden = tuple(int(h) for h in hidden)
        self.lr = _float("lr", lr, 0.0, math.inf, low_open=True)
        self.gamma = _float("gamma", gamma, 0.0, 1.0, high_open=True)
        self.batch_size = _int("batch_size", batch_size, 1)
        self.buffer_size = _int("buffer_size", buffer_size, 1)
        if self.buffer_size < self.batch_size:
            raise ValueError(
                f"buffer_size must be >= batch_size ({self.batch_size}), got {buffer_size!r}")
        self.learning_starts = _int("learning_starts", learning_starts, 0)
        self.train_freq = _int("train_freq", train_freq, 1)
        self.gradient_steps = _int("gradient_steps", gradient_steps, 1)
        self.target_update = _int("target_update", target_update, 1)
        self.epsilon_start = _float("epsilon_start", epsilon_start, 0.0, 1.0)
        self.epsilon_end = _float("epsilon_end", epsilon_end, 0.0, 1.0)
        self.epsilon_decay_steps = _int("epsilon_decay_steps", epsilon_decay_steps, 0)
        self.grad_clip = (None if grad_clip is None
                          else _float("grad_clip", grad_clip, 0.0, math.inf, low_open=True))
        self.huber_delta = _float("huber_delta", huber_delta, 0.0, math.inf, low_open=True)
        self.reward_scale = (None if reward_scale is None
                             else _float("reward_scale", reward_scale, 0.0, math.inf,
                                         low_open=True))
        if not isinstance(extra_features, (bool, np.bool_)):
            raise ValueError(f"extra_features must be True or False, got {extra_features!r}")
        self.extra_features = bool(extra_features)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
        self.seed = _int("seed", seed, 0)
        if not isinstance(device, str):
            raise ValueError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
        if name is not None:
            if not isinstance(name, str) or not name:
                raise ValueError(f"name must be a non-empty string, got {name!r}")
            self.name = name

        torch = _torch()
        try:
            self._device = torch.device(device)
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', "
                             f"got {device!r}") from e
        if self._device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available")
        self.device = str(self._device)
        self.obs_dim = _BASE_DIM + (2 if self.extra_features else 0)

        init_seed, rng_seed = np.random.SeedSequence(self.seed).generate_state(2, dtype=np.uint32)
        self._rng_seed = int(rng_seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(init_seed))
            self.q_net = _mlp(torch, self.obs_dim, self.hidden, 2).to(self._device)
            self.target_net = _mlp(torch, self.obs_dim, self.hidden, 2).to(self._device)
        self.target_net.load_state_dict(self.q_net.state_dict())
        for p in self.target_net.parameters():
            p.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=self.lr)
        self._torch = torch
        self.buffer = _Replay(self.buffer_size, self.obs_dim)
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

    # -- settings ------------------------------------------------------------------------
    def hyperparameters(self) -> dict:
        """The constructor's arguments (as resolved), enough to rebuild the decider."""
        return {
            "hidden": list(self.hidden),
            "lr": self.lr,
            "gamma": self.gamma,
            "batch_size": self.batch_size,
            "buffer_size": self.buffer_size,
            "learning_starts": self.learning_starts,
            "train_freq": self.train_freq,
            "gradient_steps": self.gradient_steps,
            "target_update": self.target_update,
            "epsilon_start": self.epsilon_start,
            "epsilon_end": self.epsilon_end,
            "epsilon_decay_steps": self.epsilon_decay_steps,
            "grad_clip": self.grad_clip,
            "huber_delta": self.huber_delta,
            "reward_scale": self.reward_scale,
            "extra_features": self.extra_features,
            "seed": self.seed,
            "device": self.device,
            "name": self.name,
        }

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
        return self._epsilon_at(self.num_decisions)

    def _epsilon_at(self, t):
        if self.epsilon_decay_steps == 0:
            return self.epsilon_end if np.isscalar(t) else np.full(np.shape(t), self.epsilon_end)
        frac = np.asarray(t, dtype=np.float64) / self.epsilon_decay_steps
        eps = np.where(frac >= 1.0, self.epsilon_end,
                       self.epsilon_start + frac * (self.epsilon_end - self.epsilon_start))
        return float(eps) if np.ndim(eps) == 0 else eps

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
        torch = self._torch
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(-1, self.obs_dim),
                            device=self._device)
        with torch.inference_mode():
            return self.q_net(x).cpu().numpy()

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Greedy actions (0 local, 1 offload; int64 [n]) of observations [n, obs_dim]."""
        q = self.q_values(obs)
        return (q[:, 1] > q[:, 0]).astype(np.int64)  # ties stay at the edge

    def policy(self, obs: np.ndarray) -> int:
        """Greedy action of one observation (for :func:`evaluate_policy`)."""
        torch = self._torch
        x = torch.from_numpy(np.asarray(obs, dtype=np.float32).reshape(1, self.obs_dim))
        with torch.inference_mode():
            q = self.q_net(x.to(self._device))[0]
        return int(q[1] > q[0])

    # -- learning ------------------------------------------------------------------------
    def _resolve_scale(self, scenario) -> None:
        if self.reward_scale is None:
            target = float(scenario.reward.target_s) if scenario is not None else 0.0
            self.reward_scale = 1.0 / abs(target) if target != 0.0 else 1.0

    def _update(self) -> None:
        torch = self._torch
        buf = self.buffer
        idx = self._rng.integers(0, buf.size, size=self.batch_size)
        dev = self._device
        obs = torch.from_numpy(buf.obs[idx]).to(dev)
        act = torch.from_numpy(buf.action[idx]).to(dev)
        rew = torch.from_numpy(buf.reward[idx]).to(dev)
        q = self.q_net(obs).gather(1, act.unsqueeze(1)).squeeze(1)
        if self.gamma > 0.0:
            with torch.no_grad():
                nxt = torch.from_numpy(buf.next_obs[idx]).to(dev)
                done = torch.from_numpy(buf.done[idx]).to(dev)
                target = rew + self.gamma * (1.0 - done) * self.target_net(nxt).max(1).values
        else:
            target = rew
        loss = torch.nn.functional.huber_loss(q, target, delta=self.huber_delta)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.q_net.parameters(), self.grad_clip)
        self.optimizer.step()
        self.num_updates += 1
        value = float(loss.detach())
        self.last_loss = value
        self._loss_sum += value
        self._loss_count += 1

    def _after_transitions(self, old: int, new: int) -> None:
        """Training rounds and target syncs for transitions old+1 .. new."""
        f = self.train_freq
        first = max(old + 1, self.learning_starts, 1)
        if new >= first:
            rounds = new // f - (first - 1) // f
            for _ in range(rounds * self.gradient_steps):
                self._update()
        if self.gamma > 0.0 and new // self.target_update > old // self.target_update:
            self.target_net.load_state_dict(self.q_net.state_dict())

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

        t = ctx.evaluator.scenario.tasks
        capacity = None
        if self.extra_features:
            capacity = ctx.radio.capacity_bps
            if capacity is None:
                raise ValueError(
                    "extra_features=True needs the users' throughput C, which runs in 'tti' "
                    "transmission mode do not provide: use analytic mode or "
                    "extra_features=False")
        return observation(ctx.requests, t.mean_output_tokens, t.max_tokens, capacity)

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
        eps = self._epsilon_at(self.num_decisions + np.arange(n))
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
        if self.gamma > 0.0:  # next state = next request; the step's last waits for the next
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

    # -- the Gymnasium training loop -----------------------------------------------------
    def train(
        self,
        env,
        total_steps: int,
        *,
        seed: int | None = None,
        log_every: int = 100,
        eval_env=None,
        eval_every: int | None = None,
        eval_episodes: int = 3,
        eval_seed: int = 10_000,
        stop_at_fraction: float | None = None,
    ) -> pd.DataFrame:
        """Train on a Gymnasium environment (``genoff/Offload-v0``) for ``total_steps`` steps.

        The loop is the one any RL library runs: epsilon-greedy action, ``env.step``, store
        the transition (``terminated`` ends bootstrapping, truncation does not), train every
        ``train_freq`` steps, reset on episode end.

        Args:
            env: a Gymnasium env with a Box observation of this decider's size and
                ``Discrete(2)`` actions.
            total_steps: environment steps.
            seed: seed of the first ``env.reset`` (None: drawn from the decider's generator).
            log_every: a curve row every this many steps.
            eval_env: a separate environment for greedy evaluation (:func:`evaluate_policy`;
                evaluating on ``env`` would disturb the training episode).
            eval_every: evaluate every this many steps (needs ``eval_env``); a multiple of
                ``log_every`` lines up the rows.
            eval_episodes, eval_seed: the evaluation episodes (seeds eval_seed + k).
            stop_at_fraction: stop at the first evaluation whose greedy mean reward reaches
                this fraction of the oracle's.

        Returns:
            The training curve, one row per ``log_every`` steps (and one at the end):
            ``step``, ``episodes``, ``mean_reward`` and ``oracle_mean_reward`` (of the
            training transitions since the previous row), ``fraction_of_oracle``,
            ``epsilon``, ``loss`` (mean over the window's updates), ``train_time_s``
            (wall time since the call began, environment resets included, evaluations
            excluded), and with evaluation
            ``eval_mean_reward``, ``eval_oracle_mean_reward``, ``eval_fraction``.
        """
        import pandas as pd

        total_steps = _int("total_steps", total_steps, 0)
        log_every = _int("log_every", log_every, 1)
        if eval_every is not None:
            eval_every = _int("eval_every", eval_every, 1)
            if eval_env is None:
                raise ValueError("eval_every needs eval_env (a separate evaluation environment)")
        eval_episodes = _int("eval_episodes", eval_episodes, 1)
        if stop_at_fraction is not None:
            stop_at_fraction = _float("stop_at_fraction", stop_at_fraction, 0.0, math.inf)
            if eval_every is None:
                raise ValueError("stop_at_fraction needs eval_every and eval_env")
        self._check_env(env, "env")
        if eval_env is not None:
            self._check_env(eval_env, "eval_env")
        self._resolve_scale(getattr(env.unwrapped, "scenario", None))
        self._pending = None
        self._last_obs = None
        if seed is None:
            seed = int(self._rng.integers(2**31))
        train_time = 0.0
        t0 = time.perf_counter()
        obs, _ = env.reset(seed=int(seed))
        obs = np.asarray(obs, dtype=np.float32)
        rows: list[dict] = []
        win_r = win_o = 0.0
        win_n = 0
        episodes = 0
        self._take_loss()
        rng = self._rng
        for t in range(1, total_steps + 1):
            if rng.random() < self._epsilon_at(self.num_decisions):
                action = int(rng.integers(2))
            else:
                action = self.policy(obs)
            self.num_decisions += 1
            next_obs, reward, terminated, truncated, info = env.step(action)
            next_obs = np.asarray(next_obs, dtype=np.float32)
            self._store(obs, action, float(reward), next_obs, float(terminated))
            win_r += float(reward)
            win_o += float(info.get("oracle_reward", math.nan))
            win_n += 1
            if terminated or truncated:
                episodes += 1
                obs, _ = env.reset()
                obs = np.asarray(obs, dtype=np.float32)
            else:
                obs = next_obs
            if t % log_every == 0 or t == total_steps:
                train_time += time.perf_counter() - t0
                row = {
                    "step": t, "episodes": episodes,
                    "mean_reward": win_r / win_n, "oracle_mean_reward": win_o / win_n,
                    "fraction_of_oracle": (win_r / win_o) if win_o else math.nan,
                    "epsilon": self.epsilon, "loss": self._take_loss(),
                    "train_time_s": train_time,
                }
                win_r = win_o = 0.0
                win_n = 0
                stop = False
                if eval_every is not None and (t % eval_every == 0 or t == total_steps):
                    m, o = evaluate_policy(self.policy, eval_env, eval_episodes, eval_seed)
                    frac = m / o if o else math.nan
                    row.update(eval_mean_reward=m, eval_oracle_mean_reward=o, eval_fraction=frac)
                    stop = stop_at_fraction is not None and frac >= stop_at_fraction
                rows.append(row)
                if stop:
                    break
                t0 = time.perf_counter()
        cols = ["step", "episodes", "mean_reward", "oracle_mean_reward", "fraction_of_oracle",
                "epsilon", "loss", "train_time_s"]
        if eval_every is not None:
            cols += ["eval_mean_reward", "eval_oracle_mean_reward", "eval_fraction"]
        return pd.DataFrame(rows, columns=cols)

    def _check_env(self, env, what: str) -> None:
        space = getattr(env, "observation_space", None)
        shape = getattr(space, "shape", None)
        if shape != (self.obs_dim,):
            raise ValueError(
                f"{what}'s observations have shape {shape}, this decider expects "
                f"({self.obs_dim},) (extra_features={self.extra_features}); create both with "
                "the same extra_features")
        n = getattr(getattr(env, "action_space", None), "n", None)
        if n != 2:
            raise ValueError(f"{what} must have 2 actions (0 local, 1 offload), got {n!r}")

    # -- checkpoints ---------------------------------------------------------------------
    @staticmethod
    def _paths(path: str | os.PathLike) -> tuple[Path, Path]:
        p = Path(path)
        if p.suffix in (".pt", ".json"):
            p = p.with_suffix("")
        return p.with_name(p.name + ".pt"), p.with_name(p.name + ".json")

    def save(self, path: str | os.PathLike, *, include_buffer: bool = True) -> tuple[Path, Path]:
        """Write ``NAME.pt`` (tensors) and ``NAME.json`` (settings, counters, generator
        state) for ``path`` = ``NAME``, ``NAME.pt`` or ``NAME.json``; atomically.

        With ``include_buffer`` the replay buffer is saved too, so training resumes exactly.
        Returns the two paths.
        """
        torch = self._torch
        pt, js = self._paths(path)
        pt.parent.mkdir(parents=True, exist_ok=True)
        state: dict[str, Any] = {
            "q_net": self.q_net.state_dict(),
            "target_net": self.target_net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
        }
        if include_buffer:
            state["buffer"] = {k: torch.from_numpy(np.ascontiguousarray(v))
                               for k, v in self.buffer.arrays().items()}
        atomic_write(pt, lambda tmp: torch.save(state, tmp))
        digest = hashlib.sha256(pt.read_bytes()).hexdigest()
        from genoff import __version__

        meta = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "genoff_version": __version__,
            "torch_version": torch.__version__,
            "hyperparameters": self.hyperparameters(),
            "counters": {"num_decisions": self.num_decisions,
                         "num_transitions": self.num_transitions,
                         "num_updates": self.num_updates, "last_loss": self.last_loss},
            "rng_state": self._rng.bit_generator.state,
            "rng_seed": self._rng_seed,
            "buffer_saved": bool(include_buffer),
            "weights_file": pt.name,
            "weights_sha256": digest,
        }
        text = json.dumps(meta, indent=2, allow_nan=True) + "\n"
        atomic_write(js, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        return pt, js

    # -- resuming a run (genoff.experiments.run with a checkpoint) ------------------------
    def save_state(self, folder: str | os.PathLike) -> None:
        """A checkpoint (:meth:`save`, replay buffer included) as ``folder/dqn.pt`` +
        ``dqn.json``, and the online training curve and any transition waiting for its next
        state (``gamma > 0``) in ``folder/dqn-run.json``."""
        folder = Path(folder)
        self.save(folder / "dqn")
        pending = None
        if self._pending is not None:
            obs, act, rew = self._pending
            pending = [np.asarray(obs, dtype=np.float32).tolist(), int(act), float(rew)]
        # The checkpoint stores the replay buffer oldest first; its ring position puts a
        # full buffer back in place, so that sampled indices pick the same transitions.
        run = {"curve": self._curve, "pending": pending, "buffer_pos": int(self.buffer.pos)}
        (folder / "dqn-run.json").write_text(json.dumps(run, allow_nan=True), encoding="utf-8")

    def load_state(self, folder: str | os.PathLike) -> None:
        """Become the decider :meth:`save_state` wrote (weights, optimizer, replay buffer,
        generator, counters, training curve)."""
        folder = Path(folder)
        loaded = type(self).load(folder / "dqn", device=self.device)
        self.__dict__.update(loaded.__dict__)
        run = json.loads((folder / "dqn-run.json").read_text(encoding="utf-8"))
        self._curve = list(run["curve"])
        buf = self.buffer
        if buf.size == buf.capacity and run["buffer_pos"]:
            k = int(run["buffer_pos"])
            for a in (buf.obs, buf.next_obs, buf.action, buf.reward, buf.done):
                a[:] = np.roll(a, k, axis=0)
            buf.pos = k
        p = run["pending"]
        self._pending = None if p is None else (np.asarray(p[0], dtype=np.float32), p[1], p[2])

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> DQNDecider:
        """Restore a decider written by :meth:`save` (``path`` = ``NAME``, ``NAME.pt`` or
        ``NAME.json``); optionally onto another ``device``.

        Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file
        and the field for anything else: invalid JSON, missing or ill-typed fields, a
        ``.pt`` that does not match the JSON's SHA-256, or one that does but is not the
        tensors :meth:`save` writes (``torch.load`` never sees a file that fails the SHA,
        and the networks are built only once the tensors match the hyperparameters).
        """
        pt, js = cls._paths(path)
        for p in (pt, js):
            if not p.is_file():
                raise FileNotFoundError(f"DQN checkpoint file {p} not found")
        meta = _read_meta(js)
        data = pt.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta["weights_sha256"]:
            raise ValueError(f"{pt} does not match {js} (SHA-256 differs): the pair was not "
                             "written together")
        hp = dict(meta["hyperparameters"])
        if device is not None:
            hp["device"] = device
        torch = _torch()
        try:
            with warnings.catch_warnings():  # a corrupt file's pickle-protocol warnings
                warnings.simplefilter("ignore")
                state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - a corrupt file raises anything: name the file
            first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
            raise ValueError(f"{pt} is not a genoff DQN weights file (torch.load: "
                             f"{type(e).__name__}: {first})") from None
        dev = hp["device"]
        try:
            dev_type = torch.device(dev).type if isinstance(dev, str) else None
        except (RuntimeError, ValueError):
            dev_type = None
        if dev_type not in ("cpu", "cuda", "mps", "xpu"):
            where = "device" if device is not None else f"{js}: hyperparameters.device"
            raise ValueError(f"{where} must be a torch device such as 'cpu' or 'cuda', "
                             f"got {dev!r:.100}")
        obs_dim = _BASE_DIM + (2 if hp["extra_features"] else 0)
        _check_state(pt, state, obs_dim, hp["hidden"], meta["buffer_saved"])
        try:
            self = cls(**hp)
        except ValueError as e:
            raise ValueError(f"{js}: hyperparameters.{e}") from None
        try:
            self.q_net.load_state_dict(state["q_net"])
            self.target_net.load_state_dict(state["target_net"])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
            raise ValueError(f"{pt}: the networks or the optimizer state do not match "
                             f"{js} ({type(e).__name__}: {first})") from None
        _check_optimizer(pt, self)
        if "buffer" in state:
            b = {k: v.cpu().numpy() for k, v in state["buffer"].items()}
            n = len(b["action"])
            if n:
                self.buffer.add_batch(b["obs"], b["action"], b["reward"], b["next_obs"], b["done"])
        c = meta["counters"]
        self.num_decisions = c["num_decisions"]
        self.num_transitions = c["num_transitions"]
        self.num_updates = c["num_updates"]
        self.last_loss = float(c["last_loss"])
        self._rng_seed = meta["rng_seed"]
        try:
            self._rng.bit_generator.state = meta["rng_state"]
        except (ValueError, TypeError, KeyError, OverflowError) as e:
            raise ValueError(f"{js}: rng_state is not a {type(self._rng.bit_generator).__name__} "
                             f"state ({type(e).__name__}: {e})") from None
        return self


# -- checkpoint validation ------------------------------------------------------------------
_HP_FIELDS = ("hidden", "lr", "gamma", "batch_size", "buffer_size", "learning_starts",
              "train_freq", "gradient_steps", "target_update", "epsilon_start", "epsilon_end",
              "epsilon_decay_steps", "grad_clip", "huber_delta", "reward_scale",
              "extra_features", "seed", "device", "name")
_COUNTERS = ("num_decisions", "num_transitions", "num_updates")
#: Largest replay capacity and layer width a checkpoint may ask for (the networks and the
#: buffer are allocated before the tensors are copied in).
_MAX_BUFFER = 100_000_000
_MAX_WIDTH = 1_000_000


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _read_meta(js: Path) -> dict:
    """The checked contents of a checkpoint's JSON: ``ValueError`` naming file and field."""
    try:
        meta = json.loads(js.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, digits
        what = "nested too deeply" if isinstance(e, RecursionError) else e
        raise ValueError(f"{js} is not a DQN checkpoint (invalid JSON: {what})") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(f"{js} is not a genoff DQN checkpoint")
    if meta.get("format_version") != _FORMAT_VERSION:
        raise ValueError(f"{js}: unsupported checkpoint format_version "
                         f"{meta.get('format_version')!r:.100} (expected {_FORMAT_VERSION})")

    def bad(field: str, what: str, got: Any = None) -> ValueError:
        return ValueError(f"{js}: {field} must be {what}, got {got!r:.100}")

    for key in ("hyperparameters", "counters", "rng_state", "rng_seed", "buffer_saved",
                "weights_sha256"):
        if key not in meta:
            raise ValueError(f"{js}: the field {key!r} is missing")
    sha = meta["weights_sha256"]
    if not isinstance(sha, str) or len(sha) != 64:
        raise bad("weights_sha256", "a SHA-256 hex digest", sha)
    if not isinstance(meta["buffer_saved"], bool):
        raise bad("buffer_saved", "true or false", meta["buffer_saved"])
    seed = meta["rng_seed"]
    if not _is_int(seed) or not 0 <= seed < 2**128:
        raise bad("rng_seed", "an integer in [0, 2^128)", seed)
    if not isinstance(meta["rng_state"], dict):
        raise bad("rng_state", "an object (a numpy bit generator's state)", meta["rng_state"])
    c = meta["counters"]
    if not isinstance(c, dict):
        raise bad("counters", "an object", c)
    for key in (*_COUNTERS, "last_loss"):
        if key not in c:
            raise ValueError(f"{js}: the field 'counters.{key}' is missing")
    for key in _COUNTERS:
        if not _is_int(c.get(key)) or not 0 <= c[key] < 2**62:
            raise bad(f"counters.{key}", "an integer in [0, 2^62)", c.get(key))
    loss = c.get("last_loss")
    if isinstance(loss, bool) or not isinstance(loss, (int, float)):
        raise bad("counters.last_loss", "a number (NaN before the first update)", loss)
    hp = meta["hyperparameters"]
    if not isinstance(hp, dict):
        raise bad("hyperparameters", "an object", hp)
    unknown = sorted(str(k) for k in hp if k not in _HP_FIELDS)
    missing = [k for k in _HP_FIELDS if k not in hp]
    if unknown or missing:
        raise ValueError(f"{js}: hyperparameters: unknown fields {unknown}, missing {missing}")
    hidden = hp["hidden"]
    if (not isinstance(hidden, list) or not 1 <= len(hidden) <= 64
            or not all(_is_int(h) and 1 <= h <= _MAX_WIDTH for h in hidden)):
        raise bad("hyperparameters.hidden", f"a list of 1-64 integers in [1, {_MAX_WIDTH:,}]",
                  hidden)
    bs = hp["buffer_size"]
    if not _is_int(bs) or not 1 <= bs <= _MAX_BUFFER:
        raise bad("hyperparameters.buffer_size", f"an integer in [1, {_MAX_BUFFER:,}]", bs)
    if not isinstance(hp["extra_features"], bool):
        raise bad("hyperparameters.extra_features", "true or false", hp["extra_features"])
    return meta


def _check_state(pt: Path, state: Any, obs_dim: int, hidden: Sequence[int],
                 buffer_saved: bool) -> None:
    """``ValueError`` naming ``pt`` unless ``state`` holds the tensors :meth:`DQNDecider.save`
    writes for these hyperparameters (checked before any network is built)."""
    import torch

    def bad(what: str) -> ValueError:
        return ValueError(f"{pt} is not the DQN checkpoint its JSON describes: {what}")

    if not isinstance(state, dict):
        raise bad(f"it holds a {type(state).__name__}, not a dict of tensors")
    want = {"q_net", "target_net", "optimizer"} | ({"buffer"} if buffer_saved else set())
    if set(state) != want:
        raise bad(f"its entries are {sorted(map(str, state))}, expected {sorted(want)}")
    dims = [obs_dim, *hidden, 2]
    shapes = {}
    for i in range(len(dims) - 1):
        shapes[f"{2 * i}.weight"] = (dims[i + 1], dims[i])
        shapes[f"{2 * i}.bias"] = (dims[i + 1],)
    for net in ("q_net", "target_net"):
        sd = state[net]
        if not isinstance(sd, dict) or set(sd) != set(shapes):
            raise bad(f"{net} does not have the layers of hidden = {list(hidden)}")
        for k, shape in shapes.items():
            t = sd[k]
            if (not isinstance(t, torch.Tensor) or tuple(t.shape) != shape
                    or not t.is_floating_point()):
                raise bad(f"{net}.{k} must be a float tensor of shape {shape}")
    opt = state["optimizer"]
    if (not isinstance(opt, dict) or set(opt) != {"state", "param_groups"}
            or not isinstance(opt["state"], dict) or not isinstance(opt["param_groups"], list)
            or not all(isinstance(g, dict) for g in opt["param_groups"])):
        raise bad("optimizer must be an Adam state dict (state, param_groups)")
    if buffer_saved:
        b = state["buffer"]
        cols = {"obs": (obs_dim,), "next_obs": (obs_dim,), "action": (), "reward": (), "done": ()}
        if not isinstance(b, dict) or set(b) != set(cols):
            raise bad(f"buffer must hold {sorted(cols)}")
        n = None
        for k, tail in cols.items():
            t = b[k]
            if (not isinstance(t, torch.Tensor) or t.ndim != 1 + len(tail)
                    or tuple(t.shape[1:]) != tail):
                raise bad(f"buffer.{k} must be a tensor of shape [n{', ' if tail else ''}"
                          f"{', '.join(map(str, tail))}]")
            if n is None:
                n = t.shape[0]
            elif t.shape[0] != n:
                raise bad(f"buffer.{k} has {t.shape[0]} rows, buffer.obs {n}")
            if t.is_complex() or (t.is_floating_point() and not bool(torch.isfinite(t).all())):
                raise bad(f"buffer.{k} must be finite real numbers")
        if n and not bool(((b["action"] == 0) | (b["action"] == 1)).all()):
            raise bad("buffer.action must be 0 or 1")


def _check_optimizer(pt: Path, d: DQNDecider) -> None:
    """The loaded Adam state must fit the network (else the first update fails)."""
    torch = d._torch
    params = list(d.q_net.parameters())
    sd = d.optimizer.state_dict()
    for i, st in sd["state"].items():
        p = params[i] if _is_int(i) and 0 <= i < len(params) else None
        step = st.get("step") if isinstance(st, dict) else None
        ok = (p is not None and all(
            isinstance(st.get(k), torch.Tensor) and st[k].shape == p.shape
            and st[k].dtype == p.dtype for k in ("exp_avg", "exp_avg_sq"))
            and isinstance(step, torch.Tensor) and step.numel() == 1
            and step.is_floating_point() and bool(torch.isfinite(step).all())
            and float(step) >= 0)
        if not ok:
            raise ValueError(f"{pt}: optimizer state {i!r} does not fit the Q-network")
    for g in sd["param_groups"]:
        lr, betas, eps = g.get("lr"), g.get("betas"), g.get("eps")
        ok = (isinstance(lr, (int, float)) and lr == d.lr and isinstance(eps, (int, float))
              and math.isfinite(eps) and eps > 0 and isinstance(betas, (tuple, list))
              and len(betas) == 2 and all(isinstance(x, (int, float)) and 0 <= x < 1
                                          for x in betas))
        if not ok:
            raise ValueError(f"{pt}: optimizer settings (lr, betas, eps) are not those of "
                             f"lr = {d.lr:g}")


# -- evaluation -----------------------------------------------------------------------------
def evaluate_policy(
    policy: Callable[[np.ndarray], int],
    env,
    episodes: int = 3,
    seed: int = 10_000,
    *,
    max_steps: int | None = None,
) -> tuple[float, float]:
    """Mean reward of ``policy`` and of the oracle on the same requests.

    Runs ``episodes`` episodes of ``env`` (a ``genoff/Offload-v0`` environment), reset with
    seeds ``seed``, ``seed + 1``, ...; every method evaluated with the same ``seed`` sees the
    same requests and channels, and each step's ``info["oracle_reward"]`` is the best reward
    of that same request. ``policy`` maps one observation to an action (0 local, 1 offload).

    Returns:
        (mean reward per request, the oracle's mean reward per request); their ratio is the
        "fraction of the oracle".
    """
    episodes = _int("episodes", episodes, 1)
    seed = _int("seed", seed, 0)
    if max_steps is not None:
        max_steps = _int("max_steps", max_steps, 1)
    total = oracle = 0.0
    n = 0
    for k in range(episodes):
        obs, _ = env.reset(seed=seed + k)
        steps = 0
        while True:
            obs, reward, terminated, truncated, info = env.step(int(policy(obs)))
            total += float(reward)
            oracle += float(info["oracle_reward"])
            n += 1
            steps += 1
            if terminated or truncated or (max_steps is not None and steps >= max_steps):
                break
    return total / n, oracle / n


def oracle_policy_fraction(policy: Callable[[np.ndarray], int], env, episodes: int = 3,
                           seed: int = 10_000) -> float:
    """:func:`evaluate_policy`'s mean reward as a fraction of the oracle's."""
    m, o = evaluate_policy(policy, env, episodes, seed)
    return m / o if o else math.nan


def online_curve(decider: DQNDecider, table: pd.DataFrame) -> pd.DataFrame:
    """The decider's online training curve with the oracle's per-step mean reward of a
    :func:`genoff.experiments.run` table (columns ``oracle_mean_reward`` and
    ``fraction_of_oracle`` added)."""
    curve = decider.training_curve()
    oracle = table.groupby("step", observed=True)["oracle_reward"].mean()
    curve["oracle_mean_reward"] = curve["step"].map(oracle).astype(float)
    curve["fraction_of_oracle"] = curve["mean_reward"] / curve["oracle_mean_reward"]
    return curve
