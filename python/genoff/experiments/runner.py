"""Runs: a scenario x a decider -> a per-request table, its summary, and files on disk.

:func:`run` simulates ``steps`` time slots. Each slot every user issues its requests
(paper Sec. III: one batch per slot), the decider decides them in one batch, the core evaluates the decisions
(eq. 1-10), the decider observes the outcomes, and the oracle's best decisions are evaluated
alongside for regret. Users are dropped once per run; in ``analytic`` mode their capacities
``C`` come from one full-buffer PF run of ``scheduler.num_tti`` TTIs, in ``tti`` mode every
slot's contents are drained through finite buffers.

Many runs (grids of scenario overrides x deciders x seeds, on any executor, resumable) are
:mod:`genoff.experiments.sweep` (``genoff.experiments.run_sweep``); the paper's Fig. 5 is
:func:`genoff.fig5.reproduce`.

Seeds: one integer seeds everything through :class:`numpy.random.SeedSequence`
(``spawn`` gives independent streams for the drop, the fading, the tasks and the decider),
so a run is reproducible from ``(scenario, decider, steps, seed)``.

Interrupting and resuming: with ``checkpoint=FOLDER``, :func:`run` saves its state there
between slots (the finished slots' rows, the generators, the users' capacities and the
decider's :meth:`~genoff.deciders.Decider.save_state`; see :class:`Checkpoint`), and
``resume=True`` continues from it to exactly the table an uninterrupted run gives. Ctrl-C
(SIGINT) stops a run at the end of the current slot (a second Ctrl-C stops at once) and
raises :class:`RunInterrupted` carrying the finished slots' result.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoff import __version__
from genoff._util.io import atomic_write, atomic_write_text, json_default, write_table
from genoff._util.validate import integer, real
from genoff.deciders import Decider, make_decider
from genoff.sim import Evaluator, Network, StepContext
from genoff.world.catalog import Catalog
from genoff.world.scenario import Scenario, load_scenario
from genoff.world.services import SERVICE_TYPES
from genoff.world.tasks import TaskGenerator

__all__ = [
    "run",
    "summarize",
    "write_results",
    "RunResult",
    "RunInterrupted",
    "Checkpoint",
]

@dataclass
class RunResult:
    """A run's per-request table, its summary and the metadata that produced it."""

    table: pd.DataFrame
    summary: dict[str, Any]
    meta: dict[str, Any]


