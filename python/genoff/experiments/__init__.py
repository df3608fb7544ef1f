"""Experiments: one run (:mod:`.runner`), grids of runs (:mod:`.sweep`) on any executor
(:mod:`.executors`), and deciders side by side (:mod:`.compare`).

``genoff.experiments.run(scenario, decider, steps=..., seed=...)`` is the entry point of
one run; :func:`run_sweep` runs many, resumably.
"""

from genoff.experiments.runner import (
    RESULT_FILES,
    Checkpoint,
    RunInterrupted,
    RunResult,
    run,
    summarize,
    write_results,
)
from genoff.experiments.executors import make_executor
from genoff.experiments.sweep import RunSpec, expand_grid, run_sweep

__all__ = [
    "run", "summarize", "write_results", "RunResult", "RunInterrupted", "Checkpoint", "RESULT_FILES",
    "RunSpec", "expand_grid", "run_sweep", "make_executor",
]
