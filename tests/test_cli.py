"""The ``genoff simulate`` command line: files, summary, options, and errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

import genoff
from genoff.cli import main

SUMMARY_LINES = {
    "mean reward": "mean_reward",
    "mean delay": "mean_delay_s",
    "QP success rate": "qp_success_rate",
    "regret vs oracle": "regret",
}
# Fewer TTIs for the capacity run keep every command quick; --threads 1 avoids
# oversubscribing small CI machines.
FAST = ["--set", "scheduler.num_tti=200", "--threads", "1", "--no-progress"]


def _check_outputs(out_dir, stdout: str, *, decider: str, steps: int, requests: int) -> dict:
    for name in ("requests.parquet", "requests.csv", "run.json"):
        assert (out_dir / name).is_file(), name
    meta = json.loads((out_dir / "run.json").read_text())
    assert meta["decider"]["name"] == decider
    assert meta["steps"] == steps
    assert meta["genoff_version"] == genoff.__version__
    summary = meta["summary"]
    assert summary["num_requests"] == requests
    table = pd.read_parquet(out_dir / "requests.parquet")
    assert len(table) == requests
    assert len(pd.read_csv(out_dir / "requests.csv", comment="#")) == requests
    # Each summary line is printed, with the value written to run.json.
    for label, key in SUMMARY_LINES.items():
        m = re.search(rf"^\s*{label}\s+(-?[0-9.]+|nan)", stdout, re.MULTILINE)
        assert m, f"no {label!r} line in:\n{stdout}"
        assert float(m.group(1)) == pytest.approx(summary[key], abs=6e-4)
    assert "wrote " in stdout
    return meta


def test_simulate_subprocess(tmp_path):
    out = tmp_path / "res"
    proc = subprocess.run(
        [sys.executable, "-m", "genoff", "simulate", "--scenario", "paper", "--decider",
         "oracle", "--steps", "3", "--out", str(out), "--no-progress", "--threads", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    meta = _check_outputs(out, proc.stdout, decider="oracle", steps=3, requests=60)
    assert meta["scenario"]["name"] == "paper"
    assert meta["summary"]["regret"] == 0.0
    assert "scenario paper  decider oracle  seed 0  steps 3  requests 60" in proc.stdout
    assert proc.stderr == ""  # --no-progress: no bar


def test_simulate_in_process(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["simulate", "--scenario", "paper", "--decider", "oracle", "--steps", "3",
               "--out", str(out), *FAST])
    assert rc == 0
    stdout = capsys.readouterr().out
    meta = _check_outputs(out, stdout, decider="oracle", steps=3, requests=60)
    assert meta["seed"] == 0


def test_simulate_3gpp_57(tmp_path, capsys):
    # The 570-user layout, with a short capacity run (FAST) to keep the test quick.
    out = tmp_path / "res"
    rc = main(["simulate", "--scenario", "3gpp-57", "--steps", "1", "--decider", "local",
               "--out", str(out), *FAST])
    assert rc == 0
    meta = _check_outputs(out, capsys.readouterr().out, decider="local", steps=1,
                          requests=570)
    assert meta["scenario"]["name"] == "3gpp-57"
    assert meta["summary"]["qp_success_rate"] == 0.0


def test_simulate_options_take_effect(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["simulate", "--users", "5", "--mode", "tti", "--set", "radio.num_rb=52",
               "--decider", "random", "--seed", "7", "--steps", "2", "--out", str(out),
               *FAST])
    assert rc == 0
    stdout = capsys.readouterr().out
    meta = _check_outputs(out, stdout, decider="random", steps=2, requests=10)
    sc = meta["scenario"]
    assert sc["layout"]["users_per_cell"] == 5
    assert sc["transmission"]["mode"] == "tti"
    assert sc["radio"]["num_rb"] == 52
    assert sc["scheduler"]["num_tti"] == 200
    assert meta["seed"] == 7
    assert "tti mode" in stdout
    table = pd.read_parquet(out / "requests.parquet")
    assert "radio_delay_s" in table.columns and "capacity_bps" not in table.columns


def test_simulate_without_out_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "--steps", "1", "--users", "3", *FAST]) == 0
    stdout = capsys.readouterr().out
    assert "mean reward" in stdout and "wrote" not in stdout
    assert list(tmp_path.iterdir()) == []


def test_force_overwrites(tmp_path, capsys):
    out = tmp_path / "res"
    args = ["simulate", "--steps", "1", "--users", "3", "--out", str(out), *FAST]
    assert main([*args, "--decider", "local"]) == 0
    with pytest.raises(SystemExit) as e:
        main([*args, "--decider", "offload"])
    assert e.value.code == 2
    assert json.loads((out / "run.json").read_text())["decider"]["name"] == "local"
    assert main([*args, "--decider", "offload", "--force"]) == 0
    assert json.loads((out / "run.json").read_text())["decider"]["name"] == "offload"
    capsys.readouterr()


@pytest.mark.parametrize(
    "extra, pattern",
    [
        (["--scenario", "no-such-scenario"], r"unknown scenario 'no-such-scenario'"),
        (["--decider", "nope"], r"decider must be one of .*'nope'"),
        (["--set", "radio.no_such_key=3"], r"unknown field radio\.no_such_key"),
        (["--set", "radio.num_rb"], r"--set expects KEY=VALUE"),
        (["--set", "radio.num_rb=-5"], r"radio\.num_rb"),
        (["--steps", "0"], r"--steps: must be >= 1, got 0"),
        (["--users", "0"], r"--users: must be >= 1"),
        (["--mode", "fast"], r"--mode: invalid choice: 'fast'"),
        (["--seed", "-1"], r"--seed: must be >= 0"),
        # A KeyError's message is printed as is (not as its repr in quotes).
        (["--set", "llm.edge=foo"], r"error: llm\.edge = 'foo' is not in the catalog"),
    ],
)
def test_bad_inputs_exit_2_naming_the_problem(tmp_path, capsys, extra, pattern):
    out = tmp_path / "res"
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--steps", "1", "--out", str(out), *FAST, *extra])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err), err
    assert not out.exists()  # nothing written


def test_existing_results_without_force_exit_2(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "run.json").write_text("{}")
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--steps", "1", "--out", str(out), *FAST])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "already holds results (run.json)" in err and "--force" in err
    assert (out / "run.json").read_text() == "{}"
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_out_is_a_file_exit_2_before_simulating(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--steps", "1", "--out", str(f), *FAST])
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert "--out must be a folder" in captured.err
    assert "mean reward" not in captured.out  # refused before running, not after
    assert f.read_text() == "x"


def test_bad_input_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "genoff", "simulate", "--decider", "nope", "--no-progress"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    assert "genoff simulate: error:" in proc.stderr and "'nope'" in proc.stderr
    assert proc.stdout == ""


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"genoff {genoff.__version__}"
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--help"])
    assert e.value.code == 0
    help_text = capsys.readouterr().out
    for opt in ("--scenario", "--decider", "--steps", "--users", "--mode", "--set", "--seed",
                "--out", "--force", "--threads", "--no-progress"):
        assert opt in help_text


@pytest.mark.parametrize(
    "argv, option",
    [
        (["simulate", "--steps", "abc"], "--steps"),
        (["simulate", "--users", "1.5"], "--users"),
        (["simulate", "--seed", "x"], "--seed"),
        (["simulate", "--threads", ""], "--threads"),
        (["simulate", "--checkpoint-every", "soon"], "--checkpoint-every"),
        (["reproduce", "--out", "o", "--seeds", "two"], "--seeds"),
        (["demo", "--tti", "many"], "--tti"),
        (["profile-llm", "--model", "m", "--repeats", "3x"], "--repeats"),
    ],
)
def test_bad_numbers_name_the_option_not_a_parser_function(capsys, argv, option):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: expected " in err, err
    assert "invalid" not in err and "_int" not in err and "_float" not in err


def test_scenario_directory_is_named_as_one(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--scenario", str(tmp_path), "--steps", "1", *FAST])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is a directory" in err and "no such file" not in err


def test_help_lists_every_decider_and_builtin_scenario(capsys):
    from genoff.deciders import DECIDERS
    from genoff.world.scenario import list_scenarios

    for command in ("simulate", "reproduce"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())  # unwrap argparse's lines
        for name in list_scenarios():
            assert name in text, (command, name)
        if command == "simulate":
            for name in DECIDERS:
                assert name in text, name


def test_readme_documents_every_decider_scenario_and_column():
    """The README's lists can't drift from the registry, the built-ins and the table."""
    from pathlib import Path

    from genoff.deciders import DECIDERS
    from genoff.experiments import run
    from genoff.world.scenario import list_scenarios

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in list(DECIDERS) + list_scenarios():
        assert f"`{name}`" in readme, name
    table = run("paper", "oracle", steps=1, n_threads=1).table
    for column in table.columns:
        assert f"`{column}`" in readme, column
