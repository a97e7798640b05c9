"""SpanSet: overlap questions over character ranges."""

from __future__ import annotations

import pytest

from tubewiki.extract.spans import SpanSet


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 5, False),  # before everything
        (5, 10, False),  # touches the first range's start: half-open
        (9, 11, True),
        (25, 26, True),  # inside the long range, after a short one nested in it
        (60, 70, False),  # between ranges
        (99, 100, True),
        (100, 120, False),  # touches the last range's end
    ],
)
def test_overlaps(start: int, end: int, expected: bool) -> None:
    spans = SpanSet([(90, 100), (10, 50), (12, 14)])
    assert spans.overlaps(start, end) is expected


def test_empty_set_overlaps_nothing() -> None:
    assert not SpanSet().overlaps(0, 10)
