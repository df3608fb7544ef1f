"""The ``genoff`` command line: one module per command (:mod:`.simulate`, :mod:`.reproduce`,
:mod:`.compare`, :mod:`.profile_llm`, :mod:`.install_model`, :mod:`.demo`), each with
``add_parser(subparsers)`` and ``run(args) -> int``; what they share is in :mod:`._common`.
Every command reports a user error the same way (:func:`main`)."""

from __future__ import annotations

import argparse
import os
import sys

from genoff import __version__
from genoff.cli import compare, demo, install_model, profile_llm, reproduce, simulate
from genoff.cli.out_folder import DQN_FILES, RESUME_DIR

__all__ = ["main", "build_parser", "COMMANDS", "DQN_FILES", "RESUME_DIR"]

#: The commands by name, in the order ``genoff --help`` lists them.
COMMANDS = {command.NAME: command
            for command in (simulate, reproduce, compare, profile_llm, install_model, demo)}

#: What each command reports as one ``genoff <command>: error: ...`` line with exit status 2
#: (bad values, unknown names, missing extras, unusable files and folders).
_USER_ERRORS = (ValueError, TypeError, KeyError, ImportError, OSError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genoff", description="Generation-task offloading in a 6G edge-cloud."
    )
    parser.add_argument("--version", action="version", version=f"genoff {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _one_line(e: BaseException) -> str:
    """The first line of an error's message (``str(KeyError)`` is a repr: its message is
    used instead; transformers' messages run over several lines)."""
    msg = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    return (msg.strip().splitlines() or [type(e).__name__])[0]


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except _USER_ERRORS as e:
        parser.exit(2, f"genoff {args.command}: error: {_one_line(e)}\n")


if __name__ == "__main__":
    sys.exit(main())
