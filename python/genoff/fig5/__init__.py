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
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genoff import __version__
from genoff._util.io import atomic_write, check_saved_settings, atomic_write_text, writable_folder, write_table
from genoff.experiments.compare import MAX_FALLBACK_SHARE, fallback_share
from genoff.deciders import LLM_DECIDERS
from genoff.experiments.sweep import RunSpec, replica_seeds, check_executor, expand_grid, run_sweep

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
]

PANELS = ("a", "b", "c", "d", "e", "f")

PANEL_TITLES = {
    "a": "System reward of regular and quality-preferred tasks",
    "b": "Service success rate of quality-preferred tasks",
    "c": "Experience replay and exploration methods",
    "d": "Average service delay vs number of users",
    "e": "Average service delay vs output token size",
    "f": "Average service delay vs share of quality-preferred tasks",
}

#: The scenario field each delay panel sweeps, and its axis label.
SWEEP_FIELDS = {
    "d": ("layout.users_per_cell", "users per cell"),
    "e": ("tasks.mean_output_tokens", "mean output tokens"),
    "f": ("tasks.quality_preferred_share", "share of quality-preferred tasks"),
}

#: The paper's four edge + cloud combinations (catalog names), in its order.
COMBINATIONS = ("llama3-8b+gpt-4o", "llama3-8b+llama3-70b", "gemma-7b+gemini-1.5-pro",
                "llama2-7b+llama2-70b")
LOWEST_COMBINATION = "gemma-7b+gemini-1.5-pro"

_ICL_VARIANTS = {
    "icl": "ICL, prioritized replay + epsilon-greedy",
    "icl-latest": "ICL, latest experience",
    "icl-noexplore": "ICL, no exploration",
}
_DQN = "DQN"
_ORACLE = "oracle"
#: Reference series of the learning panels: the simplest learner and the simplest policy
#: (every LLM decider is judged against them), and the recommended LLM decider.
_BANDIT = "bandit (tabular, epsilon-greedy)"
_LOCAL = "always local"
_LLM_PRIOR = "LLM prior + Thompson sampling"
_TASKS = ("regular", "quality-preferred")


def _check_int(name: str, v: Any, lo: int) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")


@dataclass(frozen=True)
class Sizes:
    """How much to simulate.

    Attributes:
        learn_steps: time slots of each learning run (panels a-c).
        learn_seeds: seeds of the learning runs.
        learn_users: users per cell of the learning runs (None: the scenario's).
        sweep_steps: time slots of each run of the delay sweeps (panels d-f).
        sweep_seeds: seeds of the delay sweeps.
        users, tokens, qp_shares: the x values of panels d, e and f.
        window: slots of the moving average of the learning curves (per seed, trailing).
    """

    learn_steps: int = 40
    learn_seeds: int = 3
    learn_users: int | None = None
    sweep_steps: int = 50
    sweep_seeds: int = 5
    users: tuple[int, ...] = (5, 10, 20, 30, 40)
    tokens: tuple[float, ...] = (250.0, 500.0, 1000.0, 1500.0, 2000.0)
    qp_shares: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    window: int = 5

    def __post_init__(self) -> None:
        for name in ("learn_steps", "learn_seeds", "sweep_steps", "sweep_seeds", "window"):
            _check_int(name, getattr(self, name), 1)
        if self.learn_users is not None:
            _check_int("learn_users", self.learn_users, 1)
        for name in ("users", "tokens", "qp_shares"):
            vals = getattr(self, name)
            if isinstance(vals, (str, bytes)) or len(vals) < 2:
                raise ValueError(f"{name} must list at least two values, got {vals!r}")
            if list(vals) != sorted(set(vals)):
                raise ValueError(f"{name} must be increasing without repeats, got {vals!r}")
            object.__setattr__(self, name, tuple(vals))
        for u in self.users:
            _check_int("users", u, 1)
        if any(not 0.0 <= q <= 1.0 for q in self.qp_shares):
            raise ValueError(f"qp_shares must lie in [0, 1], got {self.qp_shares!r}")
        if any(t <= 0 for t in self.tokens):
            raise ValueError(f"tokens must be > 0, got {self.tokens!r}")


