"""Decision makers: each decides a step's requests in one batch and then observes outcomes.

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

import inspect
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # deciders import without the compiled core (e.g. on a GPU box)
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = [
    "Decider", "Oracle", "AlwaysLocal", "AlwaysOffload", "Random", "make_decider", "DECIDERS",
    "LLM_DECIDERS",
]


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


def _icl(**kwargs) -> Decider:
    """The paper's proposal: prioritized replay + epsilon-greedy (epsilon 0.1)."""
    from genoff.icl import ICLDecider

    return ICLDecider(**kwargs)


def _icl_latest(**kwargs) -> Decider:
    """Baseline 1: latest-experience ICL (the last 20 experiences as examples)."""
    from genoff.icl import ICLDecider

    kwargs.setdefault("pool", "latest")
    return ICLDecider(name="icl-latest", **kwargs)


def _icl_noexplore(**kwargs) -> Decider:
    """Baseline 2: ICL without exploration (epsilon = 0)."""
    from genoff.icl import ICLDecider

    kwargs.setdefault("epsilon", 0.0)
    return ICLDecider(name="icl-noexplore", **kwargs)


def _bandit(**kwargs) -> Decider:
    """Tabular epsilon-greedy bandit on the ICL prompt's keywords (the simplest learner)."""
    from genoff.bandit import BanditDecider

    return BanditDecider(**kwargs)


def _llm_prior(**kwargs) -> Decider:
    """The recommended LLM decider: the LLM's calibrated prior + Thompson-sampling updates."""
    from genoff.llm_prior import LLMPriorDecider

    return LLMPriorDecider(**kwargs)


def _dqn(**kwargs) -> Decider:
    """Baseline 3: DQN in PyTorch (state eq. 8, action local/offload, reward eq. 10)."""
    from genoff.dqn import DQNDecider

    return DQNDecider(**kwargs)


#: Decider factories by CLI name (the ICL ones load their LLM only when created).
DECIDERS: dict[str, Callable[..., Decider]] = {
    "oracle": Oracle,
    "local": AlwaysLocal,
    "offload": AlwaysOffload,
    "random": Random,
    "icl": _icl,
    "icl-latest": _icl_latest,
    "icl-noexplore": _icl_noexplore,
    "bandit": _bandit,
    "llm-prior": _llm_prior,
    "dqn": _dqn,
}


#: Deciders that ask an LLM (they take a ``backend``; their ``stats`` count fallbacks).
LLM_DECIDERS = frozenset(("icl", "icl-latest", "icl-noexplore", "llm-prior"))


def __getattr__(name: str):
    # DQNDecider lives in genoff.dqn (imports torch lazily); expose it here without
    # importing torch when genoff.deciders is imported.
    if name == "DQNDecider":
        from genoff.dqn import DQNDecider

        return DQNDecider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_decider(name: str, *, seed: int | None = None, **kwargs) -> Decider:
    """A decider by name (see :data:`DECIDERS`), e.g. ``make_decider("random", p=0.3)``.

    Args:
        name: a key of :data:`DECIDERS`.
        seed: seeds what the decider draws when it is created (the DQN's initial weights,
            exploration generators); passed to the deciders whose factory takes a ``seed``
            (None: the factory's default, for the DQN fresh entropy).
        kwargs: the decider's own options.

    Raises:
        ValueError: an unknown name. TypeError: ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"decider name must be a string, got {type(name).__name__}")
    try:
        factory = DECIDERS[name]
    except KeyError:
        raise ValueError(f"decider must be one of {', '.join(DECIDERS)}; got {name!r}") from None
    if seed is not None and _takes_seed(factory):
        kwargs.setdefault("seed", seed)
    return factory(**kwargs)


def _takes_seed(factory: Callable[..., Decider]) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return any(p.name == "seed" or p.kind is p.VAR_KEYWORD for p in params)
