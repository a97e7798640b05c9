"""The ingest pipeline as a readable sequence of stages.

    acquire -> study -> (lock) relink -> plan -> record -> commit

`acquire` is the only stage that may touch the network, `study` the only one
that runs spaCy (what a video says on its own, cached by `tubewiki.study`), and
`write` the only one that changes the vault: under the vault lock, after
recovering any run a crash left half-done, it extracts the run's videos, and
the older ones they re-link, against the whole vault's lexicon
(`tubewiki.relink`), commits all their notes at once and records in the
ledger what changed. Prefect flows call these same functions as tasks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tubewiki import ahead, cache, collector, journal, relink, sections, settled, shares
from tubewiki.cache import Source
from tubewiki.errors import TubewikiError
from tubewiki.ledger import ChangeRow, Ledger, RunKind, RunStatus
from tubewiki.plan import (
    Edit,
    SectionReport,
    follow_entry,
    plan_video,
    refresh_entity_intro,
    vault_templates,
)
from tubewiki.sanitize import safe_meta
from tubewiki.sections import Outcome
from tubewiki.study import Study, prune, study
from tubewiki.study import state_files as study_files
from tubewiki.transcript_files import read_transcript_file
from tubewiki.types import VideoMeta
from tubewiki.vault import Vault, note_text, stamps_after
from tubewiki.youtube import ProxySettings, fetch_metadata, fetch_transcript

log = logging.getLogger(__name__)

AnalysisResult = Study | Exception


@dataclass(frozen=True, slots=True)
class Request:
    """What a person asked to ingest."""

    video_id: str
    transcript_file: Path | None = None
    title: str | None = None
    channel: str | None = None
    languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class RunReport:
    run_id: str
    kind: str
    videos: tuple[str, ...]
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    sections: tuple[SectionReport, ...] = ()
    recovered: tuple[str, ...] = field(default=())

    @property
    def conflicts(self) -> tuple[SectionReport, ...]:
        return tuple(s for s in self.sections if s.outcome is Outcome.CONFLICT)

    def summary(self) -> dict[str, object]:
        return {
            "created": list(self.created),
            "updated": list(self.updated),
            "deleted": list(self.deleted),
            "conflicts": [f"{s.path}#{s.key}" for s in self.conflicts],
            "recovered": list(self.recovered),
        }


def acquire(request: Request, *, vault: Path, proxy: ProxySettings | None = None) -> Source:
    """The raw transcript and metadata, from a local file or from YouTube, made safe."""
    if request.transcript_file is not None:
        transcript = read_transcript_file(request.transcript_file, request.video_id)
        cached = cache.load(vault, request.video_id)
        meta = VideoMeta(
            video_id=request.video_id,
            title=request.title or (cached.meta.title if cached else f"Video {request.video_id}"),
            channel=request.channel or (cached.meta.channel if cached else "local"),
        )
        return Source(safe_meta(meta), transcript)
    transcript = fetch_transcript(request.video_id, request.languages, proxy=proxy)
    meta = fetch_metadata(request.video_id, proxy=proxy)
    meta = replace(meta, title=request.title or meta.title, channel=request.channel or meta.channel)
    return Source(safe_meta(meta), transcript)


def study_share(vault: Path, folder: Path) -> dict[str, AnalysisResult]:
    """`study` of each video this worker takes from `folder` (`shares.take`), by id:
    a video that fails gives its error and fails alone."""
    return {source.meta.video_id: _study_or_error(vault, source) for source in shares.take(folder)}


def _study_or_error(vault: Path, source: Source) -> AnalysisResult:
    try:
        return study(vault, source)
    except TubewikiError as exc:
        return exc
    except Exception as exc:  # a bug, surely; the rest of the share still counts
        log.exception("analysing %s failed", source.meta.video_id)
        return exc


def write(
    vault: Path,
    items: Sequence[tuple[Source, Study]],
    *,
    kind: RunKind = "ingest",
    force: bool = False,
    lock_timeout: float | None = None,
    over: relink.Mapper = relink.serial,
) -> RunReport:
    """Plan the notes of every item, and of the older videos they re-link, and commit
    them in one all-or-nothing run; `over` runs their extractions (`relink.Mapper`).

    The cached transcripts, what each video teaches the vault, the lexicon
    and the videos' ledger rows are part of that same commit: they exist
    exactly when the notes they describe do.
    """
    sources = {source.meta.video_id: source for source, _ in items}
    studies = {found.video_id: found for _, found in items}
    own: dict[str, set[str]] = {}
    planned: list[relink.RunPlan] = []

    def edit(loaded: Vault) -> list[SectionReport]:
        templates = vault_templates(vault)
        run = relink.prepare(
            vault, loaded, sources, studies, everything=kind == "rebuild", over=over
        )
        planned.append(run)
        reports: list[SectionReport] = []
        for video_id, item in sorted(run.inputs.items()):
            mine = plan_video(
                loaded,
                item,
                force=force and video_id in sources,
                templates=templates,
                lexicon=run.lexicon,
                linkable=run.linkable,
            )
            reports.extend(mine)
        for slug in sorted(run.refresh):
            note = loaded.entity_note(slug)
            if note is None or slug not in run.lexicon:
                continue
            if sections.blocks(note.body, path=note.path):
                refresh_entity_intro(loaded, note, templates, run.lexicon[slug])
            else:  # a note a person made: its front matter only
                follow_entry(note, run.lexicon[slug])
                loaded.put(note)
        own.update(loaded.notes_of(sources))  # whether or not this run changed them
        return reports

    def bookkeeping() -> Bookkeeping:
        run = planned.pop()  # its last use: the lexicon dies with `apply`'s frame
        state = cache.state_files(list(sources.values()))
        state.update(study_files(run.studies))
        state.update(relink.state_files(run))
        rows = [
            {
                "video_id": video_id,
                "title": source.meta.title,
                "channel": source.meta.channel,
                "transcript_kind": str(source.transcript.kind),
                "language": source.transcript.language,
                "transcript_hash": source.transcript_hash,
                "notes": sorted(own.get(video_id, ())),  # its own notes, all of them
            }
            for video_id, source in sources.items()
        ]
        return state, rows

    def settle_video(report: RunReport, loaded: Vault) -> None:
        if kind == "ingest" and len(items) == 1 and not force and not report.conflicts:
            written = (*report.created, *report.updated, *report.deleted)
            notes = stamps_after(vault, loaded.stamps, written)
            settled.record(vault, items[0][0], report.run_id, notes)  # the run's last write

    videos = list(sources)
    return apply(
        vault,
        kind,
        edit,
        videos=videos,
        lock_timeout=lock_timeout,
        bookkeeping=bookkeeping,
        then=settle_video,
    )


# State files (path in the state folder -> bytes) and ledger rows of ingested videos.
Bookkeeping = tuple[dict[str, bytes], list[dict[str, Any]]]


def apply(
    vault: Path,
    kind: RunKind,
    edit: Edit,
    *,
    videos: Sequence[str] = (),
    lock_timeout: float | None = None,
    bookkeeping: Callable[[], Bookkeeping] | None = None,
    then: Callable[[RunReport, Vault], None] | None = None,
) -> RunReport:
    """Every change to a vault goes through here: lock, recover, edit, record, commit.

    `bookkeeping` runs after `edit`, under the lock; its state files join the
    notes' journalled commit and its ledger rows are written when the run is
    settled "ok", in one ledger transaction, which `_recover` repeats from the
    journal's meta after a crash. Nothing later runs need is written after the
    commit point: `then` (the no-op fingerprint of `settled`, which a later run
    may do without) runs after it, still under the lock, with the run's report and
    the vault as loaded and edited.
    """
    # No garbage collection under the lock: a big vault's notes are many objects, no
    # garbage. They die with `_locked`'s frame, before the collector resumes: what is
    # alive then is walked once more (at 10,000 notes, a tenth of an ingest's overhead).
    with journal.vault_lock(vault, timeout=lock_timeout), collector.paused():
        return _locked(vault, kind, edit, videos, bookkeeping, then)


def _locked(
    vault: Path,
    kind: RunKind,
    edit: Edit,
    videos: Sequence[str],
    bookkeeping: Callable[[], Bookkeeping] | None,
    then: Callable[[RunReport, Vault], None] | None,
) -> RunReport:
    """`apply`'s work, under the vault lock."""
    recovered = _recover(vault)  # a roll-forward renews the changes token
    loaded = Vault.load(vault, ahead.take(vault))
    reports = edit(loaded)
    changes = loaded.changes()
    state, ingested = bookkeeping() if bookkeeping is not None else ({}, [])
    state = {
        rel: data
        for rel, data in state.items()
        if not _holds(vault / journal.STATE_DIR / rel, data)
    }
    with Ledger.open(vault) as ledger:
        run_id = ledger.start_run(kind, videos)
        report = RunReport(
            run_id=run_id,
            kind=kind,
            videos=tuple(videos),
            created=tuple(c.path for c in changes if c.action == "created"),
            updated=tuple(c.path for c in changes if c.action == "updated"),
            deleted=tuple(c.path for c in changes if c.action == "deleted"),
            sections=tuple(reports),
            recovered=tuple(recovered),
        )
        landed = False

        def settle() -> None:
            nonlocal landed
            landed = True
            ledger.finish_run(run_id, "ok", report.summary(), ingested=ingested)

        try:
            ledger.record_changes(
                run_id,
                [
                    ChangeRow(
                        c.path,
                        c.action,
                        c.before,
                        c.after,
                        {"sections": {r.key: str(r.outcome) for r in reports if r.path == c.path}},
                    )
                    for c in changes
                ],
            )
            if changes or state:
                meta = {"run_id": run_id, "summary": report.summary(), "ingested": ingested}
                writes = {c.path: c.after for c in changes}
                journal.commit(vault, writes, state=state, meta=meta, on_applied=settle)
            else:
                settle()
        except BaseException as exc:
            if not landed:  # the notes are as they were: say so, if the ledger can
                _mark_failed(ledger, run_id, exc)
            raise
    if then is not None:
        then(report, loaded)
    return report


