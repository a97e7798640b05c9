"""Which of a vault's videos say a name, found without reading what every one says.

A run that teaches the vault a new name extracts again the older videos that
say it (`tubewiki.relink`). What each video says is kept in the state folder
(`said/<id>.json`, squeezed: `extract.known.squeeze`); reading every one and
searching it for every new name grew with the vault, to a tenth of a second
an ingest at 170 videos. `.tubewiki/said.sqlite` keeps the same texts in an
SQLite FTS5 table with the trigram tokenizer, so a name of three characters
or more is looked up in its index; SQLite searches the texts for a shorter one.

The table is derived data, kept beside the journalled state files: each row
carries the stamp of the file it was read from and rows follow the files
before each search, so the answer is the files' own. A video whose file is
missing or damaged is always in the answer (extracted again, to be sure), as
it was when the files were read directly, and if the table cannot be used at
all the files are read.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Collection, Iterable
from pathlib import Path

from tubewiki.journal import state_dir
from tubewiki.note_index import stamp_of

SAID_DIR = "said"
INDEX_FILE = "said.sqlite"
_SHORTEST_INDEXED = 3  # a trigram index finds needles of three characters or more
_PER_QUERY = 64  # needles ORed in one MATCH: FTS5 limits a query's depth
_SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS said USING fts5(text, tokenize='trigram case_sensitive 1')",
    "CREATE TABLE IF NOT EXISTS files "
    "(video TEXT PRIMARY KEY, stamp TEXT NOT NULL, id INTEGER NOT NULL UNIQUE)",
)


def videos_saying(vault: Path, videos: Iterable[str], needles: Collection[str]) -> set[str]:
    """The videos whose text contains one of `needles`: names squeezed as the texts are
    (`extract.known.squeeze`), so case and spacing do not matter."""
    needles = set(needles) - {""}
    asked = set(videos)
    if not needles or not asked:
        return set()
    state = state_dir(vault)
    try:
        with contextlib.closing(sqlite3.connect(state / INDEX_FILE, timeout=30)) as db:
            for statement in _SCHEMA:
                db.execute(statement)
            unknown = _follow_files(db, state / SAID_DIR, asked)
            return unknown | (_matching(db, needles) & asked)
    except sqlite3.Error:  # unusable: the files say the same, more slowly
        return _scanned(state / SAID_DIR, asked, needles)


def _follow_files(db: sqlite3.Connection, folder: Path, asked: set[str]) -> set[str]:
    """Index each asked video's text as its file now has it; the videos whose file is
    missing or damaged, which are left out of the index."""
    kept = {video: stamp for video, stamp in db.execute("SELECT video, stamp FROM files")}
    unknown: set[str] = set()
    with db:
        for video in sorted(kept.keys() - asked):  # a video gone from the vault goes here
            if not os.path.exists(os.path.join(folder, f"{video}.json")):
                _forget(db, video)
        for video in sorted(asked):
            path = os.path.join(folder, f"{video}.json")
            try:
                stamp = stamp_of(os.stat(path))
            except OSError:
                stamp = None
            if stamp is not None and kept.get(video) == stamp:
                continue
            _forget(db, video)
            said = _read(path) if stamp is not None else None
            if said is None:
                unknown.add(video)
                continue
            row = db.execute("INSERT INTO said (text) VALUES (?)", (said,)).lastrowid
            db.execute("INSERT INTO files VALUES (?, ?, ?)", (video, stamp, row))
    return unknown


def _forget(db: sqlite3.Connection, video: str) -> None:
    db.execute("DELETE FROM said WHERE rowid IN (SELECT id FROM files WHERE video = ?)", (video,))
    db.execute("DELETE FROM files WHERE video = ?", (video,))


def _matching(db: sqlite3.Connection, needles: set[str]) -> set[str]:
    """The indexed videos whose text contains one of `needles` (squeezed)."""
    indexed = sorted(n for n in needles if len(n) >= _SHORTEST_INDEXED)
    found: set[str] = set()
    join = "SELECT files.video FROM said JOIN files ON files.id = said.rowid WHERE "
    for start in range(0, len(indexed), _PER_QUERY):
        phrases = " OR ".join(_phrase(n) for n in indexed[start : start + _PER_QUERY])
        found.update(v for (v,) in db.execute(join + "said MATCH ?", (phrases,)))
    for needle in sorted(needles.difference(indexed)):
        found.update(v for (v,) in db.execute(join + "instr(said.text, ?) > 0", (needle,)))
    return found


def _phrase(needle: str) -> str:
    """An FTS5 string: the needle's characters in order, whatever they are."""
    return '"' + needle.replace('"', '""') + '"'


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as file:
            said = json.loads(file.read())
    except (OSError, ValueError):
        return None
    return said if isinstance(said, str) else None


def _scanned(folder: Path, asked: set[str], needles: set[str]) -> set[str]:
    """`videos_saying` from the files alone."""
    found = set()
    for video in asked:
        said = _read(os.path.join(folder, f"{video}.json"))
        if said is None or any(n in said for n in needles):
            found.add(video)
    return found
