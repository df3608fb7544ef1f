"""A local causal LM through transformers, with shared-prefix batched candidate scoring."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from genoff.llm.base import Backend, BackendError

__all__ = ["TransformersBackend"]

_EXTRA_HINT = "pip install 'genoff[llm]'  (torch, transformers, accelerate)"
_QUANT = (None, "nf4", "int8")


def _torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(f"TransformersBackend needs {e.name}: {_EXTRA_HINT}") from None
    return torch


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
        torch = _torch()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model is None:  # from_model(): the caller sets everything
            return
        if quantization not in _QUANT:
            raise ValueError(f"quantization must be one of {_QUANT}, got {quantization!r}")
        if not isinstance(device, str) or not device:
            raise TypeError("device must be a string such as 'cpu' or 'cuda'")
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be an integer >= 1, got {max_batch!r}")
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
        # transformers >= 5.2x calls the key/value cache `cache`; older versions `past_key_values`
        import inspect

        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = next(
            (k for k in ("logits_to_keep", "num_logits_to_keep") if k in params), None
        )
        self._prefix_key: tuple | None = None
        self._prefix_cache = None
        self._prefix_logits = None
        self.stats = {
            "prefix_runs": 0,  # prefixes computed from scratch
            "prefix_extends": 0,  # prefixes that reused the cache of a common beginning
            "prefix_reuses": 0,  # identical prefixes served from the cache
            "prefix_tokens": 0,  # prefix tokens run through the model
            "scored_suffixes": 0,
            "forward_passes": 0,
        }
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

    # -- scoring ---------------------------------------------------------------------------
    def _prefix(self, prefix_ids: list[int]):
        """Runs the prefix (cached) and returns (cache, last-position log-probs).

        When the prefix changed only towards its end (e.g. one example of the pool replaced),
        the cache is cropped to the tokens the two prefixes share and only the rest is run.
        """
        torch = _torch()
        key = tuple(prefix_ids)
        if key == self._prefix_key:
            self.stats["prefix_reuses"] += 1
            return self._prefix_cache, self._prefix_logits
        from transformers import DynamicCache

        old = self._prefix_key or ()
        common = 0
        limit = min(len(old), len(key))
        while common < limit and old[common] == key[common]:
            common += 1
        common = min(common, len(key) - 1)  # run at least one token: its logits are needed
        if common > 0 and self._prefix_cache is not None:
            cache = self._prefix_cache
            # a negative crop removes tokens from the end (the form every version accepts)
            cache.crop(common - cache.get_seq_length())
            self.stats["prefix_extends"] += 1
        else:
            cache, common = DynamicCache(), 0
            self.stats["prefix_runs"] += 1
        rest = prefix_ids[common:]
        self._prefix_key = None  # invalid until the forward below succeeds
        with torch.no_grad():
            out = self.model(
                input_ids=torch.tensor([rest], device=self.device),
                attention_mask=torch.ones((1, len(prefix_ids)), dtype=torch.long, device=self.device),
                position_ids=torch.arange(common, len(prefix_ids), device=self.device).unsqueeze(0),
                use_cache=True,
                **{self._cache_kw: cache},
            )
        self.stats["prefix_tokens"] += len(rest)
        self._prefix_cache = cache
        self._prefix_logits = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        self._prefix_key = key
        return self._prefix_cache, self._prefix_logits

    def clear_cache(self) -> None:
        """Forget the cached prefix (the next score computes it from scratch)."""
        self._prefix_key, self._prefix_cache, self._prefix_logits = None, None, None

    def score(
        self, prefix: str, suffixes: Sequence[str], candidates: Sequence[str]
    ) -> np.ndarray:
        """Log-probabilities [len(suffixes), len(candidates)] (see the class docstring)."""
        torch = _torch()
        if isinstance(suffixes, str) or isinstance(candidates, str):
            raise TypeError("suffixes and candidates must be sequences of strings")
        if not candidates:
            raise ValueError("candidates must not be empty")
        out = np.zeros((len(suffixes), len(candidates)))
        if not suffixes:
            return out
        framed = [self._frame(prefix, s, candidates) for s in suffixes]
        prefix_ids = self._ids(framed[0][0], special=True)
        if not prefix_ids:
            raise ValueError("prefix must not be empty")
        # A row is one sequence of the batch: (suffix index, [(candidate index, its tokens)],
        # row tokens, context length). Single-token candidates that follow the suffix's own
        # tokens are read from the suffix's last position, riding on another row if possible.
        rows: list[tuple[int, list[tuple[int, list[int]]], list[int], int]] = []
        for i, (_, suffix, cands) in enumerate(framed):
            if not suffix:
                raise ValueError("suffixes must not be empty")
            ctx = self._ids(suffix, special=False)
            singles, multis = [], []
            for j, c in enumerate(cands):
                full = self._ids(suffix + c, special=False)
                n = 0  # tokens shared with the bare suffix (BPE may merge at the seam)
                while n < min(len(ctx), len(full)) and ctx[n] == full[n]:
                    n += 1
                head, tail = full[:n], full[n:]
                if not tail:
                    raise ValueError(f"candidate {c!r} adds no tokens to the suffix")
                if n == len(ctx) and len(tail) == 1:
                    singles.append((j, tail))
                else:
                    multis.append((j, head, tail))
            host = next((k for k, (_, head, _) in enumerate(multis) if head == ctx), None)
            for k, (j, head, tail) in enumerate(multis):
                rows.append((i, [(j, tail)] + (singles if k == host else []), head + tail, len(head)))
            if singles and host is None:
                rows.append((i, singles, ctx, len(ctx)))
        # Tokens every row starts with (e.g. "Keywords: (") join the cached prefix, so they run
        # once; every row keeps at least one token.
        common = 0
        shortest = min(len(r[2]) for r in rows)
        while common < shortest - 1 and all(r[2][common] == rows[0][2][common] for r in rows):
            common += 1
        if common:
            prefix_ids = prefix_ids + rows[0][2][:common]
            rows = [(i, reads, toks[common:], n_ctx - common) for i, reads, toks, n_ctx in rows]
        cache, prefix_logits = self._prefix(prefix_ids)
        prefix_logp = prefix_logits.cpu()
        prefix_len = len(prefix_ids)
        pad = self.tokenizer.pad_token_id
        pad = pad if pad is not None else (self.tokenizer.eos_token_id or 0)
        for start in range(0, len(rows), self.max_batch):
            batch = rows[start : start + self.max_batch]
            width = max(len(r[2]) for r in batch)
            # Rows are left-padded (padding between prefix and row, masked out), so the
            # positions whose logits are needed are the last `keep` of every row and the
            # vocabulary projection runs only there.
            keep = max(len(toks) - n_ctx + 1 for _, _, toks, n_ctx in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), prefix_len + width), dtype=torch.long)
            mask[:, :prefix_len] = 1
            positions = torch.full((len(batch), width), prefix_len, dtype=torch.long)
            for b, (_, _, toks, _) in enumerate(batch):
                off = width - len(toks)
                ids[b, off:] = torch.tensor(toks, dtype=torch.long)
                mask[b, prefix_len + off :] = 1
                positions[b, off:] = prefix_len + torch.arange(len(toks))
            kv = copy.deepcopy(cache)
            kv.batch_repeat_interleave(len(batch))
            extra = {self._keep_kw: keep} if self._keep_kw else {}
            with torch.no_grad():
                logits = self.model(
                    input_ids=ids.to(self.device),
                    attention_mask=mask.to(self.device),
                    position_ids=positions.to(self.device),
                    use_cache=True,
                    **{self._cache_kw: kv},
                    **extra,
                ).logits
            self.stats["forward_passes"] += 1
            logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            first_kept = width - logp.shape[1]  # column of logp[:, 0]
            for b, (i, reads, toks, n_ctx) in enumerate(batch):
                off = width - len(toks)
                for j, tail in reads:
                    total = 0.0
                    for m, tok in enumerate(tail):
                        pos = n_ctx - 1 + m  # logits at pos predict token pos + 1
                        dist = prefix_logp if pos < 0 else logp[b, off + pos - first_kept]
                        total += float(dist[tok])
                    out[i, j] = total
        self.stats["scored_suffixes"] += len(suffixes)
        return out

    def generate(self, prompt: str, *, max_new_tokens: int = 8) -> str:
        """Greedy continuation of ``prompt`` (the naive baseline and generate-and-parse mode)."""
        torch = _torch()
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

    def config(self) -> dict:
        return {
            "name": self.name,
            "model": self._model_id,
            "device": self.device,
            "quantization": self.quantization,
            "dtype": self.dtype,
            "chat": self.chat,
        }
