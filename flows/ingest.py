"""The `ingest-video` flow: one video, fetched or read from a file, into the vault."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.tasks import fetch_source, study_video, write_notes
from tubewiki import ahead
from tubewiki.backfill import record_failure
from tubewiki.ledger import utc_now
from tubewiki.pipeline import Request, RunReport, unchanged
from tubewiki.report import run_markdown
from tubewiki.settled import settled_by
from tubewiki.youtube import ProxySettings, parse_video_id


def publish(report: RunReport) -> None:
    create_markdown_artifact(
        markdown=run_markdown(report),
        key=f"tubewiki-{report.kind}",
        description=f"notes created and updated by tubewiki run {report.run_id}",
    )


@flow(name="ingest-video", log_prints=True)
def ingest_video(
    video: str,
    transcript: str | None = None,
    title: str | None = None,
    channel: str | None = None,
    vault: str = "notes",
    languages: list[str] | None = None,
    force: bool = False,
) -> RunReport:
    """Ingest one video; `video` is an 11-character id or any YouTube URL.

    Proxy settings come from the TUBEWIKI_PROXY_* / TUBEWIKI_WEBSHARE_*
    environment, never from parameters, so no secret is stored with the run.
    """
    request = Request(
        video_id=parse_video_id(video),
        transcript_file=Path(transcript) if transcript else None,
        title=title,
        channel=channel,
        languages=tuple(languages or ("en",)),
    )
    root = Path(vault)
    try:
        source = fetch_source(request, root, ProxySettings.from_env())
    except Exception as exc:
        if request.transcript_file is None:  # YouTube failed: `tubewiki status` shows it
            record_failure(root, request.video_id, exc, utc_now(), source="ingest")
        raise
    if not force and (run_id := settled_by(root, source)):
        print(f"{request.video_id}: unchanged since run {run_id}; nothing to do")
        return unchanged(source, run_id)
    ahead.start(root)  # the vault's notes, read while spaCy parses
    found = study_video(source, root)
    report = write_notes(root, [(source, found)], force=force)  # caches the transcript too
    publish(report)
    return report
