"""``genoff simulate``: one run of a scenario with a decider -> per-request table + summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import genoff.cli._common as _common
from genoff import experiments
from genoff._util.io import toml_value
from genoff.cli.out_folder import RESUME_DIR, check_out, interrupted_line, write_outputs
from genoff.deciders import DECIDERS, DQNDecider, info, make_decider
from genoff.llm import make_backend
from genoff.world.scenario import load_scenario

NAME = "simulate"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="one run: scenario x decider -> per-request table + summary",
        description="Simulate a scenario with a decider, write the per-request table "
        "(Parquet and CSV) with config, seed and version, and print a summary.",
    )
    parser.add_argument("--scenario", default="paper",
                        help=f"built-in scenario ({_common.scenario_names()}) or a TOML file "
                             "(default paper)")
    parser.add_argument("--decider", default="oracle",
                        help=f"one of {_common.decider_names()} (default oracle; llm-prior is the "
                             "recommended LLM decider)")
    parser.add_argument("--steps", type=_common.pos_int, default=100, help="time slots to simulate")
    parser.add_argument("--users", type=_common.pos_int, default=None,
                        help="users per cell (overrides the scenario)")
    parser.add_argument("--mode", choices=["analytic", "tti"], default=None,
                        help="transmission delay mode (overrides the scenario)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override a scenario field, e.g. --set radio.num_rb=52 (repeatable)")
    parser.add_argument("--seed", type=_common.nonneg_int, default=0)
    parser.add_argument("--out", default=None,
                        help="folder for requests.parquet/.csv and run.json")
    parser.add_argument("--force", action="store_true",
                        help="overwrite results (or an interrupted run) already in --out")
    parser.add_argument("--resume", action="store_true",
                        help="continue the interrupted run in --out (same command otherwise); "
                             "ends with the table of an uninterrupted run")
    parser.add_argument("--checkpoint-every", type=_common.nonneg_float, default=5.0,
                        metavar="SECONDS",
                        help="with --out: save the resumable state in OUT/resume at most every "
                             "SECONDS of running (0: after every slot; default 5)")
    parser.add_argument("--threads", type=_common.threads, default=0,
                        help="core threads, 0 = all")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _llm_flags(parser)
    _dqn_flags(parser)
    return parser


def _llm_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "LLM deciders (llm-prior, icl, icl-latest, icl-noexplore) and the bandit")
    group.add_argument("--backend", choices=_common.BACKENDS, default="embedded",
                       help="embedded SmolLM2 (offline), a transformers model, or an "
                            "OpenAI-compatible server")
    group.add_argument("--model", default=None,
                       help="transformers: local folder or hub id; openai: the model name "
                            "(e.g. gpt-4o)")
    _common.backend_flags(group)
    group.add_argument("--epsilon", type=float, default=None,
                       help="exploration probability (icl deciders, bandit)")
    group.add_argument("--pool", choices=["prioritized", "latest"], default=None,
                       help="experience pool (default: the decider's)")
    _common.calibrate_flag(group)
    _common.fallback_flag(group)
    group.add_argument("--icl-mode", choices=["logprob", "generate"], default="logprob",
                       help="score candidates (eq. 5-6) or generate and parse")


def _dqn_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "DQN decider (dqn): learns online during the run; with --out it also writes "
        "training_curve.csv and the checkpoint dqn.pt + dqn.json")
    group.add_argument("--dqn-checkpoint", default=None, metavar="PATH",
                       help="start from a saved DQN (PATH.pt/PATH.json, e.g. an earlier run's "
                            "OUT/dqn.pt); its hyperparameters are kept")
    group.add_argument("--extra-features", action="store_true",
                       help="state = eq. 8 + quality requirement and log10 throughput "
                            "(analytic mode)")


def run(args: argparse.Namespace) -> int:
    try:
        return _simulate(args)
    except KeyboardInterrupt:  # loading a model, writing: outside the run loop
        print("\n" + interrupted_line(args.out), file=sys.stderr)
        return 130


def _simulate(args: argparse.Namespace) -> int:
    scenario = _scenario(args)
    if args.decider not in DECIDERS:
        raise ValueError(f"--decider must be one of {', '.join(DECIDERS)}; "
                         f"got {args.decider!r}")
    is_dqn = info(args.decider).family == "dqn"
    if not is_dqn and (args.dqn_checkpoint is not None or args.extra_features):
        raise ValueError("--dqn-checkpoint and --extra-features apply to --decider dqn only")
    scenario.models()  # KeyError naming llm.edge/llm.cloud when not in the catalog
    decider = _prepare(args, is_dqn, scenario)
    checkpoint = None
    if args.out is not None and decider.resumable:
        checkpoint = Path(args.out) / RESUME_DIR
    try:
        result = experiments.run(
            scenario, decider, steps=args.steps, seed=args.seed, n_threads=args.threads,
            progress=not args.no_progress, checkpoint=checkpoint, resume=args.resume,
            checkpoint_every_s=args.checkpoint_every,
        )
    except experiments.RunInterrupted as e:
        return _interrupted(args, e, decider, is_dqn, resumable=checkpoint is not None)
    _print_summary(scenario, decider, args, result)
    if args.out is not None:
        paths = write_outputs(result, decider, args.out, is_dqn)
        print("wrote " + ", ".join(str(p) for p in paths))
    return _common.check_fallbacks(NAME, decider.name, getattr(decider, "stats", None),
                           args.allow_fallbacks)


def _scenario(args: argparse.Namespace):
    """--scenario with --set, --users and --mode applied."""
    scenario = load_scenario(args.scenario)
    overrides = parse_overrides(args.overrides)
    if args.users is not None:
        overrides["layout.users_per_cell"] = args.users
    if args.mode is not None:
        overrides["transmission.mode"] = args.mode
    return scenario.with_overrides(overrides) if overrides else scenario


def parse_overrides(items: list[str]) -> dict:
    """``--set KEY=VALUE`` items as {KEY: TOML value}."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = toml_value(value.strip())
    return overrides


