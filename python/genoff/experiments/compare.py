"""Deciders side by side: how users choose a decider (``genoff compare``).

:func:`compare` runs deciders x scenarios x seeds through :func:`genoff.experiments.sweep.run_sweep`
(any executor; finished runs are kept in ``OUT/runs`` and a rerun resumes) and reports,
per scenario and decider, over the same seeds and so the same requests and channels:

* the **fraction of the oracle** in each window of slots: the decider's total reward
  (eq. 10) over the window divided by the oracle's on the same requests. Default windows:
  early = slots 0-4 (no training yet: a learner's prior), mid = 5-19, late = 20-39;
* **QP success**: the share of quality-preferred requests whose quality constraint (4e) held;
* the **offload share** of regular and of quality-preferred requests separately (a policy
  that offloads everything must not look good on QP success alone);
* **s/slot**: the decider's wall time per slot (the run's own clock);
* the **fallback share** of LLM deciders: decisions taken without the LLM (backend
  errors, unparsable text). A series above :data:`MAX_FALLBACK_SHARE` is "not measured".

Every number is the mean over seeds, with the seed-to-seed standard deviation.
Files: ``compare.md`` (the table), ``compare.csv``/``.parquet`` (mean, std, min, max per
scenario, decider and metric), ``compare_runs.csv``/``.parquet`` (one row per run),
``compare.png`` (mean reward per slot of every decider, one panel per scenario) and
``compare.json`` (settings).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genoff import __version__
from genoff._util.io import (
    atomic_write,
    atomic_write_text,
    check_saved_settings,
    toml_value,
    write_table,
)
from genoff._util.validate import integer
from genoff.deciders.registry import DECIDERS, info, make_decider
from genoff.experiments.executors import check_executor
from genoff.experiments.sweep import RUNS_DIR, RunSpec, read_run, replica_seeds, run_sweep
from genoff.world.scenario import load_scenario

__all__ = [
    "compare",
    "CompareResult",
    "DeciderEntry",
    "parse_decider",
    "parse_windows",
    "fallback_share",
    "DEFAULT_DECIDERS",
    "DEFAULT_WINDOWS",
    "MAX_FALLBACK_SHARE",
]

DEFAULT_DECIDERS = ("oracle", "local", "bandit", "icl", "llm-prior", "dqn")
DEFAULT_WINDOWS: tuple[tuple[int, int], ...] = ((0, 5), (5, 20), (20, 40))
WINDOW_NAMES = ("early", "mid", "late")
#: Above this share of decisions taken without the LLM, an LLM decider is not measured.
MAX_FALLBACK_SHARE = 0.05
SETTINGS_FILE = "compare.json"


def fallback_share(stats: Mapping[str, Any] | None) -> float:
    """Share of a decider's decisions that fell back (0 for deciders without an LLM)."""
    if not stats:
        return 0.0
    n = stats.get("decisions", 0)
    return float(stats.get("fallbacks", 0)) / n if n else 0.0


