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
whichever executor ran the runs and whether or not the sweep was interrupted.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from genoff._util.io import atomic_write, json_default
from genoff.deciders import LLM_DECIDERS
from genoff.experiments import runner
from genoff.experiments.runner import summarize

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
        from genoff.deciders import DECIDERS

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
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
            object.__setattr__(self, name, int(v))

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
        from genoff.deciders import make_decider
        from genoff.world.scenario import load_scenario

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
    from genoff.world.scenario import load_scenario

    if not isinstance(base, RunSpec):
        raise TypeError(f"base must be a RunSpec, got {type(base).__name__}")
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid must be a mapping, got {type(grid).__name__}")
    for name, v in (("seeds", seeds), ("root_seed", root_seed)):
        lo = 1 if name == "seeds" else 0
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
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
    seed_list = replica_seeds(int(seeds), int(root_seed))
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


#: Deciders that run PyTorch (their threads follow ``n_threads_per_run`` too).
_TORCH_DECIDERS = LLM_DECIDERS | {"dqn"}


def _execute(
    spec_data: dict[str, Any], path: str, n_threads: int, progress: bool = False,
    quiet: bool = False,
) -> str:
    """Worker: rebuild the spec's scenario and decider, run it, write its table atomically.

    ``quiet`` (in worker processes): no model-loading progress bars, which would garble
    the sweep's bar.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = RunSpec.from_dict(spec_data)
    scenario, decider = spec.build()
    if quiet and spec.decider in LLM_DECIDERS:
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:  # pragma: no cover - the ICL decider will say what is missing
            pass
    torch_threads = None
    if n_threads > 0 and spec.decider in _TORCH_DECIDERS:
        # Same thread count wherever the run executes: CPU float reductions (and so
        # near-tie decisions) then match bit for bit between executors.
        import torch

        torch_threads = torch.get_num_threads()
        torch.set_num_threads(n_threads)
    try:
        result = runner.run(
            scenario, decider, steps=spec.steps, seed=spec.seed, n_threads=n_threads,
            progress=progress,
        )
    finally:
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)
    meta = dict(result.meta, summary=result.summary)
    meta_json = json.dumps(meta, default=json_default)

    def write(tmp: str) -> None:
        t = pa.Table.from_pandas(result.table, preserve_index=False)
        t = t.replace_schema_metadata(
            {
                **(t.schema.metadata or {}),
                _META_KEY: meta_json.encode(),
                _SPEC_KEY: spec.to_json().encode(),
            }
        )
        pq.write_table(t, tmp)

    atomic_write(path, write)
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
    row.update(summarize(table))
    return row


EXECUTORS = ("serial", "process", "dask", "ray")


class RayExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` over Ray tasks (``pip install 'genoff[ray]'``).

    Each ``submit`` becomes a Ray task of one CPU; its ``ObjectRef.future()`` is returned.
    Connects to ``address`` (``"auto"`` or ``"ray://host:10001"``) or starts a local Ray
    with ``num_cpus``; ``shutdown`` stops only a Ray this executor started.
    """

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        import logging

        import ray

        self._ray = ray
        self._own = not ray.is_initialized()
        if self._own:
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                logging_level=logging.WARNING,
                configure_logging=False,
            )
        self._tasks: dict[Any, Any] = {}

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        task = self._tasks.get(fn)
        if task is None:
            task = self._tasks[fn] = self._ray.remote(num_cpus=1)(fn)
        return task.remote(*args, **kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._own and self._ray.is_initialized():
            self._ray.shutdown()
            self._own = False


def check_executor(
    executor: cf.Executor | str, workers: int | None = None, address: str | None = None
) -> None:
    """``ValueError``/``TypeError`` naming the argument unless ``executor`` is an Executor or
    one of :data:`EXECUTORS`, ``workers`` is None or an integer >= 1, and ``address`` is
    given only to the dask and ray executors."""
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise ValueError(
                f"executor must be an Executor or one of {', '.join(EXECUTORS)}, got {executor!r}"
            )
        if address is not None and executor in ("serial", "process"):
            raise ValueError(f"address is for the dask and ray executors, not {executor!r}")
    elif not isinstance(executor, cf.Executor):
        raise TypeError(f"executor must be an Executor or a string, got {type(executor).__name__}")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1
    ):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")