def _mark_failed(ledger: Ledger, run_id: str, exc: BaseException) -> None:
    """Best effort: if the ledger itself failed, the next `_recover` settles the run."""
    try:
        ledger.finish_run(run_id, "failed", error=str(exc) or type(exc).__name__)
    except TubewikiError:
        log.warning("could not record run %s as failed", run_id, exc_info=True)


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def ingest(
    request: Request,
    vault: Path,
    *,
    force: bool = False,
    proxy: ProxySettings | None = None,
    lock_timeout: float | None = None,
) -> RunReport:
    """The whole job for one video, without Prefect. Nothing is cached unless it lands."""
    source = acquire(request, vault=vault, proxy=proxy)
    if not force and (run_id := settled.settled_by(vault, source)):
        return unchanged(source, run_id)
    ahead.start(vault)  # the vault's notes, read while spaCy parses
    found = study(vault, source)
    return write(vault, [(source, found)], force=force, lock_timeout=lock_timeout)


def unchanged(source: Source, run_id: str) -> RunReport:
    """The report of an ingest skipped because run `run_id` already wrote its result."""
    return RunReport(run_id=run_id, kind="ingest", videos=(source.meta.video_id,))


def rebuild(vault: Path, *, force: bool = False) -> RunReport:
    """What the rebuild-vault flow does, in one process: every cached video again."""
    began = time.time()
    sources = rebuild_sources(vault)
    report = write(vault, [(s, study(vault, s)) for s in sources], kind="rebuild", force=force)
    prune(vault, began)
    return report


