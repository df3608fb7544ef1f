"""Fuzz: saved state read back from disk (issue 11, item 5): ICL experience pools
(``load_pool``) and DQN checkpoints (``DQNDecider.load``: ``NAME.pt`` + ``NAME.json``).

Corrupted files (wrong types, huge or non-finite numbers, missing and unknown fields,
truncation, flipped bytes, other tensors under a matching SHA-256) must raise a one-line
``ValueError`` naming the file, or load into a pool/decider that works (prompts build,
decisions come out) and saves back to what was loaded. Nothing reaches ``torch.load`` or a
network constructor unchecked.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from genoff.deciders.icl import LatestPool, PrioritizedPool, PromptBuilder, load_pool
from hypothesis import event, given
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

_TMP = Path(tempfile.mkdtemp(prefix="genoff-fuzz-state-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=10)
_SCALAR = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1,
            2,
            20,
            2**31,
            2**63,
            10**30,
            1e30,
            1e308,
            -1e308,
            2.5,
            0.0,
            math.inf,
            -math.inf,
            math.nan,
            True,
            False,
            None,
            "",
            "5",
            "local",
            "offload",
            "prioritized",
            "latest",
            "short",
            "N/A",
            "a\nb",
            "x" * 100,
        ]
    ),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.booleans(),
    st.none(),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=5,
)


def _one_line(e: BaseException, path: Path) -> None:
    msg = str(e)
    assert "\n" not in msg and len(msg) < 2000, repr(msg)
    assert str(path) in msg, msg


def _mutate(draw, data, paths: list[tuple]) -> None:
    """Apply 1-3 random edits (replace / delete / add a key / nest) at known paths."""
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        node = data
        for part in path[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if not isinstance(node, (dict, list)):
            continue
        last = path[-1]
        if isinstance(node, list) and not (
            isinstance(last, int) and -len(node) <= last < len(node)
        ):
            continue
        kind = draw(st.sampled_from(["value", "value", "delete", "unknown", "nest"]))
        if kind == "value":
            node[last] = draw(_VALUE)
        elif kind == "delete":
            node.pop(last) if isinstance(node, list) else node.pop(last, None)
        elif kind == "unknown" and isinstance(node, dict):
            node[draw(_TEXT)] = draw(_SCALAR)
        elif kind == "nest":
            node[last] = [node.get(last) if isinstance(node, dict) else node[last]]


def _json_text(data) -> str:
    return json.dumps(data, allow_nan=True)


@st.composite
def _corrupt_bytes(draw, raw: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        i = draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "cut":
            raw = raw[:i]
        elif op == "flip" and raw:
            raw = raw[:i] + bytes([raw[i] ^ draw(st.integers(1, 255))]) + raw[i + 1 :]
        elif op == "insert":
            raw = raw[:i] + draw(st.binary(min_size=1, max_size=8)) + raw[i:]
        else:
            raw = raw[:i] + raw[i + draw(st.integers(1, 16)) :]
    return raw


# -- experience pools ------------------------------------------------------------------------
def _valid_pool(kind: str):
    pool = PrioritizedPool() if kind == "prioritized" else LatestPool(4)
    for kw, d, r, v in [
        (("chatting", "short"), "local", 12.5, False),
        (("coding", "long"), "offload", -3.25, False),
        (("science reasoning", "middle"), "local", -20.0, True),
    ]:
        pool.add(kw, d, r, v)
    return pool.to_dict()


_POOL_PATHS = (
    [("kind",), ("capacity",), ("examples",)]
    + [
        ("examples", i, f)
        for i in range(3)
        for f in ("keywords", "decision", "reward", "good", "violated")
    ]
    + [("examples", i, "keywords", j) for i in range(3) for j in range(2)]
    + [("examples", i) for i in range(3)]
)


@st.composite
def pool_files(draw) -> bytes:
    data = _valid_pool(draw(st.sampled_from(["prioritized", "latest"])))
    if draw(st.booleans()):
        _mutate(draw, data, _POOL_PATHS)
        raw = _json_text(data).encode()
    else:
        raw = draw(_corrupt_bytes(_json_text(data).encode()))
    if draw(st.integers(0, 9)) == 0:
        raw = draw(
            st.sampled_from(
                [
                    b"",
                    b"[" * 5000,
                    b'{"kind": "latest", "capacity": ' + b"9" * 5000 + b"}",
                    b"\xff\xfe",
                    b"null",
                    b"{}",
                ]
            )
        )
    return raw


_N = [0]


@given(raw=pool_files())
def test_fuzz_load_pool(raw):
    _N[0] += 1
    path = _TMP / f"pool{_N[0] % 8}.json"
    path.write_bytes(raw)
    try:
        pool = load_pool(path)
    except ValueError as e:
        _one_line(e, path)
        event("load_pool: ValueError")
        return
    event("load_pool: ok")
    # A loaded pool works: its examples make a prompt, and it saves back to itself.
    PromptBuilder().prefix(pool.examples())
    pool.save(path)
    again = load_pool(path)
    assert type(again) is type(pool) and again.to_dict() == pool.to_dict()


# -- DQN checkpoints -------------------------------------------------------------------------
torch = pytest.importorskip("torch")
from genoff.deciders.dqn import DQNDecider


def _checkpoint() -> tuple[bytes, dict]:
    d = DQNDecider(
        seed=3,
        hidden=(4,),
        buffer_size=32,
        batch_size=4,
        learning_starts=0,
        train_freq=1,
        reward_scale=0.025,
    )
    rng = np.random.default_rng(0)
    obs = rng.uniform(0, 2, (12, 6)).astype(np.float32)
    d._store_batch(obs, rng.integers(0, 2, 12), rng.normal(size=12), obs, np.zeros(12))
    pt, js = d.save(_TMP / "base.pt")
    return pt.read_bytes(), json.loads(js.read_text())


_PT, _META = _checkpoint()
_STATE = torch.load(io.BytesIO(_PT), weights_only=True)
_META_PATHS = (
    [(k,) for k in _META]
    + [("hyperparameters", k) for k in _META["hyperparameters"]]
    + [("counters", k) for k in _META["counters"]]
    + [("rng_state", k) for k in _META["rng_state"]]
    + [
        ("rng_state", "state", "state"),
        ("rng_state", "state", "inc"),
        ("hyperparameters", "hidden", 0),
    ]
)


def _write_pair(pt_bytes: bytes, meta, sha: bool = True) -> Path:
    _N[0] += 1
    stem = _TMP / f"ck{_N[0] % 8}"
    pt, js = stem.with_name(stem.name + ".pt"), stem.with_name(stem.name + ".json")
    pt.write_bytes(pt_bytes)
    if sha and isinstance(meta, dict):
        meta = dict(meta, weights_sha256=hashlib.sha256(pt_bytes).hexdigest())
    js.write_text(meta if isinstance(meta, str) else _json_text(meta), encoding="utf-8")
    return pt


def _works(d: DQNDecider, pt: Path) -> None:
    obs = np.random.default_rng(1).uniform(0, 2, (5, d.obs_dim)).astype(np.float32)
    assert set(np.unique(d.act(obs))) <= {0, 1}
    d.save(pt)  # and it saves back to something that loads to the same decisions
    e = DQNDecider.load(pt)
    np.testing.assert_array_equal(e.act(obs), d.act(obs))


def _load(pt: Path, blame: Path) -> DQNDecider | None:
    try:
        d = DQNDecider.load(pt)
    except ValueError as e:
        msg = str(e)
        assert "\n" not in msg and len(msg) < 2000, repr(msg)
        assert str(blame) in msg or str(blame.with_suffix(".pt")) in msg, msg
        event("DQN load: ValueError")
        return None
    event("DQN load: ok")
    return d


@given(data=st.data())
def test_fuzz_dqn_json_fields(data):
    meta = json.loads(json.dumps(_META))
    _mutate(data.draw, meta, _META_PATHS)
    text = _json_text(meta)
    if data.draw(st.integers(0, 5)) == 0:
        text = data.draw(_corrupt_bytes(text.encode())).decode("utf-8", "replace")
    pt = _write_pair(_PT, text, sha=False)
    d = _load(pt, pt.with_suffix(".json"))
    if d is not None:
        _works(d, pt)


@given(raw=_corrupt_bytes(_PT))
def test_fuzz_dqn_weights_bytes_with_matching_sha(raw):
    pt = _write_pair(raw, _META)
    d = _load(pt, pt)
    if d is not None:
        _works(d, pt)


def _tensor_mutation(draw, t):
    if not isinstance(t, torch.Tensor):
        t = torch.zeros(3)
    kind = draw(st.sampled_from(["shape", "dtype", "nan", "scalar", "list", "empty"]))
    if kind == "shape":
        return torch.zeros(tuple(draw(st.lists(st.integers(0, 9), max_size=3))))
    if kind == "dtype":
        return t.to(
            draw(
                st.sampled_from(
                    [torch.int64, torch.bool, torch.float64, torch.complex64, torch.uint8]
                )
            )
        )
    if kind == "nan":
        return torch.full_like(t.float(), draw(st.sampled_from([math.nan, math.inf, -math.inf])))
    if kind == "scalar":
        return draw(st.sampled_from([0, 1.5, "x", None]))
    if kind == "list":
        return [t]
    return t[:0] if t.ndim else t.reshape(1)[:0]


@given(data=st.data())
def test_fuzz_dqn_weights_tensors_with_matching_sha(data):
    """Other tensors (shapes, dtypes, NaN, missing/extra entries) under a matching SHA."""
    state = {k: (dict(v) if isinstance(v, dict) else v) for k, v in _STATE.items()}
    state["optimizer"] = {
        "state": {i: dict(s) for i, s in _STATE["optimizer"]["state"].items()},
        "param_groups": [dict(g) for g in _STATE["optimizer"]["param_groups"]],
    }
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(
            st.sampled_from(
                [
                    "q_net",
                    "target_net",
                    "buffer",
                    "optimizer.state",
                    "optimizer.param_groups",
                    "top",
                ]
            )
        )
        if where == "top":
            op = data.draw(st.sampled_from(["delete", "add", "replace"]))
            key = data.draw(st.sampled_from(sorted(state) + ["extra"]))
            if op == "delete":
                state.pop(key, None)
            else:
                state[key] = data.draw(st.sampled_from([0, "x", [1], {}, torch.zeros(2)]))
        elif where == "optimizer.state":
            st_ = (
                state.get("optimizer", {}).get("state")
                if isinstance(state.get("optimizer"), dict)
                else None
            )
            if isinstance(st_, dict) and st_:
                i = data.draw(st.sampled_from(sorted(st_)))
                k = data.draw(st.sampled_from(["exp_avg", "exp_avg_sq", "step"]))
                if isinstance(st_[i], dict) and k in st_[i]:
                    st_[i][k] = _tensor_mutation(data.draw, st_[i][k])
        elif where == "optimizer.param_groups":
            opt = state.get("optimizer")
            if isinstance(opt, dict) and opt.get("param_groups"):
                g = opt["param_groups"][0]
                g[data.draw(st.sampled_from(["lr", "betas", "eps", "weight_decay", "params"]))] = (
                    data.draw(st.sampled_from([math.nan, -1.0, 10.0, (2.0, 0.5), [], "x", [0, 99]]))
                )
        else:
            sd = state.get(where)
            if isinstance(sd, dict) and sd:
                k = data.draw(st.sampled_from(sorted(sd)))
                sd[k] = _tensor_mutation(data.draw, sd[k])
    buf = io.BytesIO()
    torch.save(state, buf)
    pt = _write_pair(buf.getvalue(), _META)
    d = _load(pt, pt)
    if d is not None:
        _works(d, pt)
