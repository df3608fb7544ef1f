"""The ``genoff`` command line."""

from __future__ import annotations

import argparse
import sys


def _nonneg_int(text: str) -> int:
    v = int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def _pos_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def build_parser() -> argparse.ArgumentParser:
    from genoff import __version__

    parser = argparse.ArgumentParser(
        prog="genoff", description="Generation-task offloading in a 6G edge-cloud."
    )
    parser.add_argument("--version", action="version", version=f"genoff {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="one run: scenario x decider -> per-request table + summary",
        description="Simulate a scenario with a decider, write the per-request table "
        "(Parquet and CSV) with config, seed and version, and print a summary.",
    )
    sim.add_argument("--scenario", default="paper", help="built-in name (paper, 3gpp-57) or TOML path")
    sim.add_argument("--decider", default="oracle", help="oracle, local, offload, random")
    sim.add_argument("--steps", type=_pos_int, default=100, help="time slots to simulate")
    sim.add_argument("--users", type=_pos_int, default=None, help="users per cell (overrides the scenario)")
    sim.add_argument("--mode", choices=["analytic", "tti"], default=None,
                     help="transmission delay mode (overrides the scenario)")
    sim.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario field, e.g. --set radio.num_rb=52 (repeatable)")
    sim.add_argument("--seed", type=_nonneg_int, default=0)
    sim.add_argument("--out", default=None, help="folder for requests.parquet/.csv and run.json")
    sim.add_argument("--force", action="store_true", help="overwrite results already in --out")
    sim.add_argument("--threads", type=_nonneg_int, default=0, help="core threads, 0 = all")
    sim.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    demo = sub.add_parser("demo", help="short downlink + evaluation demo of the compiled core")
    demo.add_argument("--users", type=_pos_int, default=20, help="users in the centre cell")
    demo.add_argument("--tti", type=_pos_int, default=1000, help="TTIs of the full-buffer run")
    demo.add_argument("--seed", type=_nonneg_int, default=0)
    demo.add_argument("--threads", type=_nonneg_int, default=0, help="0 = all")
    return parser


def _parse_overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = _toml_value(value.strip())
    return out


def _toml_value(text: str):
    """A --set value as TOML would read it (numbers, booleans, strings, arrays)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string


def simulate(args: argparse.Namespace) -> int:
    from genoff import deciders, experiments
    from genoff.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    overrides = _parse_overrides(args.overrides)
    if args.users is not None:
        overrides["layout.users_per_cell"] = args.users
    if args.mode is not None:
        overrides["transmission.mode"] = args.mode
    if overrides:
        scenario = scenario.with_overrides(overrides)
    decider = deciders.make_decider(args.decider)
    if args.out is not None:
        from pathlib import Path

        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise ValueError(f"--out must be a folder, but {args.out} is a file")
        existing = [n for n in experiments.RESULT_FILES if (Path(args.out) / n).exists()]
        if existing and not args.force:
            raise FileExistsError(
                f"{args.out} already holds results ({', '.join(existing)}); "
                "choose another --out or pass --force"
            )
    result = experiments.run(
        scenario, decider, steps=args.steps, seed=args.seed, n_threads=args.threads,
        progress=not args.no_progress,
    )
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
    print(f"  regret vs oracle     {s['regret']:.3f}")
    print(f"  wall time            {s['wall_time_s']:.2f} s ({s['wall_time_per_step_s'] * 1e3:.2f} ms/step)")
    if args.out is not None:
        paths = experiments.write_results(result, args.out, force=args.force)
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "simulate":
        try:
            return simulate(args)
        except (ValueError, TypeError, KeyError, FileExistsError) as e:
            # str(KeyError) is the repr of its message: print the message itself.
            msg = e.args[0] if isinstance(e, KeyError) and e.args else e
            parser.exit(2, f"genoff simulate: error: {msg}\n")
    if args.command == "demo":
        from genoff import demo

        print(demo.run(num_ue=args.users, num_tti=args.tti, seed=args.seed, n_threads=args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