@dataclass(frozen=True)
class DeciderEntry:
    """A decider of a comparison: its label (a table row), registry name and arguments."""

    label: str
    decider: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def parse_decider(text: str) -> DeciderEntry:
    """``NAME[:KEY=VALUE[:KEY=VALUE...]]`` (values read as TOML) -> a :class:`DeciderEntry`.

    E.g. ``"icl:calibrate='batch'"`` or ``"bandit:epsilon=0.05"``; the label is the text.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"decider must be a non-empty string, got {text!r}")
    name, *items = text.strip().split(":")
    if name not in DECIDERS:
        raise ValueError(f"unknown decider {name!r}; known: {', '.join(sorted(DECIDERS))}")
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"decider {text!r}: expected NAME:KEY=VALUE, got {item!r}")
        kwargs[key.strip()] = toml_value(value.strip())
    return DeciderEntry(text.strip(), name, kwargs)


def parse_windows(text: str) -> tuple[tuple[int, int], ...]:
    """``"0-4,5-19,20-39"`` (inclusive slot ranges) -> ``((0, 5), (5, 20), (20, 40))``."""
    out = []
    for part in str(text).split(","):
        lo, sep, hi = part.strip().partition("-")
        try:
            a, b = int(lo), int(hi)
        except ValueError:
            raise ValueError(f"windows: expected FIRST-LAST slot ranges like 0-4,5-19, got {text!r}") from None
        if not sep or a < 0 or b < a:
            raise ValueError(f"windows: bad range {part.strip()!r} (need 0 <= FIRST <= LAST)")
        out.append((a, b + 1))
    return tuple(out)


@dataclass
class CompareResult:
    """What :func:`compare` made."""

    summary: pd.DataFrame   # one row per (scenario, decider, metric): mean, std, min, max
    runs: pd.DataFrame      # one row per run
    curves: pd.DataFrame    # mean reward per (scenario, decider, step) over seeds
    markdown: str
    files: list[Path]
    not_measured: list[tuple[str, str, float]]  # (scenario, decider, fallback share)
    wall_time_s: float


def _entries(deciders: Sequence[str | DeciderEntry], llm: Mapping[str, Any] | None) -> list[DeciderEntry]:
    if isinstance(deciders, str) or not deciders:
        raise ValueError("deciders must be a non-empty list of names")
    entries = []
    for d in deciders:
        e = d if isinstance(d, DeciderEntry) else parse_decider(d)
        if llm is not None and info(e.decider).uses_llm and "backend" not in e.kwargs:
            e = DeciderEntry(e.label, e.decider, {**e.kwargs, "backend": dict(llm)})
        entries.append(e)
    for e in entries:  # bad arguments fail here, naming the decider, before any run
        try:
            make_decider(e.decider, **e.kwargs)  # LLM backends given as specs load lazily
        except (ValueError, TypeError) as err:
            raise type(err)(f"decider {e.label!r}: {err}") from None
    labels = [e.label for e in entries]
    if len(set(labels)) != len(labels):
        raise ValueError(f"deciders must be distinct, got {labels}")
    return entries


def _metrics(table: pd.DataFrame, windows: Sequence[tuple[int, int]]) -> dict[str, float]:
    out: dict[str, float] = {}
    step = table["step"].to_numpy()
    for name, (lo, hi) in zip(_window_names(windows), windows):
        sel = (step >= lo) & (step < hi)
        oracle = float(table["oracle_reward"].to_numpy()[sel].sum())
        out[name] = float(table["reward"].to_numpy()[sel].sum()) / oracle if sel.any() and oracle else math.nan
    qp = table["quality_preferred"].to_numpy()
    off = table["offload"].to_numpy()
    out["qp_success"] = float(1.0 - table["violated"].to_numpy()[qp].mean()) if qp.any() else math.nan
    out["offload_regular"] = float(off[~qp].mean()) if (~qp).any() else math.nan
    out["offload_qp"] = float(off[qp].mean()) if qp.any() else math.nan
    out["oracle_offload_regular"] = (float(table["oracle_offload"].to_numpy()[~qp].mean())
                                     if (~qp).any() else math.nan)
    out["mean_reward"] = float(table["reward"].mean())
    return out


def _window_names(windows: Sequence[tuple[int, int]]) -> list[str]:
    if len(windows) <= 3:
        return [f"{n} {lo}-{hi - 1}" for n, (lo, hi) in zip(WINDOW_NAMES, windows)]
    return [f"slots {lo}-{hi - 1}" for lo, hi in windows]


def compare(
    out: str | os.PathLike,
    *,
    scenarios: Sequence[str] = ("paper",),
    deciders: Sequence[str | DeciderEntry] = DEFAULT_DECIDERS,
    seeds: int = 3,
    steps: int = 40,
    root_seed: int = 0,
    windows: Sequence[tuple[int, int]] | None = None,
    llm: Mapping[str, Any] | None = None,
    executor: Any = "process",
    workers: int | None = None,
    address: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> CompareResult:
    """Run (or resume) and tabulate a comparison of deciders; see the module docstring.

    Args:
        out: folder (created); finished runs are kept in ``out/runs`` and reused.
        scenarios: built-in names or TOML paths.
        deciders: registry names or ``NAME:KEY=VALUE`` strings (:func:`parse_decider`).
        seeds: seeds per (scenario, decider); the same seeds for every decider
            (``numpy.random.SeedSequence(root_seed).spawn``), so every decider sees the
            same drops, channels and requests.
        steps: slots per run.
        windows: ``[(first, stop), ...]`` slot ranges (stop exclusive); default
            :data:`DEFAULT_WINDOWS` clipped to ``steps``.
        llm: backend spec (:func:`genoff.llm.make_backend`) given to every LLM decider that
            names none (default: the embedded model).
        executor, workers, address: as :func:`genoff.experiments.sweep.run_sweep` (one thread per run).
        force: overwrite the tables of a comparison with other settings in ``out``.

    Returns:
        A :class:`CompareResult`. A series whose fallback share exceeds
        :data:`MAX_FALLBACK_SHARE` is listed in ``not_measured`` and marked in the table.
    """
    t0 = time.perf_counter()
    seeds = integer("seeds", seeds, ge=1, type_error=ValueError)
    steps = integer("steps", steps, ge=1, type_error=ValueError)
    root_seed = integer("root_seed", root_seed, ge=0, type_error=ValueError)
    if isinstance(scenarios, str) or not scenarios:
        raise ValueError("scenarios must be a non-empty list of names or paths")
    entries = _entries(deciders, llm)
    windows = _check_windows(windows, steps)
    check_executor(executor, workers, address)
    for s in scenarios:
        load_scenario(s)  # ValueError naming a bad scenario before any run
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, but {out} is a file")
    settings = {
        "scenarios": list(scenarios),
        "deciders": [{"label": e.label, "decider": e.decider, "kwargs": dict(e.kwargs)} for e in entries],
        "seeds": seeds, "steps": steps, "root_seed": root_seed,
        "windows": [list(w) for w in windows],
    }
    check_saved_settings(out, SETTINGS_FILE, settings, force, what="a genoff comparison",
                         kept="overwrite its tables (finished runs are kept in runs/)")
    out.mkdir(parents=True, exist_ok=True)
    seed_list = replica_seeds(seeds, root_seed)
    specs = {
        (sc, e.label, sd): RunSpec(sc, decider=e.decider, decider_kwargs=e.kwargs, steps=steps, seed=sd)
        for sc in scenarios for e in entries for sd in seed_list
    }
    run_sweep(list(specs.values()), out, executor=executor, workers=workers, address=address,
              n_threads_per_run=1, progress=progress)
    runs, curves = _read_runs(specs, out, windows)
    names = _window_names(windows)
    not_measured = sorted({(r.scenario, r.decider, float(r.fallback_share))
                           for r in runs.itertuples() if r.fallback_share > MAX_FALLBACK_SHARE})
    summary = _summary(runs, names)
    wall = time.perf_counter() - t0
    md = _markdown(runs, names, seed_list, steps, not_measured)
    files = _write_files(out, summary, runs, curves, md, settings, seed_list, wall)
    return CompareResult(summary, runs, curves, md, files, not_measured, wall)


def _check_windows(windows: Sequence[tuple[int, int]] | None,
                   steps: int) -> tuple[tuple[int, int], ...]:
    """``windows`` as integer pairs (default: :data:`DEFAULT_WINDOWS` clipped to ``steps``);
    ``ValueError`` for a range outside the slots."""
    if windows is None:
        windows = tuple((lo, min(hi, steps)) for lo, hi in DEFAULT_WINDOWS if lo < steps)
    windows = tuple((int(lo), int(hi)) for lo, hi in windows)
    for lo, hi in windows:
        if lo < 0 or hi <= lo or hi > steps:
            raise ValueError(f"windows: slot range {lo}-{hi - 1} must lie within 0-{steps - 1}")
    return windows


def _read_runs(specs: Mapping[tuple[str, str, int], RunSpec], out: Path,
               windows: Sequence[tuple[int, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From the run files: one row of metrics per run, and the mean reward per (scenario,
    decider, step) over seeds."""
    run_rows, curve_rows = [], []
    for (sc, label, sd), spec in specs.items():
        _, table, meta = read_run(out / RUNS_DIR / f"{spec.key}.parquet")
        row = {"scenario": sc, "decider": label, "seed": sd, **_metrics(table, windows)}
        row["s_per_slot"] = float(meta["summary"]["wall_time_per_step_s"])
        row["fallback_share"] = fallback_share(meta.get("decider_stats"))
        run_rows.append(row)
        per_step = table.groupby("step")[["reward", "oracle_reward"]].mean()
        for step, r in per_step.iterrows():
            curve_rows.append({"scenario": sc, "decider": label, "seed": sd, "step": int(step),
                               "reward": float(r["reward"]), "oracle_reward": float(r["oracle_reward"])})
    curves = (pd.DataFrame(curve_rows).groupby(["scenario", "decider", "step"], sort=False)
              [["reward", "oracle_reward"]].mean().reset_index())
    return pd.DataFrame(run_rows), curves


