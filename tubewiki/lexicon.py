"""What the vault knows: every name its videos teach, and every name people gave.

A vault must depend only on which videos are in it and what people wrote,
never on the order they came in. So each video first teaches names on its
own, extracted knowing nothing of the vault (`Taught`, a pure function of its
transcript), and the lexicon is built from all of them at once, together with
the entity notes' front matter: the names people added, and the notes they
merged or renamed (`formerly`). Every video is then extracted against that
whole lexicon. A note's title and type are the ones most of its videos use,
unless a person chose others.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from tubewiki.types import Entity, KnownEntity


@dataclass(frozen=True, slots=True)
class Taught:
    """An entity that one video yields on its own."""

    slug: str
    name: str
    label: str
    forms: tuple[str, ...]  # the name and every other way the video says it
    mentions: int


class Entry(NamedTuple):
    """One entity of the lexicon; `has_note` says whether a note is written for it.

    A named tuple, as `KnownEntity` is: the lexicon is built, compared with the last
    run's and stored on every run, one entry per name the vault knows."""

    slug: str
    name: str
    label: str
    forms: tuple[str, ...]
    formerly: tuple[str, ...] = ()
    has_note: bool = False

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(f for f in self.forms if f != self.name)

    def known(self) -> KnownEntity:
        return KnownEntity(self.slug, self.name, self.label, self.aliases, self.formerly)


Lexicon = dict[str, Entry]


def taught(entities: Iterable[Entity]) -> tuple[Taught, ...]:
    return tuple(
        Taught(e.slug, e.name, e.label, _sorted({e.name, *e.aliases}), e.mentions)
        for e in sorted(entities, key=lambda e: e.slug)
    )


def build(notes: Sequence[KnownEntity], records: Mapping[str, Sequence[Taught]]) -> Lexicon:
    """The lexicon of the entity notes `notes` and of every video's `records`.

    A note's title, type or alias that no video taught is a person's, and
    stays; the rest follows the videos, so the note reads the same whichever
    video came first.
    """
    by_slug: dict[str, list[Taught]] = {}
    for video in sorted(records):
        for item in records[video]:
            by_slug.setdefault(item.slug, []).append(item)
    entries: Lexicon = {}
    claimed: set[str] = set()
    for note in sorted(notes, key=lambda n: n.slug):
        claimed.add(note.slug)
        claimed.update(note.formerly)
        own = by_slug.get(note.slug, [])
        merged = own + [t for s in note.formerly if s != note.slug for t in by_slug.get(s, [])]
        if not merged:  # most notes of a big vault: no video teaches their names
            said = _sorted({*note.aliases, note.name})
            entries[note.slug] = Entry(note.slug, note.name, note.label, said, note.formerly, True)
            continue
        taught_forms = {f for t in merged for f in t.forms}
        name = _most_used(own, "name") if own and note.name in taught_forms else note.name
        labels = {t.label for t in merged}
        label = _most_used(own, "label") if own and note.label in labels else note.label
        mine = {a for a in note.aliases if a not in taught_forms}
        entries[note.slug] = Entry(
            note.slug, name, label, _sorted(taught_forms | mine | {name}), note.formerly, True
        )
    for slug, items in sorted(by_slug.items()):
        if slug not in claimed:
            forms = {f for t in items for f in t.forms}
            entries[slug] = Entry(
                slug, _most_used(items, "name"), _most_used(items, "label"), _sorted(forms)
            )
    return entries


def changed(old: Mapping[str, Entry], new: Mapping[str, Entry]) -> set[str]:
    """Slugs whose entry differs, appeared or went."""
    return {s for s in old.keys() | new.keys() if old.get(s) != new.get(s)}


def forms_of(entries: Iterable[Entry | None]) -> set[str]:
    return {f for e in entries if e is not None for f in e.forms}


def allowed(lexicon: Mapping[str, Entry]) -> set[str]:
    """Slugs a video may yield: the lexicon's, and the old slugs that redirect to them."""
    return {s for e in lexicon.values() for s in (e.slug, *e.formerly)}


def with_notes(lexicon: Mapping[str, Entry], notes: Collection[str]) -> Lexicon:
    return {
        slug: e if e.has_note == (slug in notes) else e._replace(has_note=slug in notes)
        for slug, e in lexicon.items()
    }


def _most_used(items: Sequence[Taught], field: str) -> str:
    """The value most videos use, then the most said, then the first in sort order."""
    videos: Counter[str] = Counter()
    said: Counter[str] = Counter()
    for item in items:
        value = getattr(item, field)
        videos[value] += 1
        said[value] += item.mentions
    return min(videos, key=lambda v: (-videos[v], -said[v], v))


def _sorted(forms: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(forms), key=lambda f: (f.casefold(), f)))


def dumps(lexicon: Mapping[str, Entry]) -> bytes:
    """The lexicon a run ends with, kept so the next run can tell what changed since:
    a list of entries (a named tuple is a JSON list), in one call of json's C encoder."""
    rows = [lexicon[slug] for slug in sorted(lexicon)]
    return (json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def loads(data: bytes) -> Lexicon:
    rows = json.loads(data)
    return {
        str(r[0]): Entry(str(r[0]), str(r[1]), str(r[2]), tuple(r[3]), tuple(r[4]), bool(r[5]))
        for r in rows
    }
