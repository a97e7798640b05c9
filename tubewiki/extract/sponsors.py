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

from tubewiki.extract.words import everyday
from tubewiki.transcript import TimedText

MAX_READ_SECONDS = 180.0
NEAR = 3  # snippets either side of a call to action in which its brand must recur
ANNOUNCED = re.compile(
    r"(?i:\b(?:brought to you by|sponsored by|(?:today's|our|a word from our) sponsors?\b,?))"
    r"\s+(?P<brand>[A-Z][\w&'-]*(?:\.[a-z]{2,})?(?: [A-Z][\w&'-]*)?)?",
)
CALL_TO_ACTION = re.compile(
    r"\b(?:promo code|use code|discount code|free trial|sign up (?:today|now|for free)|"
    r"(?:visit|go to|head (?:on )?(?:over )?to)\s+[\w-]+\.(?:com|ai|io|co|org)\b|"
    r"[\w-]+\.(?:com|ai|io|co|org)/\w+|our (?:\w+ ){0,2}sponsors\b)",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+[A-Za-z]*\b")


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
    done = 0  # the first snippet not yet part of a read
    for i in range(len(pieces)):
        if i < done:
            continue
        near = (pieces[max(done, i - NEAR)][0], pieces[min(i + NEAR, len(pieces) - 1)][1])
        found = _cue(timed.text, pieces[i], near)
        if found is None or (title and found.casefold() in title.casefold()):
            continue
        brand = re.compile(rf"\b{re.escape(found)}\b", re.IGNORECASE)

        def ad(k: int, brand: re.Pattern[str] = brand) -> bool:
            return _advertises(timed.text, pieces[k], brand)

        first = i
        while (
            first > done
            and timed.times[i] - timed.times[first - 1] <= MAX_READ_SECONDS
            and ad(first - 1)
        ):
            first -= 1  # the read praised the brand before its call to action
        last = i + 1
        while (
            last < len(pieces)
            and timed.times[last] - timed.times[first] <= MAX_READ_SECONDS
            and ad(last)
        ):
            last += 1
        reads.append(SponsorRead(pieces[first][0], pieces[last - 1][1], timed.times[first], found))
        done = last
    return reads


def _advertises(text: str, piece: tuple[int, int], brand: re.Pattern[str]) -> bool:
    return bool(brand.search(text, *piece) or CALL_TO_ACTION.search(text, *piece))


def _cue(text: str, piece: tuple[int, int], near: tuple[int, int]) -> str | None:
    """The brand a snippet advertises, or None when it reads no ad.

    An announcement names the brand. A call to action alone (a promo code, a
    vanity URL, "our sponsors") counts only with a brand, a capitalised word
    rarer than everyday English, named at least three times around it.
    """
    announced = ANNOUNCED.search(text, *piece)
    if announced and announced["brand"]:
        return announced["brand"].rstrip(".")
    if not announced and not CALL_TO_ACTION.search(text, *piece):
        return None
    names = Counter(
        w
        for w in _CAPITALISED.findall(text, *near)
        if not everyday(w)  # "This", "Today" open sentences
    )
    name, count = names.most_common(1)[0] if names else ("", 0)
    return name if count >= 3 else None
