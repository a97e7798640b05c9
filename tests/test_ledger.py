"""The ledger: runs, per-note changes with full texts, and video history."""

from __future__ import annotations

import random
import re
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tubewiki.errors import ReviewError, StateError, VaultError
from tubewiki.journal import STATE_DIR
from tubewiki.ledger import _SCHEMA as _SCHEMA_1
from tubewiki.ledger import LEDGER_FILE, SCHEMA_VERSION, ChangeRow, Ledger, VideoRow


class Clock:
    """A settable clock so times and run ids are predictable."""

    def __init__(self) -> None:
        self.now = "2026-11-26T11:05:01Z"

    def __call__(self) -> str:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(tmp_path: Path, clock: Clock) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite", clock=clock) as opened:
        yield opened


# -- runs -------------------------------------------------------------------------


def test_start_finish_and_list_runs(ledger: Ledger, clock: Clock) -> None:
    first = ledger.start_run("ingest", ["dQw4w9WgXcQ"])
    assert re.fullmatch(r"20261126T110501-[0-9a-f]{4}", first)
    row = ledger.run(first)
    assert (row.kind, row.status, row.started, row.finished) == (
        "ingest",
        "running",
        "2026-11-26T11:05:01Z",
        None,
    )
    assert row.videos == ("dQw4w9WgXcQ",)

    clock.now = "2026-11-26T11:06:00Z"
    ledger.finish_run(first, "ok", summary={"created": 3, "updated": ["a.md"]})
    second = ledger.start_run("watch")
    ledger.finish_run(second, "failed", error="network down")

    runs = ledger.runs()
    assert [r.run_id for r in runs] == [second, first]
    assert runs[1].status == "ok" and runs[1].finished == "2026-11-26T11:06:00Z"
    assert runs[1].summary == {"created": 3, "updated": ["a.md"]}
    assert (runs[0].status, runs[0].error, runs[0].videos) == ("failed", "network down", ())
    assert [r.run_id for r in ledger.runs(limit=1)] == [second]
    third = ledger.start_run("backfill")
    assert [r.run_id for r in ledger.runs(status="running")] == [third]
    assert [r.run_id for r in ledger.runs(limit=-1)] == [third, second, first]


def test_run_lookup_by_last_and_prefix(ledger: Ledger, clock: Clock) -> None:
    clock.now = "2026-01-01T00:00:00Z"
    old = ledger.start_run("ingest")
    clock.now = "2026-02-01T00:00:00Z"
    new_a = ledger.start_run("rebuild")
    new_b = ledger.start_run("revert")
    assert ledger.run("last").run_id == new_b
    assert ledger.run(old).run_id == old
    assert ledger.run(new_a).run_id == new_a
    assert ledger.run("20260101").run_id == old
    with pytest.raises(ReviewError, match="ambiguous") as info:
        ledger.run("20260201")
    assert "\n" not in str(info.value)


def test_unknown_run_is_a_one_line_review_error(ledger: Ledger) -> None:
    with pytest.raises(ReviewError, match="no runs yet"):
        ledger.run("last")
    known = ledger.start_run("ingest")
    for ref in ("nope", "", "2099"):
        with pytest.raises(ReviewError, match="no run matches") as info:
            ledger.run(ref)
        assert known in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ReviewError):
        ledger.finish_run("nope", "ok")


def test_bad_kind_or_status_is_rejected(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="run kind"):
        ledger.start_run("ingestt")  # type: ignore[arg-type]
    run_id = ledger.start_run("ingest")
    with pytest.raises(ValueError, match="run status"):
        ledger.finish_run(run_id, "done")  # type: ignore[arg-type]


# -- changes ----------------------------------------------------------------------


