"""What a backfill or a watch run should ingest, and what to do when a video fails.

`sources_from_path` turns what `tubewiki backfill FILE_OR_FOLDER` is given (a
folder of transcripts, or a text file of video ids and URLs) into `Request`s.
The rest is the watch flow's retry policy, kept here as plain functions so it
can be tested without Prefect: a permanent failure (captions disabled, video
gone) is recorded once and never retried; a transient one (network trouble, a
rate limit, an IP block) is retried on a later run after an exponential
backoff, and given up after `MAX_ATTEMPTS`. `tubewiki retry` undoes both.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from tubewiki.errors import (
    ConfigError,
    InvalidVideoError,
    RequestBlockedError,
    TranscriptFileError,
    TubewikiError,
)
from tubewiki.ledger import FeedRow, Ledger, VideoRow, VideoStatus, format_time
from tubewiki.pipeline import Request, RunReport
from tubewiki.report import run_markdown
from tubewiki.youtube import parse_video_id

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = (".json", ".srt", ".vtt")
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(hours=1)
MAX_DELAY = timedelta(hours=24)
# Transcript characters per extraction task at most, unless there are fewer tasks than
# workers: about 50k words, under a minute of one core's spaCy.
BATCH_CHARS = 300_000
# A run stops early once this many requests were blocked and they are most of them.
BLOCKED_MIN = 3
_LAYOUT = "<VIDEOID>.json|.srt|.vtt or <VIDEOID>/transcript.json (+ optional meta.json)"

Moment = datetime | str

# --- what to backfill ---------------------------------------------------------------------


def sources_from_path(path: Path | str) -> list[Request]:
    """Requests for a transcript folder (by video id) or a list file (in file order)."""
    path = Path(path)
    if path.is_dir():
        return _from_folder(path)
    if not path.is_file():
        raise ConfigError(f"backfill source '{path}' does not exist; pass a folder or a file")
    if path.suffix.lower() in TRANSCRIPT_SUFFIXES and _video_id(path.stem) is not None:
        return [Request(video_id=path.stem, transcript_file=path)]
    return _from_list(path)


def _from_folder(folder: Path) -> list[Request]:
    found: dict[str, Request] = {}
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        request = _folder_entry(child)
        if request is None:
            continue
        if request.video_id in found:
            raise ConfigError(
                f"backfill folder '{folder}' has two transcripts for {request.video_id} "
                f"({found[request.video_id].transcript_file} and {request.transcript_file}); "
                "keep one"
            )
        found[request.video_id] = request
    if not found:
        raise ConfigError(f"backfill folder '{folder}' holds no transcripts ({_LAYOUT})")
    return [found[video_id] for video_id in sorted(found)]


def _folder_entry(child: Path) -> Request | None:
    """A transcript file named by its video id, or a folder named by it; None to ignore."""
    video_id = _video_id(child.stem if child.is_file() else child.name)
    if child.is_file():
        if child.suffix.lower() not in TRANSCRIPT_SUFFIXES:
            return None
        if video_id is None:
            raise ConfigError(
                f"'{child}' is not named after an 11-character video id; expected {_LAYOUT}"
            )
        return Request(video_id=video_id, transcript_file=child)
    if video_id is None:
        log.debug("ignoring folder %s: not named after a video id", child)
        return None
    transcripts = [child / f"transcript{s}" for s in TRANSCRIPT_SUFFIXES]
    transcript = next((t for t in transcripts if t.is_file()), None)
    if transcript is None:
        raise ConfigError(f"'{child}' holds no transcript.json, transcript.srt or transcript.vtt")
    title, channel = _read_meta(child / "meta.json")
    return Request(video_id=video_id, transcript_file=transcript, title=title, channel=channel)


def _read_meta(path: Path) -> tuple[str | None, str | None]:
    if not path.is_file():
        return None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TranscriptFileError(
            f"'{path}' is not readable JSON ({exc}); fix or delete it"
        ) from None
    if not isinstance(data, dict):
        raise TranscriptFileError(f"'{path}' must be a JSON object with `title` and `channel`")
    title, channel = data.get("title"), data.get("channel")
    return (
        str(title).strip() or None if title else None,
        str(channel).strip() or None if channel else None,
    )


def _from_list(path: Path) -> list[Request]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the video list '{path}' ({exc})") from None
    seen: dict[str, Request] = {}
    for number, line in enumerate(lines, start=1):
        words = line.split()  # "ID  # a comment" or "URL title": the first word counts
        if not words or words[0].startswith("#"):
            continue
        text = words[0]
        try:
            video_id = parse_video_id(text)
        except InvalidVideoError as exc:
            raise InvalidVideoError(f"{path}, line {number}: {exc}") from None
        seen.setdefault(video_id, Request(video_id=video_id))
    if not seen:
        raise ConfigError(f"the video list '{path}' names no videos (one id or URL per line)")
    return list(seen.values())


def batches(sizes: Mapping[str, int], workers: int, limit: int = BATCH_CHARS) -> list[list[str]]:
    """Video ids in batches of about equal size, one extraction task each, largest first.

    A task has a fixed cost, so a small video should not pay one alone, and
    batches that finish together leave no worker idle at the end. There are as
    many batches as workers, or more when that keeps each near `limit`; each
    video, largest first, joins the smallest batch so far (ties by id: stable).
    """
    count = min(len(sizes), max(workers, math.ceil(sum(sizes.values()) / limit)))
    heap: list[tuple[int, int, list[str]]] = [(0, i, []) for i in range(count)]
    for video_id in sorted(sizes, key=lambda v: (-sizes[v], v)):
        total, i, members = heapq.heappop(heap)
        heapq.heappush(heap, (total + sizes[video_id], i, [*members, video_id]))
    return [members for _, _, members in sorted(heap, key=lambda b: (-b[0], b[1]))]


def _video_id(name: str) -> str | None:
    try:
        video_id = parse_video_id(name)
    except InvalidVideoError:
        return None
    return video_id if video_id == name else None


# --- the retry policy -----------------------------------------------------------------------


def as_time(moment: Moment) -> datetime:
    """A timezone-aware time from a datetime or an ISO-8601 string (naive means UTC)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"{moment!r} is not a time; write it as ISO-8601, e.g. 2026-03-01T12:00:00Z"
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def next_attempt(attempts: int, now: Moment) -> str:
    """When to try again after `attempts` failures: 1 h, 2 h, 4 h, ... at most a day."""
    exponent = max(attempts - 1, 0)
    delay = MAX_DELAY if exponent >= 10 else min(BASE_DELAY * 2**exponent, MAX_DELAY)
    return format_time(as_time(now) + delay)


