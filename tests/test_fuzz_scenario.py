"""Fuzz: scenario TOML files, ``Scenario.from_dict`` and ``with_overrides`` (issue 11, item 5).

Random mutations of valid scenarios (wrong types, huge / negative / NaN / inf values,
missing and unknown keys, nested tables, corrupted text) must either be rejected with a
one-line ``ValueError``/``TypeError`` that names the file or the dotted field, or load into
a scenario that *runs*: the network is dropped, one step is drawn, its radio term computed,
decisions evaluated and the oracle found, all with finite delays and rewards. A scenario
that loads but fails later naming a core argument (``capacity_bps``, ``noise_w``, ...) is a
bug of the scenario's validation.

Example counts come from the Hypothesis profile (``tests/conftest.py``): the long campaign is
``GENOFF_HYPOTHESIS_PROFILE=fuzz python -m pytest -m fuzz``.
"""

from __future__ import annotations

import atexit
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from genoff.deciders.icl import PromptBuilder
from genoff.world.scenario import Scenario, load_scenario
from genoff.sim import Evaluator, Network
from genoff.world.tasks import TaskGenerator
from hypothesis import event, given
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

_TMP = Path(tempfile.mkdtemp(prefix="genoff-fuzz-scenario-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)

# A valid base: the paper's setting at sizes that make one step cost a few milliseconds.
_SMALL = {"layout.users_per_cell": 3, "radio.num_rb": 4, "scheduler.num_tti": 20}
_BASES = {
    name: load_scenario(name).with_overrides(_SMALL).to_dict() for name in ("paper", "paper-fig5")
}
_BASES["3gpp-57"] = (
    load_scenario("3gpp-57")
    .with_overrides({**_SMALL, "layout.users_per_cell": 1, "layout.num_sites": 7})
    .to_dict()
)
_FIELDS = sorted(
    f"{sec}.{key}"
    for sec, table in _BASES["paper"].items()
    if isinstance(table, dict)
    for key in table
) + [f"tasks.quality_requirement.{s}" for s in _BASES["paper"]["tasks"]["quality_requirement"]]

# -- values ---------------------------------------------------------------------------------
_NASTY_FLOATS = st.sampled_from(
    [
        0.0,
        -0.0,
        1e308,
        -1e308,
        5e-324,
        1e-300,
        -1e-300,
        math.inf,
        -math.inf,
        math.nan,
        2.0**53,
        2.0**63,
        1e30,
        -1.0,
        0.5,
        1.0,
    ]
)
_NASTY_INTS = st.sampled_from(
    [0, -1, 1, 2, 3, 7, 19, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 10**30]
)
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_SCALAR = st.one_of(
    _NASTY_FLOATS,
    st.floats(allow_nan=True, allow_infinity=True),
    _NASTY_INTS,
    st.integers(-(2**70), 2**70),
    st.booleans(),
    _TEXT,
    st.sampled_from(
        [
            "uma",
            "umi",
            "tti",
            "analytic",
            "centre",
            "all",
            "home",
            "strongest",
            "omni",
            "3gpp-sector",
            "none",
            "rayleigh",
            "fixed",
            "uniform",
            "exponential",
            "lognormal",
            "gpt-4o",
            "llama3-8b",
            "",
            " ",
        ]
    ),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=6,
)


def _near(v):
    """A value close to a valid one (so that many mutants load and must then run)."""
    if isinstance(v, bool):
        return st.booleans()
    if isinstance(v, int):
        return st.one_of(st.integers(v - 3, v + 3), st.integers(0, 3 * abs(v) + 3))
    if isinstance(v, float):
        return st.one_of(
            st.floats(0.0, 3.0).map(lambda f: v * f),
            st.floats(-1e3, 1e3),
            st.floats(1e-9, 1e12),
            st.sampled_from([v * 10.0**k for k in (-300, -30, -6, -3, 3, 6, 30, 300)]),
        )
    if isinstance(v, list):
        return st.lists(
            st.floats(1.0, 1e5)
            if v and isinstance(v[0], float)
            else st.sampled_from(["short", "middle", "long", "a-b", "x y", "N/A"]),
            max_size=5,
        )
    return _SCALAR


# -- mutations of nested data ---------------------------------------------------------------
@st.composite
def mutated(draw) -> dict:
    base = draw(st.sampled_from(sorted(_BASES)))
    data = json.loads(json.dumps(_BASES[base]))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(["near"] * 8 + ["value", "delete", "unknown", "section", "nest"])
        )
        path = draw(st.sampled_from(_FIELDS)).split(".")
        node = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        last = path[-1]
        if kind == "near":
            node[last] = draw(_near(node.get(last, 0.0)))
        elif kind == "value":
            node[last] = draw(_VALUE)
        elif kind == "delete":
            node.pop(last, None)
        elif kind == "unknown":
            target = draw(st.sampled_from([data, node]))
            target[draw(_TEXT)] = draw(_SCALAR)
        elif kind == "section":
            data[path[0]] = draw(_VALUE)
        else:
            node[last] = {draw(_TEXT): draw(_SCALAR)}
    return data


# -- TOML writing (any value, so the parser sees what a careless user could write) --------
def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return (
            "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        )
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _toml_doc(data: dict) -> str:
    lines, tables = [], []
    for k, v in data.items():
        (tables if isinstance(v, dict) else lines).append((k, v))
    out = [f"{json.dumps(str(k))} = {_toml(v)}" for k, v in lines]
    for k, v in tables:
        out.append(f"[{json.dumps(str(k))}]")
        out += [f"{json.dumps(str(kk))} = {_toml(vv)}" for kk, vv in v.items()]
    return "\n".join(out) + "\n"


@st.composite
def corrupted_text(draw) -> str:
    text = _toml_doc(draw(mutated()))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["cut", "insert", "delete"]))
        if op == "cut":
            text = text[:i]
        elif op == "insert":
            text = text[:i] + draw(
                st.sampled_from(
                    [
                        "[",
                        "]",
                        "=",
                        '"',
                        "\n",
                        "{",
                        "#",
                        "\x00",
                        "é",
                        "[[",
                        "1e999",
                        "9" * 5000,
                        "[" * 3000,
                    ]
                )
            )
            text += text[i:]
        else:
            text = text[:i] + text[i + draw(st.integers(1, 20)) :]
    return text