def test_record_and_read_changes(ledger: Ledger) -> None:
    run_id = ledger.start_run("ingest")
    changes = [
        ChangeRow("notes/ch/v.md", "created", None, "---\ntitle: v\n---\nbody é\n"),
        ChangeRow("notes/entities/e.md", "updated", "old\n", "new\n", {"sections_added": ["ID1"]}),
        ChangeRow("notes/x.md", "deleted", "gone\n", None),
        ChangeRow("notes/entities/f.md", "conflict", "mine\n", "mine\n", {"conflicting": ["ID1"]}),
    ]
    ledger.record_changes(run_id, changes)
    assert ledger.changes(run_id) == sorted(changes, key=lambda c: c.path)
    assert ledger.changes("other") == []


def test_a_path_changed_twice_in_one_run_keeps_the_first_before(ledger: Ledger) -> None:
    run_id = ledger.start_run("watch")
    ledger.record_changes(run_id, [ChangeRow("e.md", "updated", "v0", "v1", {"added": ["A"]})])
    ledger.record_changes(run_id, [ChangeRow("e.md", "updated", "v1", "v2", {"added": ["B"]})])
    ledger.record_changes(run_id, [ChangeRow("n.md", "created", None, "n1")])
    ledger.record_changes(run_id, [ChangeRow("n.md", "updated", "n1", "n2")])
    ledger.record_changes(run_id, [ChangeRow("t.md", "created", None, "t1")])
    ledger.record_changes(run_id, [ChangeRow("t.md", "deleted", "t1", None)])
    assert ledger.changes(run_id) == [
        ChangeRow("e.md", "updated", "v0", "v2", {"added": ["A", "B"]}),
        ChangeRow("n.md", "created", None, "n2"),
    ]


def test_changes_need_a_known_run(ledger: Ledger) -> None:
    with pytest.raises(ReviewError):
        ledger.record_changes("nope", [ChangeRow("a.md", "created", None, "a")])


def test_later_runs_touching(ledger: Ledger) -> None:
    def run(kind: str, status: str, paths: list[str]) -> str:
        run_id = ledger.start_run(kind)  # type: ignore[arg-type]
        ledger.record_changes(run_id, [ChangeRow(p, "updated", "x", "y") for p in paths])
        ledger.finish_run(run_id, status)  # type: ignore[arg-type]
        return run_id

    target = run("ingest", "ok", ["a.md", "b.md", "c.md"])
    earlier_touch = run("ingest", "ok", ["a.md"])  # later in time than target
    run("ingest", "failed", ["b.md"])
    run("watch", "rolled_back", ["c.md"])
    last = run("rebuild", "ok", ["a.md", "b.md", "z.md"])
    assert ledger.later_runs_touching(target, ["a.md", "b.md", "c.md"]) == {
        "a.md": [earlier_touch, last],
        "b.md": [last],
    }
    assert ledger.later_runs_touching(last, ["a.md"]) == {}
    assert ledger.later_runs_touching(target, []) == {}
    with pytest.raises(ReviewError):
        ledger.later_runs_touching("nope", ["a.md"])


# -- videos -----------------------------------------------------------------------


def test_video_upsert_and_read(ledger: Ledger) -> None:
    assert ledger.video("dQw4w9WgXcQ") is None
    row = VideoRow(
        "dQw4w9WgXcQ",
        "ingested",
        title="Never",
        channel="rick",
        transcript_kind="manual",
        language="en",
        transcript_hash="sha256:abc",
        notes=("notes/rick/never.md", "notes/entities/rick.md"),
        source="channel:rick",
    )
    ledger.upsert_video(row)
    assert ledger.video("dQw4w9WgXcQ") == row
    ledger.upsert_video(VideoRow("aaaaaaaaaaa", "pending"))
    assert [v.video_id for v in ledger.videos()] == ["aaaaaaaaaaa", "dQw4w9WgXcQ"]
    assert [v.video_id for v in ledger.videos("pending")] == ["aaaaaaaaaaa"]
    with pytest.raises(ValueError, match="video status"):
        ledger.upsert_video(VideoRow("bbbbbbbbbbb", "done"))


