"""All-or-nothing multi-file writes to a vault, and the lock that serialises them.

A run changes many notes at once (a video note, its channel index, a dozen
entity notes). `commit` makes that set of changes atomic even under `kill -9`
or a power cut: it stages every new file under `.tubewiki/txn/<id>/`, then
atomically writes a journal listing the operations (the commit point), then
renames the staged files into place and finally removes the transaction
folder. `recover` finishes (rolls forward) a transaction whose journal exists
and discards (rolls back) one whose journal does not, so once it has run the
vault holds exactly the state before or after every commit. Both take a
callback that runs before the transaction is dropped, so the caller's ledger
can be settled crash-safely from the `meta` it passed in. Readers that look
before `recover` could see a half-applied commit, so every command that reads
or writes the vault takes `vault_lock` and calls `recover` first, and `commit`
must only be called while holding the lock. Nothing in the state folder ends
in `.md`, so note checkers that scan the vault never see staged files.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

import filelock

from tubewiki.errors import ConfigError, DiskError, VaultError, VaultLockedError

log = logging.getLogger(__name__)

STATE_DIR = ".tubewiki"
TXN_DIR = "txn"
LOCK_FILE = "lock"
JOURNAL_FILE = "journal.json"
META_FILE = "meta.json"
FILES_DIR = "files"
DELETED_DIR = "deleted"
OLD_DIR = "old"  # hard links to the files a commit replaced, so it can be undone
# The state a commit may write with the notes.
STATE_FOLDERS = ("transcripts", "learned", "said", "lexicon")
JOURNAL_VERSION = 1
TMP_SUFFIX = ".tubewiki-tmp"
DONE_SUFFIX = ".done"
# A token written anew before and after notes are moved (`_apply`, `_undo`): a read of
# the vault made outside the lock is as good as one made under it while it is unchanged.
CHANGES_FILE = "changes"

RecoveryAction = Literal["rolled_forward", "rolled_back"]


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    """What `recover` did with one leftover transaction; `meta` is what `commit` was given."""

    txn_id: str
    action: RecoveryAction
    meta: Mapping[str, object] = field(default_factory=dict)
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Op:
    path: str
    slot: str
    delete: bool
    state: bool = False  # `path` is inside the state folder (a cached transcript, learned names)


def state_dir(vault: Path) -> Path:
    """Return `vault/.tubewiki`, creating it (and the vault) if needed."""
    _check_vault(vault)
    path = vault / STATE_DIR
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise VaultError(
            f"'{path}' is a file, but tubewiki keeps its state in that folder; move the file away"
        ) from None
    except OSError as exc:
        raise VaultError(f"cannot create tubewiki's state folder '{path}': {exc.strerror}") from exc
    return path


LOCK_TIMEOUT_ENV = "TUBEWIKI_LOCK_TIMEOUT"  # what --lock-timeout sets
DEFAULT_LOCK_TIMEOUT = 600.0
OWNER_FILE = "lock.owner.json"

# Told at once when a command has to wait for the lock, and for whom; the CLI
# prints it, anything else sees a log warning.
WaitNotice = Callable[[str], None]
_wait_notice: list[WaitNotice] = [log.warning]


def on_lock_wait(notice: WaitNotice) -> None:
    """Send "waiting for the vault lock held by ..." to `notice` from now on."""
    _wait_notice[0] = notice


def lock_timeout() -> float:
    """Seconds to wait for the vault lock: TUBEWIKI_LOCK_TIMEOUT, or 600."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ConfigError(
            f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds; use e.g. 600, or 0 "
            "to give up at once"
        )
    return value


