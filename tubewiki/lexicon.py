"""What the vault knows: every name its videos teach, and every name people gave.

A vault must depend only on which videos are in it and what people wrote,
never on the order they came in. So each video first teaches names on its
own, extracted knowing nothing of the vault (`Taught`, a pure function of its
transcript), and the lexicon is built from all of them at once, together with
the entity notes' front matter: the names people added, and the notes they
merged or renamed (`formerly`). Every video is then extracted against that
whole lexicon. A note's title and type are the ones most of its videos use,
unless a person chose others.

Each entry depends only on its own slug's note, the notes that took its slug
in (`formerly`) and the names the videos teach it, so `update` builds again
only the entries that can have changed since the lexicon a run kept
(`Snapshot`), and gives what `build` would.
"""

from __future__ import annotations

import io
import pickle
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, Protocol

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


class Notes(Protocol):
    """The entity notes a lexicon is built from, looked up by slug."""

    def known_entity(self, slug: str) -> KnownEntity | None:
        """The entity note with this slug; of two, the last in path order."""

    def claimed(self, slug: str) -> bool:
        """Whether an entity note lists the slug as `formerly`: merged or renamed."""


class Listed:
    """`Notes` over a list of entity notes in path order, as `Vault.known_entities` gives."""

    def __init__(self, notes: Sequence[KnownEntity]) -> None:
        self.notes = {n.slug: n for n in notes}  # of two with one slug, the later
        self._claimed = {s for n in notes for s in n.formerly}

    def known_entity(self, slug: str) -> KnownEntity | None:
        return self.notes.get(slug)

    def claimed(self, slug: str) -> bool:
        return slug in self._claimed


def build(notes: Sequence[KnownEntity], records: Mapping[str, Sequence[Taught]]) -> Lexicon:
    """The lexicon of the entity notes `notes` (in path order) and of every video's
    `records`: the notes' entries by slug, then the names only videos teach, by slug.

    A note's title, type or alias that no video taught is a person's, and
    stays; the rest follows the videos, so the note reads the same whichever
    video came first.
    """
    listed = Listed(notes)
    taught = _by_slug(records)
    slugs = [*sorted(listed.notes), *sorted(taught.keys() - listed.notes.keys())]
    return {s: e for s in slugs if (e := _entry(s, listed, taught)) is not None}


def update(
    old: Lexicon,
    slugs: Iterable[str],
    notes: Notes,
    records: Mapping[str, Sequence[Taught]],
) -> Lexicon:
    """`old` with the entries of `slugs` built again: what `build` gives, in another
    order, when no other entry's note, `formerly` claim or taught names changed."""
    taught = _by_slug(records)
    entries = dict(old)
    for slug in slugs:
        entry = _entry(slug, notes, taught)
        if entry is None:
            entries.pop(slug, None)
        else:
            entries[slug] = entry
    return entries


def _by_slug(records: Mapping[str, Sequence[Taught]]) -> dict[str, list[Taught]]:
    by_slug: dict[str, list[Taught]] = {}
    for video in sorted(records):
        for item in records[video]:
            by_slug.setdefault(item.slug, []).append(item)
    return by_slug


def _entry(slug: str, notes: Notes, taught: Mapping[str, list[Taught]]) -> Entry | None:
    """The entry of one slug: its note's, merged with the names the videos teach it
    and the slugs it took in; else the videos' own, unless a note took the slug in."""
    note = notes.known_entity(slug)
    if note is None:
        items = taught.get(slug)
        if not items or notes.claimed(slug):
            return None
        forms = {f for t in items for f in t.forms}
        return Entry(slug, _most_used(items, "name"), _most_used(items, "label"), _sorted(forms))
    own = taught.get(slug, [])
    merged = own + [t for s in note.formerly if s != slug for t in taught.get(s, [])]
    if not merged:  # most notes of a big vault: no video teaches their names
        said = _sorted({*note.aliases, note.name})
        return Entry(slug, note.name, note.label, said, note.formerly, True)
    taught_forms = {f for t in merged for f in t.forms}
    name = _most_used(own, "name") if own and note.name in taught_forms else note.name
    labels = {t.label for t in merged}
    label = _most_used(own, "label") if own and note.label in labels else note.label
    mine = {a for a in note.aliases if a not in taught_forms}
    return Entry(slug, name, label, _sorted(taught_forms | mine | {name}), note.formerly, True)


