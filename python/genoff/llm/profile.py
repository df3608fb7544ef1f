"""``genoff profile-llm``: measure TTFT and TPOT of a local transformers model (beyond the paper).

The paper's eq. (3) needs each model's time to first token (TTFT) and time per output
token (TPOT) on the hardware that serves it. This module measures them for a local model on
this machine, greedy decoding with batch size 1:

* TTFT = wall time of a generation of exactly 1 token from a ``prompt_tokens``-token prompt
  (tokenization excluded; prefill plus the first decode step);
* TPOT = (time of a generation of exactly ``new_tokens`` tokens - TTFT) / (new_tokens - 1).

Each is the median of ``repeats`` runs after one warm-up. The result is written as a catalog
entry (TOML) that :func:`genoff.world.catalog.load_catalog` reads, so users calibrate the catalog
to their own edge server.
"""

from __future__ import annotations

import json
import platform
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from genoff._util import validate
from genoff.llm.hf import TransformersBackend
from genoff.llm.hf_scoring import require_torch

__all__ = ["Profile", "profile_model", "catalog_entry"]


@dataclass(frozen=True)
class Profile:
    name: str
    ttft_s: float
    tpot_s: float
    params_b: float
    prompt_tokens: int
    new_tokens: int
    repeats: int
    device: str
    hardware: str


def profile_model(
    model: str,
    *,
    device: str = "cpu",
    dtype: str | None = None,
    quantization: str | None = None,
    prompt_tokens: int = 256,
    new_tokens: int = 32,
    repeats: int = 3,
    name: str | None = None,
) -> Profile:
    """Measure TTFT and TPOT of ``model`` (a local folder or hub id); see the module docstring."""
    for arg, value, lowest in (("prompt_tokens", prompt_tokens, 1), ("new_tokens", new_tokens, 2),
                               ("repeats", repeats, 1)):
        validate.integer(arg, value, ge=lowest, type_error=ValueError)
    torch = require_torch()
    backend = TransformersBackend(model, device=device, dtype=dtype, quantization=quantization)
    tok, lm = backend.tokenizer, backend.model
    # A prompt of exactly prompt_tokens tokens: repeat a sentence, then cut.
    text = "The base station serves mobile users who ask a language model to write. " * (prompt_tokens // 8 + 4)
    ids = tok(text, return_tensors="pt")["input_ids"][:, :prompt_tokens].to(device)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    def timed(n: int) -> float:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.no_grad():
            lm.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                min_new_tokens=n, do_sample=False, pad_token_id=pad,
            )
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    timed(2)  # warm-up
    ttft = statistics.median(timed(1) for _ in range(repeats))
    total = statistics.median(timed(new_tokens) for _ in range(repeats))
    if total <= ttft:  # the catalog needs TPOT > 0: never write a made-up 0
        raise ValueError(
            f"timings too noisy: a {new_tokens}-token generation ({total:.4f} s) was not slower "
            f"than a 1-token one ({ttft:.4f} s); use more new_tokens or repeats"
        )
    tpot = (total - ttft) / (new_tokens - 1)
    params = sum(p.numel() for p in lm.parameters()) / 1e9
    hardware = (
        torch.cuda.get_device_name(device) if device.startswith("cuda") else (platform.processor() or platform.machine())
    )
    if name is None:  # the folder name as a bare TOML key ("a.b" would nest tables)
        name = re.sub(r"[^a-z0-9_-]+", "-", Path(str(model)).name.lower()).strip("-") or "model"
    return Profile(
        name=name,
        ttft_s=ttft, tpot_s=tpot, params_b=params, prompt_tokens=int(ids.shape[1]),
        new_tokens=new_tokens, repeats=repeats, device=device, hardware=hardware,
    )


def _toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML escapes)."""
    return json.dumps(str(text), ensure_ascii=False)


def catalog_entry(p: Profile, *, quality: float | None = None, quality_source: str | None = None) -> str:
    """A ``[models.<name>]`` TOML table for :func:`genoff.world.catalog.load_catalog`."""
    key = p.name if re.fullmatch(r"[A-Za-z0-9_-]+", p.name) else _toml_str(p.name)
    how = (
        f"genoff profile-llm on {p.hardware} ({p.device}): median of {p.repeats}, "
        f"prompt {p.prompt_tokens} tokens, greedy, batch 1"
    )
    if quality is None:
        q = ('quality = { value = 0.0, estimated = true, source = "unknown: replace with the '
             "model's MMLU 5-shot score\" }")
    else:
        src = (quality_source or "given to genoff profile-llm --quality").replace('"', "'")
        q = f"quality = {{ value = {float(quality)!r}, source = {_toml_str(src)} }}"
    tpot_how = f"{how}: ({p.new_tokens}-token generation - TTFT) / {p.new_tokens - 1}"
    return "\n".join([
        f"[models.{key}]",
        f"display_name = {_toml_str(p.name)}",
        f"ttft_s = {{ value = {p.ttft_s!r}, source = {_toml_str(how + ': 1-token generation')} }}",
        f"tpot_s = {{ value = {p.tpot_s!r}, source = {_toml_str(tpot_how)} }}",
        q,
        f'params_b = {{ value = {p.params_b!r}, source = "parameters counted by genoff profile-llm" }}',
        "",
    ])
