"""One PNG per panel (matplotlib, imported when a panel is drawn)."""

from __future__ import annotations

import os

import pandas as pd

from genoff._util.io import atomic_write
from genoff.fig5.settings import PANEL_TITLES, SWEEP_FIELDS
from genoff.fig5.specs import ORACLE
from genoff.fig5.tables import LEARNING_METRICS

__all__ = ["plot_panel"]

_YLABELS = {"reward": "mean reward per request", "qp_success": "success rate",
            "delay_s": "average service delay (s)", "offload_share": "share offloaded"}


def _draw_series(ax, panel: str, table: pd.DataFrame, per_seed: pd.DataFrame | None,
                 draw_seeds: bool, task: str, metric: str) -> None:
    """The curves of one (task, metric) subplot: the mean of each series, and its band or
    each seed's curve."""
    sel = table[(table["metric"] == metric) & (table["task"] == task)]
    for series, grp in sel.groupby("series", sort=False):
        grp = grp.sort_values("x")
        style = dict(color="black", linestyle="--") if series == ORACLE else {}
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

    subplots = LEARNING_METRICS.get(panel, (("all", "delay_s"),))
    fig, axes = plt.subplots(1, len(subplots), figsize=(5.6 * len(subplots), 4.2),
                             squeeze=False)
    n_seeds = int(table["n_seeds"].max()) if len(table) else 0
    draw_seeds = n_seeds < 3 and per_seed is not None and len(per_seed)
    try:
        for ax, (task, metric) in zip(axes[0], subplots):
            _draw_series(ax, panel, table, per_seed, draw_seeds, task, metric)
            ax.set_xlabel(table["x_name"].iloc[0] if len(table) else "")
            ax.set_ylabel(_YLABELS[metric])
            if len(subplots) > 1:
                ax.set_title(f"{task} tasks: {_YLABELS[metric]}", fontsize=9)
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