@contextlib.contextmanager
def make_executor(kind: str = "process", workers: int | None = None, address: str | None = None):
    """An executor of a kind, shut down on exit of the ``with`` block.

    Args:
        kind: ``"serial"`` (yields the string ``"serial"``: runs in this process),
            ``"process"`` (a ``spawn`` process pool), ``"dask"`` (a ``dask.distributed``
            client: a local cluster of ``workers`` single-threaded processes, or the
            scheduler at ``address``; ``pip install 'genoff[dask]'``) or ``"ray"``
            (:class:`RayExecutor`; ``pip install 'genoff[ray]'``).
        workers: parallel runs on this machine (default ``os.cpu_count()``); ignored when
            ``address`` names a cluster.
        address: a dask scheduler (``tcp://host:8786``) or Ray cluster (``auto``) address.
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string, got {type(kind).__name__}")
    check_executor(kind, workers, address)
    n = int(workers) if workers is not None else (os.cpu_count() or 1)
    if kind == "serial":
        yield "serial"
    elif kind == "process":
        import multiprocessing

        ex = cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield ex
        except BaseException:
            # Ctrl-C or an error: stop now rather than finish the runs in flight (each run
            # writes its file atomically, so a run cut short leaves nothing behind).
            _kill_workers(ex)
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)
    elif kind == "dask":
        try:
            from distributed import Client, LocalCluster
        except ImportError as e:
            raise ImportError(
                "the dask executor needs dask.distributed: pip install 'genoff[dask]'"
            ) from e
        cluster = None
        if address is None:
            cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            )
        client = Client(cluster if cluster is not None else address)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        try:
            import ray  # noqa: F401
        except ImportError as e:
            raise ImportError("the ray executor needs ray: pip install 'genoff[ray]'") from e
        ex = RayExecutor(address, num_cpus=n)
        try:
            yield ex
        finally:
            ex.shutdown()


def _kill_workers(ex: cf.ProcessPoolExecutor) -> None:
    kill = getattr(ex, "kill_workers", None)  # Python >= 3.14
    if kill is not None:
        kill()
        return
    for p in list((getattr(ex, "_processes", None) or {}).values()):
        try:
            p.kill()
        except (OSError, ValueError, AttributeError):
            pass


def _cost(spec: RunSpec) -> float:
    """A rough relative cost of a run, to start the longest first (better load balance)."""
    per_request = {"icl-latest": 2.0, "icl": 1.0, "icl-noexplore": 1.0, "llm-prior": 0.05,
                   "dqn": 0.005}.get(
        spec.decider, 0.001
    )
    users = spec.overrides.get("layout.users_per_cell", 20)
    users = users if isinstance(users, (int, float)) else 20
    return spec.steps * float(users) * per_request


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
    nt = n_threads_per_run
    if isinstance(nt, bool) or not isinstance(nt, (int, np.integer)) or nt < 0:
        raise ValueError(f"n_threads_per_run must be an integer >= 0, got {nt!r}")
    n_threads_per_run = int(nt)
    if executor is None:
        executor = "process"
    check_executor(executor, workers, address)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir must be a folder, but {out} is a file")
    runs = out / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    _clean_stale(runs)

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
    pending.sort(key=_cost, reverse=True)  # stable: equal costs keep spec order

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(unique), initial=len(tables), desc="sweep", unit="run")
    errors: list[tuple[RunSpec, BaseException]] = []
    try:
        if executor == "serial" and pending:
            for s in pending:
                try:
                    _execute(s.to_dict(), str(_run_path(out, s)), n_threads_per_run, progress)
                except Exception as e:  # keep going: the other runs are still worth having
                    errors.append((s, e))
                if bar is not None:
                    bar.update(1)
        elif pending:
            with contextlib.ExitStack() as stack:
                if isinstance(executor, str):
                    executor = stack.enter_context(
                        make_executor(
                            executor,
                            min(workers or os.cpu_count() or 1, len(pending)),
                            address,
                        )
                    )
                _submit_all(executor, pending, out, n_threads_per_run, bar, errors)
    finally:
        if bar is not None:
            bar.close()
    if errors:
        s, e = errors[0]
        raise RuntimeError(
            f"{len(errors)} of {len(pending)} runs failed (finished runs are kept in {runs}); "
            f"first: {s.to_json()}: {type(e).__name__}: {e}"
        ) from e

    for s in pending:
        t = _read_finished(_run_path(out, s), s)
        if t is None:  # pragma: no cover - the worker just wrote it
            raise RuntimeError(f"run {s.key} finished but {_run_path(out, s)} does not read")
        tables[s.key] = t
    override_keys = sorted({k for s in specs for k in s.overrides})
    rows = [_summary_row(s, tables[s.key], override_keys) for s in specs]
    columns = list(SPEC_COLUMNS) + override_keys
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=columns)
    return df


def _submit_all(executor, pending, out, n_threads_per_run, bar, errors) -> None:
    futures: dict[cf.Future, RunSpec] = {}
    try:
        for s in pending:
            fut = executor.submit(
                _execute, s.to_dict(), str(_run_path(out, s)), n_threads_per_run, False, True
            )
            futures[fut] = s
        for fut in cf.as_completed(futures):
            exc = fut.exception()
            if exc is not None:
                errors.append((futures[fut], exc))
            if bar is not None:
                bar.update(1)
    except BaseException:
        for f in futures:
            f.cancel()
        raise
