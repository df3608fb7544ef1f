"""Threading contract of genoff.core: results are bit-identical for every n_threads, the
kernels may be called from several Python threads at once (they release the GIL), a
PFScheduler shared by threads stays consistent, and a scheduler pickles with its state."""

from __future__ import annotations

import copy
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import genoff.core as core

THREADS = [1, 2, 4]
RB_HZ = 180e3


# Sizes are chosen so that every kernel has work for at least 4 threads (the core runs small
# problems on fewer threads than asked).
def system(seed, num_ue=300, num_cell=3, num_rb=100):
    r = np.random.default_rng(seed)
    gain = 10.0 ** r.uniform(-13, -8, (num_ue, num_cell, num_rb))
    tx = r.uniform(0.1, 0.3, (num_cell, num_rb))
    serving = r.integers(0, num_cell, num_ue)
    return gain, tx, 1e-14, serving, RB_HZ


def requests(seed, num_ue, n=60, horizon=80):
    """Requests of 100 B to 3 MB (some too large for the horizon)."""
    r = np.random.default_rng(seed)
    return dict(request_ue=r.integers(0, num_ue, n), request_tti=r.integers(0, horizon, n),
                request_bytes=10.0 ** r.uniform(2, 6.5, n))


def assert_same(a, b):
    """Bit-identical results: arrays, dataclasses of arrays, or lists of them."""
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif hasattr(a, "__dataclass_fields__"):
        for f in a.__dataclass_fields__:
            assert_same(getattr(a, f), getattr(b, f))
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    else:
        assert a == b


# Each workload is a function of (seed, n_threads) returning the core's results.


def w_sinr(seed, nt):
    gain, tx, noise, serving, _ = system(seed)
    active = np.random.default_rng(seed).random(tx.shape) < 0.8
    return [core.sinr(gain, tx, active, noise, serving, n_threads=nt),
            core.sinr(gain.astype(np.float32), tx, active, noise, serving, n_threads=nt),
            core.sinr(gain[..., :1], tx, active, noise, serving, n_threads=nt)]


def w_shannon(seed, nt):
    s = 10.0 ** np.random.default_rng(seed).uniform(-12, 8, (400, 100))
    return core.shannon_rate(s, RB_HZ, n_threads=nt)


def w_pf_allocate(seed, nt):
    r = np.random.default_rng(seed)
    serving = r.integers(0, 6, 1000)
    rate = r.integers(0, 5, (1000, 100)) * 1e6  # many ties
    avg = r.choice([1e6, 2e6, 4e6], 1000)
    return [core.pf_allocate(rate, avg, serving, 7, n_threads=nt),
            core.pf_allocate(rate, avg, serving, 7, r.random(1000) < 0.5, n_threads=nt)]


def w_step_channel(seed, nt):
    gain, tx, noise, serving, bw = system(seed)
    r = np.random.default_rng(seed)
    pf = core.PFScheduler(len(serving), serving, tx.shape[0])
    out = []
    for _ in range(10):
        out.append(pf.step_channel(gain * r.exponential(size=gain.shape), tx, noise, bw,
                                   eligible=r.random(len(serving)) < 0.8, n_threads=nt))
        out += [pf.avg_rate, pf.last_rate]
    return out


def w_rayleigh(seed, nt):
    return core.rayleigh_power(7, 130, 3, 11, seed=seed, first_tti=5, n_threads=nt)


def w_full(seed, nt):
    gain, tx, noise, serving, bw = system(seed, num_ue=100, num_rb=40)
    return core.run_full_buffer(gain, tx, noise, serving, bw, num_tti=30, fading="rayleigh",
                                seed=seed, background=[True, False, False], n_threads=nt)


def w_finite(seed, nt):
    gain, tx, noise, serving, bw = system(seed, num_ue=100, num_rb=40)
    return core.run_finite_buffer(gain, tx, noise, serving, bw, num_tti=85, fading="rayleigh",
                                  seed=seed, n_threads=nt, **requests(seed, len(serving)))


def w_evaluate(seed, nt):
    r = np.random.default_rng(seed)
    n = 20_000  # several 4096-request blocks
    return [core.evaluate(r.integers(0, 3000, n), r.random(n) < 0.5,
                          capacity_bps=10.0 ** r.uniform(4, 8, n),
                          quality_req=r.uniform(0, 100, n), n_threads=nt),
            core.evaluate(r.integers(0, 3000, n), r.random(n) < 0.5,
                          radio_delay_s=r.uniform(0, 2, n), n_threads=nt)]


