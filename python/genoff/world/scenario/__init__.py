"""Scenarios: the typed, validated configuration of a simulation, loaded from TOML.

A :class:`Scenario` has one frozen dataclass per section (``layout``, ``channel``,
``radio``, ``scheduler``, ``tasks``, ``llm``, ``reward``, ``transmission``). The field
defaults are the paper's setting (Sec. IV-A; sources in the packaged TOML files), so a TOML file only needs
the fields it changes::

    name = "dense"
    [layout]
    users_per_cell = 40
    [radio]
    num_rb = 52

Built-in scenarios (``list_scenarios()``), shipped in ``genoff/scenarios/``:

* ``"paper"``: 7 hexagonal sites with one omni cell each (ISD 500 m), 20 users in the
  centre cell, the 6 neighbours transmitting on every RB (paper Sec. IV-A, TR 38.901 UMa);
* ``"3gpp-57"``: 19 sites x 3 sectors with the TR 38.901 sector antenna (12 deg downtilt),
  10 users in every cell (the TR 36.814 full-buffer calibration load; 570 users), otherwise
  as ``"paper"``.

Every field is type- and range-checked when a section is constructed (directly, from
TOML, or by :meth:`Scenario.with_overrides`); errors are ``TypeError`` (wrong type) or
``ValueError`` (bad value, unknown field) whose message starts with the dotted field name,
e.g. ``layout.isd_m must be > 0, got -1.0``. Integers are accepted where a float is
expected, never the reverse, and booleans are never numbers. Every number has finite
bounds (e.g. ``radio.tx_power_dbm`` in [-100, 100], ``tasks.max_tokens`` <= 10^7,
``tasks.size_estimate_noise`` <= 100), far outside realistic settings but tight enough that
every derived quantity stays finite: a scenario that loads also runs.

Quality requirements (MMLU scale) default to 45.0 for the regular services and 68.5 for
the quality-preferred ones. With the catalog's MMLU scores this makes every edge model of
the paper's four combinations (Llama3-8B 68.4, Gemma 7B 64.3, Llama2-7B 45.3) satisfy the
regular services and fail the quality-preferred ones, and every cloud model (GPT-4o 88.7,
Llama3-70B 82.0, Gemini 1.5 Pro 85.9, Llama2-70B 68.9) satisfy both: quality-preferred
requests must be offloaded, in all four combinations (paper Sec. IV-B).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import numbers
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from genoff.world.services import QUALITY_PREFERRED, SERVICE_TYPES

if TYPE_CHECKING:
    from genoff.world.catalog import Catalog, LLMModel

__all__ = [
    "Scenario",
    "LayoutConfig",
    "ChannelConfig",
    "RadioConfig",
    "SchedulerConfig",
    "TasksConfig",
    "LLMConfig",
    "RewardConfig",
    "TransmissionConfig",
    "load_scenario",
    "list_scenarios",
]

# ---------------------------------------------------------------------------------------
# Field checks. Each returns the coerced value or raises naming the dotted field.


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _real(
    path: str,
    value: Any,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{path} must be a number, got {type(value).__name__} {_fmt(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{path} must be finite, got {v}")
    if gt is not None and not v > gt:
        raise ValueError(f"{path} must be > {gt:g}, got {v:g}")
    if ge is not None and not v >= ge:
        raise ValueError(f"{path} must be >= {ge:g}, got {v:g}")
    if lt is not None and not v < lt:
        raise ValueError(f"{path} must be < {lt:g}, got {v:g}")
    if le is not None and not v <= le:
        raise ValueError(f"{path} must be <= {le:g}, got {v:g}")
    return v


def _int(
    path: str,
    value: Any,
    *,
    ge: int | None = None,
    le: int | None = None,
    choices: tuple[int, ...] | None = None,
) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{path} must be an integer, got {type(value).__name__} {_fmt(value)}")
    v = int(value)
    if choices is not None and v not in choices:
        raise ValueError(f"{path} must be one of {', '.join(map(str, choices))}, got {v}")
    if ge is not None and v < ge:
        raise ValueError(f"{path} must be >= {ge}, got {v}")
    if le is not None and v > le:
        raise ValueError(f"{path} must be <= {le}, got {v}")
    return v


def _bool(path: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{path} must be true or false, got {type(value).__name__} {_fmt(value)}")
    return bool(value)


def _str(path: str, value: Any, *, nonempty: bool = True) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{path} must be a string, got {type(value).__name__} {_fmt(value)}")
    if nonempty and not value.strip():
        raise ValueError(f"{path} must be a non-empty string")
    return value


def _choice(path: str, value: Any, choices: tuple[str, ...]) -> str:
    v = _str(path, value)
    if v not in choices:
        raise ValueError(f"{path} must be one of {', '.join(repr(c) for c in choices)}, got {v!r}")
    return v


def _sequence(path: str, value: Any) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{path} must be a list, got {type(value).__name__} {_fmt(value)}")
    return tuple(value)


# Upper bounds of the numeric fields. They are far outside any setting the paper or the 3GPP
# calibrations use, and they keep every derived quantity finite (dBm -> W conversions, noise
# power, token and byte counts in int64/float64, rewards summed over a run) and a run's
# arrays within memory, so a scenario that loads also runs.
_MAX_ISD_M = 100e3
_MAX_USERS_PER_CELL = 100_000
_MAX_H_BS_M = 1000.0
_MAX_NUM_RB = 10_000
_MAX_RB_BANDWIDTH_HZ = 1e9
_MAX_NUM_TTI = 10_000_000
_MAX_CV = 100.0
_MAX_TOKENS = 10_000_000
_MAX_BYTES_PER_TOKEN = 1e6
_MAX_REQUESTS_PER_STEP = 1000
_MAX_SLOPE = 1000.0
_MAX_SECONDS = 1e6
_MAX_SIZE_LEVELS = 64
#: Largest users x RBs of one run (the core's per-TTI arrays are [num_ue, num_rb]).
_MAX_USER_RBS = 20_000_000


def _key(key: Any) -> str:
    """A key as an error message shows it: plain when printable, else its repr (one line)."""
    text = str(key)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def _word(path: str, value: Any) -> str:
    """A size-level name: it becomes an ICL prompt keyword, so letters, digits and '-'."""
    v = _str(path, value)
    if not v.replace("-", "").isalnum():
        raise ValueError(f"{path} must be a word of letters, digits and '-', got {v!r}")
    return v


class _Section:
    """Shared machinery of the section dataclasses: coercion, from_dict, to_dict."""

    _SECTION = ""

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _path(self, name: str) -> str:
        return f"{self._SECTION}.{name}"

    @classmethod
    def from_dict(cls, data: Any):
        """Build the section from a mapping of field -> value (a TOML table)."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls._SECTION} must be a table, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for key in data:
            if key not in known:
                raise ValueError(f"unknown field {_key(f'{cls._SECTION}.{key}')}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The section as plain data (lists for tuples), TOML- and JSON-serializable."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, Mapping):
                v = dict(v)
            out[f.name] = v
        return out


