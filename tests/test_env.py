"""genoff.envs.offload: the Gymnasium environment (API conformance, reproducibility, eq. 8 and 10)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from genoff.world.catalog import load_catalog
from genoff.envs.offload import ENV_ID, OffloadEnv
from genoff.world.scenario import load_scenario
from genoff.world.tasks import QUALITY_PREFERRED, SERVICE_TYPES

USERS = 4


@pytest.fixture(scope="module")
def scenario():
    # The paper's setting, fewer users and a shorter capacity run so the tests are quick.
    return load_scenario("paper").with_overrides(
        {"layout.users_per_cell": USERS, "scheduler.num_tti": 200}
    )


def _env(scenario, **kw) -> OffloadEnv:
    kw.setdefault("slots_per_episode", 5)
    return OffloadEnv(scenario, n_threads=1, **kw)


def _rollout(env, seed: int, actions):
    obs, info = env.reset(seed=seed)
    trace = [(obs, info)]
    for a in actions:
        trace.append(env.step(a))
    return trace


@pytest.mark.parametrize("mode", ["analytic", "tti"])
@pytest.mark.parametrize("extra_features", [False, True])
def test_check_env_passes(scenario, extra_features, mode):
    env = _env(scenario.with_overrides({"transmission.mode": mode}),
               extra_features=extra_features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker's warnings count as failures too
        check_env(env, skip_render_check=True)
    assert env.observation_space.shape == ((8,) if extra_features else (6,))
    assert env.observation_space.dtype == np.float32
    assert env.action_space == gym.spaces.Discrete(2)


def test_gymnasium_make():
    import genoff.envs.offload  # noqa: F401  (registers the id)

    assert ENV_ID == "genoff/Offload-v0"
    env = gym.make(
        "genoff/Offload-v0", scenario="paper", slots_per_episode=2, n_threads=1
    )
    try:
        assert isinstance(env.unwrapped, OffloadEnv)
        assert env.unwrapped.slots_per_episode == 2
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        obs, reward, terminated, truncated, info = env.step(1)
        assert env.observation_space.contains(obs)
        assert np.isfinite(reward) and not terminated and not truncated
        assert info["slot"] == 0
    finally:
        env.close()


def test_registration_in_a_fresh_interpreter():
    # Only `import genoff.envs.offload` registers the id; the module-qualified id imports it itself.
    code = (
        "import gymnasium as gym\n"
        "assert 'genoff/Offload-v0' not in gym.envs.registry\n"
        "e = gym.make('genoff.envs.offload:genoff/Offload-v0', n_threads=1)\n"
        "e.reset(seed=0); e.step(0)\n"
        "import genoff.envs.offload\n"
        "e = gym.make('genoff/Offload-v0', n_threads=1)\n"
        "e.reset(seed=0); e.step(1)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_reset_seed_determinism(scenario):
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 2, size=3 * USERS).tolist()
    a = _rollout(_env(scenario), 7, actions)
    b = _rollout(_env(scenario), 7, actions)
    assert len(a) == len(b)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert a[0][1] == b[0][1]
    for (oa, ra, ta, tra, ia), (ob, rb, tb, trb, ib) in zip(a[1:], b[1:]):
        np.testing.assert_array_equal(oa, ob)
        assert (ra, ta, tra) == (rb, tb, trb)
        assert ia == ib
    # The same env reset with the same seed replays the episode too.
    env = _env(scenario)
    _rollout(env, 99, actions)
    c = _rollout(env, 7, actions)
    assert [t[1] for t in c[1:]] == [t[1] for t in a[1:]]
    # Another seed gives another episode.
    d = _rollout(_env(scenario), 8, actions)
    assert [t[1] for t in d[1:]] != [t[1] for t in a[1:]]


def _by_hand_tokens(info, action, edge, cloud) -> float:
    """True output tokens from eq. (3): t_gen = TTFT + n * TPOT of the chosen model."""
    m = cloud if action == 1 else edge
    return (info["t_gen_s"] - m.ttft_s) / m.tpot_s


@pytest.mark.parametrize("extra_features", [False, True])
def test_observation_is_eq8(scenario, extra_features):
    # size_estimate_noise = 0 (paper default): the estimated size is the true size.
    assert scenario.tasks.size_estimate_noise == 0.0
    cat = load_catalog()
    edge, cloud = cat[scenario.llm.edge], cat[scenario.llm.cloud]
    mean = scenario.tasks.mean_output_tokens
    env = _env(scenario, extra_features=extra_features)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(4 * USERS):
        action = int(rng.integers(0, 2))
        nxt, _, _, _, info = env.step(action)
        one_hot = obs[: len(SERVICE_TYPES)]
        assert sorted(one_hot.tolist()) == [0.0] * (len(SERVICE_TYPES) - 1) + [1.0]
        assert SERVICE_TYPES[int(np.argmax(one_hot))] == info["service"]
        seen.add(info["service"])
        n_tokens = _by_hand_tokens(info, action, edge, cloud)
        assert obs[5] == pytest.approx(n_tokens / mean, rel=1e-6)
        if extra_features:
            tau = scenario.tasks.quality_requirement[info["service"]]
            assert obs[6] == pytest.approx(tau / 100.0, rel=1e-6)
            # analytic mode: t_tran = n * bytes * 8 / C + alpha * t_back (eq. 1)
            radio_s = info["t_tran_s"] - action * scenario.reward.t_back_s
            c = n_tokens * scenario.tasks.bytes_per_token * 8.0 / radio_s
            assert obs[7] == pytest.approx(np.log10(c / 1e6), abs=1e-5)
        obs = nxt
    assert len(seen) >= 3


def test_reward_is_eq10(scenario):
    r = scenario.reward
    env = _env(scenario)
    env.reset(seed=5)
    rng = np.random.default_rng(2)
    for _ in range(4 * USERS):
        action = int(rng.integers(0, 2))
        _, reward, _, _, info = env.step(action)
        assert info["t_total_s"] == pytest.approx(info["t_tran_s"] + info["t_gen_s"], rel=1e-12)
        qp = info["service"] in QUALITY_PREFERRED
        # Default requirements: the edge fails quality-preferred tasks, the cloud none.
        assert info["violated"] == (qp and action == 0)
        assert reward == pytest.approx(
            r.target_s - info["t_total_s"] - r.penalty * info["violated"], rel=1e-12
        )
        assert info["oracle_reward"] >= reward - 1e-12
        assert 0 <= info["user"] < USERS


def test_truncation_after_slots_times_users(scenario):
    slots = 3
    env = _env(scenario, slots_per_episode=slots)
    obs, info = env.reset(seed=0)
    assert info["slot"] == 0
    for t in range(slots * USERS):
        obs, _, terminated, truncated, info = env.step(t % 2)
        assert not terminated
        assert info["slot"] == t // USERS
        assert info["user"] == t % USERS  # requests of a slot come user by user
        assert truncated == (t == slots * USERS - 1)
        assert env.observation_space.contains(obs)
    # A reset starts a new episode.
    env.reset(seed=1)
    _, _, _, truncated, info = env.step(0)
    assert not truncated and info["slot"] == 0


@pytest.mark.parametrize("action", [2, -1, 0.5, "1", None])
def test_invalid_action_raises(scenario, action):
    env = _env(scenario)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be 0"):
        env.step(action)
    # numpy integers are fine
    env.step(np.int64(1))


def test_step_before_reset_raises(scenario):
    with pytest.raises(RuntimeError, match="reset"):
        _env(scenario).step(0)


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"slots_per_episode": 0}, ValueError, "slots_per_episode must be >= 1"),
        ({"slots_per_episode": -3}, ValueError, "slots_per_episode must be >= 1"),
        ({"slots_per_episode": 2.0}, TypeError, "slots_per_episode must be an integer"),
        ({"slots_per_episode": True}, TypeError, "slots_per_episode must be an integer"),
        ({"scenario": "no-such-scenario"}, ValueError, "unknown scenario"),
        ({"scenario": 3}, TypeError, "scenario must be a Scenario"),
    ],
)
def test_bad_constructor_args(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        OffloadEnv(**kwargs)


def test_load_aware_edge_in_env(scenario):
    # Decisions arrive one by one: the k-th request kept at the edge in a slot sees load k.
    aware = scenario.with_overrides(
        {"llm.load_aware_edge": True, "llm.edge_batch_ttft_slope": 0.1,
         "llm.edge_batch_tpot_slope": 0.1}
    )
    cat = load_catalog()
    edge, cloud = cat[aware.llm.edge], cat[aware.llm.cloud]
    local, offload = _env(aware), _env(aware)
    local.reset(seed=4)
    offload.reset(seed=4)
    for k in range(1, USERS + 1):
        _, _, _, _, at_edge = local.step(0)
        _, _, _, _, at_cloud = offload.step(1)  # same request; the cloud ignores load
        n = _by_hand_tokens(at_cloud, 1, edge, cloud)
        load = 1 + 0.1 * (k - 1)
        assert at_edge["t_gen_s"] == pytest.approx(
            edge.ttft_s * load + n * edge.tpot_s * load, rel=1e-9
        )


def test_import_genoff_registers_the_env_without_heavy_imports():
    # As Gymnasium packages do: `import genoff` registers the id (no torch, no env module
    # until gym.make), with a TimeLimit equal to the environment's own episode length.
    code = (
        "import sys\n"
        "import gymnasium as gym\n"
        "import genoff\n"
        "assert 'torch' not in sys.modules and 'genoff.envs.offload' not in sys.modules\n"
        "spec = gym.spec('genoff/Offload-v0')\n"
        "env = gym.make('genoff/Offload-v0', n_threads=1)\n"
        "env.reset(seed=0)\n"
        "n, done = 0, False\n"
        "while not done:\n"
        "    _, _, term, trunc, _ = env.step(0)\n"
        "    n += 1\n"
        "    done = term or trunc\n"
        "u = env.unwrapped\n"
        "print(spec.max_episode_steps, u.episode_steps, n, u._slot == u.slots_per_episode)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    # the env truncated itself on the very step where the TimeLimit would
    assert proc.stdout.split() == ["1000", "1000", "1000", "True"]


def test_episode_steps_follow_slots_and_users(scenario):
    env = _env(scenario, slots_per_episode=3)
    assert env.episode_steps == 3 * scenario.num_users