#: ``genoff reproduce``: sized to finish within 10 minutes on 2 CPU cores.
DEFAULT_SIZES = Sizes()
#: ``genoff reproduce --quick``: every panel in about a minute (CI); short learning curves.
QUICK_SIZES = Sizes(
    learn_steps=6,
    learn_seeds=2,
    learn_users=8,
    sweep_steps=20,
    sweep_seeds=3,
    users=(5, 20, 40),
    tokens=(250.0, 1000.0, 2000.0),
    qp_shares=(0.0, 0.5, 1.0),
    window=2,
)


@dataclass(frozen=True)
class Settings:
    """Everything that determines the results of :func:`reproduce` (not how it runs).

    Attributes:
        scenario: built-in name or TOML path. ``"paper-fig5"`` (default) is the paper's
            setting with a load-aware edge LLM (see its TOML for why and the slopes' sources).
        sizes: :data:`DEFAULT_SIZES` or :data:`QUICK_SIZES` or your own :class:`Sizes`.
        llms: backend specs (:func:`genoff.llm.make_backend`) of the ICL deciders of panels
            a and b; the first one also runs panel c. Default: the embedded SmolLM2.
        calibrate: calibration of the ICL scores: False (the paper's decider, default),
            True / ``"content-free"`` or ``"batch"`` (see :class:`genoff.deciders.icl.ICLDecider`).
            Content-free calibration makes the embedded model keep every request at the
            edge in ``paper-fig5`` (quality-preferred success ~0.05).
        epsilon: exploration probability of the epsilon-greedy ICL deciders.
        sweep_decider: decider of the delay panels d-f (a name of ``genoff.deciders``).
        combinations: the catalog combinations of panels d-f.
        root_seed: seeds every run (through ``SeedSequence.spawn``).
    """

    scenario: str = "paper-fig5"
    sizes: Sizes = field(default_factory=Sizes)
    llms: tuple[Mapping[str, Any], ...] = ({"kind": "embedded"},)
    calibrate: bool | str = False
    epsilon: float = 0.1
    sweep_decider: str = "oracle"
    combinations: tuple[str, ...] = COMBINATIONS
    root_seed: int = 0

    def __post_init__(self) -> None:
        from genoff.world.catalog import load_catalog
        from genoff.deciders import DECIDERS
        from genoff.llm.spec import _check
        from genoff.world.scenario import load_scenario

        if isinstance(self.scenario, os.PathLike):
            object.__setattr__(self, "scenario", os.fspath(self.scenario))
        load_scenario(self.scenario)  # ValueError for an unknown name or a bad file
        if not isinstance(self.sizes, Sizes):
            raise TypeError(f"sizes must be a Sizes, got {type(self.sizes).__name__}")
        if isinstance(self.llms, Mapping) or not self.llms:
            raise ValueError("llms must be a non-empty list of backend specs")
        object.__setattr__(self, "llms", tuple(_check(s) for s in self.llms))
        if not isinstance(self.calibrate, bool):
            from genoff.deciders.icl import calibration_mode

            mode = calibration_mode(self.calibrate)  # ValueError naming calibrate
            object.__setattr__(self, "calibrate", False if mode == "none" else mode)
        e = self.epsilon
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0.0 <= e <= 1.0:
            raise ValueError(f"epsilon must lie in [0, 1], got {e!r}")
        object.__setattr__(self, "epsilon", float(e))
        if self.sweep_decider not in DECIDERS:
            raise ValueError(
                f"sweep_decider: unknown decider {self.sweep_decider!r}; "
                f"known: {', '.join(sorted(DECIDERS))}"
            )
        if isinstance(self.combinations, str) or not self.combinations:
            raise ValueError("combinations must be a non-empty list of catalog combinations")
        known = load_catalog().combinations
        for c in self.combinations:
            if c not in known:
                raise ValueError(f"combinations: unknown {c!r} (known: {', '.join(known)})")
        object.__setattr__(self, "combinations", tuple(self.combinations))
        _check_int("root_seed", self.root_seed, 0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["llms"] = [dict(s) for s in self.llms]
        d["combinations"] = list(self.combinations)
        d["sizes"] = {k: list(v) if isinstance(v, tuple) else v for k, v in d["sizes"].items()}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Settings:
        d = dict(d)
        sizes = {k: tuple(v) if isinstance(v, list) else v for k, v in d.pop("sizes").items()}
        return cls(sizes=Sizes(**sizes), **{**d, "llms": tuple(d["llms"]),
                                            "combinations": tuple(d["combinations"])})

    # -- seeds ---------------------------------------------------------------------------
    def learn_seeds(self) -> list[int]:
        return replica_seeds(self.sizes.learn_seeds, self.root_seed)

    def sweep_seeds(self) -> list[int]:
        return replica_seeds(self.sizes.sweep_seeds, self.root_seed)


# ---------------------------------------------------------------------------------------
# Specs


def _llm_label(spec: Mapping[str, Any]) -> str:
    from genoff.llm.spec import backend_label

    return backend_label(spec)


def _combo_label(name: str) -> str:
    from genoff.world.catalog import load_catalog

    edge, cloud = load_catalog().combination(name)
    return f"{edge.display_name} + {cloud.display_name}"


def _learning_series(settings: Settings, panel: str) -> dict[str, RunSpec]:
    """Series label -> base spec (seed 0) of a learning panel."""
    sz = settings.sizes
    overrides = {} if sz.learn_users is None else {"layout.users_per_cell": sz.learn_users}
    base = RunSpec(settings.scenario, overrides=overrides, steps=sz.learn_steps)

    def icl(decider: str, llm: Mapping[str, Any]) -> RunSpec:
        kwargs: dict[str, Any] = {"backend": dict(llm), "calibrate": settings.calibrate}
        if decider != "icl-noexplore":
            kwargs["epsilon"] = settings.epsilon
        return base.replace(decider=decider, decider_kwargs=kwargs)

    series: dict[str, RunSpec] = {}
    if panel in ("a", "b"):
        for i, llm in enumerate(settings.llms):
            label = f"ICL ({_llm_label(llm)})"
            if label in series:
                label = f"ICL ({_llm_label(llm)} #{i + 1})"
            series[label] = icl("icl", llm)
        series[f"{_LLM_PRIOR} ({_llm_label(settings.llms[0])})"] = base.replace(
            decider="llm-prior", decider_kwargs={"backend": dict(settings.llms[0])})
    else:
        llm = settings.llms[0]
        for decider, label in _ICL_VARIANTS.items():
            series[label] = icl(decider, llm)
    series[_DQN] = base.replace(decider="dqn")
    series[_BANDIT] = base.replace(decider="bandit")
    series[_LOCAL] = base.replace(decider="local")
    return series


def panel_specs(settings: Settings, panel: str) -> dict[str, list[RunSpec]]:
    """Series label -> the runs of that series (all seeds, and all x values for d-f)."""
    if panel not in PANELS:
        raise ValueError(f"panel must be one of {', '.join(PANELS)}, got {panel!r}")
    sz = settings.sizes
    if panel in ("a", "b", "c"):
        return {
            label: expand_grid(base, {}, seeds=sz.learn_seeds, root_seed=settings.root_seed)
            for label, base in _learning_series(settings, panel).items()
        }
    from genoff.world.catalog import load_catalog

    key, _ = SWEEP_FIELDS[panel]
    values = {"d": sz.users, "e": sz.tokens, "f": sz.qp_shares}[panel]
    cat = load_catalog()
    out: dict[str, list[RunSpec]] = {}
    for combo in settings.combinations:
        edge, cloud = cat.combinations[combo]
        base = RunSpec(
            settings.scenario,
            overrides={"llm.edge": edge, "llm.cloud": cloud},
            decider=settings.sweep_decider,
            steps=sz.sweep_steps,
        )
        out[_combo_label(combo)] = expand_grid(
            base, {key: list(values)}, seeds=sz.sweep_seeds, root_seed=settings.root_seed
        )
    return out


# ---------------------------------------------------------------------------------------
# Tables


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


_RATES = frozenset(("qp_success", "offload_share"))


#: (task, metric) pairs of each learning panel, and the oracle's column of each metric.
_LEARNING_METRICS = {
    "a": (("regular", "reward"), ("quality-preferred", "reward")),
    "b": (("quality-preferred", "qp_success"), ("regular", "offload_share")),
    "c": (("all", "reward"),),
}
_ORACLE_METRIC = {"reward": "oracle_reward", "qp_success": "oracle_qp_success",
                  "offload_share": "oracle_offload_share"}


def _learning_table(panel: str, series: Mapping[str, list[RunSpec]], tables, window: int):
    rows: list[dict[str, Any]] = []
    oracle_rows: list[dict[str, Any]] = []
    oracle_done = False
    for label, specs in series.items():
        for s in specs:
            steps = _per_step(tables[s.key], window)
            for task, metric in _LEARNING_METRICS[panel]:
                for step, v in steps[(task, metric)].items():
                    rows.append({"panel": panel, "series": label, "task": task, "x_name": "step",
                                 "x": float(step), "metric": metric, "seed": s.seed,
                                 "value": float(v)})
                if not oracle_done:
                    # The oracle's decisions depend only on the seed (same requests and
                    # channels in every series): take them from the first series' runs.
                    om = _ORACLE_METRIC[metric]
                    for step, v in steps[(task, om)].items():
                        oracle_rows.append({"panel": panel, "series": _ORACLE, "task": task,
                                            "x_name": "step", "x": float(step),
                                            "metric": metric, "seed": s.seed,
                                            "value": float(v)})
        oracle_done = True
    return _aggregate(rows + oracle_rows)


def _sweep_table(panel: str, series: Mapping[str, list[RunSpec]], summaries):
    key, x_name = SWEEP_FIELDS[panel]
    rows: list[dict[str, Any]] = []
    for label, specs in series.items():
        for s in specs:
            summ = summaries[s.key]
            for metric, col in (("delay_s", "mean_delay_s"), ("reward", "mean_reward"),
                                ("qp_success", "qp_success_rate"),
                                ("offload_share", "offload_share"),
                                ("oracle_reward", "oracle_mean_reward")):
                rows.append({"panel": panel, "series": label, "task": "all", "x_name": x_name,
                             "x": float(s.overrides[key]), "metric": metric, "seed": s.seed,
                             "value": float(summ[col])})
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
    return _panel_tables(panel, settings, runs, summaries)[0]


def _panel_tables(panel, settings, runs, summaries) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`panel_table` and its per-seed rows (``seed``, ``value``)."""
    series = panel_specs(settings, panel)
    if panel in ("a", "b", "c"):
        return _learning_table(panel, series, runs, settings.sizes.window)
    return _sweep_table(panel, series, summaries)


# ---------------------------------------------------------------------------------------
# Trends


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


def _curve(t: pd.DataFrame, series: str, metric: str, task: str = "all") -> pd.Series:
    sel = t[(t["series"] == series) & (t["metric"] == metric) & (t["task"] == task)]
    return sel.set_index("x")["mean"].sort_index()


def _second_half(curve: pd.Series) -> float:
    return float(curve.iloc[len(curve) // 2:].mean())


def _learning_values(t: pd.DataFrame, metric: str, task: str) -> dict[str, float]:
    return {s: _second_half(_curve(t, s, metric, task)) for s in t["series"].unique()}


def _fmt(v: float, unit: str = "") -> str:
    return f"{v:.3g}{unit}" if math.isfinite(v) else "n/a"


def _is_icl(series: str) -> bool:
    """The paper's decider's series (the claims of panels a and b are about it)."""
    return series.startswith("ICL")


def _trends_a(t: pd.DataFrame) -> list[Trend]:
    out = []
    for task in _TASKS:
        vals = _learning_values(t[t["task"] == task], "reward", task)
        dqn, oracle = vals.get(_DQN, math.nan), vals.get(_ORACLE, math.nan)
        refs = ", ".join(f"{s} {_fmt(vals[s])}" for s in (_BANDIT, _LOCAL) if s in vals)
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
    oracle, oracle_share = vals.get(_ORACLE, math.nan), shares.get(_ORACLE, math.nan)
    out = []
    for s, v in vals.items():
        if not _is_icl(s):
            continue
        curve = _curve(qp, s, "qp_success", "quality-preferred")
        start = float(curve.iloc[0]) if len(curve) else math.nan
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
            f"DQN {_fmt(vals.get(_DQN, math.nan))}, bandit {_fmt(vals.get(_BANDIT, math.nan))}); "
            f"regular tasks offloaded (second half): {_fmt(share)} vs the oracle's "
            f"{_fmt(oracle_share)}"
            + ("" if rises else "; does not rise")
            + ("" if regular_ok else "; regular-task offloading is off the oracle's") + ".",
        ))
    return out


def _trends_c(t: pd.DataFrame) -> list[Trend]:
    vals = _learning_values(t, "reward", "all")
    prop = vals.get(_ICL_VARIANTS["icl"], math.nan)
    out = []
    for key in ("icl-latest", "icl-noexplore"):
        other = vals.get(_ICL_VARIANTS[key], math.nan)
        out.append(Trend(
            "c", f"{_ICL_VARIANTS['icl']} earns more than {_ICL_VARIANTS[key]} "
            "(second half of the run)", bool(prop > other),
            f"Second-half mean reward: {_fmt(prop)} vs {_fmt(other)} (DQN "
            f"{_fmt(vals.get(_DQN, math.nan))}, oracle {_fmt(vals.get(_ORACLE, math.nan))}).",
        ))
    return out


def _trends_sweep(panel: str, t: pd.DataFrame) -> list[Trend]:
    _, x_name = SWEEP_FIELDS[panel]
    delays = {s: _curve(t, s, "delay_s") for s in t["series"].unique()}
    rising, parts = True, []
    for s, c in delays.items():
        x, y = c.index.to_numpy(), c.to_numpy()
        slope = float(np.polyfit(x, y, 1)[0]) if len(c) > 1 else math.nan
        ok = bool(y[-1] > y[0] and slope > 0)
        rising &= ok
        parts.append(f"{s}: {y[0]:.2f} s -> {y[-1]:.2f} s{'' if ok else ' (not rising)'}")
    out = [Trend(panel, f"consistency check of the model's inputs: average service delay "
                        f"rises with the {x_name}", rising, "; ".join(parts) + ".")]
    lowest_label = _combo_label(LOWEST_COMBINATION)
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


def check_trends(tables: Mapping[str, pd.DataFrame],
                 not_measured: Sequence[str] = ()) -> list[Trend]:
    """The paper's claims for each panel in ``tables`` (panel -> :func:`panel_table`).

    Claims about a series in ``not_measured`` (its LLM decisions mostly fell back) are
    marked "not measured" instead of holding or failing.
    """
    out: list[Trend] = []
    for p, t in tables.items():
        if p == "a":
            out += _trends_a(t)
        elif p == "b":
            out += _trends_b(t)
        elif p == "c":
            out += _trends_c(t)
        else:
            out += _trends_sweep(p, t)
    bad = [s for s in not_measured if s]
    return [replace(tr, measured=False) if any(s in tr.claim for s in bad) else tr for tr in out]


# ---------------------------------------------------------------------------------------
# Plots


def plot_panel(panel: str, table: pd.DataFrame, path: str | os.PathLike,
               per_seed: pd.DataFrame | None = None) -> None:
    """Draw a panel's table into a PNG (atomically).

    Curves are means over seeds; with 3 or more seeds the band is the 95 % Student-t
    confidence interval of the seed-to-seed spread, with fewer (and ``per_seed``, the
    per-seed rows) each seed is drawn as a thin line instead. The legend says which.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    panels = {
        "a": [("regular", "reward"), ("quality-preferred", "reward")],
        "b": [("quality-preferred", "qp_success"), ("regular", "offload_share")],
        "c": [("all", "reward")],
    }.get(panel, [("all", "delay_s")])
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.2), squeeze=False)
    ylabels = {"reward": "mean reward per request", "qp_success": "success rate",
               "delay_s": "average service delay (s)", "offload_share": "share offloaded"}
    n_seeds = int(table["n_seeds"].max()) if len(table) else 0
    draw_seeds = n_seeds < 3 and per_seed is not None and len(per_seed)
    try:
        for ax, (task, metric) in zip(axes[0], panels):
            sel = table[(table["metric"] == metric) & (table["task"] == task)]
            for series, grp in sel.groupby("series", sort=False):
                grp = grp.sort_values("x")
                style = dict(color="black", linestyle="--") if series == _ORACLE else {}
                marker = "o" if panel in SWEEP_FIELDS else None
                (line,) = ax.plot(grp["x"], grp["mean"], label=series, marker=marker, **style)
                if draw_seeds:
                    ps = per_seed[(per_seed["series"] == series) & (per_seed["metric"] == metric)
                                  & (per_seed["task"] == task)]
                    for _, one in ps.groupby("seed"):
                        one = one.sort_values("x")
                        ax.plot(one["x"], one["value"], color=line.get_color(), lw=0.6, alpha=0.5)
                elif grp["ci_low"].notna().any():
                    ax.fill_between(grp["x"], grp["ci_low"], grp["ci_high"],
                                    color=line.get_color(), alpha=0.2, linewidth=0)
            ax.set_xlabel(table["x_name"].iloc[0] if len(table) else "")
            ax.set_ylabel(ylabels[metric])
            if len(panels) > 1:
                ax.set_title(f"{task} tasks: {ylabels[metric]}", fontsize=9)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=6, title=(f"thin lines: each of {n_seeds} seeds" if draw_seeds else
                                         f"band: 95 % t-interval over {n_seeds} seeds"),
                      title_fontsize=6)
        note = " (a consistency check of the model's inputs)" if panel in SWEEP_FIELDS else ""
        fig.suptitle(f"Fig. 5({panel}): {PANEL_TITLES[panel]}{note}; mean over {n_seeds} seeds",
                     fontsize=10)
        fig.tight_layout()
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------------------
# Files


