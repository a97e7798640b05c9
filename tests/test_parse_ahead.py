"""A cold ingest parses a local transcript while Prefect's temporary server starts.

`flow_session` runs the command's `ahead` only while a temporary server of its
own does not answer yet, and the parse made ahead is the one the flow's study
reads from the cache: spaCy does not run twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from flows import server
from flows.server import Api, free_port
from tests.test_study import FIXTURE, parses
from tubewiki import cli, cli_common, study
from tubewiki.pipeline import Request, acquire


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def answering() -> Iterator[str]:
    """An API URL whose /health answers 200."""
    httpd = HTTPServer((server.HOST, 0), _Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{server.HOST}:{httpd.server_address[1]}/api"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _NotStarted:
    """Stands for a `TemporaryServer` of ours: `Api.starting` only asks whether it is set."""


def silent_url() -> str:
    return f"http://{server.HOST}:{free_port()}/api"  # nothing listens there


def test_only_our_own_server_that_does_not_answer_yet_is_starting() -> None:
    assert Api(silent_url(), _NotStarted()).starting()  # type: ignore[arg-type]
    assert not Api(silent_url()).starting()  # a configured API: not ours to wait for
    with answering() as url:
        assert not Api(url, _NotStarted()).starting()  # type: ignore[arg-type]


@pytest.mark.parametrize("ours_starting", [True, False])
def test_the_work_ahead_runs_only_while_the_server_starts(
    monkeypatch: pytest.MonkeyPatch, ours_starting: bool
) -> None:
    api = Api(silent_url(), _NotStarted() if ours_starting else None)  # type: ignore[arg-type]
    monkeypatch.setattr(Api, "wait", lambda self: None)

    @contextmanager
    def chosen() -> Iterator[Api]:
        yield api

    monkeypatch.setattr(server, "prefect_api", chosen)
    done: list[str] = []
    with cli_common.flow_session(
        False, warm=lambda: done.append("warm"), ahead=lambda: done.append("ahead")
    ):
        done.append("block")
    assert done == (["warm", "ahead", "block"] if ours_starting else ["warm", "block"])


@pytest.mark.parametrize("lower", [False, True])
def test_the_flow_reads_the_parse_made_ahead(
    tmp_path: Path, nlp: object, monkeypatch: pytest.MonkeyPatch, lower: bool
) -> None:
    """Also for captions in lower case, whose names are mended from the title first."""
    transcript = FIXTURE
    if lower:
        transcript = tmp_path / "lower.json"
        transcript.write_text(FIXTURE.read_text(encoding="utf-8").lower(), encoding="utf-8")
    vault = tmp_path / "vault"
    cli._parse_ahead("StudyVid001", transcript, "Skyhook Labs", "Orbital", vault)
    assert len(parses(vault)) == 1
    monkeypatch.setattr(study, "parse", lambda *a, **k: pytest.fail("parsed again"))
    source = acquire(Request("StudyVid001", transcript, "Skyhook Labs", "Orbital"), vault=vault)
    assert "skyhook_labs" in [t.slug for t in study.study(vault, source).taught]


def test_a_transcript_that_cannot_be_read_is_left_for_the_flow_to_report(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    cli._parse_ahead("StudyVid001", broken, None, None, tmp_path / "vault")  # no exception
    assert not (tmp_path / "vault").exists()  # and nothing written