def _summary(runs: pd.DataFrame, window_names: list[str]) -> pd.DataFrame:
    """Mean, std, min, max and number of seeds per (scenario, decider, metric)."""
    metrics = window_names + ["qp_success", "offload_regular", "offload_qp",
                              "oracle_offload_regular", "mean_reward", "s_per_slot",
                              "fallback_share"]
    return (runs.melt(id_vars=["scenario", "decider", "seed"], value_vars=metrics,
                      var_name="metric")
            .groupby(["scenario", "decider", "metric"], sort=False)["value"]
            .agg(mean="mean", std="std", min="min", max="max", n_seeds="count")
            .reset_index())


def _write_files(out: Path, summary: pd.DataFrame, runs: pd.DataFrame, curves: pd.DataFrame,
                 md: str, settings: dict[str, Any], seed_list: list[int],
                 wall: float) -> list[Path]:
    meta = {"genoff_version": __version__, "settings": settings, "seeds": seed_list}
    files = write_table(summary, out / "compare", meta, {"settings": settings, "seeds": seed_list})
    files += write_table(runs, out / "compare_runs", meta, {"settings": settings, "seeds": seed_list})
    _plot(curves, out / "compare.png", len(seed_list))
    atomic_write_text(out / "compare.md", md)
    atomic_write_text(out / SETTINGS_FILE, json.dumps(
        {"genoff_version": __version__, "settings": settings, "seeds": seed_list,
         "wall_time_s": wall}, indent=1) + "\n")
    return files + [out / "compare.png", out / "compare.md", out / SETTINGS_FILE]


