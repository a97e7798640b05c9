"""One video on its own: its parse, cached, and the names it teaches the vault.

spaCy is nearly all of an ingest's cost, and its output depends on the
cleaned transcript alone (known names are matched afterwards, in
`tubewiki.extract.known`). So a parse is cached under the state folder, keyed
by the text, the model and the parser's code, and a video that teaches the
vault a name re-extracts the older videos that say it in a fraction of a
second each. The cache is derived data: a damaged or missing file is parsed
again, and nothing else is lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from tubewiki.cache import Source
from tubewiki.extract import assemble, kept_entities, parse, title_names
from tubewiki.extract.entities import learnable_forms
from tubewiki.extract.known import relevant, squeeze
from tubewiki.journal import state_dir
from tubewiki.lexicon import Taught, taught
from tubewiki.nlp import model_name
from tubewiki.said import SAID_DIR
from tubewiki.transcript import TimedText, needs_repair, timed_text
from tubewiki.types import Extraction, KnownEntity, Parsed, TranscriptKind

log = logging.getLogger(__name__)

PARSED_DIR = "parsed"
LEARNED_DIR = "learned"
_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Study:
    """What a video teaches on its own, and the text a later name is looked for in."""

    video_id: str
    source_hash: str
    version: str
    taught: tuple[Taught, ...]
    said: str  # the transcript in lower case without spaces (`squeeze`)


@cache
def extractor_version() -> str:
    """Changes whenever the code or model that turns a transcript into entities does."""
    files = sorted([*(_PACKAGE / "extract").glob("*.py"), _PACKAGE / "transcript.py"])
    digest = hashlib.sha256(model_name().encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _parser_version() -> str:
    """The parse cache's key: `parse`, the key-term ranking it runs, spaCy and the model."""
    import spacy

    code = b"".join((_PACKAGE / "extract" / name).read_bytes() for name in ("parse.py", "yake.py"))
    return hashlib.sha256(code + f"{model_name()} {spacy.__version__}".encode()).hexdigest()


def timed_for(source: Source, known: Sequence[KnownEntity] = ()) -> TimedText:
    """The cleaned text; lowercase auto-captions get the case of their names back first
    (the title's, and the known ones they can say), which nothing else needs."""
    transcript = source.transcript
    if transcript.kind is not TranscriptKind.GENERATED and not needs_repair(transcript.snippets):
        return timed_text(transcript)
    said = relevant(known, " ".join(s.text for s in transcript.snippets))
    mended = {*(f for k in said for f in learnable_forms(k)), *title_names(source.meta.title)}
    return timed_text(transcript, names=sorted(mended))


def parsed(vault: Path, timed: TimedText) -> Parsed:
    """spaCy's reading of `timed`, from the cache when it holds one."""
    key = hashlib.sha256((_parser_version() + "\n" + timed.text).encode()).hexdigest()[:32]
    path = state_dir(vault) / PARSED_DIR / f"{key}.pickle.z"
    try:
        found = pickle.loads(zlib.decompress(path.read_bytes()))
        if isinstance(found, Parsed):
            os.utime(path)  # in use: `prune` keeps it
            return found
    except FileNotFoundError:
        pass
    except Exception:  # a damaged cache entry is parsed again: it is only a cache
        log.warning("parse cache entry %s is unreadable; parsing again", path, exc_info=True)
    result = parse(timed)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(zlib.compress(pickle.dumps(result, protocol=5), 6))
        os.replace(tmp, path)
    except OSError:  # a full disk, say: the run goes on without caching, and says why
        log.warning("could not cache the parse at %s", path, exc_info=True)
        with contextlib.suppress(OSError):
            tmp.unlink()
    return result


def prune(vault: Path, unused_since: float) -> int:
    """Delete the parses no run has used since `unused_since` (a rebuild uses all that
    are still needed); returns how many went."""
    gone = 0
    for path in (state_dir(vault) / PARSED_DIR).glob("*.pickle.z"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < unused_since:
                path.unlink()
                gone += 1
    return gone


def study(vault: Path, source: Source) -> Study:
    """The entities `source` yields knowing nothing of the vault: what it teaches."""
    meta = source.meta
    timed = timed_for(source)
    entities = kept_entities(parsed(vault, timed), timed, title=meta.title)
    return Study(
        meta.video_id,
        source.transcript_hash,
        extractor_version(),
        taught(entities),
        squeeze(timed.text),
    )


def extract_known(
    vault: Path, source: Source, known: Sequence[KnownEntity], allowed: Collection[str]
) -> Extraction:
    """The video's extraction against the vault's whole lexicon."""
    meta = source.meta
    timed = timed_for(source, known)
    return assemble(
        parsed(vault, timed),
        timed,
        meta.video_id,
        known=known,
        chapters=meta.chapters,
        title=meta.title,
        allowed=allowed,
    )


# --- kept with the notes ----------------------------------------------------------


def state_files(studies: Iterable[Study]) -> dict[str, bytes]:
    """Each study's record and text, for the run's journalled commit."""
    files: dict[str, bytes] = {}
    for item in studies:
        record = {
            "version": item.version,
            "source": item.source_hash,
            "taught": [asdict(t) for t in item.taught],
        }
        text = json.dumps(record, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
        files[f"{LEARNED_DIR}/{item.video_id}.json"] = text.encode()
        files[f"{SAID_DIR}/{item.video_id}.json"] = json.dumps(item.said).encode()
    return files


def load_taught(vault: Path, video_id: str) -> tuple[Taught, ...] | None:
    """A video's stored record, or None when missing, damaged or made by other code."""
    path = state_dir(vault) / LEARNED_DIR / f"{video_id}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["version"] != extractor_version():
            return None
        return tuple(
            Taught(t["slug"], t["name"], t["label"], tuple(t["forms"]), int(t["mentions"]))
            for t in record["taught"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
