"""Find the sponsor reads of a video, so nothing in them reaches the notes.

An ad read is announced ("brought to you by Vanta", "this episode is sponsored
by", "today's sponsor") or recognisable by its call to action (a promo code,
a vanity URL such as `vanta.com/lenny`, "free trial") together with one brand
named again and again in a short window. A read runs from its cue over the
following caption snippets that keep naming the brand or another cue, up to
a couple of minutes. A brand the video's title names is what the video is
about, so its mentions are never skipped.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from tubewiki.transcript import TimedText

MAX_READ_SECONDS = 180.0
LOOKAHEAD = 3  # snippets in which a call to action's brand must recur
ANNOUNCED = re.compile(
    r"\b(?:brought to you by|sponsored by|(?:today's|our|a word from our) sponsors?\b,?)"
    r"\s+(?P<brand>[A-Z][\w&'-]*(?:\.[a-z]{2,})?(?: [A-Z][\w&'-]*)?)?",
)
CALL_TO_ACTION = re.compile(
    r"\b(?:promo code|use code|discount code|free trial|sign up (?:today|now|for free)|"
    r"(?:visit|go to|head (?:over )?to)\s+[\w-]+\.(?:com|ai|io|co|org)\b|"
    r"[\w-]+\.(?:com|ai|io|co|org)/\w+|\bsponsor(?:s|ed)?\b)",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<![.!?] )(?<!^)\b[A-Z][a-z]+[A-Za-z]*\b")


@dataclass(frozen=True, slots=True)
class SponsorRead:
    start: int  # character offsets into TimedText.text
    end: int
    time: float
    brand: str


def sponsor_reads(timed: TimedText, *, title: str = "") -> list[SponsorRead]:
    """Every ad read of the video, in order, none overlapping."""
    bounds = [*timed.offsets, len(timed.text)]
    pieces = list(itertools.pairwise(bounds))
    reads: list[SponsorRead] = []
    i = 0
    while i < len(pieces):
        window = (pieces[i][0], pieces[min(i + LOOKAHEAD, len(pieces) - 1)][1])
        found = _cue(timed.text, *pieces[i], *window)
        if found is None or (title and found.casefold() in title.casefold()):
            i += 1
            continue
        brand = re.compile(rf"\b{re.escape(found)}\b", re.IGNORECASE)
        j = i + 1
        begun = timed.times[i]
        while (
            j < len(pieces)
            and timed.times[j] - begun <= MAX_READ_SECONDS
            and (
                brand.search(timed.text, *pieces[j])
                or CALL_TO_ACTION.search(timed.text, *pieces[j])
            )
        ):
            j += 1
        reads.append(SponsorRead(pieces[i][0], pieces[j - 1][1], begun, found))
        i = j
    return reads


def _cue(text: str, start: int, end: int, near_start: int, near_end: int) -> str | None:
    """The brand a snippet starts advertising, or None when it reads no ad.

    An announcement names the brand. A call to action alone (a promo code, a
    vanity URL, the word "sponsor") counts only with a brand named at least
    three times in it and the snippets that follow.
    """
    announced = ANNOUNCED.search(text, start, end)
    if announced and announced["brand"]:
        return announced["brand"].rstrip(".")
    if not announced and not CALL_TO_ACTION.search(text, start, end):
        return None
    names = Counter(_CAPITALISED.findall(text, near_start, near_end))
    name, count = names.most_common(1)[0] if names else ("", 0)
    return name if count >= 3 else None