def _seed_int(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1, dtype=np.uint64)[0])


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped :func:`run`.

    Attributes:
        result: the :class:`RunResult` of the finished slots (``meta["interrupted"]`` is
            True), or None when no slot had finished.
        slots: the number of slots in ``result``.
        decider_consistent: whether the decider's state is the one at the end of those
            slots, so that its learned state and the table belong together. A first Ctrl-C
            stops between slots; a second one (or one during the call's first slot) stops
            mid-slot, and then, with a checkpoint, ``result`` and the decider are reset to
            the checkpoint's slots; without one this is False.
        checkpoint_slots: slots saved in the checkpoint folder (None without one).
    """

    def __init__(self, result: RunResult | None, slots: int, decider_consistent: bool,
                 checkpoint_slots: int | None) -> None:
        super().__init__(f"interrupted after {slots} slots")
        self.result = result
        self.slots = slots
        self.decider_consistent = decider_consistent
        self.checkpoint_slots = checkpoint_slots


def _plain(value: Any) -> Any:
    """``value`` as JSON would read it back (tuples -> lists, numpy -> Python), to compare a
    run's settings with a checkpoint's."""
    return json.loads(json.dumps(value, default=_json_default_lenient, allow_nan=True))


def _json_default_lenient(o: Any) -> Any:
    try:
        return json_default(o)
    except TypeError:
        return repr(o)


class Checkpoint:
    """The resumable state of one run in a folder (``genoff simulate --out OUT`` uses
    ``OUT/checkpoint``).

    A save writes the finished slots' rows (``frames-G.parquet``), the decider's state
    (folder ``decider-G``, :meth:`~genoff.deciders.Decider.save_state`) and then the
    manifest ``checkpoint.json`` (run settings, slots done, generator states, the users'
    capacities, generation ``G``), each atomically; the previous generation is deleted only
    after the new manifest is in place. A process killed at any moment (SIGKILL) leaves a
    complete checkpoint: the previous one or the new one.
    """

    MANIFEST = "checkpoint.json"
    FORMAT = "genoff-run-checkpoint"
    FORMAT_VERSION = 1

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def manifest(self) -> dict[str, Any] | None:
        """The manifest, or None when the folder holds no checkpoint. ``ValueError`` naming
        the file when it does not read as one."""
        f = self.folder / self.MANIFEST
        if not f.is_file():
            return None
        try:
            m = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{f} is not a genoff run checkpoint ({e})") from None
        keys = ("run", "slots", "generation", "task_rng", "fading_rng", "capacity_bps",
                "wall_time_s")
        if not isinstance(m, dict) or m.get("format") != self.FORMAT:
            raise ValueError(f"{f} is not a genoff run checkpoint")
        if m.get("format_version") != self.FORMAT_VERSION:
            raise ValueError(f"{f}: unsupported checkpoint format_version "
                             f"{m.get('format_version')!r} (expected {self.FORMAT_VERSION})")
        missing = [k for k in keys if k not in m]
        if missing:
            raise ValueError(f"{f} is not a genoff run checkpoint (missing {', '.join(missing)})")
        return m

    def save(self, run_settings: dict[str, Any], slots: int, table: pd.DataFrame,
             task_rng: np.random.Generator, fading_rng: np.random.Generator,
             capacity_bps: np.ndarray | None, decider: Decider, wall_time_s: float) -> None:
        old = self.manifest() if (self.folder / self.MANIFEST).is_file() else None
        gen = (int(old["generation"]) + 1) if old else 0
        self.folder.mkdir(parents=True, exist_ok=True)
        frames = f"frames-{gen}.parquet"
        state = self.folder / f"decider-{gen}"
        if state.exists():  # left by a process killed while saving this generation
            shutil.rmtree(state)

        def parquet(tmp: str) -> None:
            table.to_parquet(tmp, index=False)

        atomic_write(self.folder / frames, parquet)
        state.mkdir()
        decider.save_state(state)
        manifest = {
            "format": self.FORMAT,
            "format_version": self.FORMAT_VERSION,
            "genoff_version": __version__,
            "run": run_settings,
            "slots": int(slots),
            "generation": gen,
            "task_rng": task_rng.bit_generator.state,
            "fading_rng": fading_rng.bit_generator.state,
            "capacity_bps": None if capacity_bps is None else [float(c) for c in capacity_bps],
            "wall_time_s": float(wall_time_s),
        }
        text = json.dumps(manifest, indent=1, default=json_default, allow_nan=True) + "\n"
        atomic_write(self.folder / self.MANIFEST, lambda tmp: Path(tmp).write_text(text))
        for p in self.folder.iterdir():  # earlier generations
            if p.name not in (self.MANIFEST, frames, state.name):
                shutil.rmtree(p) if p.is_dir() else p.unlink()

    def load(self, decider: Decider) -> tuple[dict[str, Any], pd.DataFrame]:
        """``(manifest, table of the finished slots)``; restores ``decider``'s state."""
        m = self.manifest()
        if m is None:
            raise ValueError(f"{self.folder} holds no checkpoint ({self.MANIFEST} missing)")
        gen = int(m["generation"])
        table = pd.read_parquet(self.folder / f"frames-{gen}.parquet")
        decider.load_state(self.folder / f"decider-{gen}")
        return m, table

    def remove(self) -> None:
        """Delete the checkpoint (the run finished)."""
        if self.folder.is_dir():
            shutil.rmtree(self.folder)


class _GracefulStop:
    """Ctrl-C during a run: the first one (once a slot has finished in this call) asks the
    loop to stop after the current slot; a second one, or one before any slot finished,
    raises KeyboardInterrupt at once. Installed only in the main thread and only over
    Python's default SIGINT handler (an application's own handler is left alone)."""

    def __init__(self) -> None:
        self.requested = False
        self.slots_done = 0
        self._old: Any = None

    def __enter__(self) -> _GracefulStop:
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame) -> None:
        if self.requested or self.slots_done == 0:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def _resolve(scenario: Any, decider: Any, seed: int) -> tuple[Scenario, Decider]:
    if isinstance(scenario, (str, os.PathLike)):
        scenario = load_scenario(scenario)
    elif not isinstance(scenario, Scenario):
        raise TypeError(
            "scenario must be a Scenario, a built-in scenario name or a TOML path, got "
            f"{type(scenario).__name__}"
        )
    if isinstance(decider, str):
        decider = make_decider(decider, seed=seed)
    elif not isinstance(decider, Decider):
        raise TypeError(
            f"decider must be a Decider or a decider name, got {type(decider).__name__}"
        )
    return scenario, decider


