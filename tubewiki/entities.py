"""Turn raw mentions into the entities of one video, with stable slugs.

Speakers say "Elon", "Musk" and "Elon Musk's" for one person; the NER model
labels the same company ORG in one sentence and PERSON in the next. Here the
mentions of a video are grouped into one entity each: possessives and leading
articles are stripped, first and last names join the full name, near-identical
spellings merge (rapidfuzz), and names the vault already knows keep the slug of
their note. Only entities mentioned often enough, or already in the vault,
survive.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from tubewiki.extract import KnownEntity, RawMention
from tubewiki.slugs import slugify
from tubewiki.types import Entity

CONCEPT = "CONCEPT"
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
        return self.known.label if self.known else _most_common(self.labels)

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
    *,
    known: Sequence[KnownEntity] = (),
    min_mentions: int = 2,
    max_entities: int = 30,
    max_concepts: int = 10,
    min_concept_mentions: int = 3,
) -> Resolved:
    named, concepts = _group_named(mentions, known)
    groups = _merge_people(named)
    groups = _merge_near_duplicates(groups, known)
    # Two-letter names ("EA", "TM") are mostly acronyms in passing: they need more.
    kept = [
        g
        for g in groups
        if g.known or g.count >= (min_mentions if len(g.key) > 2 else 2 * min_mentions)
    ]
    kept.sort(key=lambda g: (g.known is None, -g.count, g.key))
    kept = kept[:max_entities]
    taken = {g.key for g in kept} | {a.casefold() for k in known for a in (k.name, *k.aliases)}
    kept += _salient_concepts(concepts, taken, min_concept_mentions, max_concepts)
    return _finish(kept)


def _group_named(
    mentions: Iterable[RawMention], known: Sequence[KnownEntity]
) -> tuple[list[_Group], list[RawMention]]:
    by_slug = {k.slug: k for k in known}
    by_alias = {a.casefold(): k for k in known for a in (k.name, *k.aliases)}
    groups: dict[str, _Group] = {}
    concepts: list[RawMention] = []
    for mention in mentions:
        if mention.label == CONCEPT and not mention.slug:
            concepts.append(mention)
            continue
        surface = surface_form(mention.text)
        entity = by_slug.get(mention.slug) or by_alias.get(surface.casefold())
        if entity is None and not _plausible_name(surface):
            continue
        key = f"@{entity.slug}" if entity else surface.casefold()
        group = groups.setdefault(key, _Group(key=key, known=entity))
        group.add(mention, surface)
    return list(groups.values()), concepts


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
    aliases = [(_compact(a), k) for k in known for a in (k.name, *k.aliases)]
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


def _salient_concepts(
    mentions: list[RawMention], taken: set[str], min_count: int, limit: int
) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for mention in mentions:
        lemma = mention.lemma
        if lemma in taken:
            continue
        group = groups.setdefault(lemma, _Group(key=lemma))
        group.add(mention, mention.text.lower())
    kept = [g for g in groups.values() if g.count >= min_count and not _cut_short(g, groups)]
    kept.sort(key=lambda g: (-g.count, g.key))
    return kept[:limit]


def _cut_short(group: _Group, groups: dict[str, _Group]) -> bool:
    """ "product market" where the parser split "product market fit": the longer one wins."""
    return any(
        key.startswith(group.key + " ") and 2 * other.count >= group.count
        for key, other in groups.items()
    )


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
    if group.labels.most_common(1)[0][0] == CONCEPT:
        return group.key[:1].upper() + group.key[1:]
    longest = max(len(s.split()) for s in group.surfaces)
    forms = Counter({s: n for s, n in group.surfaces.items() if len(s.split()) == longest})
    if group.label != "PERSON":
        forms = group.surfaces
    return max(forms, key=lambda s: (forms[s], len(s), s))


def _most_common(counter: Counter[str]) -> str:
    return max(counter, key=lambda k: (counter[k], k))


def _drop_overlaps(spans: list[LinkedMention]) -> Iterable[LinkedMention]:
    end = -1
    for span in spans:
        if span.start >= end:
            yield span
            end = span.end


def propagate(resolved: Resolved, text: str) -> Resolved:
    """Link the occurrences of an entity's names that the NER model missed.

    Within one video a name seen once as an entity is that entity every time
    it is spoken ("Musk" in "Musk later became ..."), so every exact,
    capitalised occurrence of a named entity's forms becomes a mention.
    """
    taken = [(m.start, m.end) for m in resolved.mentions]
    found: list[LinkedMention] = list(resolved.mentions)
    counts: Counter[str] = Counter(m.slug for m in resolved.mentions)
    seen: dict[str, set[str]] = {}
    owner: dict[str, str] = {}
    for entity in resolved.entities:
        if entity.label == CONCEPT:
            continue
        forms = {entity.name, *entity.aliases}
        if entity.label == "PERSON" and len(entity.name.split()) > 1:
            forms.add(entity.name.split()[-1])
        for form in forms:
            if form[:1].isupper() and len(form) > 2:
                # a form two entities share belongs to neither
                owner[form] = entity.slug if owner.get(form, entity.slug) == entity.slug else ""
    owner = {form: slug for form, slug in owner.items() if slug}
    if owner:
        longest_first = sorted(owner, key=lambda f: (-len(f), f))
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b")
        for m in pattern.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                slug = owner[m[0]]
                found.append(LinkedMention(m.start(), m.end(), slug))
                taken.append((m.start(), m.end()))
                counts[slug] += 1
                seen.setdefault(slug, set()).add(m[0])
    found.sort(key=lambda m: (m.start, -m.end))
    entities = tuple(
        replace(
            e,
            mentions=counts[e.slug],
            aliases=tuple(sorted(set(e.aliases) | (seen.get(e.slug, set()) - {e.name}))),
        )
        for e in resolved.entities
    )
    return Resolved(entities, tuple(found))
