"""Decision makers: each decides a step's requests in one batch and then observes outcomes.

* :mod:`.base`: the :class:`Decider` interface and the fixed policies (oracle, always
  local, always offload, random);
* :mod:`.bandit`: the tabular bandit on the ICL prompt's keywords;
* :mod:`.icl`: the paper's in-context-learning decider (prompt, experience pools, decider);
* :mod:`.llm_prior`: the recommended LLM decider (the LLM's prior + Thompson sampling);
* :mod:`.dqn`: the PyTorch DQN baseline;
* :mod:`.registry`: the deciders by name with their metadata, :func:`make_decider`.
"""

from genoff.deciders.bandit import BanditDecider
from genoff.deciders.base import AlwaysLocal, AlwaysOffload, Decider, Oracle, Random
from genoff.deciders.dqn import DQNDecider
from genoff.deciders.icl import ICLDecider
from genoff.deciders.llm_prior import LLMPriorDecider
from genoff.deciders.registry import (
    DECIDERS,
    LLM_DECIDERS,
    REGISTRY,
    DeciderInfo,
    info,
    make_decider,
)

__all__ = [
    "Decider", "Oracle", "AlwaysLocal", "AlwaysOffload", "Random", "BanditDecider",
    "ICLDecider", "LLMPriorDecider", "DQNDecider", "DeciderInfo", "REGISTRY", "DECIDERS",
    "LLM_DECIDERS", "info", "make_decider",
]
