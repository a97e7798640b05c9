"""The `rebuild-vault` flow: re-render every note from cached transcripts, offline.

Extraction runs as a backfill's does: the studies shared out among the warm
process pool's workers (`flows.backfill.share_out`, `flows.workers`), then the
extractions against the vault's lexicon (`flows.backfill.on_workers`), so a
rebuild of a vault takes no longer than the backfill that built it. Notes are written once, in
video-id order, so the result is the same bytes as a one-process rebuild.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow

from flows.backfill import on_workers, share_out
from flows.ingest import publish
from flows.tasks import load_cached_sources, untraversed, write_notes
from flows.workers import api_shared_with_workers, make_task_runner
from tubewiki import progress as bar
from tubewiki.cache import Source
from tubewiki.pipeline import RunReport
from tubewiki.study import Study, prune


@flow(name="rebuild-vault", log_prints=True, task_runner=make_task_runner("process"))
def rebuild_vault(vault: str = "notes", force: bool = False) -> RunReport:
    """Run after a template or extractor change; people's edits survive it.

    A video whose extraction fails fails the whole rebuild, before any note is written.
    """
    root, began = Path(vault), time.time()
    sources = load_cached_sources(root)
    bar.begin(len(sources), "rebuild")
    items: list[tuple[Source, Study]] = []
    with api_shared_with_workers():
        results = share_out(sources, root).results() if sources else []
        for source, result in zip(sources, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            items.append((source, result))
            bar.advance(f"{source.meta.video_id} analysed")
    items.sort(key=lambda item: item[0].meta.video_id)
    report = write_notes(root, untraversed(items), kind="rebuild", force=force, over=on_workers)
    prune(root, began)  # parses of videos or code that are no more
    publish(report)
    return report
