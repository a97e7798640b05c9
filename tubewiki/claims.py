"""Choose the claims worth a wiki line, and lay them out as a video's sections.

A claim is a declarative, complete sentence from the transcript that says
something checkable: it names an entity, or carries a number or a date.
Sentences are scored on those signals (minus hedges and vague subjects), and
the best are kept per section and per entity, always shown in time order. A
claim's time is the start of the caption snippet it begins in, read from the
`TimedText` map: never estimated.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from tubewiki.entities import LinkedMention, Resolved
from tubewiki.extract import Sentence
from tubewiki.transcript import TimedText
from tubewiki.types import Chapter, Claim, ClaimLink, Extraction, Section

MIN_SCORE = 1.0
MAX_SPONSOR_SNIPPETS = 6
BRAND = re.compile(r"(?:brought to you by|sponsored by)\s+([A-Z][\w.&'-]*)")
# Sponsor reads are not what a video is about: their snippets yield no claims.
SPONSOR = re.compile(
    r"brought to you by|\bsponsor(?:s|ed)?\b|promo code|\buse code\b|"
    r"\b(?:visit|go to|head to|head over to)\s+[\w-]+\.(?:com|ai|io|co|org)\b|"
    r"\b[\w-]+\.(?:com|ai|io|co)/\w+",
    re.IGNORECASE,
)
SEGMENT_SECONDS = 360.0
MAX_SEGMENTS = 8


def select(
    sentences: Sequence[Sentence],
    resolved: Resolved,
    timed: TimedText,
    *,
    video_id: str,
    chapters: Sequence[Chapter] = (),
    intro_size: int = 3,
    per_section: int = 6,
    per_entity: int = 5,
) -> Extraction:
    claims = list(_dedupe(_score(sentences, resolved.mentions, timed)))
    intro = _best(claims, intro_size)
    rest = [c for c in claims if c not in intro]
    names = {e.slug: e.name for e in resolved.entities}
    sections = tuple(
        Section(title, start, _best(members, per_section))
        for title, start, members in _sections(rest, resolved.mentions, timed, chapters, names)
        if members
    )
    entity_claims = {
        e.slug: best
        for e in resolved.entities
        if (best := _best([c for c in claims if e.slug in c.slugs], per_entity))
    }
    return Extraction(
        video_id=video_id,
        entities=tuple(e for e in resolved.entities if e.slug in entity_claims),
        intro=intro,
        sections=sections,
        entity_claims=entity_claims,
        words=timed.words,
    )


def _score(
    sentences: Sequence[Sentence], mentions: Sequence[LinkedMention], timed: TimedText
) -> Iterable[Claim]:
    starts = [m.start for m in mentions]
    sponsored = list(_sponsored(timed))
    for sentence in sentences:
        if not sentence.claim_shaped or any(
            a < sentence.end and sentence.start < b for a, b in sponsored
        ):
            continue
        lo = bisect.bisect_left(starts, sentence.start)
        hi = bisect.bisect_left(starts, sentence.end)
        inside = [m for m in mentions[lo:hi] if m.end <= sentence.end]
        links = tuple(
            ClaimLink(m.start - sentence.start, m.end - sentence.start, m.slug) for m in inside
        )
        score = sentence.base_score + min(3, len({m.slug for m in inside}))
        if any(m.start < sentence.subject_end and sentence.subject_start < m.end for m in inside):
            score += 0.5
        if score >= MIN_SCORE:
            text = sentence.text[:1].upper() + sentence.text[1:]
            yield Claim(text, timed.time_at(sentence.start), round(score, 3), links)


def _sponsored(timed: TimedText) -> Iterable[tuple[int, int]]:
    """Character ranges of the snippets that read an advertisement.

    A read announced with "brought to you by Brand" often goes on for a few
    snippets; those that name the brand again belong to it too.
    """
    bounds = [*timed.offsets, len(timed.text)]
    brand: re.Pattern[str] | None = None
    follow = 0
    for start, end in itertools.pairwise(bounds):
        if SPONSOR.search(timed.text, start, end):
            named = BRAND.search(timed.text, start, end)
            brand = re.compile(rf"\b{re.escape(named[1])}\b") if named else None
            follow = MAX_SPONSOR_SNIPPETS
            yield start, end
        elif brand and follow and brand.search(timed.text, start, end):
            follow -= 1
            yield start, end
        else:
            brand, follow = None, 0


def _dedupe(claims: Iterable[Claim]) -> Iterable[Claim]:
    seen: set[str] = set()
    for claim in claims:
        key = " ".join(claim.text.casefold().split())
        if key not in seen:
            seen.add(key)
            yield claim


def _best(claims: Sequence[Claim], n: int) -> tuple[Claim, ...]:
    """The `n` highest-scoring claims, back in time order."""
    top = sorted(claims, key=lambda c: (-c.score, c.start, c.text))[:n]
    return tuple(sorted(top, key=lambda c: (c.start, c.text)))


def _sections(
    claims: Sequence[Claim],
    mentions: Sequence[LinkedMention],
    timed: TimedText,
    chapters: Sequence[Chapter],
    names: dict[str, str],
) -> Iterable[tuple[str, float, list[Claim]]]:
    """Chapters when the video has them, otherwise even time segments."""
    end = timed.times[-1] if timed.times else 0.0
    if len(chapters) >= 2:
        bounds = [(c.start, c.title) for c in chapters]
    else:
        n = max(1, min(MAX_SEGMENTS, round(end / SEGMENT_SECONDS)))
        bounds = [(end * i / n if i else 0.0, "") for i in range(n)]
    used: set[str] = set()
    for i, (start, title) in enumerate(bounds):
        stop = bounds[i + 1][0] if i + 1 < len(bounds) else float("inf")
        members = [c for c in claims if start <= c.start < stop]
        if not title:
            counts = Counter(
                m.slug
                for m in mentions
                if m.slug in names and start <= timed.time_at(m.start) < stop
            )
            title = _segment_title(counts, names, used, i + 1)
        used.add(title)
        yield title, start, members


def _segment_title(counts: Counter[str], names: dict[str, str], used: set[str], n: int) -> str:
    """Name a segment after its two most mentioned entities, unused as a title yet."""
    ranked = [names[s] for s, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    for i in range(len(ranked)):
        for j in range(i + 1, len(ranked) + 1):
            title = ranked[i] if j == len(ranked) else f"{ranked[i]} and {ranked[j]}"
            if title not in used:
                return title
    return f"Part {n}"
