"""The :class:`Scenario`: the eight sections together, the checks that span sections,
overrides by dotted field name, TOML output and the quantities derived from it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genoff._util import validate
from genoff.world.catalog import Catalog, LLMModel, load_catalog
from genoff.world.scenario.base import shown_key
from genoff.world.scenario.bounds import MAX_USER_RBS
from genoff.world.scenario.sections import (
    SECTIONS,
    ChannelConfig,
    LayoutConfig,
    LLMConfig,
    RadioConfig,
    RewardConfig,
    SchedulerConfig,
    TasksConfig,
    TransmissionConfig,
)

__all__ = ["Scenario"]


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
        object.__setattr__(self, "name", validate.string("name", self.name, nonempty=True))
        object.__setattr__(self, "description", validate.string("description", self.description))
        for key, cls in SECTIONS.items():
            v = getattr(self, key)
            if not isinstance(v, cls):
                raise TypeError(f"{key} must be a {cls.__name__}, got {type(v).__name__}")
        # Cross-section checks.
        if self.num_users * self.radio.num_rb > MAX_USER_RBS:
            raise ValueError(
                f"layout.users_per_cell x cells with users x radio.num_rb = {self.num_users} "
                f"users x {self.radio.num_rb} RBs must be <= {MAX_USER_RBS:,} (memory of a "
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
            elif key in SECTIONS:
                kwargs[key] = SECTIONS[key].from_dict(value)
            else:
                raise ValueError(f"unknown field {shown_key(key)}")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain data (str, int, float, bool, lists, dicts), TOML/JSON-serializable.

        ``Scenario.from_dict(s.to_dict()) == s``.
        """
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for key in SECTIONS:
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
                    raise ValueError(f"unknown field {shown_key(prefix)}")
                if not isinstance(node[part], dict):
                    raise ValueError(
                        f"unknown field {shown_key(key)} ({shown_key(prefix)} is not a table)"
                    )
                node = node[part]
            last = parts[-1]
            if last not in node:
                raise ValueError(f"unknown field {shown_key(key)}")
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
    """A TOML literal of plain data (``to_toml``'s values)."""
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
