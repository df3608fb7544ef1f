"""The decider interface and the fixed policies (a leaf of :mod:`genoff.deciders`).

Decision makers: each decides a step's requests in one batch and then observes outcomes.

The interface (:class:`Decider`) is deliberately small:

* ``decide(ctx) -> offload`` gets a :class:`genoff.sim.StepContext` (the step's requests:
  service type, estimated output size and its level, the paper's state eq. 8) and returns a
  bool array, True = offload to the cloud;
* ``observe(ctx, offload, outcome)`` receives the delays and rewards of those decisions
  (a :class:`genoff.core.Evaluation`), for deciders that learn;
* ``reset(seed)`` starts a new run;
* ``save_state(folder)`` / ``load_state(folder)`` (deciders with ``resumable = True``) write
  and restore everything a run needs to continue exactly (learned state, generators,
  counters): :func:`genoff.experiments.run` checkpoints with them, ``genoff simulate
  --resume`` continues from them.

``Oracle`` is the exact best decision (RB allocation does not depend on the decisions); ``AlwaysLocal``, ``AlwaysOffload`` and
``Random`` are reference points. The in-context-learning and DQN deciders implement the
same interface.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # deciders import without the compiled core (e.g. on a GPU box)
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["Decider", "Oracle", "AlwaysLocal", "AlwaysOffload", "Random"]


class Decider:
    """Base class of decision makers (see the module docstring)."""

    name = "decider"
    #: Whether :meth:`save_state` / :meth:`load_state` continue a run exactly.
    resumable = False

    def reset(self, seed: int | None = None) -> None:
        """Start a new run (re-seed any randomness)."""

    def decide(self, ctx: StepContext) -> np.ndarray:
        raise NotImplementedError

    def observe(self, ctx: StepContext, offload: np.ndarray, outcome: Evaluation) -> None:
        """Learn from the outcome of the step's decisions (no-op by default)."""

    def config(self) -> dict:
        """The decider's settings, recorded with results."""
        return {"name": self.name}

    def save_state(self, folder: str | os.PathLike) -> None:
        """Write the state a run needs to continue exactly into the (new, empty) ``folder``.

        Called between time slots. Deciders that learn or draw random numbers override this
        and :meth:`load_state` and set ``resumable = True``.
        """
        raise NotImplementedError(
            f"decider {self.name!r} cannot save its state, so its runs cannot be resumed"
        )

    def load_state(self, folder: str | os.PathLike) -> None:
        """Restore what :meth:`save_state` wrote (after ``reset``, before the next slot)."""
        raise NotImplementedError(
            f"decider {self.name!r} cannot load a saved state, so its runs cannot be resumed"
        )


class _Stateless(Decider):
    """A decider without state between slots: nothing to save for a resume."""

    resumable = True

    def save_state(self, folder: str | os.PathLike) -> None:
        pass

    def load_state(self, folder: str | os.PathLike) -> None:
        pass


class Oracle(_Stateless):
    """The exact best decision of every step (RB allocation does not depend on decisions)."""

    name = "oracle"

    def decide(self, ctx: StepContext) -> np.ndarray:
        return ctx.evaluator.oracle(ctx.requests, ctx.radio)


class AlwaysLocal(_Stateless):
    """Every request on the edge LLM."""

    name = "local"

    def decide(self, ctx: StepContext) -> np.ndarray:
        return np.zeros(len(ctx.requests), dtype=bool)


class AlwaysOffload(_Stateless):
    """Every request offloaded to the cloud LLM."""

    name = "offload"

    def decide(self, ctx: StepContext) -> np.ndarray:
        return np.ones(len(ctx.requests), dtype=bool)


class Random(Decider):
    """Each request offloaded with probability ``p`` (seeded)."""

    name = "random"
    resumable = True

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        self.p = float(p)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def decide(self, ctx: StepContext) -> np.ndarray:
        return self._rng.random(len(ctx.requests)) < self.p

    def config(self) -> dict:
        return {"name": self.name, "p": self.p}

    def save_state(self, folder: str | os.PathLike) -> None:
        state = {"rng_state": self._rng.bit_generator.state}
        (Path(folder) / "random.json").write_text(json.dumps(state), encoding="utf-8")

    def load_state(self, folder: str | os.PathLike) -> None:
        state = json.loads((Path(folder) / "random.json").read_text(encoding="utf-8"))
        self._rng.bit_generator.state = state["rng_state"]
