"""What every `tubewiki` command shares: consoles, options and error mapping.

`cli.py` and `cli_watch.py` both build on these, so neither imports the other's
internals and `python -m tubewiki.cli` works.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from typer.core import TyperCommand

from tubewiki.errors import InvalidVideoError, TubewikiError, VaultError, one_line

if TYPE_CHECKING:
    from typer._click.core import Context  # Typer's own click, which TyperCommand uses

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
def flow_session(verbose: bool) -> Iterator[None]:
    """Prefect as the commands run it: quiet, since Prefect logs tracebacks of failed
    tasks and the CLI prints its own one-line errors, and set up by `flows.settings`."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    from flows.settings import local_run

    with local_run():
        yield


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
            return super().parse_args(ctx, self._quote_ids(ctx, args))

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
