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
from typing import TYPE_CHECKING, Mapping

import numpy as np

from genoff._util import validate

if TYPE_CHECKING:  # deciders import without the compiled core (e.g. on a GPU box)
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["Decider", "JSONStateDecider", "Oracle", "AlwaysLocal", "AlwaysOffload", "Random"]


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


class JSONStateDecider(Decider):
    """A decider whose whole state is plain JSON data: :meth:`state_dict` /
    :meth:`load_state_dict`, saved as ``folder/<state_file>`` (default ``<name>.json``)."""

    resumable = True

    @property
    def state_file(self) -> str:
        """The file name of the saved state in a checkpoint folder."""
        return f"{self.name}.json"

    def state_dict(self) -> dict:
        """Everything a run needs to continue exactly (plain JSON data)."""
        raise NotImplementedError

    def load_state_dict(self, state: Mapping) -> None:
        """Restore what :meth:`state_dict` returned."""
        raise NotImplementedError

    def save_state(self, folder: str | os.PathLike) -> None:
        """Write :meth:`state_dict` into ``folder/<state_file>``."""
        (Path(folder) / self.state_file).write_text(json.dumps(self.state_dict()),
                                                    encoding="utf-8")

    def load_state(self, folder: str | os.PathLike) -> None:
        """Restore what :meth:`save_state` wrote; ``ValueError`` naming the file when it is
        not such a state."""
        path = Path(folder) / self.state_file
        try:
            self.load_state_dict(json.loads(path.read_text(encoding="utf-8")))
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ValueError(f"{path} is not a saved {self.name} state ({e})") from None


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


class Random(JSONStateDecider):
    """Each request offloaded with probability ``p`` (seeded)."""

    name = "random"

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        self.p = validate.real("p", p, ge=0.0, le=1.0)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def decide(self, ctx: StepContext) -> np.ndarray:
        return self._rng.random(len(ctx.requests)) < self.p

    def config(self) -> dict:
        return {"name": self.name, "p": self.p}

    def state_dict(self) -> dict:
        return {"rng_state": self._rng.bit_generator.state}

    def load_state_dict(self, state: Mapping) -> None:
        self._rng.bit_generator.state = state["rng_state"]