# ---------------------------------------------------------------------------------------
# Sections


@dataclass(frozen=True)
class LayoutConfig(_Section):
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
        self._set("num_sites", _int(p("num_sites"), self.num_sites, choices=(1, 7, 19)))
        self._set(
            "sectors_per_site", _int(p("sectors_per_site"), self.sectors_per_site, choices=(1, 3))
        )
        self._set("isd_m", _real(p("isd_m"), self.isd_m, gt=0.0, le=_MAX_ISD_M))
        self._set(
            "users_per_cell",
            _int(p("users_per_cell"), self.users_per_cell, ge=1, le=_MAX_USERS_PER_CELL),
        )
        self._set("user_cells", _choice(p("user_cells"), self.user_cells, ("centre", "all")))
        self._set("min_distance_m", _real(p("min_distance_m"), self.min_distance_m, ge=0.0))
        if self.min_distance_m >= self.isd_m / 2.0:
            raise ValueError(
                f"layout.min_distance_m must be < layout.isd_m / 2 = {self.isd_m / 2.0:g} "
                f"(the cell's inner radius), got {self.min_distance_m:g}"
            )
        self._set("neighbours_loaded", _bool(p("neighbours_loaded"), self.neighbours_loaded))
        self._set("association", _choice(p("association"), self.association, ("strongest", "home")))


