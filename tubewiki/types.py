"""Plain data that crosses stage boundaries.

Every stage takes and returns these frozen dataclasses, so results can be
cached as JSON, compared in tests and shipped across process or Dask
boundaries. No spaCy, Prefect or requests object ever appears here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class TranscriptKind(StrEnum):
    MANUAL = "manual"
    GENERATED = "generated"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Snippet:
    """One caption cue: text spoken from `start` for `duration` seconds."""

    text: str
    start: float
    duration: float


@dataclass(frozen=True, slots=True)
class Chapter:
    start: float
    title: str


@dataclass(frozen=True, slots=True)
class VideoMeta:
    video_id: str
    title: str
    channel: str
    channel_id: str = ""
    chapters: tuple[Chapter, ...] = ()


@dataclass(frozen=True, slots=True)
class Transcript:
    video_id: str
    snippets: tuple[Snippet, ...]
    language: str = "en"
    kind: TranscriptKind = TranscriptKind.FILE

    @property
    def end(self) -> float:
        last = self.snippets[-1]
        return last.start + last.duration


class KnownEntity(NamedTuple):
    """An entity note already in the vault: the extractor learns its names.

    A named tuple, not a dataclass: a 10,000-note vault makes 10,000 of them a run,
    and a tuple is built, compared and pickled at C speed."""

    slug: str
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    formerly: tuple[str, ...] = ()  # slugs merged or renamed into this note


@dataclass(frozen=True, slots=True)
class RawMention:
    """A named-entity hit of the NER model or the vault's ruler, as text offsets."""

    start: int
    end: int
    text: str
    label: str
    slug: str = ""  # set when the vault's entity ruler recognised it


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with the grammatical features claim selection needs.

    Offsets are characters of `TimedText.text`; `start` is past any opening
    discourse markers ("So, yeah,"), so `text` is what a claim would quote.
    `subject` is the span of the grammatical subject's head word ("Musk" in
    "Elon Musk bought"), `subject_word` that word in lower case. `attribute`
    is the complement of a copular sentence ("Scrum is [a framework ...]").
    `appositions` pairs a name with the appositive that describes it
    ("Melissa Perri, [the CEO of Produx Labs]").
    """

    start: int
    end: int
    text: str
    words: int
    question: bool
    finite: bool
    greeting: bool
    hedged: bool
    figures: int
    subject: tuple[int, int] = (0, 0)
    subject_word: str = ""
    subject_pos: str = ""
    attribute: tuple[int, int] = (0, 0)
    appositions: tuple[tuple[int, int, int, int], ...] = ()
    lemmas: tuple[str, ...] = ()  # content lemmas, for centrality and topic shifts


@dataclass(frozen=True, slots=True)
class TermHit:
    """One occurrence of a key term: offsets and the words as spoken."""

    start: int
    end: int
    surface: str
    after_hyphen: bool = False


@dataclass(frozen=True, slots=True)
class KeyTerm:
    """A candidate topic from the key-term extractor, with every occurrence."""

    key: str  # the lemmas, lower case, space-joined
    rank: int  # 0 is the extractor's best
    hits: tuple[TermHit, ...]
    first_pos: str  # part of speech of the first word ("ADJ", "NOUN", ...)
    first_tag: str  # its fine tag ("JJS" for "biggest")


@dataclass(frozen=True, slots=True)
class Parsed:
    """All that extraction needs from spaCy, as plain data."""

    sentences: tuple[Sentence, ...]
    mentions: tuple[RawMention, ...]
    terms: tuple[KeyTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    slug: str
    name: str
    label: str
    aliases: tuple[str, ...]
    mentions: int


@dataclass(frozen=True, slots=True)
class ClaimLink:
    """An entity mention inside a claim, as character offsets into the claim text."""

    start: int
    end: int
    slug: str


@dataclass(frozen=True, slots=True)
class Claim:
    text: str
    start: float
    score: float
    links: tuple[ClaimLink, ...] = ()

    @property
    def slugs(self) -> frozenset[str]:
        return frozenset(link.slug for link in self.links)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    start: float
    claims: tuple[Claim, ...]


@dataclass(frozen=True, slots=True)
class SkippedSegment:
    """A sponsor read left out of the notes: where it starts and whom it advertises."""

    start: float
    brand: str


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything extraction learned from one video, ready to plan notes from.

    `intro` is the video's summary. `topics` and `people` are slugs of
    `entities`, for the lines under it. `descriptions` holds, per entity slug,
    the sentences that say what the entity is.
    """

    video_id: str
    entities: tuple[Entity, ...]
    intro: tuple[Claim, ...]
    sections: tuple[Section, ...]
    entity_claims: dict[str, tuple[Claim, ...]] = field(default_factory=dict)
    words: int = 0
    descriptions: dict[str, tuple[Claim, ...]] = field(default_factory=dict)
    topics: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    skipped: tuple[SkippedSegment, ...] = ()
