"""What every `tubewiki` command shares: consoles, options and error mapping.

`cli.py` and `cli_watch.py` both build on these, so neither imports the other's
internals and `python -m tubewiki.cli` works.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from tubewiki.errors import TubewikiError, VaultError

console = Console()
err_console = Console(stderr=True)

VaultOption = Annotated[
    Path,
    typer.Option("--vault", help="The vault folder (default: ./notes).", envvar="TUBEWIKI_VAULT"),
]


@contextmanager
def user_errors() -> Iterator[None]:
    """One line and an exit code for anything a user can cause."""
    try:
        yield
    except TubewikiError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except Exception as exc:
        if not _from_prefect(exc):
            raise
        err_console.print(
            f"[bold red]error:[/] Prefect could not run the flow: {_one_line(exc)} (start a server "
            "with `prefect server start` and set PREFECT_API_URL, or raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(11) from None
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: the vault is unchanged or fully updated, never half-written"
        )
        raise typer.Exit(130) from None


@contextmanager
def flow_session(verbose: bool, warm: Callable[[], object] | None = None) -> Iterator[None]:
    """Prefect as the commands run it: quiet, since Prefect logs tracebacks of failed
    tasks and the CLI prints its own one-line errors, and set up by `flows.settings`.

    The API is chosen first (`flows.server`): a temporary server starts before
    Prefect is imported, and `warm` (imports, the spaCy load) runs while it
    starts; the block begins once the server answers.
    """
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    from flows.server import prefect_api

    with prefect_api() as api:
        from flows.settings import local_run

        with local_run(temporary=api.temporary is not None):
            if warm is not None:
                warm()
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
    """Prefect's own failures (its temporary server did not start, say), not ours."""
    return type(exc).__module__.startswith("prefect") or "ephemeral" in str(exc).lower()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


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
