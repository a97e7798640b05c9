"""Where extraction runs: Prefect's process pool with its workers started warm, or Dask.

Prefect's `ProcessPoolTaskRunner` spawns its workers, and each one imports
Prefect and its collections and loads spaCy, about 5 s, before its first task:
as long as a small backfill's whole extraction. Here the pool's workers come
from a fork server instead, one single-threaded process that has loaded all of
that once (`flows.worker_preload`) and forks a worker in milliseconds, the
workers sharing the model's memory. The fork server lives as long as the
process that started it, so the next pool in that process starts warm, and
`start_worker_server` starts it early, while Prefect's own server starts.

Forking the flow's process itself would skip the server, but that process runs
Prefect's threads, and a child forked while one of them holds a lock hangs
(in testing, a worker hung on the lock of Prefect's Rich console).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, ParamSpec, Self, TypeVar

from prefect.client.orchestration import get_client
from prefect.plugins import load_prefect_collections
from prefect.settings import get_current_settings
from prefect.task_runners import (
    ProcessPoolTaskRunner,
    TaskRunner,
    _initialize_process_pool_worker,
)

from tubewiki.errors import ConfigError
from tubewiki.extract import parse
from tubewiki.transcript import TimedText

log = logging.getLogger(__name__)

TASK_RUNNERS = ("process", "dask")
WORKER_PRELOAD = "flows.worker_preload"
WARM_UP = "Workers parse this sentence once, before their first video."
P = ParamSpec("P")
R = TypeVar("R")


def default_workers() -> int:
    """How many workers a task runner gets unless told: one per core."""
    return os.cpu_count() or 1


def prepare_worker() -> None:
    """Load what every extraction needs, once per process: Prefect's collections, which
    its task engine imports to read the flow's result storage, and spaCy with all that
    parsing loads on first use (spaCy's first-call set-up, wordfreq's list), by
    parsing one sentence: in the fork server, so that no worker pays for it."""
    load_prefect_collections()
    try:
        parse(TimedText(WARM_UP, (0,), (0.0,)))
    except Exception:  # the first task raises the same error, with a proper state
        log.debug("could not preload spaCy in worker %d", os.getpid(), exc_info=True)


def worker_context() -> BaseContext | None:
    """The fork server's context, preloading `prepare_worker`; None where there is none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER_PRELOAD])
    return context


def start_worker_server() -> None:
    """Start the fork server now; it loads in the background while this process goes on."""
    if worker_context() is not None:
        multiprocessing.forkserver.ensure_running()


class WarmProcessPoolTaskRunner(ProcessPoolTaskRunner):
    """Prefect's process pool, its workers forked from the preloaded fork server."""

    _lifeline: tuple[Connection, Connection] | None = None

    def __enter__(self) -> Self:
        super().__enter__()
        context = worker_context()
        if context is None or self._executor is None:
            return self  # Prefect's spawning pool, unchanged
        spawning = self._executor
        self._lifeline = context.Pipe(duplex=False)
        self._executor = ProcessPoolExecutor(
            max_workers=self._max_workers,
            mp_context=context,
            initializer=_initialize_process_pool_worker,
            initargs=(
                self._subprocess_message_queue,
                start_worker,
                (self._lifeline[0], self._initializer, self._initargs),
            ),
        )
        spawning.shutdown()  # never started: a pool starts its workers on first submit
        return self

    def run_plain(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """`fn` on one of the pool's workers, outside Prefect's task engine.

        For a short pure map (`flows.backfill.on_workers`): a task run's own
        cost, its API calls and the context it rebuilds in the worker, was
        about 0.7 s of a 10-video backfill's 1.8-s extraction against the lexicon.
        """
        if self._executor is None:
            raise RuntimeError("the task runner is not started")
        return self._executor.submit(fn, *args, **kwargs)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        super().__exit__(exc_type, exc_value, traceback)
        for end in self._lifeline or ():
            end.close()
        self._lifeline = None


def start_worker(
    lifeline: Connection, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """Run the pool's initializer, then end this worker when the pool's owner dies.

    A killed owner never closes the pool's queues, and each worker holds both
    ends of them, so it would wait for a next task forever and keep the fork
    server alive too. Only the owner holds the sending end of `lifeline`, and
    the kernel closes that however the owner dies.
    """
    if initializer is not None:
        initializer(*initargs)
    threading.Thread(
        target=_exit_at_eof, args=(lifeline,), name="tubewiki-lifeline", daemon=True
    ).start()


def _exit_at_eof(lifeline: Connection) -> None:
    with suppress(EOFError, OSError):
        lifeline.recv()  # nothing is ever sent: this returns only when the owner is gone
    os._exit(1)


def make_task_runner(
    kind: str = "process", dask_address: str | None = None, workers: int | None = None
) -> TaskRunner[Any]:
    """Processes by default; threads would serialise spaCy on the GIL and share its ruler."""
    workers = max(workers or default_workers(), 1)
    if kind == "process":
        return WarmProcessPoolTaskRunner(max_workers=workers, initializer=prepare_worker)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            # One thread per worker: the spaCy pipeline of a process is not shared safely.
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            },
        )
    raise ConfigError(f"unknown task runner {kind!r}; use one of: {', '.join(TASK_RUNNERS)}")


@contextmanager
def api_shared_with_workers() -> Iterator[None]:
    """Point worker processes started inside this block at this run's API.

    With no PREFECT_API_URL, Prefect serves a temporary API from the process that
    started the flow; a worker would otherwise start its own (about 8 s and a
    database each) instead of reporting to it. Use inside a flow run.
    """
    if get_current_settings().api.url:
        yield
        return
    with get_client(sync_client=True) as client:
        url = str(client.api_url).rstrip("/")
    os.environ["PREFECT_API_URL"] = url
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
