"""Shared-prefix candidate scoring (eq. 5) for :class:`~genoff.llm.hf.TransformersBackend`.

Three steps, each on its own:

* **plan** (:func:`plan_rows`, :func:`fold_shared_start`): tokenize every suffix and
  candidate and group them into *rows*, the sequences of a batch: one per multi-token
  candidate, single-token candidates riding on a row that ends with the suffix's own tokens;
  tokens every row starts with join the prefix;
* **forward** (:class:`CachedForward`): run the prefix once, keeping its key/value cache
  while the prefix stays the same (extending it when only its end changed), then the rows
  in left-padded batches on copies of that cache;
* **read** (:func:`read_batch`): sum each candidate's token log-probabilities off the
  batch's log-softmax (or off the prefix's last position for a first token there).

torch and transformers are imported only when a forward pass runs.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Row", "require_torch", "plan_rows", "fold_shared_start", "CachedForward", "read_batch",
]

_EXTRA_HINT = "pip install 'genoff[llm]'  (torch, transformers, accelerate)"


def require_torch():
    """The torch module, once transformers is known to be importable too."""
    try:
        import torch
        import transformers  # noqa: F401
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(f"TransformersBackend needs {e.name}: {_EXTRA_HINT}") from None
    return torch


def shared_length(first: Sequence[int], second: Sequence[int]) -> int:
    """How many tokens two sequences start with in common."""
    n = 0
    limit = min(len(first), len(second))
    while n < limit and first[n] == second[n]:
        n += 1
    return n


# -- plan ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One sequence of a batch, after the prefix.

    Attributes:
        suffix: index of the suffix (the row of the score matrix).
        reads: (candidate index, the candidate's tokens) read off this row.
        tokens: the row's tokens.
        n_context: tokens before the first candidate token read here (the logits at
            position ``n_context - 1`` predict it; -1 and below mean the prefix's last one).
    """

    suffix: int
    reads: list[tuple[int, list[int]]]
    tokens: list[int]
    n_context: int


def plan_rows(
    framed: Sequence[tuple[str, Sequence[str]]], tokenize: Callable[[str], list[int]]
) -> list[Row]:
    """The rows scoring every (suffix, its candidates) of ``framed`` needs.

    ``tokenize`` gives a text's tokens without special tokens. A candidate's tokens are those
    of ``tokens(suffix + candidate)`` beyond what it shares with ``tokens(suffix)`` (BPE may
    merge at the seam). Single-token candidates that follow the suffix's own tokens are read
    from the suffix's last position, riding on another row if possible.
    """
    rows: list[Row] = []
    for i, (suffix, candidates) in enumerate(framed):
        rows.extend(_suffix_rows(i, suffix, candidates, tokenize))
    return rows


def _suffix_rows(
    i: int, suffix: str, candidates: Sequence[str], tokenize: Callable[[str], list[int]]
) -> list[Row]:
    if not suffix:
        raise ValueError("suffixes must not be empty")
    context = tokenize(suffix)
    singles: list[tuple[int, list[int]]] = []
    multis: list[tuple[int, list[int], list[int]]] = []
    for j, candidate in enumerate(candidates):
        full = tokenize(suffix + candidate)
        n_shared = shared_length(context, full)
        head, tail = full[:n_shared], full[n_shared:]
        if not tail:
            raise ValueError(f"candidate {candidate!r} adds no tokens to the suffix")
        if n_shared == len(context) and len(tail) == 1:
            singles.append((j, tail))
        else:
            multis.append((j, head, tail))
    host = next((k for k, (_, head, _) in enumerate(multis) if head == context), None)
    rows = [
        Row(i, [(j, tail)] + (singles if k == host else []), head + tail, len(head))
        for k, (j, head, tail) in enumerate(multis)
    ]
    if singles and host is None:
        rows.append(Row(i, singles, context, len(context)))
    return rows


def fold_shared_start(prefix_ids: list[int], rows: list[Row]) -> tuple[list[int], list[Row]]:
    """Moves the tokens every row starts with (e.g. "Keywords: (") into the prefix, so they
    run once; every row keeps at least one token."""
    first = rows[0].tokens
    shortest = min(len(row.tokens) for row in rows)
    common = 0
    while common < shortest - 1 and all(row.tokens[common] == first[common] for row in rows):
        common += 1
    if not common:
        return prefix_ids, rows
    moved = [
        Row(row.suffix, row.reads, row.tokens[common:], row.n_context - common) for row in rows
    ]
    return prefix_ids + first[:common], moved


def batch_width(batch: Sequence[Row]) -> int:
    """Tokens per sequence of a left-padded batch."""
    return max(len(row.tokens) for row in batch)


