"""genoff.experiments: reproducible runs, oracle regret, summaries, and result files."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import genoff
from genoff import deciders
from genoff.experiments import RESULT_FILES, run, summarize, write_results
from genoff.world.scenario import load_scenario

STEPS = 4
USERS = 6


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("paper").with_overrides(
        {"layout.users_per_cell": USERS, "scheduler.num_tti": 300}
    )


def _run(scenario, decider="oracle", seed=0, steps=STEPS):
    d = deciders.make_decider(decider) if isinstance(decider, str) else decider
    return run(scenario, d, steps=steps, seed=seed, n_threads=1)


@pytest.fixture(scope="module")
def results(scenario):
    """One run per reference decider, all with seed 0."""
    return {name: _run(scenario, name) for name in ("oracle", "local", "offload", "random")}


COLUMNS = [
    "step", "user", "cell", "service", "quality_preferred", "quality_req", "n_tokens",
    "est_tokens", "size_level", "capacity_bps", "offload", "t_tran_s", "t_gen_s",
    "t_total_s", "violated", "reward", "oracle_offload", "oracle_reward",
    "oracle_violated",
]


def test_table_layout(results):
    t = results["random"].table
    assert list(t.columns) == COLUMNS
    assert len(t) == STEPS * USERS
    assert t["step"].tolist() == [s for s in range(STEPS) for _ in range(USERS)]
    assert t["user"].tolist() == list(range(USERS)) * STEPS
    assert set(t["service"].astype(str)) <= {
        "chatting", "translation", "summarization", "science_reasoning", "coding"
    }
    assert set(t["size_level"]) <= {"short", "middle", "long"}
    np.testing.assert_allclose(t["t_total_s"], t["t_tran_s"] + t["t_gen_s"], rtol=1e-12)
    assert (t["capacity_bps"] > 0).all()


def test_run_is_deterministic_per_seed(scenario, results):
    again = _run(scenario, "random", seed=0)
    pd.testing.assert_frame_equal(again.table, results["random"].table)
    other = _run(scenario, "random", seed=1)
    assert not other.table.equals(results["random"].table)
    assert not np.array_equal(other.table["n_tokens"], results["random"].table["n_tokens"])
    assert not np.array_equal(
        other.table["capacity_bps"], results["random"].table["capacity_bps"]
    )


def test_deciders_see_the_same_world(results):
    # Common random numbers: with one seed, every decider faces the same requests and radio,
    # so their rewards are directly comparable.
    base = results["oracle"].table
    same = ["step", "user", "cell", "service", "n_tokens", "capacity_bps", "oracle_reward"]
    for name in ("local", "offload", "random"):
        pd.testing.assert_frame_equal(results[name].table[same], base[same])


def test_oracle_has_zero_regret_and_the_best_reward(results):
    o = results["oracle"]
    t = o.table
    np.testing.assert_array_equal(t["offload"], t["oracle_offload"])
    np.testing.assert_array_equal(t["reward"], t["oracle_reward"])
    assert o.summary["regret"] == 0.0
    assert o.summary["reward_fraction_of_oracle"] == 1.0
    for name in ("local", "offload", "random"):
        s = results[name].summary
        assert s["mean_reward"] <= o.summary["mean_reward"] + 1e-12
        assert s["regret"] >= -1e-12
        assert s["regret"] == pytest.approx(s["oracle_mean_reward"] - s["mean_reward"])
        assert s["oracle_mean_reward"] == pytest.approx(o.summary["mean_reward"], rel=1e-12)
        # Per step too: the oracle's total is the best of each step.
        per_step = results[name].table.groupby("step")["reward"].sum()
        best = t.groupby("step")["reward"].sum()
        assert (per_step <= best + 1e-9).all()


def test_summary_fields(results):
    local, offload, rnd = (results[n].summary for n in ("local", "offload", "random"))
    # Default requirements: only the cloud meets quality-preferred tasks (4e).
    assert offload["qp_success_rate"] == 1.0
    assert local["qp_success_rate"] == 0.0
    assert offload["offload_share"] == 1.0 and local["offload_share"] == 0.0
    assert offload["violation_rate"] == 0.0
    t = results["local"].table
    assert local["violation_rate"] == pytest.approx(t["quality_preferred"].mean())
    for s, name in ((local, "local"), (offload, "offload"), (rnd, "random")):
        t = results[name].table
        assert s["num_requests"] == STEPS * USERS
        assert s["mean_reward"] == pytest.approx(t["reward"].mean())
        assert s["mean_delay_s"] == pytest.approx(t["t_total_s"].mean())
        assert s["wall_time_s"] > 0
        assert s["wall_time_per_step_s"] == pytest.approx(s["wall_time_s"] / STEPS)


def test_summarize_without_quality_preferred_requests(results):
    t = results["local"].table
    s = summarize(t[~t["quality_preferred"]])
    assert np.isnan(s["qp_success_rate"])
    assert s["violation_rate"] == 0.0


def test_meta(results):
    m = results["random"].meta
    assert m["genoff_version"] == genoff.__version__
    assert m["seed"] == 0 and m["steps"] == STEPS
    assert m["decider"] == {"name": "random", "p": 0.5}
    assert m["scenario"]["layout"]["users_per_cell"] == USERS
    assert (m["edge_model"], m["cloud_model"]) == ("llama3-8b", "gpt-4o")


def test_tti_mode_runs(scenario):
    s = scenario.with_overrides({"transmission.mode": "tti"})
    res = _run(s, "oracle", steps=2)
    t = res.table
    assert "radio_delay_s" in t.columns and "capacity_bps" not in t.columns
    assert len(t) == 2 * USERS
    assert (t["radio_delay_s"] >= s.scheduler.tti_s).all()
    np.testing.assert_allclose(
        t["t_tran_s"], t["radio_delay_s"] + s.reward.t_back_s * t["offload"], rtol=1e-12
    )
    assert res.summary["regret"] == 0.0
    assert res.meta["scenario"]["transmission"]["mode"] == "tti"


@pytest.mark.parametrize("kwargs", [{"steps": 0}, {"steps": 2.5}, {"steps": True},
                                    {"steps": 1, "seed": -1}])
def test_run_rejects_bad_arguments(scenario, kwargs):
    with pytest.raises(ValueError, match="steps|seed"):
        run(scenario, deciders.Oracle(), n_threads=1, **kwargs)


def test_run_rejects_wrong_decision_shape(scenario):
    class Bad(deciders.Decider):
        name = "bad"

        def decide(self, ctx):
            return np.zeros(len(ctx.requests) + 1, dtype=bool)

    with pytest.raises(ValueError, match="'bad' returned shape"):
        _run(scenario, Bad(), steps=1)


def test_learning_deciders_observe_every_step(scenario):
    class Recorder(deciders.AlwaysLocal):
        def __init__(self):
            self.seen = []

        def observe(self, ctx, offload, outcome):
            self.seen.append((ctx.step, offload.copy(), outcome.reward.copy()))

    d = Recorder()
    res = _run(scenario, d, steps=3)
    assert [s for s, _, _ in d.seen] == [0, 1, 2]
    np.testing.assert_array_equal(
        np.concatenate([r for _, _, r in d.seen]), res.table["reward"].to_numpy()
    )


# ---------------------------------------------------------------------------------------
# Files


def _snapshot(folder):
    return {n: ((folder / n).read_bytes(), os.stat(folder / n).st_mtime_ns) for n in RESULT_FILES}


def test_write_results_round_trip(results, tmp_path):
    res = results["random"]
    paths = write_results(res, tmp_path / "out")
    assert [p.name for p in paths] == list(RESULT_FILES)
    assert sorted(os.listdir(tmp_path / "out")) == sorted(RESULT_FILES)  # no temp files left

    pq_path, csv_path, json_path = paths
    back = pd.read_parquet(pq_path)
    pd.testing.assert_frame_equal(back, res.table)

    csv = pd.read_csv(csv_path, comment="#")
    want = res.table.copy()
    want["service"] = want["service"].astype(str)
    csv["service"] = csv["service"].astype(str)
    pd.testing.assert_frame_equal(csv, want, check_exact=False, rtol=1e-14)

    # Metadata: scenario, seed, decider and version in every file.
    for meta in (
        json.loads(pq.read_schema(pq_path).metadata[b"genoff"]),
        json.loads(json_path.read_text()),
    ):
        assert meta["genoff_version"] == genoff.__version__
        assert meta["seed"] == 0 and meta["steps"] == STEPS
        assert meta["decider"] == {"name": "random", "p": 0.5}
        assert meta["scenario"] == res.meta["scenario"]
        assert meta["summary"]["mean_reward"] == pytest.approx(res.summary["mean_reward"])
    header = [ln for ln in csv_path.read_text().splitlines() if ln.startswith("#")]
    assert header[0] == f"# genoff {genoff.__version__}"
    assert header[1] == f"# seed 0 steps {STEPS}"
    assert json.loads(header[2].removeprefix("# scenario ")) == res.meta["scenario"]
    assert json.loads(header[3].removeprefix("# decider ")) == res.meta["decider"]


def test_write_results_never_overwrites_without_force(results, tmp_path):
    out = tmp_path / "out"
    write_results(results["local"], out)
    before = _snapshot(out)
    with pytest.raises(FileExistsError, match="already holds results"):
        write_results(results["offload"], out)
    assert _snapshot(out) == before
    # Any one of the files is enough to refuse.
    (out / "requests.parquet").unlink()
    (out / "requests.csv").unlink()
    with pytest.raises(FileExistsError, match="run.json"):
        write_results(results["offload"], out)

    write_results(results["offload"], out, force=True)
    back = pd.read_parquet(out / "requests.parquet")
    pd.testing.assert_frame_equal(back, results["offload"].table)
    assert json.loads((out / "run.json").read_text())["decider"] == {"name": "offload"}


def test_write_results_into_a_file_path_fails(results, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="must be a folder"):
        write_results(results["local"], f)
    assert f.read_text() == "x"


# -- names in the Python API --------------------------------------------------------------


def test_run_takes_scenario_and_decider_names():
    r = run("paper", "oracle", steps=2, n_threads=1)
    assert r.meta["scenario"]["name"] == "paper" and r.meta["decider"]["name"] == "oracle"
    assert len(r.table) == 2 * load_scenario("paper").num_users
    assert r.summary["regret"] == 0.0


def test_a_name_gives_the_run_of_the_object_it_names(scenario, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(scenario.to_toml())
    by_name = run(path, "dqn", steps=2, seed=3, n_threads=1)
    by_object = run(scenario, deciders.make_decider("dqn", seed=3), steps=2, seed=3,
                    n_threads=1)
    pd.testing.assert_frame_equal(by_name.table, by_object.table, check_exact=True)
    # the DQN made from a name is seeded by the run's seed: the same run twice
    again = run(path, "dqn", steps=2, seed=3, n_threads=1)
    pd.testing.assert_frame_equal(by_name.table, again.table, check_exact=True)


@pytest.mark.parametrize(
    "scenario, decider, exc, match",
    [
        ("nope", "oracle", ValueError, "unknown scenario 'nope'"),
        ("paper", "nope", ValueError, "decider must be one of .*'nope'"),
        (5, "oracle", TypeError, "scenario must be a Scenario, a built-in scenario name"),
        ("paper", 5, TypeError, "decider must be a Decider or a decider name"),
        ("paper", deciders.Oracle, TypeError, "decider must be a Decider"),
    ],
)
def test_run_rejects_bad_names_and_types(scenario, decider, exc, match):
    with pytest.raises(exc, match=match):
        run(scenario, decider, steps=1, n_threads=1)
