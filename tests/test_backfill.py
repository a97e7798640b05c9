"""What `backfill` reads from a path, and the watch flow's retry policy, without Prefect."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import typer
from typer.testing import CliRunner

from tubewiki import backfill
from tubewiki.backfill import (
    MAX_ATTEMPTS,
    BatchReport,
    Candidate,
    Fate,
    batch_markdown,
    classify,
    mark_for_retry,
    next_attempt,
    record_failure,
    select,
    should_retry,
    sources_from_path,
    too_blocked,
    video_rows,
)
from tubewiki.errors import (
    ConfigError,
    EmptyTranscriptError,
    InvalidVideoError,
    NetworkError,
    RequestBlockedError,
    TranscriptFileError,
    TranscriptUnavailableError,
    VaultLockedError,
)
from tubewiki.ledger import Ledger, VideoRow
from tubewiki.pipeline import Request

NOW = "2026-03-01T12:00:00Z"
JSON = '[{"text": "Hello there.", "start": 0.0, "duration": 1.0}]\n'


def write(root: Path, files: dict[str, str]) -> Path:
    """Build a folder from {relative path: text}."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# --- sources_from_path --------------------------------------------------------------------


def test_a_folder_of_transcripts_in_every_layout(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "in",
        {
            "vidCCCC0003.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\nHi.\n",
            "vidAAAA0001.json": JSON,
            "vidBBBB0002/transcript.json": JSON,
            "vidBBBB0002/meta.json": json.dumps({"title": " A Talk ", "channel": "Some Show"}),
            "vidDDDD0004/transcript.srt": "1\n00:00:00,000 --> 00:00:01,000\nHi.\n",
            "README.md": "not a transcript",
            ".hidden.json": "{}",
            "notes/whatever.json": "{}",
        },
    )
    assert sources_from_path(folder) == [
        Request("vidAAAA0001", folder / "vidAAAA0001.json"),
        Request("vidBBBB0002", folder / "vidBBBB0002/transcript.json", "A Talk", "Some Show"),
        Request("vidCCCC0003", folder / "vidCCCC0003.vtt"),
        Request("vidDDDD0004", folder / "vidDDDD0004/transcript.srt"),
    ]


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        ({"talk.json": JSON}, ConfigError, "not named after an 11-character video id"),
        ({"vidAAAA0001.json": JSON, "vidAAAA0001.srt": "x"}, ConfigError, "two transcripts"),
        ({"README.md": "x"}, ConfigError, "holds no transcripts"),
        ({"vidAAAA0001/notes.txt": "x"}, ConfigError, "holds no transcript.json"),
        (
            {"vidAAAA0001/transcript.json": JSON, "vidAAAA0001/meta.json": "{oops"},
            TranscriptFileError,
            "not readable JSON",
        ),
    ],
)
def test_folder_problems_are_one_line_errors(
    tmp_path: Path, files: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        sources_from_path(write(tmp_path / "in", files))


def test_a_list_of_ids_and_urls_keeps_file_order(tmp_path: Path) -> None:
    listing = tmp_path / "videos.txt"
    listing.write_text(
        "# my backlog\n"
        "vidBBBB0002\n"
        "\n"
        "https://www.youtube.com/watch?v=vidAAAA0001&t=10   # the good one\n"
        "  https://youtu.be/vidCCCC0003  \n"
        "vidBBBB0002 listed twice\n",
        encoding="utf-8",
    )
    assert [r.video_id for r in sources_from_path(listing)] == [
        "vidBBBB0002",
        "vidAAAA0001",
        "vidCCCC0003",
    ]
    assert all(r.transcript_file is None for r in sources_from_path(listing))


def test_a_bad_line_names_its_line(tmp_path: Path) -> None:
    listing = tmp_path / "videos.txt"
    listing.write_text("vidAAAA0001\nhttps://example.com/vidBBBB0002\n", encoding="utf-8")
    with pytest.raises(InvalidVideoError, match="line 2"):
        sources_from_path(listing)


def test_an_empty_list_a_single_transcript_and_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="names no videos"):
        sources_from_path(tmp_path / "empty.txt")
    single = write(tmp_path, {"vidAAAA0001.json": JSON}) / "vidAAAA0001.json"
    assert sources_from_path(single) == [Request("vidAAAA0001", single)]
    with pytest.raises(ConfigError, match="does not exist"):
        sources_from_path(tmp_path / "nope")


