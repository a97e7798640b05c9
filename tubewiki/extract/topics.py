"""The main topics of a video: key terms a general reader would look up.

The key-term extractor (YAKE, `tubewiki.extract.yake`, run in `parse`) ranks
candidate phrases; this module decides which are topics. A topic is said often in this
video and rarely in general English: its rate here against its frequency in
wordfreq's general-English lists (keyness) must be high. So "matrices" in a
linear algebra video is a topic and "team member" never is. A phrase led by
a common evaluative or superlative adjective ("biggest mistake", "total
number") is an opinion, not a concept, and a phrase cut out of a hyphenated
compound ("day class" from "two-day class") is a fragment. Plural and
singular, and case, fold together because keys are lemmas; an abbreviation
folds into the phrase it abbreviates when the video spells it out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tubewiki.extract.entities import LinkedMention, Resolved
from tubewiki.extract.spans import SpanSet
from tubewiki.extract.words import everyday, zipf_frequency
from tubewiki.slugs import slugify
from tubewiki.types import Entity, KeyTerm

CONCEPT = "CONCEPT"
MIN_KEYNESS = 2.5  # log10 of (rate in the video / rate in general English)
PHRASE_DISCOUNT = 1.0  # a phrase of n words is about 10^-(n-1) as common as its rarest word


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    name: str
    hits: tuple[tuple[int, int, str], ...]
    keyness: float


def topics(
    terms: Sequence[KeyTerm],
    resolved: Resolved,
    *,
    words: int,
    skip: Sequence[tuple[int, int]] = (),
    limit: int = 6,
    min_count: int = 3,
) -> list[Topic]:
    """The video's main topics, best first, none that an entity already covers."""
    taken = {form.casefold() for e in resolved.entities for form in (e.name, *e.aliases)}
    linked = SpanSet((m.start, m.end) for m in resolved.mentions)
    skipped = SpanSet(skip)
    found: list[Topic] = []
    for term in _folded(terms):
        hits = [
            (h.start, h.end, h.surface)
            for h in term.hits
            if not h.after_hyphen and not skipped.overlaps(h.start, h.end)
        ]
        if len(hits) < min_count or not _concept_shaped(term):
            continue
        surfaces = Counter(s for _, _, s in hits)
        if term.key in taken or any(s.casefold() in taken for s in surfaces):
            continue
        if _name_like(surfaces) or any(linked.overlaps(s, e) for s, e, _ in hits):
            continue  # a name: the entity resolver owns it
        keyness = _keyness(surfaces, len(hits), words)
        if keyness < MIN_KEYNESS:
            continue
        if any(term.key in t.key.split(" ") or _contains(t.key, term.key) for t in found):
            continue  # "group" under "permutation group": the longer term says more
        name = _display(surfaces, term.key)
        if any(slugify(t.name) == slugify(name) for t in found):
            continue  # "datum" and "data", two lemmas of one word
        found.append(Topic(term.key, name, tuple(hits), keyness))
    found.sort(key=lambda t: (-t.keyness * math.log(1 + len(t.hits)), t.key))
    return found[:limit]


def as_entities(found: Iterable[Topic]) -> Resolved:
    """Topics as concept entities, with their mentions, to link like any entity."""
    entities = []
    mentions: list[LinkedMention] = []
    for topic in found:
        slug = slugify(topic.name)
        if not slug:
            continue
        forms = {s.casefold(): s for s in sorted({s for _, _, s in topic.hits}, reverse=True)}
        forms.pop(topic.name.casefold(), None)
        aliases = sorted(forms.values(), key=str.casefold)
        entities.append(Entity(slug, topic.name, CONCEPT, tuple(aliases), len(topic.hits)))
        mentions.extend(LinkedMention(s, e, slug) for s, e, _ in topic.hits)
    mentions.sort(key=lambda m: (m.start, -m.end))
    return Resolved(tuple(entities), tuple(mentions))


def _folded(terms: Sequence[KeyTerm]) -> list[KeyTerm]:
    """Fold an abbreviation into the phrase it stands for ("sdk" -> "software development kit")."""
    by_key = {t.key: t for t in terms}
    absorbed: set[str] = set()
    result = []
    for term in terms:
        short = by_key.get(_initials(term.key)) if " " in term.key else None
        if short is not None:
            hits = (*term.hits, *short.hits)
            term = KeyTerm(
                term.key, min(term.rank, short.rank), hits, term.first_pos, term.first_tag
            )
            absorbed.add(short.key)
        result.append(term)
    return sorted((t for t in result if t.key not in absorbed), key=lambda t: t.rank)


def _initials(key: str) -> str:
    return "".join(w[0] for w in key.split())


def _concept_shaped(term: KeyTerm) -> bool:
    """A noun phrase not led by an opinion ("biggest", "total", "different")."""
    words = term.key.split()
    if not all(w.isalpha() and len(w) > 1 for w in words):
        return False
    if term.first_pos not in {"NOUN", "PROPN", "ADJ"}:
        return False
    if term.first_pos == "ADJ" and (term.first_tag in {"JJS", "JJR"} or everyday(words[0])):
        return False
    return len(words) > 1 or term.first_pos != "ADJ"


def _name_like(surfaces: Counter[str]) -> bool:
    """Capitalised in most places it is said: a name, which the entity resolver owns."""
    capital = sum(n for s, n in surfaces.items() if s[:1].isupper())
    return capital * 3 > 2 * sum(surfaces.values())


def _keyness(surfaces: Counter[str], count: int, words: int) -> float:
    """log10 of how much more often the video says it than English does."""
    said = max(surfaces, key=lambda s: (surfaces[s], s)).casefold()
    zipf = zipf_frequency(said, "en")
    size = len(said.split())
    rate_general = 10 ** (zipf - 9 - PHRASE_DISCOUNT * (size - 1)) if zipf else 1e-9
    return math.log10(count / max(words, 1)) - math.log10(rate_general)


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "


def _display(surfaces: Counter[str], key: str) -> str:
    """The title: the dictionary form when it is said ("Neuron", not "Neurons"),
    else the form said most, with a capital first letter."""
    said = [s for s in surfaces if s.casefold() == key] or list(surfaces)
    form = max(said, key=lambda s: (surfaces[s], s.islower(), s))
    return form[:1].upper() + form[1:]
