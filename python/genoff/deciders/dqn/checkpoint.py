"""DQN checkpoints (as Stable-Baselines3's ``save``/``load``): ``NAME.pt`` (tensors only:
networks, optimizer state, replay buffer; read with ``torch.load(..., weights_only=True)``)
and ``NAME.json`` (hyperparameters, counters, the exploration generator's state and the
SHA-256 of the ``.pt``), each written atomically; the checks that a pair read back is one
:func:`save_checkpoint` wrote; and the resumable state of a run (:func:`save_run_state`,
:func:`load_run_state`).

Format ``genoff-dqn`` version 1, unchanged since the DQN was one module.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from genoff import __version__
from genoff._util.io import atomic_write
from genoff._util.validate import is_int
from genoff.deciders.dqn.config import FIELDS, observation_size
from genoff.deciders.dqn.network import load_torch

if TYPE_CHECKING:
    from genoff.deciders.dqn.decider import DQNDecider

__all__ = ["checkpoint_paths", "save_checkpoint", "load_checkpoint", "save_run_state",
           "load_run_state"]

_FORMAT = "genoff-dqn"
_FORMAT_VERSION = 1
_COUNTERS = ("num_decisions", "num_transitions", "num_updates")
#: Largest replay capacity and layer width a checkpoint may ask for (the networks and the
#: buffer are allocated before the tensors are copied in).
_MAX_BUFFER = 100_000_000
_MAX_WIDTH = 1_000_000


def checkpoint_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """``(NAME.pt, NAME.json)`` for ``path`` = ``NAME``, ``NAME.pt`` or ``NAME.json``."""
    p = Path(path)
    if p.suffix in (".pt", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".pt"), p.with_name(p.name + ".json")


def save_checkpoint(decider: DQNDecider, path: str | os.PathLike, *,
         include_buffer: bool = True) -> tuple[Path, Path]:
    """Write the pair for ``path`` (see :meth:`DQNDecider.save`); returns the two paths."""
    torch = load_torch()
    pt, js = checkpoint_paths(path)
    pt.parent.mkdir(parents=True, exist_ok=True)
    networks = decider.networks
    state: dict[str, Any] = {
        "q_net": networks.q_net.state_dict(),
        "target_net": networks.target_net.state_dict(),
        "optimizer": networks.optimizer.state_dict(),
    }
    if include_buffer:
        state["buffer"] = decider.buffer.tensors()
    atomic_write(pt, lambda tmp: torch.save(state, tmp))
    digest = hashlib.sha256(pt.read_bytes()).hexdigest()
    meta = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "genoff_version": __version__,
        "torch_version": torch.__version__,
        "hyperparameters": decider.hyperparameters(),
        "counters": {"num_decisions": decider.num_decisions,
                     "num_transitions": decider.num_transitions,
                     "num_updates": decider.num_updates, "last_loss": decider.last_loss},
        "rng_state": decider._rng.bit_generator.state,
        "rng_seed": decider._rng_seed,
        "buffer_saved": bool(include_buffer),
        "weights_file": pt.name,
        "weights_sha256": digest,
    }
    text = json.dumps(meta, indent=2, allow_nan=True) + "\n"
    atomic_write(js, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return pt, js


def load_checkpoint(factory: Callable[..., DQNDecider], path: str | os.PathLike, *,
         device: str | None = None) -> DQNDecider:
    """The decider of a pair :func:`save_checkpoint` wrote, built by
    ``factory(**hyperparameters)`` (:meth:`DQNDecider.load`), optionally onto another
    ``device``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file
    and the field for anything else: invalid JSON, missing or ill-typed fields, a
    ``.pt`` that does not match the JSON's SHA-256, or one that does but is not the
    tensors :func:`save_checkpoint` writes (``torch.load`` never sees a file that fails the
    SHA, and the networks are built only once the tensors match the hyperparameters).
    """
    pt, js = checkpoint_paths(path)
    for p in (pt, js):
        if not p.is_file():
            raise FileNotFoundError(f"DQN checkpoint file {p} not found")
    meta = _read_meta(js)
    data = pt.read_bytes()
    if hashlib.sha256(data).hexdigest() != meta["weights_sha256"]:
        raise ValueError(f"{pt} does not match {js} (SHA-256 differs): the pair was not "
                         "written together")
    hp = dict(meta["hyperparameters"])
    if device is not None:
        hp["device"] = device
    state = _torch_load(pt, data)
    _check_device(hp["device"], js, device is not None)
    _check_state(pt, state, observation_size(hp["extra_features"]), hp["hidden"],
                 meta["buffer_saved"])
    try:
        decider = factory(**hp)
    except ValueError as e:
        raise ValueError(f"{js}: hyperparameters.{e}") from None
    _restore(decider, state, meta, pt, js)
    return decider


def save_run_state(decider: DQNDecider, folder: str | os.PathLike) -> None:
    """A checkpoint (replay buffer included) as ``folder/dqn.pt`` + ``dqn.json``, and the
    online training curve and any transition waiting for its next state (``gamma > 0``) in
    ``folder/dqn-run.json``."""
    folder = Path(folder)
    save_checkpoint(decider, folder / "dqn")
    pending = None
    if decider._pending is not None:
        obs, act, rew = decider._pending
        pending = [np.asarray(obs, dtype=np.float32).tolist(), int(act), float(rew)]
    # The checkpoint stores the replay buffer oldest first; its ring position puts a
    # full buffer back in place, so that sampled indices pick the same transitions.
    run = {"curve": decider._curve, "pending": pending, "buffer_pos": int(decider.buffer.pos)}
    (folder / "dqn-run.json").write_text(json.dumps(run, allow_nan=True), encoding="utf-8")


def load_run_state(decider: DQNDecider, folder: str | os.PathLike) -> None:
    """Make ``decider`` the one :func:`save_run_state` wrote in ``folder``."""
    folder = Path(folder)
    loaded = load_checkpoint(type(decider), folder / "dqn", device=decider.settings.device)
    decider.__dict__.update(loaded.__dict__)
    run = json.loads((folder / "dqn-run.json").read_text(encoding="utf-8"))
    decider._curve = list(run["curve"])
    decider.buffer.rotate_to(int(run["buffer_pos"]))
    p = run["pending"]
    decider._pending = None if p is None else (np.asarray(p[0], dtype=np.float32), p[1], p[2])


# -- reading a checkpoint back --------------------------------------------------------------
def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else ""


def _torch_load(pt: Path, data: bytes) -> Any:
    """The tensors of ``pt`` (bytes ``data``), or ``ValueError`` naming the file."""
    torch = load_torch()
    try:
        with warnings.catch_warnings():  # a corrupt file's pickle-protocol warnings
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a corrupt file raises anything: name the file
        raise ValueError(f"{pt} is not a genoff DQN weights file (torch.load: "
                         f"{type(e).__name__}: {_first_line(e)})") from None


def _check_device(dev: Any, js: Path, given: bool) -> None:
    """``ValueError`` unless ``dev`` names a torch device type a checkpoint may ask for."""
    torch = load_torch()
    try:
        dev_type = torch.device(dev).type if isinstance(dev, str) else None
    except (RuntimeError, ValueError):
        dev_type = None
    if dev_type not in ("cpu", "cuda", "mps", "xpu"):
        where = "device" if given else f"{js}: hyperparameters.device"
        raise ValueError(f"{where} must be a torch device such as 'cpu' or 'cuda', "
                         f"got {dev!r:.100}")


def _restore(decider: DQNDecider, state: dict, meta: dict, pt: Path, js: Path) -> None:
    """Copy the checked tensors, counters and generator state into a fresh ``decider``."""
    networks = decider.networks
    try:
        networks.q_net.load_state_dict(state["q_net"])
        networks.target_net.load_state_dict(state["target_net"])
        networks.optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"{pt}: the networks or the optimizer state do not match "
                         f"{js} ({type(e).__name__}: {_first_line(e)})") from None
    _check_optimizer(pt, decider)
    if "buffer" in state:
        decider.buffer.load_tensors(state["buffer"])
    c = meta["counters"]
    decider.num_decisions = c["num_decisions"]
    decider.num_transitions = c["num_transitions"]
    decider.num_updates = c["num_updates"]
    decider.last_loss = float(c["last_loss"])
    decider._rng_seed = meta["rng_seed"]
    rng = decider._rng
    try:
        rng.bit_generator.state = meta["rng_state"]
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise ValueError(f"{js}: rng_state is not a {type(rng.bit_generator).__name__} "
                         f"state ({type(e).__name__}: {e})") from None


def _read_meta(js: Path) -> dict:
    """The checked contents of a checkpoint's JSON: ``ValueError`` naming file and field."""
    try:
        meta = json.loads(js.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, digits
        what = "nested too deeply" if isinstance(e, RecursionError) else e
        raise ValueError(f"{js} is not a DQN checkpoint (invalid JSON: {what})") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(f"{js} is not a genoff DQN checkpoint")
    if meta.get("format_version") != _FORMAT_VERSION:
        raise ValueError(f"{js}: unsupported checkpoint format_version "
                         f"{meta.get('format_version')!r:.100} (expected {_FORMAT_VERSION})")
    for key in ("hyperparameters", "counters", "rng_state", "rng_seed", "buffer_saved",
                "weights_sha256"):
        if key not in meta:
            raise ValueError(f"{js}: the field {key!r} is missing")
    sha = meta["weights_sha256"]
    if not isinstance(sha, str) or len(sha) != 64:
        raise _bad_field(js, "weights_sha256", "a SHA-256 hex digest", sha)
    if not isinstance(meta["buffer_saved"], bool):
        raise _bad_field(js, "buffer_saved", "true or false", meta["buffer_saved"])
    seed = meta["rng_seed"]
    if not is_int(seed) or not 0 <= seed < 2**128:
        raise _bad_field(js, "rng_seed", "an integer in [0, 2^128)", seed)
    if not isinstance(meta["rng_state"], dict):
        raise _bad_field(js, "rng_state", "an object (a numpy bit generator's state)",
                         meta["rng_state"])
    _check_counters(js, meta["counters"])
    _check_hyperparameters(js, meta["hyperparameters"])
    return meta


def _bad_field(js: Path, field: str, what: str, got: Any = None) -> ValueError:
    return ValueError(f"{js}: {field} must be {what}, got {got!r:.100}")


def _check_counters(js: Path, c: Any) -> None:
    if not isinstance(c, dict):
        raise _bad_field(js, "counters", "an object", c)
    for key in (*_COUNTERS, "last_loss"):
        if key not in c:
            raise ValueError(f"{js}: the field 'counters.{key}' is missing")
    for key in _COUNTERS:
        if not is_int(c.get(key)) or not 0 <= c[key] < 2**62:
            raise _bad_field(js, f"counters.{key}", "an integer in [0, 2^62)", c.get(key))
    loss = c.get("last_loss")
    if isinstance(loss, bool) or not isinstance(loss, (int, float)):
        raise _bad_field(js, "counters.last_loss", "a number (NaN before the first update)",
                         loss)


def _check_hyperparameters(js: Path, hp: Any) -> None:
    """The fields the networks and the buffer are allocated from (the rest is checked by
    :class:`~genoff.deciders.dqn.config.DQNConfig`)."""
    if not isinstance(hp, dict):
        raise _bad_field(js, "hyperparameters", "an object", hp)
    unknown = sorted(str(k) for k in hp if k not in FIELDS)
    missing = [k for k in FIELDS if k not in hp]
    if unknown or missing:
        raise ValueError(f"{js}: hyperparameters: unknown fields {unknown}, missing {missing}")
    hidden = hp["hidden"]
    if (not isinstance(hidden, list) or not 1 <= len(hidden) <= 64
            or not all(is_int(h) and 1 <= h <= _MAX_WIDTH for h in hidden)):
        raise _bad_field(js, "hyperparameters.hidden",
                         f"a list of 1-64 integers in [1, {_MAX_WIDTH:,}]", hidden)
    bs = hp["buffer_size"]
    if not is_int(bs) or not 1 <= bs <= _MAX_BUFFER:
        raise _bad_field(js, "hyperparameters.buffer_size", f"an integer in [1, {_MAX_BUFFER:,}]",
                         bs)
    if not isinstance(hp["extra_features"], bool):
        raise _bad_field(js, "hyperparameters.extra_features", "true or false",
                         hp["extra_features"])


def _check_state(pt: Path, state: Any, obs_dim: int, hidden: Sequence[int],
                 buffer_saved: bool) -> None:
    """``ValueError`` naming ``pt`` unless ``state`` holds the tensors
    :func:`save_checkpoint` writes for these hyperparameters (checked before any network is
    built)."""
    def bad(what: str) -> ValueError:
        return ValueError(f"{pt} is not the DQN checkpoint its JSON describes: {what}")

    if not isinstance(state, dict):
        raise bad(f"it holds a {type(state).__name__}, not a dict of tensors")
    want = {"q_net", "target_net", "optimizer"} | ({"buffer"} if buffer_saved else set())
    if set(state) != want:
        raise bad(f"its entries are {sorted(map(str, state))}, expected {sorted(want)}")
    _check_networks(state, obs_dim, hidden, bad)
    opt = state["optimizer"]
    if (not isinstance(opt, dict) or set(opt) != {"state", "param_groups"}
            or not isinstance(opt["state"], dict) or not isinstance(opt["param_groups"], list)
            or not all(isinstance(g, dict) for g in opt["param_groups"])):
        raise bad("optimizer must be an Adam state dict (state, param_groups)")
    if buffer_saved:
        _check_buffer(state["buffer"], obs_dim, bad)


def _check_networks(state: dict, obs_dim: int, hidden: Sequence[int],
                    bad: Callable[[str], ValueError]) -> None:
    torch = load_torch()
    dims = [obs_dim, *hidden, 2]
    shapes = {}
    for i in range(len(dims) - 1):
        shapes[f"{2 * i}.weight"] = (dims[i + 1], dims[i])
        shapes[f"{2 * i}.bias"] = (dims[i + 1],)
    for net in ("q_net", "target_net"):
        sd = state[net]
        if not isinstance(sd, dict) or set(sd) != set(shapes):
            raise bad(f"{net} does not have the layers of hidden = {list(hidden)}")
        for k, shape in shapes.items():
            t = sd[k]
            if (not isinstance(t, torch.Tensor) or tuple(t.shape) != shape
                    or not t.is_floating_point()):
                raise bad(f"{net}.{k} must be a float tensor of shape {shape}")


def _check_buffer(b: Any, obs_dim: int, bad: Callable[[str], ValueError]) -> None:
    torch = load_torch()
    cols = {"obs": (obs_dim,), "next_obs": (obs_dim,), "action": (), "reward": (), "done": ()}
    if not isinstance(b, dict) or set(b) != set(cols):
        raise bad(f"buffer must hold {sorted(cols)}")
    n = None
    for k, tail in cols.items():
        t = b[k]
        if (not isinstance(t, torch.Tensor) or t.ndim != 1 + len(tail)
                or tuple(t.shape[1:]) != tail):
            raise bad(f"buffer.{k} must be a tensor of shape [n{', ' if tail else ''}"
                      f"{', '.join(map(str, tail))}]")
        if n is None:
            n = t.shape[0]
        elif t.shape[0] != n:
            raise bad(f"buffer.{k} has {t.shape[0]} rows, buffer.obs {n}")
        if t.is_complex() or (t.is_floating_point() and not bool(torch.isfinite(t).all())):
            raise bad(f"buffer.{k} must be finite real numbers")
    if n and not bool(((b["action"] == 0) | (b["action"] == 1)).all()):
        raise bad("buffer.action must be 0 or 1")


def _check_optimizer(pt: Path, decider: DQNDecider) -> None:
    """The loaded Adam state must fit the network (else the first update fails)."""
    torch = load_torch()
    params = list(decider.networks.q_net.parameters())
    sd = decider.networks.optimizer.state_dict()
    for i, st in sd["state"].items():
        p = params[i] if is_int(i) and 0 <= i < len(params) else None
        step = st.get("step") if isinstance(st, dict) else None
        ok = (p is not None and all(
            isinstance(st.get(k), torch.Tensor) and st[k].shape == p.shape
            and st[k].dtype == p.dtype for k in ("exp_avg", "exp_avg_sq"))
            and isinstance(step, torch.Tensor) and step.numel() == 1
            and step.is_floating_point() and bool(torch.isfinite(step).all())
            and float(step) >= 0)
        if not ok:
            raise ValueError(f"{pt}: optimizer state {i!r} does not fit the Q-network")
    lr = decider.settings.lr
    for g in sd["param_groups"]:
        g_lr, betas, eps = g.get("lr"), g.get("betas"), g.get("eps")
        ok = (isinstance(g_lr, (int, float)) and g_lr == lr and isinstance(eps, (int, float))
              and math.isfinite(eps) and eps > 0 and isinstance(betas, (tuple, list))
              and len(betas) == 2 and all(isinstance(x, (int, float)) and 0 <= x < 1
                                          for x in betas))
        if not ok:
            raise ValueError(f"{pt}: optimizer settings (lr, betas, eps) are not those of "
                             f"lr = {lr:g}")
