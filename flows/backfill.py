"""The `backfill` flow: many videos at once, extraction spread over processes or Dask.

Studying a video (spaCy, `tubewiki.study`) is a pure map from `Source` to
plain data, shared out among the workers of any task runner (`share_out`,
`flows.workers`): local processes by default, one per core, started warm, or
Dask (`on_runner(backfill, "dask")`, a local cluster or `dask_address`).
Everything else stays in the flow's own process: fetching (rate-limited, and
`responses`-replayable in tests), learning the vault, and one `write_notes`
call under the vault lock with the videos sorted by id, so the same inputs
give byte-identical notes whatever the parallelism. That call hands its last
step, each video's extraction against the whole vault's lexicon, back to the
same task runner (`on_workers`), and the results come back in video-id order.
The watch flow reuses the helpers here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from prefect import Flow, flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture

from flows.limits import ensure_limits
from flows.tasks import extract_batch, fetch_source, study_share, untraversed, write_notes
from flows.workers import (
    WarmProcessPoolTaskRunner,
    api_shared_with_workers,
    default_workers,
    make_task_runner,
)
from tubewiki import backfill as policy
from tubewiki import pipeline, relink, shares
from tubewiki import progress as bar
from tubewiki.backfill import BatchReport, Candidate, Fate
from tubewiki.cache import Source
from tubewiki.errors import StateError
from tubewiki.ledger import RunKind, VideoRow, utc_now
from tubewiki.pipeline import AnalysisResult, Request
from tubewiki.study import Study
from tubewiki.types import Extraction
from tubewiki.youtube import ProxySettings

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@task(task_run_name="record failure of {video_id}", cache_policy=NO_CACHE)
def record_failure(
    vault: Path, video_id: str, error: BaseException, now: str, fields: dict[str, str]
) -> VideoRow:
    return policy.record_failure(vault, video_id, error, now, **fields)


@dataclass
class Progress:
    """What a run has so far: extractions under way and every video's fate."""

    vault: Path
    analysing: list[Shared] = field(default_factory=list)
    fates: list[Fate] = field(default_factory=list)
    attempted: int = 0
    blocked: int = 0
    stopped: str | None = None

    def count(self, error: BaseException | None) -> None:
        """Count one YouTube request; stop the run once most of them are blocked."""
        self.attempted += 1
        self.blocked += error is not None and policy.is_blocked(error)
        if self.stopped is None and policy.too_blocked(self.blocked, self.attempted):
            self.stopped = (
                f"YouTube blocked {self.blocked} of {self.attempted} requests in this run, so "
                "it stopped early; YouTube blocks most cloud and datacenter IPs: set "
                "TUBEWIKI_WEBSHARE_USERNAME and TUBEWIKI_WEBSHARE_PASSWORD (a rotating "
                "residential proxy) or TUBEWIKI_PROXY_HTTP/TUBEWIKI_PROXY_HTTPS, then run again"
            )

    def analyse(self, sources: list[Source]) -> None:
        """Hand videos to the task runner's workers."""
        self.analysing.append(share_out(sources, self.vault))

    def fail(self, vault: Path, candidate: Candidate, error: BaseException, now: str) -> None:
        fields = {
            "source": candidate.source,
            "title": candidate.title,
            "channel": candidate.channel,
        }
        known = {name: value for name, value in fields.items() if value}
        row = record_failure(vault, candidate.video_id, error, now, known)
        self.fates.append(Fate(candidate.video_id, row.status, row.last_error or ""))
        bar.advance(f"{candidate.video_id} {row.status}")


def fetch_all(
    vault: Path,
    candidates: Sequence[Candidate],
    requests: dict[str, Request],
    progress: Progress,
    *,
    now: str,
    retries: int | None = None,
) -> None:
    """Read the local transcripts, then fetch the rest one by one, recording failures.

    Local transcripts are shared out among the task runner's workers
    (`share_out`). A fetched video goes alone as soon as it arrives: the rate
    limit paces those, and its extraction overlaps the next fetch.
    """
    local = [c for c in candidates if requests[c.video_id].transcript_file]
    read: dict[str, Source] = {}
    for candidate in local:
        result = _read(requests[candidate.video_id], vault)
        if isinstance(result, BaseException):
            progress.fail(vault, candidate, result, now)
        else:
            read[candidate.video_id] = result
    if read:
        progress.analyse(list(read.values()))

    fetch = fetch_source if retries is None else fetch_source.with_options(retries=retries)
    proxy = ProxySettings.from_env()
    for candidate in (c for c in candidates if not requests[c.video_id].transcript_file):
        if progress.stopped:
            progress.fates.append(Fate(candidate.video_id, "deferred", "run stopped early"))
            bar.advance(f"{candidate.video_id} deferred")
            continue
        state = fetch(requests[candidate.video_id], vault, proxy, return_state=True)
        fetched = state.result(raise_on_failure=False)
        progress.count(fetched if isinstance(fetched, BaseException) else None)
        if isinstance(fetched, BaseException):
            progress.fail(vault, candidate, fetched, now)
        else:
            progress.analyse([fetched])


def in_batches(sources: Sequence[Source]) -> list[list[Source]]:
    """Sources in batches of about equal size, one extraction call each (`policy.batches`)."""
    by_id = {source.meta.video_id: source for source in sources}
    sizes = {video_id: shares.length(source) for video_id, source in by_id.items()}
    return [[by_id[v] for v in batch] for batch in policy.batches(sizes, default_workers())]


