"""The `tubewiki` command line: parse, call one library function, map errors.

Heavy modules (spaCy, Prefect) are imported inside the commands so `--help`
stays instant. Every `TubewikiError` becomes one line on stderr and its exit
code; nothing else a user can cause prints a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tubewiki.errors import TubewikiError

log = logging.getLogger(__name__)

app = typer.Typer(
    help="Turn YouTube videos into a linked Markdown wiki.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

VaultOption = Annotated[
    Path, typer.Option("--vault", help="The vault folder (default: ./notes).", envvar="TUBEWIKI_VAULT")
]


@contextmanager
def user_errors() -> Iterator[None]:
    """One line and an exit code for anything a user can cause."""
    try:
        yield
    except TubewikiError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: the vault is unchanged or fully updated, never half-written")
        raise typer.Exit(130) from None


def _quiet_prefect(verbose: bool) -> None:
    """Prefect logs tracebacks of failed tasks; the CLI prints its own one-line errors."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")


@app.command()
def ingest(
    video: Annotated[str, typer.Argument(help="An 11-character video id or any YouTube URL.")],
    transcript: Annotated[
        Path | None,
        typer.Option("--transcript", help="Read this transcript (JSON, SRT or WebVTT) instead of YouTube."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="The video's title (default: from YouTube).")] = None,
    channel: Annotated[str | None, typer.Option(help="The channel's name (default: from YouTube).")] = None,
    vault: VaultOption = Path("notes"),
    language: Annotated[
        list[str] | None,
        typer.Option("--language", "-l", help="Caption language, in order of preference (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite sections you edited by hand.")] = False,
    proxy_http: Annotated[str | None, typer.Option(help="HTTP proxy URL for YouTube requests.")] = None,
    proxy_https: Annotated[str | None, typer.Option(help="HTTPS proxy URL for YouTube requests.")] = None,
    webshare_username: Annotated[str | None, typer.Option(help="Webshare rotating proxy username.")] = None,
    webshare_password: Annotated[str | None, typer.Option(help="Webshare rotating proxy password.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    """Ingest one video into the vault, through the ingest-video Prefect flow."""
    from tubewiki.youtube import parse_video_id

    with user_errors():
        video_id = parse_video_id(video)
        _check_vault(vault)
        if transcript is not None:
            from tubewiki.transcript_files import read_transcript_file

            read_transcript_file(transcript, video_id)  # fail before starting Prefect
        for var, value in (
            ("TUBEWIKI_PROXY_HTTP", proxy_http),
            ("TUBEWIKI_PROXY_HTTPS", proxy_https),
            ("TUBEWIKI_WEBSHARE_USERNAME", webshare_username),
            ("TUBEWIKI_WEBSHARE_PASSWORD", webshare_password),
        ):
            if value:
                os.environ[var] = value
        _quiet_prefect(verbose)
        from flows.ingest import ingest_video

        report = ingest_video(
            video=video_id,
            transcript=str(transcript) if transcript else None,
            title=title,
            channel=channel,
            vault=str(vault),
            languages=language or ["en"],
            force=force,
        )
        _print_report(report)


@app.command()
def rebuild(
    vault: VaultOption = Path("notes"),
    force: Annotated[bool, typer.Option(help="Overwrite sections you edited by hand.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    """Re-render every note from the cached transcripts, with no network."""
    with user_errors():
        _check_vault(vault)
        _quiet_prefect(verbose)
        from flows.rebuild import rebuild_vault

        _print_report(rebuild_vault(vault=str(vault), force=force))


def _check_vault(vault: Path) -> None:
    from tubewiki.errors import VaultError

    if vault.exists() and not vault.is_dir():
        raise VaultError(f"vault path '{vault}' is a file, not a folder; pass a folder with --vault")


def _print_report(report: object) -> None:
    from rich.table import Table

    from tubewiki.pipeline import RunReport

    assert isinstance(report, RunReport)
    table = Table(title=f"run {report.run_id}", show_lines=False)
    table.add_column("note")
    table.add_column("change")
    for path in report.created:
        table.add_row(path, "[green]created[/]")
    for path in report.updated:
        table.add_row(path, "[yellow]updated[/]")
    if report.created or report.updated:
        console.print(table)
    else:
        console.print(f"run {report.run_id}: every note already up to date")
    for conflict in report.conflicts:
        err_console.print(
            f"[bold yellow]conflict:[/] {conflict.path}: you edited the section for "
            f"{conflict.key}; the new version is beside it (tubewiki resolve {conflict.path})"
        )


def main() -> None:  # pragma: no cover - console script entry
    app(prog_name="tubewiki")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
