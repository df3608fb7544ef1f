"""Which runs each panel needs: series label -> the :class:`RunSpec` of each seed (and,
for the delay panels d-f, of each x value), and the labels of the series."""

from __future__ import annotations

from typing import Any, Mapping

from genoff.deciders.registry import REGISTRY
from genoff.experiments.sweep import RunSpec, expand_grid
from genoff.fig5.settings import LEARNING_PANELS, PANELS, SWEEP_FIELDS, Settings
from genoff.llm.spec import backend_label
from genoff.world.catalog import load_catalog

__all__ = ["panel_specs", "llm_label", "combination_label", "ICL", "ICL_VARIANTS", "DQN",
           "ORACLE", "BANDIT", "LOCAL", "LLM_PRIOR", "TASKS"]

#: Label of the paper's decider (registry family ``"icl"``) in panels a and b, followed by
#: its LLM; every series of that family is labelled starting with it, which is how
#: :mod:`genoff.fig5.trends` finds them in a table (tables carry labels, not deciders).
ICL = "ICL"
#: Labels of the ICL variants of panel c (the deciders of registry family ``"icl"``).
ICL_VARIANTS = {
    "icl": f"{ICL}, prioritized replay + epsilon-greedy",
    "icl-latest": f"{ICL}, latest experience",
    "icl-noexplore": f"{ICL}, no exploration",
}
#: The variant whose factory fixes epsilon at 0 (it takes no ``epsilon``).
_NO_EXPLORATION = "icl-noexplore"
DQN = "DQN"
ORACLE = "oracle"
#: Reference series of the learning panels: the simplest learner and the simplest policy
#: (every LLM decider is judged against them), and the recommended LLM decider.
BANDIT = "bandit (tabular, epsilon-greedy)"
LOCAL = "always local"
LLM_PRIOR = "LLM prior + Thompson sampling"
TASKS = ("regular", "quality-preferred")


def llm_label(spec: Mapping[str, Any]) -> str:
    """A backend spec's model, as legends and the report name it."""
    return backend_label(spec)


def combination_label(name: str) -> str:
    """``"<edge> + <cloud>"`` display names of a catalog combination."""
    edge, cloud = load_catalog().combination(name)
    return f"{edge.display_name} + {cloud.display_name}"


def _learning_series(settings: Settings, panel: str) -> dict[str, RunSpec]:
    """Series label -> base spec (seed 0) of a learning panel."""
    sz = settings.sizes
    overrides = {} if sz.learn_users is None else {"layout.users_per_cell": sz.learn_users}
    base = RunSpec(settings.scenario, overrides=overrides, steps=sz.learn_steps)

    def icl(decider: str, llm: Mapping[str, Any]) -> RunSpec:
        kwargs: dict[str, Any] = {"backend": dict(llm), "calibrate": settings.calibrate}
        if decider != _NO_EXPLORATION:
            kwargs["epsilon"] = settings.epsilon
        return base.replace(decider=decider, decider_kwargs=kwargs)

    series: dict[str, RunSpec] = {}
    if panel in ("a", "b"):
        for i, llm in enumerate(settings.llms):
            label = f"{ICL} ({llm_label(llm)})"
            if label in series:
                label = f"{ICL} ({llm_label(llm)} #{i + 1})"
            series[label] = icl("icl", llm)
        series[f"{LLM_PRIOR} ({llm_label(settings.llms[0])})"] = base.replace(
            decider="llm-prior", decider_kwargs={"backend": dict(settings.llms[0])})
    else:
        for decider in (name for name, entry in REGISTRY.items() if entry.family == "icl"):
            series[ICL_VARIANTS[decider]] = icl(decider, settings.llms[0])
    series[DQN] = base.replace(decider="dqn")
    series[BANDIT] = base.replace(decider="bandit")
    series[LOCAL] = base.replace(decider="local")
    return series


def _sweep_series(settings: Settings, panel: str) -> dict[str, list[RunSpec]]:
    """Combination label -> the runs of a delay panel (every x value and seed)."""
    sz = settings.sizes
    key, _ = SWEEP_FIELDS[panel]
    values = {"d": sz.users, "e": sz.tokens, "f": sz.qp_shares}[panel]
    catalog = load_catalog()
    out: dict[str, list[RunSpec]] = {}
    for combination in settings.combinations:
        edge, cloud = catalog.combinations[combination]
        base = RunSpec(
            settings.scenario,
            overrides={"llm.edge": edge, "llm.cloud": cloud},
            decider=settings.sweep_decider,
            steps=sz.sweep_steps,
        )
        out[combination_label(combination)] = expand_grid(
            base, {key: list(values)}, seeds=sz.sweep_seeds, root_seed=settings.root_seed
        )
    return out


def panel_specs(settings: Settings, panel: str) -> dict[str, list[RunSpec]]:
    """Series label -> the runs of that series (all seeds, and all x values for d-f)."""
    if panel not in PANELS:
        raise ValueError(f"panel must be one of {', '.join(PANELS)}, got {panel!r}")
    if panel not in LEARNING_PANELS:
        return _sweep_series(settings, panel)
    return {
        label: expand_grid(base, {}, seeds=settings.sizes.learn_seeds,
                           root_seed=settings.root_seed)
        for label, base in _learning_series(settings, panel).items()
    }
