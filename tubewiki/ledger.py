"""The run and video history of a vault, in SQLite at `.tubewiki/ledger.sqlite`.

Notes hold no volatile data (times, attempt counts); all of that lives here.
`runs` records every command that changed the vault, `changes` each note's
text before and after each run (so a run can be reviewed and reverted), and
`videos` what happened to each video (so the watch flow skips ingested ones
and backs off failing ones). The crash-safe protocol with
`journal`: `start_run`; `record_changes` *before* the notes are committed;
`commit(..., meta={"run_id": run_id}, on_applied=lambda: finish_run(run_id, "ok"))`.
At the start of the next command, `recover(vault, on_recovered=...)` hands
back that meta for an interrupted commit: settle the run as "ok" when it was
rolled forward and "rolled_back" otherwise. Only "ok" runs count as having
changed the vault. Times are ISO-8601 UTC strings.

Note texts live in `texts`, once each, keyed by SHA-256 and zlib-compressed:
as line edits of the note's previous text (a chain at most `MAX_DELTA_DEPTH`
long, then a whole text again), so a run adds about what it changed, however
long the entity notes grow.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Self, get_args

from tubewiki.errors import (
    DiskError,
    ReviewError,
    StateError,
    TubewikiError,
    VaultError,
    VaultLockedError,
)
from tubewiki.journal import STATE_DIR, state_dir

log = logging.getLogger(__name__)

LEDGER_FILE = "ledger.sqlite"
SCHEMA_VERSION = 3
# Schema 3 only adds the `feeds` table, so a schema-2 ledger on a read-only mount
# can still be read (it simply has no failed feeds).
READABLE_FROM = 2
MAX_DELTA_DEPTH = 200  # a stored text is rebuilt from at most this many others
BUSY_TIMEOUT_S = 30.0


RunKind = Literal["ingest", "rebuild", "watch", "backfill", "revert", "merge", "rename", "resolve"]
RunStatus = Literal["running", "ok", "failed", "rolled_back"]
ChangeAction = Literal["created", "updated", "deleted", "conflict"]
VideoStatus = Literal["ingested", "failed_permanent", "failed_transient", "pending"]


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    kind: str
    started: str
    status: str
    finished: str | None = None
    videos: tuple[str, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One note's change in one run; `before`/`after` are full texts, None when absent."""

    path: str
    action: str
    before: str | None
    after: str | None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A watchlist feed whose last read failed (`failures` in a row); gone once one works."""

    ref: str
    label: str
    failures: int
    last_error: str | None
    last_attempt: str | None


@dataclass(frozen=True, slots=True)
class VideoRow:
    video_id: str
    status: str
    title: str = ""
    channel: str = ""
    transcript_kind: str = ""
    language: str = ""
    transcript_hash: str = ""
    notes: tuple[str, ...] = ()
    attempts: int = 0
    last_error: str | None = None
    last_attempt: str | None = None
    next_attempt: str | None = None
    source: str = ""


_SCHEMA = """
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    videos TEXT NOT NULL DEFAULT '[]',
    summary TEXT NOT NULL DEFAULT '{}',
    error TEXT
);
CREATE TABLE changes (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, path)
);
CREATE INDEX changes_path ON changes(path);
CREATE TABLE videos (
    video_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    transcript_kind TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    transcript_hash TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempt TEXT,
    next_attempt TEXT,
    source TEXT NOT NULL DEFAULT ''
);
"""

_TEXTS = """
CREATE TABLE texts (
    hash TEXT PRIMARY KEY,
    base TEXT REFERENCES texts(hash),
    depth INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL
);
ALTER TABLE changes ADD COLUMN before_hash TEXT REFERENCES texts(hash);
ALTER TABLE changes ADD COLUMN after_hash TEXT REFERENCES texts(hash);
"""


def _to_content_addressed(db: sqlite3.Connection) -> None:
    """Schema 2: note texts stored once each, compressed, in `texts`; and each video's
    row lists only the notes that mention it, not every note of its run."""
    for statement in _TEXTS.split(";"):
        if statement.strip():
            db.execute(statement)
    rows = db.execute(
        "SELECT c.rowid, c.path, c.before, c.after FROM changes c"
        " JOIN runs r ON r.run_id = c.run_id ORDER BY r.seq, c.path"
    ).fetchall()
    latest: dict[str, str] = {}
    for rowid, path, before, after in rows:
        before_hash = _put_text(db, before, latest.get(path))
        after_hash = _put_text(db, after, before if before is not None else latest.get(path))
        db.execute(
            "UPDATE changes SET before_hash = ?, after_hash = ? WHERE rowid = ?",
            (before_hash, after_hash, rowid),
        )
        if after is not None:
            latest[path] = after
    db.execute("ALTER TABLE changes DROP COLUMN before")
    db.execute("ALTER TABLE changes DROP COLUMN after")
    for video_id, notes in db.execute("SELECT video_id, notes FROM videos").fetchall():
        own = [p for p in json.loads(notes) if p not in latest or video_id in latest[p]]
        db.execute("UPDATE videos SET notes = ? WHERE video_id = ?", (json.dumps(own), video_id))


# A feed (channel or playlist) a watch run could not read: `status` shows it.
_FEEDS = """
CREATE TABLE feeds (
    ref TEXT PRIMARY KEY,
    label TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempt TEXT
);
"""

# Each entry upgrades the schema from version i to i + 1.
_MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    _SCHEMA,
    _to_content_addressed,
    _FEEDS,
]

_VIDEO_COLUMNS = tuple(VideoRow.__dataclass_fields__)
_RUN_COLUMNS = "run_id, kind, started, status, finished, videos, summary, error"


def utc_now() -> str:
    """The current time as a sortable ISO-8601 UTC string."""
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Ledger:
    """An open ledger; use `Ledger.open(vault)` as a context manager."""

    def __init__(
        self, path: Path, clock: Callable[[], str] = utc_now, *, readonly: bool = False
    ) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        try:
            if readonly:
                self._db = _connect_readonly(path)
            else:
                _refuse_empty(path)
                self._db = sqlite3.connect(
                    path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
                )
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if readonly:
                return
            # A rollback journal, not WAL: readers then open the file with
            # `mode=ro` without leaving -wal/-shm files behind, even on a
            # read-only mount.
            self._db.execute("PRAGMA journal_mode = DELETE")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise ledger_error(exc, path) from exc

    @classmethod
    def open(cls, vault: Path) -> Ledger:
        """Open for writing, creating the ledger of a new vault; never replaces a lost one."""
        path = state_dir(vault) / LEDGER_FILE
        if not path.exists() and _has_history(vault):
            raise StateError(
                f"the ledger '{path}' is missing, but videos were ingested into this vault; "
                f"restore it from a backup, or run `tubewiki doctor --repair --vault {vault}` "
                "to start a new one"
            )
        return cls(path)

    @classmethod
    def read(cls, vault: Path) -> Ledger:
        """Open only to read (for `runs`, `review`, `status`): nothing on disk changes,
        except that a ledger an older tubewiki wrote is upgraded once where writable.

        A vault nothing was ingested into reads as an empty ledger; a missing,
        empty or damaged one where videos were ingested is a `StateError`.
        """
        path = vault / STATE_DIR / LEDGER_FILE
        if path.exists():
            _refuse_empty(path)
            ledger = cls(path, readonly=True)
            if ledger.version >= SCHEMA_VERSION or not os.access(path.parent, os.W_OK):
                ledger._check_readable()
                return ledger
            ledger.close()  # written by an older tubewiki: upgrade it once
            return cls(path)
        if _has_history(vault):
            raise StateError(
                f"the ledger '{path}' is missing, but videos were ingested into this vault; "
                f"run `tubewiki doctor --vault {vault}` to see how to repair it"
            )
        empty = cls(Path(":memory:"))
        empty.path = path
        return empty

    @property
    def version(self) -> int:
        try:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise ledger_error(exc, self.path) from exc

    def _check_readable(self) -> None:
        version = self.version
        if not READABLE_FROM <= version <= SCHEMA_VERSION:
            newer = version > SCHEMA_VERSION
            raise StateError(
                f"the ledger '{self.path}' has schema {version}, not {SCHEMA_VERSION}; "
                + ("upgrade tubewiki" if newer else "make the vault writable once to upgrade it")
            )
        try:
            self._db.execute("SELECT count(*) FROM runs").fetchone()
        except sqlite3.Error as exc:
            raise ledger_error(exc, self.path) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- runs ---------------------------------------------------------------

    def start_run(self, kind: RunKind, videos: Iterable[str] = ()) -> str:
        """Record a new run as running and return its short, sortable id."""
        _check(kind, RunKind, "run kind")
        started = self.clock()
        stamp = started.replace("-", "").replace(":", "").rstrip("Z")
        video_list = json.dumps(list(videos))
        with self._tx() as db:
            while True:
                run_id = f"{stamp}-{secrets.token_hex(2)}"
                try:
                    db.execute(
                        "INSERT INTO runs (run_id, kind, started, status, videos)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (run_id, kind, started, "running", video_list),
                    )
                except sqlite3.IntegrityError:
                    continue
                return run_id

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        summary: Mapping[str, Any] | None = None,
        error: str | None = None,
        *,
        ingested: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Settle a run; `ingested` videos (`video_id` plus `record_attempt` fields) are
        recorded in the same transaction, so a run is "ok" exactly when its videos are."""
        _check(status, RunStatus, "run status")
        with self._tx() as db:
            cur = db.execute(
                "UPDATE runs SET status = ?, finished = ?, summary = ?, error = ? WHERE run_id = ?",
                (status, self.clock(), json.dumps(dict(summary or {})), error, run_id),
            )
            if cur.rowcount == 0:
                raise ReviewError(f"no run '{run_id}' in the ledger '{self.path}'")
            for video in ingested:
                fields = dict(video)
                self._attempt(db, str(fields.pop("video_id")), "ingested", None, None, fields)

    def runs(self, limit: int = 20, status: RunStatus | None = None) -> list[RunRow]:
        """The latest runs (all if `limit` < 0), newest first, optionally with one status.

        Runs still "running" after `recover` under the lock were interrupted.
        """
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE ? IS NULL OR status = ?"
            " ORDER BY seq DESC LIMIT ?",
            (status, status, limit),
        )
        return [_run_row(r) for r in rows]

    def run(self, ref: str) -> RunRow:
        """Find a run by id, unique id prefix, or "last"; ReviewError if none or ambiguous."""
        ref = ref.strip()
        if ref == "last":
            rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY seq DESC LIMIT 1")
            if not rows:
                raise ReviewError(f"no runs yet in the ledger '{self.path}'")
            return _run_row(rows[0])
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY seq DESC",
            (len(ref), ref),
        )
        exact = [r for r in rows if r["run_id"] == ref]
        if exact:
            return _run_row(exact[0])
        if len(rows) == 1 and ref:
            return _run_row(rows[0])
        if not rows or not ref:
            latest = ", ".join(r.run_id for r in self.runs(3)) or "none yet"
            raise ReviewError(f"no run matches '{ref}' (latest runs: {latest})")
        shown = ", ".join(r["run_id"] for r in rows[:3])
        raise ReviewError(
            f"run '{ref}' is ambiguous: it matches {len(rows)} runs ({shown}, ...); type more of it"
        )

    # -- changes ------------------------------------------------------------

    def record_changes(self, run_id: str, changes: Iterable[ChangeRow]) -> None:
        """Store each note's change; a path seen again in the same run is merged.

        Texts go to `texts` once each, keyed by their SHA-256 and stored as
        edits of the note's previous text, so the ledger grows with what
        changed rather than with the size of the notes.
        """
        with self._tx() as db:
            for change in changes:
                _check(change.action, ChangeAction, "change action")
                old = db.execute(
                    f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE run_id = ? AND path = ?",
                    (run_id, change.path),
                ).fetchone()
                row = _merge_change(self._change_row(old), change) if old else change
                db.execute(
                    "DELETE FROM changes WHERE run_id = ? AND path = ?", (run_id, change.path)
                )
                if row is None:
                    continue
                latest = self._latest(db, row.path)  # usually `before` itself: stored already
                before = _put_text(db, row.before, latest)
                after = _put_text(db, row.after, row.before if row.before is not None else latest)
                try:
                    db.execute(
                        "INSERT INTO changes"
                        " (run_id, path, action, before_hash, after_hash, details)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (run_id, row.path, row.action, before, after, _dump(row.details)),
                    )
                except sqlite3.IntegrityError:
                    raise ReviewError(f"no run '{run_id}' in the ledger '{self.path}'") from None

    def changes(self, run_id: str) -> list[ChangeRow]:
        rows = self._query(
            f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE run_id = ? ORDER BY path", (run_id,)
        )
        with self._lock:
            try:
                return [self._change_row(r) for r in rows]
            except sqlite3.Error as exc:
                raise ledger_error(exc, self.path) from exc

    def _change_row(self, r: sqlite3.Row) -> ChangeRow:
        return ChangeRow(
            r["path"],
            r["action"],
            _get_text(self._db, r["before_hash"]),
            _get_text(self._db, r["after_hash"]),
            json.loads(r["details"]),
        )

    def _latest(self, db: sqlite3.Connection, path: str) -> str | None:
        found = db.execute(
            "SELECT c.after_hash FROM changes c JOIN runs r ON r.run_id = c.run_id"
            " WHERE c.path = ? AND c.after_hash IS NOT NULL ORDER BY r.seq DESC LIMIT 1",
            (path,),
        ).fetchone()
        return _get_text(db, found[0]) if found else None

    def later_runs_touching(self, run_id: str, paths: Iterable[str]) -> dict[str, list[str]]:
        """For each path, the later successful runs that changed it (oldest first)."""
        wanted = set(paths)
        seq = self._query("SELECT seq FROM runs WHERE run_id = ?", (run_id,))
        if not seq:
            raise ReviewError(f"no run '{run_id}' in the ledger '{self.path}'")
        rows = self._query(
            "SELECT c.path, r.run_id FROM changes c JOIN runs r ON r.run_id = c.run_id"
            " WHERE r.seq > ? AND r.status = 'ok' ORDER BY r.seq, c.path",
            (seq[0]["seq"],),
        )
        found: dict[str, list[str]] = {}
        for r in rows:
            if r["path"] in wanted:
                found.setdefault(r["path"], []).append(r["run_id"])
        return found

    # -- videos -------------------------------------------------------------

    def upsert_video(self, video: VideoRow) -> None:
        """Insert or fully replace a video's row."""
        with self._tx() as db:
            _upsert_video(db, video)

    def record_attempt(
        self,
        video_id: str,
        *,
        status: VideoStatus,
        error: str | None = None,
        next_attempt: str | None = None,
        **fields: Any,
    ) -> VideoRow:
        """Record one try at a video; `attempts` counts failures since the last success.

        Extra keyword `fields` (title, notes, transcript_hash, ...) overwrite the row's.
        """
        with self._tx() as db:
            return self._attempt(db, video_id, status, error, next_attempt, fields)

    def _attempt(
        self,
        db: sqlite3.Connection,
        video_id: str,
        status: VideoStatus,
        error: str | None,
        next_attempt: str | None,
        fields: Mapping[str, Any],
    ) -> VideoRow:
        unknown = set(fields) - (set(_VIDEO_COLUMNS) - {"attempts", "last_attempt"})
        if unknown:
            raise TypeError(f"record_attempt() got unexpected fields {sorted(unknown)}")
        found = db.execute("SELECT * FROM videos WHERE video_id = ?", (video_id,)).fetchone()
        old = _video_row(found) if found else VideoRow(video_id, "pending")
        ok = status == "ingested"
        values = {name: getattr(old, name) for name in _VIDEO_COLUMNS}
        values.update(fields)
        values.update(
            status=status,
            attempts=0 if ok else old.attempts + 1,
            last_error=None if ok else error,
            last_attempt=self.clock(),
            next_attempt=None if ok else next_attempt,
            notes=tuple(values["notes"]),
        )
        row = VideoRow(**values)
        _upsert_video(db, row)
        return row

    def video(self, video_id: str) -> VideoRow | None:
        rows = self._query("SELECT * FROM videos WHERE video_id = ?", (video_id,))
        return _video_row(rows[0]) if rows else None

    def videos(self, status: str | None = None) -> list[VideoRow]:
        """Every video, or those with `status`, by id."""
        sql = "SELECT * FROM videos WHERE ? IS NULL OR status = ? ORDER BY video_id"
        return [_video_row(r) for r in self._query(sql, (status, status))]

    def due_videos(self, now: str | None = None) -> list[VideoRow]:
        """Pending or transiently failed videos whose backoff has expired."""
        rows = self._query(
            "SELECT * FROM videos WHERE status IN (?, ?)"
            " AND (next_attempt IS NULL OR next_attempt <= ?) ORDER BY video_id",
            ("pending", "failed_transient", now or self.clock()),
        )
        return [_video_row(r) for r in rows]

    # -- feeds ----------------------------------------------------------------

    def record_feed(self, ref: str, label: str, error: str | None) -> None:
        """Note one read of a watchlist feed: a failure is kept, a success clears it."""
        with self._tx() as db:
            if error is None:
                db.execute("DELETE FROM feeds WHERE ref = ?", (ref,))
                return
            db.execute(
                "INSERT INTO feeds (ref, label, failures, last_error, last_attempt)"
                " VALUES (?, ?, 1, ?, ?) ON CONFLICT(ref) DO UPDATE SET label = excluded.label,"
                " failures = failures + 1, last_error = excluded.last_error,"
                " last_attempt = excluded.last_attempt",
                (ref, label, error, self.clock()),
            )

    def failed_feeds(self) -> list[FeedRow]:
        if self.version < 3:  # a schema-2 ledger read where it cannot be upgraded
            return []
        rows = self._query("SELECT * FROM feeds ORDER BY ref")
        return [FeedRow(**dict(r)) for r in rows]

    # -- plumbing -----------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE so writers queue on busy_timeout."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise ledger_error(exc, self.path) from exc
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    try:
                        self._db.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.debug("rolling back the ledger %s failed", self.path)
                if isinstance(exc, sqlite3.Error):
                    raise ledger_error(exc, self.path) from exc
                raise

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._db.execute(sql, tuple(params)).fetchall())
            except sqlite3.Error as exc:
                raise ledger_error(exc, self.path) from exc

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise VaultError(
                f"the ledger '{self.path}' was written by a newer tubewiki "
                f"(schema {version} > {SCHEMA_VERSION}); upgrade tubewiki"
            )
        if version == SCHEMA_VERSION:
            return
        with self._tx() as db:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for step in range(version, SCHEMA_VERSION):
                log.info("migrating the ledger %s to schema %d", self.path, step + 1)
                migration = _MIGRATIONS[step]
                if callable(migration):
                    migration(db)
                    continue
                for statement in migration.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """`mode=ro`, or `immutable=1` where even that cannot open (a read-only mount)."""
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA schema_version").fetchone()
        return db
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc) and "readonly" not in str(exc):
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)


