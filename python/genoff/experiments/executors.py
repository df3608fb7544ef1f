"""Where a sweep's runs execute: in this process, a process pool, dask or Ray.

:func:`make_executor` makes an executor of one of the kinds of :data:`EXECUTORS` and shuts
it down at the end of a ``with`` block; :func:`check_executor` checks the arguments before
anything is run or written. :func:`genoff.experiments.sweep.run_sweep` takes either a kind
or any :class:`concurrent.futures.Executor`.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
from typing import Any

from genoff._util.validate import integer

__all__ = ["EXECUTORS", "RayExecutor", "check_executor", "make_executor"]

#: The kinds of executor :func:`make_executor` makes.
EXECUTORS = ("serial", "process", "dask", "ray")


class RayExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` over Ray tasks (``pip install 'genoff[ray]'``).

    Each ``submit`` becomes a Ray task of one CPU; its ``ObjectRef.future()`` is returned.
    Connects to ``address`` (``"auto"`` or ``"ray://host:10001"``) or starts a local Ray
    with ``num_cpus``; ``shutdown`` stops only a Ray this executor started.
    """

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        import logging

        import ray

        self._ray = ray
        self._own = not ray.is_initialized()
        if self._own:
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                logging_level=logging.WARNING,
                configure_logging=False,
            )
        self._tasks: dict[Any, Any] = {}

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        task = self._tasks.get(fn)
        if task is None:
            task = self._tasks[fn] = self._ray.remote(num_cpus=1)(fn)
        return task.remote(*args, **kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._own and self._ray.is_initialized():
            self._ray.shutdown()
            self._own = False


def check_executor(
    executor: cf.Executor | str, workers: int | None = None, address: str | None = None
) -> None:
    """``ValueError``/``TypeError`` naming the argument unless ``executor`` is an Executor or
    one of :data:`EXECUTORS`, ``workers`` is None or an integer >= 1, and ``address`` is
    given only to the dask and ray executors."""
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise ValueError(
                f"executor must be an Executor or one of {', '.join(EXECUTORS)}, got {executor!r}"
            )
        if address is not None and executor in ("serial", "process"):
            raise ValueError(f"address is for the dask and ray executors, not {executor!r}")
    elif not isinstance(executor, cf.Executor):
        raise TypeError(f"executor must be an Executor or a string, got {type(executor).__name__}")
    if workers is not None:
        integer("workers", workers, ge=1, type_error=ValueError)


@contextlib.contextmanager
def make_executor(kind: str = "process", workers: int | None = None, address: str | None = None):
    """An executor of a kind, shut down on exit of the ``with`` block.

    Args:
        kind: ``"serial"`` (yields the string ``"serial"``: runs in this process),
            ``"process"`` (a ``spawn`` process pool), ``"dask"`` (a ``dask.distributed``
            client: a local cluster of ``workers`` single-threaded processes, or the
            scheduler at ``address``; ``pip install 'genoff[dask]'``) or ``"ray"``
            (:class:`RayExecutor`; ``pip install 'genoff[ray]'``).
        workers: parallel runs on this machine (default ``os.cpu_count()``); ignored when
            ``address`` names a cluster.
        address: a dask scheduler (``tcp://host:8786``) or Ray cluster (``auto``) address.
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string, got {type(kind).__name__}")
    check_executor(kind, workers, address)
    n = int(workers) if workers is not None else (os.cpu_count() or 1)
    if kind == "serial":
        yield "serial"
    elif kind == "process":
        with _process_pool(n) as pool:
            yield pool
    elif kind == "dask":
        with _dask_executor(n, address) as executor:
            yield executor
    else:
        with _ray_executor(n, address) as executor:
            yield executor


@contextlib.contextmanager
def _process_pool(workers: int):
    import multiprocessing

    pool = cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )
    try:
        yield pool
    except BaseException:
        # Ctrl-C or an error: stop now rather than finish the runs in flight (each run
        # writes its file atomically, so a run cut short leaves nothing behind).
        _kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@contextlib.contextmanager
def _dask_executor(workers: int, address: str | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ImportError(
            "the dask executor needs dask.distributed: pip install 'genoff[dask]'"
        ) from e
    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster if cluster is not None else address)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _ray_executor(workers: int, address: str | None):
    try:
        import ray  # noqa: F401
    except ImportError as e:
        raise ImportError("the ray executor needs ray: pip install 'genoff[ray]'") from e
    executor = RayExecutor(address, num_cpus=workers)
    try:
        yield executor
    finally:
        executor.shutdown()


def _kill_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Kill a process pool's workers (the runs in flight are lost)."""
    kill = getattr(pool, "kill_workers", None)  # Python >= 3.14
    if kill is not None:
        kill()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
