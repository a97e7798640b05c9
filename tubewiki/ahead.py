"""The vault read ahead of the lock, in a thread, while spaCy parses the video.

A run loads the vault under the lock: a stat of every note and the note
index's rows, 45 ms at 10,000 notes. Started before the parse, the same reads
overlap it, as the stats and SQLite let go of the interpreter lock. The run
takes them under the lock only if no notes moved in between
(`journal.changes_token`, renewed before and after every commit, undo and
recovery moves notes); else it reads again. A note edited by hand in between
is met as an edit during the run is: when the run reads its body, the file
must still match the stamp it was loaded with, or the run stops with a
one-line error before anything is written.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tubewiki.journal import changes_token
from tubewiki.note_index import FrontMatterIndex, Stamp
from tubewiki.vault import first_reads

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ahead:
    """What `Vault.load` reads first: every note's stamp and the note index."""

    token: str  # `changes_token` before the reads
    stamps: dict[str, Stamp]
    index: FrontMatterIndex


def read(vault: Path) -> Ahead:
    token = changes_token(vault)  # first: a change after it renews it
    return Ahead(token, *first_reads(vault))


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
