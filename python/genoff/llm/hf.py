"""A local causal LM through transformers, with shared-prefix batched candidate scoring.

The scoring itself (plan, forward, read) lives in :mod:`genoff.llm.hf_scoring`; torch and
transformers are imported only when a backend is created.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Sequence

import numpy as np

from genoff._util import validate
from genoff.llm.base import Backend, BackendError, score_arguments
from genoff.llm.hf_scoring import (
    CachedForward,
    fold_shared_start,
    plan_rows,
    read_batch,
    require_torch,
)

__all__ = ["TransformersBackend"]

_QUANT = (None, "nf4", "int8")


class TransformersBackend(Backend):
    """A causal LM loaded with transformers from a local folder (or a hub id).

    Scoring (eq. 5): the prefix (task description + examples) is run once and its key/value
    cache kept; every suffix (a request's query) is then scored on top of that cache in one
    batched forward pass, reading each candidate's log-probability from the logits. Single-
    token candidates are read from the last query position, so a batch holds one sequence
    per distinct query plus one per multi-token candidate. The prefix cache is reused while
    the prefix stays the same (e.g. across steps with an unchanged experience pool).

    Prefix and suffix are tokenized separately (the prompt builder splits at a line break),
    so the scored token sequence is exactly ``tokens(prefix) + tokens(suffix)``.

    Args:
        model: a local folder (loaded with ``local_files_only=True``) or a hub id.
        device: "cpu", "cuda", "cuda:1", ...
        quantization: None, "nf4" (4-bit NormalFloat through bitsandbytes; works on CPU
            too) or "int8".
        dtype: torch dtype name for the weights / compute ("float32", "bfloat16", ...);
            default float32 on CPU and bfloat16 on CUDA.
        chat: wrap prompts in the tokenizer's chat template (query as the user turn,
            candidates as the start of the assistant's answer).
        max_batch: sequences per forward pass.
    """

    supports_logprobs = True
    config_keys = ("model", "device", "quantization", "dtype", "chat")
    config_sources = {"model": "_model_id"}

    def __init__(
        self,
        model: str | os.PathLike | None,
        *,
        device: str = "cpu",
        quantization: str | None = None,
        dtype: str | None = None,
        chat: bool = False,
        max_batch: int = 32,
    ) -> None:
        torch = require_torch()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model is None:  # from_model(): the caller sets everything
            return
        if quantization not in _QUANT:
            raise ValueError(f"quantization must be one of {_QUANT}, got {quantization!r}")
        if not isinstance(device, str) or not device:
            raise TypeError("device must be a string such as 'cpu' or 'cuda'")
        max_batch = validate.integer("max_batch", max_batch, ge=1, type_error=ValueError)
        if dtype is None:
            dtype = "bfloat16" if device.startswith("cuda") else "float32"
        torch_dtype = getattr(torch, str(dtype), None)
        if not isinstance(torch_dtype, torch.dtype):
            raise ValueError(f"dtype must name a torch dtype such as 'float32', got {dtype!r}")
        local = Path(model).is_dir()
        kwargs: dict = {"dtype": torch_dtype, "local_files_only": local}
        if quantization is not None:
            from transformers import BitsAndBytesConfig

            if quantization == "nf4":
                kwargs["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True,
                    bnb_4bit_quant_type="nf4",  # the default fp4 distorts scores
                    bnb_4bit_compute_dtype=torch_dtype,
                )
            else:
                kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
            kwargs["device_map"] = {"": device}
        self.tokenizer = AutoTokenizer.from_pretrained(str(model), local_files_only=local)
        self.model = AutoModelForCausalLM.from_pretrained(str(model), **kwargs)
        if quantization is None:
            self.model.to(device)
        self._setup(device, quantization, str(dtype), chat, max_batch, str(model))

    @classmethod
    def from_model(
        cls, model, tokenizer, *, device: str, name: str = "in-memory", chat: bool = False,
        max_batch: int = 32,
    ) -> "TransformersBackend":
        """Wrap an already loaded model and tokenizer (e.g. built from a config in memory)."""
        self = cls(None)  # type: ignore[arg-type]
        self.tokenizer, self.model = tokenizer, model
        quant = getattr(getattr(model, "config", None), "quantization_config", None)
        dtype = str(next(model.parameters()).dtype).replace("torch.", "")
        self._setup(device, "custom" if quant else None, dtype, chat, max_batch, name)
        return self

    def _setup(self, device, quantization, dtype, chat, max_batch, model_id) -> None:
        self.model.eval()
        self.device = device
        self.quantization = quantization
        self.dtype = dtype
        self.chat = bool(chat)
        self.max_batch = max_batch
        self.name = f"transformers:{Path(model_id).name}"
        self._model_id = model_id
        self.stats = {
            "prefix_runs": 0,  # prefixes computed from scratch
            "prefix_extends": 0,  # prefixes that reused the cache of a common beginning
            "prefix_reuses": 0,  # identical prefixes served from the cache
            "prefix_tokens": 0,  # prefix tokens run through the model
            "scored_suffixes": 0,
            "forward_passes": 0,
        }
        self._forward = CachedForward(self.model, device, self.stats)
        if self.chat:
            self._chat_head, self._chat_tail = self._chat_frame()

    # -- prompt framing -------------------------------------------------------------------
    def _chat_frame(self) -> tuple[str, str]:
        marker = "\x00GENOFF\x00"
        text = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": marker}], tokenize=False, add_generation_prompt=True
        )
        head, sep, tail = text.partition(marker)
        if not sep:
            raise BackendError("the tokenizer's chat template dropped the user message")
        return head, tail

    def _frame(self, prefix: str, suffix: str, candidates: Sequence[str]):
        if not self.chat:
            return prefix, suffix, list(candidates)
        return self._chat_head + prefix, suffix + self._chat_tail, [c.lstrip() for c in candidates]

    def _ids(self, text: str, *, special: bool) -> list[int]:
        return self.tokenizer(text, add_special_tokens=special)["input_ids"]

    def _pad_id(self) -> int:
        """The token that pads a batch's rows (masked out, so any id would do)."""
        pad = self.tokenizer.pad_token_id
        return pad if pad is not None else (self.tokenizer.eos_token_id or 0)

    # -- scoring ---------------------------------------------------------------------------
    @property
    def _prefix_key(self) -> tuple[int, ...] | None:
        """Token ids of the cached prefix (None: nothing cached)."""
        return self._forward.prefix_key

    def clear_cache(self) -> None:
        """Forget the cached prefix (the next score computes it from scratch)."""
        self._forward.clear()

    def score(
        self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]
    ) -> np.ndarray:
        """Log-probabilities [len(suffixes), len(candidates)] (see the class docstring):
        plan the rows, run the prefix and the rows' batches, read the candidates off them."""
        suffixes, candidates = score_arguments(prefix, suffixes, candidates)
        out = np.zeros((len(suffixes), len(candidates)))
        if not suffixes:
            return out
        framed = [self._frame(prefix, s, candidates) for s in suffixes]
        prefix_ids = self._ids(framed[0][0], special=True)
        if not prefix_ids:
            raise ValueError("prefix must not be empty")
        rows = plan_rows([(suffix, cands) for _, suffix, cands in framed],
                         partial(self._ids, special=False))
        prefix_ids, rows = fold_shared_start(prefix_ids, rows)
        cache, prefix_logits = self._forward.prefix(prefix_ids)
        prefix_logp = prefix_logits.cpu()
        for start in range(0, len(rows), self.max_batch):
            batch = rows[start : start + self.max_batch]
            logp = self._forward.rows(batch, cache, len(prefix_ids), self._pad_id())
            read_batch(out, batch, logp, prefix_logp)
        self.stats["scored_suffixes"] += len(suffixes)
        return out

    def generate(self, prompt: str, *, max_new_tokens: int = 8) -> str:
        """Greedy continuation of ``prompt`` (the naive baseline and generate-and-parse mode)."""
        torch = require_torch()
        if self.chat:
            prompt = self._chat_head + prompt + self._chat_tail
        ids = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        with torch.no_grad():
            out = self.model.generate(
                **ids, max_new_tokens=max_new_tokens, do_sample=False,
                pad_token_id=(
                    self.tokenizer.pad_token_id
                    if self.tokenizer.pad_token_id is not None
                    else self.tokenizer.eos_token_id
                ),
            )
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
