"""The `rebuild-vault` flow: re-render every note from cached transcripts, offline."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.ingest import publish
from flows.tasks import analyse_video, learn_vault, load_cached_sources, write_notes
from tubewiki import progress as bar
from tubewiki.pipeline import RunReport


@flow(name="rebuild-vault", log_prints=True)
def rebuild_vault(vault: str = "notes", force: bool = False) -> RunReport:
    """Run after a template or extractor change; people's edits survive it."""
    root = Path(vault)
    sources = load_cached_sources(root)
    lexicon = learn_vault(root)
    bar.begin(len(sources), "rebuild")
    items = []
    for source in sources:
        items.append(analyse_video(source, lexicon))
        bar.advance(f"{source.meta.video_id} analysed")
    report = write_notes(root, list(zip(sources, items, strict=True)), kind="rebuild", force=force)
    publish(report)
    return report