def _refuse_empty(path: Path) -> None:
    """A zero-byte ledger lost its history; SQLite would silently start a new one."""
    if path.is_file() and path.stat().st_size == 0:
        raise StateError(
            f"the ledger '{path}' is empty (0 bytes): its history is lost; restore it from a "
            f"backup, or run `tubewiki doctor --repair --vault {path.parent.parent}` "
            "to start a new one"
        )


def _has_history(vault: Path) -> bool:
    """Whether tubewiki ingested anything here: cached transcripts or learned names."""
    state = vault / STATE_DIR
    return any(
        (state / folder).is_dir() and any((state / folder).glob("*.json"))
        for folder in ("transcripts", "learned")
    )


def ledger_error(exc: sqlite3.Error, path: Path) -> TubewikiError:
    """One line for what SQLite says went wrong with the ledger, and what to do."""
    text = str(exc).lower()
    if "full" in text:
        return DiskError(
            f"the disk refused the ledger '{path}': {exc}; free some disk space and run "
            "the command again (the vault is unchanged)"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return DiskError(
            f"cannot write the ledger '{path}': {exc}; check that the vault is writable "
            "(read-only commands such as `tubewiki runs` still work)"
        )
    if "locked" in text or "busy" in text:
        return VaultLockedError(f"the ledger '{path}' is busy: {exc}; try again later")
    return StateError(
        f"the ledger '{path}' is damaged ({exc}); run `tubewiki doctor --vault "
        f"{path.parent.parent}` to see how to repair it"
    )


def _check(value: str, allowed: object, what: str) -> None:
    """Reject a misspelt status or kind before it reaches the database."""
    choices = get_args(allowed)
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(choices)}")


