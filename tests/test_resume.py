"""Fail fast, lose nothing: --out checked before any work, Ctrl-C and kills of
`genoff simulate` at random points, --resume to the uninterrupted table, and reproduce
--panels subsets into a full folder."""

from __future__ import annotations

import hashlib
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
import pytest
from genoff import experiments
from genoff.experiments import runner
from genoff.world.scenario import load_scenario
from genoff import fig5 as rp
from genoff.cli import RESUME_DIR, main
from genoff.deciders import Decider, make_decider
from genoff.llm.base import Backend

# 5 users and a short capacity run: slots of a few milliseconds.
FAST = ["--users", "5", "--set", "scheduler.num_tti=100", "--threads", "1", "--no-progress"]
USERS = 5


def _simulate_cmd(out: Path, decider: str, steps: int, seed: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "genoff", "simulate", "--decider", decider,
            "--steps", str(steps), "--seed", str(seed), "--out", str(out), *FAST, *extra]


def _reference(tmp_path: Path, decider: str, steps: int, seed: int) -> Path:
    ref = tmp_path / "reference"
    assert main(_simulate_cmd(ref, decider, steps, seed)[3:]) == 0
    return ref


# -- --out is checked before any work ---------------------------------------------------


def _not_creatable() -> str:
    # /proc refuses new folders even for root; elsewhere a path below a regular file.
    return "/proc/genoff" if Path("/proc/self").exists() else os.devnull + "/genoff"


@pytest.mark.parametrize("command", ["simulate", "reproduce"])
@pytest.mark.parametrize("kind", ["not-creatable", "a-file", "below-a-file"])
def test_bad_out_fails_before_any_work(tmp_path, command, kind):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    out = {"not-creatable": _not_creatable(), "a-file": str(a_file),
           "below-a-file": str(a_file / "sub")}[kind]
    argv = [sys.executable, "-m", "genoff", command, "--out", out, "--no-progress"]
    argv += ["--steps", "2"] if command == "simulate" else ["--quick"]
    t0 = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""  # no summary: nothing ran
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"genoff {command}: error: --out"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - t0 < 60
    assert a_file.read_text() == "x"


def test_existing_results_or_an_interrupted_run_are_refused(tmp_path, capsys):
    out = tmp_path / "res"
    args = ["simulate", "--steps", "2", "--out", str(out), *FAST]
    assert main(args) == 0
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert "already holds results" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(args + ["--resume"])
    assert "holds a finished run: nothing to resume" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "--steps", "2", "--resume", *FAST])
    assert "--resume needs --out" in capsys.readouterr().err


# -- Ctrl-C and kills at random points, then --resume -----------------------------------


def _interrupt(cmd: list[str], out: Path, sig: int, rng: np.random.Generator,
               steps: int) -> subprocess.CompletedProcess | None:
    """Start `genoff simulate`, wait until it has saved a checkpoint (so it is inside its
    run loop), then a random time more, and send ``sig``. None when the run finished before
    the signal."""
    manifest = out / RESUME_DIR / experiments.Checkpoint.MANIFEST

    def stamp():
        return manifest.stat().st_mtime_ns if manifest.is_file() else None

    before = stamp()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while stamp() == before and proc.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail("no checkpoint within 240 s")
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.6)))
        if proc.poll() is None:
            proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # pragma: no cover - a hang: don't leave it running
            proc.kill()
            proc.wait()
    if proc.returncode == 0 or ("wrote " in stdout and "interrupted" not in stderr):
        return None  # finished (a signal after the run's end is not an interruption)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _check_interrupted(out: Path, res: subprocess.CompletedProcess, sig: int,
                       decider: str) -> int | None:
    """The files an interruption leaves; the finished slots reported (SIGINT)."""
    assert (out / RESUME_DIR / experiments.Checkpoint.MANIFEST).is_file()
    if sig == signal.SIGKILL:
        assert res.returncode == -signal.SIGKILL
        return None
    assert res.returncode == 130, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    prefix, _, rest = lines[0].partition(" slots; ")
    assert prefix.startswith("interrupted after ") and rest == "rerun with --resume to continue"
    slots = int(prefix.removeprefix("interrupted after "))
    # The finished slots, and the decider's state at their end, are on disk.
    meta = json.loads((out / "run.json").read_text())
    assert meta["interrupted"] is True and meta["steps_done"] == slots
    table = pd.read_parquet(out / "requests.parquet")
    assert len(table) == slots * USERS and table["step"].max() == slots - 1
    ckpt = json.loads((out / RESUME_DIR / experiments.Checkpoint.MANIFEST).read_text())
    assert ckpt["slots"] == slots
    if decider == "dqn":
        counters = json.loads((out / "dqn.json").read_text())["counters"]
        assert counters["num_transitions"] == slots * USERS
        assert len(pd.read_csv(out / "training_curve.csv")) == slots
    return slots


