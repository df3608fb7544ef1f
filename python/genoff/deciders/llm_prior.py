"""``llm-prior``: an LLM's knowledge as the prior of a Bayesian bandit over the prompt's keywords.

Why this design (measured; the README's comparison table has the numbers): a small LLM
such as the embedded SmolLM2-135M carries a useful *prior* about where a request belongs
(asked with no examples and batch-calibrated, it agrees with the oracle on most requests),
but it does not learn from examples placed in its context: examples push it toward one
candidate whatever they say. Krishnamurthy et al. ("Can large language models explore
in-context?", NeurIPS 2024) saw the same with far larger models. So the learning is done
outside the prompt, and the model is used for what it is good at: the first decisions.

What it does, per keyword tuple ``k`` (the ICL prompt's keywords: service type and size
level by default):

1. **Prior** (once per model, not per slot: the zero-shot prompt never changes). The model
   scores " local" and " offload" after the task description D (eq. 7) and the query x
   (eq. 8) with no examples, for every keyword tuple of the vocabulary in one batch. The
   log-odds ``d_k = log P(offload) - log P(local)`` are batch-calibrated (minus their mean
   over the vocabulary; Zhou et al., "Batch Calibration", ICLR 2024), which cancels a
   constant preference such as " offload" being two tokens and " local" one, and then
   standardized (divided by their spread over the vocabulary): a small model's log-odds
   have the right signs but an arbitrary, small scale (|d_k| <= 0.5 for SmolLM2-135M), so
   their order, not their size, is used.
2. **Posterior.** Each action's mean reward (eq. 10) gets a Gaussian prior around the
   mean of all rewards observed so far, ``R``, split by the prior log-odds:
   ``mu_offload = R + s tau d_k / 2``, ``mu_local = R - s tau d_k / 2`` with prior spread
   ``tau`` (the spread of all observed rewards) and ``s = prior_scale``; the observed
   rewards of ``(k, action)`` update it (known-variance Gaussian update, the noise
   variance pooled within the (keywords, action) cells). Before any reward is seen the
   decision follows the model with probability ``Phi(s |d_k| / sqrt(2))``: 0.92 for a
   tuple one spread from the mean with the default ``s = 2``.
3. **Decision**: Thompson sampling, one posterior draw per request and action (seeded).
   An action whose observed rewards fall far below the run's typical reward (e.g. a
   quality-preferred request kept at the edge, penalized by eq. 4e) is soon outweighed by
   the untried action's prior, so a wrong prior is corrected; a right prior is rarely
   contradicted, so early exploration is cheap. (Measured with the prior's signs flipped
   on purpose: slots 20-39 still reach 0.97-0.99 of the oracle, above the bandit;
   ``s = 3`` gains ~0.02 in slots 0-4 but recovers from a wrong prior more slowly.)

It needs only ``score`` from a backend, so every backend works (embedded, transformers incl.
nf4, OpenAI-compatible). When the backend fails, decisions of the missing tuples use a flat
prior and are counted as ``fallbacks`` (the scoring is retried every slot until it
succeeds); the CLI turns a fallback share above 5 % into an error.

``reset`` clears the learned rewards and re-seeds; the prior (the model's knowledge) is kept.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Mapping

import numpy as np

from genoff._util import validate
from genoff.deciders.bandit import RewardTable
from genoff.deciders.icl import (
    CANDIDATES,
    LLMDecider,
    PromptBuilder,
    batch_calibrate,
    calibration_mode,
)
from genoff.llm.base import Backend, BackendError

if TYPE_CHECKING:
    from genoff.core import Evaluation
    from genoff.sim import StepContext

__all__ = ["LLMPriorDecider"]


def _clip_invisible(scores: np.ndarray) -> np.ndarray:
    """Candidates a backend could not see (``-inf``: outside an API's top log-probs) get a
    score just below the lowest finite score of their column: at most as likely as where it
    was seen. Rows with no finite score, and columns never seen, stay as they are."""
    scores = np.array(scores, dtype=np.float64)
    fin = np.isfinite(scores)
    if fin.all() or not fin.any():
        return scores
    for c in range(scores.shape[1]):
        col = fin[:, c]
        if col.any():
            rows = ~col & fin.any(axis=1)
            scores[rows, c] = float(scores[col, c].min()) - 1.0
    return scores


class LLMPriorDecider(LLMDecider):
    """The LLM's batch-calibrated zero-shot log-odds as the prior of a Thompson-sampling bandit.

    See the module docstring for what it does and why.

    Args:
        backend: an LLM backend, a backend spec (``{"kind": "embedded"}``) or None (the
            embedded SmolLM2, loaded on first use).
        calibrate: calibration of the prior log-odds: ``"batch"`` (default), ``"content-free"``
            or ``"none"``.
        prior_scale: weight of the model's (standardized) log-odds in the prior, in
            reward spreads per unit; 0 ignores the model (a plain Thompson-sampling bandit).
        standardize: divide the calibrated log-odds by their spread over the vocabulary.
        builder: whose keywords key the prior and the table (default: service type + size
            level, as in the ICL prompt).
        seed: seed of the posterior draws (``reset`` re-seeds).
    """

    name = "llm-prior"
    #: The saved state's file in a checkpoint folder (whatever the decider's name).
    state_file = "llm-prior.json"

    def __init__(
        self,
        backend: Backend | Mapping | None = None,
        *,
        calibrate: str | bool = "batch",
        prior_scale: float = 2.0,
        standardize: bool = True,
        builder: PromptBuilder | None = None,
        seed: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(backend, builder)
        self.calibrate = calibration_mode(calibrate)
        self.prior_scale = validate.real("prior_scale", prior_scale, ge=0.0, type_error=ValueError)
        self.standardize = bool(standardize)
        if name is not None:
            self.name = name
        # calibrated log-odds per keyword tuple, per (builder) vocabulary; kept across runs
        self._prior: dict[tuple[str, ...], float] | None = None
        self._prior_for: tuple | None = None
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self.table = RewardTable()
        self.stats = {
            "decisions": 0,
            "llm_decisions": 0,
            "fallbacks": 0,
            "backend_errors": 0,
            "scored_queries": 0,
            "explored": 0,
            "uninformative_prior": 0,
        }

    # -- the prior -------------------------------------------------------------------------
    def prior(self) -> dict[tuple[str, ...], float]:
        """Calibrated log-odds (offload - local) per keyword tuple; ``{}`` if the backend failed.

        Scored once per vocabulary (and kept across runs); a failed scoring is retried on
        the next call.
        """
        b = self.builder
        key = (b.keyword_fields, b.level_names, self.calibrate, self.standardize)
        if self._prior is not None and self._prior_for == key:
            self.stats["uninformative_prior"] = int(not self._prior)
            return self._prior
        vocab = b.vocabulary()
        queries = [b.query(k) for k in vocab]
        prefix = b.prefix([])
        try:
            if self.calibrate == "content-free":
                scores = self.backend.score(prefix, queries + [b.query(b.content_free())],
                                            list(CANDIDATES))
            else:
                scores = self.backend.score(prefix, queries, list(CANDIDATES))
            scores = np.asarray(scores, dtype=np.float64)
            self.stats["scored_queries"] += len(scores)
        except BackendError:
            self.stats["backend_errors"] += 1
            return {}
        visible = np.isfinite(scores)
        if scores.ndim != 2 or not visible.any():
            # nothing usable (a garbage reply) counts as a failure: retried next time
            self.stats["backend_errors"] += 1
            return {}
        with np.errstate(invalid="ignore"):  # -inf - -inf: the tuple has no prior
            logodds = self._logodds(_clip_invisible(scores), queries)
        fin = logodds[np.isfinite(logodds)]
        spread = float(fin.std()) if fin.size > 1 else 0.0
        if not visible.any(axis=0).all() or spread <= 1e-12:
            # a candidate the backend never showed (e.g. outside an API's top log-probs for
            # every tuple), or no tuple ranked above another: the model gives no prior.
            # Its decisions count as fallbacks; not rescored (the answer would not change).
            self._prior, self._prior_for = {}, key
            return self.prior()
        if self.standardize:
            logodds = logodds / spread
        prior = {k: float(v) for k, v in zip(vocab, logodds) if math.isfinite(v)}
        self._prior, self._prior_for = prior, key
        return prior

    def _logodds(self, scores: np.ndarray, queries: list[str]) -> np.ndarray:
        if self.calibrate == "content-free":
            cf = scores[-1, 1] - scores[-1, 0]
            return scores[:-1, 1] - scores[:-1, 0] - cf
        if self.calibrate == "batch":
            scores = batch_calibrate(scores, queries)
        return scores[:, 1] - scores[:, 0]

    # -- deciding --------------------------------------------------------------------------
    def _posterior(self, kw: tuple[str, ...], d: float, center: float, tau: float,
                   noise_var: float) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance [2] of (local, offload)'s mean reward."""
        half = 0.5 * self.prior_scale * tau * d
        mu0 = np.array([center - half, center + half])
        n = self.table.counts(kw)
        m = self.table.means(kw)
        precision = 1.0 / tau**2 + n / noise_var
        mean = (mu0 / tau**2 + n * m / noise_var) / precision
        return mean, 1.0 / precision

    def decide(self, ctx: StepContext) -> np.ndarray:
        keywords = self._keywords(ctx.requests)
        prior = self.prior()
        count, center, within, total = self.table.pooled()
        # before any reward only the ratio d * prior_scale matters: any tau and center do
        tau = math.sqrt(total) if math.isfinite(total) and total > 0 else 1.0
        if count == 0:
            center = 0.0
        noise_var = within if math.isfinite(within) and within > 0 else tau**2
        noise_var = max(noise_var, 1e-12 * tau**2)
        n = len(keywords)
        z = self._rng.standard_normal((n, 2))  # one draw per request and action
        out = np.zeros(n, dtype=bool)
        for i, kw in enumerate(keywords):
            d = prior.get(kw)
            if d is None:
                self.stats["fallbacks"] += 1
                d = 0.0
            else:
                self.stats["llm_decisions"] += 1
            mean, var = self._posterior(kw, d, center, tau, noise_var)
            draw = mean + np.sqrt(var) * z[i]
            out[i] = draw[1] > draw[0]
            self.stats["explored"] += int(out[i] != (mean[1] > mean[0]))
        self.stats["decisions"] += n
        return out

    def observe(self, ctx: StepContext, offload: np.ndarray, outcome: Evaluation) -> None:
        self.table.update_all(self._keywords(ctx.requests), offload, outcome.reward)

    # -- resuming a run (saved as folder/llm-prior.json) ----------------------------------
    def state_dict(self) -> dict:
        """Everything a run needs to continue exactly, the model's prior included (so a
        resumed run does not ask the model again): plain JSON data."""
        return {
            "table": self.table.to_dict(),
            "rng_state": self._rng.bit_generator.state,
            "stats": dict(self.stats),
            "prior": (None if self._prior is None
                      else [[list(k), v] for k, v in self._prior.items()]),
            "prior_for": (None if self._prior_for is None
                          else json.loads(json.dumps(self._prior_for))),
        }

    def load_state_dict(self, state: Mapping) -> None:
        self.table = RewardTable.from_dict(state["table"])
        self._rng.bit_generator.state = state["rng_state"]
        self.stats = dict(state["stats"])
        if state["prior"] is None:
            self._prior = self._prior_for = None
        else:
            self._prior = {tuple(k): float(v) for k, v in state["prior"]}
            f = state["prior_for"]
            self._prior_for = (tuple(f[0]), tuple(f[1]), f[2], bool(f[3]))

    def config(self) -> dict:
        return {
            "name": self.name,
            "backend": self._backend_ref.config(),
            "calibrate": self.calibrate,
            "prior_scale": self.prior_scale,
            "keyword_fields": list(self.builder.keyword_fields),
        }
