"""Extraction: from a cleaned transcript to what the notes will say.

    parse -> sponsors -> entities -> topics -> claims -> summary, segments, descriptions

`parse` is the one step that runs spaCy; it returns plain records, and every
later step is a pure function of them, so `assemble` can be tested on
hand-made records and its result can cross process and Dask boundaries.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tubewiki.extract.claims import Candidate, about, best, candidates, distinct, introduces
from tubewiki.extract.describe import descriptions
from tubewiki.extract.entities import LinkedMention, Resolved, resolve
from tubewiki.extract.known import known_mentions, relevant, with_known
from tubewiki.extract.parse import parse, pipe_chunks, title_names
from tubewiki.extract.segments import segments
from tubewiki.extract.spans import SpanSet
from tubewiki.extract.sponsors import SponsorRead, sponsor_reads
from tubewiki.extract.summary import central, summary_size
from tubewiki.extract.topics import CONCEPT, as_entities, topics
from tubewiki.transcript import TimedText
from tubewiki.types import (
    Chapter,
    Claim,
    Entity,
    Extraction,
    KnownEntity,
    Parsed,
    Section,
    SkippedSegment,
)

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["assemble", "extract", "kept_entities", "parse", "pipe_chunks", "title_names"]

WORDS_PER_CLAIM = 150
NOT_PEOPLE = frozenset({CONCEPT, "GPE", "LOC", "FAC", "NORP"})


def extract(
    timed: TimedText,
    video_id: str,
    *,
    known: Sequence[KnownEntity] = (),
    chapters: Sequence[Chapter] = (),
    title: str = "",
    nlp: Language | None = None,
    allowed: Collection[str] | None = None,
) -> Extraction:
    """The whole extraction stage for one video."""
    parsed = parse(timed, nlp=nlp)
    return assemble(
        parsed, timed, video_id, known=known, chapters=chapters, title=title, allowed=allowed
    )


def assemble(
    parsed: Parsed,
    timed: TimedText,
    video_id: str,
    *,
    known: Sequence[KnownEntity] = (),
    chapters: Sequence[Chapter] = (),
    title: str = "",
    allowed: Collection[str] | None = None,
) -> Extraction:
    """Everything after spaCy: pure functions of the parsed records.

    `known` are the vault's entities; only those the text can name are used.
    When `allowed` is given, the video yields only entities with those slugs: what the
    vault learned from all its videos decides which notes exist, so no note
    depends on which video happened to be extracted last.
    """
    read = _read(parsed, timed, known=known, title=title, allowed=allowed)
    resolved, found, duration = read.resolved, read.found, read.duration
    intro = central(found, summary_size(duration / 60))
    sections = _sections(parsed, timed, duration, resolved, found, intro, chapters, read.skip)
    entity_claims: dict[str, tuple[Claim, ...]] = {}
    described: dict[str, tuple[Claim, ...]] = {}
    for entity in resolved.entities:
        own = list(about(found, entity.slug))
        if own:
            entity_claims[entity.slug] = best(own, min(8, 3 + entity.mentions // 10))
            described[entity.slug] = descriptions(list(about(read.every, entity.slug)), entity.slug)
    kept = [e for e in resolved.entities if e.slug in entity_claims]
    by_salience = sorted(kept, key=lambda e: (-e.mentions, e.slug))
    return Extraction(
        video_id=video_id,
        entities=tuple(kept),
        intro=tuple(c.claim for c in intro),
        sections=sections,
        entity_claims=entity_claims,
        words=timed.words,
        descriptions={slug: d for slug, d in described.items() if d},
        topics=tuple(e.slug for e in by_salience if e.label == CONCEPT),
        people=tuple(e.slug for e in by_salience if e.label not in NOT_PEOPLE),
        skipped=tuple(SkippedSegment(r.time, r.brand) for r in read.reads),
    )


def kept_entities(parsed: Parsed, timed: TimedText, *, title: str = "") -> tuple[Entity, ...]:
    """The entities `assemble` keeps for a video on its own (those it says something
    about), without the summary, sections and descriptions it would also rank:
    all a video teaches the vault needs, at about half the cost."""
    read = _read(parsed, timed, known=(), title=title, allowed=None)
    return tuple(e for e in read.resolved.entities if any(about(read.found, e.slug)))


@dataclass(frozen=True, slots=True)
class _Reading:
    """A video's entities and claims, before anything is ranked."""

    resolved: Resolved
    every: list[Candidate]
    found: list[Candidate]
    reads: list[SponsorRead]
    skip: list[tuple[int, int]]
    duration: float


