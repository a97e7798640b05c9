"""The `tubewiki` command line: parse, call one library function, map errors.

Heavy modules (spaCy, Prefect) are imported inside the commands so `--help`
stays instant. Every `TubewikiError` becomes one line on stderr and its exit
code; nothing else a user can cause prints a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tubewiki import progress
from tubewiki.cli_common import (
    LockTimeoutOption,
    VaultOption,
    VideoIdCommand,
    check_vault,
    console,
    err_console,
    existing_vault,
    flow_session,
    leave,
    print_report,
    user_errors,
    wait_for_lock,
    warm_pool,
)
from tubewiki.cli_server import server_app
from tubewiki.cli_watch import backfill_command, retry, status, watch_app
from tubewiki.errors import InvalidVideoError, one_line

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger(__name__)

app = typer.Typer(
    help="Turn YouTube videos into a linked Markdown wiki.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command(cls=VideoIdCommand)
def ingest(
    video: Annotated[
        str | None,
        typer.Argument(
            help="An 11-character video id or any YouTube URL (one that begins with '-' too).",
            show_default=False,
        ),
    ] = None,
    video_option: Annotated[
        str | None,
        typer.Option("--video", help="The video, as an option: --video=-kHkWgjGD7U."),
    ] = None,
    transcript: Annotated[
        Path | None,
        typer.Option(
            "--transcript", help="Read this transcript (JSON, SRT or WebVTT) instead of YouTube."
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="The video's title (default: from YouTube).")
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="The channel's name (default: from YouTube).")
    ] = None,
    vault: VaultOption = Path("notes"),
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language", "-l", help="Caption language, in order of preference (repeatable)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite sections you edited by hand.")] = False,
    proxy_http: Annotated[
        str | None, typer.Option(help="HTTP proxy URL for YouTube requests.")
    ] = None,
    proxy_https: Annotated[
        str | None, typer.Option(help="HTTPS proxy URL for YouTube requests.")
    ] = None,
    webshare_username: Annotated[
        str | None, typer.Option(help="Webshare rotating proxy username.")
    ] = None,
    webshare_password: Annotated[
        str | None, typer.Option(help="Webshare rotating proxy password.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Ingest one video into the vault, through the ingest-video Prefect flow.

    The flow reads and checks a --transcript file (once); proxies typed here
    beat those in the environment (`ProxySettings.merged`).
    """
    from tubewiki.youtube import ProxySettings, parse_video_id

    with user_errors(verbose), wait_for_lock(lock_timeout):
        video_id = parse_video_id(_one_video(video, video_option))
        check_vault(vault)
        # The no-op check reads the file only where a settled run is recorded; the
        # flow then reads it again (the only case where it is parsed twice).
        if (
            transcript is not None
            and not force
            and (run_id := _settled(video_id, transcript, title, channel, vault))
        ):
            console.print(
                f"{video_id}: already up to date: run {run_id} wrote it from the same "
                "transcript with the same tubewiki, and the vault has not changed since "
                "(--force runs it anyway)",
                highlight=False,
                soft_wrap=True,
            )
            return
        typed = ProxySettings(proxy_http, proxy_https, webshare_username, webshare_password)
        ProxySettings.from_env().merged(typed).to_env(os.environ)  # what was typed wins
        ahead = None
        if transcript is not None:  # a video fetched from YouTube is fetched by the flow
            ahead = partial(_parse_ahead, video_id, transcript, title, channel, vault)
        with flow_session(verbose, warm=_warm_ingest, ahead=ahead):
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
        print_report(report)


def _one_video(argument: str | None, option: str | None) -> str:
    if argument is not None and option is not None and argument != option:
        raise InvalidVideoError(
            f"two videos given ({one_line(argument, 40)!r} and --video "
            f"{one_line(option, 40)!r}); ingest one at a time"
        )
    video = argument if argument is not None else option
    if video is None:
        raise InvalidVideoError(
            "no video given: pass an id or URL, e.g. tubewiki ingest dQw4w9WgXcQ "
            "(or --video=-kHkWgjGD7U for an id that begins with '-')"
        )
    return video


