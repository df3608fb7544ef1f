"""NumPy twin of :mod:`genoff.core`: same functions, same signatures, same semantics.

(:func:`evaluate` takes the model and reward keywords of :func:`genoff.core.evaluate` as
``**params``, with the same names and the same defaults, :data:`genoff.defaults.EVALUATE_DEFAULTS`.)

It exists to check the compiled core (tests compare the two on generated inputs) and to
measure it (benchmarks put both in one group), so it is written as the fastest honest NumPy:
vectorized over users and RBs, einsum/matmul for the interference sums, in-place integer
arithmetic in cache-sized blocks for the fading generator. Python loops remain only where
the model is sequential (TTIs) or in one-off setup. It checks types and shapes lightly; the
core is the one that validates.
"""

from __future__ import annotations

import numpy as np

from genoff._results import Evaluation, FiniteBufferResult, FullBufferResult, finite_result
from genoff.defaults import EVALUATE_DEFAULTS, PF_BETA, TTI_S

# The kernels of genoff.core, by the same names.
__all__ = ["sinr", "shannon_rate", "pf_allocate", "PFScheduler", "rayleigh_power",
           "run_full_buffer", "run_finite_buffer", "evaluate"]

_LOG2E = 1.4426950408889634074  # 1 / ln 2, the same constant as the core
_MIN_AVG = np.finfo(np.float64).tiny  # floor of the PF average T
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(v) for v in (30, 27, 31, 11))
_BLOCK = 1 << 17  # fading draws per block: keeps the integer temporaries in cache


def _gain_array(gain) -> np.ndarray:
    g = np.asarray(gain)
    return g if g.dtype == np.float32 else np.asarray(g, dtype=np.float64)


def _per_rb(x, num_rb: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=np.float64).reshape(-1), (num_rb,))


def sinr(gain, tx_power_w, active, noise_w, serving, *, n_threads: int = 0) -> np.ndarray:
    """See :func:`genoff.core.sinr`. ``n_threads`` is accepted and ignored."""
    tx = np.asarray(tx_power_w, dtype=np.float64)
    serving = np.asarray(serving, dtype=np.int64)
    num_ue = serving.shape[0]
    num_rb = tx.shape[1]
    g = _gain_array(gain)
    noise = _per_rb(noise_w, num_rb)
    w = np.where(np.asarray(active, dtype=bool), tx, 0.0)  # [num_cell, num_rb]
    users = np.arange(num_ue)
    not_own = np.ones((num_ue, tx.shape[0]))  # [num_ue, num_cell]
    not_own[users, serving] = 0.0
    if g.shape[-1] == num_rb:
        # [num_ue, num_rb]: one pass over the gain tensor, own cell masked by an exact 0
        interf = np.einsum("kjq,jq,kj->kq", g, w, not_own)
        signal = tx[serving] * g[users, serving]
    else:
        g2 = g[..., 0].astype(np.float64)
        interf = (g2 * not_own) @ w
        signal = tx[serving] * g2[users, serving][:, None]
    return signal / (interf + noise)


def shannon_rate(sinr, bandwidth_hz, *, n_threads: int = 0) -> np.ndarray:
    """See :func:`genoff.core.shannon_rate`."""
    s = np.asarray(sinr, dtype=np.float64)
    bw = _per_rb(bandwidth_hz, s.shape[1])
    return bw * (np.log1p(s) * _LOG2E)


class _Cells:
    """Users of each cell in ascending order, padded to [num_cell, max_users] with -1."""

    def __init__(self, serving: np.ndarray, num_cell: int) -> None:
        num_ue = serving.shape[0]
        order = np.argsort(serving, kind="stable")
        counts = np.bincount(serving, minlength=num_cell)
        start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        width = int(counts.max()) if num_ue else 0
        self.index = np.full((num_cell, width), -1, dtype=np.int64)
        cell = serving[order]
        self.index[cell, np.arange(num_ue) - start[cell]] = order
        self.valid = self.index >= 0
        self.cells = np.arange(num_cell)[:, None]


