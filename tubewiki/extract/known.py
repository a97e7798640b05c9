"""Names the vault already knows, found in a video's text after spaCy is done.

The model's NER misses names it has no reason to expect; the vault's entity
notes say which to expect. Matching them here, on the text, rather than with
an entity ruler inside the spaCy pipeline keeps the parse a function of the
transcript alone: it can be cached and reused whatever the vault knows, which
is what lets a new video re-link the older videos that say its names without
running spaCy on them again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from tubewiki.extract.entities import learnable_forms
from tubewiki.extract.spans import SpanSet
from tubewiki.types import KnownEntity, RawMention

_GRAM = 4  # substring length of the index `occurring` checks many forms against
_INDEX_FROM = 256  # forms


def squeeze(text: str) -> str:
    """Lower case, no whitespace, sigmas folded: what any spelling of a phrase shares."""
    return "".join(text.lower().split()).replace("ς", "σ")


def occurring(forms: Iterable[str], text: str) -> set[str]:
    """The forms that can occur in `text`, ignoring case and spacing.

    A few forms are each searched for in the text. Many are checked through
    an index of the text's substrings of four characters, so a 10,000-note
    vault's names cost milliseconds against one transcript: building it costs
    about as much as 250 searches, whatever the text's length.
    """
    haystack = squeeze(text)
    needles = {form: squeeze(form) for form in forms}
    if len(needles) < _INDEX_FROM:
        return {form for form, needle in needles.items() if needle and needle in haystack}
    grams = {haystack[i : i + _GRAM] for i in range(len(haystack) - _GRAM + 1)}
    found = set()
    for form, needle in needles.items():
        if not needle:
            continue
        if len(needle) < _GRAM:  # few: searched for
            hit = needle in haystack
        else:  # most forms fail at their first or last gram; the rest are searched for
            hit = (
                needle[:_GRAM] in grams
                and needle[-_GRAM:] in grams
                and (len(needle) == _GRAM or needle in haystack)
            )
        if hit:
            found.add(form)
    return found


def relevant(known: Sequence[KnownEntity], text: str) -> list[KnownEntity]:
    """The known entities that a video's text can mention by one of their learnable forms."""
    if not known:
        return []
    said = occurring({f for k in known for f in (k.name, *k.aliases)}, text)
    maybe = [k for k in known if k.name in said or not said.isdisjoint(k.aliases)]
    return [k for k in maybe if said.intersection(learnable_forms(k))]  # wordfreq: few


def known_mentions(text: str, known: Sequence[KnownEntity]) -> list[RawMention]:
    """Every place a learnable form of a known entity is said, any case, longest first."""
    owner: dict[str, KnownEntity] = {}
    for entity in known:
        for form in learnable_forms(entity):
            owner.setdefault(squeeze(form), entity)
    if not owner:
        return []
    forms = sorted({f for k in known for f in learnable_forms(k)}, key=lambda f: (-len(f), f))
    spelled = "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms)
    pattern = re.compile(rf"(?<!\w)(?:{spelled})(?!\w)", re.IGNORECASE)
    found = []
    for match in pattern.finditer(text):
        if (said := owner.get(squeeze(match[0]))) is not None:
            found.append(RawMention(match.start(), match.end(), match[0], said.label, said.slug))
    return found


def with_known(mentions: Sequence[RawMention], known: Sequence[RawMention]) -> list[RawMention]:
    """The model's mentions with the known names laid over them: a known name wins its span."""
    taken = SpanSet((m.start, m.end) for m in known)
    kept = [m for m in mentions if not taken.overlaps(m.start, m.end)]
    return sorted([*kept, *known], key=lambda m: (m.start, -m.end))
