"""What several commands share: argument types, the LLM backend flags, the check of the LLM's
fallbacks, and the interrupted-sweep message."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from genoff._util import validate
from genoff.deciders import DECIDERS
from genoff.experiments.compare import MAX_FALLBACK_SHARE, fallback_share
from genoff.world.scenario import list_scenarios

#: The backends an LLM decider can ask (``--backend``, ``--llm KIND[:MODEL]``).
BACKENDS = ("embedded", "transformers", "openai")
#: Where the runs of ``reproduce`` and ``compare`` execute (``--executor``).
EXECUTORS = ("process", "serial", "dask", "ray")


# -- argument types: argparse prefixes the message with "argument --NAME: " ----------------------
def _checked(check: Callable, value, message: str | None = None, **bounds):
    """``check`` (a :mod:`genoff._util.validate` check) of ``value`` for argparse: its
    ValueError becomes an ArgumentTypeError with ``message``, or with validate's message
    less the name (argparse names the argument itself)."""
    try:
        return check("", value, **bounds)
    except ValueError as e:
        raise argparse.ArgumentTypeError(message or str(e).strip()) from None


def integer(text: str) -> int:
    """An integer (``--steps 12``)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def nonneg_int(text: str) -> int:
    """An integer >= 0 (seeds)."""
    return _checked(validate.integer, integer(text), ge=0)


def pos_int(text: str) -> int:
    """An integer >= 1 (sizes and counts)."""
    return _checked(validate.integer, integer(text), ge=1)