def _metadata(settings: Settings, panel: str | None) -> dict[str, Any]:
    return {
        "genoff_version": __version__,
        "panel": panel,
        "settings": settings.to_dict(),
        "learn_seeds": settings.learn_seeds(),
        "sweep_seeds": settings.sweep_seeds(),
    }


def _write_table(table: pd.DataFrame, stem: Path, meta: Mapping[str, Any]) -> list[Path]:
    return write_table(table, stem, dict(meta), {k: meta[k] for k in
                                                 ("learn_seeds", "sweep_seeds", "settings")})


def _report(settings: Settings, tables: Mapping[str, pd.DataFrame], trends: Sequence[Trend],
            wall_s: float, executor: str) -> str:
    sz = settings.sizes
    lines = [
        "# genoff: the paper's Fig. 5, reproduced",
        "",
        f"genoff {__version__}; scenario `{settings.scenario}`; root seed {settings.root_seed}; "
        f"learning runs (a-c): {sz.learn_seeds} seeds x {sz.learn_steps} slots"
        + (f", {sz.learn_users} users" if sz.learn_users else "")
        + f"; delay sweeps (d-f): {sz.sweep_seeds} seeds x {sz.sweep_steps} slots, decided by "
        f"the `{settings.sweep_decider}` decider. ICL deciders: "
        + ", ".join(_llm_label(s) for s in settings.llms)
        + (f" ({settings.calibrate if isinstance(settings.calibrate, str) else 'content-free'}"
           " calibration, " if settings.calibrate else " (")
        + f"epsilon {settings.epsilon:g}). "
        "Curves: mean over seeds; bands: 95 % "
        f"Student-t confidence interval of the seed-to-seed spread (with fewer than 3 seeds "
        f"each seed is drawn instead). Learning curves: trailing moving average over "
        f"{sz.window} slots. This call: {wall_s:.0f} s ({executor}).",
        "",
        "The paper (Zhou et al., IEEE WCL 2025) gives no numbers for Fig. 5, only trends; "
        "each panel below checks them on these data. Panels a-c also show reference series "
        f"that every LLM decider must beat to earn its place: `{_BANDIT}` and `{_LOCAL}` "
        f"(and, in a and b, genoff's recommended LLM decider, `{_LLM_PRIOR}`). Panels d-f "
        "are consistency checks of the model's inputs (the catalog's delays and the load-aware "
        "edge), not evidence for the paper's method: the oracle decides them.",
        "",
    ]
    for p, t in tables.items():
        lines += [f"## Fig. 5({p}): {PANEL_TITLES[p]}", "", f"![Fig. 5({p})](fig5{p}.png)", "",
                  f"Data: `fig5{p}.csv`, `fig5{p}.parquet`.", ""]
        for tr in trends:
            if tr.panel == p:
                lines.append(f"- **{tr.verdict.capitalize()}**: {tr.claim}. {tr.detail}")
        lines.append("")
        lines += _oracle_lines(p, t)
        lines.append("")
    return "\n".join(lines)