# --- the retry policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (0, "2026-03-01T13:00:00Z"),
        (1, "2026-03-01T13:00:00Z"),
        (2, "2026-03-01T14:00:00Z"),
        (3, "2026-03-01T16:00:00Z"),
        (5, "2026-03-02T04:00:00Z"),
        (6, "2026-03-02T12:00:00Z"),  # 32 h, capped at a day
        (500, "2026-03-02T12:00:00Z"),
    ],
)
def test_next_attempt_backs_off_exponentially_up_to_a_day(attempts: int, expected: str) -> None:
    assert next_attempt(attempts, NOW) == expected
    assert next_attempt(attempts, datetime(2026, 3, 1, 12, tzinfo=UTC)) == expected
    assert next_attempt(attempts, "2026-03-01T12:00:00") == expected  # naive means UTC


def test_a_bad_time_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a time"):
        next_attempt(1, "yesterday")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (None, True),
        (VideoRow("v", "pending", attempts=3), True),
        (VideoRow("v", "ingested"), False),
        (VideoRow("v", "failed_permanent", attempts=1), False),
        (VideoRow("v", "failed_transient", attempts=1, next_attempt="2026-03-01T11:59:59Z"), True),
        (VideoRow("v", "failed_transient", attempts=1, next_attempt=NOW), True),
        (VideoRow("v", "failed_transient", attempts=1, next_attempt="2026-03-01T12:00:01Z"), False),
        (VideoRow("v", "failed_transient", attempts=MAX_ATTEMPTS), False),
    ],
)
def test_should_retry(row: VideoRow | None, expected: bool) -> None:
    assert should_retry(row, NOW) is expected


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TranscriptUnavailableError("captions off"), "failed_permanent"),
        (EmptyTranscriptError("empty"), "failed_permanent"),
        (InvalidVideoError("bad id"), "failed_permanent"),
        (RequestBlockedError("429"), "failed_transient"),
        (NetworkError("down"), "failed_transient"),
        (VaultLockedError("busy"), "failed_transient"),
        (requests.ConnectionError("reset"), "failed_transient"),
        (TimeoutError("slow"), "failed_transient"),
        (ValueError("a bug"), "failed_permanent"),
    ],
)
def test_classify(error: BaseException, status: str) -> None:
    assert classify(error) == status


def test_a_transient_failure_backs_off_then_gives_up(tmp_path: Path) -> None:
    row = record_failure(tmp_path, "vidAAAA0001", RequestBlockedError("blocked"), NOW, source="@x")
    assert (row.status, row.attempts, row.next_attempt) == (
        "failed_transient",
        1,
        next_attempt(1, NOW),
    )
    assert (row.last_error, row.source) == ("blocked", "@x")
    for _ in range(MAX_ATTEMPTS - 2):
        row = record_failure(tmp_path, "vidAAAA0001", NetworkError("down"), NOW)
    assert (row.status, row.attempts) == ("failed_transient", MAX_ATTEMPTS - 1)
    row = record_failure(tmp_path, "vidAAAA0001", NetworkError("down"), NOW)
    assert row.status == "failed_permanent" and row.next_attempt is None
    assert row.last_error == f"gave up after {MAX_ATTEMPTS} attempts: down"
    assert row.source == "@x"


def test_a_permanent_failure_is_never_due_until_retried_by_hand(tmp_path: Path) -> None:
    error = TranscriptUnavailableError("no transcript: captions are disabled")
    row = record_failure(tmp_path, "vidAAAA0001", error, NOW, title="A talk")
    assert (row.status, row.next_attempt, row.title) == ("failed_permanent", None, "A talk")
    assert not should_retry(row, "2030-01-01T00:00:00Z")
    again = mark_for_retry(tmp_path, "https://youtu.be/vidAAAA0001")
    assert (again.status, again.attempts, again.title) == ("pending", 0, "A talk")
    assert again.last_error == "no transcript: captions are disabled"
    assert should_retry(again, NOW)
    assert [r.video_id for r in video_rows(tmp_path)] == ["vidAAAA0001"]


def test_video_rows_of_a_vault_without_a_ledger_creates_nothing(tmp_path: Path) -> None:
    assert video_rows(tmp_path / "vault") == []
    assert not (tmp_path / "vault").exists()