def nonneg_float(text: str) -> float:
    """A finite number >= 0 (seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    return _checked(validate.real, value, f"must be a finite number >= 0, got {text!r}", ge=0)


def threads(text: str) -> int:
    """A thread count for the compiled core: 0 (all cores) to 2**31 - 1."""
    count = nonneg_int(text)
    return _checked(validate.integer, count, f"must be < 2**31, got {count}", le=2**31 - 1)


def at_most(limit: int) -> Callable[[str], int]:
    """A positive-integer type capped at ``limit`` (the demo's sizes: memory and time)."""

    def check(text: str) -> int:
        value = pos_int(text)
        return _checked(validate.integer, value, f"must be <= {limit:,}, got {value}", le=limit)

    check.__name__ = "pos_int"
    return check


# -- help texts and flags shared by commands ----------------------------------------------------
def scenario_names() -> str:
    """The built-in scenarios, for help texts."""
    return ", ".join(list_scenarios())


def decider_names() -> str:
    """The registered deciders, for help texts."""
    return ", ".join(DECIDERS)


def executor_flags(parser: argparse.ArgumentParser, address_help: str) -> None:
    """Where the runs of a sweep execute (``reproduce``, ``compare``)."""
    parser.add_argument("--executor", choices=EXECUTORS, default="process",
                        help="where runs execute (dask/ray: optional extras)")
    parser.add_argument("--workers", type=pos_int, default=None,
                        help="parallel runs (default: one per CPU core; one thread each)")
    parser.add_argument("--address", default=None, help=address_help)


def calibrate_flag(group, prefix: str = "") -> None:
    group.add_argument(
        "--calibrate", nargs="?", const="content-free", default=None,
        choices=["none", "content-free", "batch"],
        help=prefix + "calibration of the LLM's scores: content-free (the flag alone: subtract "
             "a content-free query's scores) or batch (subtract the mean log-odds of the "
             "slot's queries); default: none for icl*, batch for llm-prior")


def fallback_flag(group) -> None:
    group.add_argument(
        "--allow-fallbacks", action="store_true",
        help="exit 0 even when more than 5%% of the LLM's decisions fell back (backend "
             "unreachable, missing key, garbage replies); otherwise that is an error (exit 3)")


def backend_flags(group) -> None:
    """Settings of the transformers and OpenAI-compatible backends."""
    group.add_argument("--base-url", default="https://api.openai.com",
                       help="openai backend: server URL (vLLM, llama.cpp, Ollama, ...)")
    group.add_argument("--api-key-env", default="OPENAI_API_KEY",
                       help="openai backend: environment variable holding the API key")
    group.add_argument("--chat", action="store_true", help="use the chat format (chat models)")
    group.add_argument("--device", default="cpu", help="embedded/transformers: cpu, cuda, ...")
    group.add_argument("--quantization", choices=["nf4", "int8"], default=None,
                       help="transformers backend: bitsandbytes quantization")


# -- the LLM backend of the flags -----------------------------------------------------------------
def backend_spec(args: argparse.Namespace, backend: str | None = None,
                 model: str | None = None) -> dict:
    """The backend spec (genoff.llm.make_backend) of the ICL flags; defaults left out, so
    that equal settings give equal specs (and run keys)."""
    backend = backend or args.backend
    model = model if model is not None else getattr(args, "model", None)
    if backend == "embedded":
        spec: dict = {"kind": "embedded"}
    elif not model:
        what = "a local folder or hub id" if backend == "transformers" else "e.g. gpt-4o"
        raise ValueError(f"--backend {backend} needs --model ({what})")
    elif backend == "transformers":
        spec = {"kind": "transformers", "model": model}
        if args.quantization is not None:
            spec["quantization"] = args.quantization
    else:
        spec = {"kind": "openai", "model": model, "base_url": args.base_url}
        if args.api_key_env != "OPENAI_API_KEY":
            spec["api_key_env"] = args.api_key_env
    if backend != "openai" and args.device != "cpu":
        spec["device"] = args.device
    if backend != "embedded" and args.chat:
        spec["chat"] = True
    return spec


def llm_spec(args: argparse.Namespace, item: str) -> dict:
    """The backend spec of one ``--llm`` value: embedded, openai:MODEL or transformers:PATH."""
    kind, _, model = item.partition(":")
    if kind not in BACKENDS or (kind == "embedded") == bool(model):
        raise ValueError(
            f"--llm: expected embedded, openai:MODEL or transformers:PATH, got {item!r}"
        )
    return backend_spec(args, kind, model or None)


# -- exit status of the LLM's fallbacks, interruptions ------------------------------------------
def check_fallbacks(command: str, decider_name: str, stats, allow: bool) -> int:
    """Warn when the LLM's decisions mostly fell back; exit status 3 unless allowed."""
    share = fallback_share(stats)
    if share <= MAX_FALLBACK_SHARE:
        return 0
    detail = ", ".join(f"{k} {v}" for k, v in (stats or {}).items())
    print(f"genoff {command}: warning: {share:.0%} of {decider_name}'s decisions fell back "
          f"without the LLM ({detail}); this run does not measure the LLM"
          + ("" if allow else " (exit 3; --allow-fallbacks to accept)"), file=sys.stderr)
    return 0 if allow else 3


def report_not_measured(command: str, not_measured, allow: bool) -> int:
    """Warn about each LLM series of a sweep that mostly fell back; exit status 3 unless
    allowed. ``not_measured``: share by label, or (scenario, decider, share) triples."""
    if not not_measured:
        return 0
    items = (not_measured.items() if isinstance(not_measured, dict)
             else [(f"{decider} on {scenario}", share)
                   for scenario, decider, share in not_measured])
    for label, share in items:
        print(f"genoff {command}: warning: {label}: {share:.0%} of the LLM's decisions fell "
              "back (backend errors or unparsable replies): not measured", file=sys.stderr)
    if allow:
        return 0
    print(f"genoff {command}: exit 3: LLM series not measured (--allow-fallbacks to accept)",
          file=sys.stderr)
    return 3


def sweep_interrupted(out: str) -> int:
    """Ctrl-C during ``reproduce`` or ``compare``: how to resume; exit status 130."""
    print(f"\ninterrupted: finished runs are kept in {out}/runs; rerun the same "
          "command to resume", file=sys.stderr)
    return 130