@dataclass
class _Simulation:
    """What a run simulates with: the dropped users' network, the evaluator (eq. 1-10), the
    task generator, the generators of the tasks and the fading, and the decider."""

    scenario: Scenario
    decider: Decider
    network: Network
    evaluator: Evaluator
    tasks: TaskGenerator
    task_rng: np.random.Generator
    fading_rng: np.random.Generator

    @classmethod
    def build(cls, scenario: Scenario, decider: Decider, seed: int, catalog: Catalog | None,
              n_threads: int) -> _Simulation:
        """Drop the users and reset the decider: independent streams of ``seed`` for the
        drop, the fading, the tasks and the decider."""
        ss_drop, ss_fading, ss_tasks, ss_decider = np.random.SeedSequence(seed).spawn(4)
        network = Network(scenario, np.random.default_rng(ss_drop), n_threads=n_threads)
        evaluator = Evaluator(scenario, catalog)
        tasks = TaskGenerator(scenario.tasks)
        task_rng = np.random.default_rng(ss_tasks)
        fading_rng = np.random.default_rng(ss_fading)
        decider.reset(_seed_int(ss_decider))
        return cls(scenario, decider, network, evaluator, tasks, task_rng, fading_rng)

    def settings(self, seed: int, steps: int) -> dict[str, Any]:
        """What makes the run (as JSON reads it back): a checkpoint must match it."""
        return _plain({
            "scenario": self.scenario.to_dict(),
            "decider": self.decider.config(),
            "seed": int(seed),
            "steps": int(steps),
            "edge_model": self.evaluator.edge.name,
            "cloud_model": self.evaluator.cloud.name,
        })

    def slot(self, step: int) -> pd.DataFrame:
        return _slot(step, self.scenario, self.network, self.evaluator, self.tasks,
                     self.task_rng, self.fading_rng, self.decider,
                     np.arange(self.network.num_ue))

    def restore(self, manifest: dict[str, Any]) -> None:
        """The generators and the users' capacities of a checkpoint's manifest."""
        self.task_rng.bit_generator.state = manifest["task_rng"]
        self.fading_rng.bit_generator.state = manifest["fading_rng"]
        if manifest["capacity_bps"] is not None:
            self.network._capacity = np.asarray(manifest["capacity_bps"], dtype=np.float64)

    def result(self, table: pd.DataFrame, seed: int, steps: int, wall: float,
               done: int) -> RunResult:
        """The run's result from the table of its ``done`` finished slots."""
        summary = summarize(table)
        summary["wall_time_s"] = wall
        summary["wall_time_per_step_s"] = wall / max(done, 1)
        stats = getattr(self.decider, "stats", None)
        stats = stats() if callable(stats) else stats
        meta = {
            "genoff_version": __version__,
            "scenario": self.scenario.to_dict(),
            "decider": self.decider.config(),
            "decider_stats": dict(stats) if isinstance(stats, dict) else None,
            "steps": int(steps),
            "seed": int(seed),
            "edge_model": self.evaluator.edge.name,
            "cloud_model": self.evaluator.cloud.name,
        }
        if done < steps:
            meta["interrupted"] = True
            meta["steps_done"] = int(done)
        return RunResult(table, summary, meta)