def _settled(
    video_id: str, transcript: Path, title: str | None, channel: str | None, vault: Path
) -> str | None:
    """The run an ingest of a local file would only repeat (`tubewiki.settled`), if any.

    Checked before Prefect's temporary server starts, so a first ingest into a
    vault imports nothing here (the pipeline's imports take most of a second).
    """
    from tubewiki.journal import STATE_DIR
    from tubewiki.settled import SETTLED_DIR

    if not (vault / STATE_DIR / SETTLED_DIR).is_dir():
        return None  # nothing recorded; and reading the cache would create the vault
    from tubewiki.pipeline import Request, acquire
    from tubewiki.settled import settled_by

    source = acquire(Request(video_id, transcript, title, channel), vault=vault)
    return settled_by(vault, source)


def _parse_ahead(
    video_id: str, transcript: Path, title: str | None, channel: str | None, vault: Path
) -> None:
    """spaCy's parse of a local transcript, cached (`study.parsed`) while Prefect's
    temporary server still starts, so the flow's study finds it ready. Whatever
    fails here, the flow meets again and reports; nothing is raised."""
    from tubewiki.pipeline import Request, acquire
    from tubewiki.study import parsed, timed_for

    try:
        source = acquire(Request(video_id, transcript, title, channel), vault=vault)
        parsed(vault, timed_for(source))
    except Exception:  # the flow's own error is the one to show
        log.debug("parsing %s ahead failed", video_id, exc_info=True)


def _warm_ingest() -> None:
    """What an ingest needs, loaded while Prefect's temporary server starts: the flow,
    Prefect's task engine (imported at the first task), spaCy's model and wordfreq's
    English list (read at its first question, 0.15 s).
    """
    import prefect.task_engine  # noqa: F401

    import flows.ingest  # noqa: F401
    from tubewiki.extract.words import everyday
    from tubewiki.nlp import load_nlp

    load_nlp()
    everyday("the")