def _not_measured_lines(not_measured: Mapping[str, float]) -> str:
    if not not_measured:
        return ""
    return ("\n## Not measured\n\n" + "".join(
        f"- {label}: {share:.0%} of its LLM decisions fell back (backend errors or "
        "unparsable replies); its claims above are marked not measured.\n"
        for label, share in not_measured.items()))


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


def _oracle_lines(panel: str, t: pd.DataFrame) -> list[str]:
    if panel in ("a", "b", "c"):
        metric = "qp_success" if panel == "b" else "reward"
        name = "QP success rate" if panel == "b" else "mean reward per request"
        parts = []
        for task in t["task"].unique():
            c = _curve(t, _ORACLE, metric, task)
            if len(c):
                parts.append(f"{task}: {c.mean():.3g}")
        return [f"Oracle reference ({name}, mean over the run): " + "; ".join(parts) + "."]
    metric = "oracle_reward"
    _, x_name = SWEEP_FIELDS[panel]
    sel = t[t["metric"] == "delay_s"]
    xs = sorted(sel["x"].unique())
    head = f"| {x_name} | " + " | ".join(f"{x:g}" for x in xs) + " |"
    rows = [head, "|---" * (len(xs) + 1) + "|"]
    for s in sel["series"].unique():
        c = _curve(t, s, "delay_s")
        rows.append(f"| {s}: delay (s) | " + " | ".join(f"{c.get(x, math.nan):.2f}" for x in xs)
                    + " |")
    for s in t["series"].unique():
        c = _curve(t, s, metric)
        rows.append(f"| {s}: oracle reward | "
                    + " | ".join(f"{c.get(x, math.nan):.3g}" for x in xs) + " |")
    return ["Delays of the sweep decider and the oracle's mean reward per request:", ""] + rows


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