# -- the property -------------------------------------------------------------------------------
def _one_line(e: BaseException) -> str:
    msg = str(e)
    assert msg and "\n" not in msg and len(msg) < 2000, f"{type(e).__name__} message: {msg!r}"
    return msg


def _built(label: str, build):
    """What ``build()`` returns, or None where it refuses with a one-line ``ValueError`` or
    ``TypeError``; the outcome is counted as a Hypothesis event."""
    try:
        built = build()
    except (ValueError, TypeError) as e:
        _one_line(e)
        event(f"{label}: {type(e).__name__}")
        return None
    event(f"{label}: ok")
    return built


_MESSAGE_STARTS = (
    "unknown field",
    "name",
    "description",
    "a scenario",
    "layout",
    "channel",
    "radio",
    "scheduler",
    "tasks",
    "llm",
    "reward",
    "transmission",
)
_FIELD_NAMES = (
    "layout.",
    "channel.",
    "radio.",
    "scheduler.",
    "tasks.",
    "llm.",
    "reward.",
    "transmission.",
)


def _runs(s: Scenario, seed: int) -> None:
    """Drop the network, draw one step and evaluate it: finite everything, or a ValueError
    naming scenario fields (a user the downlink never serves), never a core argument."""
    PromptBuilder(level_names=s.tasks.size_level_names)  # the ICL prompt takes the level names
    try:
        evaluator = Evaluator(s)
    except KeyError as e:  # unknown llm.edge / llm.cloud: names the field and the catalog
        assert str(e.args[0]).startswith(("llm.edge", "llm.cloud")), e
        event("run: unknown model name")
        return
    rng = np.random.default_rng(seed)
    net = Network(s, rng, n_threads=1)
    req = TaskGenerator(s.tasks).sample(rng, np.arange(net.num_ue))
    assert np.all(np.isfinite(req.est_tokens)) and np.all(req.n_tokens >= 1)
    try:
        if s.transmission.mode == "tti":
            # Delivery runs until the last byte arrives (up to 10^6 TTIs, seconds): skip the
            # cases that would take long (the error path is the same as for a starved user).
            c = net.capacity(seed)[req.user]
            bits = req.n_tokens * s.tasks.bytes_per_token * 8.0
            if np.max(bits / (c * s.scheduler.tti_s)) * net.num_ue > 20_000:
                event("run: tti delivery too slow for a fuzz case; analytic checked")
                net = Network(
                    s.with_overrides({"transmission.mode": "analytic"}),
                    np.random.default_rng(seed),
                    n_threads=1,
                )
        radio = net.radio(req, seed)
    except ValueError as e:
        msg = _one_line(e)
        assert any(f in msg for f in _FIELD_NAMES), msg
        event("run: ValueError naming scenario fields (no throughput / undelivered)")
        return
    for offload in (
        np.zeros(len(req), bool),
        np.ones(len(req), bool),
        evaluator.oracle(req, radio),
    ):
        ev = evaluator(req, offload, radio)
        for name in ("t_tran_s", "t_gen_s", "t_total_s", "reward"):
            assert np.all(np.isfinite(getattr(ev, name))), name
    event("run: one step evaluated")


