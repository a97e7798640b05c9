"""Bounds on a transcript, checked while it is read and before anything is stored.

A start of 1e308 seconds overflows the anchor arithmetic, a start past 100
hours writes anchors like `277777777:46:49` that no note may hold, one 20 MB
snippet exceeds spaCy's `max_length`, and a million snippets take hours. So
every transcript, from a file, from YouTube or from the cache, passes
`check_snippets` first and is refused with one line if it is out of bounds.
Anchors then never exceed 99:59:59, and no single snippet is large enough to
break the extractor's chunking (which cuts only between snippets).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tubewiki.errors import TranscriptFileError
from tubewiki.types import Snippet

MAX_SECONDS = 100 * 3600  # starts and durations stay below 100 hours: anchors <= 99:59:59
MAX_SNIPPET_CHARS = 20_000  # a caption cue is a few hundred characters
MAX_SNIPPETS = 200_000  # about 100 hours of fast speech
MAX_TOTAL_CHARS = 10_000_000  # about 150 hours of speech


def check_snippets(snippets: Sequence[Snippet], where: str) -> None:
    """Raise `TranscriptFileError` (exit 3) naming `where` and the first snippet out of bounds."""
    if len(snippets) > MAX_SNIPPETS:
        raise TranscriptFileError(
            f"{where} has {len(snippets):,} snippets, more than the {MAX_SNIPPETS:,} tubewiki "
            "accepts (split the transcript into parts)"
        )
    total = 0
    for index, snippet in enumerate(snippets):
        for name, value in (("start", snippet.start), ("duration", snippet.duration)):
            if not math.isfinite(value) or not 0 <= value < MAX_SECONDS:
                raise TranscriptFileError(
                    f"{where} snippet {index} has a {name} of {_seconds(value)} seconds; "
                    "times must be between 0 and 100 hours (fix the file or re-export it)"
                )
        total += len(snippet.text)
        if len(snippet.text) > MAX_SNIPPET_CHARS:
            raise TranscriptFileError(
                f"{where} snippet {index} holds {len(snippet.text):,} characters, more than "
                f"the {MAX_SNIPPET_CHARS:,} a caption may have (split it into shorter cues)"
            )
    if total > MAX_TOTAL_CHARS:
        raise TranscriptFileError(
            f"{where} holds {total:,} characters of text, more than the {MAX_TOTAL_CHARS:,} "
            "tubewiki accepts (split the transcript into parts)"
        )


def _seconds(value: float) -> str:
    text = f"{value:g}"
    return text if len(text) <= 20 else text[:19] + "…"
