"""The DQN's Gymnasium training loop (as Stable-Baselines3's ``learn``) and the evaluation of
a policy against the oracle on the same requests.

:func:`train` runs the ordinary RL loop on a ``genoff/Offload-v0`` environment
(:class:`genoff.envs.offload.OffloadEnv`): one request per environment step, exactly what any
RL library sees. :func:`evaluate_policy` and :func:`oracle_policy_fraction` score any policy
(the DQN's, SB3's, ...) with the same seeds; :func:`online_curve` joins the curve of online
learning inside :func:`genoff.experiments.run` with the oracle's reward.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Callable

import numpy as np

from genoff._util.validate import real
from genoff.deciders.dqn.config import count

if TYPE_CHECKING:
    import pandas as pd

    from genoff.deciders.dqn.decider import DQNDecider

__all__ = ["train", "check_env", "evaluate_policy", "oracle_policy_fraction", "online_curve"]

_CURVE_COLUMNS = ["step", "episodes", "mean_reward", "oracle_mean_reward",
                  "fraction_of_oracle", "epsilon", "loss", "train_time_s"]
_EVAL_COLUMNS = ["eval_mean_reward", "eval_oracle_mean_reward", "eval_fraction"]


def train(
    decider: DQNDecider,
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
    """Train ``decider`` on a Gymnasium environment (``genoff/Offload-v0``) for
    ``total_steps`` steps (:meth:`DQNDecider.train <genoff.deciders.dqn.DQNDecider.train>`).

    The loop is the one any RL library runs: epsilon-greedy action, ``env.step``, store
    the transition (``terminated`` ends bootstrapping, truncation does not), train every
    ``train_freq`` steps, reset on episode end.

    Args:
        decider: the DQN that acts, stores and learns.
        env: a Gymnasium env with a Box observation of the decider's size and
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

    total_steps = count("total_steps", total_steps, 0)
    log_every = count("log_every", log_every, 1)
    if eval_every is not None:
        eval_every = count("eval_every", eval_every, 1)
        if eval_env is None:
            raise ValueError("eval_every needs eval_env (a separate evaluation environment)")
    eval_episodes = count("eval_episodes", eval_episodes, 1)
    if stop_at_fraction is not None:
        stop_at_fraction = real("stop_at_fraction", stop_at_fraction, ge=0.0,
                                type_error=ValueError)
        if eval_every is None:
            raise ValueError("stop_at_fraction needs eval_every and eval_env")
    check_env(decider, env, "env")
    if eval_env is not None:
        check_env(decider, eval_env, "eval_env")
    evaluation = None
    if eval_every is not None:
        evaluation = _Evaluation(eval_env, eval_every, eval_episodes, eval_seed, stop_at_fraction)
    rows = _run(decider, env, total_steps, seed, log_every, evaluation)
    columns = _CURVE_COLUMNS + (_EVAL_COLUMNS if evaluation is not None else [])
    return pd.DataFrame(rows, columns=columns)


def check_env(decider: DQNDecider, env, what: str) -> None:
    """``ValueError`` unless ``env`` has this decider's observation size and 2 actions."""
    space = getattr(env, "observation_space", None)
    shape = getattr(space, "shape", None)
    obs_dim = decider.settings.obs_dim
    if shape != (obs_dim,):
        raise ValueError(
            f"{what}'s observations have shape {shape}, this decider expects "
            f"({obs_dim},) (extra_features={decider.settings.extra_features}); create both "
            "with the same extra_features")
    n = getattr(getattr(env, "action_space", None), "n", None)
    if n != 2:
        raise ValueError(f"{what} must have 2 actions (0 local, 1 offload), got {n!r}")


def _run(decider: DQNDecider, env, total_steps: int, seed: int | None, log_every: int,
         evaluation: _Evaluation | None) -> list[dict]:
    """The loop: epsilon-greedy action, ``env.step``, store the transition (``terminated``
    ends bootstrapping, truncation does not; the decider trains every ``train_freq``
    transitions), reset on episode end; a curve row every ``log_every`` steps."""
    decider._resolve_scale(getattr(env.unwrapped, "scenario", None))
    decider._pending = None
    decider._last_obs = None
    rng = decider._rng
    if seed is None:
        seed = int(rng.integers(2**31))
    train_time = 0.0
    t0 = time.perf_counter()
    obs, _ = env.reset(seed=int(seed))
    obs = np.asarray(obs, dtype=np.float32)
    rows: list[dict] = []
    window = _Window()
    episodes = 0
    decider._take_loss()
    for t in range(1, total_steps + 1):
        if rng.random() < decider.settings.epsilon_at(decider.num_decisions):
            action = int(rng.integers(2))
        else:
            action = decider.policy(obs)
        decider.num_decisions += 1
        next_obs, reward, terminated, truncated, info = env.step(action)
        next_obs = np.asarray(next_obs, dtype=np.float32)
        decider._store(obs, action, float(reward), next_obs, float(terminated))
        window.add(float(reward), float(info.get("oracle_reward", math.nan)))
        if terminated or truncated:
            episodes += 1
            obs, _ = env.reset()
            obs = np.asarray(obs, dtype=np.float32)
        else:
            obs = next_obs
        if t % log_every == 0 or t == total_steps:
            train_time += time.perf_counter() - t0
            row = {"step": t, "episodes": episodes, **window.take(),
                   "epsilon": decider.epsilon, "loss": decider._take_loss(),
                   "train_time_s": train_time}
            stop = False
            if evaluation is not None and evaluation.due(t, total_steps):
                stop = evaluation.run(decider, row)
            rows.append(row)
            if stop:
                break
            t0 = time.perf_counter()
    return rows


class _Window:
    """Rewards of the training transitions since the previous curve row, and the oracle's."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.reward = self.oracle = 0.0
        self.count = 0

    def add(self, reward: float, oracle: float) -> None:
        self.reward += reward
        self.oracle += oracle
        self.count += 1

    def take(self) -> dict:
        """The window's means (a curve row's columns); starts the next window."""
        r, o, n = self.reward, self.oracle, self.count
        self._clear()
        return {"mean_reward": r / n, "oracle_mean_reward": o / n,
                "fraction_of_oracle": (r / o) if o else math.nan}


class _Evaluation:
    """Greedy evaluation during :func:`train` on a separate environment."""

    def __init__(self, env, every: int, episodes: int, seed: int,
                 stop_at_fraction: float | None) -> None:
        self.env, self.every, self.episodes, self.seed = env, every, episodes, seed
        self.stop_at_fraction = stop_at_fraction

    def due(self, t: int, total_steps: int) -> bool:
        return t % self.every == 0 or t == total_steps

    def run(self, decider: DQNDecider, row: dict) -> bool:
        """Add the evaluation's columns to ``row``; True when training should stop."""
        m, o = evaluate_policy(decider.policy, self.env, self.episodes, self.seed)
        frac = m / o if o else math.nan
        row.update(eval_mean_reward=m, eval_oracle_mean_reward=o, eval_fraction=frac)
        return self.stop_at_fraction is not None and frac >= self.stop_at_fraction


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
    episodes = count("episodes", episodes, 1)
    seed = count("seed", seed, 0)
    if max_steps is not None:
        max_steps = count("max_steps", max_steps, 1)
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