def _checkpoint_for(folder: str | os.PathLike | None, decider: Decider) -> Checkpoint | None:
    if folder is None:
        return None
    if not getattr(decider, "resumable", False):
        raise ValueError(
            f"decider {decider.name!r} cannot save its state (it has no save_state), so its "
            "runs cannot be checkpointed or resumed"
        )
    return Checkpoint(folder)


def _manifest_to_resume(ckpt: Checkpoint | None, settings: dict[str, Any],
                        resume: bool) -> dict[str, Any] | None:
    """The manifest of the checkpoint a run resumes from (None: starts afresh);
    ``ValueError`` for a checkpoint without ``resume`` or of another run."""
    manifest = ckpt.manifest() if ckpt is not None else None
    if manifest is None:
        return None
    if not resume:
        raise ValueError(
            f"{ckpt.folder} holds the checkpoint of an interrupted run "
            f"({manifest['slots']} of {manifest['run'].get('steps')} slots); resume it "
            "(resume=True, --resume) or choose another folder"
        )
    differ = [k for k in settings if manifest["run"].get(k) != settings[k]]
    if differ:
        raise ValueError(
            f"{ckpt.folder} holds the checkpoint of a run with other settings "
            f"({', '.join(differ)} differ); rerun with the same settings to resume it"
        )
    return manifest


class _SlotLoop:
    """The slots of one run from ``start`` (0, or the checkpoint's), with the finished
    slots' tables, the checkpoint and the wall time (including the checkpoint's)."""

    def __init__(self, sim: _Simulation, ckpt: Checkpoint | None, settings: dict[str, Any],
                 every_s: float) -> None:
        self.sim, self.ckpt, self.settings, self.every_s = sim, ckpt, settings, every_s
        self.start, self.done_table, self.wall_before = 0, None, 0.0
        self.frames: list[pd.DataFrame] = []  # slots finished in this call
        self.saved = 0  # slots in the checkpoint on disk
        self.t0 = self.last_save = time.perf_counter()

    def resume(self) -> None:
        """Continue from the checkpoint: its rows, generators, capacities and decider."""
        manifest, self.done_table = self.ckpt.load(self.sim.decider)
        self.start = self.saved = int(manifest["slots"])
        self.sim.restore(manifest)
        self.wall_before = float(manifest["wall_time_s"])

    def table(self) -> pd.DataFrame | None:
        parts = ([self.done_table] if self.done_table is not None else []) + self.frames
        return pd.concat(parts, ignore_index=True) if parts else None

    def wall(self) -> float:
        return self.wall_before + time.perf_counter() - self.t0

    def save(self) -> None:
        done = self.start + len(self.frames)
        sim = self.sim
        self.ckpt.save(self.settings, done, self.table(), sim.task_rng, sim.fading_rng,
                       sim.network._capacity, sim.decider, self.wall())
        self.saved = done
        self.last_save = time.perf_counter()

    def run(self, steps: int, stop: _GracefulStop, bar: Any) -> None:
        """Slots ``start .. steps-1``; KeyboardInterrupt at the end of a slot on Ctrl-C."""
        for step in range(self.start, steps):
            if stop.requested:  # Ctrl-C while saving
                raise KeyboardInterrupt
            self.frames.append(self.sim.slot(step))
            stop.slots_done += 1
            if bar is not None:
                bar.update(1)
            if stop.requested:
                raise KeyboardInterrupt
            if (self.ckpt is not None and step + 1 < steps
                    and time.perf_counter() - self.last_save >= self.every_s):
                self.save()

    def interrupted(self, stop: _GracefulStop, seed: int, steps: int) -> RunInterrupted:
        """What Ctrl-C leaves: the finished slots (saved to the checkpoint when stopped
        between slots), or the checkpoint's when stopped mid-slot."""
        wall = self.wall()
        consistent = stop.requested  # stopped between slots
        ckpt = self.ckpt
        if ckpt is not None and consistent and self.start + len(self.frames) > self.saved:
            self.save()
        table = self.table()
        if not consistent and ckpt is not None and ckpt.manifest() is not None:
            # Stopped mid-slot: the decider's state is half a slot ahead. Report the
            # checkpoint instead (its slots and the decider's state at their end).
            manifest, table = ckpt.load(self.sim.decider)
            self.saved = int(manifest["slots"])
            consistent = True
        done = 0 if table is None else int(table["step"].max()) + 1
        result = None if table is None else self.sim.result(table, seed, steps, wall, done)
        return RunInterrupted(result, done, consistent,
                              self.saved if ckpt is not None else None)


