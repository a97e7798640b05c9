"""Knowing, before any spaCy work, that re-ingesting a video would change nothing.

An ingest's output is a function of three things: the video's transcript and
metadata (`Source.transcript_hash`), tubewiki's code, templates and spaCy model,
and the vault (every note and the state in `.tubewiki/`). Re-ingesting is
idempotent, so once a single-video ingest has committed, a second one with the
same three inputs writes the same bytes. After such a run we record a
fingerprint of all three; a later ingest of that video whose fingerprints all
match is skipped.

The vault's fingerprint is taken from `stat` (size, mtime, ctime, inode) of
every Markdown file the vault loads and every state file that can feed a run,
so any edit, rename, crash leftover or other run breaks the match. Anything in
doubt is simply never recorded: forced runs, runs with conflicts, batch runs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from tubewiki import note_index, said
from tubewiki.cache import Source
from tubewiki.journal import CHANGES_FILE, LOCK_FILE, OWNER_FILE, STATE_DIR, TXN_DIR, state_dir
from tubewiki.ledger import LEDGER_FILE
from tubewiki.nlp import model_name
from tubewiki.note_index import Stamp, stamp_of
from tubewiki.shares import SHARES_DIR
from tubewiki.vault import note_stamps

SETTLED_DIR = "settled"
# State that never changes what an ingest writes: the run history, the lock,
# these records themselves, and caches derived from the notes and transcripts
# (the note index, the index of what videos say, the parse cache), and the videos
# a backfill's workers share out.
IGNORED_STATE = (
    CHANGES_FILE,
    LEDGER_FILE,
    LOCK_FILE,
    OWNER_FILE,
    SETTLED_DIR,
    TXN_DIR,
    note_index.INDEX_FILE,
    said.INDEX_FILE,
    "parsed",
    SHARES_DIR,
)
# Libraries whose upgrade can change what an ingest writes, besides tubewiki itself.
OUTPUT_LIBRARIES = (
    "spacy", "pyyaml", "python-frontmatter", "jinja2", "rapidfuzz", "wordfreq", "numpy",
)  # fmt: skip
_PACKAGE = Path(__file__).resolve().parent
_CODE_DIRS = (_PACKAGE, _PACKAGE.parent / "templates")  # the package holds _templates


def code_fingerprint() -> str:
    """`_code_fingerprint` of the configured spaCy model."""
    return _code_fingerprint(model_name())


@cache
def _code_fingerprint(model: str) -> str:
    """tubewiki's source and templates, its output libraries and the spaCy model, hashed."""
    digest = hashlib.sha256()
    for folder in _CODE_DIRS:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file() and path.suffix not in {".pyc", ".pyo"}:
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    for dist in (*OUTPUT_LIBRARIES, model.replace("_", "-"), model):
        try:
            digest.update(f"{dist}={importlib.metadata.version(dist)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist}=?\0".encode())
    return digest.hexdigest()[:16]


def vault_fingerprint(vault: Path, notes: Mapping[str, Stamp] | None = None) -> str:
    """Every note and every state file an ingest reads, by stat, hashed; `notes` are the
    notes' stamps (path -> stamp) when the caller has them (`vault.stamps_after`)."""
    if notes is None:
        notes = note_stamps(vault) if vault.is_dir() else {}
    ordered = [(rel, notes[rel]) for rel in sorted(notes)]  # in any order they were found
    stamps = [f"{rel}\0{stamp}\0" for rel, stamp in [*ordered, *_state_files(vault)]]
    return hashlib.sha256("".join(stamps).encode()).hexdigest()[:16]


def _state_files(vault: Path) -> list[tuple[str, Stamp]]:
    """The state files that can feed a run, by stat."""
    found = []
    state = vault / STATE_DIR
    for folder, dirs, files in os.walk(state):
        rel_folder = Path(folder).relative_to(vault).as_posix()
        if rel_folder == STATE_DIR:
            dirs[:] = [d for d in dirs if d not in IGNORED_STATE]
            files = [f for f in files if f.split("-")[0] not in IGNORED_STATE]  # and -wal, -shm
        for name in sorted(files):
            found.append((f"{rel_folder}/{name}", stamp_of(os.stat(os.path.join(folder, name)))))
    return found


def _record_path(vault: Path, video_id: str) -> Path:
    return vault / STATE_DIR / SETTLED_DIR / f"{video_id}.json"


def _fingerprints(
    vault: Path, source: Source, notes: Mapping[str, Stamp] | None = None
) -> dict[str, str]:
    return {
        "transcript": source.transcript_hash,
        "code": code_fingerprint(),
        "vault": vault_fingerprint(vault, notes),
    }


def record(
    vault: Path, source: Source, run_id: str, notes: Mapping[str, Stamp] | None = None
) -> None:
    """Remember that `run_id` left the vault as ingesting `source` leaves it.

    Call under the vault lock, right after the run committed, so the vault's
    fingerprint is the run's own result and no other run's; `notes` as in
    `vault_fingerprint`.
    """
    path = state_dir(vault) / SETTLED_DIR / f"{source.meta.video_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"run_id": run_id, **_fingerprints(vault, source, notes)}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def settled_by(vault: Path, source: Source) -> str | None:
    """The run whose result ingesting `source` again would reproduce; None to run it."""
    path = _record_path(vault, source.meta.video_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("run_id"):
        return None
    now = _fingerprints(vault, source)
    return str(data["run_id"]) if all(data.get(k) == v for k, v in now.items()) else None
