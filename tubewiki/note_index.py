"""Each note's front matter by its file's stat, so a run reads only the notes it touches.

Loading a vault used to read, split and hash every note: about a second at
10,000 notes, though a run changes a few of them. `.tubewiki/index.sqlite`
keeps each note's parsed front matter under its path and stat (size, mtime,
ctime, inode); a note whose stat is unchanged is not opened at load, and its
body is read only if the run asks for it (`Note.unread`). A note whose stat
changed is read and split; its front matter is parsed only if its YAML text is
new, since parsed front matter is also cached under the hash of that text.
Only front matter that JSON gives back exactly is cached (a YAML date, for
one, is parsed every time); the body is split off as python-frontmatter
splits it, so a note comes out exactly as `notes.parse_note` makes it.

Beside the front matter each row keeps what a vault looks the note up by
(`notes.index_keys`), so a load indexes 10,000 notes without decoding their
front matter: a note's is decoded when the run first asks for the note
(`vault.NoteMap`), and a row whose JSON is damaged sends it to the note itself.

Each save that changes the index starts a new generation, and each row keeps
the generation its front matter last changed at, as each vanished note does.
So whatever a run built from the front matter at one generation (the
lexicon, `tubewiki.relink`) can be brought up to date from the few notes
that changed since, rather than from every note again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import frontmatter

from tubewiki.journal import STATE_DIR
from tubewiki.notes import BOM, Note, index_keys, parse_note

INDEX_FILE = "index.sqlite"
Split = tuple[str, str]  # (hash of the front matter text and format, body)
Stamp = str  # a file's size, mtime, ctime and inode: it changes whenever the file does
# A note's row: path, stamp, front matter (JSON), then its `notes.index_keys` (kind,
# video id, `formerly` and `videos` as JSON or None), then the generation it changed at.
Row = tuple[str, Stamp, str, str, str, str | None, str | None, int]
_SEEN: dict[str, tuple[Stamp, str, Split | None]] = {}
_VERSION = 3  # SQLite's user_version: 3 when rows carry their lookup keys
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS front_matter (sha TEXT PRIMARY KEY, meta TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, "
    "meta TEXT NOT NULL, kind TEXT NOT NULL, video TEXT NOT NULL, formerly TEXT, "
    "videos TEXT, seq INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gone (path TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS generation (id TEXT NOT NULL, n INTEGER NOT NULL)",
)


class FrontMatterIndex:
    """The vault's cached front matter: read once per load, changes written at `save`."""

    def __init__(self, vault: Path) -> None:
        self._path = vault / STATE_DIR / INDEX_FILE
        self._db: sqlite3.Connection | None = None
        self._stamped: dict[str, Row] = {}  # path -> its row, as saved
        self._new: dict[str, str] = {}  # front matter parsed by this load: sha -> meta
        self._now: dict[str, Row] = {}  # what this load found cacheable
        self._gone: dict[str, int] = {}  # path -> the generation its note vanished at
        self._unindexed: set[str] = set()  # notes this load parsed but cannot index
        self._read_at: tuple[str, int] = ("", 0)  # the index and generation the rows are of
        self._moved: set[str] = set()  # notes whose front matter this load found changed
        self.generation: str | None = None  # the notes as loaded, once saved: "index:n"
        if self._path.is_file():
            with contextlib.suppress(sqlite3.Error):
                self._db = _connect(self._path)
                self._read_at = _generation(self._db)  # read first: a later save bumps it
                rows = self._db.execute(
                    "SELECT path, stamp, meta, kind, video, formerly, videos, seq FROM notes"
                )
                self._stamped = {row[0]: row for row in rows}
                self._gone = dict(self._db.execute("SELECT path, seq FROM gone"))

    def unchanged(self, stamps: dict[str, Stamp]) -> dict[str, Row]:
        """The row of each note (path -> stamp) whose file has not changed since it was
        indexed. Its front matter is still JSON text: `decoded` decodes it."""
        stamped = self._stamped
        found = {}
        for path, stamp in stamps.items():
            row = stamped.get(path)
            if row is not None and row[1] == stamp:
                found[path] = row
        self._now.update(found)
        return found

    def parse(self, path: str, text: str, split: Split | None, stamp: Stamp) -> Note:
        """`parse_note(path, text)`, with the YAML parse skipped when it is cached.

        `split` is `read_note`'s split of `text`, `stamp` the stat it was read at."""
        if split is None:
            self._unindexed.add(path)
            return parse_note(path, text)
        key, body = split
        cached = self._new.get(key) or self._cached(key)
        if cached is not None:
            note = Note(path=path, meta=json.loads(cached), body=body)
        else:
            note = parse_note(path, text)
            cached = _exact_json(note.meta)
            if cached is None or note.body != body:
                self._unindexed.add(path)
                return note
            self._new[key] = cached
        self._now[path] = (path, stamp, cached, *index_keys(note.meta), 0)
        return note

    def _cached(self, key: str) -> str | None:
        if self._db is None:
            return None
        with contextlib.suppress(sqlite3.Error):
            row = self._db.execute("SELECT meta FROM front_matter WHERE sha = ?", (key,)).fetchone()
            return str(row[0]) if row else None
        return None

    def save(self) -> None:
        """Record what this load found; a vault without a state folder gets no index.

        The rows changed here get a new generation. `generation` is set only if
        no other process saved in between: then every note is as its row says."""
        stale = self._stamped.keys() - self._now.keys()
        fresh = [row for p, row in self._now.items() if self._stamped.get(p) is not row]
        # Front matter new or changed since it was indexed, gone, or never indexable.
        self._moved = {row[0] for row in fresh if _meta(self._stamped.get(row[0])) != row[2]}
        self._moved |= stale | self._unindexed
        if self._path.parent.is_dir():
            with contextlib.suppress(sqlite3.Error):
                db = self._db or _connect(self._path)
                with db:
                    db.execute("BEGIN IMMEDIATE")  # the generation is read and bumped at once
                    index, now = _generation(db)
                    intact = (index, now) == self._read_at  # no other save since the read
                    if self._new or stale or fresh or not index:  # or a new index
                        index, now = index or uuid.uuid4().hex, now + 1
                        self._write(db, now, stale, fresh)
                        db.execute("DELETE FROM generation")
                        db.execute("INSERT INTO generation VALUES (?, ?)", (index, now))
                self.generation = f"{index}:{now}" if intact and index else None
        if self._db is not None:
            self._db.close()
        self._db = None

    def _write(self, db: sqlite3.Connection, now: int, stale: set[str], fresh: list[Row]) -> None:
        db.executemany("INSERT OR IGNORE INTO front_matter VALUES (?, ?)", self._new.items())
        db.executemany("DELETE FROM notes WHERE path = ?", [(p,) for p in stale])
        db.executemany("INSERT OR REPLACE INTO gone VALUES (?, ?)", [(p, now) for p in stale])
        db.executemany(
            "INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r[:7], now if r[0] in self._moved else self._stamped[r[0]][7]) for r in fresh],
        )
        db.executemany("DELETE FROM gone WHERE path = ?", [(r[0],) for r in fresh])

    def changed_since(self, generation: str) -> set[str] | None:
        """The notes whose front matter may differ from what it was at `generation` (an
        earlier load's): changed or gone since, or never indexable. None when that
        was another index's, one since deleted, say. Call after `save`."""
        index, _, n = generation.partition(":")
        if not n.isdigit() or index != self._read_at[0]:
            return None
        since = int(n)
        found = {p for p, row in self._stamped.items() if row[7] > since}
        found.update(p for p, seq in self._gone.items() if seq > since)
        return found | self._moved