def _allocate(rate, avg, cells: _Cells, eligible) -> np.ndarray:
    metric = rate / avg[:, None]  # [num_ue, num_rb]
    if eligible is not None:
        metric = np.where(np.asarray(eligible, dtype=bool)[:, None], metric, -np.inf)
    num_cell, width = cells.index.shape
    padded = np.full((num_cell, width, rate.shape[1]), -np.inf)
    padded[cells.valid] = metric[cells.index[cells.valid]]
    best = padded.argmax(axis=1) if width else np.zeros((num_cell, rate.shape[1]), np.int64)
    alloc = cells.index[cells.cells, best] if width else np.full(best.shape, -1, np.int64)
    if width:
        idle = np.take_along_axis(padded, best[:, None, :], axis=1)[:, 0, :] == -np.inf
        alloc[idle] = -1
    return alloc


def pf_allocate(rate, avg_rate, serving, num_cell, eligible=None, *, n_threads: int = 0):
    """See :func:`genoff.core.pf_allocate`."""
    serving = np.asarray(serving, dtype=np.int64)
    rate = np.asarray(rate, dtype=np.float64)
    avg = np.asarray(avg_rate, dtype=np.float64)
    return _allocate(rate, avg, _Cells(serving, int(num_cell)), eligible)


def _served(alloc: np.ndarray, rate: np.ndarray, num_ue: int) -> np.ndarray:
    """r_last: each user's rate summed over its RBs, in (cell, RB) order like the core."""
    cells, rbs = np.nonzero(alloc >= 0)
    users = alloc[cells, rbs]
    return np.bincount(users, weights=rate[users, rbs], minlength=num_ue).astype(np.float64)


class PFScheduler:
    """See :class:`genoff.core.PFScheduler`."""

    def __init__(self, num_ue: int, serving, num_cell: int, beta: float = PF_BETA) -> None:
        self.num_ue = int(num_ue)
        self.num_cell = int(num_cell)
        self.beta = float(beta)
        self.serving = np.asarray(serving, dtype=np.int64)
        self._cells = _Cells(self.serving, self.num_cell)
        self.reset()

    def reset(self) -> None:
        self.avg_rate = np.ones(self.num_ue)
        self.last_rate = np.zeros(self.num_ue)

    def set_state(self, avg_rate, last_rate) -> None:
        self.avg_rate = np.array(avg_rate, dtype=np.float64)
        self.last_rate = np.array(last_rate, dtype=np.float64)

    def step(self, rate, eligible=None, *, n_threads: int = 0) -> np.ndarray:
        rate = np.asarray(rate, dtype=np.float64)
        avg = self.beta * self.avg_rate + (1.0 - self.beta) * self.last_rate
        self.avg_rate = np.maximum(avg, _MIN_AVG)
        alloc = _allocate(rate, self.avg_rate, self._cells, eligible)
        self.last_rate = _served(alloc, rate, self.num_ue)
        return alloc

    def step_channel(
        self, gain, tx_power_w, noise_w, bandwidth_hz, *, active=None, eligible=None, n_threads=0
    ) -> np.ndarray:
        tx = np.asarray(tx_power_w, dtype=np.float64)
        if active is None:
            active = np.ones(tx.shape, dtype=bool)
        rate = shannon_rate(sinr(gain, tx, active, noise_w, self.serving), bandwidth_hz)
        return self.step(rate, eligible)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer, in place on a uint64 array."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def _key(seed: int) -> np.ndarray:
    return _mix64(np.array([seed], dtype=np.uint64))


_F32 = np.float32
# musl's logf constants (the core's rng.hpp), as float32.
_LN2_HI, _LN2_LO = _F32(6.9313812256e-01), _F32(9.0580006145e-06)
_LG = [_F32(v) for v in (6.6666668653e-01, 4.0000000596e-01, 2.8571429849e-01,
                         2.2222198546e-01, 1.8183572590e-01, 1.5313838422e-01, 1.4798198640e-01)]
