"""How the LLM deciders ask their model: the backend (:class:`BackendRef`) and the
calibration of its candidate scores (eq. 6 takes the argmax of these scores).

* ``"content-free"``: subtract the scores of a content-free query (Zhao et al. 2021,
  "Calibrate Before Use");
* ``"batch"``: subtract the mean log-odds over the distinct queries of a batch
  (:func:`batch_calibrate`; Zhou et al., "Batch Calibration", ICLR 2024).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from genoff.llm.base import Backend
from genoff.llm.embedded import default_backend
from genoff.llm.spec import check_spec, make_backend

__all__ = ["CALIBRATIONS", "calibration_mode", "batch_calibrate", "BackendRef"]


CALIBRATIONS = ("none", "content-free", "batch")


def calibration_mode(calibrate: bool | str) -> str:
    """``calibrate`` as one of :data:`CALIBRATIONS` (False -> "none", True -> "content-free")."""
    if isinstance(calibrate, (bool, np.bool_)):
        return "content-free" if calibrate else "none"
    if calibrate not in CALIBRATIONS:
        raise ValueError(f"calibrate must be a bool or one of {CALIBRATIONS}, got {calibrate!r}")
    return str(calibrate)


def batch_calibrate(scores: np.ndarray, queries: Sequence[str]) -> np.ndarray:
    """Batch calibration (Zhou et al., ICLR 2024) of candidate scores [n, 2].

    The log-odds (offload - local) of each distinct query, minus their mean over the
    distinct queries, becomes the offload score (local 0): a constant preference of the
    model for one candidate (e.g. one that is more tokens long) cancels. Rows whose scores
    are not finite are left out of the mean and stay as they are.
    """
    scores = np.asarray(scores, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # -inf - -inf: a row the backend could not score
        logodds = scores[:, 1] - scores[:, 0]
    first = {q: i for i, q in reversed(list(enumerate(queries)))}
    distinct = np.array(sorted(first.values()), dtype=np.int64)
    ok = np.isfinite(logodds[distinct])
    if not ok.any():
        return scores
    shift = float(logodds[distinct][ok].mean())
    out = scores.copy()
    fin = np.isfinite(logodds)
    out[fin, 0] = 0.0
    out[fin, 1] = logodds[fin] - shift
    return out


class BackendRef:
    """An LLM backend given as an object, a plain-data spec or nothing (the embedded model).

    A spec (``{"kind": "embedded"}``, see :func:`genoff.llm.make_backend`) and the default
    are built on first use, in the process that runs, and shared by the deciders of that
    process that name the same spec.
    """

    def __init__(self, backend: Backend | Mapping | None, *, needs_logprobs: bool = True) -> None:
        self._spec: dict | None = None
        if isinstance(backend, Mapping):
            self._spec = check_spec(backend)
            backend = None
        elif backend is not None and not isinstance(backend, Backend):
            raise TypeError("backend must be a genoff.llm backend or a backend spec (a mapping)")
        self._needs_logprobs = needs_logprobs
        if backend is not None:
            self._require_logprobs(backend)
        self._backend = backend

    def _require_logprobs(self, backend: Backend) -> None:
        if self._needs_logprobs and not backend.supports_logprobs:
            raise ValueError(
                "mode='logprob' needs a backend that scores candidates; this one only generates "
                "(use mode='generate')"
            )

    def get(self) -> Backend:
        if self._backend is None:
            if self._spec is not None:
                backend = make_backend(self._spec, shared=True)
            else:
                backend = default_backend()
            self._require_logprobs(backend)
            self._backend = backend
        return self._backend

    def config(self) -> dict:
        if self._backend is not None:
            return self._backend.config()
        if self._spec is not None:
            return dict(self._spec)
        return {"name": "embedded (default)"}
