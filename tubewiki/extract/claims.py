"""Which sentences are claims a reader can take on their own.

A claim is a declarative sentence with a finite verb that says something
about an entity or topic of the video: it links one, or carries a figure. It
must stand alone, so these never are claims: questions, greetings and thanks,
first- and second-person chatter ("I think so"), and sentences whose subject
is a pronoun the reader cannot resolve. A third-person pronoun subject is
resolved only when the sentence before had that entity as its subject (or
introduced that person as its complement), and is then replaced in brackets,
the usual quoting style: "[Elon Musk] bought Twitter". Every other word is the
speaker's own. A claim's time is the start of the caption snippet it begins
in, read from the `TimedText` map: never estimated.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from tubewiki.extract.entities import LinkedMention
from tubewiki.extract.spans import SpanSet
from tubewiki.transcript import TimedText
from tubewiki.types import Claim, ClaimLink, Entity, Sentence

MIN_WORDS = 5
MAX_WORDS = 55
PERSONAL = frozenset({"i", "you", "we", "me", "us", "y'all", "one", "somebody", "someone"})
# A claim opening with one of these leans on something said before it.
DEMONSTRATIVE = frozenset(
    {"this", "that", "these", "those", "which", "what", "who", "here", "here's", "let's"}
    | {"his", "her", "their", "its", "our", "my", "your"}  # possessives
)
RESOLVABLE = {"he": "person", "she": "person", "it": "thing", "they": "group"}
THINGS = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "FAC", "GPE", "LOC"})
NEAR_DUPLICATE = 85


@dataclass(frozen=True, slots=True)
class Candidate:
    """A claim with what summary, sections and descriptions need to know of it."""

    claim: Claim
    sentence: Sentence
    subject_slug: str  # the entity the claim is about grammatically, or ""
    mentions: tuple[LinkedMention, ...] = ()  # offsets into the transcript text


def candidates(
    sentences: Sequence[Sentence],
    mentions: Sequence[LinkedMention],
    entities: Mapping[str, Entity],
    timed: TimedText,
    *,
    skip: Sequence[tuple[int, int]] = (),
    known: Sequence[LinkedMention] = (),
) -> list[Candidate]:
    """Every stand-alone claim of the video, scored, in time order.

    `known` are mentions of notes the vault has for names this video says
    too seldom for a note of its own: a claim links them all the same.
    """
    starts = [m.start for m in mentions]
    known_starts = [m.start for m in known]
    skipped = SpanSet(skip)
    found: list[Candidate] = []
    previous: tuple[str, str] = ("", "")  # (entity of the last subject, person it introduced)
    for sentence in sentences:
        lo = bisect.bisect_left(starts, sentence.start)
        hi = bisect.bisect_left(starts, sentence.end)
        inside = [m for m in mentions[lo:hi] if m.end <= sentence.end and m.slug in entities]
        subject = _mention_at(inside, sentence.subject)
        if not skipped.overlaps(sentence.start, sentence.end):
            lo = bisect.bisect_left(known_starts, sentence.start)
            hi = bisect.bisect_left(known_starts, sentence.end)
            also = [m for m in known[lo:hi] if m.end <= sentence.end]
            made = _claim(sentence, inside, subject, previous, entities, timed, also)
            if made is not None:
                found.append(made)
                subject = made.subject_slug
        previous = (subject, _person_named(inside, sentence, entities))
    return found


def _person_named(
    inside: Sequence[LinkedMention], sentence: Sentence, entities: Mapping[str, Entity]
) -> str:
    """The person this sentence introduces as its complement ("my guest is Rahul Vohra")."""
    introduced = _mention_at(inside, sentence.attribute)
    return introduced if introduced and entities[introduced].label == "PERSON" else ""


def _mention_at(mentions: Sequence[LinkedMention], span: tuple[int, int]) -> str:
    start, end = span
    return next((m.slug for m in mentions if m.start < end and start < m.end), "")


def _claim(
    sentence: Sentence,
    inside: Sequence[LinkedMention],
    subject: str,
    previous: tuple[str, str],
    entities: Mapping[str, Entity],
    timed: TimedText,
    also: Sequence[LinkedMention] = (),
) -> Candidate | None:
    if not _declarative(sentence):
        return None
    word = sentence.subject_word
    text = sentence.text
    links = [ClaimLink(m.start - sentence.start, m.end - sentence.start, m.slug) for m in inside]
    shift = 0
    first = text.split(maxsplit=1)[0].casefold().strip(",")
    if word in PERSONAL or first in DEMONSTRATIVE or first in PERSONAL:
        return None
    if sentence.subject_pos == "PRON" and word in RESOLVABLE:
        referent = _referent(word, previous, entities)
        at = sentence.subject[0] - sentence.start
        if referent is None or at != 0 or sentence.subject[1] - sentence.subject[0] != len(word):
            return None
        shown = f"[{entities[referent].name}]"
        shift = len(shown) - len(word)
        text = shown + text[len(word) :]
        links = [ClaimLink(0, len(shown), referent)] + [
            ClaimLink(link.start + shift, link.end + shift, link.slug) for link in links
        ]
        subject = referent
    elif (sentence.subject_pos == "PRON" and word not in {"there", "it"}) or (
        word in {"there", "it"} and not sentence.figures and not links
    ):
        return None
    if first in RESOLVABLE and not text.startswith("["):
        return None  # "It rolled out, iPhone rolled out": a pronoun that is not the subject
    if not links and not sentence.figures and sentence.subject_pos != "PROPN":
        return None  # about nothing the video names: a name, a topic or a figure
    score = _score(sentence, links, subject)
    text = text[:1].upper() + text[1:]
    passing = [
        ClaimLink(m.start - sentence.start + shift, m.end - sentence.start + shift, m.slug)
        for m in also
    ]  # linked, but the claim must stand without them
    links = sorted([*links, *passing], key=lambda link: link.start)
    claim = Claim(text, timed.time_at(sentence.start), round(score, 3), tuple(links))
    return Candidate(claim, sentence, subject, tuple(inside))


def _declarative(sentence: Sentence) -> bool:
    return (
        MIN_WORDS <= sentence.words <= MAX_WORDS
        and sentence.finite
        and not sentence.question
        and not sentence.greeting
        and bool(sentence.subject_word)
        and sentence.text.rstrip('"')[-1:] in {".", "!"}
        and sentence.text.count('"') % 2 == 0
    )


def _referent(word: str, previous: tuple[str, str], entities: Mapping[str, Entity]) -> str | None:
    """The entity a he/she/it/they subject means, when the sentence before makes it plain."""
    subject, introduced = previous
    kind = RESOLVABLE[word]
    if kind == "person" and introduced:
        return introduced
    if not subject:
        return None
    label = entities[subject].label
    fits = {
        "person": label == "PERSON",
        "thing": label in THINGS,
        "group": label in {"ORG", "NORP"},
    }[kind]
    return subject if fits else None


def _score(sentence: Sentence, links: Sequence[ClaimLink], subject: str) -> float:
    """How much a reader learns: named things, figures, a definition, a concrete subject."""
    score = float(min(3, len({link.slug for link in links})) + min(2, sentence.figures))
    if subject:
        score += 1.0
    if sentence.attribute[1] > sentence.attribute[0] and subject:
        score += 0.5  # "Scrum is a framework for ..."
    if sentence.hedged:
        score -= 1.0
    if 10 <= sentence.words <= 32:
        score += 0.5
    elif sentence.words > 36:
        score -= 0.5
    return score


def introduces(cand: Candidate) -> bool:
    """ "Today my guest is Rahul Vohra": an introduction, which describes but tells nothing."""
    sentence = cand.sentence
    return (
        sentence.attribute[1] > sentence.attribute[0]
        and sentence.subject_pos == "NOUN"
        and any(
            m.start < sentence.attribute[1] and sentence.attribute[0] < m.end for m in cand.mentions
        )
        and not sentence.figures
    )


def distinct(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Drop near-duplicates (rapidfuzz), keeping the better-scored of each pair."""
    kept: list[Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-c.claim.score, c.claim.start)):
        text = cand.claim.text.casefold()
        if all(fuzz.token_set_ratio(text, k.claim.text.casefold()) < NEAR_DUPLICATE for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda c: (c.claim.start, c.sentence.start))


def best(candidates: Sequence[Candidate], n: int) -> tuple[Claim, ...]:
    """The `n` highest-scoring claims, back in time order."""
    top = sorted(candidates, key=lambda c: (-c.claim.score, c.claim.start, c.claim.text))[:n]
    return tuple(c.claim for c in sorted(top, key=lambda c: (c.claim.start, c.sentence.start)))


def about(candidates: Sequence[Candidate], slug: str) -> Iterator[Candidate]:
    return (c for c in candidates if slug in c.claim.slugs)