def stamp_of(stat: os.stat_result) -> Stamp:
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def read_note(path: str, stamp: Stamp) -> tuple[str, Split | None]:
    """A note's text and front matter split, read again only if its stat changed.

    A process that loads a vault again (a watch loop, a test) re-reads only the
    notes that changed in between. `stamp` must be taken before the read, so a
    note changed during the read is read again.
    """
    seen = _SEEN.get(path)
    if seen is not None and seen[0] == stamp:
        return seen[1], seen[2]
    with open(path, "rb") as file:  # exact text: a BOM and CRLF line ends are kept
        text = file.read().decode("utf-8")
    split = split_note(text)
    _SEEN[path] = (stamp, text, split)
    return text, split


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)  # `ahead` opens it
    if db.execute("PRAGMA user_version").fetchone()[0] != _VERSION:
        with db:  # an older index: its rows are read again from the notes, once
            db.execute("DROP TABLE IF EXISTS notes")
            db.execute(f"PRAGMA user_version = {_VERSION}")
    for statement in _SCHEMA:
        db.execute(statement)
    return db


def _generation(db: sqlite3.Connection) -> tuple[str, int]:
    """The index's own id (made at its first save) and its generation."""
    row = db.execute("SELECT id, n FROM generation").fetchone()
    return (str(row[0]), int(row[1])) if row else ("", 0)


def split_note(text: str) -> Split | None:
    """(hash of the front matter text and its format, body) as python-frontmatter splits.

    None for a note another editor saved with a BOM, CRLF line ends or unusual
    trailing whitespace: `parse_note` reads those, keeping every byte.
    """
    if text.startswith(BOM) or "\r" in text or not text.endswith("\n") or text.endswith("\n\n"):
        return None
    stripped = text.strip()
    handler = frontmatter.detect_format(stripped, frontmatter.handlers)
    if handler is None:
        return None
    try:
        head, body = handler.split(stripped)
    except ValueError:
        return None
    key = hashlib.sha256(f"{type(handler).__name__}\0{head}".encode()).hexdigest()
    return key, body.strip()


def decoded(row: Row) -> dict[str, Any] | None:
    """A row's front matter; None if its JSON is damaged (the note must be read)."""
    try:
        meta = json.loads(row[2])
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def _meta(row: Row | None) -> str | None:
    return row[2] if row is not None else None


def _exact_json(meta: dict[str, Any]) -> str | None:
    """`meta` as JSON if that reads back equal and of the same types; else None."""
    if not meta:
        return None  # an empty head may be an unclosed block: parse_note judges each time
    try:
        encoded = json.dumps(meta, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return encoded if _same(json.loads(encoded), meta) else None


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b