WORKLOADS = {
    "sinr": w_sinr,
    "shannon_rate": w_shannon,
    "pf_allocate": w_pf_allocate,
    "step_channel": w_step_channel,
    "rayleigh_power": w_rayleigh,
    "run_full_buffer": w_full,
    "run_finite_buffer": w_finite,
    "evaluate": w_evaluate,
}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_results_identical_for_every_n_threads(name):
    work = WORKLOADS[name]
    want = work(5, 1)
    for nt in THREADS[1:] + [0]:
        assert_same(work(5, nt), want)


def test_finite_buffer_run_delivers_something():
    """Guards the workloads above against being vacuous."""
    res = w_finite(5, 0)
    assert 0 < np.sum(res.completion_tti >= 0) < len(res.completion_tti)


def test_concurrent_python_threads_match_serial_runs():
    names = sorted(WORKLOADS)
    # own inputs (distinct seeds) and shared inputs (seed 7), with mixed n_threads
    jobs = [(name, seed, nt) for name in names for seed in (7, 100 + len(name)) for nt in (1, 2)]
    serial = {job: WORKLOADS[job[0]](job[1], job[2]) for job in jobs}
    barrier = threading.Barrier(4)

    def run(job):
        return WORKLOADS[job[0]](job[1], job[2])

    def start(_):
        barrier.wait()  # make the first calls really overlap
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(start, range(4)))
        for _ in range(2):
            results = list(pool.map(run, jobs * 2))
            for job, res in zip(jobs * 2, results):
                assert_same(res, serial[job])


def test_shared_scheduler_under_threads_stays_consistent():
    """Steps from 4 threads are serialized: with the same input every step, the final state
    equals 200 serial steps and the allocations are those of the serial run, reordered."""
    gain, tx, noise, serving, bw = system(3, num_ue=30, num_cell=3, num_rb=16)
    active = np.ones(tx.shape, bool)
    rate = core.shannon_rate(core.sinr(gain, tx, active, noise, serving), bw)
    num_ue, num_cell = len(serving), tx.shape[0]
    steps_per_thread, n_workers = 50, 4

    serial = core.PFScheduler(num_ue, serving, num_cell)
    serial_allocs = sorted(serial.step(rate).tobytes()
                           for _ in range(steps_per_thread * n_workers))

    shared = core.PFScheduler(num_ue, serving, num_cell)
    barrier = threading.Barrier(n_workers)

    def worker(i):
        barrier.wait()
        out = []
        for t in range(steps_per_thread):
            if (i + t) % 2:
                alloc = shared.step(rate, n_threads=1 + i % 2)
            else:
                alloc = shared.step_channel(gain, tx, noise, bw, n_threads=1 + i % 2)
            avg = shared.avg_rate  # concurrent reads of the state
            assert np.all(np.isfinite(avg)) and np.all(avg > 0)
            assert np.all(np.isfinite(shared.last_rate))
            for j in range(num_cell):
                users = alloc[j][alloc[j] >= 0]
                assert np.all(serving[users] == j)
            assert np.all(alloc >= 0)  # full buffer, every cell has users
            out.append(alloc.tobytes())
        return out

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        allocs = [a for part in pool.map(worker, range(n_workers)) for a in part]
    assert sorted(allocs) == serial_allocs
    assert np.array_equal(shared.avg_rate, serial.avg_rate)
    assert np.array_equal(shared.last_rate, serial.last_rate)


@pytest.mark.parametrize("copier", ["pickle", "deepcopy", "copy"])
def test_pf_scheduler_round_trips_with_its_state(copier):
    gain, tx, noise, serving, bw = system(8, num_ue=12, num_cell=3, num_rb=6)
    r = np.random.default_rng(0)
    pf = core.PFScheduler(12, serving, 3, beta=0.9)
    for _ in range(7):
        pf.step_channel(gain * r.exponential(size=gain.shape), tx, noise, bw)
    clone = {
        "pickle": lambda p: pickle.loads(pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)),
        "deepcopy": copy.deepcopy,
        "copy": copy.copy,
    }[copier](pf)
    assert isinstance(clone, core.PFScheduler)
    assert (clone.num_ue, clone.num_cell, clone.beta) == (12, 3, 0.9)
    assert np.array_equal(clone.serving, serving)
    assert np.array_equal(clone.avg_rate, pf.avg_rate)
    assert np.array_equal(clone.last_rate, pf.last_rate)
    assert not np.array_equal(pf.avg_rate, np.ones(12))  # the state is not the initial one
    for _ in range(5):
        g = gain * r.exponential(size=gain.shape)
        eligible = r.random(12) < 0.8
        assert np.array_equal(clone.step_channel(g, tx, noise, bw, eligible=eligible),
                              pf.step_channel(g, tx, noise, bw, eligible=eligible))
        assert np.array_equal(clone.avg_rate, pf.avg_rate)
        assert np.array_equal(clone.last_rate, pf.last_rate)
    # the two are independent objects
    clone.reset()
    assert not np.array_equal(clone.avg_rate, pf.avg_rate)
