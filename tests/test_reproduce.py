"""genoff reproduce: Fig. 5 end to end (quick mode), resume, executors, trends, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from genoff import cli
from genoff import fig5 as rp
from genoff.experiments.sweep import RUNS_DIR

PANEL_FILES = [f"fig5{p}.{ext}" for p in rp.PANELS for ext in ("png", "csv", "parquet")]

# Panels d-f only (the exact oracle decides; seconds), small enough for several executors.
DELAY = rp.Settings(sizes=replace(rp.QUICK_SIZES, sweep_steps=10, sweep_seeds=2))
# Panel c's four learning deciders (three ICL variants with the embedded model, DQN), tiny.
LEARN = rp.Settings(sizes=replace(rp.QUICK_SIZES, learn_steps=3, learn_users=4, learn_seeds=2))


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """`genoff reproduce --quick` through the CLI: every panel, process pool (the default)."""
    out = tmp_path_factory.mktemp("quick")
    rc = cli.main(["reproduce", "--quick", "--out", str(out), "--no-progress"])
    assert rc == 0
    return out


def _tables(out: Path, panels=rp.PANELS) -> dict[str, pd.DataFrame]:
    return {p: pd.read_parquet(out / f"fig5{p}.parquet") for p in panels}


def _assert_same_tables(a: Path, b: Path, panels) -> None:
    ta, tb = _tables(a, panels), _tables(b, panels)
    for p in panels:
        pd.testing.assert_frame_equal(ta[p], tb[p], check_exact=True)


# -- end to end ---------------------------------------------------------------------------


def test_quick_writes_every_panel_and_the_report(quick):
    for name in PANEL_FILES + ["report.md", "reproduce.json", "runs.csv", "runs.parquet"]:
        assert (quick / name).is_file(), name
    for p in rp.PANELS:
        assert (quick / f"fig5{p}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        from PIL import Image

        with Image.open(quick / f"fig5{p}.png") as im:
            assert im.size[0] >= 600 and im.size[1] >= 400
    # no temporary files left behind
    assert not list(quick.glob(".*.tmp")) and not list((quick / RUNS_DIR).glob(".*.tmp"))


def test_quick_tables_carry_settings_seeds_and_version(quick):
    from genoff import __version__

    state = json.loads((quick / "reproduce.json").read_text())
    assert state["status"] == "done" and state["genoff_version"] == __version__
    settings = rp.Settings.from_dict(state["settings"])
    assert settings.sizes == rp.QUICK_SIZES
    for p in rp.PANELS:
        meta = json.loads(pq.read_schema(quick / f"fig5{p}.parquet").metadata[b"genoff"])
        assert meta["genoff_version"] == __version__ and meta["panel"] == p
        assert meta["settings"] == state["settings"]
        assert meta["learn_seeds"] == settings.learn_seeds()
        assert meta["sweep_seeds"] == settings.sweep_seeds()
        head = [ln for ln in (quick / f"fig5{p}.csv").read_text().splitlines() if ln.startswith("#")]
        assert head[0] == f"# genoff {__version__}"
        assert any(ln.startswith("# settings {") for ln in head)
        csv = pd.read_csv(quick / f"fig5{p}.csv", comment="#")
        parquet = pd.read_parquet(quick / f"fig5{p}.parquet")
        assert list(csv.columns) == list(parquet.columns)
        assert len(csv) == len(parquet) > 0
    runs = pd.read_parquet(quick / "runs.parquet")
    assert len(runs) == len(set(runs["key"]))
    # panels a-c share their runs: 4 learning deciders + 3 references (llm-prior in a and
    # b, bandit and always-local in a-c) x seeds
    assert set(runs["decider"]) == {"icl", "icl-latest", "icl-noexplore", "dqn", "oracle",
                                    "llm-prior", "bandit", "local"}
    learning = runs[runs["decider"] != "oracle"]
    assert len(learning) == 7 * rp.QUICK_SIZES.learn_seeds
    assert set(learning[learning["decider"] == "icl"]["panels"]) == {"a,b,c"}
    assert set(learning[learning["decider"] == "llm-prior"]["panels"]) == {"a,b"}
    assert set(learning[learning["decider"] == "bandit"]["panels"]) == {"a,b,c"}
    sz = rp.QUICK_SIZES
    assert (runs["decider"] == "oracle").sum() == sz.sweep_seeds * 4 * (
        len(sz.users) + len(sz.tokens) + len(sz.qp_shares))
    # every run file is there and readable
    assert len(list((quick / RUNS_DIR).glob("*.parquet"))) == len(runs)


def test_quick_panel_contents(quick):
    t = _tables(quick)
    seeds = rp.QUICK_SIZES.learn_seeds
    a = t["a"]
    assert set(a["task"]) == {"regular", "quality-preferred"}
    assert {"DQN", "oracle"} <= set(a["series"]) and any(s.startswith("ICL") for s in a["series"])
    assert sorted(a["x"].unique()) == list(range(rp.QUICK_SIZES.learn_steps))
    assert (a["n_seeds"] == seeds).all()
    # Bands: the interval holds the mean (NaN only where a slot had no request of a class).
    ok = a["ci_low"].notna()
    assert ok.mean() > 0.8
    assert ((a["ci_low"] <= a["mean"] + 1e-12) & (a["mean"] <= a["ci_high"] + 1e-12))[ok].all()
    b = t["b"]
    assert b["mean"].between(0, 1).all()
    # The oracle satisfies every quality-preferred task in the paper's combinations
    qp = b[b["metric"] == "qp_success"]
    assert (qp[qp["series"] == "oracle"]["mean"] > 0.5).all()
    c = t["c"]
    assert set(c["series"]) == {*rp.ICL_VARIANTS.values(), "DQN", "oracle", rp.BANDIT, rp.LOCAL}
    assert {rp.BANDIT, rp.LOCAL} <= set(a["series"])
    assert any(s.startswith(rp.LLM_PRIOR) for s in a["series"])
    # panel b also tracks the offload share of regular tasks (its claim needs it)
    assert set(b[b["task"] == "regular"]["metric"]) == {"offload_share"}
    for p, values in (("d", rp.QUICK_SIZES.users), ("e", rp.QUICK_SIZES.tokens),
                      ("f", rp.QUICK_SIZES.qp_shares)):
        d = t[p][t[p]["metric"] == "delay_s"]
        assert sorted(d["x"].unique()) == sorted(float(v) for v in values)
        assert d["series"].nunique() == 4 and (d["n_seeds"] == rp.QUICK_SIZES.sweep_seeds).all()


def test_quick_reproduces_the_papers_delay_trends(quick):
    """Delay rises with users, tokens and the quality-preferred share; Gemma 7B + Gemini
    1.5 Pro is lowest everywhere (the paper's Sec. IV-B claims), in quick mode."""
    trends = rp.check_trends(_tables(quick, ("d", "e", "f")))
    assert len(trends) == 6
    for tr in trends:
        assert tr.holds, tr.line()
    t = _tables(quick, ("d",))["d"]
    gemma = rp.curve(t, "Gemma 7B + Gemini 1.5 Pro", "delay_s")
    llama = rp.curve(t, "Llama3-8B + GPT-4o", "delay_s")
    assert (gemma < llama).all() and gemma.is_monotonic_increasing
    state = json.loads((quick / "reproduce.json").read_text())
    assert len(state["trends"]) == len(rp.check_trends(_tables(quick)))


def test_report_lists_panels_trends_and_oracle_values(quick):
    report = (quick / "report.md").read_text()
    for p in rp.PANELS:
        assert f"## Fig. 5({p}): {rp.PANEL_TITLES[p]}" in report
        assert f"](fig5{p}.png)" in report
    assert report.count("Oracle reference") == 3  # a, b, c
    assert report.count("oracle reward |") == 3 * 4  # d, e, f x 4 combinations
    assert ("**Holds**: consistency check of the model's inputs: average service delay rises "
            "with the users per cell") in report
    # the ICL deciders' counters: every request decided, none by a fallback
    assert "## ICL decisions" in report
    stats = json.loads((quick / "reproduce.json").read_text())["icl_stats"]
    sz = rp.QUICK_SIZES
    assert set(stats) == {f"{d} (SmolLM2-135M (embedded))"
                          for d in (*rp.ICL_VARIANTS, "llm-prior")}
    for st in stats.values():
        assert st["decisions"] == sz.learn_seeds * sz.learn_steps * sz.learn_users
        assert st["llm_decisions"] > 0 and st["fallbacks"] == 0


def test_rerun_is_a_resume_that_runs_nothing(quick, tmp_path, monkeypatch):
    before = {p.name: p.stat().st_mtime_ns for p in (quick / RUNS_DIR).iterdir()}
    tables = _tables(quick)
    from genoff.experiments import sweep as sweeps

    def boom(*a, **k):  # pragma: no cover - must not be called
        raise AssertionError("a finished run was run again")

    monkeypatch.setattr(sweeps, "_execute", boom)
    rp.reproduce(quick, settings=rp.Settings(sizes=rp.QUICK_SIZES), executor="serial",
                 progress=False)
    after = {p.name: p.stat().st_mtime_ns for p in (quick / RUNS_DIR).iterdir()}
    assert after == before
    for p, t in _tables(quick).items():
        pd.testing.assert_frame_equal(t, tables[p], check_exact=True)


# -- the same command twice gives the same tables ------------------------------------------

_WALL = ["wall_time_s", "wall_time_per_step_s"]


def test_quick_twice_in_fresh_processes_gives_identical_tables(quick, tmp_path):
    """`genoff reproduce --quick` again, in a fresh interpreter (and fresh worker processes):
    every table, every decider (ICL, DQN, oracle) identical to the first call's."""
    again = tmp_path / "again"
    proc = subprocess.run([sys.executable, "-m", "genoff", "reproduce", "--quick", "--out",
                           str(again), "--no-progress"], capture_output=True, text=True,
                          timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    _assert_same_tables(quick, again, rp.PANELS)
    first = pd.read_parquet(quick / "runs.parquet").drop(columns=_WALL, errors="ignore")
    second = pd.read_parquet(again / "runs.parquet").drop(columns=_WALL, errors="ignore")
    assert set(first["decider"]) >= {"icl", "icl-latest", "icl-noexplore", "dqn", "oracle"}
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    for key in first["key"]:
        a = pd.read_parquet(quick / RUNS_DIR / f"{key}.parquet")
        b = pd.read_parquet(again / RUNS_DIR / f"{key}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=True)


_DQN_WEIGHTS = """
import hashlib
from genoff.experiments.sweep import RunSpec
_, d = RunSpec("paper", decider="dqn", seed=2440950710608614359).build()
print(d.seed, hashlib.sha256(b"".join(t.numpy().tobytes()
                                       for t in d.q_net.state_dict().values())).hexdigest())
"""


def test_a_dqn_run_starts_from_the_same_weights_in_every_process():
    # The cause of issue 11's irreproducible DQN rewards: sweeps built the DQN without a
    # seed, so its initial weights came from fresh OS entropy in each worker process.
    outs = {subprocess.run([sys.executable, "-c", _DQN_WEIGHTS], capture_output=True,
                           text=True, timeout=300, check=True).stdout for _ in range(2)}
    assert len(outs) == 1
    assert outs.pop().split()[0] == "2440950710608614359"  # the spec's seed, as simulate's


# -- executors ----------------------------------------------------------------------------


def test_serial_and_process_pool_give_identical_tables(tmp_path):
    """Learning runs (ICL x3 with the embedded model, DQN) and delay sweeps."""
    for settings, panels in ((LEARN, "c"), (DELAY, "d,e,f")):
        a, b = tmp_path / f"serial-{panels}", tmp_path / f"pool-{panels}"
        rp.reproduce(a, panels=panels, settings=settings, executor="serial", progress=False)
        rp.reproduce(b, panels=panels, settings=settings, executor="process", workers=2,
                     progress=False)
        _assert_same_tables(a, b, panels.split(","))


@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_dask_and_ray_executors_match_serial(tmp_path, kind):
    a, b = tmp_path / "serial", tmp_path / kind
    rp.reproduce(a, panels="d,f", settings=DELAY, executor="serial", progress=False)
    rp.reproduce(b, panels="d,f", settings=DELAY, executor=kind, workers=2, progress=False)
    _assert_same_tables(a, b, ["d", "f"])


def test_any_concurrent_futures_executor(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    a, b = tmp_path / "serial", tmp_path / "threads"
    rp.reproduce(a, panels="e", settings=DELAY, executor="serial", progress=False)
    with ThreadPoolExecutor(2) as ex:
        rp.reproduce(b, panels="e", settings=DELAY, executor=ex, progress=False)
    _assert_same_tables(a, b, ["e"])


# -- resume after a kill ------------------------------------------------------------------

_KILL_SCRIPT = """
import sys
from genoff import cli
sys.exit(cli.main(["reproduce", "--quick", "--panels", "d,e,f", "--seeds", "2",
                   "--executor", sys.argv[2], "--workers", "2", "--out", sys.argv[1],
                   "--no-progress"]))
"""


@pytest.mark.parametrize(
    "executor, sig",
    [("serial", signal.SIGKILL), ("process", signal.SIGKILL), ("process", signal.SIGINT)],
    ids=["serial-kill", "process-kill", "process-ctrl-c"],
)
def test_resume_after_kill_gives_the_uninterrupted_tables(tmp_path, executor, sig):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(killed), executor],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    runs = killed / RUNS_DIR
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if runs.is_dir() and len(list(runs.glob("*.parquet"))) >= 5:
                break
            if proc.poll() is not None:
                pytest.fail("reproduce finished before it could be killed")
            time.sleep(0.02)
        else:
            pytest.fail("no run finished within 120 s")
    finally:
        os.killpg(proc.pid, sig)  # the whole group, as a terminal's Ctrl-C: workers too
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:  # pragma: no cover - Ctrl-C must not hang
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert "rerun the same command to resume" in err
    done = len(list(runs.glob("*.parquet")))
    total = 2 * 3 * 4 * 3  # seeds x x-values x combinations x panels
    assert 5 <= done < total
    assert not (killed / "report.md").exists()
    state = json.loads((killed / "reproduce.json").read_text())
    assert state["status"] == "running"

    args = ["reproduce", "--quick", "--panels", "d,e,f", "--seeds", "2", "--no-progress",
            "--executor", executor]
    assert cli.main(args + ["--out", str(killed)]) == 0
    assert cli.main(args + ["--out", str(clean)]) == 0
    assert len(list(runs.glob("*.parquet"))) == total
    assert not list(runs.glob(".*.tmp"))
    _assert_same_tables(killed, clean, ["d", "e", "f"])
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "runs.parquet").drop(columns=["wall_time_s",
                                                                "wall_time_per_step_s"],
                                                       errors="ignore"),
        pd.read_parquet(clean / "runs.parquet").drop(columns=["wall_time_s",
                                                               "wall_time_per_step_s"],
                                                      errors="ignore"),
    )


# -- trends can fail ----------------------------------------------------------------------


def _delay_table(values: dict[str, list[float]], xs=(1.0, 2.0, 3.0)) -> pd.DataFrame:
    rows = []
    for s, ys in values.items():
        for x, y in zip(xs, ys):
            rows.append({"panel": "d", "series": s, "task": "all", "x_name": "users per cell",
                         "x": x, "metric": "delay_s", "mean": y, "ci_low": y, "ci_high": y,
                         "std": 0.0, "n_seeds": 1})
    return pd.DataFrame(rows)


def test_trend_checks_report_a_failed_claim():
    gemma = "Gemma 7B + Gemini 1.5 Pro"
    good = rp.check_trends({"d": _delay_table({gemma: [1, 2, 3], "Llama3-8B + GPT-4o": [2, 3, 4]})})
    assert [t.holds for t in good] == [True, True]
    falling = rp.check_trends({"d": _delay_table({gemma: [3, 2, 1], "Llama3-8B + GPT-4o": [4, 5, 6]})})
    assert [t.holds for t in falling] == [False, True]
    assert "not rising" in falling[0].detail
    beaten = rp.check_trends({"d": _delay_table({gemma: [1, 2, 5], "Llama3-8B + GPT-4o": [2, 3, 4]})})
    assert [t.holds for t in beaten] == [True, False]
    assert "Not lowest at: 3" in beaten[1].detail


def _b_table(series: dict[str, tuple[list[float], list[float]]]) -> pd.DataFrame:
    """Panel b rows: series -> (QP success per slot, regular offload share per slot)."""
    rows = []
    for s, (success, share) in series.items():
        for metric, task, ys in (("qp_success", "quality-preferred", success),
                                 ("offload_share", "regular", share)):
            for x, y in enumerate(ys):
                rows.append({"panel": "b", "series": s, "task": task, "x_name": "step",
                             "x": float(x), "metric": metric, "mean": y, "ci_low": y,
                             "ci_high": y, "std": 0.0, "n_seeds": 1})
    return pd.DataFrame(rows)


def test_claim_b_fails_for_always_offload_and_holds_for_a_learner():
    oracle = ([0.95] * 8, [0.0] * 8)
    t = _b_table({
        "oracle": oracle,
        "ICL (learns)": ([0.2, 0.4, 0.6, 0.8, 0.9, 0.9, 0.9, 0.9], [0.05] * 8),
        "ICL (always offload)": ([1.0] * 8, [1.0] * 8),
        "ICL (offloads a third of regular tasks)": ([0.2, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
                                                    [0.33] * 8),
    })
    verdicts = {tr.claim.split(" learns")[0]: tr for tr in rp.check_trends({"b": t})}
    assert verdicts["ICL (learns)"].holds
    assert not verdicts["ICL (always offload)"].holds
    assert "does not rise" in verdicts["ICL (always offload)"].detail
    assert "regular-task offloading is off" in verdicts["ICL (always offload)"].detail
    assert not verdicts["ICL (offloads a third of regular tasks)"].holds


def test_claim_b_fails_for_real_always_offload_runs():
    """Real runs of the always-offload policy through the panel-b table: the check fails."""
    from genoff import experiments
    from genoff.deciders import make_decider
    from genoff.world.scenario import load_scenario
    from genoff.experiments.sweep import RunSpec

    sc = load_scenario("paper-fig5")
    specs = [RunSpec("paper-fig5", decider="offload", steps=6, seed=s) for s in (1, 2)]
    tables = {s.key: experiments.run(sc, make_decider("offload"), steps=6, seed=s.seed,
                                     n_threads=1).table for s in specs}
    t, _ = rp.learning_table("b", {"ICL (always offload)": specs}, tables, window=2)
    (tr,) = rp.check_trends({"b": t})
    assert not tr.holds and "regular-task offloading is off" in tr.detail


def test_claim_a_is_two_sided():
    def a_table(icl, dqn):
        rows = []
        for s, y in (("ICL (x)", icl), ("DQN", dqn), ("oracle", 20.0)):
            for task in ("regular", "quality-preferred"):
                for x in range(4):
                    rows.append({"panel": "a", "series": s, "task": task, "x_name": "step",
                                 "x": float(x), "metric": "reward", "mean": y, "ci_low": y,
                                 "ci_high": y, "std": 0.0, "n_seeds": 1})
        return pd.DataFrame(rows)

    assert all(t.holds for t in rp.check_trends({"a": a_table(10.5, 10.0)}))
    assert not any(t.holds for t in rp.check_trends({"a": a_table(12.0, 10.0)}))  # far above
    assert not any(t.holds for t in rp.check_trends({"a": a_table(8.0, 10.0)}))


def test_series_whose_llm_fell_back_are_not_measured():
    t = _b_table({"oracle": ([0.95] * 4, [0.0] * 4), "ICL (down)": ([0.0] * 4, [0.0] * 4)})
    (tr,) = rp.check_trends({"b": t}, not_measured=["ICL (down)"])
    assert tr.verdict == "not measured" and tr.line().startswith("not measured")


def test_cli_exits_3_when_the_llm_series_fell_back(tmp_path, capsys):
    """An unreachable server: the ICL series is "not measured" in the report, exit 3."""
    argv = ["reproduce", "--out", str(tmp_path / "r"), "--panels", "b", "--quick", "--seeds", "1",
            "--steps", "2", "--executor", "serial", "--no-progress", "--llm", "openai:m",
            "--base-url", "http://127.0.0.1:9", "--api-key-env", "GENOFF_TEST_NO_SUCH_KEY"]
    assert cli.main(argv) == 3
    err = capsys.readouterr().err
    assert "not measured" in err and "Traceback" not in err
    report = (tmp_path / "r" / "report.md").read_text()
    assert "**Not measured**" in report and "**Holds**" not in report
    assert cli.main(argv + ["--allow-fallbacks"]) == 0


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--panels", "a,x"], "--panels"),
        (["--panels", ""], "--panels"),
        (["--llm", "gpt-4o"], "--llm"),
        (["--llm", "embedded:foo"], "--llm"),
        (["--llm", "openai:"], "--llm"),
        (["--scenario", "nope"], "unknown scenario"),
        (["--sweep-decider", "nope"], "sweep_decider"),
        (["--epsilon", "2"], "epsilon"),
        (["--executor", "ray", "--address", "x", "--executor", "process"], "address"),
    ],
)
def test_cli_rejects_bad_arguments(tmp_path, capsys, argv, match):
    with pytest.raises(SystemExit) as e:
        cli.main(["reproduce", "--quick", "--out", str(tmp_path / "o"), "--no-progress", *argv])
    assert e.value.code == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "o" / "report.md").exists()


