"""Turn raw mentions into the entities of one video, with stable slugs.

Speakers say "Elon", "Musk" and "Elon Musk's" for one person; the NER model
labels the same company ORG in one sentence and PERSON in the next, and misses
some mentions altogether. Here the mentions of a video are grouped into one
entity each: possessives and leading articles are stripped, a first name or
surname joins a full name only when exactly one full name in the video fits,
near-identical spellings merge (rapidfuzz), and names the vault already knows
keep the slug of their note. Then every spoken occurrence of an entity's names
is counted, NER hit or not, and only salient entities survive: said often,
spread over the video, the subject of sentences, or named in the title. A bare
first name that no full name explains names nobody in particular and gets no
note, so different people are never merged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from rapidfuzz import fuzz

from tubewiki.extract.spans import SpanSet
from tubewiki.extract.words import everyday
from tubewiki.slugs import slugify
from tubewiki.types import Entity, KnownEntity, RawMention, Sentence

FUZZY_MERGE = 92
_POSSESSIVE = re.compile(r"(?:'s|s')$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:[Tt]he|a|an)\s+")


@dataclass(frozen=True, slots=True)
class LinkedMention:
    start: int
    end: int
    slug: str


@dataclass(frozen=True, slots=True)
class Resolved:
    entities: tuple[Entity, ...]
    mentions: tuple[LinkedMention, ...]


@dataclass(slots=True)
class _Group:
    key: str
    known: KnownEntity | None = None
    surfaces: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def add(self, mention: RawMention, surface: str) -> None:
        self.surfaces[surface] += 1
        self.labels[mention.label] += 1
        self.spans.append((mention.start, mention.end))

    def absorb(self, other: _Group) -> None:
        self.surfaces.update(other.surfaces)
        self.labels.update(other.labels)
        self.spans.extend(other.spans)

    @property
    def label(self) -> str:
        """The majority label; but a one-word name the model once called something
        else than a person ("Scrum") is that other thing, not a first name."""
        if self.known:
            return self.known.label
        others = Counter({k: n for k, n in self.labels.items() if k != "PERSON"})
        if " " not in self.key and others:
            return _most_common(others)
        return _most_common(self.labels)

    @property
    def name_parts(self) -> list[str]:
        """The words of the name, for a note the vault knows too ("@ada_lovelace")."""
        return (self.known.name if self.known else self.key).casefold().split()

    @property
    def count(self) -> int:
        return len(self.spans)


def surface_form(text: str) -> str:
    """ "the Salesforce's" -> "Salesforce": the name as a note title would use it."""
    text = " ".join(text.replace("’", "'").split()).strip(" .,;:!?\"'()-")
    return _POSSESSIVE.sub("", _ARTICLE.sub("", text)).strip(" .,;:'-")


def resolve(
    mentions: Iterable[RawMention],
    text: str,
    *,
    known: Sequence[KnownEntity] = (),
    sentences: Sequence[Sentence] = (),
    title: str = "",
    skip: Sequence[tuple[int, int]] = (),
    max_entities: int = 30,
) -> Resolved:
    """The salient entities of one video and every place they are said.

    `skip` holds character ranges (sponsor reads) whose mentions never count.
    """
    skipped = SpanSet(skip)
    outside = [m for m in mentions if not skipped.overlaps(m.start, m.end)]
    groups = _merge_near_duplicates(_merge_people(_group_named(outside, known)), known)
    groups = [
        g
        for g in groups
        if g.known or not (_bare_name(g) or (" " not in g.key and everyday(g.key)))
    ]
    everything = propagate(_finish(groups), text, skip)
    return _salient(everything, sentences, title, max_entities)


def _group_named(mentions: Iterable[RawMention], known: Sequence[KnownEntity]) -> list[_Group]:
    by_slug = {k.slug: k for k in known}
    by_alias = {a.casefold(): k for k in known for a in learnable_forms(k)}
    groups: dict[str, _Group] = {}
    for mention in mentions:
        surface = surface_form(mention.text)
        entity = by_slug.get(mention.slug) or by_alias.get(surface.casefold())
        if entity is None and not _plausible_name(surface):
            continue
        key = f"@{entity.slug}" if entity else surface.casefold()
        group = groups.setdefault(key, _Group(key=key, known=entity))
        group.add(mention, surface)
    return list(groups.values())


@cache  # asked of every known entity several times a run
def learnable_forms(entity: KnownEntity) -> tuple[str, ...]:
    """The names by which a known note is recognised in another video.

    A person is known by full name only: a bare "Tim" elsewhere is not known
    to be the same Tim. A one-word name that is also an everyday word
    ("Great", "Apple") is left to the NER model, which sees its context; a
    lookup would match the word everywhere.
    """
    forms = dict.fromkeys(f for f in (entity.name, *entity.aliases) if f.strip())
    return tuple(
        f for f in forms if len(f.split()) > 1 or (entity.label != "PERSON" and not everyday(f))
    )


def _bare_name(group: _Group) -> bool:
    """A lone first name or surname of a person no full name in the video explains."""
    return group.label == "PERSON" and len(group.key.split()) == 1


def _plausible_name(surface: str) -> bool:
    """Reject NER debris: lists, lowercase phrases, long or wordless spans."""
    return (
        2 <= len(surface) <= 60
        and any(c.isupper() for c in surface)
        and any(c.isalpha() for c in surface)
        and "," not in surface
        and len(surface.split()) <= 5
    )


def _merge_people(groups: list[_Group]) -> list[_Group]:
    """Fold "Elon" and "Musk" into "Elon Musk" when only one full name fits.

    A first name joins whatever the model labelled it (small models often call
    a lone "Elon" an ORG); a last name joins only when labelled PERSON, so the
    company "Ford" stays apart from "Henry Ford".
    """
    full_names = [g for g in groups if g.label == "PERSON" and len(g.name_parts) > 1]
    result = []
    for group in groups:
        parts = group.key.split()
        if group.known is None and len(parts) == 1:
            owners = [g for g in full_names if parts[0] == g.name_parts[0]]
            if group.label == "PERSON":
                owners += [g for g in full_names if parts[0] == g.name_parts[-1]]
            if len(owners) == 1:
                owners[0].absorb(group)
                continue
            if len(owners) > 1:
                continue  # "Elliot" with two Elliots in the video: nobody in particular
        result.append(group)
    return result


def _compact(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.removeprefix("@").casefold())


def _merge_near_duplicates(groups: list[_Group], known: Sequence[KnownEntity]) -> list[_Group]:
    """ "Agent Force" joins "Agentforce"; a close spelling of a known name joins its note."""
    aliases = [(_compact(a), k) for k in known for a in learnable_forms(k)]
    ordered = sorted(groups, key=lambda g: (g.known is None, -g.count, g.key))
    result: list[_Group] = []
    for group in ordered:
        compact = _compact(group.key)
        target = next(
            (
                g
                for g in result
                if (g.known is None or group.known is None) and _same_name(compact, _compact(g.key))
            ),
            None,
        )
        if target is None and group.known is None:
            entity = next((k for a, k in aliases if _same_name(compact, a)), None)
            target = next((g for g in result if g.known == entity), None) if entity else None
            if entity and target is None:
                group.known, group.key = entity, f"@{entity.slug}"
        if target is not None:
            target.absorb(group)
        else:
            result.append(group)
    return result


def _same_name(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 6:
        return False
    return fuzz.ratio(a, b) >= FUZZY_MERGE


def _finish(groups: list[_Group]) -> Resolved:
    entities: dict[str, tuple[Entity, _Group]] = {}
    for group in groups:
        name = _display_name(group)
        slug = group.known.slug if group.known else slugify(name)
        if not slug:
            continue
        if slug in entities:  # two spellings that slugify alike are one entity
            entities[slug][1].absorb(group)
            continue
        entities[slug] = (Entity(slug, name, group.label, (), 0), group)
    result: list[Entity] = []
    spans: list[LinkedMention] = []
    for slug, (entity, group) in entities.items():
        forms = {s.casefold(): s for s in sorted(group.surfaces, reverse=True)}
        forms.pop(entity.name.casefold(), None)
        aliases = tuple(sorted(forms.values(), key=str.casefold))
        result.append(Entity(slug, entity.name, entity.label, aliases, group.count))
        spans.extend(LinkedMention(s, e, slug) for s, e in group.spans)
    spans.sort(key=lambda m: (m.start, -m.end))
    return Resolved(tuple(result), tuple(_drop_overlaps(spans)))


def _display_name(group: _Group) -> str:
    if group.known:
        return group.known.name
    longest = max(len(s.split()) for s in group.surfaces)
    forms = Counter({s: n for s, n in group.surfaces.items() if len(s.split()) == longest})
    if group.label != "PERSON":
        forms = group.surfaces
    return max(forms, key=lambda s: (forms[s], len(s), s))


# On a tied vote, the label that keeps a one-word name wins: a company is more
# often called by one word than a person is.
LABEL_PREFERENCE = ("ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "PERSON")


def _most_common(counter: Counter[str]) -> str:
    def rank(label: str) -> tuple[int, int, str]:
        preferred = LABEL_PREFERENCE.index(label) if label in LABEL_PREFERENCE else 99
        return counter[label], -preferred, label

    return max(counter, key=rank)


def _drop_overlaps(spans: list[LinkedMention]) -> Iterable[LinkedMention]:
    end = -1
    for span in spans:
        if span.start >= end:
            yield span
            end = span.end


def propagate(resolved: Resolved, text: str, skip: Sequence[tuple[int, int]] = ()) -> Resolved:
    """Count and link every spoken occurrence of each entity's names.

    Within one video a name seen once as an entity is that entity every time
    it is said ("Musk" in "the offer from Musk", which the model may call a
    DATE), so every exact, capitalised occurrence of a named entity's forms,
    and of a person's first and last name, becomes a mention. A form two
    entities share belongs to neither.
    """
    owner: dict[str, str] = {}
    for entity in resolved.entities:
        forms = {entity.name, *entity.aliases}
        if entity.label == "PERSON" and len(entity.name.split()) > 1:
            forms.update((entity.name.split()[0], entity.name.split()[-1]))
        for form in forms:
            if form[:1].isupper() and len(form) > 2:
                owner[form] = entity.slug if owner.get(form, entity.slug) == entity.slug else ""
    owner = {form: slug for form, slug in owner.items() if slug}
    taken = SpanSet([*((m.start, m.end) for m in resolved.mentions), *skip])
    found: list[LinkedMention] = list(resolved.mentions)
    seen: dict[str, set[str]] = {}
    if owner:
        longest_first = sorted(owner, key=lambda f: (-len(f), f))
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b")
        for m in pattern.finditer(text):
            if not taken.overlaps(m.start(), m.end()):
                slug = owner[m[0]]
                found.append(LinkedMention(m.start(), m.end(), slug))
                seen.setdefault(slug, set()).add(m[0])
    found.sort(key=lambda m: (m.start, -m.end))
    counts = Counter(m.slug for m in found)
    entities = tuple(
        replace(
            e,
            mentions=counts[e.slug],
            aliases=tuple(sorted(set(e.aliases) | (seen.get(e.slug, set()) - {e.name}))),
        )
        for e in resolved.entities
    )
    return Resolved(entities, tuple(found))


PLACES = frozenset({"GPE", "LOC", "FAC", "NORP"})


def _salient(resolved: Resolved, sentences: Sequence[Sentence], title: str, limit: int) -> Resolved:
    """Keep the entities a reader would want a note for, most salient first.

    Salience counts mentions, sentences the entity is the subject of, how much
    of the video it spreads over, and the title. Places need more than an
    anecdote's worth, and two-letter acronyms more than a passing mention.
    """
    subjects = SpanSet(s.subject for s in sentences if s.subject[1] > s.subject[0])
    size = max((m.end for m in resolved.mentions), default=1)
    stats: dict[str, tuple[int, int, set[int]]] = {}
    for m in resolved.mentions:
        count, subj, parts = stats.get(m.slug, (0, 0, set()))
        parts.add(10 * m.start // (size + 1))
        stats[m.slug] = (count + 1, subj + subjects.overlaps(m.start, m.end), parts)
    folded = title.casefold()
    scored: list[tuple[float, Entity]] = []
    for entity in resolved.entities:
        count, subj, parts = stats.get(entity.slug, (0, 0, set()))
        in_title = any(
            re.search(rf"\b{re.escape(f.casefold())}\b", folded)
            for f in (entity.name, *entity.aliases)
        )
        needed = 2 if subj or in_title else 3
        if entity.label in PLACES:
            needed = max(needed, 3) if len(parts) > 1 else 99
        if len(entity.name) <= 2:
            needed = 2 * needed
        if count >= needed or (in_title and count):
            scored.append((count + 2 * subj + len(parts) + 5 * in_title, entity))
    scored.sort(key=lambda se: (-se[0], se[1].slug))
    kept = {e.slug for _, e in scored[:limit]}
    return Resolved(
        tuple(e for e in resolved.entities if e.slug in kept),
        tuple(m for m in resolved.mentions if m.slug in kept),
    )
