"""Gymnasium environment: one offloading decision per step, registered as "genoff/Offload-v0".

``import genoff`` registers it::

    import gymnasium as gym
    import genoff  # noqa: F401
    env = gym.make("genoff/Offload-v0", scenario="paper")

Each environment step is one request of the current time slot (the users' requests of a
slot come one after another; a new slot starts when they are used up):

* observation (float32): the paper's state, eq. (8): a one-hot of the service type (5
  entries, in :data:`genoff.world.services.SERVICE_TYPES` order) and the estimated output size
  divided by the scenario's mean output size; with ``extra_features=True`` also the
  request's quality requirement / 100 and log10 of the user's throughput C in Mbit/s;
* action: 0 = local (edge LLM), 1 = offload (cloud LLM);
* reward: eq. (10) of that request;
* ``info``: ``t_tran_s``, ``t_gen_s``, ``t_total_s``, ``violated``, ``oracle_reward``
  (the best reward of that request), ``slot``, ``user``, ``service``.

An episode is one user drop; it is truncated after ``slots_per_episode`` slots, i.e. after
``episode_steps = slots_per_episode * scenario.num_users`` steps. ``gymnasium.make`` adds a
TimeLimit of 1000 steps, the default episode (50 slots x the paper's 20 users), on which
the environment truncates itself too; for longer episodes pass
``max_episode_steps=episode_steps`` (or ``-1``: no TimeLimit) to ``gymnasium.make``. Everything
random comes from the generator that ``reset(seed=...)`` seeds, so episodes are
reproducible. With a load-aware edge, the edge load of a request is the number of requests
of its slot kept at the edge so far (decisions arrive one by one here, while
:func:`genoff.experiments.run` decides a slot in one batch).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from genoff import ENV_ID  # "genoff/Offload-v0"
from genoff._util import validate
from genoff.world.catalog import Catalog
from genoff.world.scenario import Scenario, load_scenario
from genoff.sim import Evaluator, Network
from genoff.sim.features import observation, observation_bounds
from genoff.world.services import SERVICE_TYPES
from genoff.world.tasks import TaskGenerator

__all__ = ["OffloadEnv", "ENV_ID", "observation", "observation_bounds"]


class OffloadEnv(gym.Env):
    """The offloading decision as a Gymnasium environment (see the module docstring).

    Args:
        scenario: a :class:`genoff.world.scenario.Scenario` or the name/path for ``load_scenario``.
        slots_per_episode: slots before the episode is truncated (>= 1).
        extra_features: append quality requirement and throughput to the observation.
        catalog: LLM catalog (the packaged one by default).
        n_threads: threads for the core (0 = all).
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        scenario: Scenario | str = "paper",
        *,
        slots_per_episode: int = 50,
        extra_features: bool = False,
        catalog: Catalog | None = None,
        n_threads: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(scenario, (Scenario, str, os.PathLike)):
            raise TypeError(
                "scenario must be a Scenario, a built-in name or a TOML path, got "
                f"{type(scenario).__name__}"
            )
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.slots_per_episode = validate.integer("slots_per_episode", slots_per_episode, ge=1, le=2**62)
        #: Steps of an episode (one request per step): slots x users.
        self.episode_steps = self.slots_per_episode * self.scenario.num_users
        if not isinstance(extra_features, (bool, np.bool_)):
            raise TypeError(
                f"extra_features must be True or False, got {type(extra_features).__name__}"
            )
        self.extra_features = bool(extra_features)
        if catalog is not None and not isinstance(catalog, Catalog):
            raise TypeError(
                f"catalog must be a genoff.world.catalog.Catalog or None, got {type(catalog).__name__}"
            )
        self.n_threads = validate.integer("n_threads", n_threads, ge=0, le=2**31 - 1)
        self.evaluator = Evaluator(self.scenario, catalog)
        self.tasks = TaskGenerator(self.scenario.tasks)
        self._mean_tokens = float(self.scenario.tasks.mean_output_tokens)
        self._max_tokens = float(self.scenario.tasks.max_tokens)
        low, high = observation_bounds(self._mean_tokens, self._max_tokens, self.extra_features)
        self.observation_space = spaces.Box(low=low, high=high, dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self._network: Network | None = None

    # -- helpers -------------------------------------------------------------------------
    def _new_slot(self) -> None:
        req = self.tasks.sample(self._task_rng, np.arange(self._network.num_ue))
        radio = self._network.radio(req, int(self._fading_rng.integers(2**63)))
        self._req, self._radio = req, radio
        n = len(req)
        self._local = self.evaluator(req, np.zeros(n, dtype=bool), radio, num_at_edge=1)
        self._cloud = self.evaluator(req, np.ones(n, dtype=bool), radio)
        self._best = np.maximum(self._local.reward, self._cloud.reward)
        self._index = 0
        self._at_edge = 0
        capacity = None
        if self.extra_features:
            capacity = self._network.capacity(self._capacity_seed)[req.user]
        self._slot_obs = observation(req, self._mean_tokens, self._max_tokens, capacity)

    def _obs(self) -> np.ndarray:
        return self._slot_obs[self._index].copy()

    # -- Gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Drop new users and start an episode: ``(observation, {"slot": 0})``.

        ``seed``: None (continue the current generator) or an integer >= 0; this environment
        takes no ``options`` (None or an empty dict).
        """
        if seed is not None:
            seed = validate.integer("seed", seed, ge=0)
        if options is not None:
            if not isinstance(options, Mapping):
                raise TypeError(f"options must be a dict or None, got {type(options).__name__}")
            if options:
                raise ValueError(
                    f"options: OffloadEnv.reset takes no options, got {sorted(map(str, options))}"
                )
        super().reset(seed=seed)
        seeds = self.np_random.integers(0, 2**63, size=4)
        self._network = Network(
            self.scenario, np.random.default_rng(seeds[0]), n_threads=self.n_threads
        )
        self._task_rng = np.random.default_rng(seeds[1])
        self._fading_rng = np.random.default_rng(seeds[2])
        self._capacity_seed = int(seeds[3])
        self._slot = 0
        self._new_slot()
        return self._obs(), {"slot": 0}

    def step(self, action):
        if self._network is None:
            raise RuntimeError("call reset() before step()")
        try:
            valid = self.action_space.contains(action)
        except (OverflowError, TypeError, ValueError):  # e.g. an int beyond int64
            valid = False
        if not valid:
            raise ValueError(f"action must be 0 (local) or 1 (offload), got {action!r:.100}")
        i = self._index
        if int(action) == 1:
            out = self._cloud
        else:
            self._at_edge += 1
            if self.evaluator.load_aware and self._at_edge > 1:
                out = self.evaluator(
                    self._req, np.zeros(len(self._req), dtype=bool), self._radio,
                    num_at_edge=self._at_edge,
                )
            else:
                out = self._local
        reward = float(out.reward[i])
        info: dict[str, Any] = {
            "t_tran_s": float(out.t_tran_s[i]),
            "t_gen_s": float(out.t_gen_s[i]),
            "t_total_s": float(out.t_total_s[i]),
            "violated": bool(out.violated[i]),
            "oracle_reward": float(self._best[i]),
            "slot": self._slot,
            "user": int(self._req.user[i]),
            "service": SERVICE_TYPES[int(self._req.service[i])],
        }
        self._index += 1
        truncated = False
        if self._index == len(self._req):
            self._slot += 1
            truncated = self._slot >= self.slots_per_episode
            if not truncated:
                self._new_slot()
            else:
                self._index -= 1  # keep a valid last observation
        return self._obs(), reward, False, truncated, info