def test_select_new_known_due_and_deferred(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        ledger.record_attempt("vidDONE0001", status="ingested")
        ledger.record_attempt("vidGONE0002", status="failed_permanent", error="captions off")
        ledger.record_attempt(
            "vidWAIT0003", status="failed_transient", next_attempt="2026-03-01T13:00:00Z"
        )
        ledger.record_attempt(
            "vidDUE00004", status="failed_transient", next_attempt="2026-03-01T11:00:00Z"
        )
        ledger.record_attempt(
            "vidOLD00005",
            status="failed_transient",
            next_attempt="2026-03-01T11:00:00Z",
            source="@other",
        )
    feed = [
        Candidate(v, ("de",), "@chan")
        for v in ("vidNEW00006", "vidDONE0001", "vidGONE0002", "vidWAIT0003", "vidDUE00004")
    ]
    chosen, fates = select(tmp_path, [*feed, feed[0]], NOW, limit=10, languages={"@other": ("fr",)})
    assert chosen == [
        Candidate("vidNEW00006", ("de",), "@chan"),
        Candidate("vidDUE00004", ("de",), "@chan"),
        Candidate("vidOLD00005", ("fr",), "@other"),
    ]
    assert fates == [
        Fate("vidDONE0001", "skipped", "already ingested"),
        Fate("vidGONE0002", "skipped", "failed_permanent: captions off"),
        Fate("vidWAIT0003", "skipped", "next attempt after 2026-03-01T13:00:00Z"),
    ]
    chosen, fates = select(tmp_path, feed, NOW, limit=1)
    assert [c.video_id for c in chosen] == ["vidNEW00006"]
    assert [f.video_id for f in fates if f.outcome == "deferred"] == ["vidDUE00004", "vidOLD00005"]


@pytest.mark.parametrize(
    ("blocked", "attempted", "stop"),
    [(0, 0, False), (2, 2, False), (3, 3, True), (3, 6, False), (4, 7, True), (10, 30, False)],
)
def test_a_run_stops_once_most_requests_are_blocked(
    blocked: int, attempted: int, stop: bool
) -> None:
    assert too_blocked(blocked, attempted) is stop


def test_batch_markdown_lists_every_fate() -> None:
    report = BatchReport(
        "watch",
        None,
        (
            Fate("vidAAAA0001", "ingested", "A talk"),
            Fate("vidBBBB0002", "failed_transient", "YouTube is blocking\nrequests"),
            Fate("vidCCCC0003", "skipped", "already ingested"),
        ),
        stopped="blocked; use a proxy",
    )
    text = batch_markdown(report)
    assert "**Stopped early:** blocked; use a proxy" in text
    assert "## Ingested (1)\n\n- `vidAAAA0001` ingested: A talk" in text
    assert "- `vidBBBB0002` failed_transient: YouTube is blocking requests" in text
    assert "## Skipped (1)" in text
    assert report.failed == (report.fates[1],)


# --- the commands -------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """The commands registered as `tubewiki.cli` registers them, on a wide console."""
    from tubewiki import cli_common as base
    from tubewiki.cli_watch import backfill_command, retry, status, watch_app

    monkeypatch.setattr(base.console, "width", 200)
    monkeypatch.setattr(base.err_console, "width", 200)

    app = typer.Typer()
    app.add_typer(watch_app, name="watch")
    app.command(name="status")(status)
    app.command(name="retry")(retry)
    app.command(name="backfill")(backfill_command)
    return app


def test_watch_add_list_remove(cli: typer.Typer, tmp_path: Path) -> None:
    runner, watchlist = CliRunner(), str(tmp_path / "watchlist.yaml")
    channel = "UCq3Zr7TfLwXbN5kH2mV9pQa"
    result = runner.invoke(
        cli,
        [
            "watch",
            "add",
            channel,
            "-l",
            "de",
            "--since",
            "2026-01-01",
            "--name",
            "Tide",
            "--watchlist",
            watchlist,
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"watching channel {channel} (Tide)" in result.output
    result = runner.invoke(cli, ["watch", "add", channel, "--watchlist", watchlist])
    assert result.exit_code == 10 and "already in" in result.output
    listed = runner.invoke(cli, ["watch", "list", "--watchlist", watchlist])
    assert channel in listed.output and "2026-01-01" in listed.output
    result = runner.invoke(cli, ["watch", "remove", "Tide", "--watchlist", watchlist])
    assert result.exit_code == 0 and "no longer watching" in result.output
    listed = runner.invoke(cli, ["watch", "list", "--watchlist", watchlist])
    assert "lists nothing yet" in listed.output


def test_status_and_retry(cli: typer.Typer, tmp_path: Path) -> None:
    runner, vault = CliRunner(), tmp_path / "vault"
    assert "no videos in" in runner.invoke(cli, ["status", "--vault", str(vault)]).output
    record_failure(vault, "vidAAAA0001", RequestBlockedError("blocked by YouTube"), NOW)
    shown = runner.invoke(cli, ["status", "--vault", str(vault)])
    assert "failed_transient" in shown.output and "blocked by YouTube" in shown.output
    assert "2026-03-01T13:00:00Z" in shown.output
    result = runner.invoke(cli, ["retry", "vidAAAA0001", "--vault", str(vault)])
    assert result.exit_code == 0 and "due now" in result.output
    assert backfill.video_rows(vault)[0].status == "pending"
    bad = runner.invoke(cli, ["retry", "nope", "--vault", str(vault)])
    assert bad.exit_code == 2 and "not a YouTube video id" in bad.output


def test_backfill_command_fails_before_starting_prefect(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["backfill", str(tmp_path / "missing")])
    assert result.exit_code == 10 and "does not exist" in result.output


# --- extraction batches -------------------------------------------------------------------


def test_batches_balance_the_work_over_the_workers() -> None:
    sizes = {"big": 150, "mid": 100, "small": 35, "tiny": 7}
    assert backfill.batches(sizes, workers=2) == [["big"], ["mid", "small", "tiny"]]
    assert backfill.batches(sizes, workers=3) == [["big"], ["mid"], ["small", "tiny"]]
    assert backfill.batches(sizes, workers=8) == [["big"], ["mid"], ["small"], ["tiny"]]
    assert backfill.batches({}, workers=2) == []


def test_batches_stay_near_the_limit_and_are_stable() -> None:
    sizes = {f"video{i:02d}": 100 + i for i in range(20)}
    result = backfill.batches(sizes, workers=2, limit=500)
    assert len(result) == 5  # 2090 characters at 500 a batch, not 2 of 1045
    assert sorted(v for batch in result for v in batch) == sorted(sizes)
    totals = [sum(sizes[v] for v in batch) for batch in result]
    assert totals == sorted(totals, reverse=True) and max(totals) - min(totals) <= 19
    assert backfill.batches(dict(reversed(sizes.items())), workers=2, limit=500) == result


def test_a_video_that_fails_in_a_share_fails_alone(
    monkeypatch: pytest.MonkeyPatch, nlp: object, tmp_path: Path
) -> None:
    from tests.conftest import build_transcript
    from tubewiki import pipeline, shares
    from tubewiki.cache import Source
    from tubewiki.errors import TranscriptFileError
    from tubewiki.types import VideoMeta

    def source(video_id: str) -> Source:
        rows = [(0.0, 4.0, "Ada Lovelace wrote the first program in London in 1843.")]
        return Source(
            VideoMeta(video_id, f"Talk {video_id}", "Test channel"),
            build_transcript(rows, video_id=video_id),
        )

    real = pipeline.study

    def study(vault: Path, given: Source) -> object:
        if given.meta.video_id == "brokenvid01":
            raise TranscriptFileError("brokenvid01: the transcript is unreadable")
        if given.meta.video_id == "buggyvid001":
            raise KeyError("a bug")
        return real(vault, given)

    monkeypatch.setattr(pipeline, "study", study)
    ids = ["goodvid0001", "brokenvid01", "buggyvid001", "goodvid0002"]
    folder = shares.lay_out(tmp_path, [source(v) for v in ids])
    by_id = pipeline.study_share(tmp_path, folder)
    assert pipeline.study_share(tmp_path, folder) == {}  # a second worker finds all taken
    results = [by_id[v] for v in ids]
    assert [type(r).__name__ for r in results] == [
        "Study",
        "TranscriptFileError",
        "KeyError",
        "Study",
    ]
    good = [r for r in results if isinstance(r, pipeline.Study)]
    assert [r.video_id for r in good] == ["goodvid0001", "goodvid0002"]
    assert all("adalovelacewrote" in r.said for r in good)  # each was really studied