def _cell(values: pd.Series, digits: int = 3) -> str:
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "-"
    if v.size == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def _markdown(runs: pd.DataFrame, names: list[str], seeds: list[int], steps: int,
              not_measured: list[tuple[str, str, float]]) -> str:
    bad = {(s, d) for s, d, _ in not_measured}
    lines = [
        f"Fraction of the oracle's reward per window of slots, QP success, offload shares "
        f"(regular / quality-preferred) and wall time per slot; mean ± standard deviation over "
        f"{len(seeds)} seeds x {steps} slots (the same requests for every decider).",
        "",
    ]
    head = ["scenario", "decider"] + [f"oracle fraction, {n}" for n in names] + [
        "QP success", "offload regular", "offload QP", "s/slot"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for (sc, dec), g in runs.groupby(["scenario", "decider"], sort=False):
        if (sc, dec) in bad:
            share = g["fallback_share"].mean()
            cells = [f"not measured ({share:.0%} fallbacks)"] * len(names)
        else:
            cells = [_cell(g[n]) for n in names]
        cells += [_cell(g["qp_success"]), _cell(g["offload_regular"], 2),
                  _cell(g["offload_qp"], 2), f"{g['s_per_slot'].mean():.3g}"]
        lines.append(f"| {sc} | {dec} | " + " | ".join(cells) + " |")
    if not_measured:
        lines += ["", "Not measured (more than "
                  f"{MAX_FALLBACK_SHARE:.0%} of the LLM's decisions fell back): "
                  + ", ".join(f"{d} on {s} ({f:.0%})" for s, d, f in not_measured) + "."]
    return "\n".join(lines) + "\n"


def _plot(curves: pd.DataFrame, path: Path, n_seeds: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scen = list(dict.fromkeys(curves["scenario"]))
    fig, axes = plt.subplots(1, len(scen), figsize=(6.4 * len(scen), 4.2), squeeze=False)
    for ax, sc in zip(axes[0], scen):
        c = curves[curves["scenario"] == sc]
        first = None
        for dec, g in c.groupby("decider", sort=False):
            ax.plot(g["step"], g["reward"], label=dec, lw=1.4)
            first = g if first is None else first
        if first is not None and "oracle" not in set(c["decider"]):
            ax.plot(first["step"], first["oracle_reward"], "k--", lw=1.0, label="oracle (same requests)")
        ax.set_title(f"{sc}: mean reward per request, mean over {n_seeds} seeds")
        ax.set_xlabel("slot")
        ax.set_ylabel("reward (eq. 10)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