def test_record_attempt_counts_failures_and_backs_off(ledger: Ledger, clock: Clock) -> None:
    vid = "dQw4w9WgXcQ"
    clock.now = "2026-01-01T10:00:00Z"
    row = ledger.record_attempt(
        vid, status="failed_transient", error="429", next_attempt="2026-01-01T11:00:00Z"
    )
    assert (row.attempts, row.last_error, row.last_attempt) == (1, "429", "2026-01-01T10:00:00Z")
    assert ledger.due_videos() == []
    assert [v.video_id for v in ledger.due_videos("2026-01-01T11:00:00Z")] == [vid]

    clock.now = "2026-01-01T11:00:05Z"
    row = ledger.record_attempt(vid, status="failed_transient", error="blocked", title="T")
    assert (row.attempts, row.last_error, row.title) == (2, "blocked", "T")
    assert ledger.due_videos() == [row]

    row = ledger.record_attempt(vid, status="ingested", notes=["notes/c/t.md"], language="en")
    assert ledger.video(vid) == row
    assert (row.status, row.attempts, row.last_error, row.next_attempt) == (
        "ingested",
        0,
        None,
        None,
    )
    assert (row.notes, row.title, row.language) == (("notes/c/t.md",), "T", "en")
    assert ledger.due_videos() == []

    row = ledger.record_attempt("bbbbbbbbbbb", status="failed_permanent", error="disabled")
    assert (row.status, row.attempts) == ("failed_permanent", 1)
    with pytest.raises(TypeError):
        ledger.record_attempt(vid, status="ingested", attempts=5)


# -- the database -----------------------------------------------------------------


def test_open_creates_the_schema_in_the_state_dir_and_persists(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        run_id = ledger.start_run("ingest")
    path = tmp_path / STATE_DIR / LEDGER_FILE
    assert path.is_file() and not path.name.endswith(".md")
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # readers leave no files
    db.close()
    with Ledger.open(tmp_path) as ledger:
        assert ledger.run("last").run_id == run_id


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(VaultError, match="newer tubewiki"):
        Ledger(path)


def test_a_corrupt_ledger_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match=r"is damaged .*tubewiki doctor") as caught:
        Ledger(path)
    assert caught.value.exit_code == 13


# -- storage: content-addressed, compressed texts -----------------------------------------


def _section(n: int) -> str:
    """A paragraph of varied words, different for every `n`."""
    rng = random.Random(n)
    words = ["orbit", "freight", "launch", "ledger", "rideshare", "payload", "Tucson", "fuel"]
    return " ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(120)) + "\n"


