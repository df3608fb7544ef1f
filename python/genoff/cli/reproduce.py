"""``genoff reproduce``: the paper's Fig. 5(a)-(f) with runs, PNGs, tables and a report."""

from __future__ import annotations

import argparse
from dataclasses import replace

import genoff.cli._common as _common
from genoff import fig5
from genoff._util.io import writable_folder

NAME = "reproduce"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="the paper's Fig. 5(a)-(f): runs, PNGs, CSV/Parquet tables and a report",
        description="Run (or resume) the runs of the paper's Fig. 5 panels and write each "
        "panel as a PNG with seed-to-seed confidence bands, its data as CSV and Parquet, and "
        "report.md with each panel's trend and the oracle's reference values. Rerun the same "
        "command after an interruption to resume: finished runs are kept in OUT/runs.",
    )
    parser.add_argument("--out", required=True, help="output folder (created; resumable)")
    parser.add_argument("--panels", default="a,b,c,d,e,f", help="comma-separated, e.g. d,e,f")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: every panel in about a minute (short learning "
                             "curves)")
    parser.add_argument("--seeds", type=_common.pos_int, default=None,
                        help="seeds per curve (default: 3 learning / 5 sweep; quick: 2 / 3)")
    parser.add_argument("--steps", type=_common.pos_int, default=None,
                        help="time slots of each learning run, panels a-c (default 40; "
                             "quick 6)")
    parser.add_argument("--scenario", default="paper-fig5",
                        help=f"built-in scenario ({_common.scenario_names()}) or a TOML file "
                             "(default paper-fig5: the paper with a load-aware edge LLM)")
    parser.add_argument("--root-seed", type=_common.nonneg_int, default=0, help="seeds every run")
    parser.add_argument("--sweep-decider", default="oracle",
                        help=f"decider of the delay panels d-f: one of {_common.decider_names()} "
                             "(default: the exact oracle)")
    _common.executor_flags(parser, "dask scheduler (tcp://host:8786) or Ray cluster (auto) to use")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the figures of a reproduction with other settings in "
                             "--out")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    llm = parser.add_argument_group("LLM deciders of panels a-c")
    llm.add_argument("--llm", action="append", default=None, metavar="SPEC",
                     help="embedded (default), openai:MODEL (e.g. openai:gpt-4o) or "
                          "transformers:PATH; repeat to compare LLMs in panels a and b "
                          "(the first also runs panel c)")
    _common.backend_flags(llm)
    llm.add_argument("--epsilon", type=float, default=0.1, help="exploration probability")
    _common.calibrate_flag(llm, "ICL deciders: ")
    _common.fallback_flag(llm)
    return parser


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    panels = [p.strip() for p in args.panels.split(",") if p.strip()]
    bad = [p for p in panels if p not in fig5.PANELS]
    if bad or not panels:
        raise ValueError(f"--panels: expected letters among {','.join(fig5.PANELS)}, "
                         f"got {args.panels!r}")
    writable_folder(args.out, "--out")  # before any run
    try:
        result = fig5.reproduce(
            args.out, panels=panels, settings=settings, executor=args.executor,
            workers=args.workers, address=args.address, force=args.force,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        return _common.sweep_interrupted(args.out)
    for trend in result.trends:
        print(f"Fig. 5({trend.panel}) {trend.line()}")
    print(f"wrote {len(result.files)} files to {args.out} in {result.wall_time_s:.1f} s "
          f"(report: {args.out}/report.md)")
    return _common.report_not_measured(NAME, result.not_measured, args.allow_fallbacks)


def _settings(args: argparse.Namespace) -> fig5.Settings:
    """The reproduction's settings: sizes (--quick, --seeds, --steps), LLMs and deciders."""
    sizes = fig5.QUICK_SIZES if args.quick else fig5.DEFAULT_SIZES
    if args.seeds is not None:
        sizes = fig5.with_seeds(sizes, args.seeds)
    if args.steps is not None:
        sizes = replace(sizes, learn_steps=args.steps)
    return fig5.Settings(
        scenario=args.scenario,
        sizes=sizes,
        llms=tuple(_common.llm_spec(args, item) for item in args.llm or ["embedded"]),
        calibrate=args.calibrate or False,
        epsilon=args.epsilon,
        sweep_decider=args.sweep_decider,
        root_seed=args.root_seed,
    )