_DRAW_LIMIT = 2**63  # fading draw indices must fit in int64 (the core's counter)


def _exp1_words(w: np.ndarray) -> np.ndarray:
    """-log(u), u = ((w >> 8) + 1) * 2^-24, in float32 with the core's exact operation order."""
    lg1, lg2, lg3, lg4, lg5, lg6, lg7 = _LG
    u = ((w >> np.uint32(8)) + np.uint32(1)).astype(np.float32)
    u *= _F32(2.0**-24)
    ix = u.view(np.uint32)
    ix += np.uint32(0x3F800000 - 0x3F3504F3)
    dk = ((ix >> np.uint32(23)).astype(np.int32) - np.int32(0x7F)).astype(np.float32)
    ix &= np.uint32(0x007FFFFF)
    ix += np.uint32(0x3F3504F3)
    f = ix.view(np.float32)
    f -= _F32(1.0)
    hfsq = _F32(0.5) * f
    hfsq *= f
    s = f / (_F32(2.0) + f)
    z = s * s
    ww = z * z
    t1 = ww * (lg2 + ww * (lg4 + ww * lg6))
    t2 = z * (lg1 + ww * (lg3 + ww * (lg5 + ww * lg7)))
    r = t2 + t1
    log_u = s * (hfsq + r)
    log_u += dk * _LN2_LO
    log_u -= hfsq
    log_u += f
    log_u += dk * _LN2_HI
    return np.subtract(_F32(0.0), log_u)