@dataclass
class Shared:
    """Videos shared out among study tasks (`tubewiki.shares`), one task per worker."""

    sources: list[Source]
    folder: Path
    tasks: list[PrefectFuture[dict[str, AnalysisResult]]]

    def results(self) -> list[Study | BaseException]:
        """Each video's study or error, in the order of `sources`, once every task is
        done. A task that failed as a whole fails the videos no other task studied."""
        found: dict[str, Study | BaseException] = {}
        failed: BaseException = StateError("no worker studied this video; run it again")
        try:
            for future in self.tasks:
                outcome = future.result(raise_on_failure=False)  # or why the task failed
                if isinstance(outcome, dict):
                    found.update(outcome)
                else:
                    failed = outcome
        finally:
            shares.clear(self.folder)
        return [found.get(source.meta.video_id, failed) for source in self.sources]


def share_out(sources: list[Source], vault: Path) -> Shared:
    """Start one study task per worker on `sources` (fewer for fewer videos); each
    takes the next video no other has taken, longest first (`tubewiki.shares`)."""
    folder = shares.lay_out(vault, sources)
    count = min(len(sources), default_workers())
    label = _label(sources)
    tasks = [
        study_share.submit(vault, folder, label + (f" ({i} of {count})" if count > 1 else ""))
        for i in range(1, count + 1)
    ]
    return Shared(sources, folder, tasks)


def on_workers(
    extract: Callable[[Source], Extraction], sources: Sequence[Source]
) -> list[Extraction]:
    """`relink.Mapper` on the flow's task runner: the extractions against the vault's
    lexicon in balanced batches, one per worker, instead of one by one in the writer.

    On the process pool they go to its workers as plain calls
    (`WarmProcessPoolTaskRunner.run_plain`); on Dask, as `extract_batch` tasks.
    """
    if len(sources) < 2:
        return relink.serial(extract, sources)
    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    futures = [(batch, _extract_on(runner, extract, batch)) for batch in in_batches(sources)]
    found = {
        source.meta.video_id: extraction
        for batch, future in futures
        for source, extraction in zip(batch, future.result(), strict=True)
    }
    return [found[source.meta.video_id] for source in sources]


def _extract_on(
    runner: object, extract: Callable[[Source], Extraction], batch: list[Source]
) -> Future[list[Extraction]] | PrefectFuture[list[Extraction]]:
    """One batch's extractions, started on the flow's task runner (`on_workers`)."""
    if isinstance(runner, WarmProcessPoolTaskRunner):
        return runner.run_plain(relink.serial, extract, batch)
    return extract_batch.submit(extract, batch, _label(batch))


def _label(sources: Sequence[Source]) -> str:
    """A task's name: its first video, and how many more."""
    first, more = sources[0].meta.video_id, len(sources) - 1
    return first + (f" +{more}" if more else "")


def _read(request: Request, vault: Path) -> Source | BaseException:
    """A local transcript, read in the flow itself: no network, so nothing to retry, and
    a backfill of thousands of files should not leave thousands of trivial task runs."""
    try:
        return pipeline.acquire(request, vault=vault)
    except Exception as exc:
        return exc


def collect(vault: Path, progress: Progress, *, now: str) -> list[tuple[Source, Study]]:
    """Every extraction's result, in video id order; a failed one is recorded and left out."""
    items: list[tuple[Source, Study]] = []
    for shared in progress.analysing:
        for source, result in zip(shared.sources, shared.results(), strict=True):
            if isinstance(result, BaseException):
                meta = source.meta
                candidate = Candidate(meta.video_id, title=meta.title, channel=meta.channel)
                progress.fail(vault, candidate, result, now)
            else:
                items.append((source, result))
                bar.advance(f"{source.meta.video_id} analysed")
    return sorted(items, key=lambda item: item[0].meta.video_id)


def finish(vault: Path, progress: Progress, *, kind: RunKind, now: str) -> BatchReport:
    """Collect the extractions, write once, publish: the tail every batch flow shares.

    Only the transcripts written are cached (in the same commit as the notes),
    so a run that fails leaves nothing for a later `rebuild` to pick up.
    """
    items = collect(vault, progress, now=now)
    run = write_notes(vault, untraversed(items), kind=kind, over=on_workers) if items else None
    ingested = [Fate(s.meta.video_id, "ingested", s.meta.title) for s, _ in items]
    report = BatchReport(kind, run, tuple(ingested + progress.fates), progress.stopped)
    create_markdown_artifact(
        markdown=policy.batch_markdown(report),
        key=f"tubewiki-{kind}",
        description=f"what tubewiki's {kind} run created, updated, skipped and failed",
    )
    print(
        f"{kind}: {len(ingested)} ingested, {len(report.failed)} failed, "
        f"{len(report.having('skipped', 'deferred'))} skipped"
        + (f", notes: {len(run.created)} created, {len(run.updated)} updated" if run else "")
    )
    return report


@flow(name="backfill", log_prints=True, task_runner=make_task_runner("process"))
def backfill(path: str, vault: str = "notes") -> BatchReport:
    """Ingest a folder of transcripts or a list of videos; `on_runner` picks Dask instead."""
    root, now = Path(vault), utc_now()
    requests = {r.video_id: r for r in policy.sources_from_path(path)}
    if any(r.transcript_file is None for r in requests.values()):
        ensure_limits()
    progress = Progress(vault=root)
    bar.begin(len(requests), "backfill")
    with api_shared_with_workers():
        fetch_all(root, [Candidate(v) for v in requests], requests, progress, now=now)
        return finish(root, progress, kind="backfill", now=now)


def on_runner(
    flow_: Flow[P, R], task_runner: str = "process", dask_address: str | None = None
) -> Flow[P, R]:
    """`flow_` with its extraction on the named task runner (`process` or `dask`)."""
    return flow_.with_options(task_runner=make_task_runner(task_runner, dask_address))
