"""The ICL prompt of the paper (Sec. III, eq. 5, 7-9) and the keywords it is built from.

:class:`PromptBuilder` writes the prompt of eq. (5): the task description D (goal,
definition, rules; eq. 7), examples E (keywords, decision, reward, evaluation; eq. 9) and
the query x (eq. 8). The text is deterministic. Keywords are drawn from a fixed vocabulary
(service-type and size-level names, "normal"/"high" quality), so no request field can
carry text into the prompt. An :class:`Experience` is one example of eq. (9).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping, Sequence

from genoff._util import validate
from genoff.world.services import SERVICE_TYPES
from genoff.world.tasks import Requests

__all__ = ["KEYWORD_FIELDS", "DECISIONS", "CANDIDATES", "Experience", "PromptBuilder"]

#: Keyword fields a prompt can use, and how each is named in the prompt.
KEYWORD_FIELDS = {
    "service": "service type",
    "size_level": "estimated output token size",
    "quality_requirement": "quality requirement",
}
#: The two decisions (index 0 = local, 1 = offload).
DECISIONS = ("local", "offload")
#: The candidates of eq. (6): each continues the query x (eq. 8).
CANDIDATES = tuple(" " + d for d in DECISIONS)
_SERVICE_WORDS = {s: s.replace("_", " ") for s in SERVICE_TYPES}


@dataclass(frozen=True)
class Experience:
    """One example of eq. (9): keywords, decision, reward and its evaluation."""

    keywords: tuple[str, ...]
    decision: str
    reward: float
    good: bool
    violated: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["keywords"] = list(self.keywords)
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "experience") -> "Experience":
        """The experience of ``d`` (as :meth:`to_dict` writes it); ``ValueError`` naming
        ``where`` and the field for a missing, unknown or ill-typed field."""
        if not isinstance(d, Mapping):
            raise ValueError(f"{where} must be an object, got {type(d).__name__}")
        unknown = sorted(str(k) for k in d if k not in _EXPERIENCE_FIELDS)
        if unknown:
            raise ValueError(f"{where} has unknown fields {unknown}")
        for key in ("keywords", "decision", "reward", "good"):
            if key not in d:
                raise ValueError(f"{where} lacks the field {key!r}")
        if d["decision"] not in DECISIONS:
            raise ValueError(
                f"{where}.decision must be one of {DECISIONS}, got {d['decision']!r}")
        kws = d["keywords"]
        if not isinstance(kws, list) or not kws or not all(_keyword_ok(k) for k in kws):
            raise ValueError(
                f"{where}.keywords must be a non-empty list of words (letters, digits, spaces, "
                f"'-', '_', '/'; at most {_MAX_KEYWORD_LEN} characters), got {kws!r:.200}")
        return cls(
            keywords=tuple(kws),
            decision=d["decision"],
            reward=validate.real(f"{where}.reward", d["reward"], type_error=ValueError),
            good=validate.boolean(f"{where}.good", d["good"], type_error=ValueError),
            violated=validate.boolean(f"{where}.violated", d.get("violated", False),
                                      type_error=ValueError),
        )


_EXPERIENCE_FIELDS = frozenset(("keywords", "decision", "reward", "good", "violated"))
_MAX_KEYWORD_LEN = 64


def _keyword_ok(k: object) -> bool:
    """A keyword read from a file enters the prompt verbatim: words only (no newlines or
    punctuation that could restructure the prompt), as the builder's own vocabulary."""
    return (
        isinstance(k, str)
        and 0 < len(k) <= _MAX_KEYWORD_LEN
        and k == k.strip()
        and all(c.isalnum() or c in " -_/" for c in k)
    )