def _prepare(args: argparse.Namespace, is_dqn: bool, scenario):
    """Check --out, then build the decider (models load here); a failed start leaves no
    empty --out folder behind."""
    created = args.out is not None and not Path(args.out).exists()
    try:
        check_out(args, is_dqn, scenario)  # before any work (models load below)
        if is_dqn:
            return _make_dqn(args)
        return make_decider(args.decider, **_decider_kwargs(args))
    except BaseException:
        out = Path(args.out) if created else None
        if out is not None and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # leave no empty folder behind a failed start
        raise


def _decider_kwargs(args: argparse.Namespace) -> dict:
    """Decider options from the LLM and bandit flags."""
    entry = info(args.decider)
    if entry.family == "bandit":
        return {} if args.epsilon is None else {"epsilon": args.epsilon}
    if not entry.uses_llm:
        return {}
    kwargs: dict = {"seed": args.seed, "backend": make_backend(_common.backend_spec(args))}
    if entry.family == "llm-prior":
        if args.calibrate is not None:
            kwargs["calibrate"] = args.calibrate
        return kwargs
    kwargs.update(calibrate=args.calibrate or "none", mode=args.icl_mode)
    if args.epsilon is not None:
        kwargs["epsilon"] = args.epsilon
    if args.pool is not None:
        kwargs["pool"] = args.pool
    return kwargs


def _make_dqn(args: argparse.Namespace) -> DQNDecider:
    """The DQN decider: a fresh one seeded with --seed, or one loaded from --dqn-checkpoint."""
    if args.dqn_checkpoint is not None:
        try:
            decider = DQNDecider.load(args.dqn_checkpoint)
        except FileNotFoundError as e:
            raise ValueError(f"--dqn-checkpoint: {e}") from None
        if args.extra_features and not decider.extra_features:
            raise ValueError("--extra-features: the checkpoint was trained without extra features")
        return decider
    return DQNDecider(seed=args.seed, extra_features=args.extra_features)


def _interrupted(args: argparse.Namespace, e: experiments.RunInterrupted, decider,
                 is_dqn: bool, resumable: bool) -> int:
    """Ctrl-C in the run loop: write what finished (with --out), say how to go on; 130."""
    if args.out is not None and e.result is not None:
        write_outputs(e.result, decider, args.out, is_dqn, with_state=e.decider_consistent)
    if args.out is None:
        hint = "nothing written without --out"
    elif not resumable:
        hint = f"decider {decider.name} cannot be resumed: rerun without --resume"
    else:
        hint = "rerun with --resume to continue"
    print(f"\ninterrupted after {e.slots} slots; {hint}", file=sys.stderr)
    return 130


def _print_summary(scenario, decider, args: argparse.Namespace, result) -> None:
    s = result.summary
    print(f"scenario {scenario.name}  decider {decider.name}  seed {args.seed}  "
          f"steps {args.steps}  requests {s['num_requests']}  "
          f"({result.meta['edge_model']} + {result.meta['cloud_model']}, "
          f"{scenario.transmission.mode} mode)")
    print(f"  mean reward          {s['mean_reward']:.3f}")
    print(f"  mean delay           {s['mean_delay_s']:.3f} s")
    print(f"  QP success rate      {s['qp_success_rate']:.3f}")
    print(f"  offload share        {s['offload_share']:.3f}")
    print(f"  oracle mean reward   {s['oracle_mean_reward']:.3f}")
    print(f"  regret vs oracle     {s['regret']:.3f} "
          f"(reward = {s['reward_fraction_of_oracle']:.3f} of the oracle's)")
    print(f"  wall time            {s['wall_time_s']:.2f} s "
          f"({s['wall_time_per_step_s'] * 1e3:.2f} ms/step)")
    stats = getattr(decider, "stats", None)
    if stats:
        print("  decider stats        " + ", ".join(f"{k} {v}" for k, v in stats.items()))