@dataclass(frozen=True)
class ChannelConfig(_Section):
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
        self._set("model", _choice(p("model"), self.model, ("uma", "umi")))
        self._set("fc_ghz", _real(p("fc_ghz"), self.fc_ghz, ge=0.5, le=100.0))
        self._set("h_ut_m", _real(p("h_ut_m"), self.h_ut_m, ge=1.5, le=22.5))
        self._set("h_bs_m", _real(p("h_bs_m"), self.h_bs_m, gt=1.0, le=_MAX_H_BS_M))
        if self.h_bs_m <= self.h_ut_m:
            raise ValueError(
                f"channel.h_bs_m must be > channel.h_ut_m = {self.h_ut_m:g}, got {self.h_bs_m:g}"
            )
        self._set("shadowing", _bool(p("shadowing"), self.shadowing))
        self._set("fading", _choice(p("fading"), self.fading, ("rayleigh", "none")))
        self._set("antenna", _choice(p("antenna"), self.antenna, ("omni", "3gpp-sector")))
        self._set("downtilt_deg", _real(p("downtilt_deg"), self.downtilt_deg, ge=-90.0, le=90.0))


@dataclass(frozen=True)
class RadioConfig(_Section):
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
        self._set("num_rb", _int(p("num_rb"), self.num_rb, ge=1, le=_MAX_NUM_RB))
        self._set(
            "rb_bandwidth_hz",
            _real(p("rb_bandwidth_hz"), self.rb_bandwidth_hz, ge=1.0, le=_MAX_RB_BANDWIDTH_HZ),
        )
        self._set(
            "tx_power_dbm", _real(p("tx_power_dbm"), self.tx_power_dbm, ge=-100.0, le=100.0)
        )
        self._set(
            "noise_density_dbm_hz",
            _real(p("noise_density_dbm_hz"), self.noise_density_dbm_hz, ge=-300.0, le=0.0),
        )
        self._set(
            "noise_figure_db", _real(p("noise_figure_db"), self.noise_figure_db, ge=0.0, le=100.0)
        )


@dataclass(frozen=True)
class SchedulerConfig(_Section):
    """Proportional-fair scheduler (Sionna PFSchedulerSUMIMO semantics; README "Use the core").

    Attributes:
        beta: forgetting factor of the PF average, in (0, 1) (0.98: a 50-TTI window).
        tti_s: TTI duration (s).
        num_tti: W, the length (TTIs) of the full-buffer run giving the analytic capacity.
    """

    _SECTION = "scheduler"

    beta: float = 0.98
    tti_s: float = 1e-3
    num_tti: int = 1000

    def __post_init__(self) -> None:
        p = self._path
        self._set("beta", _real(p("beta"), self.beta, gt=0.0, lt=1.0))
        self._set("tti_s", _real(p("tti_s"), self.tti_s, ge=1e-6, le=1.0))
        self._set("num_tti", _int(p("num_tti"), self.num_tti, ge=1, le=_MAX_NUM_TTI))


_DEFAULT_QUALITY_REQUIREMENT: dict[str, float] = {
    s: (68.5 if s in QUALITY_PREFERRED else 45.0) for s in SERVICE_TYPES
}
_TOKEN_DISTRIBUTIONS = ("fixed", "exponential", "lognormal", "uniform")


