"""The simulated system: the dropped network and its radio part of eq. (1)
(:mod:`.network`), the delay and reward of decisions (:mod:`.evaluator`), the exact oracle
(:mod:`.oracle`) and the eq. (8) state features shared by the environment and the DQN
(:mod:`.features`)."""

from genoff.sim.evaluator import Evaluator, StepContext
from genoff.sim.network import Network, Radio

__all__ = ["Network", "Evaluator", "StepContext", "Radio"]