class PromptBuilder:
    """Deterministic ICL prompt text (eq. 5, 7-9), split into a shared prefix and a query.

    Args:
        keyword_fields: which request fields are the keywords (default: service type and
            size level, eq. 8; the authors' supplement used ``("size_level",
            "quality_requirement")``).
        level_names: names of the size levels (the scenario's ``tasks.size_level_names``).
        max_examples: cap on examples in a prompt.
    """

    def __init__(
        self,
        keyword_fields: Sequence[str] = ("service", "size_level"),
        *,
        level_names: Sequence[str] = ("short", "middle", "long"),
        max_examples: int = 20,
    ) -> None:
        fields = tuple(keyword_fields)
        if (not fields or any(f not in KEYWORD_FIELDS for f in fields)
                or len(set(fields)) != len(fields)):
            raise ValueError(f"keyword_fields must be distinct names from "
                             f"{sorted(KEYWORD_FIELDS)}, got {keyword_fields!r}")
        max_examples = validate.integer("max_examples", max_examples, ge=0, type_error=ValueError)
        levels = tuple(str(n) for n in level_names)
        if not levels or any(not n.replace("-", "").isalnum() for n in levels):
            raise ValueError(f"level_names must be simple words, got {level_names!r}")
        self.keyword_fields = fields
        self.level_names = levels
        self.max_examples = max_examples

    # -- keywords --------------------------------------------------------------------------
    def keywords(self, requests: Requests) -> list[tuple[str, ...]]:
        """Each request's keyword tuple, from the fixed vocabulary.

        Raises ValueError when a service or size-level index is out of range (a negative
        index would otherwise pick the last name) or when the requests name their size
        levels differently from this builder.
        """
        if "size_level" in self.keyword_fields and tuple(requests.level_names) != self.level_names:
            raise ValueError(
                f"the requests' level_names {tuple(requests.level_names)} differ from the prompt "
                f"builder's level_names {self.level_names}"
            )
        for name, arr, hi in (
            ("service", requests.service, len(SERVICE_TYPES)),
            ("size_level", requests.size_level, len(self.level_names)),
        ):
            if name in self.keyword_fields and arr.size and (arr.min() < 0 or arr.max() >= hi):
                raise ValueError(
                    f"Requests.{name} must lie in [0, {hi}), got values {arr.min()}..{arr.max()}"
                )
        cols = []
        for f in self.keyword_fields:
            if f == "service":
                cols.append([_SERVICE_WORDS[SERVICE_TYPES[int(s)]] for s in requests.service])
            elif f == "size_level":
                cols.append([self.level_names[int(v)] for v in requests.size_level])
            else:
                cols.append(["high" if q else "normal" for q in requests.quality_preferred])
        return list(zip(*cols))

    def vocabulary(self) -> list[tuple[str, ...]]:
        """Every keyword tuple a request can have, in a fixed order."""
        words = {
            "service": [_SERVICE_WORDS[s] for s in SERVICE_TYPES],
            "size_level": list(self.level_names),
            "quality_requirement": ["normal", "high"],
        }
        return list(itertools.product(*(words[f] for f in self.keyword_fields)))

    def content_free(self) -> tuple[str, ...]:
        """Keywords of the content-free query used for calibration."""
        return tuple("N/A" for _ in self.keyword_fields)

    # -- text ------------------------------------------------------------------------------
    def description(self) -> str:
        """The task description D = {task goal, task definition, rules} (eq. 7)."""
        names = ", ".join(KEYWORD_FIELDS[f] for f in self.keyword_fields)
        return (
            "Task goal: decide where each generation request of a mobile user is served: "
            '"local" (a small LLM at the base station\'s edge server) or "offload" '
            "(a large LLM in the cloud).\n"
            f"Task definition: a request is described by its keywords ({names}). The edge "
            "model answers sooner; the cloud model is slower per token and adds backhaul "
            "delay, but its answers have higher quality. Quality-preferred services (science "
            "reasoning, coding) need the cloud model's quality; a decision that misses the "
            "required quality is penalized.\n"
            'Rules: answer with one word, "local" or "offload". Follow the examples: repeat '
            "Good decisions with high rewards and avoid Bad decisions.\n"
        )

    def example(self, e: Experience) -> str:
        verdict = "Good decision" if e.good else "Bad decision"
        return (
            f"Keywords: ({', '.join(e.keywords)}); Decision: {e.decision}; "
            f"Reward: {e.reward:.2f}; Evaluation: {verdict}\n"
        )

    def prefix(self, examples: Iterable[Experience]) -> str:
        """D and the examples: the part shared by every query of a step."""
        ex = list(examples)[: self.max_examples]
        body = "".join(self.example(e) for e in ex) if ex else "(none yet)\n"
        return self.description() + "\nExamples:\n" + body + "\n"

    def query(self, keywords: Sequence[str]) -> str:
        """The query x (eq. 8); candidates continue it as " local" / " offload"."""
        return f"Keywords: ({', '.join(keywords)}); Decision:"

    def prompt(self, examples: Iterable[Experience], keywords: Sequence[str]) -> str:
        return self.prefix(examples) + self.query(keywords)
