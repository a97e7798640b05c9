"""What every `tubewiki` command shares: consoles, options and error mapping.

`cli.py` and `cli_watch.py` both build on these, so neither imports the other's
internals and `python -m tubewiki.cli` works.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import click
import typer
from rich.console import Console
from typer.core import TyperCommand

from tubewiki import collector
from tubewiki.errors import (
    INTERRUPTED,
    INTERRUPTED_EXIT,
    DiskError,
    InvalidVideoError,
    NetworkError,
    PrefectUnavailableError,
    TubewikiError,
    VaultError,
    one_line,
)

if TYPE_CHECKING:
    from typer._click.core import Context  # Typer's own click, which TyperCommand uses

console = Console()
err_console = Console(stderr=True)

VaultOption = Annotated[
    Path,
    typer.Option("--vault", help="The vault folder (default: ./notes).", envvar="TUBEWIKI_VAULT"),
]

LockTimeoutOption = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        min=0,
        help="Seconds to wait while another run holds the vault's lock (0: give up at once).",
        envvar="TUBEWIKI_LOCK_TIMEOUT",
    ),
]


@contextmanager
def wait_for_lock(seconds: float) -> Iterator[None]:
    """Let a writing command wait `seconds` for the vault lock, saying at once that it waits.

    The flows run in this process and read the timeout from the environment.
    """
    from tubewiki import journal

    saved = os.environ.get(journal.LOCK_TIMEOUT_ENV)
    os.environ[journal.LOCK_TIMEOUT_ENV] = repr(seconds)
    journal.on_lock_wait(
        lambda text: err_console.print(
            f"[yellow]waiting:[/] {text}", highlight=False, soft_wrap=True
        )
    )
    try:
        yield
    finally:
        journal.on_lock_wait(journal.log.warning)
        if saved is None:
            os.environ.pop(journal.LOCK_TIMEOUT_ENV, None)
        else:
            os.environ[journal.LOCK_TIMEOUT_ENV] = saved


@contextmanager
def user_errors(verbose: bool = False) -> Iterator[None]:
    """The one error boundary: one line and a documented exit code for anything.

    A `TubewikiError` is printed as it is; the disk refusing a write, Prefect
    being unreachable and anything unforeseen are mapped to one first (see
    `user_error`). The traceback is shown only with `--verbose`.
    """
    try:
        yield
    except (
        click.exceptions.Exit,
        click.exceptions.Abort,
        click.ClickException,
        typer.Exit,  # Typer's own (it vendors click): `--help`, an exit code
        typer.Abort,
    ):
        raise
    except KeyboardInterrupt:
        _quiet_prefect()
        err_console.print(INTERRUPTED)
        raise typer.Exit(INTERRUPTED_EXIT) from None
    except Exception as exc:
        _quiet_prefect()
        error = user_error(exc)
        if verbose:
            err_console.print_exception()
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


def user_error(exc: BaseException) -> TubewikiError:
    """Map any exception to the `TubewikiError` the user is shown."""
    if isinstance(exc, TubewikiError):
        return exc
    if _from_prefect(exc):
        return PrefectUnavailableError(
            f"Prefect could not run the flow: {one_line(_message(exc), 200)} (start a server "
            "with `prefect server start` and point PREFECT_API_URL at it, unset "
            "PREFECT_API_URL to use a temporary one, or raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)"
        )
    if isinstance(exc, ConnectionError):
        return NetworkError(f"a connection failed: {one_line(_message(exc), 200)}; try again later")
    if isinstance(exc, OSError):
        return DiskError.from_os_error(exc)
    if isinstance(exc, RecursionError | MemoryError | OverflowError):
        return TubewikiError(
            f"the input is too large or too deeply nested to handle ({type(exc).__name__}); "
            "split it into smaller parts"
        )
    return TubewikiError(
        f"unexpected {type(exc).__name__}: {one_line(_message(exc), 200)} "
        "(run again with --verbose for the traceback, and please report it)"
    )


_PREFECT_QUEUES = ("EventsWorker", "APILogWorker")  # what Prefect sends its server


def _quiet_prefect() -> None:
    """Silence what Prefect says at exit about the events and logs it could not send,
    which would otherwise follow our one-line error: its queues' "Still processing
    items" warnings, and "Service 'EventsWorker' failed with N pending items" when
    the temporary server is gone first. Other errors of Prefect's still show."""
    for name in _PREFECT_QUEUES:
        logging.getLogger(name).setLevel(logging.ERROR)
    services = logging.getLogger("prefect._internal.concurrency")
    if not any(isinstance(f, _UnsentQueue) for f in services.filters):
        services.addFilter(_UnsentQueue())


