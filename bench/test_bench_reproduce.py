"""Wall time of ``genoff reproduce`` (all six panels, default sizes): target <= 10 minutes
on a 2-core machine.

One round (it takes minutes), into a fresh folder, with the default executor (a process pool
of one worker per core, one thread per run). The baseline measured in the same call is the
serial time the same runs would take: the sum of every run's own wall time (recorded in its
result file's metadata), so ``serial_equivalent_s / wall_s`` is the speed-up of the parallel sweep and
``wall_s`` minus that over the worker count is the overhead (process start-up, model loads,
tables, plots).

Run: ``HF_HUB_OFFLINE=1 python -m pytest bench/test_bench_reproduce.py -s
--benchmark-json=out.json``.
"""

from __future__ import annotations

import os

import pandas as pd
from genoff import fig5 as rp
from genoff.experiments.sweep import RUNS_DIR, read_run

TARGET_S = 600.0


def test_reproduce_default_sizes(benchmark, tmp_path):
    out = tmp_path / "figs"
    result = benchmark.pedantic(
        rp.reproduce, args=(out,), kwargs={"progress": False}, rounds=1, iterations=1
    )
    runs = pd.read_parquet(out / "runs.parquet")
    own = {}
    for f in (out / RUNS_DIR).glob("*.parquet"):
        spec, _, meta = read_run(f)
        own[spec.key] = meta["summary"]["wall_time_s"]
    runs["wall_time_s"] = runs["key"].map(own)
    serial_s = float(runs["wall_time_s"].sum())
    wall = result.wall_time_s
    workers = os.cpu_count() or 1
    by_decider = runs.groupby("decider")["wall_time_s"].agg(["count", "sum"]).round(1)
    benchmark.group = "reproduce"
    benchmark.extra_info.update(
        {
            "wall_s": wall,
            "target_s": TARGET_S,
            "serial_equivalent_s": serial_s,
            "speedup_vs_serial": serial_s / wall,
            "workers": workers,
            "runs": len(runs),
            "run_seconds_by_decider": by_decider.to_dict(orient="index"),
            "trends": {f"{t.panel}: {t.claim}": t.holds for t in result.trends},
        }
    )
    print(f"\nreproduce (all panels, default sizes): {wall:.0f} s (target {TARGET_S:.0f} s); "
          f"runs' own time {serial_s:.0f} s = {serial_s / wall:.2f}x the wall time on "
          f"{workers} workers")
    print(by_decider.to_string())
    for t in result.trends:
        print(f"Fig. 5({t.panel}) {t.line()}")
    assert len(result.tables) == 6
