"""Videos shared out among workers by claiming, so every worker stays busy to the end.

A backfill used to hand each worker a fixed batch of about equal length. But
spaCy's speed per character varies from video to video, and this machine's
from minute to minute, so one worker often waited 0.5-2 s for the other
before the run could go on. Instead, every worker now reads the same list,
longest video first, and takes the next video no worker has taken yet. It
claims a video by creating a file named after it, which only one process
can do (`O_EXCL`). That is greedy longest-first scheduling, at the cost of
one task run per worker rather than one per video.

The list and the claims live in the vault's state folder, which every worker
already shares: each one writes its parses there. A folder is named after the
process that laid it out and its machine, so the next run on that machine
can remove the folders of runs that were killed before they cleared theirs.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import socket
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from tubewiki.cache import Source
from tubewiki.journal import state_dir

SHARES_DIR = "shares"
_SOURCES = "sources.pickle"
_TAKEN = "taken"


def length(source: Source) -> int:
    """How long a video's study takes, near enough: the characters said in it."""
    return sum(len(snippet.text) for snippet in source.transcript.snippets)


def lay_out(vault: Path, sources: Sequence[Source]) -> Path:
    """A new folder holding `sources`, longest first, for workers to `take`.

    The workers get this path, not the sources: Prefect would otherwise
    walk every snippet of every video once per worker, looking for futures.
    """
    parent = state_dir(vault) / SHARES_DIR
    _clear_orphans(parent)
    folder = parent / f"{uuid.uuid4().hex}-{os.getpid()}-{socket.gethostname()}"
    (folder / _TAKEN).mkdir(parents=True)
    ordered = sorted(sources, key=lambda s: (-length(s), s.meta.video_id))
    (folder / _SOURCES).write_bytes(pickle.dumps(ordered, protocol=pickle.HIGHEST_PROTOCOL))
    return folder


def take(folder: Path) -> Iterator[Source]:
    """Each video of `folder` that this process claims before any other, one at a time:
    a video is claimed only when the caller asks for the next one."""
    sources: list[Source] = pickle.loads((folder / _SOURCES).read_bytes())
    for source in sources:
        try:
            claim = os.open(
                folder / _TAKEN / source.meta.video_id, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600
            )
        except FileExistsError:
            continue
        os.close(claim)
        yield source


def clear(folder: Path) -> None:
    """Remove a laid-out folder once every worker's share is in, and the shares
    folder too when no other run is using it."""
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # not empty: another run's share is in it
        folder.parent.rmdir()


def _clear_orphans(parent: Path) -> None:
    """Remove the folders that runs on this machine laid out and never cleared because
    their process is gone (killed mid-study); a live run's folder, or another
    machine's, is left alone."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    host = socket.gethostname()
    for name in names:
        parts = name.split("-", 2)  # uuid, pid, host
        mine = len(parts) == 3 and parts[2] == host and parts[1].isdigit()
        if mine and not _alive(int(parts[1])):
            shutil.rmtree(parent / name, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive all the same
        pass
    return True