@dataclass(frozen=True)
class TasksConfig(_Section):
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
    bytes_per_token: float = 4.0
    quality_requirement: dict[str, float] = field(
        default_factory=lambda: dict(_DEFAULT_QUALITY_REQUIREMENT)
    )
    requests_per_step: int = 1

    def __post_init__(self) -> None:
        p = self._path
        self._set(
            "mean_output_tokens", _real(p("mean_output_tokens"), self.mean_output_tokens, gt=0.0)
        )
        self._set(
            "token_distribution",
            _choice(p("token_distribution"), self.token_distribution, _TOKEN_DISTRIBUTIONS),
        )
        self._set("token_cv", _real(p("token_cv"), self.token_cv, ge=0.0, le=_MAX_CV))
        if self.token_distribution == "uniform" and self.token_cv > 1.0 / math.sqrt(3.0):
            raise ValueError(
                "tasks.token_cv must be <= 1/sqrt(3) = 0.5774 for the uniform distribution "
                f"(lengths stay >= 0), got {self.token_cv:g}"
            )
        self._set("min_tokens", _int(p("min_tokens"), self.min_tokens, ge=1))
        self._set(
            "max_tokens",
            _int(p("max_tokens"), self.max_tokens, ge=self.min_tokens, le=_MAX_TOKENS),
        )
        if not self.min_tokens <= self.mean_output_tokens <= self.max_tokens:
            raise ValueError(
                f"tasks.mean_output_tokens must lie in [tasks.min_tokens, tasks.max_tokens] = "
                f"[{self.min_tokens}, {self.max_tokens}], got {self.mean_output_tokens:g}"
            )
        self._set(
            "quality_preferred_share",
            _real(p("quality_preferred_share"), self.quality_preferred_share, ge=0.0, le=1.0),
        )
        self._set(
            "size_estimate_noise",
            _real(p("size_estimate_noise"), self.size_estimate_noise, ge=0.0, le=_MAX_CV),
        )
        edges = _sequence(p("size_level_edges"), self.size_level_edges)
        if len(edges) >= _MAX_SIZE_LEVELS:
            raise ValueError(
                f"tasks.size_level_edges must have at most {_MAX_SIZE_LEVELS - 1} edges, "
                f"got {len(edges)}"
            )
        edges = tuple(
            _real(f"{p('size_level_edges')}[{i}]", e, gt=0.0, le=1e12)
            for i, e in enumerate(edges)
        )
        for i in range(1, len(edges)):
            if not edges[i] > edges[i - 1]:
                raise ValueError(
                    f"tasks.size_level_edges must be strictly increasing, got {list(edges)}"
                )
        self._set("size_level_edges", edges)
        names = _sequence(p("size_level_names"), self.size_level_names)
        names = tuple(_word(f"{p('size_level_names')}[{i}]", s) for i, s in enumerate(names))
        if len(names) != len(edges) + 1:
            raise ValueError(
                f"tasks.size_level_names must have len(tasks.size_level_edges) + 1 = "
                f"{len(edges) + 1} names, got {len(names)}"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"tasks.size_level_names must be distinct, got {list(names)}")
        self._set("size_level_names", names)
        self._set(
            "bytes_per_token",
            _real(p("bytes_per_token"), self.bytes_per_token, gt=0.0, le=_MAX_BYTES_PER_TOKEN),
        )
        qr = self.quality_requirement
        if not isinstance(qr, Mapping):
            raise TypeError(f"tasks.quality_requirement must be a table, got {type(qr).__name__}")
        for key in qr:
            if key not in SERVICE_TYPES:
                raise ValueError(
                    f"unknown field {_key(f'tasks.quality_requirement.{key}')} (service types: "
                    f"{', '.join(SERVICE_TYPES)})"
                )
        full = {
            s: _real(
                f"tasks.quality_requirement.{s}",
                qr.get(s, _DEFAULT_QUALITY_REQUIREMENT[s]),
                ge=0.0,
                le=100.0,
            )
            for s in SERVICE_TYPES
        }
        self._set("quality_requirement", full)
        self._set(
            "requests_per_step",
            _int(p("requests_per_step"), self.requests_per_step, ge=1, le=_MAX_REQUESTS_PER_STEP),
        )

    def __hash__(self) -> int:
        return hash(
            tuple(
                tuple(sorted(v.items())) if isinstance(v, Mapping) else v
                for v in (getattr(self, f.name) for f in dataclasses.fields(self))
            )
        )