@app.command()
def rebuild(
    vault: VaultOption = Path("notes"),
    force: Annotated[bool, typer.Option(help="Overwrite sections you edited by hand.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Re-render every note from the cached transcripts, with no network."""
    with user_errors(verbose), wait_for_lock(lock_timeout):
        existing_vault(vault)
        with flow_session(verbose, warm=warm_pool), progress.reporting(err_console):
            from flows.rebuild import rebuild_vault

            report = rebuild_vault(vault=str(vault), force=force)
        print_report(report)


@app.command()
def runs(
    vault: VaultOption = Path("notes"),
    limit: Annotated[int, typer.Option(help="How many runs to list.")] = 20,
) -> None:
    """List the recent runs, newest first."""
    from rich.table import Table

    from tubewiki import review

    with user_errors():
        existing_vault(vault)
        table = Table(title=f"runs in {vault}")
        table.add_column("run", no_wrap=True, min_width=20)
        for column in ("kind", "started", "status", "videos", "created", "updated"):
            table.add_column(column)
        for row in review.runs(vault, limit):
            summary = row.summary or {}
            table.add_row(
                row.run_id,
                row.kind,
                row.started,
                row.status,
                ", ".join(row.videos),
                str(len(summary.get("created", []))),
                str(len(summary.get("updated", []))),
            )
        console.print(table)


@app.command(name="review")
def review_run(
    run: Annotated[
        str, typer.Argument(help="A run id, a unique prefix of one, or 'last'.")
    ] = "last",
    vault: VaultOption = Path("notes"),
) -> None:
    """Show what a run changed, as coloured unified diffs."""
    from tubewiki import review

    with user_errors():
        existing_vault(vault)
        row, changes = review.run_changes(vault, run)
        console.print(f"[bold]run {row.run_id}[/] ({row.kind}, {row.status}, {row.started})")
        if not changes:
            console.print("no note changed")
        for change in changes:
            sections = ", ".join(f"{k}: {v}" for k, v in change.details.get("sections", {}).items())
            console.rule(f"{change.path}: {change.action}" + (f" ({sections})" if sections else ""))
            print_diff(console, review.unified_diff(change))


def print_diff(out: Console, diff: str) -> None:
    """A unified diff with a colour per line, as `git diff` shows it, written out
    as it is, long lines left to the terminal to wrap: laying every line out through
    `console.print` took most of the 5.9 s that `review` of a 1,837-note backfill took."""
    from rich.console import COLOR_SYSTEMS
    from rich.control import strip_control_codes
    from rich.style import Style

    system = COLOR_SYSTEMS.get(out.color_system or "")
    styles = {"+": Style(color="green"), "-": Style(color="red"), "@": Style(color="cyan")}
    header = Style(bold=True)
    lines = []
    for line in strip_control_codes(diff).splitlines():
        style = header if line.startswith(("+++ ", "--- ")) else styles.get(line[:1])
        if style is not None and system is not None:
            line = style.render(line, color_system=system, legacy_windows=out.legacy_windows)
        lines.append(line)
    out.file.write("\n".join(lines) + "\n")


@app.command()
def revert(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix of one, or 'last'.")],
    vault: VaultOption = Path("notes"),
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Undo a run exactly, if no later run or edit touched its notes."""
    from tubewiki import pipeline, review

    with user_errors(), wait_for_lock(lock_timeout):
        existing_vault(vault)
        print_report(pipeline.apply(vault, "revert", review.revert_edit(vault, run)))


@app.command()
def merge(
    source: Annotated[str, typer.Argument(help="Slug of the entity note to fold away.")],
    target: Annotated[str, typer.Argument(help="Slug of the entity note that keeps everything.")],
    vault: VaultOption = Path("notes"),
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Fold one entity note into another and rewrite every link to it."""
    from tubewiki import pipeline, refactor

    with user_errors(), wait_for_lock(lock_timeout):
        existing_vault(vault)
        print_report(pipeline.apply(vault, "merge", lambda v: refactor.merge(v, source, target)))


@app.command()
def rename(
    old: Annotated[str, typer.Argument(help="The note's current slug.")],
    new: Annotated[str, typer.Argument(help="The new slug, lower snake_case.")],
    vault: VaultOption = Path("notes"),
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Give a note a new slug and rewrite every link to it."""
    from tubewiki import pipeline, refactor

    with user_errors(), wait_for_lock(lock_timeout):
        existing_vault(vault)
        print_report(pipeline.apply(vault, "rename", lambda v: refactor.rename(v, old, new)))


@app.command()
def resolve(
    note: Annotated[str, typer.Argument(help="The note's path in the vault, or its slug.")],
    theirs: Annotated[
        bool, typer.Option("--theirs", help="Take tubewiki's proposed version instead of yours.")
    ] = False,
    vault: VaultOption = Path("notes"),
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Settle the conflicts in a note: keep your edited sections (default) or take tubewiki's."""
    from tubewiki import pipeline, review

    with user_errors(), wait_for_lock(lock_timeout):
        existing_vault(vault)
        print_report(
            pipeline.apply(vault, "resolve", review.resolve_edit(note, take_proposed=theirs))
        )


@app.command()
def doctor(
    vault: VaultOption = Path("notes"),
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Fix what can be fixed: finish interrupted writes, move damaged state files "
            "aside, start a new ledger, derive missing learned names.",
        ),
    ] = False,
    lock_timeout: LockTimeoutOption = 600,
) -> None:
    """Check the vault's notes and state files, and say how to repair them."""
    from tubewiki.doctor import check
    from tubewiki.errors import StateError

    with user_errors(), wait_for_lock(lock_timeout):
        existing_vault(vault)
        findings = check(vault, repair=repair)
        for finding in findings:
            mark = "[green]ok[/]" if finding.ok else "[bold red]problem[/]"
            console.print(f"{mark} {finding.subject}: {finding.detail}", highlight=False)
        problems = [f for f in findings if not f.ok]
        if problems:
            raise StateError(
                f"{len(problems)} problem(s) in vault '{vault}'"
                + ("" if repair else "; run `tubewiki doctor --repair` to fix what it can")
            )


app.add_typer(watch_app, name="watch")
app.command(name="status")(status)
app.command(name="retry")(retry)
app.command(name="backfill")(backfill_command)

app.add_typer(server_app, name="server")


def main() -> None:
    """The `tubewiki` console script: the app, then a fast exit (`cli_common.leave`)."""
    try:
        app(prog_name="tubewiki")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    leave(code or 0)


if __name__ == "__main__":  # `python -m tubewiki.cli`
    main()
