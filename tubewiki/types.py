"""Plain data that crosses stage boundaries.

Every stage takes and returns these frozen dataclasses, so results can be
cached as JSON, compared in tests and shipped across process or Dask
boundaries. No spaCy, Prefect or requests object ever appears here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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
class Extraction:
    """Everything extraction learned from one video, ready to plan notes from."""

    video_id: str
    entities: tuple[Entity, ...]
    intro: tuple[Claim, ...]
    sections: tuple[Section, ...]
    entity_claims: dict[str, tuple[Claim, ...]] = field(default_factory=dict)
    words: int = 0
