"""Prefect tasks, one library call each. Only the network step retries."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar, cast

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.concurrency.sync import rate_limit
from prefect.states import State
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import opaque

from tubewiki import pipeline, relink
from tubewiki.cache import Source
from tubewiki.errors import RequestBlockedError, TubewikiError
from tubewiki.ledger import RunKind
from tubewiki.pipeline import AnalysisResult, Request, RunReport
from tubewiki.study import Study, study
from tubewiki.types import Extraction
from tubewiki.youtube import ProxySettings

YOUTUBE_LIMIT = "youtube-requests"
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def untraversed(value: T) -> T:
    """`value` as a task parameter Prefect hands on without walking it (its `opaque`):
    it would otherwise visit every field of every snippet looking for futures, about
    a second per call for a few hours of transcripts. Typed as the value it stands for.
    Only for a task called in the flow's own process: on its way to a Dask worker the
    annotation (a named tuple) becomes a plain tuple."""
    return cast(T, opaque(value))


def transient_only(task: Task[..., object], task_run: TaskRun, state: State[object]) -> bool:
    """Retry network trouble and rate limits, never a permanent refusal.

    Prefect asks only while retries are left, so a yes here means a wait:
    say what for on stderr, or an offline run looks hung for minutes.
    """
    try:
        state.result()
    except TubewikiError as exc:
        if exc.transient:
            # not print(): the flows' log_prints would turn it into a (hidden) log line;
            # Prefect's own log already says the same for a deployment's run page
            sys.stderr.write(retry_notice(task, task_run, exc) + "\n")
            sys.stderr.flush()
        return exc.transient
    except Exception:
        return False
    return False


def retry_notice(task: Task[..., object], task_run: TaskRun, error: TubewikiError) -> str:
    """'fetch X: YouTube did not answer; retrying in about 8 s, attempt 2 of 5'."""
    delays = task.retry_delay_seconds
    done = max(task_run.run_count, 1)  # attempts so far, this one included
    if isinstance(delays, list):
        delay = delays[min(done - 1, len(delays) - 1)] if delays else 0
    else:
        delay = delays or 0
    reason = "YouTube did not answer"
    if isinstance(error, RequestBlockedError):
        reason = "YouTube refused the request"
    return (
        f"{task_run.name}: {reason}; retrying in about {delay:g} s, "
        f"attempt {done + 1} of {task.retries + 1}"
    )


def network_task(*, retries: int, task_run_name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """Only network steps retry: transient errors, with exponential backoff and jitter."""
    return task(
        retries=retries,
        retry_delay_seconds=exponential_backoff(backoff_factor=5),
        retry_jitter_factor=0.5,
        retry_condition_fn=transient_only,
        task_run_name=task_run_name,
        cache_policy=NO_CACHE,
    )


@network_task(retries=4, task_run_name="fetch {request.video_id}")
def fetch_source(request: Request, vault: Path, proxy: ProxySettings | None = None) -> Source:
    if request.transcript_file is None:
        rate_limit(YOUTUBE_LIMIT, strict=False)
    return pipeline.acquire(request, vault=vault, proxy=proxy)


@task(task_run_name="study {source.meta.video_id}", cache_policy=NO_CACHE)
def study_video(source: Source, vault: Path) -> Study:
    return study(vault, source)


@task(task_run_name="study {label}", cache_policy=NO_CACHE)
def study_share(vault: Path, folder: Path, label: str) -> dict[str, AnalysisResult]:
    return pipeline.study_share(vault, folder)


@task(task_run_name="extract {label}", cache_policy=NO_CACHE)
def extract_batch(
    extract: Callable[[Source], Extraction], sources: list[Source], label: str
) -> list[Extraction]:
    return relink.serial(extract, sources)


@task(cache_policy=NO_CACHE)
def write_notes(
    vault: Path,
    items: list[tuple[Source, Study]],
    kind: RunKind = "ingest",
    force: bool = False,
    lock_timeout: float | None = None,
    over: relink.Mapper = relink.serial,
) -> RunReport:
    return pipeline.write(
        vault, items, kind=kind, force=force, lock_timeout=lock_timeout, over=over
    )


@task(cache_policy=NO_CACHE)
def load_cached_sources(vault: Path) -> list[Source]:
    return pipeline.rebuild_sources(vault)
