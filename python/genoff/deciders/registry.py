"""Deciders by name, with what callers need to know about each (:class:`DeciderInfo`).

Callers ask the registry, never the name: ``info("dqn").uses_torch`` (set torch's
threads), ``info(name).uses_llm`` (takes a ``backend``, counts fallbacks),
``info(name).cost_per_request`` (schedule the longest runs first), ``info(name).family``
(the ICL variants of Fig. 5).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from genoff.deciders.bandit import BanditDecider
from genoff.deciders.base import AlwaysLocal, AlwaysOffload, Decider, Oracle, Random
from genoff.deciders.dqn import DQNDecider
from genoff.deciders.icl import ICLDecider
from genoff.deciders.llm_prior import LLMPriorDecider

__all__ = ["DeciderInfo", "REGISTRY", "DECIDERS", "LLM_DECIDERS", "info", "make_decider"]


@dataclass(frozen=True)
class DeciderInfo:
    """A registered decider.

    Attributes:
        name: the name the CLI and :func:`make_decider` take.
        factory: builds the decider from keyword options.
        summary: one line for help texts.
        family: ``"icl"`` for the paper's in-context-learning variants, else the name.
        uses_llm: asks an LLM (takes ``backend``; its ``stats`` count fallbacks).
        uses_torch: runs PyTorch (its threads follow a sweep's ``n_threads_per_run``).
        cost_per_request: rough relative compute per request, to start the longest runs
            of a sweep first.
    """

    name: str
    factory: Callable[..., Decider]
    summary: str
    family: str = ""
    uses_llm: bool = False
    uses_torch: bool = False
    cost_per_request: float = 0.001

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", self.name)

    def takes_seed(self) -> bool:
        """Whether the factory takes a ``seed`` (directly or through ``**kwargs``)."""
        try:
            params = inspect.signature(self.factory).parameters.values()
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            return False
        return any(p.name == "seed" or p.kind is p.VAR_KEYWORD for p in params)


def _icl_latest(**kwargs) -> Decider:
    kwargs.setdefault("pool", "latest")
    return ICLDecider(name="icl-latest", **kwargs)


def _icl_noexplore(**kwargs) -> Decider:
    kwargs.setdefault("epsilon", 0.0)
    return ICLDecider(name="icl-noexplore", **kwargs)


_LLM = {"uses_llm": True, "uses_torch": True}

#: Every decider, by name, in the order help texts list them.
REGISTRY: dict[str, DeciderInfo] = {d.name: d for d in (
    DeciderInfo("oracle", Oracle, "the exact best decision of every step"),
    DeciderInfo("local", AlwaysLocal, "every request on the edge LLM"),
    DeciderInfo("offload", AlwaysOffload, "every request offloaded to the cloud LLM"),
    DeciderInfo("random", Random, "each request offloaded with probability p"),
    DeciderInfo("icl", ICLDecider, "the paper's proposal: prioritized replay + epsilon-greedy "
                "(epsilon 0.1)", family="icl", cost_per_request=1.0, **_LLM),
    DeciderInfo("icl-latest", _icl_latest, "baseline 1: latest-experience ICL (the last 20 "
                "experiences as examples)", family="icl", cost_per_request=2.0, **_LLM),
    DeciderInfo("icl-noexplore", _icl_noexplore, "baseline 2: ICL without exploration "
                "(epsilon = 0)", family="icl", cost_per_request=1.0, **_LLM),
    DeciderInfo("bandit", BanditDecider, "tabular epsilon-greedy bandit on the ICL prompt's "
                "keywords (the simplest learner)"),
    DeciderInfo("llm-prior", LLMPriorDecider, "the recommended LLM decider: the LLM's "
                "calibrated prior + Thompson-sampling updates", cost_per_request=0.05, **_LLM),
    DeciderInfo("dqn", DQNDecider, "baseline 3: DQN in PyTorch (state eq. 8, action "
                "local/offload, reward eq. 10)", uses_torch=True, cost_per_request=0.005),
)}

#: Decider factories by name (``DECIDERS[name](**options)``).
DECIDERS: dict[str, Callable[..., Decider]] = {n: d.factory for n, d in REGISTRY.items()}

#: Names of the deciders that ask an LLM (they take a ``backend``; ``stats`` count fallbacks).
LLM_DECIDERS = frozenset(n for n, d in REGISTRY.items() if d.uses_llm)


def info(name: str) -> DeciderInfo:
    """The registry entry of ``name``; ValueError naming the known deciders otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"decider name must be a string, got {type(name).__name__}")
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"decider must be one of {', '.join(REGISTRY)}; got {name!r}") from None


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
    entry = info(name)
    if seed is not None and entry.takes_seed():
        kwargs.setdefault("seed", seed)
    return entry.factory(**kwargs)
