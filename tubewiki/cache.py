"""The raw transcript cache and learned names: what later runs rely on, kept in the vault.

Each video's snippets and metadata are stored as they were fetched or read,
under `VAULT/.tubewiki/transcripts/`, so `rebuild` can re-render the whole
vault after a template or extractor change with no network at all; the names
each video taught the vault are under `.tubewiki/learned/`. Neither is
written on its own: `state_files` gives their bytes to `pipeline.write`,
which commits them in the same journalled transaction as the notes, so only
what a successful run used is cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tubewiki.errors import StateError, TranscriptFileError, one_line
from tubewiki.journal import state_dir
from tubewiki.limits import check_snippets
from tubewiki.sanitize import safe_meta
from tubewiki.types import Chapter, Snippet, Transcript, TranscriptKind, VideoMeta

CACHE_DIR = "transcripts"
LEARNED_DIR = "learned"


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


def state_files(
    vault: Path, sources: list[Source], learned: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, bytes]:
    """The state files a run writes with its notes, keyed by path in the state folder."""
    files = {f"{CACHE_DIR}/{s.meta.video_id}.json": to_json(s).encode() for s in sources}
    files.update(_learned_files(vault, learned))
    return files


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


def _learned_files(vault: Path, learned: Mapping[str, Mapping[str, list[str]]]) -> dict[str, bytes]:
    """Record the names each video taught the vault, and in which run it first did.

    Videos first written by the same run share a sequence number, so none of
    them counts as having known another's names: a backfill gives the same
    notes however it is ordered or repeated.

    A record only grows: a name a video once taught stays its own even if a
    later extractor drops it, or it would pass for a name a person added.
    """
    known = load_learned(vault)
    seq = 1 + max((v.seq for v in known.values()), default=0)
    files: dict[str, bytes] = {}
    for video_id, forms in learned.items():
        old = known.get(video_id)
        before = old.forms if old else {}
        merged = {
            slug: sorted(set(before.get(slug, ())) | set(forms.get(slug, ())))
            for slug in sorted(set(before) | set(forms))
        }
        data = {"seq": old.seq if old else seq, "forms": merged}
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        files[f"{LEARNED_DIR}/{video_id}.json"] = text.encode()
    return files


@dataclass(frozen=True, slots=True)
class Learned:
    seq: int  # the order in which videos first taught the vault
    forms: dict[str, list[str]]


def load_learned(vault: Path) -> dict[str, Learned]:
    folder = state_dir(vault) / LEARNED_DIR
    learned: dict[str, Learned] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            learned[path.stem] = Learned(int(data["seq"]), dict(data["forms"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(
                f"'{path}' is corrupt ({exc}); delete it and run `tubewiki rebuild`"
            ) from exc
    return learned
