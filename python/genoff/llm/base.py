"""What every LLM backend offers the in-context-learning decider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from genoff._util import validate

__all__ = ["Backend", "BackendError", "strings", "score_arguments"]


class BackendError(RuntimeError):
    """A backend could not answer (server down, timeout, bad reply) after its retries.

    The ICL decider turns it into a counted fallback decision; it never crashes a run.
    """


def strings(name: str, value: Any) -> list[str]:
    """``value`` as a list of str: a sequence (never a single string), every item a str."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a sequence of str (not a single string), got "
                        f"{type(value).__name__}")
    items = list(value)
    for i, item in enumerate(items):
        validate.string(f"{name}[{i}]", item)
    return items


def score_arguments(
    prefix: Any, suffixes: Any, candidates: Any
) -> tuple[list[str], list[str]]:
    """The checks every :meth:`Backend.score` starts with: ``prefix`` a str, ``suffixes`` and
    ``candidates`` sequences of str (TypeError), at least one candidate (ValueError)."""
    validate.string("prefix", prefix)
    suffix_list = strings("suffixes", suffixes)
    candidate_list = strings("candidates", candidates)
    if not candidate_list:
        raise ValueError("candidates must not be empty")
    return suffix_list, candidate_list


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
    #: The settings :meth:`config` records after the name, in this order (never secrets).
    config_keys: ClassVar[tuple[str, ...]] = ()
    #: Where a setting of ``config_keys`` is read when not from the attribute of its name.
    config_sources: ClassVar[dict[str, str]] = {}

    def score(
        self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]
    ) -> np.ndarray:
        raise NotImplementedError

    def generate(self, prompt: str, *, max_new_tokens: int = 8) -> str:
        raise NotImplementedError

    def config(self) -> dict:
        """Settings recorded with results (never secrets): the name, then ``config_keys``."""
        settings = {"name": self.name}
        for key in self.config_keys:
            settings[key] = getattr(self, self.config_sources.get(key, key))
        return settings