def recover(vault: Path) -> list[str]:
    """Finish or undo a run a crash left half-done, as any writing command does first."""
    with journal.vault_lock(vault):
        return _recover(vault)


def rebuild_sources(vault: Path) -> list[Source]:
    """Every cached transcript, in a stable order."""
    sources = [cache.load(vault, video_id) for video_id in cache.cached_ids(vault)]
    return [s for s in sources if s is not None]


def _recover(vault: Path) -> list[str]:
    """Finish or undo a run a crash interrupted, and settle its ledger entry."""
    with Ledger.open(vault) as ledger:

        def settle(result: journal.RecoveryResult) -> None:
            run_id = str(result.meta.get("run_id", ""))
            if not run_id:
                return
            note = f"recovered after a crash: {result.action}"
            if result.action == "rolled_forward":
                summary = result.meta.get("summary")
                rows = result.meta.get("ingested")
                ledger.finish_run(
                    run_id,
                    "ok",
                    summary if isinstance(summary, dict) else None,
                    note,
                    ingested=rows if isinstance(rows, list) else (),
                )
            else:
                ledger.finish_run(run_id, "rolled_back", error=note)

        results = journal.recover(vault, on_recovered=settle)
        for run in ledger.runs(limit=50):
            if run.status == "running":
                ledger.finish_run(run.run_id, _settled_status(vault, ledger, run.run_id))
    return [f"{r.txn_id}: {r.action}" for r in results]


def _settled_status(vault: Path, ledger: Ledger, run_id: str) -> RunStatus:
    """A run that died with no transaction left either landed fully or never began."""
    changes = ledger.changes(run_id)
    landed = all(
        (vault / c.path).is_file() and note_text(vault / c.path) == c.after for c in changes
    )
    return "ok" if landed and changes else "rolled_back" if changes else "failed"
