"""The paper's claims about each panel of Fig. 5 (it gives trends, no numbers), checked on
the reproduced tables: :func:`check_trends` -> one :class:`Trend` per claim and series."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from genoff.fig5.settings import LOWEST_COMBINATION, SWEEP_FIELDS
from genoff.fig5.specs import (BANDIT, DQN, ICL, ICL_VARIANTS, LOCAL, ORACLE, TASKS,
                               combination_label)
from genoff.fig5.tables import curve

__all__ = ["Trend", "check_trends"]


@dataclass(frozen=True)
class Trend:
    """One of the paper's claims checked on the reproduced data."""

    panel: str
    claim: str
    holds: bool
    detail: str
    #: False when the series' LLM decisions mostly fell back (backend failures): the data
    #: say nothing about the claim, which is then neither held nor failed.
    measured: bool = True

    @property
    def verdict(self) -> str:
        if not self.measured:
            return "not measured"
        return "holds" if self.holds else "does not hold"

    def line(self) -> str:
        return f"{self.verdict}: {self.claim}. {self.detail}"


def _second_half(values: pd.Series) -> float:
    return float(values.iloc[len(values) // 2:].mean())


def _learning_values(t: pd.DataFrame, metric: str, task: str) -> dict[str, float]:
    """Series -> second-half mean of ``metric`` of ``task`` tasks."""
    return {s: _second_half(curve(t, s, metric, task)) for s in t["series"].unique()}


def _fmt(v: float, unit: str = "") -> str:
    return f"{v:.3g}{unit}" if math.isfinite(v) else "n/a"


def _is_icl(series: str) -> bool:
    """A series of the paper's decider (registry family ``"icl"``): the claims of panels a
    and b are about it. Tables carry series labels only; :mod:`genoff.fig5.specs` starts
    the label of every such series with :data:`~genoff.fig5.specs.ICL`."""
    return series.startswith(ICL)


def _trends_a(t: pd.DataFrame) -> list[Trend]:
    out = []
    for task in TASKS:
        vals = _learning_values(t[t["task"] == task], "reward", task)
        dqn, oracle = vals.get(DQN, math.nan), vals.get(ORACLE, math.nan)
        refs = ", ".join(f"{s} {_fmt(vals[s])}" for s in (BANDIT, LOCAL) if s in vals)
        for s, v in vals.items():
            if not _is_icl(s):
                continue
            # "comparable" is two-sided: within 10 % of DQN's reward, above or below
            ok = math.isfinite(v) and math.isfinite(dqn) and abs(v - dqn) <= 0.1 * abs(dqn)
            out.append(Trend(
                "a", f"{s} reaches a reward comparable to DQN on {task} tasks "
                "(second half of the run, within 10 % either way)", ok,
                f"Second-half mean reward: {s} {_fmt(v)}, DQN {_fmt(dqn)}, oracle {_fmt(oracle)}"
                + (f"; references: {refs}" if refs else "") + ".",
            ))
    return out


def _trends_b(t: pd.DataFrame) -> list[Trend]:
    """Claim (b), made discriminative: QP success rises to near the oracle's *and* regular
    requests are not offloaded much more (or less) than the oracle does. Always-offload
    has a high QP success but fails the second condition."""
    qp = t[t["task"] == "quality-preferred"]
    reg = t[t["task"] == "regular"]
    vals = _learning_values(qp, "qp_success", "quality-preferred")
    shares = _learning_values(reg, "offload_share", "regular")
    oracle, oracle_share = vals.get(ORACLE, math.nan), shares.get(ORACLE, math.nan)
    out = []
    for s, v in vals.items():
        if not _is_icl(s):
            continue
        success = curve(qp, s, "qp_success", "quality-preferred")
        start = float(success.iloc[0]) if len(success) else math.nan
        share = shares.get(s, math.nan)
        rises = math.isfinite(v) and math.isfinite(start) and v > start
        near = math.isfinite(v) and math.isfinite(oracle) and v >= oracle - 0.1
        regular_ok = (math.isfinite(share) and math.isfinite(oracle_share)
                      and abs(share - oracle_share) <= 0.1)
        out.append(Trend(
            "b", f"{s} learns to offload quality-preferred tasks properly: success rate rises "
            "to within 0.1 of the oracle's (second half), while its offload share of regular "
            "tasks stays within 0.1 of the oracle's", bool(rises and near and regular_ok),
            f"QP success: first slot {_fmt(start)}, second half {_fmt(v)} (oracle {_fmt(oracle)}, "
            f"DQN {_fmt(vals.get(DQN, math.nan))}, bandit {_fmt(vals.get(BANDIT, math.nan))}); "
            f"regular tasks offloaded (second half): {_fmt(share)} vs the oracle's "
            f"{_fmt(oracle_share)}"
            + ("" if rises else "; does not rise")
            + ("" if regular_ok else "; regular-task offloading is off the oracle's") + ".",
        ))
    return out


def _trends_c(t: pd.DataFrame) -> list[Trend]:
    vals = _learning_values(t, "reward", "all")
    proposal = ICL_VARIANTS["icl"]
    prop = vals.get(proposal, math.nan)
    out = []
    for key in ("icl-latest", "icl-noexplore"):
        other = vals.get(ICL_VARIANTS[key], math.nan)
        out.append(Trend(
            "c", f"{proposal} earns more than {ICL_VARIANTS[key]} "
            "(second half of the run)", bool(prop > other),
            f"Second-half mean reward: {_fmt(prop)} vs {_fmt(other)} (DQN "
            f"{_fmt(vals.get(DQN, math.nan))}, oracle {_fmt(vals.get(ORACLE, math.nan))}).",
        ))
    return out


def _trends_sweep(panel: str, t: pd.DataFrame) -> list[Trend]:
    _, x_name = SWEEP_FIELDS[panel]
    delays = {s: curve(t, s, "delay_s") for s in t["series"].unique()}
    rising, parts = True, []
    for s, c in delays.items():
        x, y = c.index.to_numpy(), c.to_numpy()
        slope = float(np.polyfit(x, y, 1)[0]) if len(c) > 1 else math.nan
        ok = bool(y[-1] > y[0] and slope > 0)
        rising &= ok
        parts.append(f"{s}: {y[0]:.2f} s -> {y[-1]:.2f} s{'' if ok else ' (not rising)'}")
    out = [Trend(panel, f"consistency check of the model's inputs: average service delay "
                        f"rises with the {x_name}", rising, "; ".join(parts) + ".")]
    lowest_label = combination_label(LOWEST_COMBINATION)
    if lowest_label in delays and len(delays) > 1:
        frame = pd.DataFrame(delays)
        winners = frame.idxmin(axis=1)
        ok = bool((winners == lowest_label).all())
        lost = [f"{x:g} ({winners[x]})" for x in winners.index if winners[x] != lowest_label]
        out.append(Trend(
            panel, f"consistency check of the catalog: {lowest_label} has the lowest delay at "
                   f"every {x_name} value", ok,
            "Lowest everywhere." if ok else "Not lowest at: " + ", ".join(lost) + ".",
        ))
    return out


_PANEL_TRENDS = {"a": _trends_a, "b": _trends_b, "c": _trends_c}


def check_trends(tables: Mapping[str, pd.DataFrame],
                 not_measured: Sequence[str] = ()) -> list[Trend]:
    """The paper's claims for each panel in ``tables`` (panel -> :func:`panel_table`).

    Claims about a series in ``not_measured`` (its LLM decisions mostly fell back) are
    marked "not measured" instead of holding or failing.
    """
    out: list[Trend] = []
    for p, t in tables.items():
        out += _PANEL_TRENDS[p](t) if p in _PANEL_TRENDS else _trends_sweep(p, t)
    bad = [s for s in not_measured if s]
    return [replace(tr, measured=False) if any(s in tr.claim for s in bad) else tr for tr in out]
