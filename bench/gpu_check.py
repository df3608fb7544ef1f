"""GPU check of the ICL decider: a Llama-3-8B-shaped model, 4-bit nf4, one 20-user step two ways.

On a CUDA machine without internet this builds a model with Llama-3-8B's configuration
(32 layers, hidden 4096, GQA 32/8 heads, MLP 14336, vocabulary 128256) and random weights
(nothing is downloaded), quantizes its linear layers to 4-bit NormalFloat with bitsandbytes
(bf16 compute, the paper's setting), and times one decision step for 20 users:

* shared prefix: the task description and examples run once, all distinct queries scored in
  one batched pass on the prefix's key/value cache (``genoff.llm.TransformersBackend``);
* naive: one ``generate`` call per request with the full prompt.

The prompts are genoff's real ICL prompts (``genoff.deciders.icl.PromptBuilder``) with a pool of 15
examples. Random weights make the decisions meaningless; only the timing is measured. The
tokenizer is the embedded SmolLM2's (no download); its ids fit the 128256-entry vocabulary.

Usage:  python bench/gpu_check.py [--device cuda] [--size full|tiny] [--no-quantize]
        [--tokenizer DIR] [--json OUT]
A test runs it on CPU at ``--size tiny`` (tests/test_gpu_check.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))  # source tree, no build needed

from genoff.deciders.icl import DECISIONS, PrioritizedPool, PromptBuilder  # noqa: E402
from genoff.llm.hf import TransformersBackend  # noqa: E402
from genoff.world.tasks import SERVICE_TYPES, Requests  # noqa: E402

LLAMA3_8B = dict(
    vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
    rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
)
TINY = dict(
    vocab_size=49152, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
    rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
)


def build_model(size: str, device: str, quantize: bool, dtype=None):
    """A LlamaForCausalLM with random weights; nf4-quantized linear layers if ``quantize``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    dtype = dtype or (torch.bfloat16 if device.startswith("cuda") else torch.float32)
    config = LlamaConfig(**(LLAMA3_8B if size == "full" else TINY))
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    if quantize:
        import bitsandbytes as bnb

        for layer in model.model.layers:
            for parent in (layer.self_attn, layer.mlp):
                for name, child in list(parent.named_children()):
                    if isinstance(child, torch.nn.Linear):
                        q = bnb.nn.Linear4bit(
                            child.in_features, child.out_features, bias=child.bias is not None,
                            compute_dtype=dtype, quant_type="nf4", device="meta",
                        )
                        q.weight = bnb.nn.Params4bit(
                            child.weight.data, requires_grad=False, quant_type="nf4"
                        ).to(device)  # quantizes on the way
                        setattr(parent, name, q)
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    model.eval()
    return model, config


def _config_parameters(config) -> int:
    """Parameters of the unquantized model (packed 4-bit tensors hide the real count)."""
    from transformers import LlamaForCausalLM
    import torch

    with torch.device("meta"):
        return sum(p.numel() for p in LlamaForCausalLM(config).parameters())


def load_tokenizer(folder: str | None):
    from transformers import AutoTokenizer

    if folder:
        return AutoTokenizer.from_pretrained(folder, local_files_only=True)
    from genoff.llm.embedded import embedded_model_path

    return AutoTokenizer.from_pretrained(str(embedded_model_path()), local_files_only=True)


