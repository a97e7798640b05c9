"""`tubewiki server start|stop|status`: a Prefect server kept running in the background.

With it up, a command skips the temporary server's start (about 4 s of every
cold run) and its flow runs stay visible in Prefect's UI afterwards. The
server is Prefect's own (`prefect server start`, on 127.0.0.1), recorded in
tubewiki's state folder (`flows.server`). Beside it runs tubewiki's warm
runner (`flows.runner`), which has Prefect imported and spaCy loaded already:
`ingest`, `backfill` and `rebuild` hand their work to it (`tubewiki.handoff`)
and skip those seconds too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tubewiki import cli_common as base

if TYPE_CHECKING:
    from flows.server import ServerRecord

server_app = typer.Typer(
    help="Keep a local Prefect server running for every tubewiki command.",
    no_args_is_help=True,
)


@server_app.command()
def start() -> None:
    """Start a Prefect server in the background; later commands report to it."""
    from flows.server import start_background

    with base.user_errors():
        record, started = start_background()
    verb = "started" if started else "already running"
    base.console.print(
        f"Prefect server {verb} at {record.ui_url} (pid {record.pid}, log {record.log}); "
        "`tubewiki server stop` ends it",
        highlight=False,
        soft_wrap=True,
    )
    base.console.print(_runner_line(record), highlight=False, soft_wrap=True)


def _runner_line(record: ServerRecord) -> str:
    from flows.server import runner_alive
    from tubewiki.handoff import LOG_NAME
    from tubewiki.user_state import state_home

    if runner_alive(record):
        return f"warm runner ready (pid {record.runner}): flow commands start at once"
    return (
        f"warm runner not running (see {state_home() / LOG_NAME}): commands run in their "
        "own process, seconds slower; `tubewiki server stop` and `start` try again"
    )


@server_app.command()
def stop() -> None:
    """Stop the background Prefect server; commands go back to a temporary one."""
    from flows.server import stop_background

    with base.user_errors():
        record = stop_background()
    base.console.print(
        f"Prefect server (pid {record.pid}) stopped" if record else "no Prefect server was running",
        highlight=False,
    )


@server_app.command()
def status() -> None:
    """Say whether the background Prefect server is up; exit 1 when it is not."""
    from flows.server import read_record, running_server

    record = running_server(timeout=2.0)
    if record is not None:
        base.console.print(f"running at {record.ui_url} (pid {record.pid})", highlight=False)
        base.console.print(_runner_line(record), highlight=False, soft_wrap=True)
        return
    stale = read_record()
    base.console.print(
        "not running" + (f" (pid {stale.pid} recorded, but it does not answer)" if stale else "")
    )
    raise typer.Exit(1)
