"""Character ranges of the transcript, and the one question asked of them.

Every stage asks whether a stretch of text overlaps something: a sponsor
read, a name already linked, a sentence's subject. `SpanSet` answers in
logarithmic time, so a three-hour transcript costs no more per question than
a short one.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable


class SpanSet:
    """Half-open ranges `[start, end)`, queried for overlap."""

    __slots__ = ("_reach", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        # the furthest end among the ranges that start at or before each one
        self._reach = list(itertools.accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._reach[i - 1] > start
