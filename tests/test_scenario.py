"""genoff.world.scenario: built-ins, partial TOML, validation errors naming the field, overrides."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle

import pytest

from genoff.world.scenario import (
    LayoutConfig,
    Scenario,
    TasksConfig,
    list_scenarios,
    load_scenario,
)
from genoff.world.tasks import SERVICE_TYPES


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _toml_for(key: str, value) -> str:
    """A TOML document setting one dotted field."""
    *table, last = key.split(".")
    head = f"[{'.'.join(table)}]\n" if table else ""
    return f"{head}{last} = {_toml_value(value)}\n"


def test_builtins_load():
    assert list_scenarios() == ["3gpp-57", "paper", "paper-fig5"]
    paper = load_scenario("paper")
    assert paper.name == "paper" and paper.description
    # paper.toml spells out exactly the field defaults
    assert paper == Scenario(name="paper", description=paper.description)
    assert paper.num_cells == 7 and paper.num_users == 20 and paper.user_cell_ids == (0,)
    assert paper.layout.user_cells == "centre" and paper.layout.neighbours_loaded
    assert (paper.channel.model, paper.channel.fc_ghz, paper.channel.h_bs_m) == ("uma", 3.5, 25.0)
    assert (paper.radio.num_rb, paper.radio.rb_bandwidth_hz, paper.radio.tx_power_dbm) == (
        106,
        180e3,
        46.0,
    )
    assert (paper.llm.edge, paper.llm.cloud) == ("llama3-8b", "gpt-4o")
    assert (paper.reward.target_s, paper.reward.penalty, paper.reward.t_back_s) == (40.0, 30.0, 0.1)
    assert paper.tasks.quality_requirement == {
        "chatting": 45.0,
        "translation": 45.0,
        "summarization": 45.0,
        "science_reasoning": 68.5,
        "coding": 68.5,
    }
    big = load_scenario("3gpp-57")
    assert big.name == "3gpp-57"
    assert big.num_cells == 57 and big.num_users == 570
    assert big.channel.antenna == "3gpp-sector" and big.channel.downtilt_deg == 12.0
    assert big.layout.user_cells == "all"
    # everything else as in "paper"
    assert big.radio == paper.radio and big.tasks == paper.tasks and big.llm == paper.llm


def test_partial_toml_fills_defaults(tmp_path):
    p = tmp_path / "dense.toml"
    p.write_text("[layout]\nusers_per_cell = 40\n[radio]\nnum_rb = 52\n")
    s = load_scenario(p)
    assert s.name == "dense"  # the file's stem
    assert s.layout.users_per_cell == 40 and s.radio.num_rb == 52
    assert s.layout.isd_m == 500.0 and s.radio.tx_power_dbm == 46.0
    assert s.channel == Scenario().channel and s.tasks == Scenario().tasks
    # ints where floats are expected are fine, and come back as floats
    p.write_text('name = "x"\n[layout]\nisd_m = 400\n')
    s = load_scenario(str(p))
    assert s.name == "x" and s.layout.isd_m == 400.0 and isinstance(s.layout.isd_m, float)
    # a partial quality_requirement table keeps the other defaults
    p.write_text("[tasks.quality_requirement]\ncoding = 80\n")
    qr = load_scenario(p).tasks.quality_requirement
    assert qr["coding"] == 80.0 and qr["science_reasoning"] == 68.5 and qr["chatting"] == 45.0


BAD_FIELDS = [
    # (dotted key, value, exception, text the message must contain)
    ("name", 5, TypeError, "name must be a string"),
    ("foo", 1, ValueError, "unknown field foo"),
    ("layout.foo", 1, ValueError, "unknown field layout.foo"),
    ("layout.num_sites", 5, ValueError, "layout.num_sites"),
    ("layout.num_sites", 7.0, TypeError, "layout.num_sites"),
    ("layout.sectors_per_site", 2, ValueError, "layout.sectors_per_site"),
    ("layout.isd_m", -1, ValueError, "layout.isd_m must be > 0, got -1"),
    ("layout.isd_m", "500", TypeError, "layout.isd_m"),
    ("layout.users_per_cell", 0, ValueError, "layout.users_per_cell"),
    ("layout.users_per_cell", 2.5, TypeError, "layout.users_per_cell"),
    ("layout.users_per_cell", True, TypeError, "layout.users_per_cell"),
    ("layout.user_cells", "edge", ValueError, "layout.user_cells"),
    ("layout.min_distance_m", -1.0, ValueError, "layout.min_distance_m"),
    ("layout.min_distance_m", 250.0, ValueError, "layout.min_distance_m"),
    ("layout.neighbours_loaded", 1, TypeError, "layout.neighbours_loaded"),
    ("layout.association", "nearest", ValueError, "layout.association"),
    ("channel.model", "rma", ValueError, "channel.model"),
    ("channel.fc_ghz", 0.1, ValueError, "channel.fc_ghz"),
    ("channel.fc_ghz", "3.5", TypeError, "channel.fc_ghz"),
    ("channel.h_bs_m", 1.0, ValueError, "channel.h_bs_m"),
    ("channel.h_ut_m", 30.0, ValueError, "channel.h_ut_m"),
    ("channel.shadowing", "yes", TypeError, "channel.shadowing"),
    ("channel.fading", "rician", ValueError, "channel.fading"),
    ("channel.antenna", "dipole", ValueError, "channel.antenna"),
    ("channel.downtilt_deg", 100.0, ValueError, "channel.downtilt_deg"),
    ("channel.bar", 1, ValueError, "unknown field channel.bar"),
    ("radio.num_rb", 0, ValueError, "radio.num_rb"),
    ("radio.num_rb", 10.5, TypeError, "radio.num_rb"),
    ("radio.rb_bandwidth_hz", 0.0, ValueError, "radio.rb_bandwidth_hz"),
    ("radio.tx_power_dbm", float("nan"), ValueError, "radio.tx_power_dbm must be finite"),
    ("radio.noise_figure_db", -1.0, ValueError, "radio.noise_figure_db"),
    ("radio.noise_density_dbm_hz", [1], TypeError, "radio.noise_density_dbm_hz"),
    ("scheduler.beta", 1.0, ValueError, "scheduler.beta"),
    ("scheduler.beta", 0, ValueError, "scheduler.beta"),
    ("scheduler.tti_s", 0.0, ValueError, "scheduler.tti_s"),
    ("scheduler.num_tti", 0, ValueError, "scheduler.num_tti"),
    ("tasks.mean_output_tokens", 0.0, ValueError, "tasks.mean_output_tokens"),
    ("tasks.mean_output_tokens", 5000.0, ValueError, "tasks.mean_output_tokens"),
    ("tasks.token_distribution", "pareto", ValueError, "tasks.token_distribution"),
    ("tasks.token_cv", -0.1, ValueError, "tasks.token_cv"),
    ("tasks.min_tokens", 0, ValueError, "tasks.min_tokens"),
    ("tasks.max_tokens", 500, ValueError, "tasks.max_tokens"),
    ("tasks.quality_preferred_share", 1.5, ValueError, "tasks.quality_preferred_share"),
    ("tasks.size_estimate_noise", -0.1, ValueError, "tasks.size_estimate_noise"),
    ("tasks.size_level_edges", [1400.0, 600.0], ValueError, "tasks.size_level_edges"),
    ("tasks.size_level_edges", [600.0, -1.0], ValueError, "tasks.size_level_edges[1]"),
    ("tasks.size_level_edges", "600", TypeError, "tasks.size_level_edges"),
    ("tasks.size_level_names", ["a", "b"], ValueError, "tasks.size_level_names"),
    ("tasks.size_level_names", ["a", "a", "b"], ValueError, "tasks.size_level_names"),
    ("tasks.size_level_names", ["a", 2, "b"], TypeError, "tasks.size_level_names[1]"),
    ("tasks.bytes_per_token", 0.0, ValueError, "tasks.bytes_per_token"),
    ("tasks.quality_requirement.coding", 150.0, ValueError, "tasks.quality_requirement.coding"),
    (
        "tasks.quality_requirement.poetry",
        50.0,
        ValueError,
        "unknown field tasks.quality_requirement.poetry",
    ),
    ("tasks.requests_per_step", 0, ValueError, "tasks.requests_per_step"),
    ("llm.edge", "", ValueError, "llm.edge"),
    ("llm.cloud", 3, TypeError, "llm.cloud"),
    ("llm.load_aware_edge", "no", TypeError, "llm.load_aware_edge"),
    ("llm.edge_batch_ttft_slope", -1.0, ValueError, "llm.edge_batch_ttft_slope"),
    ("llm.edge_batch_tpot_slope", -1.0, ValueError, "llm.edge_batch_tpot_slope"),
    ("reward.target_s", 0.0, ValueError, "reward.target_s"),
    ("reward.penalty", -1.0, ValueError, "reward.penalty"),
    ("reward.t_back_s", -0.1, ValueError, "reward.t_back_s"),
    ("transmission.mode", "fast", ValueError, "transmission.mode"),
]


def _id(case) -> str:
    return f"{case[0]}={case[1]!r}"


@pytest.mark.parametrize("key,value,exc,text", BAD_FIELDS, ids=[_id(c) for c in BAD_FIELDS])
def test_bad_field_in_toml(tmp_path, key, value, exc, text):
    p = tmp_path / "bad.toml"
    p.write_text(_toml_for(key, value))
    with pytest.raises(exc) as info:
        load_scenario(p)
    msg = str(info.value)
    assert text in msg
    assert str(p) in msg  # the file is named too


@pytest.mark.parametrize("key,value,exc,text", BAD_FIELDS, ids=[_id(c) for c in BAD_FIELDS])
def test_bad_field_in_overrides(key, value, exc, text):
    with pytest.raises(exc, match=None) as info:
        Scenario().with_overrides({key: value})
    assert text in str(info.value)


def test_cross_field_checks(tmp_path):
    with pytest.raises(ValueError, match="channel.antenna"):
        Scenario().with_overrides({"layout.sectors_per_site": 3})
    ok = Scenario().with_overrides({"layout.sectors_per_site": 3, "channel.antenna": "3gpp-sector"})
    assert ok.num_cells == 21
    with pytest.raises(ValueError, match="channel.h_bs_m"):
        Scenario().with_overrides({"channel.h_bs_m": 5.0, "channel.h_ut_m": 6.0})
    with pytest.raises(ValueError, match="tasks.token_cv"):
        Scenario().with_overrides({"tasks.token_distribution": "uniform", "tasks.token_cv": 0.7})
    p = tmp_path / "t.toml"
    p.write_text("layout = 5\n")
    with pytest.raises(TypeError, match="layout must be a table"):
        load_scenario(p)
    p.write_text("[bogus]\nx = 1\n")
    with pytest.raises(ValueError, match="unknown field bogus"):
        load_scenario(p)
    p.write_text("[layout\n")
    with pytest.raises(ValueError, match="invalid TOML"):
        load_scenario(p)


def test_unknown_name_or_missing_file(tmp_path):
    with pytest.raises(ValueError, match="paper"):  # lists the built-ins
        load_scenario("no-such-scenario")
    with pytest.raises(ValueError, match="no such file"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(TypeError, match="name_or_path"):
        load_scenario(3)  # type: ignore[arg-type]


def test_direct_construction_validates():
    with pytest.raises(ValueError, match=r"layout\.isd_m must be > 0, got -1"):
        LayoutConfig(isd_m=-1)
    with pytest.raises(TypeError, match="layout must be a LayoutConfig"):
        Scenario(layout={"isd_m": 3})  # type: ignore[arg-type]
    t = TasksConfig(quality_requirement={"coding": 90})
    assert (
        set(t.quality_requirement) == set(SERVICE_TYPES) and t.quality_requirement["coding"] == 90
    )
    assert TasksConfig(size_level_edges=[600, 1400]).size_level_edges == (600.0, 1400.0)


def test_overrides():
    base = load_scenario("paper")
    s = base.with_overrides({"layout.users_per_cell": 30, "radio.num_rb": 52})
    assert s.layout.users_per_cell == 30 and s.radio.num_rb == 52
    assert base.layout.users_per_cell == 20  # unchanged
    assert s.name == "paper" and s.channel == base.channel
    s = base.replace(
        **{
            "tasks.size_level_edges": [500, 1000, 2000],
            "tasks.size_level_names": ["xs", "s", "m", "l"],
        }
    )
    assert s.tasks.size_level_edges == (500.0, 1000.0, 2000.0)
    s = base.with_overrides({"tasks.quality_requirement": {"coding": 75.0}})
    assert s.tasks.quality_requirement["coding"] == 75.0
    assert s.tasks.quality_requirement["science_reasoning"] == 68.5
    s = base.with_overrides({"tasks.quality_requirement.chatting": 50})
    assert s.tasks.quality_requirement["chatting"] == 50.0
    s = base.with_overrides({"layout": {"users_per_cell": 5}, "name": "small"})
    assert s.layout.users_per_cell == 5 and s.layout.isd_m == 500.0 and s.name == "small"
    with pytest.raises(ValueError, match="unknown field layout.nope"):
        base.with_overrides({"layout.nope": 1})
    with pytest.raises(ValueError, match="unknown field radio.num_rb.x"):
        base.with_overrides({"radio.num_rb.x": 1})
    with pytest.raises(TypeError, match="overrides"):
        base.with_overrides([("radio.num_rb", 1)])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["paper", "3gpp-57"])
def test_round_trips(tmp_path, name):
    s = load_scenario(name)
    d = s.to_dict()
    json.loads(json.dumps(d))  # JSON-serializable
    assert Scenario.from_dict(d) == s
    assert Scenario.from_dict(json.loads(json.dumps(d))) == s
    p = tmp_path / "s.toml"
    p.write_text(s.to_toml())
    assert load_scenario(p) == s
    # frozen, hashable, picklable
    assert hash(s) == hash(Scenario.from_dict(d))
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.layout.isd_m = 1.0  # type: ignore[misc]


def test_derived_quantities():
    s = Scenario()
    assert s.num_cells == 7
    noise_dbm = -174 + 10 * math.log10(180e3) + 9
    assert s.noise_w == pytest.approx(10 ** ((noise_dbm - 30) / 10))
    assert s.tx_power_w_per_rb == pytest.approx(10 ** ((46 - 30) / 10) / 106)
    t = s.with_overrides({"layout.sectors_per_site": 3, "channel.antenna": "3gpp-sector"})
    assert t.user_cell_ids == (0, 1, 2) and t.num_users == 60
    t = t.with_overrides({"layout.user_cells": "all", "layout.users_per_cell": 2})
    assert t.user_cell_ids == tuple(range(21)) and t.num_users == 42


def test_models_resolution():
    edge, cloud = Scenario().models()
    assert edge.name == "llama3-8b" and cloud.name == "gpt-4o"
    with pytest.raises(KeyError, match="llm.edge"):
        Scenario().with_overrides({"llm.edge": "no-such-model"}).models()
