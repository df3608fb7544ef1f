"""``genoff compare``: deciders x scenarios x seeds side by side on the same requests."""

from __future__ import annotations

import argparse

import genoff.cli._common as _common
from genoff.experiments import compare as comparison

NAME = "compare"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="deciders x scenarios x seeds side by side: fraction of the oracle per window, "
             "QP success, offload shares, s/slot",
        description="Run (or resume) deciders x scenarios x seeds on the same requests and "
        "write compare.md, compare.csv/.parquet (mean, std, min, max), compare_runs.csv/"
        ".parquet (one row per run) and compare.png (reward per slot). This is how to choose "
        "a decider. Rerun the same command after an interruption to resume.",
    )
    parser.add_argument("--out", required=True, help="output folder (created; resumable)")
    parser.add_argument("--scenario", action="append", default=None, metavar="NAME",
                        help="built-in name or TOML path; repeat for several (default: paper)")
    parser.add_argument("--deciders", default="oracle,local,bandit,icl,llm-prior,dqn",
                        help="comma-separated names, each optionally NAME:KEY=VALUE "
                             "(e.g. icl:calibrate='batch')")
    parser.add_argument("--seeds", type=_common.pos_int, default=3, help="seeds per decider")
    parser.add_argument("--steps", type=_common.pos_int, default=40, help="slots per run")
    parser.add_argument("--windows", default=None,
                        help="slot ranges, e.g. 0-4,5-19,20-39 (the default, clipped to "
                             "--steps)")
    parser.add_argument("--root-seed", type=_common.nonneg_int, default=0, help="seeds every run")
    _common.executor_flags(parser, "dask scheduler or Ray cluster address")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the tables of a comparison with other settings in --out")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    llm = parser.add_argument_group("LLM of the LLM deciders")
    llm.add_argument("--llm", default="embedded", metavar="SPEC",
                     help="embedded (default), openai:MODEL or transformers:PATH")
    _common.backend_flags(llm)
    _common.fallback_flag(llm)
    return parser


def run(args: argparse.Namespace) -> int:
    windows = comparison.parse_windows(args.windows) if args.windows is not None else None
    entries = [comparison.parse_decider(d) for d in args.deciders.split(",") if d.strip()]
    llm = _common.llm_spec(args, args.llm)
    try:
        result = comparison.compare(
            args.out, scenarios=args.scenario or ["paper"], deciders=entries, seeds=args.seeds,
            steps=args.steps, root_seed=args.root_seed, windows=windows, llm=llm,
            executor=args.executor, workers=args.workers, address=args.address,
            force=args.force, progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        return _common.sweep_interrupted(args.out)
    print(result.markdown, end="")
    print(f"wrote {len(result.files)} files to {args.out} in {result.wall_time_s:.1f} s")
    return _common.report_not_measured(NAME, result.not_measured, args.allow_fallbacks)