def _stored_bytes(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT coalesce(sum(length(data)), 0) FROM texts").fetchone()[0])
    finally:
        db.close()


def test_each_run_adds_about_what_it_changed(tmp_path: Path) -> None:
    """An entity note that grows by one section per run: the ledger grows by about one
    section per run too, not by the whole (ever longer) note."""
    path = tmp_path / STATE_DIR / LEDGER_FILE
    text = "---\ntitle: Orbital Freight\n---\n\n"
    added = []
    with Ledger.open(tmp_path) as ledger:
        for n in range(40):
            new = text + _section(n)
            run_id = ledger.start_run("ingest")
            before = _stored_bytes(path)
            ledger.record_changes(run_id, [ChangeRow("entities/x.md", "updated", text, new)])
            ledger.finish_run(run_id, "ok")
            added.append(_stored_bytes(path) - before)
            text = new
        assert ledger.changes(run_id)[0].after == text  # rebuilt exactly, through the chain
    section = len(zlib.compress(_section(1).encode()))
    assert max(added[1:]) < 2 * section, (added, section)
    assert len(text) > 30 * section  # the note itself is far larger than what was stored


def test_the_same_text_is_stored_once(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        for _ in range(3):
            run_id = ledger.start_run("ingest")
            ledger.record_changes(run_id, [ChangeRow("a.md", "created", None, "same text\n")])
    db = sqlite3.connect(tmp_path / STATE_DIR / LEDGER_FILE)
    assert db.execute("SELECT count(*) FROM texts").fetchone()[0] == 1
    db.close()


def test_a_schema_1_ledger_is_migrated(tmp_path: Path) -> None:
    """Full texts move into `texts`; each video keeps only the notes that mention it."""
    path = tmp_path / STATE_DIR / LEDGER_FILE
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_1)
    db.executescript(
        "INSERT INTO runs (run_id, kind, started, status) VALUES ('r1', 'ingest', 't', 'ok');"
        "INSERT INTO changes (run_id, path, action, before, after) VALUES"
        " ('r1', 'a/vid.md', 'created', NULL, 'videoId: VideoAAAA01'),"
        " ('r1', 'entities/x.md', 'updated', 'old x', 'x <!-- tubewiki:begin VideoAAAA01 -->'),"
        " ('r1', 'entities/y.md', 'created', NULL, 'y <!-- tubewiki:begin VideoBBBB02 -->');"
        "INSERT INTO videos (video_id, status, notes) VALUES ('VideoAAAA01', 'ingested',"
        ' \'["a/vid.md", "entities/x.md", "entities/y.md"]\');'
        "PRAGMA user_version = 1;"
    )
    db.close()
    with Ledger.open(tmp_path) as ledger:
        changes = {c.path: (c.before, c.after) for c in ledger.changes("r1")}
        video = ledger.video("VideoAAAA01")
    assert changes["entities/x.md"] == ("old x", "x <!-- tubewiki:begin VideoAAAA01 -->")
    assert changes["a/vid.md"] == (None, "videoId: VideoAAAA01")
    assert video is not None and video.notes == ("a/vid.md", "entities/x.md")


def test_a_damaged_text_is_reported(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        run_id = ledger.start_run("ingest")
        ledger.record_changes(run_id, [ChangeRow("a.md", "created", None, "some text\n")])
    db = sqlite3.connect(tmp_path / STATE_DIR / LEDGER_FILE)
    db.execute("UPDATE texts SET data = x'00112233'")
    db.commit()
    db.close()
    with Ledger.open(tmp_path) as ledger, pytest.raises(StateError, match="is damaged"):
        ledger.changes(run_id)


def test_failed_feeds_are_kept_until_a_read_works(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as ledger:
        ledger.record_feed("@launchledger", "Launch Ledger", "network error: offline")
        ledger.record_feed("@launchledger", "Launch Ledger", "network error: still offline")
        ledger.record_feed("PLok", "a playlist", None)
        (row,) = ledger.failed_feeds()
        assert (row.ref, row.failures, row.last_error) == (
            "@launchledger",
            2,
            "network error: still offline",
        )
        ledger.record_feed("@launchledger", "Launch Ledger", None)
        assert ledger.failed_feeds() == []


def test_a_schema_1_ledger_gains_the_feeds_table(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_1)
    db.execute("PRAGMA user_version = 1")
    db.close()
    with Ledger(path) as ledger:
        ledger.record_feed("@x", "x", "offline")
        assert [f.ref for f in ledger.failed_feeds()] == ["@x"]


def _schema_2_ledger(vault: Path) -> Path:
    """A ledger as the schema-2 tubewiki left it: content-addressed, no `feeds` table."""
    with Ledger.open(vault) as ledger:
        ledger.start_run("ingest")
    path = vault / STATE_DIR / LEDGER_FILE
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE feeds; PRAGMA user_version = 2;")
    db.close()
    return path


def test_a_schema_2_ledger_gains_the_feeds_table(tmp_path: Path) -> None:
    path = _schema_2_ledger(tmp_path)
    with Ledger.open(tmp_path) as ledger:
        assert len(ledger.runs()) == 1
        ledger.record_feed("@x", "x", "offline")
        assert [f.ref for f in ledger.failed_feeds()] == ["@x"]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_schema_2_ledger_is_read_where_it_cannot_be_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _schema_2_ledger(tmp_path)
    monkeypatch.setattr("tubewiki.ledger.os.access", lambda *_: False)  # as on a read-only mount
    with Ledger.read(tmp_path) as ledger:
        assert ledger.failed_feeds() == []
        assert len(ledger.runs()) == 1
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    db.close()
