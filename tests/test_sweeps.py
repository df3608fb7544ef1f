"""Sweep engine: specs, grids, parallel and resumable runs (genoff.experiments.sweep)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoff import experiments
from genoff.experiments.sweep import RUNS_DIR, RunSpec, expand_grid, read_run, run_sweep

TINY = {"layout.users_per_cell": 3, "scheduler.num_tti": 100}


def _specs(seeds: int = 2, steps: int = 2) -> list[RunSpec]:
    base = RunSpec("paper", overrides=TINY, steps=steps)
    return expand_grid(base, {"decider": ["oracle", "local", "random"]}, seeds=seeds, root_seed=7)


def _files(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted((out / RUNS_DIR).iterdir())}


# -- RunSpec ------------------------------------------------------------------------------


def test_runspec_key_is_stable_and_canonical():
    a = RunSpec("paper", overrides={"scheduler.num_tti": 100, "layout.users_per_cell": 3},
                decider="random", decider_kwargs={"p": 0.25}, steps=2, seed=np.int64(5))
    b = RunSpec("paper", overrides={"layout.users_per_cell": np.int64(3), "scheduler.num_tti": 100},
                decider="random", decider_kwargs={"p": 0.25}, steps=2, seed=5)
    assert a == b and a.key == b.key and hash(a) == hash(b)
    assert len(a.key) == 64 and int(a.key, 16) >= 0
    assert RunSpec.from_dict(a.to_dict()) == a
    assert a.replace(seed=6).key != a.key
    assert a.replace(decider_kwargs={"p": 0.5}).key != a.key
    # The key is the SHA-256 of the canonical JSON: fixed across sessions.
    assert RunSpec().key == RunSpec("paper", {}, "oracle", {}, 100, 0).key
    import pickle

    assert pickle.loads(pickle.dumps(a)) == a


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"decider": "nope"}, "nope"),
        ({"steps": 0}, "steps"),
        ({"seed": -1}, "seed"),
        ({"decider_kwargs": {"p": object()}}, "decider_kwargs.p"),
        (
            {"overrides": {"layout.users_per_cell": float("nan")}},
            "overrides.layout.users_per_cell",
        ),
    ],
)
def test_runspec_rejects_bad_fields(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RunSpec(**kwargs)


# -- expand_grid --------------------------------------------------------------------------


def test_expand_grid_product_and_shared_seeds():
    base = RunSpec("paper", overrides=TINY, steps=2)
    grid = {"decider": ["oracle", "local"], "radio.num_rb": [25, 52, 106]}
    specs = expand_grid(base, grid, seeds=3, root_seed=11)
    assert len(specs) == 2 * 3 * 3
    assert len({s.key for s in specs}) == len(specs)
    expected = [
        int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        for c in np.random.SeedSequence(11).spawn(3)
    ]
    # Every grid point gets the same replica seeds, in replica order.
    for i in range(0, len(specs), 3):
        assert [s.seed for s in specs[i : i + 3]] == expected
        point = specs[i]
        assert all(
            (s.decider, s.overrides) == (point.decider, point.overrides) for s in specs[i : i + 3]
        )
    points = [(s.decider, s.overrides["radio.num_rb"]) for s in specs[::3]]
    assert points == [(d, n) for d in ("oracle", "local") for n in (25, 52, 106)]
    assert all(s.overrides["layout.users_per_cell"] == 3 for s in specs)  # base kept
    # Reproducible; another root seed gives other seeds.
    assert expand_grid(base, grid, seeds=3, root_seed=11) == specs
    other = expand_grid(base, grid, seeds=3, root_seed=12)
    assert {s.seed for s in other}.isdisjoint(expected)
    assert all(0 <= s < 2**63 for s in expected)


@pytest.mark.parametrize(
    "grid, seeds, match",
    [
        ({"decider": ["oracle", "bogus"]}, 1, "bogus"),
        ({"layout.nope": [1]}, 1, "layout.nope"),
        ({"nope": [1]}, 1, "nope"),
        ({"layout.users_per_cell": [3, -1]}, 1, "layout.users_per_cell"),
        ({"layout.users_per_cell": []}, 1, "layout.users_per_cell"),
        ({"layout.users_per_cell": 3}, 1, "layout.users_per_cell"),
        ({}, 0, "seeds"),
    ],
)
def test_expand_grid_bad_inputs(grid, seeds, match):
    with pytest.raises(ValueError, match=match):
        expand_grid(RunSpec("paper", overrides=TINY), grid, seeds=seeds, root_seed=0)


# -- run_sweep ----------------------------------------------------------------------------


def test_run_sweep_serial_matches_process_pool_and_direct_run(tmp_path):
    specs = _specs(seeds=2, steps=2)
    serial = run_sweep(specs, tmp_path / "serial", executor="serial", progress=False)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
        pooled = run_sweep(specs, tmp_path / "pool", executor=ex, progress=False)
    pd.testing.assert_frame_equal(serial, pooled)
    assert list(serial["key"]) == [s.key for s in specs]
    assert list(serial["decider"]) == [s.decider for s in specs]
    assert list(serial["layout.users_per_cell"]) == [3] * len(specs)
    assert (serial["num_requests"] == 3 * 2).all()  # 3 users x 2 steps (one user cell)
    oracle = serial[serial["decider"] == "oracle"]
    assert np.allclose(oracle["regret"], 0.0)
    # Files: one per spec, identical tables either way, equal to a direct run.
    for s in specs:
        spec_a, table_a, meta = read_run(tmp_path / "serial" / RUNS_DIR / f"{s.key}.parquet")
        spec_b, table_b, _ = read_run(tmp_path / "pool" / RUNS_DIR / f"{s.key}.parquet")
        assert spec_a == spec_b == s
        pd.testing.assert_frame_equal(table_a, table_b)
        assert meta["seed"] == s.seed and meta["steps"] == s.steps
    s = specs[-1]
    scenario, decider = s.build()
    direct = experiments.run(scenario, decider, steps=s.steps, seed=s.seed, n_threads=1)
    pd.testing.assert_frame_equal(
        read_run(tmp_path / "serial" / RUNS_DIR / f"{s.key}.parquet")[1], direct.table
    )
    row = serial.iloc[-1]
    for k, v in experiments.summarize(direct.table).items():
        assert row[k] == pytest.approx(v, nan_ok=True)


def test_run_sweep_resumes_only_missing_runs(tmp_path, monkeypatch):
    import genoff.experiments.sweep as sweeps

    specs = _specs(seeds=2, steps=2)
    first = run_sweep(specs, tmp_path, executor="serial", progress=False)
    before = _files(tmp_path)
    assert len(before) == len(specs)
    victim = f"{specs[3].key}.parquet"
    (tmp_path / RUNS_DIR / victim).unlink()
    # A stray, unreadable file counts as unfinished too.
    corrupt = f"{specs[1].key}.parquet"
    (tmp_path / RUNS_DIR / corrupt).write_bytes(b"not parquet")

    calls = []
    real = sweeps._execute
    monkeypatch.setattr(sweeps, "_execute", lambda *a: calls.append(a[0]) or real(*a))
    time.sleep(0.01)
    again = run_sweep(specs, tmp_path, executor="serial", progress=False)
    pd.testing.assert_frame_equal(first, again)
    assert sorted(RunSpec.from_dict(c).key for c in calls) == sorted([specs[3].key, specs[1].key])
    after = _files(tmp_path)
    assert set(after) == set(before)
    for name, mtime in before.items():
        if name not in (victim, corrupt):
            assert after[name] == mtime
    # Nothing left to do: no run executes.
    calls.clear()
    third = run_sweep(specs, tmp_path, executor="serial", progress=False)
    pd.testing.assert_frame_equal(first, third)
    assert calls == []


def test_run_sweep_duplicates_and_failures(tmp_path):
    specs = _specs(seeds=1, steps=2)
    table = run_sweep(specs + specs[:1], tmp_path, executor="serial", progress=False)
    assert len(table) == len(specs) + 1 and len(_files(tmp_path)) == len(specs)
    pd.testing.assert_frame_equal(
        table.iloc[[0]].reset_index(drop=True), table.iloc[[-1]].reset_index(drop=True)
    )
    bad = RunSpec("paper", overrides={"layout.nope": 1}, steps=2)
    with pytest.raises(RuntimeError, match="1 of 4 runs failed") as info:
        run_sweep(specs + [bad], tmp_path / "b", executor="serial", progress=False)
    assert "layout.nope" in str(info.value.__cause__)
    assert len(_files(tmp_path / "b")) == len(specs)  # the good runs are kept
    with pytest.raises(ValueError, match="executor"):
        run_sweep(specs, tmp_path, executor="threads", progress=False)


_KILLED_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from genoff import experiments
    from genoff.experiments.sweep import RunSpec, expand_grid, run_sweep

    real = experiments.run
    def slow(*a, **k):
        time.sleep(0.4)  # make sure the kill lands mid-sweep
        return real(*a, **k)
    experiments.run = slow
    base = RunSpec("paper", overrides={"layout.users_per_cell": 3, "scheduler.num_tti": 100},
                   steps=3)
    specs = expand_grid(base, {"decider": ["oracle", "local", "random"]}, seeds=2, root_seed=7)
    run_sweep(specs, sys.argv[1], executor="serial", progress=False)
    """
)


def test_run_sweep_recovers_from_sigkill(tmp_path):
    specs = _specs(seeds=2, steps=3)
    assert len(specs) == 6
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SCRIPT, str(killed)])
    runs = killed / RUNS_DIR
    try:
        deadline = time.monotonic() + 60
        while not (runs.is_dir() and any(runs.glob("*.parquet"))):
            assert proc.poll() is None, "the sweep ended before writing a run"
            assert time.monotonic() < deadline, "no run file appeared"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = list(runs.glob("*.parquet"))
    assert 1 <= len(done) < len(specs)
    # What SIGKILL during atomic_write leaves behind.
    (runs / f".{specs[-1].key}.parquet.abc123.tmp").write_bytes(b"half a file")
    resumed = run_sweep(specs, killed, executor="serial", progress=False)
    uninterrupted = run_sweep(specs, tmp_path / "clean", executor="serial", progress=False)
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    assert sorted(p.name for p in runs.iterdir()) == sorted(f"{s.key}.parquet" for s in specs)