SETTINGS_FILE = "reproduce.json"


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
    if isinstance(panels, str):
        panels = [p for p in panels.replace(" ", "").split(",") if p]
    panels = list(dict.fromkeys(panels))
    bad = [p for p in panels if p not in PANELS]
    if bad or not panels:
        raise ValueError(f"panels must be some of {', '.join(PANELS)}, got {panels!r}")
    panels = [p for p in PANELS if p in panels]
    check_executor(executor, workers, address)  # before anything is written
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, but {out} is a file")
    check_saved_settings(out, SETTINGS_FILE, settings.to_dict(), force,
                         what="a genoff reproduction", kept="overwrite its figures and tables "
                         "(finished runs of either are kept in runs/)")
    writable_folder(out, "out")

    # Panels this folder already holds with these settings (an earlier call with other
    # --panels): their files stay as they are, and the report and runs.* cover them too.
    from genoff.experiments.sweep import RUNS_DIR, read_run

    earlier = [p for p in _panels_done(out, settings) if p not in panels]
    specs_by_panel = {p: panel_specs(settings, p) for p in PANELS if p in panels or p in earlier}
    for p in earlier:
        if not all((out / RUNS_DIR / f"{s.key}.parquet").is_file()
                   for ss in specs_by_panel[p].values() for s in ss):
            del specs_by_panel[p]  # its runs are gone: leave it out rather than rerun it
    earlier = [p for p in earlier if p in specs_by_panel]
    reported = [p for p in PANELS if p in specs_by_panel]

    def save_state(extra: Mapping[str, Any]) -> None:
        state = {**_metadata(settings, None), "panels": panels, **extra}
        atomic_write_text(out / SETTINGS_FILE, json.dumps(state, indent=2) + "\n")

    save_state({"status": "running", "panels_done": earlier})
    all_specs = [s for p in reported for ss in specs_by_panel[p].values() for s in ss]
    summary = run_sweep(all_specs, out, executor=executor, workers=workers,
                        address=address, n_threads_per_run=1, progress=progress)
    summary = summary.drop_duplicates("key").reset_index(drop=True)
    summaries = {r["key"]: r for r in summary.to_dict("records")}
    in_panels = {}
    for p in reported:
        for ss in specs_by_panel[p].values():
            for s in ss:
                in_panels.setdefault(s.key, []).append(p)
    summary.insert(1, "panels", [",".join(dict.fromkeys(in_panels[k])) for k in summary["key"]])

    runs: dict[str, pd.DataFrame] = {}
    llm_stats: dict[str, dict[str, int]] = {}
    not_measured: dict[str, float] = {}  # series label -> share of fallback decisions
    for p in reported:
        if p in ("a", "b", "c"):
            for label, ss in specs_by_panel[p].items():
                for s in ss:
                    if s.key in runs:
                        continue
                    _, runs[s.key], meta = read_run(out / RUNS_DIR / f"{s.key}.parquet")
                    if s.decider in LLM_DECIDERS:
                        name = f"{s.decider} ({_llm_label(s.decider_kwargs['backend'])})"
                        acc = llm_stats.setdefault(name, {})
                        for k, v in (meta.get("decider_stats") or {}).items():
                            acc[k] = acc.get(k, 0) + int(v)
                        share = fallback_share(meta.get("decider_stats"))
                        if share > MAX_FALLBACK_SHARE:
                            not_measured[label] = max(share, not_measured.get(label, 0.0))
    both = {p: _panel_tables(p, settings, runs, summaries) for p in reported}
    tables = {p: t for p, (t, _) in both.items()}
    trends = check_trends(tables, not_measured=list(not_measured))
    files: list[Path] = []
    for p in panels:
        files += _write_table(tables[p], out / f"fig5{p}", _metadata(settings, p))
        plot_panel(p, tables[p], out / f"fig5{p}.png", per_seed=both[p][1])
        files.append(out / f"fig5{p}.png")
    files += _write_table(summary, out / "runs", _metadata(settings, None))
    wall = time.perf_counter() - t0
    ex_name = executor if isinstance(executor, str) else type(executor).__name__
    report = (_report(settings, tables, trends, wall, ex_name) + _stats_lines(llm_stats)
              + _not_measured_lines(not_measured))
    atomic_write_text(out / "report.md", report + "\n")
    files.append(out / "report.md")
    save_state({"status": "done", "panels_done": reported, "wall_time_s": wall,
                "executor": ex_name,
                "trends": [asdict(t) for t in trends], "icl_stats": llm_stats})
    files.append(out / SETTINGS_FILE)
    return ReproduceResult(tables, summary, trends, files, wall, not_measured)


def with_seeds(sizes: Sizes, seeds: int) -> Sizes:
    """``sizes`` with ``seeds`` seeds for both the learning runs and the delay sweeps."""
    return replace(sizes, learn_seeds=seeds, sweep_seeds=seeds)
