"""``genoff demo``: a short downlink + evaluation run of the compiled core."""

from __future__ import annotations

import argparse

import genoff.cli._common as _common
from genoff.sim import demo

NAME = "demo"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME, help="short downlink + evaluation demo of the compiled core")
    parser.add_argument("--users", type=_common.at_most(100_000), default=20,
                        help="users in the centre cell")
    parser.add_argument("--tti", type=_common.at_most(10_000_000), default=1000,
                        help="TTIs of the full-buffer run")
    parser.add_argument("--seed", type=_common.nonneg_int, default=0)
    parser.add_argument("--threads", type=_common.threads, default=0, help="0 = all")
    return parser


def run(args: argparse.Namespace) -> int:
    print(demo.run(num_ue=args.users, num_tti=args.tti, seed=args.seed, n_threads=args.threads))
    return 0