@contextmanager
def vault_lock(vault: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the vault's exclusive lock; one writer at a time, re-entrant within a thread.

    If another process holds it, say so at once (its pid, command and start
    time, from the owner file the holder writes) and wait up to `timeout`
    seconds (default: `lock_timeout()`).
    """
    wait = lock_timeout() if timeout is None else timeout
    state = state_dir(vault)
    path = state / LOCK_FILE
    # One lock object per path, so a nested lock in the same thread re-enters
    # instead of deadlocking; the timeout goes to acquire() for the same reason.
    lock = filelock.FileLock(str(path), is_singleton=True)
    try:
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            if wait <= 0:
                raise
            _wait_notice[0](
                f"waiting up to {wait:g} s for vault '{vault}', locked by {_owner(state)}"
            )
            lock.acquire(timeout=wait)
    except filelock.Timeout:
        raise VaultLockedError(
            f"vault '{vault}' is locked by {_owner(state)} (waited {wait:g} s); "
            "try again later or raise --lock-timeout"
        ) from None
    outermost = lock.lock_counter == 1
    if outermost:
        _claim(state)
    try:
        yield
    finally:
        if outermost:
            (state / OWNER_FILE).unlink(missing_ok=True)
        lock.release()


def _claim(state: Path) -> None:
    """Say who holds the lock, for anyone who has to wait; best effort."""
    owner = {
        "pid": os.getpid(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:3]]) if sys.argv else "",
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    try:
        (state / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    except OSError:
        log.debug("could not write the lock's owner file in %s", state)


def _owner(state: Path) -> str:
    try:
        owner = json.loads((state / OWNER_FILE).read_text(encoding="utf-8"))
        return f"pid {int(owner['pid'])} ({owner['command']}, since {owner['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another tubewiki run"


def commit(
    vault: Path,
    writes: Mapping[str, str | None],
    *,
    state: Mapping[str, bytes] | None = None,
    meta: Mapping[str, object] | None = None,
    on_applied: Callable[[], None] | None = None,
) -> None:
    """Write (text) or delete (None) every path in `writes`, all or nothing.

    Paths are vault-relative POSIX paths; texts are written as UTF-8 bytes
    exactly as given. `state` adds files under the state folder (a cached
    transcript, a video's learned names, keyed like `transcripts/ID.json`)
    to the same transaction, so the bookkeeping later runs rely on lands
    exactly when the notes do. `meta` must be JSON-serialisable; `recover`
    hands it back if this commit is interrupted. `on_applied` runs once every
    change is in place but before the journal is dropped (e.g. to mark the
    run "ok" in the ledger), so a crash can never lose both. If the disk
    refuses a change after the commit point, or `on_applied` fails, the
    changes already made are undone before this raises, so the vault is left
    as it was. Call only under `vault_lock`.
    """
    plan = _plan(vault, writes, state or {})
    if not plan:
        return
    meta_dict = dict(meta or {})
    meta_json = json.dumps(meta_dict, ensure_ascii=False, sort_keys=True)
    txn = _new_txn(vault)
    ops: list[_Op] = []
    try:
        _write_file(txn / META_FILE, meta_json.encode("utf-8"))
        files = txn / FILES_DIR
        files.mkdir()
        for index, (rel, data, in_state) in enumerate(plan):
            op = _Op(path=rel, slot=f"{index:06d}", delete=data is None, state=in_state)
            if data is not None:
                staged = files / op.slot
                _write_file(staged, data)
                _copy_mode(_target(vault, op), staged)
            ops.append(op)
        _fsync_dir(files)
        journal = {
            "version": JOURNAL_VERSION,
            "txn": txn.name,
            "meta": meta_dict,
            "ops": [
                {
                    "op": "delete" if o.delete else "write",
                    "path": o.path,
                    "slot": o.slot,
                    **({"state": True} if o.state else {}),
                }
                for o in ops
            ],
        }
        tmp = txn / (JOURNAL_FILE + ".tmp")
        _write_file(tmp, json.dumps(journal, ensure_ascii=False, indent=1).encode("utf-8"))
        os.replace(tmp, txn / JOURNAL_FILE)  # the commit point
        _fsync_dir(txn)
    except BaseException as exc:
        shutil.rmtree(txn, ignore_errors=True)
        if isinstance(exc, OSError):
            raise DiskError.from_os_error(exc, f"staging notes in '{vault}'") from exc
        raise
    log.debug("committed txn %s with %d operations", txn.name, len(ops))
    try:
        _apply(vault, txn, ops)
    except OSError as exc:
        _undo(vault, txn, ops, exc)
        raise DiskError.from_os_error(exc, f"writing to vault '{vault}' (undone)") from exc
    if on_applied is not None:
        try:
            on_applied()
        except Exception as exc:  # the ledger could not record it: take the notes back too
            _undo(vault, txn, ops, exc)
            raise
    _remove_txn(txn)


def _undo(vault: Path, txn: Path, ops: list[_Op], cause: Exception) -> None:
    """Put back what `_apply` changed before `cause` stopped it, then drop the journal.

    Each applied file goes back to its staged slot and the replaced one comes
    back from its hard link, so a crash in here still leaves a journal that
    rolls forward consistently. If undoing fails too, the journal stays and
    the next command finishes the write.
    """
    try:
        for op in reversed(ops):
            target = _target(vault, op)
            old = txn / OLD_DIR / op.slot
            gone = txn / DELETED_DIR / op.slot
            if op.delete:
                if gone.exists() or gone.is_symlink():
                    os.replace(gone, target)
                continue
            staged = txn / FILES_DIR / op.slot
            if staged.exists():
                continue  # never applied
            os.replace(target, staged)
            if old.exists():
                os.replace(old, target)
        os.replace(txn / JOURNAL_FILE, txn / (JOURNAL_FILE + ".undone"))  # now rolls back
        _fsync_dir(txn)
        _changing(vault)
    except OSError as exc:
        raise VaultError(
            f"could not finish writing to vault '{vault}' ({cause}) nor "
            f"undo it ({exc.strerror or exc}); fix that and run any tubewiki command to "
            f"complete the write (journal in {txn})"
        ) from exc
    shutil.rmtree(txn, ignore_errors=True)


def recover(
    vault: Path, on_recovered: Callable[[RecoveryResult], None] | None = None
) -> list[RecoveryResult]:
    """Finish or undo every transaction an earlier run left behind; call under the lock.

    `on_recovered` sees each result before its transaction is dropped (e.g. to
    settle the run named in its meta in the ledger); if it raises, the
    transaction stays and the next `recover` reports it again.
    """
    root = state_dir(vault) / TXN_DIR
    _not_a_file(root)
    if not root.is_dir():
        return []
    results: list[RecoveryResult] = []
    for txn in sorted(root.iterdir()):
        if not txn.is_dir():
            txn.unlink(missing_ok=True)
            continue
        if txn.name.endswith(DONE_SUFFIX):  # applied and acknowledged; cleanup was cut short
            shutil.rmtree(txn, ignore_errors=True)
            continue
        journal_path = txn / JOURNAL_FILE
        if journal_path.exists():
            meta, ops = _load_journal(journal_path)
            try:
                _apply(vault, txn, ops)
            except OSError as exc:
                raise VaultError(
                    f"cannot finish an interrupted write to vault '{vault}' ({exc}); "
                    f"fix that and run tubewiki again (journal in {txn})"
                ) from exc
            result = RecoveryResult(txn.name, "rolled_forward", meta, tuple(o.path for o in ops))
        else:
            result = RecoveryResult(txn.name, "rolled_back", _load_meta(txn))
        if on_recovered is not None:
            on_recovered(result)
        _remove_txn(txn)
        log.warning("recovered interrupted write %s: %s", txn.name, result.action)
        results.append(result)
    return results


def _check_vault(vault: Path) -> None:
    if vault.exists() and not vault.is_dir():
        raise VaultError(
            f"vault path '{vault}' is a file, not a folder; pass a folder with --vault"
        )


def _target(vault: Path, op: _Op) -> Path:
    return vault / STATE_DIR / op.path if op.state else vault / op.path


def _check_state_path(rel: object) -> str:
    """A state file a commit may write: `FOLDER/NAME.json` or `FOLDER/NAME.pickle`, FOLDER
    one of `STATE_FOLDERS`."""
    parts = rel.split("/") if isinstance(rel, str) else []
    name, dot, suffix = parts[-1].rpartition(".") if parts else ("", "", "")
    if (
        len(parts) != 2
        or parts[0] not in STATE_FOLDERS
        or not dot
        or suffix not in ("json", "pickle")
        or not name.replace("-", "").replace("_", "").isalnum()
        or not parts[1].isascii()
    ):
        raise VaultError(f"cannot write {rel!r} in the state folder: not a state file")
    return str(rel)


def _check_inside(vault: Path, rel: str) -> None:
    """Refuse to write through a symlink (a file or a folder) that leads out of the vault."""
    root = vault.resolve()
    target = vault / rel
    if not target.parent.resolve().is_relative_to(root) or (
        target.is_symlink() and not target.resolve().is_relative_to(root)
    ):
        raise VaultError(
            f"cannot write '{rel}': a symlink in its path leads out of the vault "
            f"to '{target.resolve()}'; replace the symlink with a folder"
        )


def _check_path(rel: object) -> str:
    """Return `rel` if it is a clean vault-relative POSIX path, else raise VaultError."""
    if not isinstance(rel, str) or not rel:
        raise VaultError(f"cannot write {rel!r} in the vault: not a path")
    reason = ""
    pure = PurePosixPath(rel)
    first = pure.parts[0] if pure.parts else ""
    if "\\" in rel or "\0" in rel:
        reason = "use '/' separators and no NUL characters"
    elif pure.is_absolute() or (len(first) >= 2 and first[1] == ":"):
        reason = "paths must be relative to the vault"
    elif any(part in ("..", ".") for part in rel.split("/")):
        reason = "'.' and '..' are not allowed"
    elif str(pure) != rel:
        reason = "not a normalised path (empty part or trailing '/')"
    elif first.casefold() == STATE_DIR:
        reason = f"'{STATE_DIR}' is tubewiki's own state folder"
    if reason:
        raise VaultError(f"cannot write '{rel}' in the vault: {reason}")
    return rel


def _plan(
    vault: Path, writes: Mapping[str, str | None], state: Mapping[str, bytes]
) -> list[tuple[str, bytes | None, bool]]:
    """Validate paths and encode texts before anything touches the disk."""
    _check_vault(vault)
    plan: list[tuple[str, bytes | None, bool]] = []
    paths = {_check_path(rel) for rel in writes}
    for rel, text in writes.items():
        for parent in PurePosixPath(rel).parents:
            if str(parent) in paths:
                raise VaultError(
                    f"cannot write both '{parent}' and '{rel}': one is inside the other"
                )
            if (vault / parent).exists() and not (vault / parent).is_dir():
                raise VaultError(f"cannot write '{rel}' in the vault: '{parent}' is a file")
        if (vault / rel).is_dir():
            raise VaultError(f"cannot write '{rel}' in the vault: it is a folder")
        if text is not None and not isinstance(text, str):
            raise VaultError(f"cannot write '{rel}' in the vault: its content is not text")
        _check_inside(vault, rel)
        plan.append((rel, None if text is None else text.encode("utf-8"), False))
    for rel, data in state.items():
        _not_a_file(vault / STATE_DIR / _check_state_path(rel).split("/")[0])
        plan.append((rel, bytes(data), True))
    return plan


def _not_a_file(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise VaultError(
            f"'{folder}' is a file, but tubewiki keeps its state in that folder; move the file away"
        )


def _new_txn(vault: Path) -> Path:
    root = state_dir(vault) / TXN_DIR
    _not_a_file(root)
    root.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    while True:
        txn = root / f"{stamp}-{secrets.token_hex(3)}"
        try:
            txn.mkdir()
        except FileExistsError:
            continue
        _fsync_dir(root)
        return txn


def changes_token(vault: Path) -> str:
    """What `CHANGES_FILE` says now ("" before any change): compare it with itself later
    to tell whether any commit, undo or recovery moved notes in between."""
    try:
        return (vault / STATE_DIR / CHANGES_FILE).read_text(encoding="ascii")
    except (OSError, ValueError):
        return ""


def _changing(vault: Path) -> None:
    """A new `CHANGES_FILE` token, before notes move and again once they have."""
    path = vault / STATE_DIR / CHANGES_FILE
    partial = path.with_name(f"{CHANGES_FILE}.{os.getpid()}{TMP_SUFFIX}")
    partial.write_text(secrets.token_hex(16), encoding="ascii")
    os.replace(partial, path)


def _apply(vault: Path, txn: Path, ops: list[_Op]) -> None:
    """Move staged files into place and deleted ones out; idempotent, so safe to repeat.

    A file about to be replaced is first hard-linked into the transaction, so
    `_undo` can put it back.
    """
    _changing(vault)
    try:
        _move_all(vault, txn, ops)
    finally:
        _changing(vault)


def _move_all(vault: Path, txn: Path, ops: list[_Op]) -> None:
    touched: set[Path] = set()
    for op in ops:
        target = _target(vault, op)
        root = vault / STATE_DIR if op.state else vault
        if op.delete:
            if target.exists() or target.is_symlink():
                deleted = txn / DELETED_DIR
                deleted.mkdir(exist_ok=True)
                try:
                    os.replace(target, deleted / op.slot)  # kept until the txn is removed
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        raise
                    target.unlink()
                touched.add(target.parent)
            continue
        staged = txn / FILES_DIR / op.slot
        if not staged.exists():
            continue  # already moved into place before the interruption
        _make_parents(root, target.parent, touched)
        _keep_old(target, txn / OLD_DIR / op.slot)
        _move_into_place(staged, target)
        touched.add(target.parent)
    for folder in sorted(touched):
        _fsync_dir(folder)


def _keep_old(target: Path, old: Path) -> None:
    if not target.is_file() or old.exists():
        return
    old.parent.mkdir(exist_ok=True)
    try:
        os.link(target, old)
    except OSError:  # another file system, or links not supported
        shutil.copy2(target, old)


def _make_parents(vault: Path, folder: Path, touched: set[Path]) -> None:
    missing: list[Path] = []
    while folder != vault and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        touched.add(path.parent)


def _move_into_place(staged: Path, target: Path) -> None:
    try:
        os.replace(staged, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # The target folder is on another filesystem (a mount or symlink in the
        # vault): copy next to it, then rename; repeating this is harmless.
        tmp = target.with_name(f".{target.name}{TMP_SUFFIX}")
        try:
            _write_file(tmp, staged.read_bytes())
            shutil.copymode(staged, tmp)
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        staged.unlink()


def _remove_txn(txn: Path) -> None:
    # Renaming first marks the txn done atomically, so a crash mid-delete can
    # never leave a journal-less folder that `recover` would call rolled back.
    done = txn.with_name(txn.name + DONE_SUFFIX)
    os.replace(txn, done)
    _fsync_dir(txn.parent)
    shutil.rmtree(done, ignore_errors=True)


def _load_journal(path: Path) -> tuple[dict[str, object], list[_Op]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ops = [
            _Op(
                path=_check_state_path(o["path"]) if o.get("state") else _check_path(o["path"]),
                slot=str(o["slot"]),
                delete=o["op"] == "delete",
                state=bool(o.get("state")),
            )
            for o in data["ops"]
        ]
        meta = data.get("meta") or {}
        if not isinstance(meta, dict) or any(
            "/" in o.slot or o.slot in ("", ".", "..") for o in ops
        ):
            raise ValueError("bad meta or slot")
    except (OSError, ValueError, KeyError, TypeError, VaultError) as exc:
        raise VaultError(
            f"cannot read the journal of an interrupted write '{path}' ({exc}); "
            "move that folder away to continue"
        ) from exc
    return meta, ops


def _load_meta(txn: Path) -> dict[str, object]:
    """Best effort: a transaction killed while staging may have no readable meta."""
    try:
        meta = json.loads((txn / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _copy_mode(source: Path, staged: Path) -> None:
    """Keep an updated note's permission bits."""
    try:
        if source.is_file():
            shutil.copymode(source, staged)
    except OSError:
        log.debug("could not copy the mode of %s", source)


def _fsync_dir(path: Path) -> None:
    """Make renames in `path` durable; a no-op where folders cannot be synced."""
    if os.name == "nt":
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