def _assert_same_run(out: Path, ref: Path, decider: str) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(out / "requests.parquet"),
                                  pd.read_parquet(ref / "requests.parquet"), check_exact=True)
    assert not (out / RESUME_DIR).exists()
    meta = json.loads((out / "run.json").read_text())
    assert "interrupted" not in meta
    if decider == "dqn":
        import torch

        a = torch.load(out / "dqn.pt", weights_only=True)
        b = torch.load(ref / "dqn.pt", weights_only=True)
        for k in ("q_net", "target_net"):
            for name, t in a[k].items():
                assert torch.equal(t, b[k][name]), (k, name)
        for k, t in a["buffer"].items():
            assert torch.equal(t, b["buffer"][k]), k
        ja, jb = (json.loads((p / "dqn.json").read_text()) for p in (out, ref))
        assert ja["counters"] == jb["counters"] and ja["rng_state"] == jb["rng_state"]
        pd.testing.assert_frame_equal(pd.read_csv(out / "training_curve.csv"),
                                      pd.read_csv(ref / "training_curve.csv"), check_exact=True)


@pytest.mark.parametrize(
    "decider, steps, signals",
    [
        ("oracle", 150, [signal.SIGKILL, signal.SIGINT]),
        ("random", 150, [signal.SIGINT, signal.SIGKILL]),
        ("dqn", 400, [signal.SIGINT, signal.SIGKILL, signal.SIGINT]),
    ],
)
def test_interrupt_at_random_points_then_resume_gives_the_uninterrupted_run(
        tmp_path, decider, steps, signals):
    seed = 11
    rng = np.random.default_rng(20260101 + steps)
    ref = _reference(tmp_path, decider, steps, seed)
    out = tmp_path / "interrupted"
    first = _simulate_cmd(out, decider, steps, seed, "--checkpoint-every", "0")
    resume = first + ["--resume"]
    interrupted = 0
    for i, sig in enumerate(signals):
        res = _interrupt(first if i == 0 else resume, out, sig, rng, steps)
        if res is None:  # finished before the signal: nothing more to interrupt
            break
        _check_interrupted(out, res, sig, decider)
        interrupted += 1
    assert interrupted >= 1, "every run finished before it could be interrupted"
    if (out / RESUME_DIR).exists():
        proc = subprocess.run(resume, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "wrote " in proc.stdout
    _assert_same_run(out, ref, decider)


def test_resume_refuses_other_settings_and_force_starts_over(tmp_path, capsys):
    out = tmp_path / "res"
    cmd = _simulate_cmd(out, "random", 400, 3, "--checkpoint-every", "0")
    res = _interrupt(cmd, out, signal.SIGKILL, np.random.default_rng(0), 400)
    assert res is not None
    args = cmd[3:]
    for change, what in ((["--seed", "4"], "seed"), (["--steps", "401"], "steps"),
                         (["--decider", "oracle"], "decider")):
        with pytest.raises(SystemExit) as e:
            main(args + change + ["--resume"])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert f"({what} differ" in err and err.count("\n") == 1, err
    with pytest.raises(SystemExit) as e:
        main(args)  # neither --resume nor --force
    assert e.value.code == 2
    assert "holds an interrupted run" in capsys.readouterr().err
    assert main(args + ["--steps", "3", "--force"]) == 0
    assert not (out / RESUME_DIR).exists()
    assert json.loads((out / "run.json").read_text())["steps"] == 3


# -- the library: run(checkpoint=..., resume=True) --------------------------------------


class _HashBackend(Backend):
    """Deterministic scores that depend on the whole prompt (so on the pool)."""

    name = "hash"

    def score(self, prefix, suffixes, candidates):
        out = np.empty((len(suffixes), len(candidates)))
        for i, s in enumerate(suffixes):
            for j, c in enumerate(candidates):
                h = hashlib.sha256((prefix + s + c).encode()).digest()
                out[i, j] = -int.from_bytes(h[:4], "little") / 2**32
        return out


class _StopAfter:
    """Replaces genoff.experiments.runner._slot: a KeyboardInterrupt in the middle of slot ``n``."""

    def __init__(self, n: int) -> None:
        self.n, self.calls, self.orig = n, 0, runner._slot

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.n + 1:
            raise KeyboardInterrupt
        return self.orig(*args, **kwargs)


def _decider(name: str) -> Decider:
    if name.startswith("icl"):
        return make_decider(name, backend=_HashBackend(), seed=1)
    return make_decider(name, seed=1)


@pytest.mark.parametrize("name", ["oracle", "random", "icl", "icl-latest", "dqn"])
def test_run_resumes_from_a_checkpoint_exactly(tmp_path, monkeypatch, name):
    scenario = load_scenario("paper").with_overrides(
        {"layout.users_per_cell": 4, "scheduler.num_tti": 100})
    kw = {"steps": 8, "seed": 5, "n_threads": 1}
    full = experiments.run(scenario, _decider(name), **kw)
    ckpt = tmp_path / "ckpt"
    for stop_at in (3, 6):  # interrupted twice, mid-slot (a hard stop)
        monkeypatch.setattr(runner, "_slot", _StopAfter(stop_at - (3 if stop_at == 6 else 0)))
        with pytest.raises(experiments.RunInterrupted) as e:
            experiments.run(scenario, _decider(name), checkpoint=ckpt, resume=True,
                            checkpoint_every_s=0, **kw)
        monkeypatch.undo()
        assert e.value.slots == stop_at and e.value.checkpoint_slots == stop_at
        # stopped mid-slot: the result and the decider are those of the checkpoint
        assert e.value.decider_consistent
        assert e.value.result.meta["steps_done"] == stop_at
        pd.testing.assert_frame_equal(e.value.result.table,
                                      full.table[full.table["step"] < stop_at],
                                      check_exact=True)
    with pytest.raises(ValueError, match="holds the checkpoint of an interrupted run"):
        experiments.run(scenario, _decider(name), checkpoint=ckpt, **kw)
    with pytest.raises(ValueError, match="seed differ"):
        experiments.run(scenario, _decider(name), checkpoint=ckpt, resume=True,
                        **{**kw, "seed": 6})
    res = experiments.run(scenario, _decider(name), checkpoint=ckpt, resume=True, **kw)
    pd.testing.assert_frame_equal(res.table, full.table, check_exact=True)
    assert res.meta["decider_stats"] == full.meta["decider_stats"]
    assert not ckpt.exists()
    # Without a checkpoint a mid-slot stop says that the decider is ahead of the table.
    monkeypatch.setattr(runner, "_slot", _StopAfter(2))
    with pytest.raises(experiments.RunInterrupted) as e:
        experiments.run(scenario, _decider(name), **kw)
    assert e.value.slots == 2 and not e.value.decider_consistent
    assert e.value.checkpoint_slots is None


def test_checkpoint_needs_a_resumable_decider(tmp_path):
    class Mine(Decider):
        name = "mine"

        def decide(self, ctx):
            return np.zeros(len(ctx.requests), dtype=bool)

    with pytest.raises(ValueError, match="cannot save its state"):
        experiments.run("paper", Mine(), steps=1, checkpoint=tmp_path / "c")
    assert experiments.run("paper", Mine(), steps=1, n_threads=1).summary["offload_share"] == 0


# -- reproduce --panels into a folder holding other panels ------------------------------

DELAY = rp.Settings(sizes=replace(rp.QUICK_SIZES, sweep_steps=4, sweep_seeds=2))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_panel_subsets_update_their_panels_and_report_all(tmp_path):
    out = tmp_path / "figs"
    rp.reproduce(out, panels="d,e", settings=DELAY, executor="serial", progress=False)
    before = {p: _digest(out / f"fig5{p}.{ext}") for p in "de" for ext in ("csv",)}
    png_e = _digest(out / "fig5e.png")
    res = rp.reproduce(out, panels="f", settings=DELAY, executor="serial", progress=False)
    # e's files are untouched; f is new; the report and runs.* cover d, e and f.
    assert _digest(out / "fig5e.png") == png_e
    assert {p: _digest(out / f"fig5{p}.csv") for p in "de"} == before
    assert sorted(res.tables) == ["d", "e", "f"]
    report = (out / "report.md").read_text()
    for p in "def":
        assert f"## Fig. 5({p})" in report
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["panels"]) == {"d", "e", "f"}
    state = json.loads((out / "reproduce.json").read_text())
    assert state["panels"] == ["f"] and state["panels_done"] == ["d", "e", "f"]
    # Rerunning one panel rewrites it alone, with the same content.
    rp.reproduce(out, panels="d", settings=DELAY, executor="serial", progress=False)
    assert _digest(out / "fig5d.csv") == before["d"]
    assert "## Fig. 5(f)" in (out / "report.md").read_text()
    # Other settings (--force) start a new report: the old panels are not mixed in.
    other = rp.Settings(sizes=replace(DELAY.sizes, sweep_seeds=3))
    res = rp.reproduce(out, panels="e", settings=other, executor="serial", progress=False,
                       force=True)
    assert sorted(res.tables) == ["e"]
    assert "## Fig. 5(d)" not in (out / "report.md").read_text()
