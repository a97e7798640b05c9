"""The vault read ahead of the lock, in a thread, while spaCy parses the video.

A run loads the vault under the lock: a stat of every note and the note
index's rows, 45 ms at 10,000 notes, after a parse that leaves a core idle
while it waits on its own threads and the system waits on nothing. Started
before the parse, the same reads overlap it (a stat and SQLite let go of the
interpreter lock). The run takes them under the lock only if no notes moved
in between (`journal.changes_token`, renewed around every commit, undo and
recovery) and it recovered nothing itself; else it reads again. A hand edit
in between is what it is under the lock too: an edit after the read, which
the commit checks each note it writes against.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tubewiki.journal import changes_token
from tubewiki.note_index import FrontMatterIndex, Stamp
from tubewiki.vault import note_stamps

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ahead:
    """What `Vault.load` reads first: every note's stamp and the note index."""

    token: str  # `changes_token` before the reads
    stamps: dict[str, Stamp]
    index: FrontMatterIndex


def read(vault: Path) -> Ahead:
    token = changes_token(vault)  # first: a change after it renews it
    return Ahead(token, note_stamps(vault) if vault.is_dir() else {}, FrontMatterIndex(vault))


_reading: dict[Path, Future[Ahead]] = {}


def start(vault: Path) -> None:
    """Begin reading `vault` in a thread, for this process's next `take`."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tubewiki-ahead")
    _reading[vault.absolute()] = pool.submit(read, vault)
    pool.shutdown(wait=False)  # its one thread ends with the reads


def take(vault: Path) -> Ahead | None:
    """The reads `start` began, if they are still true of the vault; call under the lock."""
    reading = _reading.pop(vault.absolute(), None)
    if reading is None:
        return None
    try:
        ahead = reading.result()
    except Exception:  # the run reads again under the lock, and meets the error there
        log.debug("reading %s ahead failed", vault, exc_info=True)
        return None
    return ahead if ahead.token == changes_token(vault) else None
