"""`tubewiki doctor`: check a vault's notes and state files, say how to repair them.

The notes are the truth; the state folder holds what later runs rely on: the
ledger (history and video rows), the cached transcripts (for `rebuild`) and
the names each video taught the vault. Every command reports a damaged state
file in one line and stops rather than silently replacing it; this module
finds every such problem at once and, with `repair=True`, fixes what can be
fixed without guessing: it finishes an interrupted write, moves damaged
files aside (never deletes them), starts a new ledger whose video rows are
derived from the notes and the cache, and derives missing learned names
from the entity notes' sections.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tubewiki import cache, journal
from tubewiki.errors import TubewikiError
from tubewiki.journal import STATE_DIR
from tubewiki.ledger import LEDGER_FILE, Ledger
from tubewiki.vault import Vault


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing doctor looked at: `ok`, or a problem with the fix (done or to do)."""

    subject: str
    ok: bool
    detail: str


def check(vault: Path, *, repair: bool = False) -> list[Finding]:
    """Every finding, in a fixed order; with `repair`, fix first (under the vault lock)."""
    journal.state_dir(vault)  # a vault path that is a file is a VaultError here
    if not repair:
        return _findings(vault, [])
    with journal.vault_lock(vault):
        done = _repair(vault)
        return _findings(vault, done)


def _findings(vault: Path, repaired: list[Finding]) -> list[Finding]:
    found = list(repaired)
    found += _state_folders(vault)
    found.append(_pending_writes(vault))
    found.append(_ledger(vault))
    found += _cached(vault)
    found.append(_notes(vault))
    return found


def _state_folders(vault: Path) -> list[Finding]:
    found = []
    for name in (journal.TXN_DIR, cache.CACHE_DIR):
        path = vault / STATE_DIR / name
        if path.exists() and not path.is_dir():
            found.append(
                Finding(
                    str(path),
                    False,
                    "is a file where tubewiki needs a folder; "
                    "`tubewiki doctor --repair` moves it aside",
                )
            )
    return found


def _pending_writes(vault: Path) -> Finding:
    root = vault / STATE_DIR / journal.TXN_DIR
    pending = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    if pending:
        return Finding(
            str(root),
            False,
            f"{len(pending)} interrupted write(s); any writing command or "
            "`tubewiki doctor --repair` finishes or undoes them",
        )
    return Finding(str(root), True, "no interrupted write")


def _ledger(vault: Path) -> Finding:
    path = vault / STATE_DIR / LEDGER_FILE
    try:
        with Ledger.read(vault) as ledger:
            runs = ledger.runs(-1)
            for run in runs[:50]:
                ledger.changes(run.run_id)  # rebuilds recent texts: checks their hashes
            videos = len(ledger.videos())
        if path.exists():
            db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
            try:
                verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                db.close()
            if verdict != "ok":
                raise sqlite3.DatabaseError(verdict)
    except (TubewikiError, sqlite3.Error) as exc:
        return Finding(
            str(path),
            False,
            f"{exc}; restore it from a backup, or `tubewiki doctor --repair` "
            "moves it aside and starts a new one (history is lost, videos are kept)",
        )
    return Finding(str(path), True, f"{len(runs)} runs, {videos} videos")


def _cached(vault: Path) -> list[Finding]:
    found = []
    ids = cache.cached_ids(vault)
    for video_id in ids:
        try:
            cache.load(vault, video_id)
        except TubewikiError as exc:
            found.append(
                Finding(
                    str(cache.cache_path(vault, video_id)),
                    False,
                    f"{exc}; `tubewiki doctor --repair` moves it aside",
                )
            )
    folder = vault / STATE_DIR / cache.CACHE_DIR
    found.append(Finding(str(folder), True, f"{len(ids) - len(found)} cached transcripts"))
    return found


def _notes(vault: Path) -> Finding:
    try:
        loaded = Vault.load(vault)
    except TubewikiError as exc:
        return Finding(str(vault), False, str(exc))
    return Finding(str(vault), True, f"{len(loaded.notes)} notes readable")


# --- repairs -------------------------------------------------------------------------


def _repair(vault: Path) -> list[Finding]:
    done: list[Finding] = []
    for name in (journal.TXN_DIR, cache.CACHE_DIR):
        path = vault / STATE_DIR / name
        if path.exists() and not path.is_dir():
            done.append(_aside(path))
    if _ledger(vault).ok is False:
        done += _new_ledger(vault)
    from tubewiki.pipeline import _recover  # finishing a write settles its run in the ledger

    done += [Finding("interrupted write", True, f"repaired: {r}") for r in _recover(vault)]
    for video_id in cache.cached_ids(vault):
        try:
            cache.load(vault, video_id)
        except TubewikiError:
            done.append(_aside(cache.cache_path(vault, video_id)))
    return done


def _aside(path: Path) -> Finding:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    return Finding(str(path), True, f"repaired: moved aside to {target.name}")


def _new_ledger(vault: Path) -> list[Finding]:
    """Move the damaged ledger aside; a new one lists every video the notes hold."""
    path = vault / STATE_DIR / LEDGER_FILE
    done = []
    for extra in ("", "-journal", "-wal", "-shm"):
        old = path.with_name(path.name + extra)
        if old.exists():
            done.append(_aside(old))
    loaded = Vault.load(vault)
    with Ledger(path) as ledger:
        for video_id in cache.cached_ids(vault):
            note = loaded.video_note(video_id)
            source = _load_or_none(vault, video_id)
            if note is None or source is None:
                continue
            ledger.record_attempt(
                video_id,
                status="ingested",
                title=source.meta.title,
                channel=source.meta.channel,
                transcript_hash=source.transcript_hash,
                notes=tuple(sorted(_own_notes(loaded, video_id))),
            )
        videos = len(ledger.videos())
    done.append(Finding(str(path), True, f"repaired: a new ledger lists {videos} videos"))
    return done


def _own_notes(loaded: Vault, video_id: str) -> set[str]:
    return {path for path, note in loaded.notes.items() if video_id in note.body or
            note.meta.get("videoId") == video_id}  # fmt: skip


def _load_or_none(vault: Path, video_id: str) -> cache.Source | None:
    try:
        return cache.load(vault, video_id)
    except TubewikiError:
        return None
