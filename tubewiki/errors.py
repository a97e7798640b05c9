"""Every error a user can cause, each with a one-line message and an exit code.

The CLI prints `str(error)` and exits with `error.exit_code`; flows turn the same
errors into failed states. `transient` tells the fetch task and the watch flow
whether trying again later can succeed.
"""

from __future__ import annotations

import errno

INTERRUPTED = "interrupted: the vault is unchanged or fully updated, never half-written"
INTERRUPTED_EXIT = 130


def one_line(text: str, limit: int) -> str:
    """`text` on one line and at most `limit` characters, to quote in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class TubewikiError(Exception):
    """Base class: a one-line, user-facing message."""

    exit_code = 1
    transient = False


class InvalidVideoError(TubewikiError):
    exit_code = 2


class TranscriptFileError(TubewikiError):
    exit_code = 3


class EmptyTranscriptError(TubewikiError):
    exit_code = 3


class TranscriptUnavailableError(TubewikiError):
    """Permanent: captions disabled, no transcript in the languages, video gone."""

    exit_code = 4


class RequestBlockedError(TubewikiError):
    """YouTube refused us (IP blocked, 429, bot check). A proxy usually helps."""

    exit_code = 5
    transient = True


class NetworkError(TubewikiError):
    exit_code = 6
    transient = True


class VaultError(TubewikiError):
    exit_code = 7


class VaultLockedError(VaultError):
    transient = True


class NoteError(VaultError):
    """A note on disk that tubewiki cannot parse: named, never overwritten."""


class ModelNotFoundError(TubewikiError):
    exit_code = 8


class ReviewError(TubewikiError):
    """A run cannot be shown or reverted as asked."""

    exit_code = 9


class ConfigError(TubewikiError):
    """A bad setting or watchlist entry."""

    exit_code = 10


class PrefectUnavailableError(TubewikiError):
    """Prefect's API (a configured server, or the temporary one) could not be reached."""

    exit_code = 11
    transient = True


class ServerError(PrefectUnavailableError):
    """Prefect's server did not start or answer: the flow never ran."""

    transient = False


class DiskError(TubewikiError):
    """The operating system refused a read or write: disk full, read-only, no permission."""

    exit_code = 12

    @classmethod
    def from_os_error(cls, exc: OSError, what: str = "") -> DiskError:
        """One line naming the file, the reason and what to do about it."""
        where = what or (f"'{exc.filename}'" if exc.filename else "the vault")
        reason = exc.strerror or one_line(str(exc), 120) or type(exc).__name__
        return cls(f"the disk refused {where}: {reason}; {_OS_ADVICE.get(exc.errno or 0, _ADVICE)}")


_ADVICE = "fix that and run the command again (the vault is unchanged or fully updated)"
_OS_ADVICE = {
    errno.ENOSPC: "free some disk space and run the command again (the vault is unchanged)",
    errno.EDQUOT: "free some space within your quota and run again (the vault is unchanged)",
    errno.EROFS: "the vault is on a read-only file system; mount it read-write or copy it",
    errno.EACCES: "check the permissions of the vault and its .tubewiki folder",
    errno.EPERM: "the file is protected (immutable or owned by another user); lift that",
    errno.EEXIST: "a file stands where tubewiki needs a folder; move it away",
    errno.ENOTDIR: "a file stands where tubewiki needs a folder; move it away",
}


class StateError(VaultError):
    """A state file (the ledger, the cache, learned names) is missing, empty or damaged."""

    exit_code = 13