def make_step(num_users: int, seed: int = 0):
    """A pool of 15 examples (every service x level) and one step's requests."""
    rng = np.random.default_rng(seed)
    builder = PromptBuilder()
    pool = PrioritizedPool()
    for s in range(len(SERVICE_TYPES)):
        for lvl, name in enumerate(builder.level_names):
            pool.add((SERVICE_TYPES[s].replace("_", " "), name), DECISIONS[int(s >= 3)],
                     float(rng.uniform(5, 35)), False)
    service = rng.integers(0, len(SERVICE_TYPES), num_users)
    level = rng.integers(0, 3, num_users)
    req = Requests(
        user=np.arange(num_users), service=service, quality_preferred=service >= 3,
        quality_req=np.where(service >= 3, 68.5, 45.0), n_tokens=np.full(num_users, 1000),
        est_tokens=np.full(num_users, 1000.0), size_level=level, level_names=builder.level_names,
    )
    prefix = builder.prefix(pool.examples())
    pool.add(("summarization", "long"), "offload", 99.0, False)  # the next step: one example replaced
    next_prefix = builder.prefix(pool.examples())
    queries = [builder.query(k) for k in builder.keywords(req)]
    return prefix, next_prefix, queries


def sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def time_step(backend: TransformersBackend, prefix: str, next_prefix: str, queries: list[str],
              device: str, repeats: int):
    """Seconds per step (medians): shared-prefix scoring with a cold prefix cache, with the
    cache of a pool that differs by one example (the usual step while learning), and one
    generate per request."""
    cands = [" " + d for d in DECISIONS]
    unique = list(dict.fromkeys(queries))

    def shared_step(p: str) -> float:
        sync(device)
        t0 = time.perf_counter()
        decisions = dict(zip(unique, np.argmax(backend.score(p, unique, cands), axis=1)))
        _ = [decisions[q] for q in queries]
        sync(device)
        return time.perf_counter() - t0

    cold, incremental, naive = [], [], []
    for r in range(repeats + 1):  # the first round warms up
        backend.clear_cache()
        t_cold = shared_step(prefix)
        t_inc = shared_step(next_prefix)
        sync(device)
        t0 = time.perf_counter()
        for q in queries:
            backend.generate(prefix + q, max_new_tokens=2)
        sync(device)
        if r > 0:
            cold.append(t_cold)
            incremental.append(t_inc)
            naive.append(time.perf_counter() - t0)
    return float(np.median(cold)), float(np.median(incremental)), float(np.median(naive))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--size", choices=["full", "tiny"], default="full")
    ap.add_argument("--no-quantize", action="store_true")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tokenizer", default=None, help="tokenizer folder (default: the embedded model's)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    import torch

    t0 = time.perf_counter()
    print(f"building the {args.size} model on {args.device} ...", file=sys.stderr, flush=True)
    model, config = build_model(args.size, args.device, not args.no_quantize)
    build_s = time.perf_counter() - t0
    print(f"built in {build_s:.1f} s; timing {args.repeats} steps each way ...", file=sys.stderr, flush=True)
    tok = load_tokenizer(args.tokenizer)
    backend = TransformersBackend.from_model(model, tok, device=args.device, name=f"llama3-8b-config-{args.size}")
    prefix, next_prefix, queries = make_step(args.users)
    shared, incremental, naive = time_step(backend, prefix, next_prefix, queries, args.device, args.repeats)
    prefix_tokens = len(tok(prefix)["input_ids"])
    out = {
        "device": torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "cpu",
        "size": args.size,
        "quantization": None if args.no_quantize else "nf4 (bf16 compute)" if args.device.startswith("cuda") else "nf4",
        "parameters_b": _config_parameters(config) / 1e9,
        "gpu_memory_gb": torch.cuda.max_memory_allocated(args.device) / 1e9 if args.device.startswith("cuda") else None,
        "build_s": build_s,
        "users": args.users,
        "distinct_queries": len(set(queries)),
        "prefix_tokens": prefix_tokens,
        "shared_prefix_step_s": shared,
        "shared_prefix_incremental_step_s": incremental,
        "naive_step_s": naive,
        "speedup": naive / shared,
        "speedup_incremental": naive / incremental,
        "decisions_per_s_shared": args.users / shared,
        "decisions_per_s_shared_incremental": args.users / incremental,
        "decisions_per_s_naive": args.users / naive,
        "torch": torch.__version__,
    }
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
