"""Backends from plain-data specs (genoff.llm.make_backend) and ICL deciders built from them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from genoff.deciders.icl import ICLDecider
from genoff.llm import backend_label, make_backend
from genoff.llm.openai import OpenAIBackend


@pytest.mark.parametrize(
    "spec, exc, match",
    [
        ("embedded", TypeError, "mapping"),
        ({}, ValueError, "kind"),
        ({"kind": "gguf"}, ValueError, "kind"),
        ({"kind": "embedded", "model": "x"}, ValueError, "model"),
        ({"kind": "transformers"}, ValueError, "needs 'model'"),
        ({"kind": "openai", "model": ""}, ValueError, "needs 'model'"),
        ({"kind": "openai", "model": "m", "api_key": "sk-1"}, ValueError, "api_key"),
    ],
)
def test_bad_specs_name_the_problem(spec, exc, match):
    with pytest.raises(exc, match=match):
        make_backend(spec)
    with pytest.raises(exc, match=match):
        ICLDecider(backend=spec)


def test_openai_spec_builds_the_client_without_contacting_the_server():
    spec = {"kind": "openai", "model": "gpt-4o", "base_url": "http://127.0.0.1:9",
            "chat": True, "api_key_env": "GENOFF_TEST_NO_SUCH_KEY"}
    b = make_backend(spec)
    assert isinstance(b, OpenAIBackend)
    assert b.config()["model"] == "gpt-4o" and b.config()["chat"] is True
    assert make_backend(spec) is not b  # not shared unless asked
    assert make_backend(spec, shared=True) is make_backend(spec, shared=True)
    assert backend_label(spec) == "gpt-4o"
    assert backend_label({"kind": "transformers", "model": "/models/llama3-8b/"}) == "llama3-8b"
    assert backend_label({"kind": "embedded"}) == "SmolLM2-135M (embedded)"


def test_icl_decider_from_a_spec_is_plain_data_until_used():
    d = ICLDecider(backend={"kind": "embedded"}, calibrate=True)
    # nothing loaded yet; the config records the spec
    assert d._backend_ref._backend is None
    assert d.config()["backend"] == {"kind": "embedded"}
    json.dumps(d.config())
    b = d.backend
    assert b is make_backend({"kind": "embedded"}, shared=True)  # one model per process
    scores = b.score(d.builder.prefix([]), [d.builder.query(("chatting", "short"))],
                     [" local", " offload"])
    assert scores.shape == (1, 2) and np.isfinite(scores).all()
    # a shared backend handed out again starts from a clean prefix cache
    reused = make_backend({"kind": "embedded"}, shared=True)
    assert reused is b and reused._prefix_key is None
    assert d.config()["backend"]["name"] == b.config()["name"]
