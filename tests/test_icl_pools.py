"""Experience pools (paper Sec. III-B): prioritized replay rules, latest-N, JSON persistence."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genoff.deciders.icl import Experience, LatestPool, PrioritizedPool, load_pool

os.environ.setdefault("HF_HUB_OFFLINE", "1")

KEYWORDS = st.tuples(st.sampled_from(["chatting", "coding", "translation"]),
                     st.sampled_from(["short", "middle", "long"]))
# rewards from a small set, so that ties and repeats are frequent
REWARDS = st.sampled_from([-30.5, -1.0, 0.0, 5.25, 12.0, 12.5, 33.0])
EXPERIENCE = st.tuples(KEYWORDS, st.sampled_from(["local", "offload"]), REWARDS, st.booleans())
STREAMS = st.lists(EXPERIENCE, max_size=60)


@given(STREAMS)
def test_prioritized_pool_follows_the_papers_rules(stream):
    pool = PrioritizedPool()
    best: dict[tuple, tuple] = {}  # the reference: first experience with the max reward
    for kw, decision, reward, violated in stream:
        before = pool.examples()
        old = best.get(kw)
        e = pool.add(kw, decision, reward, violated)
        improves = old is None or reward > old[1]
        # what the experience was judged to be (Step 3 and the replay rules)
        good = improves and not violated
        assert e == Experience(kw, decision, reward, good=good, violated=violated)
        if improves:
            best[kw] = (decision, reward, violated)
        else:
            assert pool.examples() == before  # a non-improving newcomer changes nothing
        # one example per keyword tuple seen, holding the best (first on ties) experience
        examples = pool.examples()
        assert len(pool) == len(examples) == len(best)
        assert [x.keywords for x in examples] == sorted(best)
        for x in examples:
            d, r, v = best[x.keywords]
            assert (x.decision, x.reward, x.violated) == (d, r, v)
            assert x.good == (not v)  # a stored violating example is a Bad decision


def test_prioritized_pool_tie_keeps_the_first():
    pool = PrioritizedPool()
    pool.add(("coding", "long"), "offload", 10.0, False)
    e = pool.add(("coding", "long"), "local", 10.0, False)
    assert not e.good
    assert [x.decision for x in pool.examples()] == ["offload"]


@given(STREAMS, st.integers(1, 8))
def test_latest_pool_keeps_the_last_n_in_order(stream, capacity):
    pool = LatestPool(capacity)
    for kw, decision, reward, violated in stream:
        e = pool.add(kw, decision, reward, violated)
        assert e.good == (not violated)
    expected = [
        Experience(kw, d, r, good=not v, violated=v) for kw, d, r, v in stream[-capacity:]
    ] if stream else []
    assert pool.examples() == expected


@pytest.mark.parametrize("make", [PrioritizedPool, lambda: LatestPool(7)])
@given(stream=STREAMS)
def test_save_load_round_trip_is_json(tmp_path_factory, make, stream):
    pool = make()
    for kw, decision, reward, violated in stream:
        pool.add(kw, decision, reward, violated)
    path = tmp_path_factory.mktemp("pool") / "pool.json"
    pool.save(path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)  # valid JSON, never a pickle
    assert data["kind"] == pool.kind
    loaded = load_pool(path)
    assert type(loaded) is type(pool)
    assert loaded.examples() == pool.examples()
    if isinstance(pool, LatestPool):
        assert loaded.capacity == pool.capacity
    # the loaded pool goes on following the same rules
    loaded.add(("chatting", "short"), "local", 99.0, False)
    pool.add(("chatting", "short"), "local", 99.0, False)
    assert loaded.examples() == pool.examples()


def test_saved_file_is_plain_json_text(tmp_path):
    pool = PrioritizedPool()
    pool.add(("coding", "long"), "offload", 20.0, False)
    pool.save(tmp_path / "p.json")
    raw = (tmp_path / "p.json").read_bytes()
    assert not raw.startswith(b"\x80")  # a pickle protocol header
    assert json.loads(raw.decode("utf-8")) == {
        "kind": "prioritized",
        "examples": [{"keywords": ["coding", "long"], "decision": "offload", "reward": 20.0,
                      "good": True, "violated": False}],
    }


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "pool.json"
    pool = PrioritizedPool()
    pool.add(("coding", "long"), "offload", 20.0, False)
    pool.save(path)
    before = path.read_bytes()

    pool.add(("chatting", "short"), "local", 30.0, False)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        pool.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the previous file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.json"]  # no temp file left
    pool.save(path)
    assert len(load_pool(path)) == 2


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\x80\x04\x95 a pickle",
        b"[1, 2, 3]",
        b'{"kind": "replay-buffer", "examples": []}',
        b'{"examples": []}',
        b'{"kind": "prioritized", "examples": "abc"}',
        b'{"kind": "prioritized", "examples": [{"foo": 1}]}',
        b'{"kind": "prioritized", "examples": [{"decision": "local"}]}',
        b'{"kind": "prioritized", "examples": [{"keywords": "coding", "decision": "local", '
        b'"reward": 1.0, "good": true}]}',
        b'{"kind": "prioritized", "examples": [{"keywords": ["coding"], "decision": "local", '
        b'"reward": NaN, "good": true}]}',
        b'{"kind": "latest", "capacity": 0, "examples": []}',
        b'{"kind": "latest", "capacity": "many", "examples": []}',
    ],
)
def test_load_of_corrupt_or_foreign_json_names_the_file(tmp_path, content):
    path = tmp_path / "weird-pool.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="weird-pool.json"):
        load_pool(path)


def test_load_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_pool(tmp_path / "absent.json")


@pytest.mark.parametrize("make", [PrioritizedPool, LatestPool])
def test_add_rejects_bad_experiences(make):
    pool = make()
    with pytest.raises(ValueError, match="decision"):
        pool.add(("coding", "long"), "cloud", 1.0, False)
    with pytest.raises(ValueError, match="reward"):
        pool.add(("coding", "long"), "local", float("nan"), False)
    with pytest.raises(ValueError, match="reward"):
        pool.add(("coding", "long"), "local", float("inf"), False)
    assert len(pool) == 0


@pytest.mark.parametrize("capacity", [0, -3, 2.5, True])
def test_latest_pool_capacity_must_be_a_positive_integer(capacity):
    with pytest.raises(ValueError, match="capacity"):
        LatestPool(capacity)


def test_saved_file_permissions_follow_the_umask(tmp_path):
    # a temporary file is renamed into place: it must not keep mkstemp's private 0600 mode
    old = os.umask(0o022)
    try:
        pool = PrioritizedPool()
        pool.add(("coding", "long"), "offload", 20.0, False)
        pool.save(tmp_path / "p.json")
    finally:
        os.umask(old)
    assert (tmp_path / "p.json").stat().st_mode & 0o777 == 0o644