def should_retry(video: VideoRow | None, now: Moment) -> bool:
    """True for a new video, a pending one, or a transient failure whose backoff is over."""
    if video is None or video.status == "pending":
        return True
    if video.status != "failed_transient" or video.attempts >= MAX_ATTEMPTS:
        return False
    return video.next_attempt is None or as_time(video.next_attempt) <= as_time(now)


def classify(error: BaseException) -> VideoStatus:
    """Whether trying again later can succeed; a bug is permanent until `tubewiki retry`."""
    if isinstance(error, TubewikiError):
        return "failed_transient" if error.transient else "failed_permanent"
    if isinstance(error, requests.RequestException | TimeoutError | ConnectionError):
        return "failed_transient"
    return "failed_permanent"


def is_blocked(error: BaseException) -> bool:
    return isinstance(error, RequestBlockedError)


def too_blocked(blocked: int, attempted: int) -> bool:
    """Stop a run once most of its requests were refused: more would only prolong the block."""
    return blocked >= BLOCKED_MIN and blocked * 2 > attempted


def describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if isinstance(error, TubewikiError) else f"{type(error).__name__}: {text}"


def record_failure(
    vault: Path, video_id: str, error: BaseException, now: Moment, **fields: str
) -> VideoRow:
    """Record one failed try; a transient failure past `MAX_ATTEMPTS` becomes permanent."""
    status, message = classify(error), describe(error)
    with Ledger.open(vault) as ledger:
        old = ledger.video(video_id)
        attempts = (old.attempts if old else 0) + 1
        when: str | None = None
        if status == "failed_transient" and attempts >= MAX_ATTEMPTS:
            status, message = "failed_permanent", f"gave up after {attempts} attempts: {message}"
        elif status == "failed_transient":
            when = next_attempt(attempts, now)
        return ledger.record_attempt(
            video_id, status=status, error=message, next_attempt=when, **fields
        )


