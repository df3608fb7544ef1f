"""Tabular reward statistics and the ``bandit`` decider: the simplest learner to compare with.

:class:`RewardTable` keeps, for every (keyword tuple, action), the number of observed
rewards, their mean and their sum of squared deviations (Welford's update), so a decider
can read means and spreads at any time and save them as plain JSON.

:class:`BanditDecider` (``"bandit"``) is keyed on exactly the keywords the ICL prompt shows
(the :class:`~genoff.deciders.icl.PromptBuilder`'s keyword tuple: service type and size level by
default) and is epsilon-greedy on the mean observed reward of each (keywords, action): an
untried action first (a random one of the untried), else with probability ``epsilon`` a
random action, else the action with the higher mean (ties: local). Seeded. Every LLM decider
should beat it to earn its place (the README's comparison table).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from genoff._util import validate
from genoff.deciders.icl import KeywordDecider, PromptBuilder

if TYPE_CHECKING:
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["RewardTable", "BanditDecider"]


class RewardTable:
    """Count, mean and sum of squared deviations of the rewards of each (keywords, action).

    Actions are indices into :data:`genoff.deciders.icl.DECISIONS` (0 = local, 1 = offload).
    """

    def __init__(self) -> None:
        # keywords -> [count, mean, m2] per action, as a (2, 3) float array
        self._stats: dict[tuple[str, ...], np.ndarray] = {}

    def _row(self, keywords: tuple[str, ...]) -> np.ndarray:
        row = self._stats.get(keywords)
        if row is None:
            row = self._stats[keywords] = np.zeros((2, 3))
        return row

    def update(self, keywords: Sequence[str], action: int, reward: float) -> None:
        """Add one observed reward (Welford's update)."""
        reward = float(reward)
        if not math.isfinite(reward):
            raise ValueError(f"reward must be finite, got {reward}")
        if action not in (0, 1):
            raise ValueError(f"action must be 0 (local) or 1 (offload), got {action!r}")
        s = self._row(tuple(keywords))[action]
        s[0] += 1.0
        delta = reward - s[1]
        s[1] += delta / s[0]
        s[2] += delta * (reward - s[1])

    def update_all(self, keywords: Sequence[Sequence[str]], offload: Sequence[bool],
                   rewards: Sequence[float]) -> None:
        """Add a step's rewards: request ``i`` had ``keywords[i]``, was offloaded or not
        (``offload[i]``: action 1 or 0) and earned ``rewards[i]``."""
        for kw, a, r in zip(keywords, offload, rewards):
            self.update(kw, int(bool(a)), float(r))

    def counts(self, keywords: Sequence[str]) -> np.ndarray:
        """Observed rewards [2] of (local, offload) for these keywords."""
        row = self._stats.get(tuple(keywords))
        return np.zeros(2) if row is None else row[:, 0].copy()

    def means(self, keywords: Sequence[str]) -> np.ndarray:
        """Mean observed reward [2] of (local, offload); 0 where untried."""
        row = self._stats.get(tuple(keywords))
        return np.zeros(2) if row is None else row[:, 1].copy()

    def pooled(self) -> tuple[int, float, float, float]:
        """``(count, mean, within_var, total_var)`` over every observed reward.

        ``within_var`` pools the spread of each reward around its own (keywords, action)
        cell's mean; ``total_var`` is the plain variance of all rewards. NaN where there
        are too few observations (no cell with two rewards / fewer than two rewards).
        """
        if not self._stats:
            return 0, float("nan"), float("nan"), float("nan")
        rows = np.concatenate(list(self._stats.values()))  # [2 * num_keys, 3]
        n, m, m2 = rows[:, 0], rows[:, 1], rows[:, 2]
        count = float(n.sum())
        if count == 0:
            return 0, float("nan"), float("nan"), float("nan")
        mean = float((n * m).sum() / count)
        dof = float(np.clip(n - 1.0, 0.0, None).sum())
        within = float(m2.sum() / dof) if dof > 0 else float("nan")
        total = (float(m2.sum() + (n * (m - mean) ** 2).sum()) / (count - 1)
                 if count > 1 else float("nan"))
        return int(count), mean, within, total

    def keys(self) -> list[tuple[str, ...]]:
        return sorted(self._stats)

    def to_dict(self) -> dict:
        """Plain JSON data (``RewardTable.from_dict(t.to_dict())`` restores it exactly)."""
        return {
            "cells": [
                {"keywords": list(k), "local": self._stats[k][0].tolist(),
                 "offload": self._stats[k][1].tolist()}
                for k in self.keys()
            ]
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "RewardTable":
        table = cls()
        cells = d.get("cells") if isinstance(d, Mapping) else None
        if not isinstance(cells, list):
            raise ValueError("reward table must hold a list 'cells'")
        for c in cells:
            try:
                kw = tuple(str(k) for k in c["keywords"])
                row = np.array([c["local"], c["offload"]], dtype=np.float64)
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"bad reward-table cell {c!r}: {e}") from None
            if row.shape != (2, 3) or not np.isfinite(row).all() or (row[:, 0] < 0).any():
                raise ValueError(f"bad reward-table cell {c!r}: need [count, mean, m2] per action")
            table._stats[kw] = row
        return table


class BanditDecider(KeywordDecider):
    """Tabular epsilon-greedy bandit on the ICL prompt's keywords (the ``bandit`` decider).

    Args:
        epsilon: exploration probability once both actions of a keyword tuple were tried.
        builder: whose keywords key the table (default: service type + size level, the
            ICL prompt's default).
        seed: exploration seed (``reset`` re-seeds).

    ``reset`` re-seeds and clears the table (a new run learns from scratch, like the DQN).
    """

    name = "bandit"

    def __init__(self, epsilon: float = 0.1, *, builder: PromptBuilder | None = None,
                 seed: int | None = None) -> None:
        super().__init__(builder)
        self.epsilon = validate.real("epsilon", epsilon, ge=0.0, le=1.0, type_error=ValueError)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self.table = RewardTable()
        self.stats = {"decisions": 0, "explored": 0, "untried": 0}

    def decide(self, ctx: StepContext) -> np.ndarray:
        keywords = self._keywords(ctx.requests)
        n = len(keywords)
        # drawn for every request, used or not: the stream does not depend on the table
        explore_u, coin = self._rng.random(n), self._rng.random(n)
        out = np.zeros(n, dtype=bool)
        for i, kw in enumerate(keywords):
            counts = self.table.counts(kw)
            untried = np.flatnonzero(counts == 0)
            if untried.size:
                out[i] = bool(untried[int(coin[i] * untried.size)])
                self.stats["untried"] += 1
            elif explore_u[i] < self.epsilon:
                out[i] = coin[i] < 0.5
                self.stats["explored"] += 1
            else:
                m = self.table.means(kw)
                out[i] = m[1] > m[0]
        self.stats["decisions"] += n
        return out

    def observe(self, ctx: StepContext, offload: np.ndarray, outcome: Evaluation) -> None:
        self.table.update_all(self._keywords(ctx.requests), offload, outcome.reward)

    def config(self) -> dict:
        return {"name": self.name, "epsilon": self.epsilon,
                "keyword_fields": list(self.builder.keyword_fields)}

    # -- resuming a run (saved as folder/<name>.json) ---------------------------------------
    def state_dict(self) -> dict:
        """Everything a run needs to continue exactly (plain JSON data)."""
        return {"table": self.table.to_dict(), "rng_state": self._rng.bit_generator.state,
                "stats": dict(self.stats)}

    def load_state_dict(self, state: Mapping) -> None:
        self.table = RewardTable.from_dict(state["table"])
        self._rng.bit_generator.state = state["rng_state"]
        self.stats = dict(state["stats"])
