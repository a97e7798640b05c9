"""Parsed front matter by content, so a run parses only the notes whose front matter changed.

Parsing YAML is most of loading a vault (about 1.2 s per load at 10,000 notes,
and a run loads it twice: to learn, then to write). Each note's front matter
is cached as JSON under the hash of its own YAML text, in
`.tubewiki/index.sqlite`: a note whose front matter text is unchanged is never
parsed again, whatever its mtime, and a changed one is parsed because its hash
is new. Only front matter that JSON gives back exactly is cached (a YAML date,
for one, is parsed every time); the body is split off as python-frontmatter
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
_SEEN: dict[str, tuple[tuple[int, int, int, int], str, Split | None]] = {}
_SCHEMA = "CREATE TABLE IF NOT EXISTS front_matter (sha TEXT PRIMARY KEY, meta TEXT NOT NULL)"


class FrontMatterIndex:
    """The vault's cached front matter: read once per load, new entries written at `save`."""

    def __init__(self, vault: Path) -> None:
        self._path = vault / STATE_DIR / INDEX_FILE
        self._known: dict[str, str] = {}
        self._new: dict[str, str] = {}
        if self._path.is_file():
            with contextlib.suppress(sqlite3.Error), _connect(self._path) as db:
                self._known = dict(db.execute("SELECT sha, meta FROM front_matter"))

    def parse(self, path: str, text: str, split: Split | None) -> Note:
        """`parse_note(path, text)`, with the YAML parse skipped when it is cached.

        `split` is `read_note`'s split of `text`."""
        if split is None:
            return parse_note(path, text)
        key, body = split
        cached = self._known.get(key) or self._new.get(key)
        if cached is not None:
            return Note(path=path, meta=json.loads(cached), body=body)
        note = parse_note(path, text)
        encoded = _exact_json(note.meta)
        if encoded is not None and note.body == body:
            self._new[key] = encoded
        return note

    def save(self) -> None:
        """Add what this load parsed; a vault without a state folder gets none."""
        if not self._new or not self._path.parent.is_dir():
            return
        with contextlib.suppress(sqlite3.Error), _connect(self._path) as db:
            db.executemany("INSERT OR IGNORE INTO front_matter VALUES (?, ?)", self._new.items())
        self._known.update(self._new)
        self._new.clear()


def read_note(path: str, stat: os.stat_result) -> tuple[str, Split | None]:
    """A note's text and front matter split, read again only if its stat changed.

    A run loads the vault twice (to learn, then under the lock to write); the
    second load re-reads only the notes that changed in between. `stat` must
    be taken before the read, so a note changed during the read is read again.
    Plain strings, not Paths: this runs for every note, twice a run.
    """
    stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    seen = _SEEN.get(path)
    if seen is not None and seen[0] == stamp:
        return seen[1], seen[2]
    with open(path, "rb") as file:  # exact text: a BOM and CRLF line ends are kept
        text = file.read().decode("utf-8")
    split = _split(text)
    _SEEN[path] = (stamp, text, split)
    return text, split


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute(_SCHEMA)
    return db


def _split(text: str) -> Split | None:
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
