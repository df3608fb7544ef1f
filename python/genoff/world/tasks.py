"""Generation tasks: service types, quality requirements, output sizes and arrivals.

Every user issues ``requests_per_step`` requests per time slot (paper Sec. III: a step is one
batch). Each request has

* a **service type** (paper Sec. IV-A): regular tasks (``chatting``, ``translation``,
  ``summarization``) or quality-preferred ones (``science_reasoning``, ``coding``). A
  request is quality-preferred with probability ``quality_preferred_share``; within its
  class the type is uniform;
* a **quality requirement** ``tau_req`` on the MMLU scale (0-100), fixed per service type
  (``TasksConfig.quality_requirement``); constraint (4e) compares it with the serving
  model's quality index;
* a **true output length** ``n_tokens`` (integer) drawn from the configured distribution
  with mean ``mean_output_tokens`` and coefficient of variation ``token_cv``, rounded to an
  integer and clipped to ``[min_tokens, max_tokens]`` (clipping moves the mean a little:
  e.g. an exponential with mean 1000 clipped at 4096 has mean 983);
* the **estimated length** ``est_tokens`` the decider sees (eq. 8): ``n_tokens`` times a
  log-normal factor with mean 1 and relative standard deviation ``size_estimate_noise``
  (exact when it is 0; never negative);
* its discretized **size level**: level ``i`` holds ``size_level_edges[i-1] <= est_tokens
  < size_level_edges[i]`` (e.g. edges (600, 1400): short < 600 <= middle < 1400 <= long).

Randomness comes only from the ``numpy.random.Generator`` passed to
:meth:`TaskGenerator.sample`; the number of draws per call depends only on the number of
requests and the distribution, so runs that differ only in ``size_estimate_noise`` see the
same services and true sizes (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from genoff._util import validate
from genoff.world.scenario import TasksConfig
from genoff.world.services import QUALITY_PREFERRED, REGULAR, SERVICE_TYPES

__all__ = [
    "SERVICE_TYPES",
    "REGULAR",
    "QUALITY_PREFERRED",
    "Requests",
    "TaskGenerator",
    "sample_tokens",
]

#: Largest token count and request count (exact in float64).
_MAX_COUNT = 2**53

_REGULAR_IDX = np.array([SERVICE_TYPES.index(s) for s in REGULAR], dtype=np.int64)
_QP_IDX = np.array([SERVICE_TYPES.index(s) for s in QUALITY_PREFERRED], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Requests:
    """A batch of generation requests, one entry per request (columns of length num_req).

    Attributes:
        user: int64 [num_req], the issuing user (index into the run's users).
        service: int64 [num_req], index into :data:`SERVICE_TYPES`.
        quality_preferred: bool [num_req], service is in :data:`QUALITY_PREFERRED`.
        quality_req: float64 [num_req], quality requirement ``tau_req`` (MMLU scale, 0-100).
        n_tokens: int64 [num_req], true number of output tokens (>= 1).
        est_tokens: float64 [num_req], output tokens as the decider estimates them (>= 0).
        size_level: int64 [num_req], bin of ``est_tokens`` by the size-level edges.
        level_names: names of the size levels (length = number of edges + 1).
    """

    user: np.ndarray
    service: np.ndarray
    quality_preferred: np.ndarray
    quality_req: np.ndarray
    n_tokens: np.ndarray
    est_tokens: np.ndarray
    size_level: np.ndarray
    level_names: tuple[str, ...] = ("short", "middle", "long")

    def __post_init__(self) -> None:
        n = None
        for name, dtype in (
            ("user", np.int64),
            ("service", np.int64),
            ("quality_preferred", np.bool_),
            ("quality_req", np.float64),
            ("n_tokens", np.int64),
            ("est_tokens", np.float64),
            ("size_level", np.int64),
        ):
            arr = np.asarray(getattr(self, name))
            if arr.ndim != 1:
                raise ValueError(f"Requests.{name} must be 1-D, got shape {arr.shape}")
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(
                    f"Requests.{name} has length {arr.shape[0]}, expected {n} (as Requests.user)"
                )
            object.__setattr__(self, name, arr.astype(dtype, copy=False))
        object.__setattr__(self, "level_names", tuple(self.level_names))

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def service_name(self, i: int) -> str:
        """Service type name of request ``i``."""
        return SERVICE_TYPES[int(self.service[i])]

    def level_name(self, i: int) -> str:
        """Size-level name of request ``i`` (e.g. ``"middle"``)."""
        return self.level_names[int(self.size_level[i])]

    def take(self, index) -> Requests:
        """The requests selected by ``index`` (integer array, slice or bool mask)."""
        return Requests(
            user=self.user[index],
            service=self.service[index],
            quality_preferred=self.quality_preferred[index],
            quality_req=self.quality_req[index],
            n_tokens=self.n_tokens[index],
            est_tokens=self.est_tokens[index],
            size_level=self.size_level[index],
            level_names=self.level_names,
        )


def sample_tokens(
    rng: np.random.Generator,
    num: int,
    *,
    mean: float,
    distribution: str,
    cv: float,
    min_tokens: int,
    max_tokens: int,
) -> np.ndarray:
    """Output-token lengths, int64 [num], clipped to ``[min_tokens, max_tokens]``.

    Distributions (all with mean ``mean`` before rounding and clipping):

    * ``"fixed"``: always ``mean`` (``cv`` ignored; no random draws);
    * ``"exponential"``: ``Exp(mean)`` (its cv is 1; ``cv`` ignored);
    * ``"lognormal"``: ``exp(mu + sigma Z)`` with ``sigma^2 = ln(1 + cv^2)``,
      ``mu = ln(mean) - sigma^2 / 2``;
    * ``"uniform"``: ``U[mean (1 - sqrt(3) cv), mean (1 + sqrt(3) cv)]`` (``cv <= 1/sqrt(3)``).

    Raises ``ValueError``/``TypeError`` naming the argument for a count or bound that is not
    a non-negative integer (``min_tokens >= 1``, ``max_tokens`` in ``[min_tokens, 2^53]``), a
    ``mean`` outside ``[min_tokens, max_tokens]`` or a ``cv`` outside ``[0, 100]``.
    """
    num = validate.integer("num", num, ge=0, le=_MAX_COUNT)
    min_tokens = validate.integer("min_tokens", min_tokens, ge=1, le=_MAX_COUNT)
    max_tokens = validate.integer("max_tokens", max_tokens, ge=1, le=_MAX_COUNT)
    mean = validate.real("mean", mean, finite=False)
    cv = validate.real("cv", cv, finite=False)
    if max_tokens < min_tokens:
        raise ValueError(f"max_tokens must be >= min_tokens = {min_tokens}, got {max_tokens}")
    if not min_tokens <= mean <= max_tokens:  # also rejects NaN
        raise ValueError(
            f"mean must lie in [min_tokens, max_tokens] = [{min_tokens}, {max_tokens}], "
            f"got {mean}"
        )
    if not 0.0 <= cv <= 100.0:
        raise ValueError(f"cv must lie in [0, 100], got {cv}")
    if distribution == "fixed":
        x = np.full(num, float(mean))
    elif distribution == "exponential":
        x = rng.exponential(float(mean), size=num)
    elif distribution == "lognormal":
        sigma2 = math.log1p(cv * cv)
        mu = math.log(mean) - 0.5 * sigma2
        x = np.exp(mu + math.sqrt(sigma2) * rng.standard_normal(num))
    elif distribution == "uniform":
        half = math.sqrt(3.0) * cv * mean
        x = rng.uniform(mean - half, mean + half, size=num)
    else:
        raise ValueError(
            "tasks.token_distribution must be one of 'fixed', 'exponential', 'lognormal', "
            f"'uniform', got {distribution!r}"
        )
    # [num]
    return np.clip(np.rint(x), min_tokens, max_tokens).astype(np.int64)


class TaskGenerator:
    """Draws the requests of one step (see the module docstring for the model).

    Args:
        cfg: the scenario's :class:`genoff.world.scenario.TasksConfig`.
    """

    def __init__(self, cfg: TasksConfig) -> None:
        if not isinstance(cfg, TasksConfig):
            raise TypeError(f"cfg must be a TasksConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self._edges = np.asarray(cfg.size_level_edges, dtype=np.float64)
        # [num_service] requirement of each service type, in SERVICE_TYPES order
        self._req = np.array([cfg.quality_requirement[s] for s in SERVICE_TYPES], dtype=np.float64)

    @property
    def level_names(self) -> tuple[str, ...]:
        """Size-level names, ``len(size_level_edges) + 1`` of them."""
        return self.cfg.size_level_names

    def size_level(self, est_tokens) -> np.ndarray:
        """Size level (int64, same shape as ``est_tokens``) of estimated token counts."""
        return np.searchsorted(self._edges, np.asarray(est_tokens, dtype=np.float64), side="right")

    def sample(self, rng: np.random.Generator, users) -> Requests:
        """The requests of one step: ``requests_per_step`` for each user in ``users``.

        Args:
            rng: the only source of randomness.
            users: int [num_user] user indices; requests are ordered by user (all requests
                of ``users[0]`` first).

        Returns:
            :class:`Requests` with ``num_req = num_user * requests_per_step``.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        users = np.asarray(users)
        if users.ndim != 1:
            raise ValueError(f"users must be 1-D, got shape {users.shape}")
        if users.size and not np.issubdtype(users.dtype, np.integer):
            raise TypeError(f"users must be integers, got dtype {users.dtype}")
        cfg = self.cfg
        # [num_req]
        user = np.repeat(users.astype(np.int64), cfg.requests_per_step)
        n = user.shape[0]
        qp = rng.random(n) < cfg.quality_preferred_share
        reg_pick = rng.integers(0, len(_REGULAR_IDX), size=n)
        qp_pick = rng.integers(0, len(_QP_IDX), size=n)
        service = np.where(qp, _QP_IDX[qp_pick], _REGULAR_IDX[reg_pick])
        n_tokens = sample_tokens(
            rng,
            n,
            mean=cfg.mean_output_tokens,
            distribution=cfg.token_distribution,
            cv=cfg.token_cv,
            min_tokens=cfg.min_tokens,
            max_tokens=cfg.max_tokens,
        )
        # Always drawn, so the stream does not depend on the noise level.
        z = rng.standard_normal(n)
        if cfg.size_estimate_noise > 0.0:
            sigma2 = math.log1p(cfg.size_estimate_noise**2)
            factor = np.exp(math.sqrt(sigma2) * z - 0.5 * sigma2)
            est = n_tokens * factor
        else:
            est = n_tokens.astype(np.float64)
        return Requests(
            user=user,
            service=service,
            quality_preferred=qp,
            quality_req=self._req[service],
            n_tokens=n_tokens,
            est_tokens=est,
            size_level=self.size_level(est),
            level_names=cfg.size_level_names,
        )
