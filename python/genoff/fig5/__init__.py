"""The paper's Fig. 5, reproduced with one call: runs, tables, plots and a report.

Panels (Zhou et al., IEEE WCL 2025, Fig. 5):

* **a**: system reward over time of regular and of quality-preferred tasks, for the
  in-context-learning decider of each LLM (the embedded SmolLM2 by default) and DQN, with the
  oracle's reward as the reference;
* **b**: service success rate of quality-preferred tasks over time (same runs);
* **c**: ICL with prioritized replay + epsilon-greedy (the proposal) vs latest-experience
  replay vs no exploration, and DQN;
* **d, e, f**: average service delay vs users per cell, vs mean output tokens and vs the
  share of quality-preferred tasks, for each of the paper's edge + cloud LLM combinations
  (decided by the exact oracle by default).

Everything is a :mod:`genoff.experiments.sweep` sweep: runs are written to ``out/runs`` as they finish
and skipped when rerun, so an interrupted :func:`reproduce` called again with the same
settings resumes and ends with the same tables. Seeds come from
``numpy.random.SeedSequence(root_seed).spawn(seeds)`` and are shared by every series and
grid point (common random numbers). Each curve is the mean over seeds with a 95 % Student-t
confidence band of the seed-to-seed spread (rates: clipped to [0, 1]).

Files in ``out``: ``fig5<p>.png``, ``fig5<p>.csv`` and ``fig5<p>.parquet`` per panel (tidy
tables with the settings, seeds and package version in their metadata / ``#`` header
lines), ``runs.csv`` / ``runs.parquet`` (one summary row per run), ``report.md`` (each
panel, its trend in words, whether the paper's trend holds, and the oracle's reference
values) and ``reproduce.json`` (settings, seeds, trends, wall time).

Modules: :mod:`~genoff.fig5.settings` (panels, :class:`Sizes`, :class:`Settings`),
:mod:`~genoff.fig5.specs` (the runs of each panel, series labels), :mod:`~genoff.fig5.tables`
(per-slot metrics, confidence intervals), :mod:`~genoff.fig5.trends` (the paper's claims),
:mod:`~genoff.fig5.plot`, :mod:`~genoff.fig5.report` (``report.md``),
:mod:`~genoff.fig5.files` (``reproduce.json``, table metadata, runs read back); this module
holds :func:`reproduce`.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from genoff._util.io import atomic_write_text
from genoff.experiments.sweep import check_executor, run_sweep
from genoff.fig5.files import (check_out, read_learning_runs, runs_summary, save_state,
                               specs_to_report, write_tables)
from genoff.fig5.plot import plot_panel
from genoff.fig5.report import report_text
from genoff.fig5.settings import (DEFAULT_SIZES, PANEL_TITLES, PANELS, QUICK_SIZES, Settings,
                                  Sizes, with_seeds)
from genoff.fig5.specs import panel_specs
from genoff.fig5.tables import panel_table, panel_tables
from genoff.fig5.trends import Trend, check_trends

# The submodules' other names that callers and tests reach through ``genoff.fig5``.
from genoff.fig5.files import SETTINGS_FILE  # noqa: F401
from genoff.fig5.settings import (COMBINATIONS, LEARNING_PANELS, LOWEST_COMBINATION,  # noqa: F401
                                  SWEEP_FIELDS)
from genoff.fig5.specs import (BANDIT, DQN, ICL, ICL_VARIANTS, LLM_PRIOR, LOCAL,  # noqa: F401
                               ORACLE)
from genoff.fig5.tables import curve, learning_table, sweep_table  # noqa: F401

__all__ = [
    "PANELS",
    "PANEL_TITLES",
    "Sizes",
    "DEFAULT_SIZES",
    "QUICK_SIZES",
    "Settings",
    "Trend",
    "ReproduceResult",
    "panel_specs",
    "panel_table",
    "check_trends",
    "plot_panel",
    "reproduce",
    "with_seeds",
]


@dataclass
class ReproduceResult:
    """What :func:`reproduce` made."""

    tables: dict[str, pd.DataFrame]
    runs: pd.DataFrame
    trends: list[Trend]
    files: list[Path]
    wall_time_s: float
    #: series whose LLM decisions fell back more than MAX_FALLBACK_SHARE -> that share
    not_measured: dict[str, float] = field(default_factory=dict)


def _panel_list(panels: str | Sequence[str]) -> list[str]:
    """``panels`` (letters, or one comma-separated string) in the order of :data:`PANELS`."""
    if isinstance(panels, str):
        panels = [p for p in panels.replace(" ", "").split(",") if p]
    panels = list(dict.fromkeys(panels))
    bad = [p for p in panels if p not in PANELS]
    if bad or not panels:
        raise ValueError(f"panels must be some of {', '.join(PANELS)}, got {panels!r}")
    return [p for p in PANELS if p in panels]


def reproduce(
    out: str | os.PathLike,
    *,
    panels: Sequence[str] = PANELS,
    settings: Settings | None = None,
    executor: Any = "process",
    workers: int | None = None,
    address: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> ReproduceResult:
    """Run (or resume) the runs of ``panels`` and write their figures, tables and report.

    Args:
        out: the folder (created). Rerunning with the same settings resumes: finished runs
            are read back, not rerun.
        panels: any of ``"a"``-``"f"``.
        settings: what to simulate (:class:`Settings`; default: the paper's Fig. 5 at
            :data:`DEFAULT_SIZES`).
        executor: ``"process"`` (default), ``"serial"``, ``"dask"``, ``"ray"`` or a
            :class:`concurrent.futures.Executor` (see :func:`genoff.experiments.sweep.run_sweep`).
            Results are identical whichever runs them.
        workers: parallel runs (default: one per CPU core); each run uses one thread.
        address: a dask scheduler or Ray cluster address.
        force: overwrite the figures and tables of a reproduction with other settings.
        progress: progress bars.

    Raises:
        ValueError: an unknown panel, a folder holding another reproduction (without
            ``force``), bad settings.
    """
    t0 = time.perf_counter()
    settings = settings if settings is not None else Settings()
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings, got {type(settings).__name__}")
    panels = _panel_list(panels)
    check_executor(executor, workers, address)  # before anything is written
    out = Path(out)
    check_out(out, settings, force)

    specs_by_panel = specs_to_report(out, settings, panels)
    earlier = [p for p in specs_by_panel if p not in panels]
    save_state(out, settings, panels, {"status": "running", "panels_done": earlier})
    all_specs = [s for series in specs_by_panel.values() for ss in series.values() for s in ss]
    summary = run_sweep(all_specs, out, executor=executor, workers=workers,
                        address=address, n_threads_per_run=1, progress=progress)
    summary = runs_summary(summary, specs_by_panel)
    summaries = {r["key"]: r for r in summary.to_dict("records")}
    runs, llm_stats, not_measured = read_learning_runs(out, specs_by_panel)
    both = {p: panel_tables(p, settings, runs, summaries) for p in specs_by_panel}
    tables = {p: t for p, (t, _) in both.items()}
    trends = check_trends(tables, not_measured=list(not_measured))

    files: list[Path] = []
    for p in panels:
        files += write_tables(tables[p], out / f"fig5{p}", settings, p)
        plot_panel(p, tables[p], out / f"fig5{p}.png", per_seed=both[p][1])
        files.append(out / f"fig5{p}.png")
    files += write_tables(summary, out / "runs", settings, None)
    wall = time.perf_counter() - t0
    ex_name = executor if isinstance(executor, str) else type(executor).__name__
    report = report_text(settings, tables, trends, wall, ex_name, llm_stats, not_measured)
    atomic_write_text(out / "report.md", report + "\n")
    files.append(out / "report.md")
    files.append(save_state(out, settings, panels, {
        "status": "done", "panels_done": list(specs_by_panel), "wall_time_s": wall,
        "executor": ex_name, "trends": [asdict(t) for t in trends], "icl_stats": llm_stats}))
    return ReproduceResult(tables, summary, trends, files, wall, not_measured)
