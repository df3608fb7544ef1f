"""What :func:`genoff.fig5.reproduce` keeps in its folder besides the figures and the
report: ``reproduce.json`` (settings, state, what resumes), the tables' metadata, the runs'
summary table, and the learning runs read back with their LLM counters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from genoff import __version__
from genoff._util.io import atomic_write_text, check_saved_settings, writable_folder, write_table
from genoff.deciders.registry import info
from genoff.experiments.compare import MAX_FALLBACK_SHARE, fallback_share
from genoff.experiments.sweep import RUNS_DIR, RunSpec, read_run
from genoff.fig5.settings import LEARNING_PANELS, PANELS, Settings
from genoff.fig5.specs import llm_label, panel_specs

__all__ = ["SETTINGS_FILE", "check_out", "specs_to_report", "save_state", "write_tables",
           "runs_summary", "read_learning_runs"]

#: The state of a reproduction in its folder (settings, seeds, panels done, trends).
SETTINGS_FILE = "reproduce.json"

SpecsByPanel = Mapping[str, Mapping[str, list[RunSpec]]]


def _metadata(settings: Settings, panel: str | None) -> dict[str, Any]:
    return {
        "genoff_version": __version__,
        "panel": panel,
        "settings": settings.to_dict(),
        "learn_seeds": settings.learn_seeds(),
        "sweep_seeds": settings.sweep_seeds(),
    }


def check_out(out: Path, settings: Settings, force: bool) -> None:
    """ValueError unless ``out`` can take this reproduction (a folder, writable, holding
    no reproduction of other settings unless ``force``)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, but {out} is a file")
    check_saved_settings(out, SETTINGS_FILE, settings.to_dict(), force,
                         what="a genoff reproduction", kept="overwrite its figures and tables "
                         "(finished runs of either are kept in runs/)")
    writable_folder(out, "out")


def _panels_done(out: Path, settings: Settings) -> list[str]:
    """Panels whose figures and tables ``out`` holds from a call with ``settings``."""
    try:
        state = json.loads((out / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(state, dict) or state.get("settings") != settings.to_dict():
        return []
    done = state.get("panels_done")
    if done is None:  # written before panels_done existed: the panels of a finished call
        done = state.get("panels", []) if state.get("status") == "done" else []
    return [p for p in PANELS if p in done and (out / f"fig5{p}.parquet").is_file()]


def specs_to_report(out: Path, settings: Settings,
                    panels: Sequence[str]) -> dict[str, dict[str, list[RunSpec]]]:
    """Panel -> its :func:`panel_specs`, for ``panels`` and the panels an earlier call
    with these settings left in ``out`` (an earlier call with other panels: their files
    stay as they are, and the report and runs.* cover them too), in the order of
    :data:`PANELS`. An earlier panel whose runs are gone is left out rather than rerun."""
    earlier = [p for p in _panels_done(out, settings) if p not in panels]
    specs_by_panel = {p: panel_specs(settings, p) for p in PANELS if p in panels or p in earlier}
    for p in earlier:
        if not all((out / RUNS_DIR / f"{s.key}.parquet").is_file()
                   for ss in specs_by_panel[p].values() for s in ss):
            del specs_by_panel[p]
    return specs_by_panel


def save_state(out: Path, settings: Settings, panels: Sequence[str],
               extra: Mapping[str, Any]) -> Path:
    """Write ``reproduce.json`` (atomically); returns its path."""
    state = {**_metadata(settings, None), "panels": panels, **extra}
    atomic_write_text(out / SETTINGS_FILE, json.dumps(state, indent=2) + "\n")
    return out / SETTINGS_FILE


def write_tables(table: pd.DataFrame, stem: Path, settings: Settings,
                 panel: str | None) -> list[Path]:
    """``stem.parquet`` and ``stem.csv`` with the settings and seeds as metadata."""
    meta = _metadata(settings, panel)
    return write_table(table, stem, meta, {k: meta[k] for k in
                                           ("learn_seeds", "sweep_seeds", "settings")})


def runs_summary(summary: pd.DataFrame, specs_by_panel: SpecsByPanel) -> pd.DataFrame:
    """The sweep's summary table, one row per distinct run, with the panels of each run
    (``panels``, comma-separated) as its second column."""
    summary = summary.drop_duplicates("key").reset_index(drop=True)
    in_panels: dict[str, list[str]] = {}
    for p, series in specs_by_panel.items():
        for ss in series.values():
            for s in ss:
                in_panels.setdefault(s.key, []).append(p)
    summary.insert(1, "panels", [",".join(dict.fromkeys(in_panels[k])) for k in summary["key"]])
    return summary


def read_learning_runs(out: Path, specs_by_panel: SpecsByPanel) -> tuple[
        dict[str, pd.DataFrame], dict[str, dict[str, int]], dict[str, float]]:
    """The learning panels' runs read back from ``out``: (run key -> per-request table,
    LLM decider label -> its counters summed over seeds, series label -> share of its LLM
    decisions that fell back, for the series over :data:`MAX_FALLBACK_SHARE`)."""
    runs: dict[str, pd.DataFrame] = {}
    llm_stats: dict[str, dict[str, int]] = {}
    not_measured: dict[str, float] = {}
    for p, series in specs_by_panel.items():
        if p not in LEARNING_PANELS:
            continue
        for label, ss in series.items():
            for s in ss:
                if s.key in runs:
                    continue
                _, runs[s.key], meta = read_run(out / RUNS_DIR / f"{s.key}.parquet")
                if not info(s.decider).uses_llm:
                    continue
                name = f"{s.decider} ({llm_label(s.decider_kwargs['backend'])})"
                counters = llm_stats.setdefault(name, {})
                for k, v in (meta.get("decider_stats") or {}).items():
                    counters[k] = counters.get(k, 0) + int(v)
                share = fallback_share(meta.get("decider_stats"))
                if share > MAX_FALLBACK_SHARE:
                    not_measured[label] = max(share, not_measured.get(label, 0.0))
    return runs, llm_stats, not_measured