def _upsert_video(db: sqlite3.Connection, video: VideoRow) -> None:
    _check(video.status, VideoStatus, "video status")
    values = [getattr(video, name) for name in _VIDEO_COLUMNS]
    values[_VIDEO_COLUMNS.index("notes")] = json.dumps(list(video.notes))
    cols = ", ".join(_VIDEO_COLUMNS)
    marks = ", ".join("?" * len(values))
    db.execute(f"INSERT OR REPLACE INTO videos ({cols}) VALUES ({marks})", values)


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, sort_keys=True)


def _run_row(r: sqlite3.Row) -> RunRow:
    values = {name: r[name] for name in RunRow.__dataclass_fields__}
    values.update(videos=tuple(json.loads(r["videos"])), summary=json.loads(r["summary"]))
    return RunRow(**values)


_CHANGE_COLUMNS = "path, action, before_hash, after_hash, details"


def _put_text(db: sqlite3.Connection, text: str | None, base: str | None) -> str | None:
    """Store `text` once: zlib-compressed, as line edits of `base` when that is stored."""
    if text is None:
        return None
    key = _hash(text)
    if db.execute("SELECT 1 FROM texts WHERE hash = ?", (key,)).fetchone():
        return key
    base_key, depth, payload = None, 0, text
    if base is not None and base != text:
        found = db.execute("SELECT depth FROM texts WHERE hash = ?", (_hash(base),)).fetchone()
        if found is not None and found[0] < MAX_DELTA_DEPTH:
            base_key, depth = _hash(base), found[0] + 1
            payload = json.dumps(_line_edits(base, text), ensure_ascii=False)
    db.execute(
        "INSERT INTO texts (hash, base, depth, data) VALUES (?, ?, ?, ?)",
        (key, base_key, depth, zlib.compress(payload.encode("utf-8"), 9)),
    )
    return key