def _exp1(key: np.ndarray, first: int, out: np.ndarray) -> None:
    """out[i] = Exp(1) draw first + i of the stream ``key`` (the core's rng.hpp, bit for bit).

    Draw n is 32-bit word n (low word first) of SplitMix64's outputs z_m = mix64(key + (m + 1)
    * golden), transformed to -log(u) in float32.
    """
    flat = out.reshape(-1)
    if first + flat.size >= _DRAW_LIMIT:
        raise ValueError("first_tti is so large that the fading draw index overflows 64 bits")
    for b in range(0, flat.size, _BLOCK):
        n = min(_BLOCK, flat.size - b)
        start = first + b
        m0, off = start >> 1, start & 1
        z = np.arange(m0 + 1, m0 + 1 + (off + n + 1) // 2, dtype=np.uint64)
        z *= _GOLDEN
        z += key
        _mix64(z)
        words = z.astype("<u8", copy=False).view("<u4")[off : off + n]
        flat[b : b + n] = _exp1_words(words)


def rayleigh_power(
    num_tti, num_ue, num_cell, num_rb, *, seed, first_tti=0, n_threads=0
) -> np.ndarray:
    """See :func:`genoff.core.rayleigh_power`."""
    per_tti = num_ue * num_cell * num_rb
    if per_tti and num_tti and (first_tti + num_tti) * per_tti >= _DRAW_LIMIT:
        raise ValueError("first_tti is so large that the fading draw index overflows 64 bits")
    out = np.empty((num_tti, num_ue, num_cell, num_rb))
    _exp1(_key(seed), first_tti * per_tti, out)
    return out


class _RunChannel:
    """Per-TTI channel of a downlink run: gains (static, per TTI, and/or faded) -> rates."""

    def __init__(self, gain, tx_power_w, noise_w, serving, bandwidth_hz, fading, seed, background):
        self.gain = _gain_array(gain)
        self.tx = np.asarray(tx_power_w, dtype=np.float64)
        self.num_cell, self.num_rb = self.tx.shape
        self.serving = np.asarray(serving, dtype=np.int64)
        self.num_ue = self.serving.shape[0]
        self.noise = _per_rb(noise_w, self.num_rb)
        self.bw = _per_rb(bandwidth_hz, self.num_rb)
        self.rayleigh = fading == "rayleigh"
        self.key = _key(seed)
        bg = np.zeros((self.num_cell, self.num_rb), dtype=bool)
        if background is not None:
            b = np.asarray(background, dtype=bool)
            bg |= b[:, None] if b.ndim == 1 else b
        self.background = bg
        self.has_users = np.bincount(self.serving, minlength=self.num_cell) > 0
        self.fade = np.empty((self.num_ue, self.num_cell, self.num_rb)) if self.rayleigh else None

    @property
    def static(self) -> bool:
        return not self.rayleigh and self.gain.ndim == 3

    def rates(self, t: int, busy_cells: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """Rates of TTI t [num_ue, num_rb]; with `users` (a bool mask) only their rows, like the
        core (the other rows are 0 and their fading is not drawn)."""
        g = self.gain[t] if self.gain.ndim == 4 else self.gain
        if users is not None:
            idx = np.flatnonzero(users)
            out = np.zeros((self.num_ue, self.num_rb))
            if idx.size == 0:
                return out
            g = g[idx]
            if self.rayleigh:
                row = self.num_cell * self.num_rb
                base = t * self.num_ue * row
                fade = np.empty((idx.size, self.num_cell, self.num_rb))
                for i, k in enumerate(idx):
                    _exp1(self.key, base + int(k) * row, fade[i])
                g = g * fade
            active = self.background | busy_cells[:, None]
            out[idx] = shannon_rate(sinr(g, self.tx, active, self.noise, self.serving[idx]), self.bw)
            return out
        if self.rayleigh:
            _exp1(self.key, t * self.num_ue * self.num_cell * self.num_rb, self.fade)
            g = g * self.fade  # [num_ue, num_cell, num_rb]
        active = self.background | busy_cells[:, None]
        return shannon_rate(sinr(g, self.tx, active, self.noise, self.serving), self.bw)


def run_full_buffer(gain, tx_power_w, noise_w, serving, bandwidth_hz, *, num_tti=None,
                    fading=None, seed=0, beta=PF_BETA, background=None, n_threads=0) -> FullBufferResult:
    """See :func:`genoff.core.run_full_buffer`."""
    run = _RunChannel(gain, tx_power_w, noise_w, serving, bandwidth_hz, fading, seed, background)
    num_tti = int(run.gain.shape[0]) if num_tti is None else int(num_tti)
    pf = PFScheduler(run.num_ue, run.serving, run.num_cell, beta)
    sum_rate = np.zeros(run.num_ue)
    rb_count = np.zeros(run.num_ue, dtype=np.int64)
    rate = None
    for t in range(num_tti):
        if rate is None or not run.static:
            rate = run.rates(t, run.has_users)
        alloc = pf.step(rate)
        sum_rate += pf.last_rate
        rb_count += np.bincount(alloc[alloc >= 0], minlength=run.num_ue)
    return FullBufferResult(
        throughput_bps=sum_rate / num_tti,
        avg_rate_bps=pf.avg_rate,
        rb_share=rb_count / (num_tti * run.num_rb),
        num_tti=num_tti,
    )


def run_finite_buffer(gain, tx_power_w, noise_w, serving, bandwidth_hz, *, request_ue, request_tti,
                      request_bytes, num_tti=None, fading=None, seed=0, beta=PF_BETA, background=None,
                      tti_s=TTI_S, n_threads=0) -> FiniteBufferResult:
    """See :func:`genoff.core.run_finite_buffer`."""
    run = _RunChannel(gain, tx_power_w, noise_w, serving, bandwidth_hz, fading, seed, background)
    num_tti = int(run.gain.shape[0]) if num_tti is None else int(num_tti)
    ue = np.asarray(request_ue, dtype=np.int64)
    arrival = np.asarray(request_tti, dtype=np.int64)
    bits = np.asarray(request_bytes, dtype=np.float64) * 8.0
    num_req = ue.shape[0]
    # FIFO order per user (by arrival, then index) and each user's cumulative bits.
    order = np.lexsort((np.arange(num_req), arrival, ue))
    ue_f, arrival_f = ue[order], arrival[order]
    first = np.concatenate(([0], np.cumsum(np.bincount(ue, minlength=run.num_ue))))
    end_bits = np.empty(num_req)
    for k in np.flatnonzero(np.diff(first)):
        end_bits[first[k] : first[k + 1]] = np.cumsum(bits[order[first[k] : first[k + 1]]])
    by_time = np.argsort(arrival_f, kind="stable")
    arrival_sorted = arrival_f[by_time]
    last_arrived = np.full(run.num_ue, -1, dtype=np.int64)  # FIFO position of the newest arrival
    arrived = np.zeros(run.num_ue)
    delivered = np.zeros(run.num_ue)
    done_f = np.full(num_req, -1, dtype=np.int64)  # completion TTI, FIFO order
    pf = PFScheduler(run.num_ue, run.serving, run.num_cell, beta)
    t = 0
    num_done = 0
    while t < num_tti and num_done < num_req:
        lo, hi = np.searchsorted(arrival_sorted, [t, t + 1], side="left")
        if hi > lo:
            pos = by_time[lo:hi]
            np.maximum.at(last_arrived, ue_f[pos], pos)
            has = last_arrived >= 0
            arrived[has] = end_bits[last_arrived[has]]
        eligible = arrived - delivered > 0.0
        busy = np.bincount(run.serving[eligible], minlength=run.num_cell) > 0
        rate = run.rates(t, busy, eligible)
        pf.step(rate, eligible)
        last = pf.last_rate
        buffered = arrived - delivered
        capacity = last * tti_s
        emptied = eligible & (capacity >= buffered)
        delivered = np.where(emptied, arrived, np.where(eligible, delivered + capacity, delivered))
        pf.last_rate = np.where(emptied, buffered / tti_s, last)
        pending = (done_f < 0) & (np.arange(num_req) <= last_arrived[ue_f])
        now = pending & eligible[ue_f] & (end_bits <= delivered[ue_f])
        done_f[now] = t
        num_done += int(now.sum())
        t += 1
    done = np.empty(num_req, dtype=np.int64)
    done[order] = done_f
    out = {
        "completion_tti": done,
        "throughput_bps": delivered / (num_tti * tti_s) if num_tti > 0 else np.zeros(run.num_ue),
        "avg_rate_bps": pf.avg_rate,
        "num_tti_run": t,
    }
    return finite_result(out, request_tti, tti_s)


def _vector(x) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def evaluate(n_tokens, offload, *, capacity_bps=None, radio_delay_s=None, n_threads=0,
             **params) -> Evaluation:
    """See :func:`genoff.core.evaluate`; ``params`` are its keywords ``quality_req`` to
    ``penalty``, defaulting to :data:`genoff.defaults.EVALUATE_DEFAULTS`."""
    unknown = sorted(set(params) - set(EVALUATE_DEFAULTS))
    if unknown:
        raise TypeError(f"evaluate() got unexpected keyword arguments {unknown}")
    param = {name: _vector(value) for name, value in {**EVALUATE_DEFAULTS, **params}.items()}
    tokens = _vector(n_tokens)
    cloud = np.atleast_1d(np.asarray(offload, dtype=bool))
    if capacity_bps is not None:
        radio = tokens * param["bytes_per_token"] * 8.0 / _vector(capacity_bps)
    else:
        radio = _vector(radio_delay_s)
    t_tran = radio + np.where(cloud, param["t_back_s"], 0.0)
    t_gen = np.where(
        cloud,
        param["ttft_cloud_s"] + tokens * param["tpot_cloud_s"],
        param["ttft_edge_s"] + tokens * param["tpot_edge_s"],
    )
    t_total = t_tran + t_gen
    violated = param["quality_req"] > np.where(cloud, param["quality_cloud"], param["quality_edge"])
    reward = param["target_s"] - t_total - np.where(violated, param["penalty"], 0.0)
    num_req = max(a.size for a in (t_tran, t_gen, reward))
    fields = (t_tran, t_gen, t_total, violated, reward)
    return Evaluation(*(np.broadcast_to(field, (num_req,)).copy() for field in fields))
