"""The raw transcript cache: what later runs rely on, kept in the vault.

Each video's snippets and metadata are stored as they were fetched or read,
under `VAULT/.tubewiki/transcripts/`, so `rebuild` can re-render the whole
vault after a template or extractor change with no network at all. They are
not written on their own: `state_files` gives their bytes to `pipeline.write`,
which commits them in the same journalled transaction as the notes, so only
what a successful run used is cached.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from tubewiki.errors import StateError, TranscriptFileError, one_line
from tubewiki.journal import state_dir
from tubewiki.limits import check_snippets
from tubewiki.sanitize import safe_meta
from tubewiki.types import Chapter, Snippet, Transcript, TranscriptKind, VideoMeta

CACHE_DIR = "transcripts"


@dataclass(frozen=True, slots=True)
class Source:
    """One video's raw inputs: what was said, and what the video is called."""

    meta: VideoMeta
    transcript: Transcript

    @property
    def transcript_hash(self) -> str:
        return hashlib.sha256(to_json(self).encode()).hexdigest()[:16]


def to_json(source: Source) -> str:
    meta, transcript = source.meta, source.transcript
    data = {
        "video_id": meta.video_id,
        "title": meta.title,
        "channel": meta.channel,
        "channel_id": meta.channel_id,
        "chapters": [[c.start, c.title] for c in meta.chapters],
        "language": transcript.language,
        "kind": str(transcript.kind),
        "snippets": [
            {"text": s.text, "start": s.start, "duration": s.duration} for s in transcript.snippets
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def from_json(text: str) -> Source:
    data = json.loads(text)
    video_id = data["video_id"]
    meta = safe_meta(
        VideoMeta(
            video_id=video_id,
            title=data["title"],
            channel=data["channel"],
            channel_id=data.get("channel_id", ""),
            chapters=tuple(Chapter(float(s), str(t)) for s, t in data.get("chapters", [])),
        )
    )
    snippets = tuple(
        Snippet(str(s["text"]), float(s["start"]), float(s["duration"])) for s in data["snippets"]
    )
    check_snippets(snippets, f"cached transcript of {video_id}")
    kind = TranscriptKind(data.get("kind", "file"))
    return Source(meta, Transcript(video_id, snippets, data.get("language", "en"), kind))


def cache_path(vault: Path, video_id: str) -> Path:
    return state_dir(vault) / CACHE_DIR / f"{video_id}.json"


def state_files(sources: list[Source]) -> dict[str, bytes]:
    """The cached transcripts a run writes with its notes, keyed by path in the state folder."""
    return {f"{CACHE_DIR}/{s.meta.video_id}.json": to_json(s).encode() for s in sources}


def load(vault: Path, video_id: str) -> Source | None:
    path = cache_path(vault, video_id)
    if not path.is_file():
        return None
    try:
        return from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError, OverflowError, TranscriptFileError) as exc:
        raise StateError(
            f"cached transcript '{path}' is corrupt ({one_line(str(exc), 160)}); "
            "delete it and ingest the video again"
        ) from exc


def cached_ids(vault: Path) -> list[str]:
    folder = state_dir(vault) / CACHE_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
