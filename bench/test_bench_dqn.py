"""Wall time to 95 % of the oracle: genoff's DQN vs Stable-Baselines3's DQN (defaults).

Both learn on the same environment, ``gym.make("genoff/Offload-v0", scenario="paper",
n_threads=1)`` (paper scenario: 20 users, W = 1000 TTIs, 50 slots = 1000 steps per
episode), and are evaluated the same way: every EVAL_EVERY environment steps the greedy
policy runs EVAL_EPISODES episodes of EVAL_SLOTS slots reset with seeds EVAL_SEED,
EVAL_SEED + 1, ... (:func:`genoff.deciders.dqn.evaluate_policy`); its mean reward is compared with the
oracle's on the same requests. The time to 95 % is the wall time from the start of
``train`` / ``learn`` (first environment reset included, construction excluded) to the
first evaluation at >= 95 %, with the evaluations' own time excluded.

* ours: ``DQNDecider(seed=s)`` with its defaults (MLP 64-64, gamma 0, lr 3e-3, batch 128,
  learning starts 100, train every 4 steps, epsilon 1 -> 0.02 over 500 steps);
* SB3: ``DQN("MlpPolicy", env, seed=s)`` with the library's defaults as they are (2.x:
  lr 1e-4, gamma 0.99, batch 32, learning starts 100, train every 4 steps, target update
  every 10 000 steps, epsilon 1 -> 0.05 over the first 10 % of ``total_timesteps``), run
  with ``total_timesteps=BUDGET`` and stopped by a callback at 95 %.

Both use one torch thread (``torch.set_num_threads(1)``): on a shared 2-core machine two
threads make every small op spin-wait and both libraries 10-50x slower, erratically.
Seeds run interleaved (ours, SB3, ours, ...), so machine-load drift hits both alike.

Run: ``python -m pytest bench/test_bench_dqn.py -s`` or ``python bench/test_bench_dqn.py
[--json out.json]``. Needs stable-baselines3 (the ``rl`` extra).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time

import gymnasium as gym

import genoff.envs.offload  # noqa: F401  (registers genoff/Offload-v0)
from genoff.deciders.dqn import DQNDecider, evaluate_policy

SEEDS = (0, 1, 2, 3, 4)
EVAL_EVERY = 100
EVAL_EPISODES = 3
EVAL_SLOTS = 10
EVAL_SEED = 10_000
TARGET = 0.95
BUDGET = 50_000
FINAL_STEPS = 2000  # our DQN's fraction of the oracle after this many steps is reported too


def _env(slots: int = 50):
    return gym.make("genoff/Offload-v0", scenario="paper", slots_per_episode=slots, n_threads=1)


def ours(seed: int) -> dict:
    env, eval_env = _env(), _env(EVAL_SLOTS)
    d = DQNDecider(seed=seed)
    curve = d.train(env, BUDGET, seed=seed, log_every=EVAL_EVERY, eval_env=eval_env,
                    eval_every=EVAL_EVERY, eval_episodes=EVAL_EPISODES, eval_seed=EVAL_SEED,
                    stop_at_fraction=TARGET)
    last = curve.iloc[-1]
    reached = bool(last["eval_fraction"] >= TARGET)
    steps = int(last["step"])
    rest = d.train(env, max(FINAL_STEPS - steps, 0), log_every=FINAL_STEPS)
    del rest
    m, o = evaluate_policy(d.policy, eval_env, EVAL_EPISODES, EVAL_SEED)
    return {"reached": reached, "steps": steps, "time_s": float(last["train_time_s"]),
            "fraction": float(last["eval_fraction"]), "final_fraction": m / o,
            "final_steps": max(FINAL_STEPS, steps)}


def sb3(seed: int) -> dict:
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback

    env, eval_env = _env(), _env(EVAL_SLOTS)
    state = {"eval_s": 0.0, "hit": None, "last": math.nan}

    class Eval(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % EVAL_EVERY:
                return True
            t = time.perf_counter()
            m, o = evaluate_policy(
                lambda obs: int(self.model.predict(obs, deterministic=True)[0]),
                eval_env, EVAL_EPISODES, EVAL_SEED)
            state["last"] = m / o
            if m / o >= TARGET:
                state["hit"] = (self.num_timesteps, t)
                return False
            state["eval_s"] += time.perf_counter() - t
            return True

    model = DQN("MlpPolicy", env, seed=seed)
    t0 = time.perf_counter()
    model.learn(total_timesteps=BUDGET, callback=Eval())
    if state["hit"] is None:
        return {"reached": False, "steps": BUDGET, "fraction": state["last"],
                "time_s": time.perf_counter() - t0 - state["eval_s"]}
    steps, t_hit = state["hit"]
    return {"reached": True, "steps": steps, "fraction": state["last"],
            "time_s": t_hit - t0 - state["eval_s"]}


def measure(seeds=SEEDS) -> dict:
    import stable_baselines3
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = []
        for s in seeds:
            rows.append({"seed": s, "ours": ours(s), "sb3": sb3(s)})
    finally:
        torch.set_num_threads(old)
    med_ours = statistics.median(r["ours"]["time_s"] for r in rows)
    med_sb3 = statistics.median(r["sb3"]["time_s"] for r in rows)
    return {
        "sb3_version": stable_baselines3.__version__,
        "torch_version": torch.__version__,
        "eval": {"every": EVAL_EVERY, "episodes": EVAL_EPISODES, "slots": EVAL_SLOTS,
                 "seed": EVAL_SEED, "target": TARGET, "budget": BUDGET},
        "rows": rows,
        "median_time_s": {"ours": med_ours, "sb3": med_sb3},
        "median_steps": {"ours": statistics.median(r["ours"]["steps"] for r in rows),
                         "sb3": statistics.median(r["sb3"]["steps"] for r in rows)},
        "ratio_ours_over_sb3": med_ours / med_sb3,
    }


def report(res: dict) -> str:
    title = (f"time to {TARGET:.0%} of the oracle (paper scenario; SB3 "
             f"{res['sb3_version']}, torch {res['torch_version']}, 1 torch thread)")
    lines = [title,
             "seed  ours: steps  time_s  frac   final(2000)   sb3: steps  time_s  frac"]
    for r in res["rows"]:
        o, b = r["ours"], r["sb3"]
        lines.append(f"{r['seed']:4d}  {o['steps']:11d} {o['time_s']:7.3f} {o['fraction']:.3f}"
                     f"   {o['final_fraction']:.4f}      {b['steps']:10d} {b['time_s']:7.3f}"
                     f" {b['fraction']:.3f}{'' if b['reached'] else ' (not reached)'}")
    m = res["median_time_s"]
    lines.append(f"median: ours {m['ours']:.3f} s ({res['median_steps']['ours']:.0f} steps), "
                 f"SB3 {m['sb3']:.3f} s ({res['median_steps']['sb3']:.0f} steps); "
                 f"ours / SB3 = {res['ratio_ours_over_sb3']:.3f}")
    return "\n".join(lines)


def test_dqn_time_to_95_percent_vs_sb3():
    res = measure()
    print("\n" + report(res))
    assert all(r["ours"]["reached"] for r in res["rows"])
    assert all(r["ours"]["final_fraction"] >= TARGET for r in res["rows"])
    assert all(r["sb3"]["reached"] for r in res["rows"]), report(res)
    assert res["ratio_ours_over_sb3"] <= 0.5, report(res)


if __name__ == "__main__":
    res = measure()
    print(report(res))
    if "--json" in sys.argv:
        path = sys.argv[sys.argv.index("--json") + 1]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)
        print(f"wrote {path}")