def test_other_settings_in_the_same_folder_need_force(tmp_path):
    out = tmp_path / "o"
    rp.reproduce(out, panels="e", settings=DELAY, executor="serial", progress=False)
    report = (out / "report.md").read_text()
    other = replace(DELAY, root_seed=1)
    with pytest.raises(ValueError, match="other settings"):
        rp.reproduce(out, panels="e", settings=other, executor="serial", progress=False)
    assert (out / "report.md").read_text() == report  # nothing overwritten
    rp.reproduce(out, panels="e", settings=other, executor="serial", progress=False, force=True)
    assert json.loads((out / "reproduce.json").read_text())["settings"]["root_seed"] == 1
    # a file where the folder should be
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="out must be a folder"):
        rp.reproduce(f, panels="e", settings=DELAY, executor="serial", progress=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"learn_steps": 0}, "learn_steps"),
        ({"learn_seeds": 1.5}, "learn_seeds"),
        ({"users": (5,)}, "users"),
        ({"users": (20, 5)}, "users"),
        ({"qp_shares": (0.0, 1.5)}, "qp_shares"),
        ({"tokens": (-1.0, 10.0)}, "tokens"),
        ({"learn_users": 0}, "learn_users"),
    ],
)
def test_sizes_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        replace(rp.QUICK_SIZES, **kwargs)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"combinations": ("nope",)}, ValueError, "combinations"),
        ({"llms": ()}, ValueError, "llms"),
        ({"llms": ({"kind": "gpt"},)}, ValueError, "kind"),
        ({"llms": ({"kind": "openai"},)}, ValueError, "model"),
        ({"llms": ({"kind": "embedded", "temperature": 1},)}, ValueError, "temperature"),
        ({"calibrate": "yes"}, ValueError, "calibrate"),
        ({"root_seed": -1}, ValueError, "root_seed"),
        ({"sizes": {"learn_steps": 3}}, TypeError, "sizes"),
    ],
)
def test_settings_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rp.Settings(**kwargs)