# -- forward ---------------------------------------------------------------------------------
class CachedForward:
    """Forward passes of a causal LM on top of a kept prefix key/value cache.

    Counts its work in ``stats`` (the backend's dict): ``prefix_runs`` (prefixes computed from
    scratch), ``prefix_extends`` (prefixes that reused the cache of a common beginning),
    ``prefix_reuses`` (identical prefixes served from the cache), ``prefix_tokens`` (prefix
    tokens run) and ``forward_passes`` (batches of rows).
    """

    def __init__(self, model: Any, device: str, stats: dict[str, int]) -> None:
        self.model = model
        self.device = device
        self.stats = stats
        # transformers >= 5.2x calls the key/value cache `cache`; older versions `past_key_values`
        params = inspect.signature(model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = next(
            (k for k in ("logits_to_keep", "num_logits_to_keep") if k in params), None
        )
        #: token ids of the cached prefix (None: nothing cached).
        self.prefix_key: tuple[int, ...] | None = None
        self._prefix_cache = None
        self._prefix_logits = None

    def clear(self) -> None:
        """Forget the cached prefix (the next prefix is computed from scratch)."""
        self.prefix_key, self._prefix_cache, self._prefix_logits = None, None, None

    def _forward(self, cache, input_ids, attention_mask, position_ids, keep: int | None = None):
        torch = require_torch()
        extra = {self._keep_kw: keep} if keep is not None and self._keep_kw else {}
        with torch.no_grad():
            return self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                position_ids=position_ids,
                use_cache=True,
                **{self._cache_kw: cache},
                **extra,
            ).logits

    def prefix(self, prefix_ids: list[int]):
        """Runs the prefix (cached) and returns (cache, last-position log-probs).

        When the prefix changed only towards its end (e.g. one example of the pool replaced),
        the cache is cropped to the tokens the two prefixes share and only the rest is run.
        """
        torch = require_torch()
        key = tuple(prefix_ids)
        if key == self.prefix_key:
            self.stats["prefix_reuses"] += 1
            return self._prefix_cache, self._prefix_logits
        from transformers import DynamicCache

        # run at least one token: its logits are needed
        common = min(shared_length(self.prefix_key or (), key), len(key) - 1)
        if common > 0 and self._prefix_cache is not None:
            cache = self._prefix_cache
            # a negative crop removes tokens from the end (the form every version accepts)
            cache.crop(common - cache.get_seq_length())
            self.stats["prefix_extends"] += 1
        else:
            cache, common = DynamicCache(), 0
            self.stats["prefix_runs"] += 1
        rest = prefix_ids[common:]
        self.prefix_key = None  # invalid until the forward below succeeds
        logits = self._forward(
            cache,
            torch.tensor([rest], device=self.device),
            torch.ones((1, len(prefix_ids)), dtype=torch.long, device=self.device),
            torch.arange(common, len(prefix_ids), device=self.device).unsqueeze(0),
        )
        self.stats["prefix_tokens"] += len(rest)
        self._prefix_cache = cache
        self._prefix_logits = torch.log_softmax(logits[0, -1].float(), dim=-1)
        self.prefix_key = key
        return self._prefix_cache, self._prefix_logits

    def rows(self, batch: Sequence[Row], cache, prefix_len: int, pad: int):
        """Log-softmax [len(batch), kept positions, vocabulary] of a batch of rows (on CPU).

        Rows are left-padded (padding between prefix and row, masked out), so the positions
        whose logits are needed are the last ``keep`` of every row and the vocabulary
        projection runs only there (where the model supports it).
        """
        torch = require_torch()
        width = batch_width(batch)
        keep = max(len(row.tokens) - row.n_context + 1 for row in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), prefix_len + width), dtype=torch.long)
        mask[:, :prefix_len] = 1
        positions = torch.full((len(batch), width), prefix_len, dtype=torch.long)
        for b, row in enumerate(batch):
            off = width - len(row.tokens)
            ids[b, off:] = torch.tensor(row.tokens, dtype=torch.long)
            mask[b, prefix_len + off :] = 1
            positions[b, off:] = prefix_len + torch.arange(len(row.tokens))
        kv = copy.deepcopy(cache)
        kv.batch_repeat_interleave(len(batch))
        logits = self._forward(
            kv, ids.to(self.device), mask.to(self.device), positions.to(self.device), keep=keep
        )
        self.stats["forward_passes"] += 1
        return torch.log_softmax(logits.float(), dim=-1).cpu()


# -- read ------------------------------------------------------------------------------------
def read_batch(out: np.ndarray, batch: Sequence[Row], logp, prefix_logp) -> None:
    """Writes into ``out[suffix, candidate]`` the summed log-probabilities of the candidates
    read off ``batch``; ``logp`` holds the batch's last positions (:meth:`CachedForward.rows`),
    ``prefix_logp`` the prefix's last position."""
    width = batch_width(batch)
    first_kept = width - logp.shape[1]  # column of logp[:, 0]
    for b, row in enumerate(batch):
        off = width - len(row.tokens)
        for j, tail in row.reads:
            total = 0.0
            for m, tok in enumerate(tail):
                pos = row.n_context - 1 + m  # logits at pos predict token pos + 1
                dist = prefix_logp if pos < 0 else logp[b, off + pos - first_kept]
                total += float(dist[tok])
            out[row.suffix, j] = total
