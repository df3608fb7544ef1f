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
    demo = sub.add_parser("demo", help="short downlink + evaluation demo of the compiled core")
    demo.add_argument("--users", type=_pos_int, default=20, help="users in the centre cell")
    demo.add_argument("--tti", type=_pos_int, default=1000, help="TTIs of the full-buffer run")
    demo.add_argument("--seed", type=_nonneg_int, default=0)
    demo.add_argument("--threads", type=_nonneg_int, default=0, help="0 = all")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from genoff import demo

        print(demo.run(num_ue=args.users, num_tti=args.tti, seed=args.seed, n_threads=args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