def _cheap(s: Scenario) -> Scenario:
    """The same scenario at sizes one step can afford (sizes have their own bound checks)."""
    big = {}
    if s.layout.users_per_cell > 3:
        big["layout.users_per_cell"] = 3
    if s.num_users > 60:
        big["layout.users_per_cell"] = 1
    if s.radio.num_rb > 8:
        big["radio.num_rb"] = 8
    if s.scheduler.num_tti > 50:
        big["scheduler.num_tti"] = 50
    if s.tasks.requests_per_step > 3:
        big["tasks.requests_per_step"] = 3
    # tti-mode delivery may take up to 10^6 TTIs: keep the contents small enough to be quick
    slow = s.tasks.max_tokens * s.tasks.bytes_per_token > 1e5 or s.scheduler.tti_s < 1e-4
    if s.transmission.mode == "tti" and slow:
        big["transmission.mode"] = "analytic"
    return s.with_overrides(big) if big else s


_CASE = [0]


@given(data=mutated(), seed=st.integers(0, 2**32))
def test_fuzz_toml_mutations_load_or_name_the_field(data, seed):
    _CASE[0] += 1
    path = _TMP / f"s{_CASE[0] % 8}.toml"
    path.write_text(_toml_doc(data), encoding="utf-8")
    try:
        s = load_scenario(path)
    except (ValueError, TypeError) as e:
        msg = _one_line(e)
        assert str(path) in msg, msg  # the file is named; so is the field (see below)
        if "invalid TOML" not in msg:  # else the message starts with the dotted field
            assert msg.startswith(_MESSAGE_STARTS), msg
        event(f"load: {type(e).__name__}")
        return
    event("load: ok")
    assert load_scenario(path) == s
    _runs(_cheap(s), seed)


@given(text=corrupted_text())
def test_fuzz_corrupted_toml_text(text):
    _CASE[0] += 1
    path = _TMP / f"t{_CASE[0] % 8}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        s = load_scenario(path)
    except (ValueError, TypeError) as e:
        assert str(path) in _one_line(e)
        event(f"load: {type(e).__name__}")
        return
    event("load: ok")
    assert isinstance(s, Scenario)


@given(
    overrides=st.dictionaries(
        st.one_of(
            st.sampled_from(
                _FIELDS
                + [
                    "layout",
                    "tasks.quality_requirement",
                    "name",
                    "description",
                    "radio.",
                    ".x",
                    "tasks.quality_requirement.x",
                    "layout.isd_m.x",
                    "nope",
                ]
            ),
            _TEXT,
            st.integers(),
        ),
        st.one_of(_VALUE, st.none(), st.tuples(st.integers()), st.just(object())),
        max_size=4,
    ),
    seed=st.integers(0, 2**32),
)
def test_fuzz_with_overrides(overrides, seed):
    base = Scenario().with_overrides(_SMALL)
    s = _built("override", lambda: base.with_overrides(overrides))
    if s is None:
        return
    # what loads writes itself back exactly, through to_dict and through TOML
    assert Scenario.from_dict(s.to_dict()) == s
    path = _TMP / "roundtrip.toml"
    path.write_text(s.to_toml(), encoding="utf-8")
    assert load_scenario(path) == s
    _runs(_cheap(s), seed)