def build_order(entry: Entry) -> tuple[bool, str]:
    """Where `build` puts an entry: the notes' entries first, each part by slug."""
    return not entry.has_note, entry.slug


def changed(old: Mapping[str, Entry], new: Mapping[str, Entry]) -> set[str]:
    """Slugs whose entry differs, appeared or went."""
    return {s for s in old.keys() | new.keys() if old.get(s) != new.get(s)}


def forms_of(entries: Iterable[Entry | None]) -> set[str]:
    return {f for e in entries if e is not None for f in e.forms}


def allowed(lexicon: Mapping[str, Entry]) -> set[str]:
    """Slugs a video may yield: the lexicon's, and the old slugs that redirect to them."""
    found = set(lexicon)  # each entry under its own slug
    found.update(*(e.formerly for e in lexicon.values() if e.formerly))
    return found


def with_notes(
    lexicon: Mapping[str, Entry], notes: Collection[str], among: Iterable[str] | None = None
) -> Lexicon:
    """Each entry's `has_note` as `notes` says; only those of `among`, when given: the
    slugs whose note comes or goes, the rest already being right."""
    if among is None:
        among = lexicon.keys()
    found = dict(lexicon)
    for slug in among:
        entry = found.get(slug)
        if entry is not None and entry.has_note != (slug in notes):
            found[slug] = entry._replace(has_note=slug in notes)
    return found


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


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The lexicon a run ended with, kept for the next run, and what it was built from:
    the next run builds again only the entries that can differ (`relink`)."""

    lexicon: Lexicon  # each `has_note` as after the run
    squeezed: dict[str, tuple[str, ...]]  # slug -> its names squeezed (`KnownNames`)
    generation: str | None  # the note index generation its notes were read at
    records: dict[str, tuple[Taught, ...]]  # each video's record it was built from
    claims: dict[str, tuple[str, ...]]  # a slug -> the entity notes listing it as `formerly`
    # The entity notes the run meant to make or delete (`has_note` flipped): should one be
    # there, or not, all the same, the next run finds its entry changed.
    flipped: tuple[str, ...] = ()


def dumps(snapshot: Snapshot) -> bytes:
    """The snapshot as plain tuples, pickled: at 10,000 entries, a quarter of the time
    JSON took to write, half to read. Pickled without its memo, so equal snapshots give
    equal bytes, and a run that changes nothing leaves the file as it is."""
    slugs = sorted(snapshot.lexicon)
    data = {
        "slugs": slugs,
        "entries": [tuple(snapshot.lexicon[s]) for s in slugs],
        "squeezed": [snapshot.squeezed[s] for s in slugs],
        "generation": snapshot.generation,
        "records": {
            video: [(t.slug, t.name, t.label, t.forms, t.mentions) for t in items]
            for video, items in sorted(snapshot.records.items())
        },
        "claims": dict(sorted(snapshot.claims.items())),
        "flipped": tuple(sorted(snapshot.flipped)),
    }
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: an object is written out wherever it is, as JSON would
    pickler.dump(data)
    return buffer.getvalue()


def loads(data: bytes) -> Snapshot:
    """Raises on a damaged or foreign snapshot (`ValueError`, `TypeError`, ...).

    The entries are made by C loops alone (`map`, `zip`): at 10,000 entries, a
    Python loop making each was half the time of reading the snapshot."""
    found = pickle.loads(data)
    generation = found["generation"]
    if generation is not None and not isinstance(generation, str):
        raise TypeError("generation")
    slugs, rows, names = found["slugs"], found["entries"], found["squeezed"]
    if not len(slugs) == len(rows) == len(names) or set(map(len, rows)) - {len(Entry._fields)}:
        raise ValueError("entries")
    lexicon: Lexicon = dict(zip(slugs, map(partial(tuple.__new__, Entry), rows), strict=True))
    squeezed: dict[str, tuple[str, ...]] = dict(zip(slugs, names, strict=True))
    records = {
        str(video): tuple(Taught(*t) for t in items) for video, items in found["records"].items()
    }
    claims = {str(s): tuple(by) for s, by in found["claims"].items()}
    return Snapshot(lexicon, squeezed, generation, records, claims, tuple(found["flipped"]))
