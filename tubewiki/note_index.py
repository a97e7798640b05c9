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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import frontmatter

from tubewiki.journal import STATE_DIR
from tubewiki.notes import BOM, Note, parse_note

INDEX_FILE = "index.sqlite"
Split = tuple[str, str]  # (hash of the front matter text and format, body)
Stamp = str  # a file's size, mtime, ctime and inode: it changes whenever the file does
_SEEN: dict[str, tuple[Stamp, str, Split | None]] = {}
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS front_matter (sha TEXT PRIMARY KEY, meta TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, "
    "meta TEXT NOT NULL)",
)


class FrontMatterIndex:
    """The vault's cached front matter: read once per load, changes written at `save`."""

    def __init__(self, vault: Path) -> None:
        self._path = vault / STATE_DIR / INDEX_FILE
        self._db: sqlite3.Connection | None = None
        self._stamped: dict[str, tuple[Stamp, str]] = {}  # path -> (stamp, meta), as saved
        self._decoded: dict[str, object] = {}  # path -> its saved meta, decoded
        self._new: dict[str, str] = {}  # front matter parsed by this load: sha -> meta
        self._now: dict[str, tuple[Stamp, str]] = {}  # what this load found cacheable
        if self._path.is_file():
            with contextlib.suppress(sqlite3.Error):
                self._db = _connect(self._path)
                rows = self._db.execute(
                    "SELECT path, stamp, meta FROM notes "
                    "WHERE json_valid(meta) AND json_type(meta) = 'object'"
                )  # a damaged row is left out: its note is read again, as if new
                self._stamped = {path: (stamp, meta) for path, stamp, meta in rows}
                self._decoded = _decode_all({p: meta for p, (_, meta) in self._stamped.items()})

    def unchanged(self, path: str, stamp: Stamp) -> dict[str, Any] | None:
        """The front matter of a note whose file has not changed since it was indexed."""
        known = self._stamped.get(path)
        if known is None or known[0] != stamp:
            return None
        meta = self._decoded.get(path)
        if not isinstance(meta, dict):  # damaged: the note is read again, as if new
            return None
        self._now[path] = known
        return meta

    def parse(self, path: str, text: str, split: Split | None, stamp: Stamp = "") -> Note:
        """`parse_note(path, text)`, with the YAML parse skipped when it is cached.

        `split` is `read_note`'s split of `text`, `stamp` the stat it was read at."""
        if split is None:
            return parse_note(path, text)
        key, body = split
        cached = self._new.get(key) or self._cached(key)
        if cached is not None:
            note = Note(path=path, meta=json.loads(cached), body=body)
        else:
            note = parse_note(path, text)
            cached = _exact_json(note.meta)
            if cached is None or note.body != body:
                return note
            self._new[key] = cached
        if stamp:
            self._now[path] = (stamp, cached)
        return note

    def _cached(self, key: str) -> str | None:
        if self._db is None:
            return None
        with contextlib.suppress(sqlite3.Error):
            row = self._db.execute("SELECT meta FROM front_matter WHERE sha = ?", (key,)).fetchone()
            return str(row[0]) if row else None
        return None

    def save(self) -> None:
        """Record what this load found; a vault without a state folder gets no index."""
        stale = self._stamped.keys() - self._now.keys()
        fresh = [(p, *v) for p, v in self._now.items() if self._stamped.get(p) != v]
        if (self._new or stale or fresh) and self._path.parent.is_dir():
            with contextlib.suppress(sqlite3.Error):
                db = self._db or _connect(self._path)
                with db:
                    db.executemany(
                        "INSERT OR IGNORE INTO front_matter VALUES (?, ?)", self._new.items()
                    )
                    db.executemany("DELETE FROM notes WHERE path = ?", [(p,) for p in stale])
                    db.executemany("INSERT OR REPLACE INTO notes VALUES (?, ?, ?)", fresh)
        if self._db is not None:
            self._db.close()
        self._db = None


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
    db = sqlite3.connect(path, timeout=30)
    for statement in _SCHEMA:
        db.execute(statement)
    return db


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


def _decode_all(texts: dict[str, str]) -> dict[str, object]:
    """Each JSON text decoded, in one call of json's C decoder for the lot (at 10,000
    notes, a call each was a tenth of a second). SQLite's `json_valid` vouched for each
    text as one JSON value, so the list holds one value per text; should Python's
    decoder still refuse one, each is decoded alone."""
    try:
        values = json.loads("[" + ",".join(texts.values()) + "]")
        if len(values) == len(texts):
            return dict(zip(texts, values, strict=True))
    except ValueError:
        pass
    decoded: dict[str, object] = {}
    for path, text in texts.items():
        with contextlib.suppress(ValueError):
            decoded[path] = json.loads(text)
    return decoded


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
