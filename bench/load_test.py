"""Load test of the core's threading policy: the default thread count against n_threads=1,
on an idle machine, next to busy-loop processes, and alternating with NumPy BLAS work.

The question (issue 12, item 1): does the default call ever cost more than one thread when
the machine is busy? Each condition runs in phases (idle, busy, blas, idle, busy, blas, ...);
inside a phase the two contenders alternate call by call (A B B A ...), so both see the same
load. The busy processes are started and stopped here, by PID, and stop by themselves after
``--seconds`` plus a margin even if this script dies.

Run:  python bench/load_test.py [--seconds 60] [--json bench/results/load-<machine>.json]

Conditions:
  idle  nothing else running (besides whatever the machine already runs);
  busy  ``--busy`` Python processes spinning (default: one per core);
  blas  the calling thread runs a 300x300 float64 matmul (NumPy's BLAS, its own threads)
        before every core call, like a simulator that mixes both.

Reported per (kernel, condition): min/median/max ms of the default call and of n_threads=1,
and their ratio (medians); per kernel: loaded/idle ratios of each contender.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import RB_HZ, make_case  # noqa: E402

from genoff import core  # noqa: E402

CONDITIONS = ("idle", "busy", "blas")


def start_busy(n: int, seconds: float) -> list[subprocess.Popen]:
    """n spinning processes that also stop by themselves after `seconds`."""
    code = f"import time\nend = time.monotonic() + {seconds:.1f}\nwhile time.monotonic() < end: pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def stop_busy(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.wait()


def kernels(cases):
    """name -> (callable taking n_threads, approximate single-thread ms)."""
    out = {}
    for case in cases:
        pf = core.PFScheduler(case.serving.size, case.serving, case.tx_power_w.shape[0])
        active = np.ones(case.tx_power_w.shape, dtype=bool)
        rate = core.shannon_rate(
            core.sinr(case.gain, case.tx_power_w, active, case.noise_w, case.serving), RB_HZ
        )

        def tti(n, pf=pf, case=case):
            pf.step_channel(case.gain, case.tx_power_w, case.noise_w, RB_HZ, n_threads=n)

        def sinr(n, case=case, active=active):
            core.sinr(case.gain, case.tx_power_w, active, case.noise_w, case.serving, n_threads=n)

        def step(n, pf=pf, rate=rate):
            pf.step(rate, n_threads=n)

        out[f"step_channel-{case.name}"] = tti
        out[f"sinr-{case.name}"] = sinr
        out[f"pf_step-{case.name}"] = step
    return out


def run(seconds: float, busy: int, phases: int) -> dict:
    cases = [make_case("paper", 7, 20, 106), make_case("3gpp", 57, 20, 273)]
    ks = kernels(cases)
    a = np.random.default_rng(0).standard_normal((300, 300))
    times = {(k, c, m): [] for k in ks for c in CONDITIONS for m in ("default", "1")}
    per_phase = seconds / (phases * len(CONDITIONS))
    deadline = time.monotonic() + seconds * 1.5 + 30  # hard bound, whatever happens
    procs: list[subprocess.Popen] = []
    try:
        for phase in range(phases):
            for cond in CONDITIONS:
                if cond == "busy":
                    procs = start_busy(busy, per_phase + 10)
                    time.sleep(0.2)  # let them get going
                end = time.monotonic() + per_phase
                i = 0
                while time.monotonic() < end and time.monotonic() < deadline:
                    for name, fn in ks.items():
                        order = ("default", "1") if i % 2 == 0 else ("1", "default")
                        for mode in order:
                            if cond == "blas":
                                a @ a
                            t0 = time.perf_counter()
                            fn(0 if mode == "default" else 1)
                            times[(name, cond, mode)].append(time.perf_counter() - t0)
                    i += 1
                if procs:
                    stop_busy(procs)
                    procs = []
    finally:
        stop_busy(procs)

    def stats(v):
        v = np.array(v) * 1e3
        return {"n": int(v.size), "min_ms": float(v.min()), "median_ms": float(np.median(v)),
                "max_ms": float(v.max())}

    result = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
              "max_threads": core.max_threads(), "seconds": seconds, "busy_processes": busy,
              "phases": phases, "kernels": {}}
    try:
        with open("/proc/cpuinfo") as f:
            result["machine"] = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    for name in ks:
        entry = {}
        for cond in CONDITIONS:
            d, one = stats(times[(name, cond, "default")]), stats(times[(name, cond, "1")])
            entry[cond] = {"default": d, "n_threads=1": one,
                           "default/1thread": d["median_ms"] / one["median_ms"]}
        for mode, key in (("default", "default"), ("1", "n_threads=1")):
            for cond in ("busy", "blas"):
                entry[f"{cond}/idle {key}"] = entry[cond][key]["median_ms"] / entry["idle"][key]["median_ms"]
        result["kernels"][name] = entry
    return result


def report(r: dict) -> str:
    lines = [f"machine: {r['machine']} ({r['cpus']} CPUs, default = {r['max_threads']} threads), "
             f"{r['busy_processes']} busy processes, {r['seconds']:.0f} s"]
    lines.append(f"{'kernel':24s} {'cond':5s} {'default med (min-max) ms':>30s} "
                 f"{'1 thread med (min-max) ms':>30s} {'def/1':>6s}")
    for name, e in r["kernels"].items():
        for cond in CONDITIONS:
            d, o = e[cond]["default"], e[cond]["n_threads=1"]
            lines.append(
                f"{name:24s} {cond:5s} {d['median_ms']:9.3f} ({d['min_ms']:.3f}-{d['max_ms']:.3f})"
                f"{'':>4s}{o['median_ms']:9.3f} ({o['min_ms']:.3f}-{o['max_ms']:.3f})"
                f"{'':>4s}{e[cond]['default/1thread']:6.2f}")
        lines.append(
            f"{'':24s} loaded/idle: busy default {e['busy/idle default']:.2f}, 1 thread "
            f"{e['busy/idle n_threads=1']:.2f}; blas default {e['blas/idle default']:.2f}, "
            f"1 thread {e['blas/idle n_threads=1']:.2f}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="total measuring time")
    p.add_argument("--busy", type=int, default=os.cpu_count() or 2, help="busy-loop processes")
    p.add_argument("--phases", type=int, default=3, help="idle/busy/blas cycles")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    args = p.parse_args(argv)
    r = run(args.seconds, args.busy, args.phases)
    print(report(r))
    if args.json:
        args.json.write_text(json.dumps(r, indent=1) + "\n")
    return r


if __name__ == "__main__":
    main()