class _UnsentQueue(logging.Filter):
    """Drops Prefect's report that one of its send queues died with items in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (
            record.msg == "Service %r failed with %s pending items."
            and isinstance(args, tuple)
            and bool(args)
            and args[0] in _PREFECT_QUEUES
        )


@contextmanager
def flow_session(
    verbose: bool,
    warm: Callable[[], object] | None = None,
    ahead: Callable[[], object] | None = None,
) -> Iterator[None]:
    """Prefect as the commands run it: quiet, since Prefect logs tracebacks of failed
    tasks and the CLI prints its own one-line errors, and set up by `flows.settings`.

    The API is chosen first (`flows.server`): a temporary server starts before
    Prefect is imported, and `warm` (imports, the spaCy load) runs while it
    starts, with the collector paused. If the server still does not answer
    then, `ahead` runs too: work the flow would do anyway, which it then finds
    cached. The block begins once the server answers.
    """
    from flows.settings import apply_quiet

    if verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    else:
        # PREFECT_SERVER_LOGGING_LEVEL: the temporary server is a child process, and
        # without it its shutdown after a failed run logs tracebacks ("Error flushing
        # events") under our one-line error.
        apply_quiet()
        _quiet_prefect()
    from flows.server import prefect_api

    with prefect_api() as api:
        with collector.paused(freeze=True):  # Prefect and spaCy live as long as we do
            from flows.settings import local_run

            if warm is not None:
                warm()
            # Every flow call imports FastAPI's encoder for its parameters (0.3-0.5 s):
            # imported now, while a temporary server may still be starting.
            import fastapi.encoders  # noqa: F401
        if ahead is not None and api.starting():
            ahead()
        with local_run(temporary=api.temporary is not None):
            api.wait()
            try:
                yield
            finally:
                if api.temporary is None:
                    _drain_prefect()


def warm_pool() -> None:
    """Start the extraction workers' fork server (it loads spaCy) while Prefect's
    temporary server starts: the `warm` of commands that run the process pool."""
    from flows.workers import start_worker_server

    start_worker_server()


def _drain_prefect() -> None:
    """Send Prefect's queued logs and events to a server that outlives this process.

    A temporary server dies with us, so what it would get is dropped instead."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    with suppress(Exception):
        APILogWorker.drain_all(timeout=5)
    with suppress(Exception):
        EventsWorker.drain_all(timeout=5)


def leave(code: int) -> NoReturn:
    """End the process without the interpreter's teardown, once everything is flushed.

    Freeing spaCy's and Prefect's objects one by one takes about a second and
    writes nothing: by now the vault and its ledger are committed and closed,
    Prefect's queues drained (`flow_session`) and the temporary server told to
    stop. Only logging and stdio are left to flush.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(code)


_DASHED_ID = re.compile(r"-[A-Za-z0-9_-]{10}")


class VideoIdCommand(TyperCommand):
    """A command whose VIDEO argument may be an id that begins with "-".

    About 1 in 64 video ids does, and click would read `-kHkWgjGD7U` as short
    options. Before parsing, such a token (11 characters, not an option of the
    command) becomes `--video=-kHkWgjGD7U`; any other unknown `-xxxx` is
    refused with a message naming both ways to pass such an id.
    """

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with user_errors():
            quoted = self._quote_ids(ctx, args)
        return super().parse_args(ctx, quoted)

    def _quote_ids(self, ctx: Context, args: list[str]) -> list[str]:
        names: dict[str, bool] = {}  # option name -> takes a value
        for param in self.get_params(ctx):
            if param.param_type_name == "option":
                flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
                for name in (*param.opts, *param.secondary_opts):
                    names[name] = not flag
        result: list[str] = []
        takes_value = False
        for n, arg in enumerate(args):
            if takes_value or arg == "--":
                takes_value = False
                if arg == "--":
                    return [*result, *args[n:]]
                result.append(arg)
                continue
            if not arg.startswith("-") or arg == "-" or arg.split("=", 1)[0] in names:
                takes_value = names.get(arg, False)
                result.append(arg)
            elif _DASHED_ID.fullmatch(arg):
                result.append(f"--video={arg}")
            elif arg.startswith("--") or names.get(arg[:2], False):
                result.append(arg)  # click's own error, or a value glued on: -len
            else:
                raise InvalidVideoError(
                    f"{one_line(arg, 40)!r} is neither an option nor a video id; an 11-character "
                    "id that begins with '-' goes as it is (tubewiki ingest -kHkWgjGD7U) "
                    "or through --video (tubewiki ingest --video=-kHkWgjGD7U)"
                )
        return result


def check_vault(vault: Path) -> None:
    if vault.exists() and not vault.is_dir():
        raise VaultError(
            f"vault path '{vault}' is a file, not a folder; pass a folder with --vault"
        )


def existing_vault(vault: Path) -> None:
    """Commands that only read or edit a vault never create one."""
    check_vault(vault)
    if not vault.is_dir():
        raise VaultError(f"no vault at '{vault}': ingest a video first, or pass --vault")


def _from_prefect(exc: BaseException) -> bool:
    """Prefect's own failures (its API unreachable, its temporary server slow), not ours."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__
        text = str(current)
        if (
            module.startswith(("prefect", "httpx", "httpcore"))
            or "Failed to reach API" in text
            or "ephemeral" in text.lower()
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def _message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def print_report(report: object) -> None:
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
    for path in report.deleted:
        table.add_row(path, "[red]deleted[/]")
    if report.created or report.updated or report.deleted:
        console.print(table)
    else:
        console.print(f"run {report.run_id}: every note already up to date")
    for conflict in report.conflicts:
        err_console.print(
            f"[bold yellow]conflict:[/] {conflict.path}: you edited the section for "
            f"{conflict.key}; the new version is beside it (tubewiki resolve {conflict.path})"
        )
