"""In-context learning for offloading (paper Sec. III): prompts, experience pools, decider.

* :mod:`.prompt`: :class:`PromptBuilder` writes the prompt of eq. (5): the task description
  D (goal, definition, rules; eq. 7), examples E (keywords, decision, reward, evaluation;
  eq. 9) and the query x (eq. 8). The text is deterministic. Keywords are drawn from a fixed
  vocabulary (service-type and size-level names, "normal"/"high" quality), so no request
  field can carry text into the prompt.
* :mod:`.pools`: :class:`PrioritizedPool` keeps one example per keyword tuple with the
  paper's two rules (Sec. III-B); :class:`LatestPool` keeps the last N experiences (baseline
  1). Decisions that violate the quality constraint (4e) are Bad decisions (Step 3). Pools
  save to and load from JSON, atomically (never pickle).
* :mod:`.scoring`: the backend a decider asks (:class:`BackendRef`) and the calibration of
  its candidate scores (content-free, Zhao et al. 2021; batch, Zhou et al. 2024).
* :mod:`.decider`: :class:`ICLDecider` decides a step's requests in one batch against the
  pool as it stood at the step's start: epsilon-greedy exploration, then argmax over the
  candidates' log-probabilities (eq. 6), scored on a shared prefix; a generate-and-parse
  mode for backends without log-probs.
"""

from genoff.deciders.icl.decider import ICLDecider, KeywordDecider, LLMDecider
from genoff.deciders.icl.pools import LatestPool, PrioritizedPool, load_pool
from genoff.deciders.icl.prompt import (
    CANDIDATES,
    DECISIONS,
    KEYWORD_FIELDS,
    Experience,
    PromptBuilder,
)
from genoff.deciders.icl.scoring import (
    CALIBRATIONS,
    BackendRef,
    batch_calibrate,
    calibration_mode,
)

__all__ = [
    "KEYWORD_FIELDS",
    "DECISIONS",
    "CANDIDATES",
    "Experience",
    "PromptBuilder",
    "PrioritizedPool",
    "LatestPool",
    "load_pool",
    "CALIBRATIONS",
    "calibration_mode",
    "batch_calibrate",
    "BackendRef",
    "KeywordDecider",
    "LLMDecider",
    "ICLDecider",
]
