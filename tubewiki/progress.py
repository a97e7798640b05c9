"""Per-video progress of long runs (backfill, watch run, rebuild), for the person waiting.

A run may take minutes, and silence looks like a hang. The CLI opens
`reporting(console)` around a flow: a Rich progress bar on a terminal, one
plain line per video otherwise (a cron log, a pipe). The flows call `begin`
and `advance`, which do nothing when no command is reporting (a deployment's
run, a test calling a flow).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Reporter(Protocol):
    def begin(self, total: int, what: str) -> None: ...
    def advance(self, label: str) -> None: ...
    def end(self) -> None: ...


class Bar:
    """A Rich progress bar, one step per video."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[last]}"),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def begin(self, total: int, what: str) -> None:
        self._progress.start()
        self._task = self._progress.add_task(what, total=total, last="")

    def advance(self, label: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=1, last=label)

    def end(self) -> None:
        self._progress.stop()


class Lines:
    """'rebuild: 3/10 VIDEOID analysed', one line per video."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._what, self._done, self._total = "", 0, 0

    def begin(self, total: int, what: str) -> None:
        self._what, self._done, self._total = what, 0, total

    def advance(self, label: str) -> None:
        self._done += 1
        self._console.print(
            f"{self._what}: {self._done}/{self._total} {label}", highlight=False, soft_wrap=True
        )

    def end(self) -> None:
        return None


_reporter: Reporter | None = None


@contextmanager
def reporting(console: Console) -> Iterator[None]:
    """Show the progress of the runs started inside this block on `console`."""
    global _reporter
    reporter: Reporter = Bar(console) if console.is_terminal else Lines(console)
    _reporter = reporter
    try:
        yield
    finally:
        _reporter = None
        reporter.end()


def begin(total: int, what: str) -> None:
    if _reporter is not None:
        _reporter.begin(total, what)


def advance(label: str) -> None:
    if _reporter is not None:
        _reporter.advance(label)
