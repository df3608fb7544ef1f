"""The compiled network core: SINR, Shannon rate, PF scheduling, multi-TTI runs, evaluation.

Everything here runs in C++ (``genoff._core``) with the GIL released; this module adds the
documentation, result types and argument handling. Conventions (README, "Use the core"):

* arrays are NumPy arrays (lists are converted); outputs are new arrays;
* units are SI: W, Hz, s, bit/s; gains are linear power gains;
* ``gain`` may be float32 or float64 (float32 halves the memory traffic; the arithmetic is
  float64 either way); every other float input is float64;
* ``gain``'s last axis is ``num_rb`` or 1 (the same gain on every RB);
* ``n_threads=0`` lets the core choose: all threads for work worth splitting, the calling
  thread alone for kernels under about a millisecond (see the README, "Threads"); results
  are bit-identical for every ``n_threads``;
* bad input raises ``ValueError`` (wrong shape or value) or ``TypeError`` (not numeric)
  naming the argument.

Shapes:

==============  ==============================  =======================================
name            shape                           meaning
==============  ==============================  =======================================
gain            [num_ue, num_cell, num_rb]      linear power gain cell -> user per RB
tx_power_w      [num_cell, num_rb]              transmit power per RB (W)
active          [num_cell, num_rb] bool         RB in use this TTI (only those interfere)
noise_w         [num_rb] or scalar              noise power per RB (W)
serving         [num_ue] int                    serving cell of each user
bandwidth_hz    [num_rb] or scalar              RB bandwidth (Hz)
==============  ==============================  =======================================

Fast fading inside runs (``fading="rayleigh"``) is drawn from a counter-based generator:
the Exp(1) power of (TTI t, user k, cell j, RB q) is draw number
``n = ((t * num_ue + k) * num_cell + j) * num_rb + q``, the n-th 32-bit word of SplitMix64's
outputs seeded with ``mix64(seed)``, turned into ``-log(u)`` in float32 (u has 24 random
bits; values lie in [0, 16.64]) and widened to float64. Results do not depend on the thread
count, :func:`rayleigh_power` returns the very numbers a run used, and
``genoff._reference`` computes them bit for bit. Fading may also be passed in: a 4-D
``gain`` holds one tensor per TTI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genoff import _core
from genoff._results import Evaluation, FiniteBufferResult, FullBufferResult, finite_result
from genoff._util import validate
from genoff.defaults import (
    BYTES_PER_TOKEN,
    EVALUATE_DEFAULTS,
    PENALTY,
    PF_BETA,
    QUALITY_CLOUD,
    QUALITY_EDGE,
    T_BACK_S,
    TARGET_S,
    TPOT_CLOUD_S,
    TPOT_EDGE_S,
    TTFT_CLOUD_S,
    TTFT_EDGE_S,
    TTI_S,
)

__all__ = [
    "has_openmp",
    "max_threads",
    "sinr",
    "shannon_rate",
    "pf_allocate",
    "PFScheduler",
    "rayleigh_power",
    "run_full_buffer",
    "run_finite_buffer",
    "FullBufferResult",
    "FiniteBufferResult",
    "evaluate",
    "Evaluation",
    "get_include",
    "get_library_dir",
]

#: True when the core was built with threads (OpenMP found at build time; ``n_threads`` then
#: has an effect: the core runs it on its own thread pool).
has_openmp: bool = bool(_core.has_openmp)

_FADING = {None: False, "none": False, "rayleigh": True}


def max_threads() -> int:
    """Most threads a call with ``n_threads=0`` uses (kernels under ~1 ms use one)."""
    return int(_core.max_threads())


def _threads(n_threads: Any) -> int:
    return validate.index("n_threads", n_threads)


def _fading(fading: str | None) -> bool:
    if not (fading is None or (isinstance(fading, str) and fading in _FADING)):
        raise ValueError(f"fading must be None, 'none' or 'rayleigh', got {fading!r}")
    return _FADING[fading]


def _run_options(num_tti: Any, min_tti: int, fading: str | None, seed: Any, beta: Any,
                 background: Any, n_threads: Any) -> dict[str, Any]:
    """The keyword arguments both downlink runs pass to the core, checked (the core checks
    the arrays, ``seed`` and the range of ``beta``)."""
    rayleigh = _fading(fading)
    if num_tti is not None:
        num_tti = validate.index("num_tti", num_tti, ge=min_tti)
    return {
        "num_tti": num_tti,
        "rayleigh": rayleigh,
        "seed": seed,
        "beta": validate.real("beta", beta, finite=False),
        "background": background,
        "n_threads": _threads(n_threads),
    }


def sinr(gain, tx_power_w, active, noise_w, serving, *, n_threads: int = 0) -> np.ndarray:
    """SINR of every user on every RB (paper eq. 2).

    ``sinr[k,q] = p[s,q] g[k,s,q] / (sum_{j != s, active[j,q]} p[j,q] g[k,j,q] + noise[q])``
    with ``s = serving[k]``. OFDMA: no intra-cell interference. Gains of a cell with no
    active RB are not read (it cannot interfere), so they are not validated either.

    Args:
        gain: float32 or float64 [num_ue, num_cell, num_rb] (or [num_ue, num_cell, 1], the
            same gain on every RB), linear power gain cell -> user, finite >= 0.
        tx_power_w: float64 [num_cell, num_rb], transmit power per RB in W, finite >= 0.
        active: bool [num_cell, num_rb], RBs in use this TTI (only those interfere).
        noise_w: float64 [num_rb] or scalar, noise power per RB in W, finite > 0.
        serving: int [num_ue], serving cell of each user in [0, num_cell).
        n_threads: int >= 0, threads (0 = the core's choice, see the module docstring).

    Returns:
        float64 [num_ue, num_rb], linear SINR.

    Raises:
        ValueError: a wrong shape or value, naming the argument. TypeError: not numeric.
    """
    return _core.sinr(gain, tx_power_w, active, noise_w, serving, n_threads=_threads(n_threads))


def shannon_rate(sinr, bandwidth_hz, *, n_threads: int = 0) -> np.ndarray:
    """Shannon rate ``rate[k,q] = b[q] * log2(1 + sinr[k,q])`` (paper eq. 2).

    Computed through ``log1p``, so it stays accurate for small SINR.

    Args:
        sinr: float64 [num_ue, num_rb], linear SINR, finite >= 0.
        bandwidth_hz: float64 [num_rb] or scalar, RB bandwidth in Hz, finite > 0 (like a
            scenario's); a bandwidth so large that a rate overflows to inf is refused too.
        n_threads: int >= 0, threads (0 = the core's choice).

    Returns:
        float64 [num_ue, num_rb], rate in bit/s.
    """
    return _core.shannon_rate(sinr, bandwidth_hz, n_threads=_threads(n_threads))


def pf_allocate(rate, avg_rate, serving, num_cell: int, eligible=None, *, n_threads: int = 0):
    """PF allocation of one TTI without state (step 2 of :class:`PFScheduler`).

    ``alloc[j,q] = argmax_{k: serving[k]=j, eligible[k]} rate[k,q] / avg_rate[k]``, ties to
    the lowest user index, ``-1`` where no user of cell ``j`` is eligible.

    Args:
        rate: float64 [num_ue, num_rb], achievable rate in bit/s, finite >= 0.
        avg_rate: float64 [num_ue], PF average throughput T in bit/s, finite > 0.
        serving: int [num_ue], serving cell of each user in [0, num_cell).
        num_cell: int >= 1, number of cells.
        eligible: bool [num_ue], users with data to send; None means everyone.
        n_threads: int >= 0, threads (0 = the core's choice).

    Returns:
        int64 [num_cell, num_rb], the user given each RB (``-1``: idle).
    """
    num_cell = validate.index("num_cell", num_cell, ge=1)
    return _core.pf_allocate(rate, avg_rate, serving, num_cell, eligible, n_threads=_threads(n_threads))


class PFScheduler:
    """Proportional-fair scheduler with state, one allocation per TTI and cell.

    Each :meth:`step` performs three steps (Sionna's ``PFSchedulerSUMIMO`` semantics; the
    README's "Use the core"):

    1. ``T[k] <- beta T[k] + (1 - beta) r_last[k]`` (``T`` starts at 1.0);
    2. ``alloc[j,q] = argmax_{k in cell j, eligible} rate[k,q] / T[k]`` (ties to the lowest
       user index, ``-1`` when nobody in the cell is eligible);
    3. ``r_last[k] = sum of rate[k,q] over the RBs user k got``.

    ``T`` is floored at the smallest normal double so that a never-served user keeps a finite
    metric. One scheduler may be shared by Python threads (calls are serialized). It pickles
    (state included), so simulations can be checkpointed.

    Args:
        num_ue: int >= 0, number of users.
        serving: int [num_ue], serving cell of each user, in ``[0, num_cell)``.
        num_cell: int >= 1, number of cells.
        beta: float in (0, 1), forgetting factor; 0.98 is a 50-TTI window.
    """

    def __init__(self, num_ue: int, serving, num_cell: int, beta: float = PF_BETA) -> None:
        num_ue = validate.index("num_ue", num_ue)
        num_cell = validate.index("num_cell", num_cell, ge=1)
        self._pf = _core.PFScheduler(num_ue, serving, num_cell, validate.real("beta", beta, finite=False))

    def step(self, rate, eligible=None, *, n_threads: int = 0) -> np.ndarray:
        """One TTI (steps 1-3) from achievable rates.

        Args:
            rate: float64 [num_ue, num_rb], achievable rate in bit/s, finite >= 0.
            eligible: bool [num_ue], users with data to send; None means everyone.
            n_threads: int >= 0, threads (0 = the core's choice).

        Returns:
            int64 [num_cell, num_rb], the allocation (``-1``: idle RB).
        """
        return self._pf.step(rate, eligible, n_threads=_threads(n_threads))

    def step_channel(
        self,
        gain,
        tx_power_w,
        noise_w,
        bandwidth_hz,
        *,
        active=None,
        eligible=None,
        n_threads: int = 0,
    ) -> np.ndarray:
        """One TTI from the channel: SINR, Shannon rate and the three PF steps, fused.

        Equivalent to ``step(shannon_rate(sinr(gain, tx_power_w, active, noise_w, serving),
        bandwidth_hz), eligible)`` but reads ``gain`` once and builds no intermediate arrays.

        Args:
            gain: float32 or float64 [num_ue, num_cell, num_rb or 1], linear power gain.
            tx_power_w: float64 [num_cell, num_rb], transmit power per RB in W.
            noise_w: float64 [num_rb] or scalar, noise power per RB in W, > 0.
            bandwidth_hz: float64 [num_rb] or scalar, RB bandwidth in Hz, > 0.
            active: bool [num_cell, num_rb], RBs that interfere; None = every RB in use.
            eligible: bool [num_ue], users with data to send; None means everyone.
            n_threads: int >= 0, threads (0 = the core's choice).

        Returns:
            int64 [num_cell, num_rb], the allocation (``-1``: idle RB).
        """
        return self._pf.step_channel(
            gain,
            tx_power_w,
            noise_w,
            bandwidth_hz,
            active=active,
            eligible=eligible,
            n_threads=_threads(n_threads),
        )

    def reset(self) -> None:
        """Back to ``T = 1``, ``r_last = 0``."""
        self._pf.reset()

    @property
    def avg_rate(self) -> np.ndarray:
        """PF average throughput ``T`` [num_ue] (bit/s) used by the latest step (a copy)."""
        return self._pf.avg_rate

    @property
    def last_rate(self) -> np.ndarray:
        """Rate each user was served in the latest step, ``r_last`` [num_ue] (bit/s)."""
        return self._pf.last_rate

    @property
    def num_ue(self) -> int:
        return int(self._pf.num_ue)

    @property
    def num_cell(self) -> int:
        return int(self._pf.num_cell)

    @property
    def beta(self) -> float:
        return float(self._pf.beta)

    @property
    def serving(self) -> np.ndarray:
        return self._pf.serving

    def set_state(self, avg_rate, last_rate) -> None:
        """Restore a saved state (checkpointing).

        Args:
            avg_rate: float64 [num_ue], PF average ``T`` in bit/s, finite > 0.
            last_rate: float64 [num_ue], ``r_last`` in bit/s, finite >= 0.
        """
        self._pf.set_state(avg_rate, last_rate)

    def __getstate__(self) -> dict:
        return {
            "num_ue": self.num_ue,
            "serving": self.serving,
            "num_cell": self.num_cell,
            "beta": self.beta,
            "avg_rate": self.avg_rate,
            "last_rate": self.last_rate,
        }

    def __setstate__(self, state: dict) -> None:
        keys = ("num_ue", "serving", "num_cell", "beta", "avg_rate", "last_rate")
        if not isinstance(state, dict) or any(k not in state for k in keys):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"PFScheduler state must be a dict with keys {list(keys)}, got {got}")
        self.__init__(state["num_ue"], state["serving"], state["num_cell"], state["beta"])
        self.set_state(state["avg_rate"], state["last_rate"])

    def __repr__(self) -> str:
        return f"PFScheduler(num_ue={self.num_ue}, num_cell={self.num_cell}, beta={self.beta})"


def rayleigh_power(
    num_tti: int,
    num_ue: int,
    num_cell: int,
    num_rb: int,
    *,
    seed: int,
    first_tti: int = 0,
    n_threads: int = 0,
) -> np.ndarray:
    """The Exp(1) fading powers ``|h|^2`` that runs with ``fading="rayleigh"`` draw.

    Exactly the factors a run with the same seed and dimensions multiplies its gains by, for
    TTIs ``first_tti .. first_tti + num_tti - 1`` (the generator is in the module docstring).

    Args:
        num_tti, num_ue, num_cell, num_rb: ints >= 0, the dimensions.
        seed: int in [0, 2**64), the fading seed of the run.
        first_tti: int >= 0, the first TTI; ``(first_tti + num_tti) * num_ue * num_cell *
            num_rb`` must stay below 2**63 (the draw counter), else ValueError.
        n_threads: int >= 0, threads (0 = the core's choice).

    Returns:
        float64 [num_tti, num_ue, num_cell, num_rb], dimensionless powers in [0, 16.64].
    """
    return _core.rayleigh_power(
        validate.index("num_tti", num_tti),
        validate.index("num_ue", num_ue),
        validate.index("num_cell", num_cell),
        validate.index("num_rb", num_rb),
        seed=seed,
        first_tti=validate.index("first_tti", first_tti),
        n_threads=_threads(n_threads),
    )


def run_full_buffer(
    gain,
    tx_power_w,
    noise_w,
    serving,
    bandwidth_hz,
    *,
    num_tti: int | None = None,
    fading: str | None = None,
    seed: int = 0,
    beta: float = PF_BETA,
    background=None,
    n_threads: int = 0,
) -> FullBufferResult:
    """Full-buffer downlink under PF for ``num_tti`` TTIs, all in C++.

    Every user always has data; every cell that serves a user transmits on all its RBs, and
    so does every cell marked in ``background``. Each TTI computes SINR (eq. 2), the Shannon
    rate and the three PF steps of :class:`PFScheduler`.

    Args:
        gain: float32 or float64 [num_ue, num_cell, num_rb or 1] static linear power gain,
            or [num_tti, num_ue, num_cell, num_rb or 1] one tensor per TTI (num_tti >= 1).
        tx_power_w: float64 [num_cell, num_rb], transmit power per RB in W.
        noise_w: float64 [num_rb] or scalar, noise power per RB in W, > 0.
        serving: int [num_ue], serving cell of each user.
        bandwidth_hz: float64 [num_rb] or scalar, RB bandwidth in Hz, > 0.
        num_tti: TTIs to simulate (>= 1); defaults to the TTI axis of a 4-D gain.
        fading: None / "none" (gains as given) or "rayleigh" (gains times Exp(1) powers drawn
            per user, cell, RB and TTI from ``seed``, see :func:`rayleigh_power`).
        seed: fading seed, an integer in [0, 2**64).
        beta: PF forgetting factor in (0, 1).
        background: [num_cell] or [num_cell, num_rb] bool: RBs that are always in use by
            traffic the run does not model (e.g. loaded neighbour cells), so they interfere.
        n_threads: int >= 0, threads (0 = the core's choice).

    Returns:
        :class:`FullBufferResult`: ``throughput_bps`` [num_ue] (the paper's C in eq. 1),
        ``avg_rate_bps`` [num_ue] and ``rb_share`` [num_ue].
    """
    options = _run_options(num_tti, 1, fading, seed, beta, background, n_threads)
    out = _core.run_full_buffer(gain, tx_power_w, noise_w, serving, bandwidth_hz, **options)
    num_tti = options["num_tti"] if options["num_tti"] is not None else int(np.shape(gain)[0])
    return FullBufferResult(out["throughput_bps"], out["avg_rate_bps"], out["rb_share"], num_tti)


def run_finite_buffer(
    gain,
    tx_power_w,
    noise_w,
    serving,
    bandwidth_hz,
    *,
    request_ue,
    request_tti,
    request_bytes,
    num_tti: int | None = None,
    fading: str | None = None,
    seed: int = 0,
    beta: float = PF_BETA,
    background=None,
    tti_s: float = TTI_S,
    n_threads: int = 0,
) -> FiniteBufferResult:
    """Finite-buffer downlink under PF: when is each request's content delivered?

    Request ``i`` puts ``request_bytes[i]`` bytes into the buffer of user ``request_ue[i]``
    at TTI ``request_tti[i]``; each user's requests drain first-in first-out (by arrival TTI,
    then index). Each TTI, only users with buffered data are scheduled (PF over them), a cell
    with none of them is idle and does not interfere (unless marked in ``background``), and a
    user given capacity ``C * tti_s`` delivers ``min(buffer, C * tti_s)`` bits. PF averages
    the rate actually delivered. The run stops when every request is delivered or after
    ``num_tti`` TTIs.

    Args:
        gain, tx_power_w, noise_w, serving, bandwidth_hz, fading, seed, beta, background,
            n_threads: as in :func:`run_full_buffer`.
        request_ue: [num_req] int, the user of each request.
        request_tti: [num_req] int >= 0, the TTI its bytes enter the buffer.
        request_bytes: [num_req] float > 0, its content size in bytes.
        num_tti: TTI horizon; defaults to the TTI axis of a 4-D gain.
        tti_s: TTI duration in seconds, finite > 0.

    Returns:
        :class:`FiniteBufferResult`: per request the completion TTI (``-1``: not delivered
        within the horizon) and delay in s; per user throughput and PF average in bit/s.
    """
    options = _run_options(num_tti, 0, fading, seed, beta, background, n_threads)
    tti_s = validate.real("tti_s", tti_s, finite=False)
    out = _core.run_finite_buffer(
        gain,
        tx_power_w,
        noise_w,
        serving,
        bandwidth_hz,
        request_ue=request_ue,
        request_tti=request_tti,
        request_bytes=request_bytes,
        tti_s=tti_s,
        **options,
    )
    return finite_result(out, request_tti, tti_s)


def evaluate(
    n_tokens,
    offload,
    *,
    capacity_bps=None,
    radio_delay_s=None,
    quality_req=EVALUATE_DEFAULTS["quality_req"],
    bytes_per_token=BYTES_PER_TOKEN,
    t_back_s=T_BACK_S,
    ttft_edge_s=TTFT_EDGE_S,
    tpot_edge_s=TPOT_EDGE_S,
    ttft_cloud_s=TTFT_CLOUD_S,
    tpot_cloud_s=TPOT_CLOUD_S,
    quality_edge=QUALITY_EDGE,
    quality_cloud=QUALITY_CLOUD,
    target_s=TARGET_S,
    penalty=PENALTY,
    n_threads: int = 0,
) -> Evaluation:
    """Delay and reward of offloading decisions, vectorized (paper eq. 1, 3, 4, 4e, 10).

    Every argument is a scalar or a [num_req] array. Give exactly one radio term:
    ``capacity_bps`` (``analytic`` mode: the radio delay is
    ``n_tokens * bytes_per_token * 8 / capacity_bps``) or ``radio_delay_s`` (``tti`` mode: a
    measured delivery time, e.g. :attr:`FiniteBufferResult.delay_s`).

    Defaults are the README's (the paper's Sec. IV, kept in :mod:`genoff.defaults`):
    Llama3-8B at the edge (TTFT 0.23 s, TPOT 1/75 s, MMLU 68.4), GPT-4o in the cloud (0.42 s,
    1/32 s, 88.7), 4 bytes per token, 0.1 s backhaul, 40 s target and a penalty of 30.

    Args (each a scalar or a float64 [num_req] array unless stated):
        n_tokens: output tokens of each request, finite >= 0.
        offload: bool [num_req] or scalar, True = cloud (alpha = 1), False = edge.
        capacity_bps: radio capacity C of eq. (1) in bit/s, finite > 0 (analytic mode).
        radio_delay_s: measured radio delivery time in s, finite >= 0 (tti mode).
        quality_req: quality requirement tau of eq. (4e) (same scale as the models').
        bytes_per_token: bytes per output token, finite >= 0.
        t_back_s: backhaul delay in s, paid when offloaded, finite >= 0.
        ttft_edge_s, tpot_edge_s, ttft_cloud_s, tpot_cloud_s: time to first token and per
            output token of each model in s (eq. 4c, 4d), finite >= 0.
        quality_edge, quality_cloud: the models' quality indices (eq. 4e), finite.
        target_s: T_target of eq. (10) in s, finite.
        penalty: penalty of a violated (4e) in eq. (10), finite >= 0.
        n_threads: int >= 0, threads (0 = the core's choice).

    Returns:
        :class:`Evaluation` with float64 [num_req] ``t_tran``, ``t_gen``, ``t_total`` (s),
        bool ``violated`` and float64 ``reward``. Inputs whose delays overflow to inf raise
        ValueError.
    """
    out = _core.evaluate(
        n_tokens,
        offload,
        capacity_bps=capacity_bps,
        radio_delay_s=radio_delay_s,
        quality_req=quality_req,
        bytes_per_token=bytes_per_token,
        t_back_s=t_back_s,
        ttft_edge_s=ttft_edge_s,
        tpot_edge_s=tpot_edge_s,
        ttft_cloud_s=ttft_cloud_s,
        tpot_cloud_s=tpot_cloud_s,
        quality_edge=quality_edge,
        quality_cloud=quality_cloud,
        target_s=target_s,
        penalty=penalty,
        n_threads=_threads(n_threads),
    )
    return Evaluation(**out)


def get_include() -> str:
    """Folder holding the core's C++ headers (``#include "genoff/downlink.hpp"``).

    C++ simulators compile with ``-I{get_include()}`` and link
    ``{get_library_dir()}/libgenoff_core.a`` (plus ``-fopenmp`` when :data:`has_openmp`, and ``-pthread``).
    """
    return str(_installed("include", Path("genoff") / "downlink.hpp", "C++ headers"))


def get_library_dir() -> str:
    """Folder holding ``libgenoff_core.a``, the compiled core for C++ consumers."""
    return str(_installed("lib", Path("libgenoff_core.a"), "C++ library"))


def _installed(folder: str, probe: Path, what: str) -> Path:
    # Installed beside the compiled module; in an editable install that is the build's
    # site-packages folder, not this file's.
    places = [Path(_core.__file__).resolve().parent / folder, Path(__file__).resolve().parent / folder]
    for path in places:
        if (path / probe).is_file():
            return path
    raise FileNotFoundError(f"genoff's {what} are not installed at {places[0]}")