def _read(
    parsed: Parsed,
    timed: TimedText,
    *,
    known: Sequence[KnownEntity],
    title: str,
    allowed: Collection[str] | None,
) -> _Reading:
    known = relevant(known, timed.text)
    said = known_mentions(timed.text, known)
    mentions = with_known(parsed.mentions, said)
    reads = sponsor_reads(timed, title=title)
    skip = [(r.start, r.end) for r in reads]
    named = resolve(
        mentions, timed.text, known=known, sentences=parsed.sentences, title=title, skip=skip
    )
    duration = timed.times[-1] if timed.times else 0.0
    main_topics = topics(
        parsed.terms, named, words=timed.words, skip=skip, limit=topic_count(duration / 60)
    )
    resolved = _combine(named, as_entities(main_topics))
    if allowed is not None:
        resolved = _only(resolved, allowed)
    entities = {e.slug: e for e in resolved.entities}
    linked = SpanSet((m.start, m.end) for m in resolved.mentions)
    passing = [
        LinkedMention(m.start, m.end, m.slug)
        for m in said
        if m.slug not in entities
        and (allowed is None or m.slug in allowed)
        and not linked.overlaps(m.start, m.end)
    ]
    every = distinct(
        candidates(parsed.sentences, resolved.mentions, entities, timed, skip=skip, known=passing)
    )
    found = [c for c in every if not introduces(c)]
    return _Reading(resolved, every, found, reads, skip, duration)


def topic_count(minutes: float) -> int:
    """4 topics for a short video, one more per 10 minutes, at most 10."""
    return max(4, min(10, 3 + round(minutes / 10)))


def _combine(named: Resolved, concepts: Resolved) -> Resolved:
    """Names and topics together; a name wins a slug or a stretch of text they share."""
    taken = {e.slug for e in named.entities}
    extra = [e for e in concepts.entities if e.slug not in taken]
    slugs = {e.slug for e in extra}
    named_spans = SpanSet((m.start, m.end) for m in named.mentions)
    mentions = [*named.mentions]
    mentions += [
        m for m in concepts.mentions if m.slug in slugs and not named_spans.overlaps(m.start, m.end)
    ]
    mentions.sort(key=lambda m: (m.start, -m.end))
    entities: tuple[Entity, ...] = (*named.entities, *extra)
    return Resolved(entities, tuple(mentions))


def _only(resolved: Resolved, slugs: Collection[str]) -> Resolved:
    return Resolved(
        tuple(e for e in resolved.entities if e.slug in slugs),
        tuple(m for m in resolved.mentions if m.slug in slugs),
    )


def _sections(
    parsed: Parsed,
    timed: TimedText,
    duration: float,
    resolved: Resolved,
    found: Sequence[Candidate],
    intro: Sequence[Candidate],
    chapters: Sequence[Chapter],
    skip: Sequence[tuple[int, int]],
) -> tuple[Section, ...]:
    """The video's sections, each with claims in proportion to its length."""
    skipped = SpanSet(skip)
    spoken = [s for s in parsed.sentences if not skipped.overlaps(s.start, s.end)]
    mentions = [m for m in resolved.mentions if not skipped.overlaps(m.start, m.end)]
    parts = segments(
        spoken,
        [timed.time_at(s.start) for s in spoken],
        duration,
        chapters=chapters,
        mentions=mentions,
        names={e.slug: e.name for e in resolved.entities},
        mention_times=[timed.time_at(m.start) for m in mentions],
    )
    budget = max(6, timed.words // WORDS_PER_CLAIM)
    rest = [c for c in found if c not in intro]
    result = []
    for part in parts:
        members = [c for c in rest if part.start <= c.claim.start < part.end]
        share = (min(part.end, duration) - part.start) / duration if duration else 1.0
        if members:
            result.append(
                Section(part.title, part.start, best(members, max(2, round(budget * share))))
            )
    return tuple(result)