def test_panels_argument_validation(tmp_path):
    with pytest.raises(ValueError, match="panels"):
        rp.reproduce(tmp_path, panels=["g"], settings=DELAY, progress=False)
    with pytest.raises(ValueError, match="panel"):
        rp.panel_specs(DELAY, "z")


def test_settings_round_trip_and_seeds():
    s = rp.Settings(llms=({"kind": "embedded"}, {"kind": "openai", "model": "gpt-4o"}))
    assert rp.Settings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert len(s.learn_seeds()) == rp.DEFAULT_SIZES.learn_seeds
    # replica seeds are SeedSequence children, shared by every series / grid point
    specs = rp.panel_specs(s, "a")
    assert list(specs) == ["ICL (SmolLM2-135M (embedded))", "ICL (gpt-4o)",
                           "LLM prior + Thompson sampling (SmolLM2-135M (embedded))", "DQN",
                           rp.BANDIT, rp.LOCAL]
    for runs in specs.values():
        assert [r.seed for r in runs] == s.learn_seeds()
    d = rp.panel_specs(s, "d")
    assert len(d) == 4 and all(len(v) == 5 * 5 for v in d.values())
    assert {r.seed for v in d.values() for r in v} == set(s.sweep_seeds())
    assert np.unique([r.key for v in d.values() for r in v]).size == 4 * 25
