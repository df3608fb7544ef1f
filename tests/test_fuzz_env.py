"""Fuzz: the Gymnasium environment ``genoff/Offload-v0`` (issue 11, item 5).

Random constructor arguments, ``reset`` seeds and options, and action sequences (valid and
invalid) must give a clean ``ValueError``/``TypeError`` naming the argument, or a working
environment whose observations lie in its observation space, rewards and infos are finite,
and episodes truncate after ``slots_per_episode`` slots. Never ``gymnasium.error.Error``, a
bare ``TypeError`` from deep inside, or a crash.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from genoff.world.catalog import load_catalog
from genoff.envs.offload import OffloadEnv
from genoff.world.scenario import Scenario
from hypothesis import event, given
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

_SMALL = Scenario().with_overrides(
    {"layout.users_per_cell": 2, "radio.num_rb": 3, "scheduler.num_tti": 10}
)
_TTI = _SMALL.with_overrides(
    {"transmission.mode": "tti", "llm.load_aware_edge": True, "llm.edge_batch_ttft_slope": 0.5}
)
_JUNK = st.one_of(
    st.sampled_from(
        [
            None,
            0,
            -1,
            1,
            2**31,
            2**70,
            1.5,
            math.nan,
            math.inf,
            True,
            "",
            "paper",
            "no-such",
            "3",
            b"x",
            [],
            {},
            (1,),
            object(),
            np.int64(2),
            np.float32(1),
            np.array(1),
            np.array([1, 0]),
        ]
    ),
    st.integers(-(2**70), 2**70),
    st.text(max_size=8),
)


def _one_line(e: BaseException) -> str:
    msg = str(e)
    assert msg and "\n" not in msg and len(msg) < 1000, repr(msg)
    return msg


@given(
    kwargs=st.dictionaries(
        st.sampled_from(
            ["scenario", "slots_per_episode", "extra_features", "catalog", "n_threads"]
        ),
        st.one_of(_JUNK, st.sampled_from([_SMALL, _TTI, load_catalog(), 1, 3, False])),
        max_size=4,
    )
)
def test_fuzz_env_constructor(kwargs):
    kwargs.setdefault("scenario", _SMALL)
    try:
        env = OffloadEnv(**kwargs)
    except (ValueError, TypeError) as e:
        msg = _one_line(e)
        assert any(msg.startswith(k) or k in msg for k in kwargs) or "scenario" in msg, msg
        event(f"constructor: {type(e).__name__}")
        return
    event("constructor: ok")
    assert env.action_space.n == 2


_SEEDS = st.one_of(st.none(), st.integers(0, 2**64), _JUNK)
_OPTIONS = st.one_of(
    st.none(), st.just({}), _JUNK, st.dictionaries(st.text(max_size=4), _JUNK, max_size=2)
)
_ACTIONS = st.one_of(st.sampled_from([0, 1, np.int64(0), np.int64(1), True, False]), _JUNK)


@given(
    scenario=st.sampled_from([_SMALL, _TTI]),
    extra=st.booleans(),
    slots=st.integers(1, 3),
    seed=_SEEDS,
    options=_OPTIONS,
    actions=st.lists(_ACTIONS, max_size=12),
)
def test_fuzz_env_reset_and_step(scenario, extra, slots, seed, options, actions):
    env = OffloadEnv(scenario, slots_per_episode=slots, extra_features=extra, n_threads=1)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    try:
        obs, info = env.reset(seed=seed, options=options)
    except (ValueError, TypeError) as e:
        msg = _one_line(e)
        assert msg.startswith(("seed", "options")), msg
        event(f"reset: {type(e).__name__}")
        return
    event("reset: ok")
    assert env.observation_space.contains(obs) and info == {"slot": 0}
    steps = 0
    for a in actions:
        try:
            obs, r, term, trunc, info = env.step(a)
        except ValueError as e:
            assert _one_line(e).startswith("action"), e
            event("step: ValueError")
            continue
        steps += 1
        assert env.observation_space.contains(obs), obs
        assert math.isfinite(r) and not term
        assert all(
            math.isfinite(info[k]) for k in ("t_tran_s", "t_gen_s", "t_total_s", "oracle_reward")
        )
        assert info["oracle_reward"] >= r - 1e-9
        if trunc:
            event("step: truncated")
            assert info["slot"] == slots - 1
            break
    # The same seed gives the same episode start.
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        o1, _ = env.reset(seed=seed)
        o2, _ = env.reset(seed=seed)
        np.testing.assert_array_equal(o1, o2)