def run(
    scenario: Scenario | str | os.PathLike,
    decider: Decider | str,
    *,
    steps: int,
    seed: int = 0,
    catalog: Catalog | None = None,
    n_threads: int = 0,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    checkpoint_every_s: float = 5.0,
) -> RunResult:
    """Simulate ``steps`` slots of ``scenario`` with ``decider``.

    Example: ``run("paper", "oracle", steps=3)``.

    Args:
        scenario: a :class:`~genoff.world.scenario.Scenario`, or a built-in name (``"paper"``) or
            TOML path for :func:`~genoff.world.scenario.load_scenario`.
        decider: a :class:`~genoff.deciders.Decider`, or a name of
            :data:`genoff.deciders.DECIDERS`, made with ``make_decider(name, seed=seed)``.
        steps: time slots (>= 1).
        seed: seeds the drop, the fading, the tasks and the decider (>= 0).
        catalog: LLM catalog (the packaged one by default).
        n_threads: threads of the core (0 = all); results do not depend on it.
        progress: a tqdm bar over the slots.
        checkpoint: a folder for the run's resumable state (:class:`Checkpoint`), saved
            every ``checkpoint_every_s`` seconds of running, on Ctrl-C, and deleted when
            the run finishes. Needs a decider with ``resumable = True``.
        resume: continue from the state in ``checkpoint`` (if it holds one) instead of
            refusing it; the state must come from a run of the same scenario, decider
            settings, seed and steps.
        checkpoint_every_s: seconds between saves (0: after every slot).

    Returns:
        A :class:`RunResult`; its ``table`` has one row per request: ``step``, ``user``,
        ``cell``, ``service``, ``quality_preferred``, ``quality_req``, ``n_tokens``,
        ``est_tokens``, ``size_level``, ``capacity_bps`` (analytic) or ``radio_delay_s``
        (tti), ``offload``, ``t_tran_s``, ``t_gen_s``, ``t_total_s``, ``violated``,
        ``reward``, ``oracle_offload``, ``oracle_reward``, ``oracle_violated``.

    Raises:
        ValueError: bad ``steps``/``seed``, an unknown scenario or decider name, a
            checkpoint of another run (or any checkpoint without ``resume``).
        TypeError: ``scenario`` or ``decider`` of the wrong type.
        RunInterrupted: Ctrl-C (a :class:`KeyboardInterrupt`), with the finished slots.
    """
    steps = integer("steps", steps, ge=1, type_error=ValueError)
    seed = integer("seed", seed, ge=0, type_error=ValueError)
    real("checkpoint_every_s", checkpoint_every_s, ge=0, type_error=ValueError)
    scenario, decider = _resolve(scenario, decider, seed)
    ckpt = _checkpoint_for(checkpoint, decider)
    sim = _Simulation.build(scenario, decider, seed, catalog, n_threads)
    settings = sim.settings(seed, steps)
    manifest = _manifest_to_resume(ckpt, settings, resume)
    loop, stop, bar = _SlotLoop(sim, ckpt, settings, checkpoint_every_s), _GracefulStop(), None
    try:
        if manifest is not None:
            loop.resume()
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, initial=loop.start, unit="step",
                       desc=f"{scenario.name} / {decider.name}")
        with stop:
            loop.run(steps, stop, bar)
    except KeyboardInterrupt:
        raise loop.interrupted(stop, seed, steps) from None
    finally:
        if bar is not None:
            bar.close()
    result = sim.result(loop.table(), seed, steps, loop.wall(), steps)
    if ckpt is not None:
        ckpt.remove()
    return result