def mark_for_retry(vault: Path, video_id: str) -> VideoRow:
    """Make a video due now with a fresh set of attempts (it need not be known yet)."""
    video_id = parse_video_id(video_id)
    with Ledger.open(vault) as ledger:
        old = ledger.video(video_id) or VideoRow(video_id, "pending")
        row = replace(old, status="pending", attempts=0, next_attempt=None)
        ledger.upsert_video(row)
    return row


def record_feed(vault: Path, ref: str, label: str, error: BaseException | None) -> None:
    """Keep a feed's failure in the ledger for `tubewiki status`; a good read clears it."""
    with Ledger.open(vault) as ledger:
        ledger.record_feed(ref, label, describe(error) if error is not None else None)


def video_rows(vault: Path) -> list[VideoRow]:
    """Every video the vault's ledger knows, without creating a ledger where there is none."""
    with Ledger.read(vault) as ledger:
        return ledger.videos()


def feed_rows(vault: Path) -> list[FeedRow]:
    """The feeds whose last read failed, without creating a ledger where there is none."""
    with Ledger.read(vault) as ledger:
        return ledger.failed_feeds()


# --- what a watch run should fetch ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A video a feed lists (or the ledger holds as due), and the entry it came from."""

    video_id: str
    languages: tuple[str, ...] = ("en",)
    source: str = ""
    title: str = ""
    channel: str = ""


@dataclass(frozen=True, slots=True)
class Fate:
    """What a run did with one video: ingested, skipped, deferred or a failure status."""

    video_id: str
    outcome: str
    detail: str = ""


def select(
    vault: Path,
    candidates: Iterable[Candidate],
    now: Moment,
    limit: int,
    languages: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[list[Candidate], list[Fate]]:
    """The videos to fetch now, in order, and why every other one is left alone.

    Feed videos come first in feed order; then videos the ledger holds as due
    (a `tubewiki retry`, or a transient failure no longer in any feed), in the
    languages of the watchlist entry they came from (`languages` by source).
    """
    limit = max(limit, 0)
    chosen: dict[str, Candidate] = {}
    fates: dict[str, Fate] = {}
    with Ledger.open(vault) as ledger:
        for candidate in candidates:
            if candidate.video_id in chosen or candidate.video_id in fates:
                continue
            row = ledger.video(candidate.video_id)
            if should_retry(row, now):
                chosen[candidate.video_id] = candidate
            else:
                fates[candidate.video_id] = _skip(row)
        for row in ledger.due_videos(format_time(as_time(now))):
            if row.video_id not in chosen and should_retry(row, now):
                langs = (languages or {}).get(row.source, ("en",))
                chosen[row.video_id] = Candidate(row.video_id, langs, row.source, row.title)
    wanted = list(chosen.values())
    deferred = [Fate(c.video_id, "deferred", f"over max_videos={limit}") for c in wanted[limit:]]
    return wanted[:limit], [*fates.values(), *deferred]


def _skip(row: VideoRow | None) -> Fate:
    assert row is not None
    if row.status == "ingested":
        return Fate(row.video_id, "skipped", "already ingested")
    if row.status == "failed_transient" and row.attempts < MAX_ATTEMPTS:
        return Fate(row.video_id, "skipped", f"next attempt after {row.next_attempt}")
    return Fate(row.video_id, "skipped", f"{row.status}: {row.last_error or 'no error recorded'}")


# --- what a run did -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchReport:
    """A watch or backfill run: the notes it wrote and every video's fate."""

    kind: str
    run: RunReport | None
    fates: tuple[Fate, ...] = ()
    stopped: str | None = None

    def having(self, *outcomes: str) -> tuple[Fate, ...]:
        return tuple(f for f in self.fates if f.outcome in outcomes)

    @property
    def failed(self) -> tuple[Fate, ...]:
        return self.having("failed_permanent", "failed_transient", "feed_failed")


def batch_markdown(report: BatchReport) -> str:
    """The run's Prefect artifact: created/updated notes, then skipped and failed videos."""
    parts = [run_markdown(report.run) if report.run else f"# tubewiki {report.kind} run\n"]
    if report.stopped:
        parts.append(f"\n**Stopped early:** {report.stopped}\n")
    for title, fates in (
        ("Ingested", report.having("ingested")),
        ("Failed", report.failed),
        ("Skipped", report.having("skipped", "deferred")),
    ):
        parts.append(f"\n## {title} ({len(fates)})\n")
        parts.extend(f"\n- `{f.video_id}` {f.outcome}: {_cell(f.detail)}" for f in fates)
        parts.append("\n")
    return "".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()) or "-"
