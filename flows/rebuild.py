"""The `rebuild-vault` flow: re-render every note from cached transcripts, offline."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.ingest import publish
from flows.tasks import analyse_video, learn_vault, load_cached_sources, write_notes
from tubewiki.pipeline import RunReport


@flow(name="rebuild-vault", log_prints=True)
def rebuild_vault(vault: str = "notes", force: bool = False) -> RunReport:
    """Run after a template or extractor change; people's edits survive it."""
    root = Path(vault)
    sources = load_cached_sources(root)
    lexicon = learn_vault(root)
    items = [analyse_video(source, lexicon) for source in sources]
    report = write_notes(root, list(zip(sources, items, strict=True)), kind="rebuild", force=force)
    publish(report)
    return report