@dataclass(frozen=True)
class LLMConfig(_Section):
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

    edge: str = "llama3-8b"
    cloud: str = "gpt-4o"
    load_aware_edge: bool = False
    edge_batch_ttft_slope: float = 0.0
    edge_batch_tpot_slope: float = 0.0

    def __post_init__(self) -> None:
        p = self._path
        self._set("edge", _str(p("edge"), self.edge))
        self._set("cloud", _str(p("cloud"), self.cloud))
        self._set("load_aware_edge", _bool(p("load_aware_edge"), self.load_aware_edge))
        self._set(
            "edge_batch_ttft_slope",
            _real(p("edge_batch_ttft_slope"), self.edge_batch_ttft_slope, ge=0.0, le=_MAX_SLOPE),
        )
        self._set(
            "edge_batch_tpot_slope",
            _real(p("edge_batch_tpot_slope"), self.edge_batch_tpot_slope, ge=0.0, le=_MAX_SLOPE),
        )


@dataclass(frozen=True)
class RewardConfig(_Section):
    """Reward (eq. 10) and backhaul (eq. 1); the paper gives no values (documented assumptions).

    Attributes:
        target_s: T_target (s), > 0.
        penalty: penalty for violating the quality constraint (4e), >= 0.
        t_back_s: backhaul delay of an offloaded request (s), >= 0.
    """

    _SECTION = "reward"

    target_s: float = 40.0
    penalty: float = 30.0
    t_back_s: float = 0.1

    def __post_init__(self) -> None:
        p = self._path
        self._set("target_s", _real(p("target_s"), self.target_s, gt=0.0, le=_MAX_SECONDS))
        self._set("penalty", _real(p("penalty"), self.penalty, ge=0.0, le=_MAX_SECONDS))
        self._set("t_back_s", _real(p("t_back_s"), self.t_back_s, ge=0.0, le=_MAX_SECONDS))


@dataclass(frozen=True)
class TransmissionConfig(_Section):
    """How the transmission delay of eq. (1) is obtained.

    Attributes:
        mode: ``"analytic"`` (the paper: long-run PF throughput of a W-TTI full-buffer run)
            or ``"tti"`` (the content drained TTI by TTI from finite buffers).
    """

    _SECTION = "transmission"

    mode: str = "analytic"

    def __post_init__(self) -> None:
        self._set("mode", _choice(self._path("mode"), self.mode, ("analytic", "tti")))


_SECTIONS: dict[str, type[_Section]] = {
    "layout": LayoutConfig,
    "channel": ChannelConfig,
    "radio": RadioConfig,
    "scheduler": SchedulerConfig,
    "tasks": TasksConfig,
    "llm": LLMConfig,
    "reward": RewardConfig,
    "transmission": TransmissionConfig,
}


# ---------------------------------------------------------------------------------------
# Scenario


