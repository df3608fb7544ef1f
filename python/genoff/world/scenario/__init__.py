"""Scenarios: the typed, validated configuration of a simulation, loaded from TOML.

A :class:`Scenario` has one frozen dataclass per section (``layout``, ``channel``,
``radio``, ``scheduler``, ``tasks``, ``llm``, ``reward``, ``transmission``). The field
defaults are the paper's setting (Sec. IV-A; sources in the packaged TOML files), so a TOML
file only needs the fields it changes::

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

The package: :mod:`.sections` (the eight section dataclasses), :mod:`.scenario`
(:class:`Scenario`), :mod:`.load` (built-ins and TOML files), :mod:`.bounds` (the finite upper
bounds of the numeric fields), :mod:`.base` (what the sections share).
"""

from genoff.world.scenario.load import list_scenarios, load_scenario
from genoff.world.scenario.scenario import Scenario
from genoff.world.scenario.sections import ChannelConfig, LayoutConfig, LLMConfig, RadioConfig
from genoff.world.scenario.sections import RewardConfig, SchedulerConfig, TasksConfig
from genoff.world.scenario.sections import TransmissionConfig

__all__ = [
    "Scenario", "LayoutConfig", "ChannelConfig", "RadioConfig", "SchedulerConfig",
    "TasksConfig", "LLMConfig", "RewardConfig", "TransmissionConfig",
    "load_scenario", "list_scenarios",
]
