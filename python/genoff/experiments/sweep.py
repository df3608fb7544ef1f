"""Sweeps: many runs (a grid of scenario overrides x deciders x seeds), parallel and resumable.

A run is described by a :class:`RunSpec` (scenario name or path, dotted overrides, decider
name and keyword arguments, steps, seed): plain, picklable, JSON-able data. Its
:attr:`RunSpec.key` (the SHA-256 of its canonical JSON) names its result file.

:func:`expand_grid` turns a base spec and a grid of values into the list of specs;
:func:`run_sweep` runs every spec that is not finished yet, each in a worker that rebuilds
the scenario and the decider from the spec, and writes each run's per-request table as it
finishes to ``out_dir/runs/<key>.parquet`` (atomically, with the spec and the run's
metadata in the Parquet schema metadata). A run is finished iff its file exists and reads
back, so an interrupted sweep (even a killed one) is resumed by calling :func:`run_sweep`
again with the same specs. The summary table is computed from the files, so it is the same
whichever executor ran the runs (:mod:`genoff.experiments.executors`; :func:`make_executor`,
:func:`check_executor`, :class:`RayExecutor` and :data:`EXECUTORS` are re-exported here)
and whether or not the sweep was interrupted.

Example::

    base = RunSpec("paper", steps=200)
    specs = expand_grid(base, {"decider": ["oracle", "local", "random"],
                               "layout.users_per_cell": [10, 20, 30]}, seeds=5, root_seed=0)
    table = run_sweep(specs, "results/fig5")
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

import genoff.experiments.runner as runner
from genoff._util.io import write_table
from genoff._util.validate import integer
from genoff.deciders.registry import DECIDERS, info, make_decider
from genoff.experiments.executors import EXECUTORS, RayExecutor, check_executor, make_executor
from genoff.world.scenario import load_scenario

__all__ = [
    "RunSpec",
    "expand_grid",
    "run_sweep",
    "read_run",
    "make_executor",
    "check_executor",
    "RayExecutor",
    "EXECUTORS",
    "RUNS_DIR",
]

#: Subfolder of a sweep's ``out_dir`` that holds one Parquet file per finished run.
RUNS_DIR = "runs"

# A run file's Parquet schema metadata: the run's metadata (the key write_table writes) and
# its spec.
_META_KEY = b"genoff"
_SPEC_KEY = b"genoff_spec"

#: Columns of the summary table that describe the spec (override columns follow them).
SPEC_COLUMNS = ("key", "scenario", "decider", "decider_kwargs", "steps", "seed")

_SPEC_FIELDS = frozenset(("scenario", "overrides", "decider", "decider_kwargs", "steps", "seed"))


def _canonical(value: Any, where: str) -> Any:
    """``value`` as plain JSON data (tuples become lists, numpy scalars Python numbers);
    ``ValueError`` naming ``where`` if it is not JSON-able."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"{where}: non-finite number {value!r} is not allowed")
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(list(value))]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: keys must be strings, got {k!r}")
            out[k] = _canonical(v, f"{where}.{k}")
        return out
    raise ValueError(f"{where}: {type(value).__name__} value {value!r} is not JSON-able")


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes:
        scenario: a built-in scenario name (``"paper"``) or a TOML file path. Only the
            name/path enters :attr:`key`: edit a scenario file and you get stale results
            unless you use a fresh ``out_dir``.
        overrides: dotted scenario fields -> values (:meth:`Scenario.with_overrides`).
        decider: a name of :data:`genoff.deciders.DECIDERS`.
        decider_kwargs: keyword arguments of the decider (JSON-able).
        steps: time slots simulated.
        seed: the run's seed (:func:`genoff.experiments.run`).
    """

    scenario: str = "paper"
    overrides: Mapping[str, Any] = field(default_factory=dict)
    decider: str = "oracle"
    decider_kwargs: Mapping[str, Any] = field(default_factory=dict)
    steps: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        scenario = self.scenario
        if isinstance(scenario, os.PathLike):
            scenario = os.fspath(scenario)
        if not isinstance(scenario, str) or not scenario:
            raise ValueError(f"scenario must be a scenario name or path, got {self.scenario!r}")
        object.__setattr__(self, "scenario", scenario)
        if not isinstance(self.overrides, Mapping):
            raise ValueError(f"overrides must be a mapping, got {type(self.overrides).__name__}")
        for k in self.overrides:
            if not isinstance(k, str) or not k:
                raise ValueError(f"override keys must be dotted field names, got {k!r}")
        object.__setattr__(
            self, "overrides", dict(sorted(_canonical(self.overrides, "overrides").items()))
        )
        if not isinstance(self.decider, str) or self.decider not in DECIDERS:
            raise ValueError(
                f"unknown decider {self.decider!r}; known: {', '.join(sorted(DECIDERS))}"
            )
        if not isinstance(self.decider_kwargs, Mapping):
            raise ValueError(
                f"decider_kwargs must be a mapping, got {type(self.decider_kwargs).__name__}"
            )
        object.__setattr__(
            self,
            "decider_kwargs",
            dict(sorted(_canonical(self.decider_kwargs, "decider_kwargs").items())),
        )
        for name, lo in (("steps", 1), ("seed", 0)):
            object.__setattr__(
                self, name, integer(name, getattr(self, name), ge=lo, type_error=ValueError)
            )

    def __hash__(self) -> int:
        return hash(self.key)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; ``RunSpec.from_dict(s.to_dict()) == s``."""
        return {
            "scenario": self.scenario,
            "overrides": dict(self.overrides),
            "decider": self.decider,
            "decider_kwargs": dict(self.decider_kwargs),
            "steps": self.steps,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        unknown = set(data) - _SPEC_FIELDS
        if unknown:
            raise ValueError(f"unknown RunSpec fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no whitespace): the input of :attr:`key`."""
        return _dumps(self.to_dict())

    @property
    def key(self) -> str:
        """SHA-256 (hex) of :meth:`to_json`: stable across processes and sessions."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def replace(self, **changes: Any) -> RunSpec:
        return RunSpec(**{**self.to_dict(), **changes})

    def build(self):
        """``(scenario, decider)`` of this spec, freshly built.

        The decider is created with ``seed`` = the spec's seed (unless ``decider_kwargs``
        sets one), as ``genoff simulate --seed`` does: everything it draws when created
        (the DQN's initial weights) then follows from the spec, so a run gives the same
        table in every process and every call.
        """
        scenario = load_scenario(self.scenario)
        if self.overrides:
            scenario = scenario.with_overrides(self.overrides)
        kwargs = dict(self.decider_kwargs)
        seed = kwargs.pop("seed", self.seed)
        return scenario, make_decider(self.decider, seed=seed, **kwargs)


# ---------------------------------------------------------------------------------------
# Grids


def replica_seeds(seeds: int, root_seed: int) -> list[int]:
    children = np.random.SeedSequence(root_seed).spawn(seeds)
    # 63 bits so that seeds fit int64 columns (Parquet, pandas).
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def expand_grid(
    base: RunSpec, grid: Mapping[str, Sequence[Any]], seeds: int = 1, root_seed: int = 0
) -> list[RunSpec]:
    """The cartesian product of ``grid`` applied to ``base``, times ``seeds`` replicas.

    Args:
        base: the spec every run starts from (its ``seed`` is replaced).
        grid: dotted scenario fields (merged into ``base.overrides``) or ``"decider"``,
            each -> a non-empty list of values. Keys vary in the given order, the last
            fastest; replicas vary fastest of all.
        seeds: replicas per grid point. Replica ``i`` gets the ``i``-th child of
            ``numpy.random.SeedSequence(root_seed).spawn(seeds)`` as an integer, the same
            at every grid point (common random numbers across the grid).
        root_seed: seeds the replicas.

    Raises:
        ValueError: naming an unknown grid key or decider, an invalid value, an empty list.
    """
    if not isinstance(base, RunSpec):
        raise TypeError(f"base must be a RunSpec, got {type(base).__name__}")
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid must be a mapping, got {type(grid).__name__}")
    seeds = integer("seeds", seeds, ge=1, type_error=ValueError)
    root_seed = integer("root_seed", root_seed, ge=0, type_error=ValueError)
    keys = list(grid)
    values: list[list[Any]] = []
    scenario = None
    for key in keys:
        vals = grid[key]
        if isinstance(vals, (str, bytes)) or not isinstance(vals, Iterable):
            raise ValueError(f"grid[{key!r}] must be a list of values, got {vals!r}")
        vals = list(vals)
        if not vals:
            raise ValueError(f"grid[{key!r}] is empty")
        if not isinstance(key, str) or not key:
            raise ValueError(f"bad grid key {key!r}")
        if key == "decider":
            for v in vals:
                base.replace(decider=v)  # ValueError naming an unknown decider
        else:
            if scenario is None:
                scenario = load_scenario(base.scenario)
            for v in vals:
                try:
                    scenario.with_overrides({**base.overrides, key: v})
                except (ValueError, TypeError) as e:
                    raise ValueError(f"bad grid key or value {key!r} = {v!r}: {e}") from None
        values.append(vals)
    seed_list = replica_seeds(seeds, root_seed)
    specs = []
    for point in itertools.product(*values):
        changes: dict[str, Any] = {}
        overrides = dict(base.overrides)
        for key, v in zip(keys, point):
            if key == "decider":
                changes["decider"] = v
            else:
                overrides[key] = v
        changes["overrides"] = overrides
        for s in seed_list:
            specs.append(base.replace(**changes, seed=s))
    return specs


# ---------------------------------------------------------------------------------------
# Running


def _run_path(out_dir: Path, spec: RunSpec) -> Path:
    return out_dir / RUNS_DIR / f"{spec.key}.parquet"


@contextlib.contextmanager
def _torch_threads(n_threads: int, uses_torch: bool):
    """PyTorch's threads set to ``n_threads`` (> 0) for a decider that ``uses_torch``, and
    reset afterwards: CPU float reductions (and so near-tie decisions) then match bit for
    bit wherever the run executes."""
    if n_threads <= 0 or not uses_torch:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _hide_model_loading_bars() -> None:
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - the LLM decider will say what is missing
        pass


def _execute(
    spec_data: dict[str, Any], path: str, n_threads: int, progress: bool = False,
    quiet: bool = False,
) -> str:
    """Worker: rebuild the spec's scenario and decider, run it, write its table atomically.

    ``quiet`` (in worker processes): no model-loading progress bars, which would garble
    the sweep's bar.
    """
    spec = RunSpec.from_dict(spec_data)
    scenario, decider = spec.build()
    decider_info = info(spec.decider)
    if quiet and decider_info.uses_llm:
        _hide_model_loading_bars()
    with _torch_threads(n_threads, decider_info.uses_torch):
        result = runner.run(
            scenario, decider, steps=spec.steps, seed=spec.seed, n_threads=n_threads,
            progress=progress,
        )
    write_table(result.table, Path(path).with_suffix(""), dict(result.meta, summary=result.summary),
                csv=False, parquet_metadata={_SPEC_KEY.decode(): spec.to_json()})
    return path


def read_run(path: str | os.PathLike) -> tuple[RunSpec, pd.DataFrame, dict[str, Any]]:
    """A run file's ``(spec, per-request table, metadata)``; raises if it does not read."""
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    md = t.schema.metadata or {}
    spec = RunSpec.from_dict(json.loads(md[_SPEC_KEY]))
    meta = json.loads(md[_META_KEY])
    return spec, t.to_pandas(), meta


def _read_finished(path: Path, spec: RunSpec) -> pd.DataFrame | None:
    """The table of a finished run, or ``None`` (a missing, unreadable or foreign file)."""
    if not path.is_file():
        return None
    try:
        got, table, _ = read_run(path)
    except Exception:
        return None
    return table if got == spec else None


def _clean_stale(runs: Path) -> None:
    # atomic_write removes its temporary file on exceptions, not when killed (SIGKILL).
    for p in runs.glob(".*.tmp"):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _summary_row(spec: RunSpec, table: pd.DataFrame, override_keys: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": spec.key,
        "scenario": spec.scenario,
        "decider": spec.decider,
        "decider_kwargs": _dumps(spec.decider_kwargs),
        "steps": spec.steps,
        "seed": spec.seed,
    }
    for k in override_keys:
        v = spec.overrides.get(k)
        row[k] = _dumps(v) if isinstance(v, (list, dict)) else v
    row.update(runner.summarize(table))
    return row


def _cost(spec: RunSpec) -> float:
    """A rough relative cost of a run, to start the longest first (better load balance):
    slots x users per cell x the decider's :attr:`~genoff.deciders.DeciderInfo.cost_per_request`."""
    users = spec.overrides.get("layout.users_per_cell", 20)
    users = users if isinstance(users, (int, float)) else 20
    return spec.steps * float(users) * info(spec.decider).cost_per_request


def run_sweep(
    specs: Sequence[RunSpec],
    out_dir: str | os.PathLike,
    *,
    executor: cf.Executor | str | None = None,
    workers: int | None = None,
    address: str | None = None,
    n_threads_per_run: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every spec not finished in ``out_dir`` yet; one summary row per spec.

    Each run's per-request table is written as it finishes to
    ``out_dir/runs/<key>.parquet`` (atomically; the spec and the run's metadata are in the
    Parquet schema metadata, see :func:`read_run`). A run whose file exists and reads back
    is skipped, so rerunning an interrupted sweep finishes it. Stale temporary files of a
    killed sweep (``runs/.*.tmp``) are deleted first: don't run two sweeps into the same
    ``out_dir`` at once. Runs start longest first (ICL before DQN before the rest).

    Args:
        specs: the runs (duplicates run once).
        out_dir: the sweep's folder (created).
        executor: a :class:`concurrent.futures.Executor` (not shut down here), or a kind
            of :func:`make_executor` (``"serial"``, ``"process"``, ``"dask"``, ``"ray"``),
            made and shut down here; ``None`` = ``"process"``.
        workers: parallel runs of an executor made here (default ``os.cpu_count()``).
        address: the dask scheduler or Ray cluster of an executor made here.
        n_threads_per_run: threads of the core (and of PyTorch, for the ICL and DQN
            deciders) per run; keep 1 when several run at once. 0 = all (the core) /
            PyTorch's default.
        progress: show a tqdm bar over runs (and, serially, one over each run's steps).

    Returns:
        One row per spec in spec order: ``key``, ``scenario``, ``decider``,
        ``decider_kwargs`` (JSON), ``steps``, ``seed``, one column per override key of any
        spec (dotted name; missing -> None), then :func:`genoff.experiments.summarize`'s
        numbers. Computed from the files: identical whichever executor ran the runs.

    Raises:
        RuntimeError: when runs failed (after the others finished), chaining the first error.
    """
    specs = list(specs)
    for i, s in enumerate(specs):
        if not isinstance(s, RunSpec):
            raise TypeError(f"specs[{i}] must be a RunSpec, got {type(s).__name__}")
    n_threads = integer("n_threads_per_run", n_threads_per_run, ge=0, type_error=ValueError)
    executor = "process" if executor is None else executor
    check_executor(executor, workers, address)
    out = Path(out_dir)
    runs = _runs_folder(out)
    tables, pending = _finished_and_pending(specs, out)
    errors: list[tuple[RunSpec, BaseException]] = []
    with _sweep_bar(progress, len(tables) + len(pending), len(tables)) as advance:
        if executor == "serial":
            for s in pending:
                try:
                    _execute(s.to_dict(), str(_run_path(out, s)), n_threads, progress)
                except Exception as e:  # keep going: the other runs are still worth having
                    errors.append((s, e))
                advance()
        elif pending:
            with contextlib.ExitStack() as stack:
                if isinstance(executor, str):
                    executor = stack.enter_context(make_executor(
                        executor, min(workers or os.cpu_count() or 1, len(pending)), address))
                _submit_all(executor, pending, out, n_threads, advance, errors)
    if errors:
        s, e = errors[0]
        raise RuntimeError(
            f"{len(errors)} of {len(pending)} runs failed (finished runs are kept in {runs}); "
            f"first: {s.to_json()}: {type(e).__name__}: {e}"
        ) from e
    return _summary_table(specs, out, tables, pending)


def _runs_folder(out: Path) -> Path:
    """``out/runs``, created, without the temporary files of a killed sweep."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir must be a folder, but {out} is a file")
    runs = out / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    _clean_stale(runs)
    return runs


def _finished_and_pending(
    specs: Sequence[RunSpec], out: Path
) -> tuple[dict[str, pd.DataFrame], list[RunSpec]]:
    """The tables of the finished runs by key, and the other runs (each once), costliest
    first (:func:`_cost`; equal costs keep spec order)."""
    unique: dict[str, RunSpec] = {}
    for s in specs:
        unique.setdefault(s.key, s)
    tables: dict[str, pd.DataFrame] = {}
    pending: list[RunSpec] = []
    for key, s in unique.items():
        t = _read_finished(_run_path(out, s), s)
        if t is None:
            pending.append(s)
        else:
            tables[key] = t
    pending.sort(key=_cost, reverse=True)  # stable
    return tables, pending


@contextlib.contextmanager
def _sweep_bar(progress: bool, total: int, done: int):
    """A function that counts one finished run (on a tqdm bar with ``progress``)."""
    if not progress:
        yield lambda: None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=done, desc="sweep", unit="run")
    try:
        yield lambda: bar.update(1)
    finally:
        bar.close()


def _summary_table(specs: Sequence[RunSpec], out: Path, tables: dict[str, pd.DataFrame],
                   pending: Sequence[RunSpec]) -> pd.DataFrame:
    """:func:`run_sweep`'s table, from the run files."""
    for s in pending:
        t = _read_finished(_run_path(out, s), s)
        if t is None:  # pragma: no cover - the worker just wrote it
            raise RuntimeError(f"run {s.key} finished but {_run_path(out, s)} does not read")
        tables[s.key] = t
    override_keys = sorted({k for s in specs for k in s.overrides})
    rows = [_summary_row(s, tables[s.key], override_keys) for s in specs]
    if not rows:
        return pd.DataFrame(columns=list(SPEC_COLUMNS) + override_keys)
    return pd.DataFrame(rows)


def _submit_all(executor: cf.Executor, pending: Sequence[RunSpec], out: Path, n_threads: int,
                advance: Callable[[], None], errors: list) -> None:
    futures: dict[cf.Future, RunSpec] = {}
    try:
        for s in pending:
            fut = executor.submit(
                _execute, s.to_dict(), str(_run_path(out, s)), n_threads, False, True
            )
            futures[fut] = s
        for fut in cf.as_completed(futures):
            exc = fut.exception()
            if exc is not None:
                errors.append((futures[fut], exc))
            advance()
    except BaseException:
        for f in futures:
            f.cancel()
        raise
