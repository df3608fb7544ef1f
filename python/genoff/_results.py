"""Result types shared by genoff.core and its NumPy twin genoff._reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FullBufferResult", "FiniteBufferResult", "Evaluation", "finite_result"]


@dataclass(frozen=True)
class FullBufferResult:
    """Outcome of :func:`run_full_buffer`.

    Attributes:
        throughput_bps: [num_ue] mean served rate over the run: the paper's ``C`` (eq. 1).
        avg_rate_bps: [num_ue] PF average ``T`` after the last TTI.
        rb_share: [num_ue] fraction of its cell's RB-TTIs each user was given.
        num_tti: TTIs simulated.
    """

    throughput_bps: np.ndarray
    avg_rate_bps: np.ndarray
    rb_share: np.ndarray
    num_tti: int


@dataclass(frozen=True)
class FiniteBufferResult:
    """Outcome of :func:`run_finite_buffer`.

    Attributes:
        completion_tti: [num_req] int64, TTI whose transmission delivered the request's last
            byte, -1 if it was not delivered within the run.
        completion_s: [num_req] end of that TTI, ``(completion_tti + 1) * tti_s``; NaN if
            not delivered.
        delay_s: [num_req] ``completion_s - request_tti * tti_s``: the radio delivery time
            of the content (the first term of eq. 1 in ``tti`` mode); NaN if not delivered.
        throughput_bps: [num_ue] delivered bits / (num_tti * tti_s).
        avg_rate_bps: [num_ue] PF average ``T`` at the end.
        num_tti_run: TTIs simulated (the run stops once every request is delivered).
    """

    completion_tti: np.ndarray
    completion_s: np.ndarray
    delay_s: np.ndarray
    throughput_bps: np.ndarray
    avg_rate_bps: np.ndarray
    num_tti_run: int


@dataclass(frozen=True)
class Evaluation:
    """Delay and reward of each request (all arrays [num_req]).

    Attributes:
        t_tran_s: eq. (1), radio delivery plus backhaul when offloaded.
        t_gen_s: eq. (3) on the chosen model (eq. 4c or 4d).
        t_total_s: eq. (4) summand, ``t_tran_s + t_gen_s``.
        violated: eq. (4e) broken: the serving model's quality is below the requirement.
        reward: eq. (10), ``target_s - t_total_s - penalty * violated``.
    """

    t_tran_s: np.ndarray
    t_gen_s: np.ndarray
    t_total_s: np.ndarray
    violated: np.ndarray
    reward: np.ndarray


def finite_result(out: dict, request_tti, tti_s: float) -> FiniteBufferResult:
    """Builds a FiniteBufferResult from a run's raw outputs (completion TTIs and rates)."""
    done = np.asarray(out["completion_tti"], dtype=np.int64)
    completion_s = np.where(done >= 0, (done + 1) * tti_s, np.nan)
    arrival_s = np.asarray(request_tti, dtype=np.float64) * tti_s
    return FiniteBufferResult(
        completion_tti=done,
        completion_s=completion_s,
        delay_s=completion_s - arrival_s,
        throughput_bps=np.asarray(out["throughput_bps"]),
        avg_rate_bps=np.asarray(out["avg_rate_bps"]),
        num_tti_run=int(out["num_tti_run"]),
    )
