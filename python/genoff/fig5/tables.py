"""The panels' tidy tables: per-slot metrics of each run (learning panels a-c) or its
summary (delay panels d-f), aggregated over seeds into a mean with a 95 % Student-t
confidence interval of the seed-to-seed spread."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from genoff.experiments.sweep import RunSpec
from genoff.fig5.settings import LEARNING_PANELS, SWEEP_FIELDS, Settings
from genoff.fig5.specs import ORACLE, panel_specs

__all__ = ["LEARNING_METRICS", "panel_table", "panel_tables", "learning_table",
           "sweep_table", "curve"]

#: Shares: their confidence interval is clipped to [0, 1].
_RATES = frozenset(("qp_success", "offload_share"))

#: (task, metric) pairs of each learning panel, and the oracle's column of each metric.
LEARNING_METRICS = {
    "a": (("regular", "reward"), ("quality-preferred", "reward")),
    "b": (("quality-preferred", "qp_success"), ("regular", "offload_share")),
    "c": (("all", "reward"),),
}
_ORACLE_METRIC = {"reward": "oracle_reward", "qp_success": "oracle_qp_success",
                  "offload_share": "oracle_offload_share"}

#: (metric, column of the run summary) of the delay panels.
_SWEEP_METRICS = (("delay_s", "mean_delay_s"), ("reward", "mean_reward"),
                  ("qp_success", "qp_success_rate"), ("offload_share", "offload_share"),
                  ("oracle_reward", "oracle_mean_reward"))


def _ci(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean, 95 % Student-t half width (NaN for one seed), std and count of ``values``."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    std = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n))
    return mean, half, std, n


def _per_step(table: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per-slot metrics of one run, smoothed by a trailing moving average of ``window``."""
    qp = table["quality_preferred"].to_numpy()
    g = table.assign(
        reward_regular=table["reward"].where(~qp),
        reward_qp=table["reward"].where(qp),
        oracle_regular=table["oracle_reward"].where(~qp),
        oracle_qp=table["oracle_reward"].where(qp),
        success=(~table["violated"]).where(qp).astype(float),
        oracle_success=(~table["oracle_violated"]).where(qp).astype(float),
        offload_regular=table["offload"].astype(float).where(~qp),
        oracle_offload_regular=table["oracle_offload"].astype(float).where(~qp),
    ).groupby("step")
    steps = pd.DataFrame(
        {
            ("all", "reward"): g["reward"].mean(),
            ("regular", "reward"): g["reward_regular"].mean(),
            ("quality-preferred", "reward"): g["reward_qp"].mean(),
            ("all", "oracle_reward"): g["oracle_reward"].mean(),
            ("regular", "oracle_reward"): g["oracle_regular"].mean(),
            ("quality-preferred", "oracle_reward"): g["oracle_qp"].mean(),
            ("quality-preferred", "qp_success"): g["success"].mean(),
            ("quality-preferred", "oracle_qp_success"): g["oracle_success"].mean(),
            ("regular", "offload_share"): g["offload_regular"].mean(),
            ("regular", "oracle_offload_share"): g["oracle_offload_regular"].mean(),
        }
    )
    # A slot without requests of a class is a gap (NaN); the moving average skips it.
    return steps.rolling(window, min_periods=1).mean()


def _aggregate(rows: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-seed rows (panel, series, task, x, metric, seed, value) -> (mean and CI rows,
    the per-seed rows)."""
    per_seed = pd.DataFrame(rows)
    out = []
    keys = ["panel", "series", "task", "x_name", "x", "metric"]
    for k, grp in per_seed.groupby(keys, sort=False):
        mean, half, std, n = _ci(grp["value"].to_numpy())
        lo, hi = mean - half, mean + half
        if k[-1] in _RATES:  # a share: the interval cannot leave [0, 1]
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        out.append({**dict(zip(keys, k)), "mean": mean, "ci_low": lo, "ci_high": hi,
                    "std": std, "n_seeds": n})
    return pd.DataFrame(out), per_seed


def _row(panel: str, series: str, task: str, x_name: str, x: Any, metric: str, seed: int,
         value: Any) -> dict[str, Any]:
    """One per-seed row of a panel's table."""
    return {"panel": panel, "series": series, "task": task, "x_name": x_name, "x": float(x),
            "metric": metric, "seed": seed, "value": float(value)}


def learning_table(panel: str, series: Mapping[str, list[RunSpec]],
                   tables: Mapping[str, pd.DataFrame],
                   window: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A learning panel's table and its per-seed rows, from the per-request table of each
    run (run key -> table); the oracle's series comes from the first series' runs."""
    rows: list[dict[str, Any]] = []
    oracle_rows: list[dict[str, Any]] = []
    oracle_done = False
    for label, specs in series.items():
        for s in specs:
            steps = _per_step(tables[s.key], window)
            for task, metric in LEARNING_METRICS[panel]:
                for step, v in steps[(task, metric)].items():
                    rows.append(_row(panel, label, task, "step", step, metric, s.seed, v))
                if not oracle_done:
                    # The oracle's decisions depend only on the seed (same requests and
                    # channels in every series): take them from the first series' runs.
                    om = _ORACLE_METRIC[metric]
                    for step, v in steps[(task, om)].items():
                        oracle_rows.append(_row(panel, ORACLE, task, "step", step, metric,
                                                s.seed, v))
        oracle_done = True
    return _aggregate(rows + oracle_rows)


def sweep_table(panel: str, series: Mapping[str, list[RunSpec]],
                summaries: Mapping[str, Mapping[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A delay panel's table and its per-seed rows, from each run's summary (run key ->
    :func:`genoff.experiments.summarize`)."""
    key, x_name = SWEEP_FIELDS[panel]
    rows: list[dict[str, Any]] = []
    for label, specs in series.items():
        for s in specs:
            summary = summaries[s.key]
            for metric, column in _SWEEP_METRICS:
                rows.append(_row(panel, label, "all", x_name, s.overrides[key], metric, s.seed,
                                 summary[column]))
    return _aggregate(rows)


def panel_table(
    panel: str, settings: Settings, runs: Mapping[str, pd.DataFrame],
    summaries: Mapping[str, Mapping[str, Any]],
) -> pd.DataFrame:
    """A panel's tidy table: one row per (series, task, x, metric) with the mean over
    seeds, its 95 % confidence interval (``ci_low``, ``ci_high``), ``std`` and ``n_seeds``.

    Args:
        runs: run key -> per-request table (the learning panels read them).
        summaries: run key -> :func:`genoff.experiments.summarize` (the delay panels).
    """
    return panel_tables(panel, settings, runs, summaries)[0]


def panel_tables(panel: str, settings: Settings, runs: Mapping[str, pd.DataFrame],
                 summaries: Mapping[str, Mapping[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`panel_table` and its per-seed rows (``seed``, ``value``)."""
    series = panel_specs(settings, panel)
    if panel in LEARNING_PANELS:
        return learning_table(panel, series, runs, settings.sizes.window)
    return sweep_table(panel, series, summaries)


def curve(table: pd.DataFrame, series: str, metric: str, task: str = "all") -> pd.Series:
    """The mean of ``metric`` over seeds of one series and task, indexed by x (sorted)."""
    sel = table[(table["series"] == series) & (table["metric"] == metric)
                & (table["task"] == task)]
    return sel.set_index("x")["mean"].sort_index()
