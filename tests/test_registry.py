"""The decider registry: names, metadata that callers use instead of matching names."""

import inspect

import pytest

from genoff.deciders import DECIDERS, LLM_DECIDERS, REGISTRY, info, make_decider


def test_every_name_has_its_metadata():
    assert list(DECIDERS) == list(REGISTRY)
    for name, entry in REGISTRY.items():
        assert entry.name == name and DECIDERS[name] is entry.factory
        assert entry.summary and entry.cost_per_request > 0
    assert LLM_DECIDERS == {"icl", "icl-latest", "icl-noexplore", "llm-prior"}
    assert {n for n, d in REGISTRY.items() if d.family == "icl"} == {
        "icl", "icl-latest", "icl-noexplore"}
    assert {n for n, d in REGISTRY.items() if d.uses_torch} == LLM_DECIDERS | {"dqn"}


def test_llm_deciders_take_a_backend():
    for name in LLM_DECIDERS:
        factory = REGISTRY[name].factory
        params = inspect.signature(factory).parameters
        accepts = "backend" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        assert accepts, name


def test_icl_variants_are_the_paper_baselines():
    latest = make_decider("icl-latest", backend={"kind": "embedded"})
    noexplore = make_decider("icl-noexplore", backend={"kind": "embedded"})
    assert latest.name == "icl-latest" and latest.config()["pool"] == "latest"
    assert noexplore.name == "icl-noexplore" and noexplore.config()["epsilon"] == 0.0


def test_unknown_names_are_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="decider must be one of oracle, local"):
        info("nope")
    with pytest.raises(ValueError, match="got 'nope'"):
        make_decider("nope")
    with pytest.raises(TypeError, match="decider name must be a string"):
        info(3)


def test_seed_reaches_only_the_factories_that_take_one():
    a, b = make_decider("random", seed=7), make_decider("random", seed=7)
    import numpy as np

    assert np.array_equal(a._rng.random(5), b._rng.random(5))
    assert make_decider("oracle", seed=7).name == "oracle"  # Oracle takes no seed
