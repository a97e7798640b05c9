"""The vault in memory: every note parsed once, changed in memory, diffed at the end.

A run loads the vault, lets the planner edit `Note` objects, and asks for the
notes whose text changed. Nothing here writes to disk: `journal.commit` does
that, all or nothing, under the vault lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tubewiki.errors import VaultError
from tubewiki.journal import STATE_DIR
from tubewiki.notes import GENERATOR_KEY, Note, dump_note, parse_note
from tubewiki.types import KnownEntity

log = logging.getLogger(__name__)

ENTITY_DIR = "entities"


@dataclass(frozen=True, slots=True)
class NoteChange:
    path: str
    before: str | None  # None: the note is new
    after: str | None  # None: the note is deleted

    @property
    def action(self) -> str:
        if self.after is None:
            return "deleted"
        return "created" if self.before is None else "updated"


class Vault:
    def __init__(self, root: Path, texts: dict[str, str]) -> None:
        self.root = root
        self._texts = texts
        self.notes: dict[str, Note] = {path: parse_note(path, text) for path, text in texts.items()}
        self._touched: set[str] = set()
        self._raw: dict[str, str] = {}

    @classmethod
    def load(cls, root: Path) -> Vault:
        if root.exists() and not root.is_dir():
            raise VaultError(
                f"vault path '{root}' is a file, not a folder; pass a folder with --vault"
            )
        texts: dict[str, str] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*.md")):
                rel = path.relative_to(root).as_posix()
                if rel.startswith(f"{STATE_DIR}/") or not path.is_file():
                    continue
                try:
                    texts[rel] = read_note(path)
                except UnicodeDecodeError as exc:
                    raise VaultError(
                        f"note '{rel}' is not UTF-8 text; convert it or move it out of the vault"
                    ) from exc
        return cls(root, texts)

    # lookups -----------------------------------------------------------------
    def slugs(self) -> set[str]:
        return {note.slug for note in self.notes.values()}

    def by_slug(self, slug: str) -> Note | None:
        return next((n for n in self.notes.values() if n.slug == slug), None)

    def by_kind(self, kind: str) -> list[Note]:
        return [n for n in self.notes.values() if n.kind == kind]

    def video_note(self, video_id: str) -> Note | None:
        return next((n for n in self.by_kind("video") if n.meta.get("videoId") == video_id), None)

    def entity_note(self, slug: str) -> Note | None:
        note = self.notes.get(f"{ENTITY_DIR}/{slug}.md")
        return note if note is not None and note.kind == "entity" else None

    def entity_notes_citing(self, video_id: str) -> list[Note]:
        return [n for n in self.by_kind("entity") if video_id in as_strings(n.meta.get("videos"))]

    def known_entities(self) -> list[KnownEntity]:
        """What the vault teaches the extractor: names and aliases of entity notes."""
        known = []
        for note in sorted(self.by_kind("entity"), key=lambda n: n.path):
            aliases = as_strings(note.meta.get("aliases"))
            known.append(
                KnownEntity(
                    slug=note.slug,
                    name=str(note.meta.get("title", note.slug)),
                    label=str(note.meta.get("type", "ENTITY")),
                    aliases=tuple(aliases),
                    formerly=tuple(as_strings(note.meta.get("formerly"))),
                )
            )
        return known

    def redirect(self, slug: str) -> str | None:
        """The entity note a merged or renamed slug now lives in."""
        for note in self.by_kind("entity"):
            if slug in as_strings(note.meta.get("formerly")):
                return note.slug
        return None

    # edits -------------------------------------------------------------------
    def put(self, note: Note) -> None:
        self.notes[note.path] = note
        self._raw.pop(note.path, None)
        self._touched.add(note.path)

    def delete(self, path: str) -> None:
        self.notes.pop(path, None)
        self._raw.pop(path, None)
        self._touched.add(path)

    def restore(self, path: str, text: str) -> None:
        """Put back exact bytes (for revert), not a re-dump of parsed front matter."""
        self.notes[path] = parse_note(path, text)
        self._raw[path] = text
        self._touched.add(path)

    def original(self, path: str) -> str | None:
        return self._texts.get(path)

    def new_note(self, path: str, kind: str, meta: dict[str, object]) -> Note:
        return Note(path=path, meta={**meta, GENERATOR_KEY: kind}, body="")

    def changes(self) -> list[NoteChange]:
        """Edited notes whose text differs from what is on disk, in path order.

        Notes nobody edited are never re-dumped, so a person's own formatting
        of a note tubewiki did not touch is left exactly as it is.
        """
        result = []
        for path in sorted(self._touched):
            note = self.notes.get(path)
            after = self._raw.get(path) or (dump_note(note) if note is not None else None)
            before = self._texts.get(path)
            if after != before:
                result.append(NoteChange(path, before, after))
        return result


def read_note(path: Path) -> str:
    """A note's exact text: no newline translation, a byte order mark kept."""
    return path.read_bytes().decode("utf-8")


def as_strings(value: object) -> list[str]:
    """A front matter list as strings; a person may have typed one bare value."""
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return [str(value)] if isinstance(value, str | int | float) else []
