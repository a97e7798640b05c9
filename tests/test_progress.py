"""Per-video progress: plain lines off a terminal, a Rich bar on one, nothing unasked."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tubewiki import progress


def run(console: Console) -> None:
    with progress.reporting(console):
        progress.begin(2, "rebuild")
        progress.advance("VideoA00001 analysed")
        progress.advance("VideoB00002 failed_permanent")


def test_plain_lines_when_not_on_a_terminal() -> None:
    out = io.StringIO()
    run(Console(file=out, force_terminal=False, width=200))
    assert out.getvalue() == (
        "rebuild: 1/2 VideoA00001 analysed\nrebuild: 2/2 VideoB00002 failed_permanent\n"
    )


def test_a_bar_on_a_terminal() -> None:
    out = io.StringIO()
    run(Console(file=out, force_terminal=True, width=120))
    shown = out.getvalue()
    assert "rebuild" in shown and "2/2" in shown and "VideoB00002" in shown
    assert "rebuild: 1/2" not in shown  # the bar, not the plain lines


def test_nothing_is_shown_when_no_command_reports(capsys: pytest.CaptureFixture[str]) -> None:
    progress.begin(1, "watch")  # a deployment's run: no reporter, no output, no error
    progress.advance("VideoA00001 analysed")
    assert capsys.readouterr() == ("", "")
