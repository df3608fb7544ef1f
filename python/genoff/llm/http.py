"""A small JSON-over-HTTP client for the OpenAI-compatible backend.

One endpoint, POST only: a JSON payload out, the decoded JSON reply back. Connection
errors, timeouts, HTTP 429 and 5xx are retried with an exponential backoff (honouring a
server's ``Retry-After`` up to a bound); other 4xx fail at once; every failure is a
:class:`~genoff.llm.base.BackendError` naming the URL. The API key is read from its
environment variable at every attempt, sent only in the ``Authorization`` header, never
stored, and replaced by ``***`` in every message (a server may echo it in an error body).

httpx is imported when a client is created.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

from genoff.llm.base import BackendError

__all__ = ["JSONClient", "redact", "backoff_delay"]

_log = logging.getLogger(__name__)

#: Backoff before retry n (0-based) is ``BACKOFF_BASE_S * 2**n``, at most ``BACKOFF_MAX_S``.
BACKOFF_BASE_S = 0.1
BACKOFF_MAX_S = 2.0
#: A server's Retry-After is honoured up to this many seconds.
RETRY_AFTER_MAX_S = 10.0
#: How much of an error body goes into a BackendError message.
BODY_SNIPPET = 300


def backoff_delay(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (0-based): the exponential backoff,
    or a longer ``Retry-After`` (seconds) of the server, at most :data:`RETRY_AFTER_MAX_S`."""
    delay = min(BACKOFF_BASE_S * (2 ** attempt), BACKOFF_MAX_S)
    if retry_after is not None:
        try:
            delay = min(max(float(retry_after), delay), RETRY_AFTER_MAX_S)
        except ValueError:
            pass
    return delay


def redact(text: str, key: str | None) -> str:
    """``text`` with every occurrence of the API key ``key`` replaced by ``***``."""
    if key:
        text = text.replace(key, "***")
    return text


def _snippet(resp: Any, key: str | None) -> str:
    """The start of a reply's body, for a message (the key redacted)."""
    return redact(resp.text[:BODY_SNIPPET], key)


class _Retryable(Exception):
    """One failed attempt that may be retried (internal to :meth:`JSONClient.post`)."""

    def __init__(self, reason: str, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class JSONClient:
    """POSTs JSON to one URL with retries (see the module docstring).

    Args:
        url: the endpoint.
        api_key_env: name of the environment variable holding the API key, read at every
            attempt; ``None`` or an unset / empty variable sends no ``Authorization`` header.
        timeout_s: per-request timeout (connect, read, write, pool) in seconds.
        max_retries: retries after the first attempt.
        max_connections: size of the connection pool (requests in flight at once).
    """

    def __init__(self, url: str, *, api_key_env: str | None, timeout_s: float,
                 max_retries: int, max_connections: int) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "OpenAIBackend needs httpx: pip install 'genoff[llm]' (or pip install httpx)"
            ) from exc
        self.url = url
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._httpx = httpx
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
        )
        self._closed = False
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool (every later :meth:`post` fails)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._client.close()

    def post(self, payload: dict) -> Any:
        """POST ``payload`` as JSON with retries; the decoded JSON body, or BackendError."""
        if self._closed:
            raise BackendError(f"POST {self.url}: the backend is closed")
        attempts = self.max_retries + 1
        last = "no attempt made"
        for attempt in range(attempts):
            try:
                return self._attempt(payload)
            except _Retryable as failure:
                last = failure.reason
                delay = backoff_delay(attempt, failure.retry_after)
            if attempt + 1 < attempts:
                _log.debug("POST %s attempt %d/%d failed (%s); retrying in %.2f s",
                           self.url, attempt + 1, attempts, last, delay)
                time.sleep(delay)
        raise BackendError(f"POST {self.url} failed after {attempts} attempt(s): {last}")

    def _headers(self) -> tuple[dict[str, str], str | None]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers, (key or None)

    def _attempt(self, payload: dict) -> Any:
        """One POST: the decoded body; _Retryable for a failure worth another attempt,
        BackendError for one that is not."""
        httpx = self._httpx
        headers, key = self._headers()
        try:
            resp = self._client.post(self.url, json=payload, headers=headers)
        except httpx.TimeoutException as exc:
            reason = f"timed out after {self.timeout_s:g} s ({type(exc).__name__})"
            raise _Retryable(reason) from None
        except httpx.TransportError as exc:
            reason = redact(f"connection error: {type(exc).__name__}: {exc}", key)
            raise _Retryable(reason) from None
        status = resp.status_code
        if status < 400:
            try:
                return resp.json()
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                raise BackendError(
                    f"POST {self.url}: HTTP {status} with a body that is not valid JSON: "
                    f"{_snippet(resp, key)!r}"
                ) from None
        reason = f"HTTP {status}: {_snippet(resp, key)!r}"
        if status != 429 and status < 500:
            raise BackendError(f"POST {self.url} failed (no retry for this status): {reason}")
        raise _Retryable(reason, resp.headers.get("retry-after"))