def _slot(step, scenario, network, evaluator, tasks, task_rng, fading_rng, decider,
          users) -> pd.DataFrame:
    """One time slot: requests, radio, the decider's batch, outcomes, the oracle."""
    req = tasks.sample(task_rng, users)
    radio = network.radio(req, int(fading_rng.integers(2**63)))
    ctx = StepContext(step, req, radio, evaluator)
    offload = np.asarray(decider.decide(ctx), dtype=bool)
    if offload.shape != (len(req),):
        raise ValueError(
            f"decider {decider.name!r} returned shape {offload.shape} for "
            f"{len(req)} requests"
        )
    outcome = evaluator(req, offload, radio)
    decider.observe(ctx, offload, outcome)
    best = evaluator.oracle(req, radio)
    best_outcome = evaluator(req, best, radio)
    radio_name, radio_value = radio.column
    return pd.DataFrame(
        {
            "step": np.full(len(req), step, dtype=np.int64),
            "user": req.user,
            "cell": network.serving[req.user],
            "service": pd.Categorical.from_codes(
                req.service, categories=list(SERVICE_TYPES)
            ),
            "quality_preferred": req.quality_preferred,
            "quality_req": req.quality_req,
            "n_tokens": req.n_tokens,
            "est_tokens": req.est_tokens,
            "size_level": np.asarray(scenario.tasks.size_level_names)[req.size_level],
            radio_name: radio_value,
            "offload": offload,
            "t_tran_s": outcome.t_tran_s,
            "t_gen_s": outcome.t_gen_s,
            "t_total_s": outcome.t_total_s,
            "violated": outcome.violated,
            "reward": outcome.reward,
            "oracle_offload": best,
            "oracle_reward": best_outcome.reward,
            "oracle_violated": best_outcome.violated,
        }
    )


def summarize(table: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers of a per-request table.

    ``qp_success_rate`` is the share of quality-preferred requests whose quality constraint
    (4e) held (``oracle_qp_success_rate``: the same for the oracle's decisions); ``regret``
    is the oracle's mean reward minus the decider's.
    """
    qp = table["quality_preferred"].to_numpy()
    violated = table["violated"].to_numpy()
    mean_reward = float(table["reward"].mean())
    oracle_reward = float(table["oracle_reward"].mean())
    oracle_qp = float("nan")
    if "oracle_violated" in table and qp.any():
        oracle_qp = float(1.0 - table["oracle_violated"].to_numpy()[qp].mean())
    return {
        "num_requests": int(len(table)),
        "mean_reward": mean_reward,
        "mean_delay_s": float(table["t_total_s"].mean()),
        "qp_success_rate": float(1.0 - violated[qp].mean()) if qp.any() else float("nan"),
        "violation_rate": float(violated.mean()),
        "offload_share": float(table["offload"].mean()),
        "oracle_mean_reward": oracle_reward,
        "oracle_qp_success_rate": oracle_qp,
        "regret": oracle_reward - mean_reward,
        "reward_fraction_of_oracle": mean_reward / oracle_reward if oracle_reward else float("nan"),
    }


RESULT_FILES = ("requests.parquet", "requests.csv", "run.json")


def write_results(result: RunResult, out: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Write ``requests.parquet``, ``requests.csv`` and ``run.json`` into folder ``out``.

    Every file carries the scenario, decider, seed and package version (Parquet: schema
    metadata key ``genoff``; CSV: ``#`` header lines, read back with
    ``pandas.read_csv(path, comment="#")``). Existing results are never overwritten unless
    ``force``; files are written atomically.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, but {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    existing = [name for name in RESULT_FILES if (out / name).exists()]
    if existing and not force:
        raise FileExistsError(
            f"{out} already holds results ({', '.join(existing)}); choose another folder or "
            "pass force=True (--force) to overwrite them"
        )
    meta = dict(result.meta, summary=result.summary)
    csv_path, pq_path = write_table(
        result.table, out / "requests", meta,
        {"scenario": result.meta["scenario"], "decider": result.meta["decider"]},
        csv_lines=[f"seed {result.meta['seed']} steps {result.meta['steps']}"],
    )
    json_path = out / RESULT_FILES[2]
    atomic_write_text(json_path, json.dumps(meta, indent=2, default=json_default) + "\n")
    return [pq_path, csv_path, json_path]
