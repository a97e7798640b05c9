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
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, overload

from tubewiki.extract.entities import learnable_forms
from tubewiki.extract.spans import SpanSet
from tubewiki.lexicon import Entry, build_order
from tubewiki.types import KnownEntity, RawMention

_GRAM = 4  # how many first characters `_present` looks a name up by
_INDEX_FROM = 256  # forms


def squeeze(text: str) -> str:
    """Lower case, no whitespace, sigmas folded: what any spelling of a phrase shares."""
    return "".join(text.lower().split()).replace("ς", "σ")


def occurring(forms: Iterable[str], text: str) -> set[str]:
    """The forms that can occur in `text`, ignoring case and spacing."""
    needles = {form: squeeze(form) for form in forms}
    present = _present(needles.values(), squeeze(text))
    return {form for form, needle in needles.items() if needle in present}


def _present(needles: Collection[str], haystack: str) -> set[str]:
    """The non-empty `needles` (squeezed) that occur in `haystack` (squeezed).

    A few are each searched for. Many are looked up by their first four
    characters at each place in the text, so a 10,000-note vault's names
    cost as much as one pass over the transcript, whatever their number.
    """
    if len(needles) < _INDEX_FROM:
        return {needle for needle in needles if needle and needle in haystack}
    found = set()
    by_start: dict[str, list[str]] = {}
    for needle in needles:
        if len(needle) >= _GRAM:
            by_start.setdefault(needle[:_GRAM], []).append(needle)
        elif needle and needle in haystack:  # few: searched for
            found.add(needle)
    starting = by_start.get
    for at in range(len(haystack) - _GRAM + 1):
        for needle in starting(haystack[at : at + _GRAM], ()):
            if haystack.startswith(needle, at):
                found.add(needle)
    return found


def relevant(known: Sequence[KnownEntity], text: str) -> list[KnownEntity]:
    """The known entities that a video's text can mention by one of their learnable forms."""
    if isinstance(known, KnownNames):
        return known.relevant(text)
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


class KnownNames(Sequence[KnownEntity]):
    """The lexicon's entities as known names, each with its names squeezed once
    (`squeezed`, kept from run to run), so `relevant` finds the few a text says
    among a 10,000-note vault's without squeezing every name again.

    As a sequence: every entity, in the order `lexicon.build` gives the entries."""

    def __init__(self, entries: Mapping[str, Entry], squeezed: Mapping[str, Sequence[str]]):
        self.entries = entries
        self.squeezed = squeezed  # slug -> its entry's names, squeezed (`squeezed_names`)
        self._needles: dict[str, list[str]] | None = None
        self._all: list[KnownEntity] | None = None

    def relevant(self, text: str) -> list[KnownEntity]:
        """What `relevant` gives for the sequence, found through the squeezed names."""
        needles = self._by_needle()
        hits = _present(needles.keys(), squeeze(text))
        slugs = {slug for needle in hits for slug in needles[needle]}
        found = []
        for entry in sorted((self.entries[s] for s in slugs), key=build_order):
            known = entry.known()
            said = {f for f in entry.forms if squeeze(f) in hits}
            if said.intersection(learnable_forms(known)):
                found.append(known)
        return found

    def _by_needle(self) -> dict[str, list[str]]:
        if self._needles is None:
            self._needles = {}
            for slug, names in self.squeezed.items():
                for needle in names:
                    self._needles.setdefault(needle, []).append(slug)
        return self._needles

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> KnownEntity: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[KnownEntity]: ...
    def __getitem__(self, index: int | slice) -> KnownEntity | Sequence[KnownEntity]:
        if self._all is None:
            self._all = [e.known() for e in sorted(self.entries.values(), key=build_order)]
        return self._all[index]

    def __getstate__(self) -> dict[str, object]:
        """To a worker: the entries and names, not what they are worked out into."""
        return {"entries": self.entries, "squeezed": self.squeezed}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.entries, self.squeezed = state["entries"], state["squeezed"]
        self._needles = self._all = None


def squeezed_names(entry: Entry) -> tuple[str, ...]:
    """The entry's names squeezed, each once, none empty."""
    return tuple(dict.fromkeys(n for f in entry.forms if (n := squeeze(f))))
