"""Every error a user can cause, each with a one-line message and an exit code.

The CLI prints `str(error)` and exits with `error.exit_code`; flows turn the same
errors into failed states. `transient` tells the fetch task and the watch flow
whether trying again later can succeed.
"""

from __future__ import annotations


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


class ServerError(TubewikiError):
    """Prefect's server did not start or answer: the flow never ran."""

    exit_code = 11
