"""What every LLM backend offers the in-context-learning decider."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["Backend", "BackendError"]


class BackendError(RuntimeError):
    """A backend could not answer (server down, timeout, bad reply) after its retries.

    The ICL decider turns it into a counted fallback decision; it never crashes a run.
    """


class Backend:
    """An LLM that scores candidate continuations (eq. 5) and, optionally, generates text.

    ``score(prefix, suffixes, candidates)`` returns float64 [len(suffixes), len(candidates)]:
    the total log-probability of each candidate continuing ``prefix + suffix``. The prefix
    (task description and examples) is the same for every request of a step, so backends
    compute it once and score every suffix on top of it. An entry may be ``-inf`` when the
    backend cannot see that candidate (e.g. outside an API's top log-probs).

    ``generate(prompt, max_new_tokens)`` returns the greedy continuation (for the
    generate-and-parse mode of backends without log-probs).
    """

    name: str = "backend"
    #: True when ``score`` works; False for generate-only backends.
    supports_logprobs: bool = True

    def score(
        self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]
    ) -> np.ndarray:
        raise NotImplementedError

    def generate(self, prompt: str, *, max_new_tokens: int = 8) -> str:
        raise NotImplementedError

    def config(self) -> dict:
        """Settings recorded with results (never secrets)."""
        return {"name": self.name}
