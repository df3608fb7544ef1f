"""The folder of ``genoff simulate --out OUT``: what may already be in it (checked before any
work), the files written after a run (results, ICL experience pool, DQN training curve and
checkpoint), and the resumable state of an unfinished run in ``OUT/resume``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from genoff import experiments
from genoff._util.io import atomic_write, writable_folder
from genoff.deciders.dqn import online_curve

#: What a DQN run writes beside the results.
DQN_FILES = ("training_curve.csv", "dqn.pt", "dqn.json")
#: Subfolder of ``genoff simulate --out OUT`` holding an unfinished run's resumable state.
RESUME_DIR = "resume"
#: The experience pool of an ICL run, beside the results.
POOL_FILE = "pool.json"


def check_out(args: argparse.Namespace, is_dqn: bool, scenario) -> None:
    """Everything about --out that can fail, checked before any work: a folder that can be
    created and written, and no results or unfinished run in it unless --force/--resume."""
    if args.out is None:
        if args.resume:
            raise ValueError("--resume needs --out (the folder of the interrupted run)")
        return
    out = writable_folder(args.out, "--out")
    checkpoint = experiments.Checkpoint(out / RESUME_DIR)
    manifest = checkpoint.manifest()
    if args.resume:
        _check_resumable(args, out, scenario, manifest, checkpoint.MANIFEST)
        return
    if manifest is not None and not args.force:
        raise FileExistsError(
            f"{args.out} holds an interrupted run ({manifest['slots']} of "
            f"{manifest['run'].get('steps')} slots); rerun its command with --resume to "
            "continue it, or pass --force to start over"
        )
    names = experiments.RESULT_FILES + (POOL_FILE,) + (DQN_FILES if is_dqn else ())
    existing = [name for name in names if (out / name).exists()]
    if existing and not args.force:
        raise FileExistsError(
            f"{args.out} already holds results ({', '.join(existing)}); "
            "choose another --out or pass --force"
        )
    if manifest is not None:  # --force: start over
        checkpoint.remove()


def _check_resumable(args: argparse.Namespace, out: Path, scenario, manifest: dict | None,
                     manifest_name: str) -> None:
    """--resume: an interrupted run in ``out`` with the settings of this command."""
    if manifest is None:
        what = ("a finished run: nothing to resume" if (out / "run.json").exists()
                else f"no interrupted run (no {RESUME_DIR}/{manifest_name})")
        raise ValueError(f"--resume: {args.out} holds {what}")
    saved = manifest["run"]
    requested = {"scenario": json.loads(json.dumps(scenario.to_dict())), "seed": args.seed,
                 "steps": args.steps}
    differ = [key for key, value in requested.items() if saved.get(key) != value]
    saved_decider = saved.get("decider", {}).get("name")
    if saved_decider != args.decider:
        differ.append("decider")
    if differ:
        raise ValueError(
            f"--resume: the run in {args.out} has other settings ({', '.join(differ)} "
            f"differ: it ran --decider {saved_decider} --seed "
            f"{saved.get('seed')} --steps {saved.get('steps')}); rerun its command with "
            "--resume"
        )


def write_outputs(result, decider, out, is_dqn: bool, with_state: bool = True) -> list:
    """The results, and (``with_state``) the ICL pool and the DQN checkpoint, beside them."""
    paths = experiments.write_results(result, out, force=True)
    pool = getattr(decider, "pool", None)
    if with_state and pool is not None:  # the ICL experience pool, beside the results
        pool.save(Path(out) / POOL_FILE)
        paths.append(Path(out) / POOL_FILE)
    if with_state and is_dqn:
        paths += _write_dqn(decider, result, out)
    return paths


def _write_dqn(decider, result, out) -> list:
    """Training curve (CSV) and checkpoint of a DQN run, beside the results."""
    out = Path(out)
    curve = online_curve(decider, result.table)
    atomic_write(out / "training_curve.csv", lambda tmp: curve.to_csv(tmp, index=False))
    pt, js = decider.save(out / "dqn.pt")
    return [out / "training_curve.csv", pt, js]


def interrupted_line(out: str | None) -> str:
    """The line of a Ctrl-C outside the run loop: what a --resume would continue."""
    if out is not None:
        try:
            manifest = experiments.Checkpoint(Path(out) / RESUME_DIR).manifest()
        except (ValueError, OSError):
            manifest = None
        if manifest is not None:
            return f"interrupted after {manifest['slots']} slots; rerun with --resume to continue"
    return "interrupted before any slot finished; nothing written"
