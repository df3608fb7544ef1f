"""genoff compare: deciders side by side on the same requests, files, resume, bad input,
LLM series whose decisions fell back marked "not measured"."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genoff import cli
from genoff.experiments import compare as cmp


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    res = cmp.compare(out, scenarios=["paper", "paper-fig5"],
                      deciders=["oracle", "local", "offload", "bandit:epsilon=0.2"],
                      seeds=2, steps=8, windows=[(0, 2), (2, 8)], executor="serial",
                      progress=False)
    return out, res


def test_files_and_table(small):
    out, res = small
    for name in ("compare.md", "compare.csv", "compare.parquet", "compare_runs.csv",
                 "compare_runs.parquet", "compare.png", "compare.json"):
        assert (out / name).is_file(), name
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runs = pd.read_csv(out / "compare_runs.csv", comment="#")
    assert len(runs) == 2 * 4 * 2
    assert set(runs["decider"]) == {"oracle", "local", "offload", "bandit:epsilon=0.2"}
    # the oracle is the reference: exactly 1 in every window; always-local never offloads
    o = runs[runs["decider"] == "oracle"]
    assert np.allclose(o[["early 0-1", "mid 2-7"]], 1.0)
    loc = runs[runs["decider"] == "local"]
    assert (loc["offload_regular"] == 0).all() and (loc["offload_qp"] == 0).all()
    assert (loc["qp_success"] == 0).all() and (loc["mid 2-7"] < 1).all()
    off = runs[runs["decider"] == "offload"]
    assert (off["offload_regular"] == 1).all() and (off["qp_success"] == 1).all()
    summary = pd.read_parquet(out / "compare.parquet")
    row = summary[(summary.scenario == "paper") & (summary.decider == "local")
                  & (summary.metric == "mid 2-7")].iloc[0]
    vals = loc[loc.scenario == "paper"]["mid 2-7"]
    assert row["mean"] == pytest.approx(vals.mean()) and row["n_seeds"] == 2
    assert row["min"] == pytest.approx(vals.min()) and row["max"] == pytest.approx(vals.max())
    md = (out / "compare.md").read_text()
    assert "| paper | bandit:epsilon=0.2 |" in md and "±" in md
    settings = json.loads((out / "compare.json").read_text())["settings"]
    assert settings["windows"] == [[0, 2], [2, 8]] and settings["seeds"] == 2


def test_same_requests_for_every_decider(small):
    out, res = small
    curves = res.curves
    for sc in ("paper", "paper-fig5"):
        c = curves[curves.scenario == sc]
        oracle = [g["oracle_reward"].to_numpy() for _, g in c.groupby("decider")]
        assert all(np.array_equal(oracle[0], o) for o in oracle[1:])


def test_rerun_resumes_without_running(small, monkeypatch):
    out, _ = small
    import genoff.experiments.sweep as sw

    monkeypatch.setattr(sw, "_execute", lambda *a, **k: pytest.fail("ran a finished run"))
    again = cmp.compare(out, scenarios=["paper", "paper-fig5"],
                        deciders=["oracle", "local", "offload", "bandit:epsilon=0.2"],
                        seeds=2, steps=8, windows=[(0, 2), (2, 8)], executor="serial",
                        progress=False)
    pd.testing.assert_frame_equal(again.runs.drop(columns="s_per_slot"),
                                  small[1].runs.drop(columns="s_per_slot"))


def test_other_settings_need_force(small):
    out, _ = small
    with pytest.raises(ValueError, match="other settings"):
        cmp.compare(out, deciders=["oracle"], seeds=1, steps=8, executor="serial", progress=False)


def test_cli_prints_the_table_and_checks_arguments(tmp_path, capsys):
    rc = cli.main(["compare", "--out", str(tmp_path / "c"), "--deciders", "oracle,local",
                   "--seeds", "1", "--steps", "6", "--executor", "serial", "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "| paper | local |" in text and "early 0-4" in text and "mid 5-5" in text
    for argv, match in [
        (["--deciders", "oracle,telepathy"], "unknown decider 'telepathy'"),
        (["--deciders", "bandit:epsilon"], "expected NAME:KEY=VALUE"),
        (["--deciders", "bandit:epsilon=2"], "epsilon"),
        (["--windows", "0-4,x"], "windows"),
        (["--windows", "0-50"], "within 0-39"),
        (["--scenario", "atlantis"], "atlantis"),
        (["--deciders", "local,local"], "distinct"),
    ]:
        with pytest.raises(SystemExit) as e:
            cli.main(["compare", "--out", str(tmp_path / "bad"), "--no-progress",
                      "--executor", "serial", *argv])
        assert e.value.code == 2
        assert match in capsys.readouterr().err


def test_fallbacks_mark_a_series_not_measured(tmp_path, capsys):
    """An LLM decider whose backend is unreachable is 'not measured', and the CLI exits 3."""
    argv = ["compare", "--out", str(tmp_path / "f"), "--deciders", "local,llm-prior",
            "--seeds", "1", "--steps", "2", "--executor", "serial", "--no-progress",
            "--llm", "openai:m", "--base-url", "http://127.0.0.1:9",
            "--api-key-env", "GENOFF_TEST_NO_SUCH_KEY"]
    rc = cli.main(argv)
    captured = capsys.readouterr()
    assert rc == 3
    assert "not measured (100% fallbacks)" in captured.out
    assert "llm-prior on paper" in captured.err
    assert cli.main(argv + ["--allow-fallbacks"]) == 0  # resumed, accepted
