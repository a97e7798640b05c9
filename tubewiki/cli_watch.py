"""The `tubewiki watch ...`, `status`, `retry` and `backfill` commands.

Like the rest of the CLI, each command parses its arguments, calls one
library function or flow, and turns `TubewikiError`s into one line and an exit
code through `tubewiki.cli_common.user_errors`. Prefect and spaCy are imported inside
the commands so `--help` stays instant. `tubewiki.cli` registers them:

    app.add_typer(watch_app, name="watch")
    app.command(name="status")(status)
    app.command(name="retry")(retry)
    app.command(name="backfill")(backfill_command)
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tubewiki import cli_common as base
from tubewiki import progress

if TYPE_CHECKING:
    from tubewiki.backfill import BatchReport

watch_app = typer.Typer(
    help="Follow channels and playlists; new videos arrive with `tubewiki watch run` "
    "or the hourly watch-channels deployment.",
    no_args_is_help=True,
)

VaultOption = base.VaultOption
WatchlistOption = Annotated[
    Path,
    typer.Option(
        "--watchlist",
        help="The watchlist file (default: ./watchlist.yaml).",
        envvar="TUBEWIKI_WATCHLIST",
    ),
]
# `watch run` exit code when a video or feed failed (README): cron and CI see it.
SOME_FAILED = 14
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")]


class TaskRunnerName(StrEnum):
    process = "process"
    dask = "dask"


@watch_app.command("add")
def add(
    entry: Annotated[str, typer.Argument(help="A channel (UC… id, @handle, URL) or playlist.")],
    language: Annotated[
        list[str] | None,
        typer.Option("--language", "-l", help="Caption language, in order of preference."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Skip videos published before this date (YYYY-MM-DD).")
    ] = None,
    name: Annotated[str, typer.Option(help="A name to show for this entry.")] = "",
    watchlist: WatchlistOption = Path("watchlist.yaml"),
) -> None:
    """Watch a channel or playlist."""
    from tubewiki.watchlist import DEFAULT_LANGUAGES, add_entry

    with base.user_errors():
        added = add_entry(
            watchlist, entry, languages=language or DEFAULT_LANGUAGES, since=since, name=name
        )
        base.console.print(f"watching {added.label}: {added.url}", highlight=False)


@watch_app.command("remove")
def remove(
    entry: Annotated[str, typer.Argument(help="The entry's ref, any URL for it, or its name.")],
    watchlist: WatchlistOption = Path("watchlist.yaml"),
) -> None:
    """Stop watching a channel or playlist (its notes stay)."""
    from tubewiki.watchlist import remove_entry

    with base.user_errors():
        removed = remove_entry(watchlist, entry)
        base.console.print(f"no longer watching {removed.label}", highlight=False)


@watch_app.command("list")
def list_entries(watchlist: WatchlistOption = Path("watchlist.yaml")) -> None:
    """Show the watchlist."""
    from tubewiki.watchlist import load_watchlist

    with base.user_errors():
        entries = load_watchlist(watchlist)
    if not entries:
        base.console.print(
            f"{watchlist} lists nothing yet; add a channel with `tubewiki watch add`"
        )
        return
    table = Table(title=str(watchlist))
    for column in ("kind", "ref", "name", "languages", "since"):
        table.add_column(column)
    for e in entries:
        since = e.since.isoformat() if e.since else ""
        table.add_row(e.kind, e.ref, e.name, ", ".join(e.languages), since)
    base.console.print(table)


@watch_app.command("run")
def run(
    watchlist: WatchlistOption = Path("watchlist.yaml"),
    vault: VaultOption = Path("notes"),
    max_videos: Annotated[int, typer.Option(help="Fetch at most this many videos.")] = 50,
    verbose: VerboseOption = False,
    lock_timeout: base.LockTimeoutOption = 600,
) -> None:
    """Check every feed once and ingest what is new, through the watch-channels flow."""
    with base.user_errors(verbose), base.wait_for_lock(lock_timeout):
        base.check_vault(vault)
        with base.flow_session(verbose), progress.reporting(base.err_console):
            from flows.watch import watch_channels

            report = watch_channels(
                watchlist=str(watchlist), vault=str(vault), max_videos=max_videos
            )
        _print_batch(report)
    if report.failed:
        raise typer.Exit(SOME_FAILED)


def status(vault: VaultOption = Path("notes")) -> None:
    """Show what happened to every video: ingested, failed, or waiting for a retry."""
    from tubewiki.backfill import feed_rows, video_rows

    with base.user_errors():
        base.check_vault(vault)
        rows = video_rows(vault)
        feeds = feed_rows(vault)
    if feeds:
        failing = Table(title="feeds that failed")
        for column in ("feed", "failures", "last error", "last attempt"):
            failing.add_column(column, overflow="fold")
        for feed in feeds:
            failing.add_row(
                f"{feed.ref}\n[dim]{feed.label}[/]" if feed.label != feed.ref else feed.ref,
                f"[red]{feed.failures}[/]",
                feed.last_error or "",
                feed.last_attempt or "",
            )
        base.console.print(failing)
    if not rows:
        base.console.print(f"no videos in {vault} yet")
        return
    table = Table(title=f"videos in {vault}")
    for column in ("video", "status", "attempts", "last error", "next attempt"):
        table.add_column(column, overflow="fold")
    colours = {"ingested": "green", "failed_permanent": "red", "failed_transient": "yellow"}
    for row in rows:
        colour = colours.get(row.status, "cyan")
        table.add_row(
            f"{row.video_id}\n[dim]{row.title}[/]" if row.title else row.video_id,
            f"[{colour}]{row.status}[/]",
            str(row.attempts),
            row.last_error or "",
            row.next_attempt or "",
        )
    base.console.print(table)


def retry(
    video: Annotated[str, typer.Argument(help="An 11-character video id or any YouTube URL.")],
    vault: VaultOption = Path("notes"),
) -> None:
    """Make a failed (or any) video due now; the next `tubewiki watch run` fetches it."""
    from tubewiki.backfill import mark_for_retry

    with base.user_errors():
        base.check_vault(vault)
        row = mark_for_retry(vault, video)
        base.console.print(
            f"{row.video_id} is due now; `tubewiki watch run` will fetch it", highlight=False
        )


def backfill_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="A folder of <VIDEOID>.json|.srt|.vtt or <VIDEOID>/transcript.json "
            "(+ meta.json), or a text file of video ids or URLs, one per line."
        ),
    ],
    vault: VaultOption = Path("notes"),
    task_runner: Annotated[
        TaskRunnerName,
        typer.Option(help="Where extraction runs: local processes, or Dask."),
    ] = TaskRunnerName.process,
    dask_address: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler (tcp://host:8786); default: a local one."),
    ] = None,
    verbose: VerboseOption = False,
    lock_timeout: base.LockTimeoutOption = 600,
) -> None:
    """Ingest many videos at once, with extraction spread over every core."""
    from tubewiki.backfill import sources_from_path

    with base.user_errors(verbose), base.wait_for_lock(lock_timeout):
        base.check_vault(vault)
        sources_from_path(path)  # fail before starting Prefect
        local = task_runner is TaskRunnerName.process
        with (
            base.flow_session(verbose, warm=base.warm_pool if local else None),
            progress.reporting(base.err_console),
        ):
            from flows.backfill import backfill, on_runner

            run = on_runner(backfill, task_runner.value, dask_address)
            report = run(path=str(path), vault=str(vault))
        _print_batch(report)


def _print_batch(report: BatchReport) -> None:
    if report.run is not None:
        base.print_report(report.run)
    for fate in report.failed:
        base.err_console.print(
            f"[bold red]{fate.outcome}:[/] {fate.video_id}: {fate.detail}", highlight=False
        )
    skipped = report.having("skipped", "deferred")
    base.console.print(
        f"{report.kind}: {len(report.having('ingested'))} ingested, "
        f"{len(report.failed)} failed, {len(skipped)} skipped"
    )