@dataclass(frozen=True)
class Scenario:
    """A complete simulation configuration. ``Scenario()`` is the paper's setting.

    Attributes:
        name: short identifier (a file's stem when its TOML has no ``name``).
        description: free text.
        layout, channel, radio, scheduler, tasks, llm, reward, transmission: the sections.
    """

    name: str = "custom"
    description: str = ""
    layout: LayoutConfig = field(default_factory=LayoutConfig)
    channel: ChannelConfig = field(default_factory=ChannelConfig)
    radio: RadioConfig = field(default_factory=RadioConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    tasks: TasksConfig = field(default_factory=TasksConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    transmission: TransmissionConfig = field(default_factory=TransmissionConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _str("name", self.name))
        object.__setattr__(
            self, "description", _str("description", self.description, nonempty=False)
        )
        for key, cls in _SECTIONS.items():
            v = getattr(self, key)
            if not isinstance(v, cls):
                raise TypeError(f"{key} must be a {cls.__name__}, got {type(v).__name__}")
        # Cross-section checks.
        if self.num_users * self.radio.num_rb > _MAX_USER_RBS:
            raise ValueError(
                f"layout.users_per_cell x cells with users x radio.num_rb = {self.num_users} "
                f"users x {self.radio.num_rb} RBs must be <= {_MAX_USER_RBS:,} (memory of a "
                "run); lower layout.users_per_cell or radio.num_rb"
            )
        if self.layout.sectors_per_site == 3 and self.channel.antenna == "omni":
            raise ValueError(
                "channel.antenna must be '3gpp-sector' when layout.sectors_per_site = 3 "
                "(three co-sited omni cells would be indistinguishable)"
            )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build and validate a scenario from nested plain data (a parsed TOML document).

        Missing fields and sections take their defaults; unknown keys raise ``ValueError``
        (``unknown field layout.foo``).
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a scenario must be a table, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("name", "description"):
                kwargs[key] = value
            elif key in _SECTIONS:
                kwargs[key] = _SECTIONS[key].from_dict(value)
            else:
                raise ValueError(f"unknown field {_key(key)}")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain data (str, int, float, bool, lists, dicts), TOML/JSON-serializable.

        ``Scenario.from_dict(s.to_dict()) == s``.
        """
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for key in _SECTIONS:
            out[key] = getattr(self, key).to_dict()
        return out

    def to_toml(self) -> str:
        """The scenario as a TOML document that :func:`load_scenario` reads back."""
        lines = [f"name = {_toml(self.name)}", f"description = {_toml(self.description)}"]
        for key, sec in self.to_dict().items():
            if not isinstance(sec, dict):
                continue
            lines += ["", f"[{key}]"]
            tables = []
            for k, v in sec.items():
                if isinstance(v, dict):
                    tables.append((k, v))
                else:
                    lines.append(f"{k} = {_toml(v)}")
            for k, v in tables:
                lines += ["", f"[{key}.{k}]"] + [f"{kk} = {_toml(vv)}" for kk, vv in v.items()]
        return "\n".join(lines) + "\n"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with dotted fields replaced, validated like a TOML file.

        Example: ``s.with_overrides({"layout.users_per_cell": 30, "radio.num_rb": 52})``.
        A key naming a table (``"layout"``, ``"tasks.quality_requirement"``) takes a mapping
        that is merged into it. Unknown keys raise ``ValueError`` naming them.
        """
        if not isinstance(overrides, Mapping):
            raise TypeError(f"overrides must be a mapping, got {type(overrides).__name__}")
        data = self.to_dict()
        for key, value in overrides.items():
            if not isinstance(key, str) or not key:
                raise TypeError(f"override keys must be dotted field names, got {key!r}")
            parts = key.split(".")
            node: Any = data
            for i, part in enumerate(parts[:-1]):
                prefix = ".".join(parts[: i + 1])
                if part not in node:
                    raise ValueError(f"unknown field {_key(prefix)}")
                if not isinstance(node[part], dict):
                    raise ValueError(f"unknown field {_key(key)} ({_key(prefix)} is not a table)")
                node = node[part]
            last = parts[-1]
            if last not in node:
                raise ValueError(f"unknown field {_key(key)}")
            if isinstance(node.get(last), dict) and isinstance(value, Mapping):
                node[last] = {**node[last], **value}
            else:
                node[last] = value
        return Scenario.from_dict(data)

    def replace(self, **overrides: Any) -> Scenario:
        """Same as :meth:`with_overrides`: ``s.replace(**{"radio.num_rb": 52})``."""
        return self.with_overrides(overrides)

    # -- derived quantities ------------------------------------------------------------------

    @property
    def num_cells(self) -> int:
        """Number of cells, ``num_sites * sectors_per_site``."""
        return self.layout.num_sites * self.layout.sectors_per_site

    @property
    def user_cell_ids(self) -> tuple[int, ...]:
        """Cells that get users: the centre site's cells (``"centre"``) or all of them."""
        if self.layout.user_cells == "all":
            return tuple(range(self.num_cells))
        return tuple(range(self.layout.sectors_per_site))

    @property
    def num_users(self) -> int:
        """Number of users dropped, ``users_per_cell * len(user_cell_ids)``."""
        return self.layout.users_per_cell * len(self.user_cell_ids)

    @property
    def noise_w(self) -> float:
        """Noise power per RB (W): ``N0 + 10 log10(rb_bandwidth_hz) + NF`` dBm."""
        r = self.radio
        dbm = r.noise_density_dbm_hz + 10.0 * math.log10(r.rb_bandwidth_hz) + r.noise_figure_db
        return 10.0 ** ((dbm - 30.0) / 10.0)

    @property
    def tx_power_w_per_rb(self) -> float:
        """BS transmit power per RB (W): ``tx_power_dbm`` split evenly over ``num_rb``."""
        return 10.0 ** ((self.radio.tx_power_dbm - 30.0) / 10.0) / self.radio.num_rb

    def models(self, catalog: Catalog | None = None) -> tuple[LLMModel, LLMModel]:
        """The ``(edge, cloud)`` :class:`~genoff.world.catalog.LLMModel` of ``llm.edge/cloud``.

        Raises ``KeyError`` naming the field and the catalog's models for an unknown name.
        """
        from genoff.world.catalog import load_catalog

        cat = catalog if catalog is not None else load_catalog()
        out = []
        for key in ("edge", "cloud"):
            name = getattr(self.llm, key)
            if name not in cat:
                raise KeyError(
                    f"llm.{key} = {name!r} is not in the catalog (known: {', '.join(cat)})"
                )
            out.append(cat[name])
        return out[0], out[1]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")  # pragma: no cover


# ---------------------------------------------------------------------------------------
# Loading

_BUILTIN_DIR = "scenarios"


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios (``["3gpp-57", "paper"]``)."""
    root = resources.files("genoff") / _BUILTIN_DIR
    return sorted(p.name[: -len(".toml")] for p in root.iterdir() if p.name.endswith(".toml"))


@functools.cache
def _builtin_names() -> frozenset[str]:
    return frozenset(list_scenarios())


@functools.cache
def _builtin_data(name: str) -> dict[str, Any]:
    # Parsed once per process (sweeps load a scenario for every run); callers get a copy.
    res = resources.files("genoff") / _BUILTIN_DIR / f"{name}.toml"
    return _read_toml(res.read_text(encoding="utf-8"), f"built-in scenario {name}")


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (ValueError, RecursionError) as e:
        # TOMLDecodeError is a ValueError, and so is int()'s digit limit for a huge integer
        # literal; arrays nested thousands deep exhaust the parser's recursion.
        what = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise ValueError(f"{where}: invalid TOML: {what}") from None


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load a built-in scenario by name (``"paper"``, ``"3gpp-57"``) or a TOML file.

    Fields the file leaves out take the paper's defaults; a file without ``name``
    is named after its stem. Raises ``ValueError`` for an unknown name or a missing file,
    invalid TOML, unknown fields and bad values (naming the dotted field), ``TypeError``
    for values of the wrong type.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"name_or_path must be a scenario name or a path, got {type(name_or_path).__name__}"
        )
    if isinstance(name_or_path, str) and name_or_path in _builtin_names():
        data = copy.deepcopy(_builtin_data(name_or_path))
        data.setdefault("name", name_or_path)
        return _from_file_data(data, f"built-in scenario {name_or_path!r}")
    path = Path(name_or_path)
    if path.is_dir():
        raise ValueError(
            f"scenario {str(name_or_path)!r}: {path} is a directory, not a scenario TOML file"
        )
    if not path.is_file():
        raise ValueError(
            f"unknown scenario {str(name_or_path)!r}: not a built-in "
            f"({', '.join(list_scenarios())}) and no such file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: not UTF-8 text ({e.reason})") from None
    data = _read_toml(text, str(path))
    data.setdefault("name", path.stem)
    return _from_file_data(data, str(path))


def _from_file_data(data: dict[str, Any], where: str) -> Scenario:
    # The message keeps the dotted field first (callers match on it); the file follows.
    try:
        return Scenario.from_dict(data)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{e} (in {where})") from None