def _get_text(db: sqlite3.Connection, key: str | None) -> str | None:
    """Rebuild a stored text from its chain of bases; checked against its hash."""
    if key is None:
        return None
    chain: list[tuple[str, bytes]] = []
    current: str | None = key
    while current is not None:
        row = db.execute("SELECT base, data FROM texts WHERE hash = ?", (current,)).fetchone()
        if row is None or len(chain) > MAX_DELTA_DEPTH:
            raise sqlite3.DatabaseError(f"note text {current} is missing from the ledger")
        chain.append((current, row[1]))
        current = row[0]
    text: str | None = None
    for text_key, packed in reversed(chain):
        try:
            payload = zlib.decompress(packed).decode("utf-8")
            text = payload if text is None else _apply_edits(text, json.loads(payload))
        except (zlib.error, ValueError, TypeError, IndexError) as exc:
            raise sqlite3.DatabaseError(f"note text {text_key} is damaged: {exc}") from exc
        if _hash(text) != text_key:
            raise sqlite3.DatabaseError(f"note text {text_key} is damaged: its hash differs")
    return text


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Edits = list[list[int] | str]  # [start, end]: copy those lines of the base; a string: insert it


def _line_edits(base: str, text: str) -> Edits:
    old, new = base.splitlines(keepends=True), text.splitlines(keepends=True)
    edits: Edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag == "equal":
            edits.append([i1, i2])
        elif j2 > j1:
            edits.append("".join(new[j1:j2]))
    return edits


def _apply_edits(base: str, edits: Edits) -> str:
    old = base.splitlines(keepends=True)
    return "".join(e if isinstance(e, str) else "".join(old[e[0] : e[1]]) for e in edits)


def _video_row(r: sqlite3.Row) -> VideoRow:
    values = {name: r[name] for name in _VIDEO_COLUMNS}
    values["notes"] = tuple(json.loads(values["notes"]))
    return VideoRow(**values)


def _merge_change(old: ChangeRow, new: ChangeRow) -> ChangeRow | None:
    """Net effect of two changes to one path in one run: first `before`, last `after`."""
    before, after = old.before, new.after
    if before is None and after is None:
        return None
    if "conflict" in (old.action, new.action):
        action: str = "conflict"
    elif before is None:
        action = "created"
    elif after is None:
        action = "deleted"
    else:
        action = "updated"
    details: dict[str, Any] = dict(old.details)
    for key, value in new.details.items():
        prior = details.get(key)
        if isinstance(prior, list) and isinstance(value, list):
            details[key] = prior + [v for v in value if v not in prior]
        else:
            details[key] = value
    return ChangeRow(new.path, action, before, after, details)
