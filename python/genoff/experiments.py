"""Runs: a scenario x a decider -> a per-request table, its summary, and files on disk.

:func:`run` simulates ``steps`` time slots. Each slot every user issues its requests
(SPEC Sec. 2), the decider decides them in one batch, the core evaluates the decisions
(eq. 1-10), the decider observes the outcomes, and the oracle's best decisions are evaluated
alongside for regret. Users are dropped once per run; in ``analytic`` mode their capacities
``C`` come from one full-buffer PF run of ``scheduler.num_tti`` TTIs, in ``tti`` mode every
slot's contents are drained through finite buffers.

Many runs (grids of scenario overrides x deciders x seeds, on any executor, resumable) are
:mod:`genoff.sweeps`; the paper's Fig. 5 is :func:`genoff.reproduce.reproduce`. Both are
re-exported here (``genoff.experiments.run_sweep``, ``genoff.experiments.reproduce``).

Seeds: one integer seeds everything through :class:`numpy.random.SeedSequence`
(``spawn`` gives independent streams for the drop, the fading, the tasks and the decider),
so a run is reproducible from ``(scenario, decider, steps, seed)``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoff import __version__
from genoff._io import atomic_write
from genoff.catalog import Catalog
from genoff.deciders import Decider
from genoff.scenario import Scenario
from genoff.sim import Evaluator, Network, StepContext
from genoff.tasks import TaskGenerator

__all__ = [
    "run",
    "summarize",
    "write_results",
    "RunResult",
    # sweeps and the Fig. 5 reproduction (genoff.sweeps, genoff.reproduce), re-exported:
    "RunSpec",
    "expand_grid",
    "run_sweep",
    "make_executor",
    "reproduce",
    "PANELS",
]

_SWEEPS = ("RunSpec", "expand_grid", "run_sweep", "make_executor")


def __getattr__(name: str) -> Any:
    # Lazy: genoff.sweeps and genoff.reproduce import this module.
    if name in _SWEEPS:
        from genoff import sweeps

        return getattr(sweeps, name)
    if name in ("reproduce", "PANELS"):
        from genoff import reproduce

        return getattr(reproduce, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class RunResult:
    """A run's per-request table, its summary and the metadata that produced it."""

    table: pd.DataFrame
    summary: dict[str, Any]
    meta: dict[str, Any]


def _seed_int(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def run(
    scenario: Scenario,
    decider: Decider,
    *,
    steps: int,
    seed: int = 0,
    catalog: Catalog | None = None,
    n_threads: int = 0,
    progress: bool = False,
) -> RunResult:
    """Simulate ``steps`` slots of ``scenario`` with ``decider``.

    Returns:
        A :class:`RunResult`; its ``table`` has one row per request: ``step``, ``user``,
        ``cell``, ``service``, ``quality_preferred``, ``quality_req``, ``n_tokens``,
        ``est_tokens``, ``size_level``, ``capacity_bps`` (analytic) or ``radio_delay_s``
        (tti), ``offload``, ``t_tran_s``, ``t_gen_s``, ``t_total_s``, ``violated``,
        ``reward``, ``oracle_offload``, ``oracle_reward``, ``oracle_violated``.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    ss_drop, ss_fading, ss_tasks, ss_decider = np.random.SeedSequence(int(seed)).spawn(4)
    network = Network(scenario, np.random.default_rng(ss_drop), n_threads=n_threads)
    evaluator = Evaluator(scenario, catalog)
    tasks = TaskGenerator(scenario.tasks)
    task_rng = np.random.default_rng(ss_tasks)
    fading_rng = np.random.default_rng(ss_fading)
    decider.reset(_seed_int(ss_decider))
    users = np.arange(network.num_ue)
    frames = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=f"{scenario.name} / {decider.name}", unit="step")
    t0 = time.perf_counter()
    try:
        for step in range(steps):
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
            frames.append(
                pd.DataFrame(
                    {
                        "step": np.full(len(req), step, dtype=np.int64),
                        "user": req.user,
                        "cell": network.serving[req.user],
                        "service": pd.Categorical.from_codes(
                            req.service, categories=list(_service_names())
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
            )
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0
    table = pd.concat(frames, ignore_index=True)
    summary = summarize(table)
    summary["wall_time_s"] = wall
    summary["wall_time_per_step_s"] = wall / steps
    stats = getattr(decider, "stats", None)
    stats = stats() if callable(stats) else stats
    meta = {
        "genoff_version": __version__,
        "scenario": scenario.to_dict(),
        "decider": decider.config(),
        "decider_stats": dict(stats) if isinstance(stats, dict) else None,
        "steps": int(steps),
        "seed": int(seed),
        "edge_model": evaluator.edge.name,
        "cloud_model": evaluator.cloud.name,
    }
    return RunResult(table, summary, meta)


def _service_names() -> tuple[str, ...]:
    from genoff.tasks import SERVICE_TYPES

    return SERVICE_TYPES


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
    meta_json = json.dumps(meta, indent=2, default=_json_default)

    def parquet(tmp: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        t = pa.Table.from_pandas(result.table, preserve_index=False)
        t = t.replace_schema_metadata({**(t.schema.metadata or {}), b"genoff": meta_json.encode()})
        pq.write_table(t, tmp)

    def csv(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"# genoff {result.meta['genoff_version']}\n")
            f.write(f"# seed {result.meta['seed']} steps {result.meta['steps']}\n")
            f.write("# scenario " + json.dumps(result.meta["scenario"], default=_json_default) + "\n")
            f.write("# decider " + json.dumps(result.meta["decider"], default=_json_default) + "\n")
            result.table.to_csv(f, index=False)

    def js(tmp: str) -> None:
        Path(tmp).write_text(meta_json + "\n", encoding="utf-8")

    paths = []
    for name, writer in zip(RESULT_FILES, (parquet, csv, js)):
        atomic_write(out / name, writer)
        paths.append(out / name)
    return paths


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.ndarray, tuple)):
        return list(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
