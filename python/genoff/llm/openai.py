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

import json
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from genoff.llm.base import Backend, BackendError

__all__ = ["OpenAIBackend"]

_log = logging.getLogger(__name__)

#: Tokens followed per candidate (whole_candidates): " offload" takes two.
_MAX_CANDIDATE_TOKENS = 8
#: The OpenAI chat API caps ``top_logprobs`` at 20.
_CHAT_TOP_LOGPROBS_MAX = 20
#: Backoff before retry n (0-based) is ``_BACKOFF_BASE_S * 2**n``, at most ``_BACKOFF_MAX_S``.
_BACKOFF_BASE_S = 0.1
_BACKOFF_MAX_S = 2.0
#: A server's Retry-After is honoured up to this many seconds.
_RETRY_AFTER_MAX_S = 10.0
#: How much of an error body goes into a BackendError message.
_BODY_SNIPPET = 300


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_str_seq(name: str, value: Any) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a sequence of str (not a single string), got "
                        f"{type(value).__name__}")
    out = list(value)
    for i, item in enumerate(out):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be str, got {type(item).__name__}")
    return out


def _normalize(text: str) -> str:
    """Token / candidate text for matching: word-start markers as spaces, stripped, lower."""
    return text.replace("\u2581", " ").replace("\u0120", " ").strip().lower()


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


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
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "OpenAIBackend needs httpx: pip install 'genoff[llm]' (or pip install httpx)"
            ) from exc

        if not isinstance(base_url, str):
            raise TypeError(f"base_url must be str, got {type(base_url).__name__}")
        root = base_url.strip().rstrip("/")
        scheme, _, rest = root.partition("://")
        if scheme.lower() not in ("http", "https") or not rest:
            raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
        root = root.removesuffix("/v1")
        if not isinstance(model, str):
            raise TypeError(f"model must be str, got {type(model).__name__}")
        if not model.strip():
            raise ValueError("model must be a non-empty string")
        if api_key_env is not None:
            if not isinstance(api_key_env, str):
                raise TypeError(
                    f"api_key_env must be str or None, got {type(api_key_env).__name__}"
                )
            if not api_key_env:
                raise ValueError("api_key_env must be a non-empty variable name or None")
        if not isinstance(chat, bool):
            raise TypeError(f"chat must be bool, got {type(chat).__name__}")
        if not isinstance(whole_candidates, bool):
            raise TypeError(f"whole_candidates must be bool, got {type(whole_candidates).__name__}")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)):
            raise TypeError(f"timeout_s must be a number, got {type(timeout_s).__name__}")
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError(f"timeout_s must be a finite number > 0, got {timeout_s}")

        self.base_url = root
        self.model = model
        self.api_key_env = api_key_env
        self.chat = chat
        self.timeout_s = float(timeout_s)
        self.max_retries = _check_int("max_retries", max_retries, 0)
        self.top_logprobs = _check_int("top_logprobs", top_logprobs, 1)
        self.concurrency = _check_int("concurrency", concurrency, 1)
        self.whole_candidates = whole_candidates
        self._endpoint = root + ("/v1/chat/completions" if chat else "/v1/completions")
        self._httpx = httpx
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout_s),
            limits=httpx.Limits(max_connections=self.concurrency,
                                max_keepalive_connections=self.concurrency),
        )
        self._closed = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the HTTP connection pool (the backend is unusable afterwards)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._client.close()

    def __enter__(self) -> OpenAIBackend:  # noqa: PYI034 (Self needs Python 3.11)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, "
                f"chat={self.chat}, top_logprobs={self.top_logprobs})")

    def config(self) -> dict:
        return {
            "name": self.name,
            "base_url": self.base_url,
            "model": self.model,
            "chat": self.chat,
            "top_logprobs": self.top_logprobs,
            "whole_candidates": self.whole_candidates,
        }

    # ------------------------------------------------------------------ public API
    def score(
        self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]
    ) -> np.ndarray:
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be str, got {type(prefix).__name__}")
        sufs = _check_str_seq("suffixes", suffixes)
        cands = _check_str_seq("candidates", candidates)
        if not cands:
            raise ValueError("candidates must not be empty")
        norm_cands = [_normalize(c) for c in cands]
        for i, nc in enumerate(norm_cands):
            if not nc:
                raise ValueError(f"candidates[{i}] is empty after stripping whitespace: "
                                 f"{cands[i]!r}")

        out = np.full((len(sufs), len(cands)), -np.inf, dtype=np.float64)
        if not sufs:
            return out

        def one(suffix: str) -> list[float]:
            prompt = prefix + suffix
            top = self._top_tokens(prompt)
            return [self._candidate_logprob(prompt, top, nc) for nc in norm_cands]

        workers = min(self.concurrency, len(sufs))
        if workers == 1:
            tops = [one(s) for s in sufs]
        else:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="genoff-openai")
            try:
                futures = [pool.submit(one, s) for s in sufs]
                tops = [f.result() for f in futures]  # input order
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

        for r, row in enumerate(tops):
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
            fits = [(tok, lp, nt) for tok, lp in top.items()
                    if (nt := _normalize(tok)) and rest.startswith(nt)]
            if not fits:
                return -math.inf
            if not self.whole_candidates:
                return max(lp for _, lp, _ in fits)
            tok, lp, nt = max(fits, key=lambda f: (f[2] == rest, len(f[2]), f[1]))
            total += lp
            rest = rest[len(nt):].lstrip()
            if not rest:
                return total
            prompt += tok
            top = self._top_tokens(prompt)
        return -math.inf

    def generate(self, prompt: str, *, max_new_tokens: int = 8) -> str:
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be str, got {type(prompt).__name__}")
        n = _check_int("max_new_tokens", max_new_tokens, 1)
        if self.chat:
            body = self._post({
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": n,
                "temperature": 0,
            })
            choice = self._first_choice(body)
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else None
        else:
            body = self._post({
                "model": self.model,
                "prompt": prompt,
                "max_tokens": n,
                "temperature": 0,
            })
            text = self._first_choice(body).get("text")
        if text is None:
            return ""
        if not isinstance(text, str):
            raise BackendError(f"POST {self._endpoint}: reply has non-text content "
                               f"({type(text).__name__})")
        return text

    # ------------------------------------------------------------------ internals
    def _top_tokens(self, prompt: str) -> dict[str, float]:
        """The next token's top log-probs {token text: logprob} for one prompt."""
        if self.chat:
            payload = {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": 1,
                "temperature": 0,
                "logprobs": True,
                "top_logprobs": min(self.top_logprobs, _CHAT_TOP_LOGPROBS_MAX),
            }
        else:
            payload = {
                "model": self.model,
                "prompt": prompt,
                "max_tokens": 1,
                "temperature": 0,
                "logprobs": self.top_logprobs,
            }
        body = self._post(payload)
        top = self._parse_logprobs(self._first_choice(body))
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

    @staticmethod
    def _parse_logprobs(choice: dict) -> dict[str, float]:
        """Collect {token: logprob} for the first generated token from either reply form.

        * legacy completions: ``logprobs.top_logprobs[0]`` is a dict token -> logprob
          (plus ``tokens[0]`` / ``token_logprobs[0]``, the sampled token);
        * chat and newer completions: ``logprobs.content[0]`` is
          ``{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}``.
        """
        lp = choice.get("logprobs")
        top: dict[str, float] = {}

        def add(token: Any, value: Any) -> None:
            v = _as_float(value)
            if (isinstance(token, str) and v is not None and not math.isnan(v)
                    and (token not in top or v > top[token])):
                top[token] = v

        if not isinstance(lp, dict):
            return top
        tl = lp.get("top_logprobs")
        if isinstance(tl, list) and tl:
            first = tl[0]
            if isinstance(first, dict):
                for token, value in first.items():
                    add(token, value)
            tokens, token_lps = lp.get("tokens"), lp.get("token_logprobs")
            if isinstance(tokens, list) and isinstance(token_lps, list) and tokens and token_lps:
                add(tokens[0], token_lps[0])
        content = lp.get("content")
        if isinstance(content, list) and content and isinstance(content[0], dict):
            first = content[0]
            add(first.get("token"), first.get("logprob"))
            entries = first.get("top_logprobs")
            if isinstance(entries, list):
                for e in entries:
                    if isinstance(e, dict):
                        add(e.get("token"), e.get("logprob"))
        return top

    def _headers(self) -> tuple[dict[str, str], str | None]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers, (key or None)

    @staticmethod
    def _redact(text: str, key: str | None) -> str:
        if key:
            text = text.replace(key, "***")
        return text

    def _post(self, payload: dict) -> Any:
        """POST ``payload`` as JSON with retries; the decoded JSON body, or BackendError."""
        if self._closed:
            raise BackendError(f"POST {self._endpoint}: the backend is closed")
        httpx = self._httpx
        url = self._endpoint
        attempts = self.max_retries + 1
        last = "no attempt made"
        for attempt in range(attempts):
            headers, key = self._headers()
            delay = min(_BACKOFF_BASE_S * (2 ** attempt), _BACKOFF_MAX_S)
            try:
                resp = self._client.post(url, json=payload, headers=headers)
            except httpx.TimeoutException as exc:
                last = f"timed out after {self.timeout_s:g} s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last = self._redact(f"connection error: {type(exc).__name__}: {exc}", key)
            else:
                status = resp.status_code
                if status < 400:
                    try:
                        return resp.json()
                    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                        snippet = self._redact(resp.text[:_BODY_SNIPPET], key)
                        raise BackendError(
                            f"POST {url}: HTTP {status} with a body that is not valid JSON: "
                            f"{snippet!r}"
                        ) from None
                snippet = self._redact(resp.text[:_BODY_SNIPPET], key)
                last = f"HTTP {status}: {snippet!r}"
                if status != 429 and status < 500:
                    raise BackendError(f"POST {url} failed (no retry for this status): {last}")
                retry_after = resp.headers.get("retry-after")
                if retry_after is not None:
                    try:
                        delay = min(max(float(retry_after), delay), _RETRY_AFTER_MAX_S)
                    except ValueError:
                        pass
            if attempt + 1 < attempts:
                _log.debug("POST %s attempt %d/%d failed (%s); retrying in %.2f s",
                           url, attempt + 1, attempts, last, delay)
                time.sleep(delay)
        raise BackendError(f"POST {url} failed after {attempts} attempt(s): {last}")
