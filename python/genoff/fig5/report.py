"""``report.md``: the settings, each panel with its figure, its trends in words and the
oracle's reference values, the ICL deciders' counters and the series not measured."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd

from genoff import __version__
from genoff.fig5.settings import LEARNING_PANELS, PANEL_TITLES, SWEEP_FIELDS, Settings
from genoff.fig5.specs import BANDIT, LLM_PRIOR, LOCAL, ORACLE, llm_label
from genoff.fig5.tables import curve
from genoff.fig5.trends import Trend

__all__ = ["report_text"]


def _calibration(settings: Settings) -> str:
    """How the report names the ICL deciders' calibration and epsilon."""
    calibrate = settings.calibrate
    if not calibrate:
        return f" (epsilon {settings.epsilon:g}). "
    name = calibrate if isinstance(calibrate, str) else "content-free"
    return f" ({name} calibration, epsilon {settings.epsilon:g}). "


def _introduction(settings: Settings, wall_s: float, executor: str) -> list[str]:
    sz = settings.sizes
    return [
        "# genoff: the paper's Fig. 5, reproduced",
        "",
        f"genoff {__version__}; scenario `{settings.scenario}`; root seed {settings.root_seed}; "
        f"learning runs (a-c): {sz.learn_seeds} seeds x {sz.learn_steps} slots"
        + (f", {sz.learn_users} users" if sz.learn_users else "")
        + f"; delay sweeps (d-f): {sz.sweep_seeds} seeds x {sz.sweep_steps} slots, decided by "
        f"the `{settings.sweep_decider}` decider. ICL deciders: "
        + ", ".join(llm_label(s) for s in settings.llms)
        + _calibration(settings)
        + "Curves: mean over seeds; bands: 95 % "
        f"Student-t confidence interval of the seed-to-seed spread (with fewer than 3 seeds "
        f"each seed is drawn instead). Learning curves: trailing moving average over "
        f"{sz.window} slots. This call: {wall_s:.0f} s ({executor}).",
        "",
        "The paper (Zhou et al., IEEE WCL 2025) gives no numbers for Fig. 5, only trends; "
        "each panel below checks them on these data. Panels a-c also show reference series "
        f"that every LLM decider must beat to earn its place: `{BANDIT}` and `{LOCAL}` "
        f"(and, in a and b, genoff's recommended LLM decider, `{LLM_PRIOR}`). Panels d-f "
        "are consistency checks of the model's inputs (the catalog's delays and the load-aware "
        "edge), not evidence for the paper's method: the oracle decides them.",
        "",
    ]


def _learning_oracle_lines(panel: str, t: pd.DataFrame) -> list[str]:
    metric = "qp_success" if panel == "b" else "reward"
    name = "QP success rate" if panel == "b" else "mean reward per request"
    parts = []
    for task in t["task"].unique():
        c = curve(t, ORACLE, metric, task)
        if len(c):
            parts.append(f"{task}: {c.mean():.3g}")
    return [f"Oracle reference ({name}, mean over the run): " + "; ".join(parts) + "."]


def _sweep_oracle_lines(panel: str, t: pd.DataFrame) -> list[str]:
    _, x_name = SWEEP_FIELDS[panel]
    sel = t[t["metric"] == "delay_s"]
    xs = sorted(sel["x"].unique())
    head = f"| {x_name} | " + " | ".join(f"{x:g}" for x in xs) + " |"
    rows = [head, "|---" * (len(xs) + 1) + "|"]
    for s in sel["series"].unique():
        c = curve(t, s, "delay_s")
        rows.append(f"| {s}: delay (s) | " + " | ".join(f"{c.get(x, math.nan):.2f}" for x in xs)
                    + " |")
    for s in t["series"].unique():
        c = curve(t, s, "oracle_reward")
        rows.append(f"| {s}: oracle reward | "
                    + " | ".join(f"{c.get(x, math.nan):.3g}" for x in xs) + " |")
    return ["Delays of the sweep decider and the oracle's mean reward per request:", ""] + rows


def _oracle_lines(panel: str, t: pd.DataFrame) -> list[str]:
    """The oracle's reference values of a panel."""
    if panel in LEARNING_PANELS:
        return _learning_oracle_lines(panel, t)
    return _sweep_oracle_lines(panel, t)


def _panel_lines(panel: str, t: pd.DataFrame, trends: Sequence[Trend]) -> list[str]:
    lines = [f"## Fig. 5({panel}): {PANEL_TITLES[panel]}", "",
             f"![Fig. 5({panel})](fig5{panel}.png)", "",
             f"Data: `fig5{panel}.csv`, `fig5{panel}.parquet`.", ""]
    for tr in trends:
        if tr.panel == panel:
            lines.append(f"- **{tr.verdict.capitalize()}**: {tr.claim}. {tr.detail}")
    return lines + [""] + _oracle_lines(panel, t) + [""]


def _stats_lines(llm_stats: Mapping[str, Mapping[str, int]]) -> str:
    """The ICL deciders' counters, summed over seeds: how many decisions the LLM made and
    how many fell back (backend errors, unparsable text)."""
    if not llm_stats:
        return ""
    lines = ["## ICL decisions", "",
             "| decider | decisions | by the LLM | explored | fallbacks | backend errors |",
             "|---|---|---|---|---|---|"]
    for label, st in llm_stats.items():
        lines.append(f"| {label} | {st.get('decisions', 0)} | {st.get('llm_decisions', 0)} | "
                     f"{st.get('explored', 0)} | {st.get('fallbacks', 0)} | "
                     f"{st.get('backend_errors', 0)} |")
    return "\n".join(lines) + "\n"


def _not_measured_lines(not_measured: Mapping[str, float]) -> str:
    if not not_measured:
        return ""
    return ("\n## Not measured\n\n" + "".join(
        f"- {label}: {share:.0%} of its LLM decisions fell back (backend errors or "
        "unparsable replies); its claims above are marked not measured.\n"
        for label, share in not_measured.items()))


def report_text(settings: Settings, tables: Mapping[str, pd.DataFrame],
                trends: Sequence[Trend], wall_s: float, executor: str,
                llm_stats: Mapping[str, Mapping[str, int]],
                not_measured: Mapping[str, float]) -> str:
    """The text of ``report.md`` (without its final newline).

    Args:
        tables: panel -> its table, in the order of the report.
        llm_stats: LLM decider label -> its counters summed over seeds.
        not_measured: series label -> share of its LLM decisions that fell back.
    """
    lines = _introduction(settings, wall_s, executor)
    for panel, t in tables.items():
        lines += _panel_lines(panel, t, trends)
    return "\n".join(lines) + _stats_lines(llm_stats) + _not_measured_lines(not_measured)
