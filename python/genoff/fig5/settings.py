"""What :func:`genoff.fig5.reproduce` simulates: the panels, how much to simulate
(:class:`Sizes`) and everything that determines the results (:class:`Settings`)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from genoff._util.validate import integer, real
from genoff.deciders.icl import calibration_mode
from genoff.deciders.registry import DECIDERS
from genoff.experiments.sweep import replica_seeds
from genoff.llm.spec import backend_label
from genoff.world.catalog import load_catalog
from genoff.world.scenario import load_scenario

__all__ = [
    "PANELS",
    "PANEL_TITLES",
    "LEARNING_PANELS",
    "SWEEP_FIELDS",
    "COMBINATIONS",
    "LOWEST_COMBINATION",
    "Sizes",
    "DEFAULT_SIZES",
    "QUICK_SIZES",
    "Settings",
    "with_seeds",
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

#: The panels of learning curves (per-slot metrics of learning deciders); the others are
#: the delay sweeps of :data:`SWEEP_FIELDS`.
LEARNING_PANELS = ("a", "b", "c")

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


def _sorted_values(name: str, values: Any) -> tuple:
    """``values`` (the x values of a delay panel) as a tuple: two or more, increasing."""
    if isinstance(values, (str, bytes)) or len(values) < 2:
        raise ValueError(f"{name} must list at least two values, got {values!r}")
    if list(values) != sorted(set(values)):
        raise ValueError(f"{name} must be increasing without repeats, got {values!r}")
    return tuple(values)


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
            integer(name, getattr(self, name), ge=1, type_error=ValueError)
        if self.learn_users is not None:
            integer("learn_users", self.learn_users, ge=1, type_error=ValueError)
        for name in ("users", "tokens", "qp_shares"):
            object.__setattr__(self, name, _sorted_values(name, getattr(self, name)))
        for users in self.users:
            integer("users", users, ge=1, type_error=ValueError)
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


def with_seeds(sizes: Sizes, seeds: int) -> Sizes:
    """``sizes`` with ``seeds`` seeds for both the learning runs and the delay sweeps."""
    return replace(sizes, learn_seeds=seeds, sweep_seeds=seeds)


def _backend_spec(spec: Any) -> dict[str, Any]:
    """A backend spec as a plain dict; ``backend_label`` checks it (TypeError for a
    non-mapping, ValueError naming a bad ``kind``, an unknown setting or a missing model)."""
    backend_label(spec)
    return dict(spec)


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
        if isinstance(self.scenario, os.PathLike):
            object.__setattr__(self, "scenario", os.fspath(self.scenario))
        load_scenario(self.scenario)  # ValueError for an unknown name or a bad file
        if not isinstance(self.sizes, Sizes):
            raise TypeError(f"sizes must be a Sizes, got {type(self.sizes).__name__}")
        if isinstance(self.llms, Mapping) or not self.llms:
            raise ValueError("llms must be a non-empty list of backend specs")
        object.__setattr__(self, "llms", tuple(_backend_spec(s) for s in self.llms))
        if not isinstance(self.calibrate, bool):
            mode = calibration_mode(self.calibrate)  # ValueError naming calibrate
            object.__setattr__(self, "calibrate", False if mode == "none" else mode)
        epsilon = real("epsilon", self.epsilon, ge=0.0, le=1.0, type_error=ValueError)
        object.__setattr__(self, "epsilon", epsilon)
        if self.sweep_decider not in DECIDERS:
            raise ValueError(
                f"sweep_decider: unknown decider {self.sweep_decider!r}; "
                f"known: {', '.join(sorted(DECIDERS))}"
            )
        if isinstance(self.combinations, str) or not self.combinations:
            raise ValueError("combinations must be a non-empty list of catalog combinations")
        known = load_catalog().combinations
        for combination in self.combinations:
            if combination not in known:
                raise ValueError(
                    f"combinations: unknown {combination!r} (known: {', '.join(known)})")
        object.__setattr__(self, "combinations", tuple(self.combinations))
        integer("root_seed", self.root_seed, ge=0, type_error=ValueError)

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