@given(data=st.one_of(mutated(), _VALUE, st.dictionaries(_TEXT, _VALUE, max_size=3)))
def test_fuzz_from_dict(data):
    s = _built("from_dict", lambda: Scenario.from_dict(data))
    if s is None:
        return
    assert Scenario.from_dict(s.to_dict()) == s
    assert math.isfinite(s.noise_w) and s.noise_w > 0
    assert math.isfinite(s.tx_power_w_per_rb) and s.tx_power_w_per_rb > 0


# Every numeric field at and between its bounds (scenario.py's documented ranges): whatever
# combination loads must run. Cross-field checks (e.g. min_distance_m < isd_m / 2) may
# still reject a combination, naming the field.
_RANGES = {
    "layout.isd_m": (1e-3, 100e3),
    "layout.min_distance_m": (0.0, 49_000.0),
    "channel.fc_ghz": (0.5, 100.0),
    "channel.h_bs_m": (1.0 + 1e-9, 1000.0),
    "channel.h_ut_m": (1.5, 22.5),
    "channel.downtilt_deg": (-90.0, 90.0),
    "radio.rb_bandwidth_hz": (1.0, 1e9),
    "radio.tx_power_dbm": (-100.0, 100.0),
    "radio.noise_density_dbm_hz": (-300.0, 0.0),
    "radio.noise_figure_db": (0.0, 100.0),
    "scheduler.beta": (1e-12, 1.0 - 1e-12),
    "scheduler.tti_s": (1e-6, 1.0),
    "scheduler.num_tti": (1, 50),
    "tasks.mean_output_tokens": (1.0, 10_000_000.0),
    "tasks.token_cv": (0.0, 100.0),
    "tasks.min_tokens": (1, 10_000_000),
    "tasks.max_tokens": (1, 10_000_000),
    "tasks.quality_preferred_share": (0.0, 1.0),
    "tasks.size_estimate_noise": (0.0, 100.0),
    "tasks.bytes_per_token": (1e-12, 1e6),
    "llm.edge_batch_ttft_slope": (0.0, 1000.0),
    "llm.edge_batch_tpot_slope": (0.0, 1000.0),
    "reward.target_s": (1e-12, 1e6),
    "reward.penalty": (0.0, 1e6),
    "reward.t_back_s": (0.0, 1e6),
    "tasks.quality_requirement.coding": (0.0, 100.0),
}


@st.composite
def _in_range(draw, lo, hi):
    if isinstance(lo, int):
        return draw(st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi)))
    pos = lo > 0
    return draw(
        st.one_of(
            st.sampled_from([lo, hi]),
            st.floats(lo, hi),
            st.floats(math.log10(lo), math.log10(hi)).map(lambda x: 10.0**x)
            if pos
            else st.floats(lo, hi),
        )
    )


@given(
    fields=st.lists(st.sampled_from(sorted(_RANGES)), min_size=1, max_size=8, unique=True),
    flags=st.fixed_dictionaries(
        {
            "transmission.mode": st.sampled_from(["analytic", "tti"]),
            "llm.load_aware_edge": st.booleans(),
            "tasks.token_distribution": st.sampled_from(
                ["fixed", "exponential", "lognormal", "uniform"]
            ),
            "layout.neighbours_loaded": st.booleans(),
            "layout.num_sites": st.sampled_from([1, 7]),
            "layout.association": st.sampled_from(["home", "strongest"]),
            "channel.model": st.sampled_from(["uma", "umi"]),
            "channel.fading": st.sampled_from(["rayleigh", "none"]),
            "channel.shadowing": st.booleans(),
        }
    ),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_fuzz_extreme_valid_values_run(fields, flags, data, seed):
    overrides = dict(flags)
    for f in fields:
        overrides[f] = data.draw(_in_range(*_RANGES[f]), label=f)
    try:
        s = Scenario().with_overrides({**_SMALL, **overrides})
    except (ValueError, TypeError) as e:
        assert _one_line(e).startswith(_MESSAGE_STARTS)
        event("extremes: cross-field check")
        return
    _runs(_cheap(s), seed)
