"""The `watch-channels` flow: ingest what is new in the watchlist's channels and playlists.

Scheduled hourly in `prefect.yaml`. Each run reads every entry's feed, keeps
the videos the ledger has not ingested (or whose retry is due), fetches them
one by one under the `youtube-requests` rate limit, maps extraction over
worker processes, and writes all notes in one locked run. Every video's fate
goes to the ledger: a permanent failure is recorded once and never retried, a
transient one is retried on a later run after a backoff. When YouTube blocks
most requests, the run stops early and fails with advice about proxies, after
saving whatever it did get.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.concurrency.sync import rate_limit

from flows.backfill import Progress, fetch_all, finish
from flows.limits import ensure_limits
from flows.tasks import YOUTUBE_LIMIT, network_task
from flows.workers import api_shared_with_workers, make_task_runner
from tubewiki import feeds
from tubewiki import progress as bar
from tubewiki.backfill import (
    BatchReport,
    Candidate,
    Fate,
    as_time,
    describe,
    record_feed,
    select,
)
from tubewiki.errors import RequestBlockedError
from tubewiki.feeds import FeedVideo
from tubewiki.ledger import format_time, utc_now
from tubewiki.pipeline import Request
from tubewiki.watchlist import WatchEntry, load_watchlist
from tubewiki.youtube import ProxySettings


@network_task(retries=2, task_run_name="feed {entry.ref}")
def fetch_entry_feed(entry: WatchEntry, proxy: ProxySettings | None = None) -> list[FeedVideo]:
    rate_limit(YOUTUBE_LIMIT, strict=False)
    return feeds.fetch_feed(entry, proxy=proxy)


def read_feeds(
    vault: Path, entries: list[WatchEntry], progress: Progress, *, retries: int
) -> list[Candidate]:
    """Every entry's videos, newest first per entry; a failing feed is reported and kept
    in the ledger (for `tubewiki status`), not fatal."""
    fetch = fetch_entry_feed.with_options(retries=retries)
    proxy = ProxySettings.from_env()
    candidates: list[Candidate] = []
    for entry in entries:
        if progress.stopped:
            break
        result = fetch(entry, proxy, return_state=True).result(raise_on_failure=False)
        failure = result if isinstance(result, BaseException) else None
        record_feed(vault, entry.ref, entry.label, failure)
        if isinstance(result, BaseException):
            progress.count(result)
            progress.fates.append(Fate(entry.label, "feed_failed", describe(result)))
            continue
        progress.count(None)
        candidates += [
            Candidate(v.video_id, entry.languages, entry.ref, v.title, v.channel) for v in result
        ]
    return candidates


@flow(name="watch-channels", log_prints=True, task_runner=make_task_runner("process"))
def watch_channels(
    watchlist: str = "watchlist.yaml",
    vault: str = "notes",
    max_videos: int = 50,
    now: str | None = None,
    fetch_retries: int = 2,
) -> BatchReport:
    """One pass over the watchlist; `now` (ISO-8601 UTC) decides which retries are due."""
    root = Path(vault)
    moment = format_time(as_time(now)) if now else utc_now()
    entries = load_watchlist(watchlist)
    if not entries:
        print(f"{watchlist} lists no channels yet; add one with `tubewiki watch add CHANNEL`")
    ensure_limits()
    progress = Progress(vault=root)
    candidates = read_feeds(root, entries, progress, retries=fetch_retries)
    languages = {entry.ref: entry.languages for entry in entries}
    chosen, skipped = select(root, candidates, moment, max_videos, languages)
    progress.fates += skipped
    requests = {c.video_id: Request(c.video_id, languages=c.languages) for c in chosen}
    bar.begin(len(chosen), "watch")
    with api_shared_with_workers():
        fetch_all(root, chosen, requests, progress, now=moment, retries=fetch_retries)
        report = finish(root, progress, kind="watch", now=moment)
    if report.stopped:
        raise RequestBlockedError(report.stopped)
    return report
