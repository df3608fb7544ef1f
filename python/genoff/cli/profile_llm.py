"""``genoff profile-llm``: TTFT and TPOT of a local transformers model -> a catalog entry."""

from __future__ import annotations

import argparse
from pathlib import Path

import genoff.cli._common as _common
from genoff.llm.profile import catalog_entry, profile_model

NAME = "profile-llm"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="measure TTFT and TPOT of a local transformers model and write a catalog entry",
    )
    parser.add_argument("--model", required=True, help="local model folder (or hub id)")
    parser.add_argument("--name", default=None, help="catalog name (default: the folder name)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default=None,
                        help="float32, bfloat16, ... (default: per device)")
    parser.add_argument("--quantization", choices=["nf4", "int8"], default=None)
    parser.add_argument("--prompt-tokens", type=_common.pos_int, default=256)
    parser.add_argument("--new-tokens", type=_common.pos_int, default=32)
    parser.add_argument("--repeats", type=_common.pos_int, default=3)
    parser.add_argument("--quality", type=float, default=None,
                        help="the model's quality index (MMLU 5-shot, %%), if known")
    parser.add_argument("--out", default=None, help="TOML file to write (refuses to overwrite)")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.new_tokens < 2:
        raise ValueError("--new-tokens must be >= 2")
    if args.out is not None and Path(args.out).exists():
        raise FileExistsError(f"{args.out} exists; choose another --out")
    profile = profile_model(
        args.model, device=args.device, dtype=args.dtype, quantization=args.quantization,
        prompt_tokens=args.prompt_tokens, new_tokens=args.new_tokens, repeats=args.repeats,
        name=args.name,
    )
    entry = catalog_entry(profile, quality=args.quality)
    tokens_per_s = 1 / profile.tpot_s if profile.tpot_s > 0 else float("inf")
    print(f"{profile.name}: TTFT {profile.ttft_s * 1e3:.1f} ms, TPOT "
          f"{profile.tpot_s * 1e3:.2f} ms ({tokens_per_s:.1f} tokens/s), "
          f"{profile.params_b:.3f} B parameters, {profile.hardware} ({profile.device})")
    if args.out is not None:
        Path(args.out).write_text(entry, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(entry)
    return 0
