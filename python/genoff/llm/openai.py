"""An OpenAI-compatible HTTP backend (GPT-4o, vLLM, llama.cpp server, Ollama).

Scoring (paper eq. 5-6) asks the server for ONE token with its top log-probabilities and
reads each candidate's score off that list: the largest log-prob among the returned tokens
whose normalized text (whitespace stripped, lower-cased) is a non-empty prefix of the
candidate's normalized text, ``-inf`` when no such token came back. With
``whole_candidates=True`` (the default) a candidate longer than that token is followed
token by token (one more request per further token, the prompt extended by the token
seen), so its score is the log-probability of the whole candidate, the quantity the
transformers backends compute (e.g. " offload" = " off" + "load"); ``False`` scores the
first token only (one request per suffix). Never ``echo=true`` (slow, and wrong values on
llama.cpp).

* completions mode (``chat=False``): ``POST {base_url}/v1/completions`` with
  ``max_tokens=1, temperature=0, logprobs=top_logprobs``;
* chat mode (``chat=True``, e.g. GPT-4o): ``POST {base_url}/v1/chat/completions`` with the
  prompt as one user message, ``logprobs=true, top_logprobs=min(top_logprobs, 20)``.

The API key is read at call time from the environment variable named by ``api_key_env``
and is sent only in the ``Authorization`` header: it is never stored on the object and
never appears in logs, exceptions, ``repr`` or :meth:`OpenAIBackend.config`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from genoff._util import validate
from genoff.llm.base import Backend, BackendError, score_arguments
from genoff.llm.http import JSONClient

__all__ = ["OpenAIBackend"]

#: Tokens followed per candidate (whole_candidates): " offload" takes two.
_MAX_CANDIDATE_TOKENS = 8
#: The OpenAI chat API caps ``top_logprobs`` at 20.
_CHAT_TOP_LOGPROBS_MAX = 20


def _normalize(text: str) -> str:
    """Token / candidate text for matching: word-start markers as spaces, stripped, lower."""
    return text.replace("\u2581", " ").replace("\u0120", " ").strip().lower()


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _parse_logprobs(choice: dict) -> dict[str, float]:
    """Collect {token: logprob} for the first generated token from either reply form.

    * legacy completions: ``logprobs.top_logprobs[0]`` is a dict token -> logprob
      (plus ``tokens[0]`` / ``token_logprobs[0]``, the sampled token);
    * chat and newer completions: ``logprobs.content[0]`` is
      ``{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}``.

    A token seen twice keeps its largest log-prob; NaN and non-numbers are left out.
    """
    logprobs = choice.get("logprobs")
    top: dict[str, float] = {}

    def add(token: Any, value: Any) -> None:
        number = _as_float(value)
        if (isinstance(token, str) and number is not None and not math.isnan(number)
                and (token not in top or number > top[token])):
            top[token] = number

    if not isinstance(logprobs, dict):
        return top
    legacy = logprobs.get("top_logprobs")
    if isinstance(legacy, list) and legacy:
        first = legacy[0]
        if isinstance(first, dict):
            for token, value in first.items():
                add(token, value)
        tokens, token_lps = logprobs.get("tokens"), logprobs.get("token_logprobs")
        if isinstance(tokens, list) and isinstance(token_lps, list) and tokens and token_lps:
            add(tokens[0], token_lps[0])
    content = logprobs.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        add(first.get("token"), first.get("logprob"))
        entries = first.get("top_logprobs")
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict):
                    add(entry.get("token"), entry.get("logprob"))
    return top


class OpenAIBackend(Backend):
    """Scores candidates and generates text through an OpenAI-compatible HTTP server.

    Parameters
    ----------
    base_url:
        Server root, with or without a trailing ``/v1`` (``http://127.0.0.1:8080`` and
        ``https://api.openai.com/v1`` both work).
    model:
        The ``model`` field sent with every request.
    api_key_env:
        Name of the environment variable holding the API key, read at every call; ``None``
        or an unset / empty variable sends no ``Authorization`` header (local servers).
    chat:
        Use ``/v1/chat/completions`` (chat models such as GPT-4o) instead of
        ``/v1/completions``.
    timeout_s:
        Per-request timeout (connect, read, write, pool) in seconds.
    max_retries:
        Retries after the first attempt on connection errors, timeouts, HTTP 429 and 5xx,
        with a small exponential backoff (0.1 s, 0.2 s, 0.4 s, ..., at most 2 s). Other 4xx
        fail at once.
    top_logprobs:
        How many top tokens to ask for (``logprobs=`` in completions mode; capped at 20 in
        chat mode, the OpenAI limit).
    concurrency:
        How many suffixes of one :meth:`score` call are in flight at once.
    whole_candidates:
        Score every token of a candidate (True, the default: the same quantity as the
        transformers backends, where the server shows each token among its top log-probs)
        or its first token only (False: one request per suffix).
    """

    name = "openai"
    supports_logprobs = True
    config_keys = ("base_url", "model", "chat", "top_logprobs", "whole_candidates")

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        chat: bool = False,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        top_logprobs: int = 20,
        concurrency: int = 4,
        whole_candidates: bool = True,
    ) -> None:
        root = validate.string("base_url", base_url).strip().rstrip("/")
        scheme, _, rest = root.partition("://")
        if scheme.lower() not in ("http", "https") or not rest:
            raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
        if not validate.string("model", model).strip():
            raise ValueError("model must be a non-empty string")
        if api_key_env is not None and not validate.string("api_key_env", api_key_env):
            raise ValueError("api_key_env must be a non-empty variable name or None")
        self.base_url = root.removesuffix("/v1")
        self.model = model
        self.api_key_env = api_key_env
        self.chat = validate.boolean("chat", chat)
        self.whole_candidates = validate.boolean("whole_candidates", whole_candidates)
        self.timeout_s = validate.real("timeout_s", timeout_s, gt=0)
        self.max_retries = validate.integer("max_retries", max_retries, ge=0)
        self.top_logprobs = validate.integer("top_logprobs", top_logprobs, ge=1)
        self.concurrency = validate.integer("concurrency", concurrency, ge=1)
        self._endpoint = self.base_url + ("/v1/chat/completions" if chat else "/v1/completions")
        self._http = JSONClient(self._endpoint, api_key_env=api_key_env, timeout_s=self.timeout_s,
                                max_retries=self.max_retries, max_connections=self.concurrency)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the HTTP connection pool (the backend is unusable afterwards)."""
        self._http.close()

    def __enter__(self) -> OpenAIBackend:  # noqa: PYI034 (Self needs Python 3.11)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, "
                f"chat={self.chat}, top_logprobs={self.top_logprobs})")

    # ------------------------------------------------------------------ public API
    def score(
        self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]
    ) -> np.ndarray:
        suffixes, candidates = score_arguments(prefix, suffixes, candidates)
        targets = [_normalize(c) for c in candidates]
        for i, target in enumerate(targets):
            if not target:
                raise ValueError(f"candidates[{i}] is empty after stripping whitespace: "
                                 f"{candidates[i]!r}")

        out = np.full((len(suffixes), len(candidates)), -np.inf, dtype=np.float64)
        if not suffixes:
            return out

        def score_suffix(suffix: str) -> list[float]:
            prompt = prefix + suffix
            top = self._top_tokens(prompt)
            return [self._candidate_logprob(prompt, top, target) for target in targets]

        workers = min(self.concurrency, len(suffixes))
        if workers == 1:
            rows = [score_suffix(s) for s in suffixes]
        else:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="genoff-openai")
            try:
                futures = [pool.submit(score_suffix, s) for s in suffixes]
                rows = [future.result() for future in futures]  # input order
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

        for r, row in enumerate(rows):
            out[r] = row
        return out

    def _candidate_logprob(self, prompt: str, top: dict[str, float], rest: str) -> float:
        """log P(candidate | prompt) read off top log-probs (``rest``: the normalized
        candidate). First token only: the best shown token that starts the candidate. Whole
        candidates: a shown token that covers the rest of the candidate if there is one,
        else the longest shown token that starts it (BPE's usual split), then the next
        token after it, until the candidate is covered; ``-inf`` when no token fits."""
        total = 0.0
        for _ in range(_MAX_CANDIDATE_TOKENS):
            fits = [(token, logprob, text) for token, logprob in top.items()
                    if (text := _normalize(token)) and rest.startswith(text)]
            if not fits:
                return -math.inf
            if not self.whole_candidates:
                return max(logprob for _, logprob, _ in fits)
            token, logprob, text = max(fits, key=lambda fit: (fit[2] == rest, len(fit[2]), fit[1]))
            total += logprob
            rest = rest[len(text):].lstrip()
            if not rest:
                return total
            prompt += token
            top = self._top_tokens(prompt)
        return -math.inf

    def generate(self, prompt: str, *, max_new_tokens: int = 8) -> str:
        validate.string("prompt", prompt)
        n = validate.integer("max_new_tokens", max_new_tokens, ge=1)
        choice = self._first_choice(self._http.post(self._payload(prompt, n)))
        if self.chat:
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else None
        else:
            text = choice.get("text")
        if text is None:
            return ""
        if not isinstance(text, str):
            raise BackendError(f"POST {self._endpoint}: reply has non-text content "
                               f"({type(text).__name__})")
        return text

    # ------------------------------------------------------------------ internals
    def _payload(self, prompt: str, max_tokens: int, *, logprobs: bool = False) -> dict:
        """The request body: greedy, ``max_tokens`` tokens, the top log-probs if asked."""
        if self.chat:
            payload = {"model": self.model, "messages": [{"role": "user", "content": prompt}]}
        else:
            payload = {"model": self.model, "prompt": prompt}
        payload.update(max_tokens=max_tokens, temperature=0)
        if logprobs and self.chat:
            payload.update(logprobs=True,
                           top_logprobs=min(self.top_logprobs, _CHAT_TOP_LOGPROBS_MAX))
        elif logprobs:
            payload.update(logprobs=self.top_logprobs)
        return payload

    def _top_tokens(self, prompt: str) -> dict[str, float]:
        """The next token's top log-probs {token text: logprob} for one prompt."""
        body = self._http.post(self._payload(prompt, 1, logprobs=True))
        top = _parse_logprobs(self._first_choice(body))
        if not top:
            raise BackendError(
                f"POST {self._endpoint}: the reply carries no top log-probs (does the server "
                f"support {'top_logprobs' if self.chat else 'logprobs'}?)"
            )
        return top

    def _first_choice(self, body: Any) -> dict:
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise BackendError(f"POST {self._endpoint}: reply has no choices[0]")
        return choices[0]
