"""Fuzz: the ``genoff`` command line, in process (issue 11, item 5).

Random argument lists for ``simulate``, ``reproduce``, ``demo`` and ``profile-llm`` (valid
and invalid flags and values, junk tokens, bad paths, scenario overrides) must end with exit
status 0, or exit status 2 whose last line is ``genoff[ <cmd>]: error: ...``: never a
traceback or an exception escaping ``main``.

Cases are kept cheap: simulate runs 1-2 slots of a few users with the oracle / local /
offload / random / bandit deciders (no LLM or DQN runs); ``reproduce`` stops where its runs
would start (a stand-in for ``run_sweep`` builds every run's scenario and decider, which is
all a run does before simulating, then stops); ``profile-llm`` is only ever given models
that do not load.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from genoff import experiments
from genoff import fig5 as rp
from genoff.cli import main
from genoff.world.scenario import Scenario
from hypothesis import event, given
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

_TMP = Path(tempfile.mkdtemp(prefix="genoff-fuzz-cli-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_TINY = _TMP / "tiny.toml"
_TINY.write_text(
    Scenario(name="tiny")
    .with_overrides({"layout.users_per_cell": 2, "radio.num_rb": 4, "scheduler.num_tti": 20})
    .to_toml(),
    encoding="utf-8",
)
_BAD_TOML = _TMP / "bad.toml"
_BAD_TOML.write_text("[radio]\nnum_rb = -3\n", encoding="utf-8")
_NOT_TOML = _TMP / "not.toml"
_NOT_TOML.write_bytes(b"\xff\xfe[[[")
_A_FILE = _TMP / "a-file"
_A_FILE.write_text("x", encoding="utf-8")
_FULL = _TMP / "full"
_FULL.mkdir()
for name in ("requests.parquet", "requests.csv", "run.json"):
    (_FULL / name).write_text("", encoding="utf-8")

_JUNK = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-",
            "--",
            "-1",
            "0",
            "1.5",
            "nan",
            "inf",
            "1e999",
            "abc",
            "=",
            "x=1",
            "9" * 30,
            "\x00",
            "é",
            "--help-me",
            "-h",
            "--version",
        ]
    ),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8),
)
_SCENARIOS = st.sampled_from(
    [
        str(_TINY),
        "paper",
        "paper-fig5",
        str(_BAD_TOML),
        str(_NOT_TOML),
        str(_TMP),
        str(_TMP / "missing.toml"),
        str(_A_FILE),
        "",
    ]
)


def _small_int(lo: int, hi: int):
    return st.integers(lo, hi).map(str)


def _mostly(valid, invalid, p: int = 92):
    """``valid`` with probability p %, else ``invalid`` (so that many cases get to run)."""
    return st.integers(0, 99).flatmap(lambda i: valid if i < p else invalid)


_GOOD_SCENARIOS = st.sampled_from([str(_TINY), str(_TINY), "paper", "paper-fig5"])


_CWD = _TMP / "cwd"
_CWD.mkdir()


def _run(argv: list[str]) -> tuple[int, str, str]:
    # In a scratch folder: "--out ''" or "--out simulate" write relative to it.
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(_CWD)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:
                code = 0 if e.code is None else e.code
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


_ERROR_LINE = re.compile(r"^genoff( [a-z-]+)?: error: \S")


def _check(argv: list[str], code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err, (argv, err)
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        # The error line; argparse echoes an unrecognized token verbatim, so a token holding
        # a newline may continue that line (left to argparse).
        lines = err.split("\n")
        assert any(_ERROR_LINE.match(ln) for ln in lines), (argv, err)
        event("exit 2")
    else:
        event("exit 0")


def _shuffle(draw, groups: list[list[str]]) -> list[str]:
    order = draw(st.permutations(range(len(groups)))) if groups else []
    return [tok for i in order for tok in groups[i]]


# -- simulate -----------------------------------------------------------------------------------
# Fields whose every value is cheap to run; the size fields get small or invalid values only,
# and fields that could make a tti-mode delivery take 10^6 TTIs get invalid values only.
_CHEAP_KEYS = [
    "reward.target_s",
    "reward.penalty",
    "reward.t_back_s",
    "llm.edge",
    "llm.cloud",
    "llm.load_aware_edge",
    "llm.edge_batch_ttft_slope",
    "llm.edge_batch_tpot_slope",
    "tasks.quality_requirement.coding",
    "tasks.quality_requirement",
    "tasks.size_estimate_noise",
    "tasks.token_cv",
    "tasks.token_distribution",
    "tasks.quality_preferred_share",
    "tasks.size_level_edges",
    "tasks.size_level_names",
    "tasks.mean_output_tokens",
    "layout.association",
    "layout.neighbours_loaded",
    "channel.fading",
    "channel.shadowing",
    "channel.model",
    "scheduler.beta",
    "transmission.mode",
    "name",
    "description",
]
_SIZE_KEYS = [
    "layout.users_per_cell",
    "radio.num_rb",
    "scheduler.num_tti",
    "tasks.requests_per_step",
    "layout.num_sites",
]
_INVALID_ONLY_KEYS = [
    "layout.isd_m",
    "radio.tx_power_dbm",
    "radio.rb_bandwidth_hz",
    "scheduler.tti_s",
    "tasks.bytes_per_token",
    "tasks.max_tokens",
    "channel.fc_ghz",
    "radio.noise_density_dbm_hz",
]
_TOML_VALUES = st.one_of(
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "0.5",
            "2",
            "40.0",
            "1e308",
            "-1e308",
            "nan",
            "inf",
            "-inf",
            "true",
            "false",
            '"x"',
            "x",
            "[1, 2]",
            "[]",
            '["a", "b"]',
            "{a = 1}",
            "99999999999999999999999",
            "5e-324",
            "",
            "[600.0]",
            '["s", "l"]',
            "gpt-4o",
            "llama3-8b",
            "tti",
            "analytic",
            "uniform",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(2**70), 2**70).map(str),
    _JUNK,
)
_INVALID_VALUES = st.sampled_from(
    [
        "-1",
        "0",
        "nan",
        "inf",
        "-inf",
        '"x"',
        "true",
        "[]",
        "1e308",
        "-1e308",
        "99999999999999999999999",
    ]
)


@st.composite
def _set_items(draw) -> list[str]:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cheap"] * 6 + ["size"] * 2 + ["invalid", "junk"]))
        if kind == "cheap":
            items.append(f"{draw(st.sampled_from(_CHEAP_KEYS))}={draw(_TOML_VALUES)}")
        elif kind == "size":
            v = draw(_mostly(_small_int(1, 4), st.one_of(_INVALID_VALUES, st.just("1.5"))))
            items.append(f"{draw(st.sampled_from(_SIZE_KEYS))}={v}")
        elif kind == "invalid":
            items.append(f"{draw(st.sampled_from(_INVALID_ONLY_KEYS))}={draw(_INVALID_VALUES)}")
        else:
            items.append(draw(_JUNK))
    return [tok for item in items for tok in ("--set", item)]


_N = [0]


def _fresh_dir() -> str:
    _N[0] += 1
    return str(_TMP / f"out{_N[0]}")


def _opt(draw, percent: int) -> bool:
    return draw(st.integers(0, 99)) < percent


@st.composite
def simulate_argv(draw) -> list[str]:
    g: list[list[str]] = []
    if _opt(draw, 70):
        g.append(["--scenario", draw(_mostly(_GOOD_SCENARIOS, _SCENARIOS))])
    decider = draw(
        _mostly(
            st.sampled_from(["oracle", "local", "offload", "random", "bandit"]),
            st.sampled_from(["icl", "dqn", "nope", ""]),
        )
    )
    llm = decider in ("icl", "dqn")
    g.append(["--decider", decider])
    g.append(
        ["--steps", draw(_mostly(_small_int(1, 2), st.sampled_from(["0", "-3", "x", "", "1.0"])))]
    )
    if _opt(draw, 90) or llm:  # 20 users otherwise (still cheap at 1-2 slots)
        g.append(
            [
                "--users",
                draw(_mostly(_small_int(1, 3), st.sampled_from(["0", "-1", "x", "200000", "1e3"]))),
            ]
        )
    if _opt(draw, 80):
        g.append(["--set", f"scheduler.num_tti={draw(st.integers(1, 30))}"])
    if _opt(draw, 30):
        g.append(
            [
                "--mode",
                draw(_mostly(st.sampled_from(["analytic", "tti"]), st.sampled_from(["TTI", ""]))),
            ]
        )
    g.append(draw(_set_items()))
    if _opt(draw, 30):
        g.append(["--seed", draw(_mostly(st.integers(0, 2**70).map(str), _JUNK))])
    if _opt(draw, 30):
        g.append(
            [
                "--threads",
                draw(
                    _mostly(
                        st.sampled_from(["0", "1", "2"]),
                        st.sampled_from(["-1", "x", str(2**31), str(2**40)]),
                    )
                ),
            ]
        )
    if _opt(draw, 25):
        g.append(
            [
                "--out",
                draw(
                    _mostly(
                        st.just(_fresh_dir()),
                        st.sampled_from([str(_A_FILE), str(_FULL), "/proc/genoff-fuzz/x", ""]),
                    )
                ),
            ]
        )
    for flag, p in (
        ("--force", 20),
        ("--no-progress", 80),
        ("--calibrate", 20),
        ("--extra-features", 4),
        ("--chat", 20),
    ):
        if _opt(draw, p):
            g.append([flag])
    if _opt(draw, 15):
        g.append(["--epsilon", draw(_mostly(st.floats(allow_nan=True).map(repr), _JUNK))])
    if _opt(draw, 10):
        g.append(["--pool", draw(st.sampled_from(["prioritized", "latest", "x"]))])
    if _opt(draw, 10):
        g.append(["--icl-mode", draw(st.sampled_from(["logprob", "generate", "x"]))])
    if _opt(draw, 4):
        g.append(
            ["--dqn-checkpoint", draw(st.sampled_from([str(_A_FILE), str(_TMP / "no.pt"), ""]))]
        )
    if llm:
        # LLM and DQN runs are out of this campaign's budget: keep only their error paths
        # (a backend without --model, a checkpoint that is not one).
        if decider == "icl":
            g.append(["--backend", draw(st.sampled_from(["openai", "transformers"]))])
        else:
            g.append(["--dqn-checkpoint", str(_A_FILE)])
    elif _opt(draw, 10):
        g.append(["--backend", draw(st.sampled_from(["embedded", "openai", "transformers", "x"]))])
    if _opt(draw, 5):
        g.append([draw(_JUNK)])
    return ["simulate", *_shuffle(draw, g)]


@given(argv=simulate_argv())
def test_fuzz_cli_simulate(argv):
    code, out, err = _run(argv)
    _check(argv, code, out, err)
    if code == 0 and "-h" not in argv and "--help" not in argv:
        assert "mean reward" in out, (argv, out)


# -- reproduce ----------------------------------------------------------------------------------
class _WouldRun(Exception):
    """Raised by the stand-in for run_sweep: every check passed and the runs would start."""


def _stand_in(specs, out_dir, **kwargs):
    from genoff.deciders import make_decider
    from genoff.world.scenario import load_scenario

    assert specs and Path(out_dir).is_dir()
    # What a run does first: build its scenario (with overrides) and its decider.
    seen = set()
    for s in specs:
        scenario_key = ("scenario", s.scenario, repr(s.overrides))
        # the grid's values were each checked by expand_grid: a few combinations suffice
        if scenario_key not in seen and len(seen) < 8:
            seen.add(scenario_key)
            load_scenario(s.scenario).with_overrides(s.overrides)
        decider_key = ("decider", s.decider, repr(s.decider_kwargs))
        if decider_key not in seen:
            seen.add(decider_key)
            make_decider(s.decider, **s.decider_kwargs)
    raise _WouldRun


@st.composite
def reproduce_argv(draw) -> list[str]:
    g: list[list[str]] = []
    if _opt(draw, 90):
        g.append(
            [
                "--out",
                draw(
                    _mostly(
                        st.just(_fresh_dir()),
                        st.sampled_from([str(_A_FILE), "/proc/genoff-fuzz/x", ""]),
                    )
                ),
            ]
        )
    if _opt(draw, 60):
        g.append(
            [
                "--panels",
                draw(
                    _mostly(
                        st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4).map(",".join),
                        st.one_of(
                            st.lists(st.sampled_from("abcdefgz "), max_size=7).map(",".join), _JUNK
                        ),
                    )
                ),
            ]
        )
    if _opt(draw, 50):
        g.append(["--quick"])
    for flag, values in (
        ("--seeds", _mostly(_small_int(1, 4), _JUNK)),
        ("--steps", _mostly(_small_int(1, 4), _JUNK)),
        ("--scenario", _mostly(_GOOD_SCENARIOS, _SCENARIOS)),
        ("--root-seed", _mostly(st.integers(0, 2**70).map(str), _JUNK)),
        (
            "--sweep-decider",
            _mostly(
                st.sampled_from(["oracle", "local", "bandit", "icl", "dqn"]),
                st.sampled_from(["x", ""]),
            ),
        ),
        (
            "--executor",
            _mostly(st.sampled_from(["process", "serial"]), st.sampled_from(["dask", "ray", "x"])),
        ),
        ("--workers", _mostly(_small_int(1, 4), st.one_of(st.just(str(10**20)), _JUNK))),
        ("--address", st.sampled_from(["tcp://127.0.0.1:1", "auto", ""])),
        (
            "--llm",
            _mostly(
                st.sampled_from(["embedded", "openai:gpt-4o", "transformers:/nope"]),
                st.sampled_from(["embedded:x", "openai", "x:y", ""]),
            ),
        ),
        ("--base-url", st.sampled_from(["http://127.0.0.1:1", "x", ""])),
        ("--device", st.sampled_from(["cpu", "cuda", "x"])),
        ("--quantization", st.sampled_from(["nf4", "int8", "x"])),
        (
            "--epsilon",
            _mostly(
                st.floats(0, 1).map(repr), st.one_of(st.floats(allow_nan=True).map(repr), _JUNK)
            ),
        ),
    ):
        if _opt(draw, 15):
            g.append([flag, draw(values)])
    for flag, p in (("--force", 25), ("--no-progress", 90), ("--calibrate", 25), ("--chat", 25)):
        if _opt(draw, p):
            g.append([flag])
    if _opt(draw, 5):
        g.append([draw(_JUNK)])
    return ["reproduce", *_shuffle(draw, g)]


@given(argv=reproduce_argv())
def test_fuzz_cli_reproduce(argv):
    with mock.patch.object(rp, "run_sweep", _stand_in):
        try:
            code, out, err = _run(argv)
        except _WouldRun:
            event("checks passed; runs would start")
            return
    _check(argv, code, out, err)


# -- demo ---------------------------------------------------------------------------------------
@st.composite
def demo_argv(draw) -> list[str]:
    g: list[list[str]] = []
    for flag, values in (
        (
            "--users",
            _mostly(_small_int(1, 5), st.sampled_from(["0", "-1", "x", "100001", str(10**12)])),
        ),
        (
            "--tti",
            _mostly(
                _small_int(1, 30), st.sampled_from(["0", "x", "10000001", str(2**64), str(10**30)])
            ),
        ),
        ("--seed", _mostly(st.integers(0, 2**66).map(str), _JUNK)),
        (
            "--threads",
            _mostly(st.sampled_from(["0", "1"]), st.sampled_from(["-1", str(2**31), "x"])),
        ),
    ):
        # --users and --tti always: 20 users may take 100,000 TTIs to deliver (seconds)
        if flag in ("--users", "--tti") or _opt(draw, 60):
            g.append([flag, draw(values)])
    if _opt(draw, 5):
        g.append([draw(_JUNK)])
    return ["demo", *_shuffle(draw, g)]


@given(argv=demo_argv())
def test_fuzz_cli_demo(argv):
    code, out, err = _run(argv)
    _check(argv, code, out, err)
    if code == 0 and "-h" not in argv and "--help" not in argv:
        assert "genoff demo:" in out


# -- profile-llm --------------------------------------------------------------------------------
_NO_MODEL = _TMP / "empty-model"
_NO_MODEL.mkdir()


@st.composite
def profile_argv(draw) -> list[str]:
    g: list[list[str]] = []
    if _opt(draw, 90):
        g.append(
            [
                "--model",
                draw(
                    st.sampled_from(
                        [str(_NO_MODEL), str(_TMP / "absent"), str(_A_FILE), "no-such/model", ""]
                    )
                ),
            ]
        )
    for flag, values in (
        ("--name", _JUNK),
        ("--device", st.sampled_from(["cpu", "cuda", "cuda:7", "x", ""])),
        ("--dtype", st.sampled_from(["float32", "bfloat16", "x", ""])),
        ("--quantization", st.sampled_from(["nf4", "int8", "x"])),
        ("--prompt-tokens", st.one_of(_small_int(0, 5), _JUNK)),
        ("--new-tokens", st.one_of(_small_int(0, 5), _JUNK)),
        ("--repeats", st.one_of(_small_int(0, 3), _JUNK)),
        ("--quality", st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), _JUNK)),
        ("--out", st.sampled_from([str(_A_FILE), _fresh_dir(), ""])),
    ):
        if _opt(draw, 30):
            g.append([flag, draw(values)])
    return ["profile-llm", *_shuffle(draw, g)]


@given(argv=profile_argv())
def test_fuzz_cli_profile_llm(argv):
    code, out, err = _run(argv)
    _check(argv, code, out, err)


# -- any tokens ---------------------------------------------------------------------------------
_VOCAB = st.sampled_from(
    [
        "simulate",
        "reproduce",
        "demo",
        "profile-llm",
        "--scenario",
        "paper",
        str(_TINY),
        "--decider",
        "oracle",
        "local",
        "random",
        "--steps",
        "--users",
        "--mode",
        "tti",
        "--set",
        "radio.num_rb=2",
        "scheduler.num_tti=5",
        "--seed",
        "--out",
        "--threads",
        "--tti",
        "--panels",
        "a,b",
        "--quick",
        "--model",
        str(_NO_MODEL),
        "--workers",
        "--executor",
        "serial",
        "--help",
        "-h",
        "--version",
        "1",
        "2",
        "0",
        "-1",
        "x",
        "--force",
        "--llm",
        "--no-progress",
        "99999999999999999999999",
    ]
)


@given(tokens=st.lists(st.one_of(_VOCAB, _VOCAB, _JUNK), max_size=10))
def test_fuzz_cli_any_tokens(tokens):
    real_run = experiments.run

    def capped(scenario, decider, *, steps, **kw):  # defaults: 100 slots, 1000 TTIs
        small = scenario.with_overrides(
            {
                "scheduler.num_tti": min(scenario.scheduler.num_tti, 30),
                "layout.users_per_cell": min(scenario.layout.users_per_cell, 3),
            }
        )
        return real_run(small, decider, steps=min(steps, 2), **kw)

    with (
        mock.patch.object(rp, "run_sweep", _stand_in),
        mock.patch.object(experiments, "run", capped),
    ):
        try:
            code, out, err = _run(tokens)
        except _WouldRun:
            event("reproduce would run")
            return
    _check(tokens, code, out, err)
