"""The eight sections of a scenario, one frozen dataclass each, every field checked when
the section is constructed (messages start with the dotted field name).

The field defaults are the paper's setting (Sec. IV-A); the constants the paper's equations
use come from :mod:`genoff.defaults`, the upper bounds from :mod:`.bounds`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genoff._util import validate
from genoff.defaults import (
    BYTES_PER_TOKEN,
    CLOUD_MODEL,
    EDGE_MODEL,
    PENALTY,
    PF_BETA,
    T_BACK_S,
    TARGET_S,
    TTI_S,
)
from genoff.world.antenna import ANTENNAS
from genoff.world.propagation import MODELS
from genoff.world.scenario.base import Section, sequence, shown_key, word
from genoff.world.scenario.bounds import (
    MAX_BYTES_PER_TOKEN,
    MAX_CV,
    MAX_H_BS_M,
    MAX_ISD_M,
    MAX_NUM_RB,
    MAX_NUM_TTI,
    MAX_RB_BANDWIDTH_HZ,
    MAX_REQUESTS_PER_STEP,
    MAX_SECONDS,
    MAX_SIZE_EDGE,
    MAX_SIZE_LEVELS,
    MAX_SLOPE,
    MAX_TOKENS,
    MAX_USERS_PER_CELL,
)
from genoff.world.services import QUALITY_PREFERRED, SERVICE_TYPES
from genoff.world.topology import NUM_SITES, SECTORS_PER_SITE

__all__ = [
    "LayoutConfig",
    "ChannelConfig",
    "RadioConfig",
    "SchedulerConfig",
    "TasksConfig",
    "LLMConfig",
    "RewardConfig",
    "TransmissionConfig",
    "SECTIONS",
]


@dataclass(frozen=True)
class LayoutConfig(Section):
    """Cell layout and user drop.

    Attributes:
        num_sites: hexagonal sites: 1 (centre), 7 (+ ring of 6) or 19 (+ ring of 12).
        sectors_per_site: cells per site: 1 (omni) or 3 (boresights 30, 150, 270 deg).
        isd_m: inter-site distance (m); TR 38.901 UMa: 500 m, UMi: 200 m.
        users_per_cell: users dropped in each cell that gets users.
        user_cells: ``"centre"``: users only in the cells of the centre site (the paper: one
            cell with 20 users; with 3 sectors, its 3 cells); ``"all"``: in every cell.
        min_distance_m: minimum 2-D distance user - site (m); TR 38.901 UMa: 35 m.
        neighbours_loaded: cells that serve no user still transmit on every RB (full-load
            interferers, the paper's neighbours); if False they are silent.
        association: serving cell of a user: ``"strongest"`` (the cell of the largest
            large-scale gain; with LOS drawn per link and shadowing, about a third of the
            users dropped in the paper's centre cell then attach to a neighbour) or
            ``"home"`` (the cell the user was dropped in).
    """

    _SECTION = "layout"

    num_sites: int = 7
    sectors_per_site: int = 1
    isd_m: float = 500.0
    users_per_cell: int = 20
    user_cells: str = "centre"
    min_distance_m: float = 35.0
    neighbours_loaded: bool = True
    association: str = "home"

    def __post_init__(self) -> None:
        p = self._path
        self._set("num_sites", validate.integer(p("num_sites"), self.num_sites, choices=NUM_SITES))
        self._set(
            "sectors_per_site",
            validate.integer(
                p("sectors_per_site"), self.sectors_per_site, choices=SECTORS_PER_SITE
            ),
        )
        self._set("isd_m", validate.real(p("isd_m"), self.isd_m, gt=0.0, le=MAX_ISD_M))
        self._set(
            "users_per_cell",
            validate.integer(
                p("users_per_cell"), self.users_per_cell, ge=1, le=MAX_USERS_PER_CELL
            ),
        )
        self._set(
            "user_cells", validate.choice(p("user_cells"), self.user_cells, ("centre", "all"))
        )
        self._set("min_distance_m", validate.real(p("min_distance_m"), self.min_distance_m, ge=0.0))
        if self.min_distance_m >= self.isd_m / 2.0:
            raise ValueError(
                f"layout.min_distance_m must be < layout.isd_m / 2 = {self.isd_m / 2.0:g} "
                f"(the cell's inner radius), got {self.min_distance_m:g}"
            )
        self._set(
            "neighbours_loaded", validate.boolean(p("neighbours_loaded"), self.neighbours_loaded)
        )
        self._set(
            "association",
            validate.choice(p("association"), self.association, ("strongest", "home")),
        )


@dataclass(frozen=True)
class ChannelConfig(Section):
    """Propagation (TR 38.901 Sec. 7.4) and BS antenna (Sec. 7.3).

    Attributes:
        model: ``"uma"`` (Urban Macro) or ``"umi"`` (Urban Micro - Street Canyon).
        fc_ghz: carrier frequency (GHz), 0.5-100 (the tables' validity range).
        h_bs_m: BS antenna height (m); TR 38.901 UMa: 25 m, UMi: 10 m.
        h_ut_m: user height (m), 1.5-22.5 (the tables' validity range).
        shadowing: log-normal shadow fading (4 dB LOS, 6 dB UMa / 7.82 dB UMi NLOS).
        fading: fast fading per RB and TTI, ``"rayleigh"`` or ``"none"``.
        antenna: ``"omni"`` (0 dBi) or ``"3gpp-sector"`` (Table 7.3-1 element, 8 dBi;
            required with 3 sectors per site; with 1 sector it points at 0 deg).
        downtilt_deg: electrical downtilt of the sector antenna (deg, positive = down);
            12 deg is TR 38.901 Table 7.8-1's calibration value (102 deg in the LCS).
    """

    _SECTION = "channel"

    model: str = "uma"
    fc_ghz: float = 3.5
    h_bs_m: float = 25.0
    h_ut_m: float = 1.5
    shadowing: bool = True
    fading: str = "rayleigh"
    antenna: str = "omni"
    downtilt_deg: float = 12.0

    def __post_init__(self) -> None:
        p = self._path
        self._set("model", validate.choice(p("model"), self.model, MODELS))
        self._set("fc_ghz", validate.real(p("fc_ghz"), self.fc_ghz, ge=0.5, le=100.0))
        self._set("h_ut_m", validate.real(p("h_ut_m"), self.h_ut_m, ge=1.5, le=22.5))
        self._set(
            "h_bs_m", validate.real(p("h_bs_m"), self.h_bs_m, gt=1.0, le=MAX_H_BS_M)
        )
        if self.h_bs_m <= self.h_ut_m:
            raise ValueError(
                f"channel.h_bs_m must be > channel.h_ut_m = {self.h_ut_m:g}, got {self.h_bs_m:g}"
            )
        self._set("shadowing", validate.boolean(p("shadowing"), self.shadowing))
        self._set("fading", validate.choice(p("fading"), self.fading, ("rayleigh", "none")))
        self._set(
            "antenna", validate.choice(p("antenna"), self.antenna, ANTENNAS)
        )
        self._set(
            "downtilt_deg", validate.real(p("downtilt_deg"), self.downtilt_deg, ge=-90.0, le=90.0)
        )


@dataclass(frozen=True)
class RadioConfig(Section):
    """OFDMA downlink resources.

    Attributes:
        num_rb: resource blocks per cell (106 = 20 MHz at 15 kHz SCS, TS 38.101-1).
        rb_bandwidth_hz: bandwidth of one RB (Hz): 12 subcarriers x 15 kHz.
        tx_power_dbm: BS transmit power (dBm), split evenly over the RBs (TR 36.814).
        noise_density_dbm_hz: thermal noise density N0 (dBm/Hz).
        noise_figure_db: UE noise figure (dB), >= 0.
    """

    _SECTION = "radio"

    num_rb: int = 106
    rb_bandwidth_hz: float = 180e3
    tx_power_dbm: float = 46.0
    noise_density_dbm_hz: float = -174.0
    noise_figure_db: float = 9.0

    def __post_init__(self) -> None:
        p = self._path
        self._set(
            "num_rb", validate.integer(p("num_rb"), self.num_rb, ge=1, le=MAX_NUM_RB)
        )
        self._set(
            "rb_bandwidth_hz",
            validate.real(
                p("rb_bandwidth_hz"), self.rb_bandwidth_hz, ge=1.0, le=MAX_RB_BANDWIDTH_HZ
            ),
        )
        self._set(
            "tx_power_dbm",
            validate.real(p("tx_power_dbm"), self.tx_power_dbm, ge=-100.0, le=100.0),
        )
        self._set(
            "noise_density_dbm_hz",
            validate.real(
                p("noise_density_dbm_hz"), self.noise_density_dbm_hz, ge=-300.0, le=0.0
            ),
        )
        self._set(
            "noise_figure_db",
            validate.real(p("noise_figure_db"), self.noise_figure_db, ge=0.0, le=100.0),
        )


@dataclass(frozen=True)
class SchedulerConfig(Section):
    """Proportional-fair scheduler (Sionna PFSchedulerSUMIMO semantics; README "Use the core").

    Attributes:
        beta: forgetting factor of the PF average, in (0, 1) (0.98: a 50-TTI window).
        tti_s: TTI duration (s).
        num_tti: W, the length (TTIs) of the full-buffer run giving the analytic capacity.
    """

    _SECTION = "scheduler"

    beta: float = PF_BETA
    tti_s: float = TTI_S
    num_tti: int = 1000

    def __post_init__(self) -> None:
        p = self._path
        self._set("beta", validate.real(p("beta"), self.beta, gt=0.0, lt=1.0))
        self._set("tti_s", validate.real(p("tti_s"), self.tti_s, ge=1e-6, le=1.0))
        self._set(
            "num_tti", validate.integer(p("num_tti"), self.num_tti, ge=1, le=MAX_NUM_TTI)
        )


#: Quality requirement (MMLU scale) of each service type when the scenario gives none.
DEFAULT_QUALITY_REQUIREMENT: dict[str, float] = {
    s: (68.5 if s in QUALITY_PREFERRED else 45.0) for s in SERVICE_TYPES
}
TOKEN_DISTRIBUTIONS = ("fixed", "exponential", "lognormal", "uniform")


@dataclass(frozen=True)
class TasksConfig(Section):
    """Generation requests (see :mod:`genoff.world.tasks` for the sampling model).

    Attributes:
        mean_output_tokens: mean output length (tokens) before rounding and clipping.
        token_distribution: ``"fixed"``, ``"exponential"``, ``"lognormal"`` or ``"uniform"``.
        token_cv: coefficient of variation (std / mean) of the output length; used by
            ``"lognormal"`` and ``"uniform"`` (<= 1/sqrt(3) so it stays >= 0); ``"fixed"``
            has 0 and ``"exponential"`` 1 whatever this says.
        min_tokens: lower clip of the output length (tokens), >= 1.
        max_tokens: upper clip of the output length (tokens); 4096 = GPT-4o's output limit
            in 2024.
        quality_preferred_share: probability that a request is quality-preferred.
        size_estimate_noise: relative std of the size estimate the decider sees (0 = exact).
        size_level_edges: increasing token edges of the size levels (tokens).
        size_level_names: one name per level, ``len(size_level_edges) + 1`` of them.
        bytes_per_token: content size per output token (bytes); 4 (paper, OpenAI).
        quality_requirement: requirement per service type (MMLU scale, 0-100); missing
            types take the default (45.0 regular, 68.5 quality-preferred).
        requests_per_step: requests each user issues per step.
    """

    _SECTION = "tasks"

    mean_output_tokens: float = 1000.0
    token_distribution: str = "lognormal"
    token_cv: float = 0.5
    min_tokens: int = 1
    max_tokens: int = 4096
    quality_preferred_share: float = 0.4
    size_estimate_noise: float = 0.0
    size_level_edges: tuple[float, ...] = (600.0, 1400.0)
    size_level_names: tuple[str, ...] = ("short", "middle", "long")
    bytes_per_token: float = BYTES_PER_TOKEN
    quality_requirement: dict[str, float] = field(default_factory=DEFAULT_QUALITY_REQUIREMENT.copy)
    requests_per_step: int = 1

    def __post_init__(self) -> None:
        p = self._path
        self._check_output_lengths()
        self._set(
            "quality_preferred_share",
            validate.real(
                p("quality_preferred_share"), self.quality_preferred_share, ge=0.0, le=1.0
            ),
        )
        self._set(
            "size_estimate_noise",
            validate.real(
                p("size_estimate_noise"), self.size_estimate_noise, ge=0.0, le=MAX_CV
            ),
        )
        self._check_size_levels()
        self._set(
            "bytes_per_token",
            validate.real(
                p("bytes_per_token"), self.bytes_per_token, gt=0.0, le=MAX_BYTES_PER_TOKEN
            ),
        )
        self._set("quality_requirement", _quality_requirement(self.quality_requirement))
        self._set(
            "requests_per_step",
            validate.integer(
                p("requests_per_step"), self.requests_per_step, ge=1,
                le=MAX_REQUESTS_PER_STEP,
            ),
        )

    def _check_output_lengths(self) -> None:
        """The output-length model: mean, distribution, cv, clip bounds."""
        p = self._path
        self._set(
            "mean_output_tokens",
            validate.real(p("mean_output_tokens"), self.mean_output_tokens, gt=0.0),
        )
        self._set(
            "token_distribution",
            validate.choice(p("token_distribution"), self.token_distribution, TOKEN_DISTRIBUTIONS),
        )
        self._set("token_cv", validate.real(p("token_cv"), self.token_cv, ge=0.0, le=MAX_CV))
        if self.token_distribution == "uniform" and self.token_cv > 1.0 / math.sqrt(3.0):
            raise ValueError(
                "tasks.token_cv must be <= 1/sqrt(3) = 0.5774 for the uniform distribution "
                f"(lengths stay >= 0), got {self.token_cv:g}"
            )
        self._set("min_tokens", validate.integer(p("min_tokens"), self.min_tokens, ge=1))
        self._set(
            "max_tokens",
            validate.integer(
                p("max_tokens"), self.max_tokens, ge=self.min_tokens, le=MAX_TOKENS
            ),
        )
        if not self.min_tokens <= self.mean_output_tokens <= self.max_tokens:
            raise ValueError(
                f"tasks.mean_output_tokens must lie in [tasks.min_tokens, tasks.max_tokens] = "
                f"[{self.min_tokens}, {self.max_tokens}], got {self.mean_output_tokens:g}"
            )

    def _check_size_levels(self) -> None:
        """The size levels: strictly increasing edges, one distinct word per level."""
        p = self._path
        edges = sequence(p("size_level_edges"), self.size_level_edges)
        if len(edges) >= MAX_SIZE_LEVELS:
            raise ValueError(
                f"tasks.size_level_edges must have at most {MAX_SIZE_LEVELS - 1} edges, "
                f"got {len(edges)}"
            )
        edges = tuple(
            validate.real(f"{p('size_level_edges')}[{i}]", e, gt=0.0, le=MAX_SIZE_EDGE)
            for i, e in enumerate(edges)
        )
        for i in range(1, len(edges)):
            if not edges[i] > edges[i - 1]:
                raise ValueError(
                    f"tasks.size_level_edges must be strictly increasing, got {list(edges)}"
                )
        self._set("size_level_edges", edges)
        names = sequence(p("size_level_names"), self.size_level_names)
        names = tuple(word(f"{p('size_level_names')}[{i}]", s) for i, s in enumerate(names))
        if len(names) != len(edges) + 1:
            raise ValueError(
                f"tasks.size_level_names must have len(tasks.size_level_edges) + 1 = "
                f"{len(edges) + 1} names, got {len(names)}"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"tasks.size_level_names must be distinct, got {list(names)}")
        self._set("size_level_names", names)

    def __hash__(self) -> int:
        return hash(
            tuple(
                tuple(sorted(v.items())) if isinstance(v, Mapping) else v
                for v in (getattr(self, f.name) for f in dataclasses.fields(self))
            )
        )


def _quality_requirement(table: Any) -> dict[str, float]:
    """``tasks.quality_requirement`` with every service type, the missing ones at their
    default (MMLU scale, 0-100)."""
    if not isinstance(table, Mapping):
        raise TypeError(f"tasks.quality_requirement must be a table, got {type(table).__name__}")
    for key in table:
        if key not in SERVICE_TYPES:
            raise ValueError(
                f"unknown field {shown_key(f'tasks.quality_requirement.{key}')} (service types: "
                f"{', '.join(SERVICE_TYPES)})"
            )
    return {
        s: validate.real(
            f"tasks.quality_requirement.{s}",
            table.get(s, DEFAULT_QUALITY_REQUIREMENT[s]),
            ge=0.0,
            le=100.0,
        )
        for s in SERVICE_TYPES
    }


@dataclass(frozen=True)
class LLMConfig(Section):
    """Edge and cloud models (names in :func:`genoff.world.catalog.load_catalog`).

    Attributes:
        edge: catalog name of the small model at the BS edge server.
        cloud: catalog name of the large model in the cloud.
        load_aware_edge: scale the edge model's TTFT/TPOT with its concurrent load.
        edge_batch_ttft_slope: relative increase of TTFT per extra concurrent request at the
            edge (``ttft * (1 + slope * (n - 1))``), >= 0; 0 = off.
        edge_batch_tpot_slope: relative increase of TPOT per extra concurrent request at the
            edge, >= 0; 0 = off.

    The names are not checked against the catalog here (a custom catalog may define
    others); :meth:`Scenario.models` resolves them.
    """

    _SECTION = "llm"

    edge: str = EDGE_MODEL
    cloud: str = CLOUD_MODEL
    load_aware_edge: bool = False
    edge_batch_ttft_slope: float = 0.0
    edge_batch_tpot_slope: float = 0.0

    def __post_init__(self) -> None:
        p = self._path
        self._set("edge", validate.string(p("edge"), self.edge, nonempty=True))
        self._set("cloud", validate.string(p("cloud"), self.cloud, nonempty=True))
        self._set("load_aware_edge", validate.boolean(p("load_aware_edge"), self.load_aware_edge))
        for slope in ("edge_batch_ttft_slope", "edge_batch_tpot_slope"):
            self._set(
                slope, validate.real(p(slope), getattr(self, slope), ge=0.0, le=MAX_SLOPE)
            )


@dataclass(frozen=True)
class RewardConfig(Section):
    """Reward (eq. 10) and backhaul (eq. 1); the paper gives no values (documented assumptions).

    Attributes:
        target_s: T_target (s), > 0.
        penalty: penalty for violating the quality constraint (4e), >= 0.
        t_back_s: backhaul delay of an offloaded request (s), >= 0.
    """

    _SECTION = "reward"

    target_s: float = TARGET_S
    penalty: float = PENALTY
    t_back_s: float = T_BACK_S

    def __post_init__(self) -> None:
        p = self._path
        self._set(
            "target_s", validate.real(p("target_s"), self.target_s, gt=0.0, le=MAX_SECONDS)
        )
        self._set(
            "penalty", validate.real(p("penalty"), self.penalty, ge=0.0, le=MAX_SECONDS)
        )
        self._set(
            "t_back_s", validate.real(p("t_back_s"), self.t_back_s, ge=0.0, le=MAX_SECONDS)
        )


@dataclass(frozen=True)
class TransmissionConfig(Section):
    """How the transmission delay of eq. (1) is obtained.

    Attributes:
        mode: ``"analytic"`` (the paper: long-run PF throughput of a W-TTI full-buffer run)
            or ``"tti"`` (the content drained TTI by TTI from finite buffers).
    """

    _SECTION = "transmission"

    mode: str = "analytic"

    def __post_init__(self) -> None:
        self._set("mode", validate.choice(self._path("mode"), self.mode, ("analytic", "tti")))


#: The sections by their TOML table name, in a scenario's order.
SECTIONS: dict[str, type[Section]] = {
    "layout": LayoutConfig,
    "channel": ChannelConfig,
    "radio": RadioConfig,
    "scheduler": SchedulerConfig,
    "tasks": TasksConfig,
    "llm": LLMConfig,
    "reward": RewardConfig,
    "transmission": TransmissionConfig,
}
