"""A note as front matter plus body, read and written byte-for-byte stably.

python-frontmatter does the splitting and YAML; this module fixes the dump
settings (key order kept, no line folding) so that writing the same note twice
gives the same bytes, and turns an unreadable note into a `NoteError` that
names the file instead of silently replacing it.

Notes saved by other editors may start with a UTF-8 byte order mark or use
CRLF line ends. Both are taken off before parsing (so front matter behind a
BOM is found) and put back when the note is written, so a person's bytes
outside tubewiki's markers stay exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import frontmatter
import yaml

from tubewiki.errors import NoteError

GENERATOR_KEY = "tubewiki"  # front matter key marking a note tubewiki manages, and its kind
BOM = "\ufeff"


@dataclass(slots=True)
class Note:
    path: str  # vault-relative POSIX path
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    bom: bool = False  # the file started with a UTF-8 byte order mark
    crlf: bool = False  # the file's lines end in CRLF
    tail: str = "\n"  # the whitespace that ends the file, kept as the person left it
    _reader: Callable[[str], Note] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # The file name without ".md", asked for several times a note a run: kept, not cut again.
    slug: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.slug = slug_of(self.path)

    @classmethod
    def unread(cls, path: str, meta: dict[str, Any], reader: Callable[[str], Note]) -> Note:
        """A note whose front matter is known and whose body `reader` reads (given the
        path) when first asked for: a run touches a few notes of a big vault, and reads
        only those."""
        note = object.__new__(cls)
        note.path, note.meta, note._reader, note.slug = path, meta, reader, slug_of(path)
        return note

    if not TYPE_CHECKING:  # to the type checker, every field is always there

        def __getattr__(self, name: str) -> Any:
            """An unread note's body (and its BOM, line ends and tail) on first use."""
            reader = object.__getattribute__(self, "_reader")
            if name not in _READ_LATER or reader is None:
                raise AttributeError(name)
            read = reader(self.path)
            self._reader = None
            for field_name in _READ_LATER:  # what was set meanwhile is newer than the file
                try:
                    object.__getattribute__(self, field_name)
                except AttributeError:
                    object.__setattr__(self, field_name, getattr(read, field_name))
            return object.__getattribute__(self, name)

    @property
    def kind(self) -> str:
        return str(self.meta.get(GENERATOR_KEY, ""))


_READ_LATER = frozenset({"body", "bom", "crlf", "tail"})


def index_keys(meta: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """What a vault looks a note up by, as the note index keeps it beside the front
    matter: its kind, its video id (a video note's), and an entity note's `formerly`
    and `videos` lists as JSON (None when empty), so a load finds them undecoded."""
    kind = str(meta.get(GENERATOR_KEY, ""))
    if kind == "video":
        return kind, str(meta.get("videoId", "")), None, None
    if kind != "entity":
        return kind, "", None, None
    return kind, "", _json_or_none(listed(meta, "formerly")), _json_or_none(listed(meta, "videos"))


def listed(meta: dict[str, Any], key: str) -> tuple[str, ...]:
    """A front matter list's distinct values as strings, in their order: what a vault
    indexes an entity note under (its `formerly`, its `videos`)."""
    return tuple(dict.fromkeys(as_strings(meta.get(key))))


def _json_or_none(values: tuple[str, ...]) -> str | None:
    return json.dumps(values, ensure_ascii=False) if values else None


def as_strings(value: object) -> list[str]:
    """A front matter list as strings; a person may have typed one bare value."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, _SCALARS)]
    return [str(value)] if isinstance(value, _SCALARS) else []


_SCALARS = (str, int, float)  # a tuple: `isinstance` takes it faster than a union


def slug_of(path: str) -> str:
    """A note's slug: its file name without ".md"."""
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def parse_note(path: str, text: str) -> Note:
    """Raise `NoteError` rather than guess at a note whose front matter is broken."""
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    crlf = "\r\n" in text and "\n" not in text.replace("\r\n", "")
    if crlf:
        text = text.replace("\r\n", "\n")
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise NoteError(
            f"note {path!r} has front matter that is not valid YAML{where}: "
            "fix it or move the note out of the vault, then run again"
        ) from exc
    if text.lstrip().startswith("---") and not meta and "\n---" not in text[3:]:
        raise NoteError(
            f"note {path!r} opens a front matter block that never closes: "
            "add the closing '---' line or move the note out of the vault"
        )
    tail = text[len(text.rstrip()) :] if body else "\n"
    return Note(path=path, meta=dict(meta), body=body, bom=bom, crlf=crlf, tail=tail)


def dump_note(note: Note) -> str:
    head = yaml.safe_dump(
        note.meta, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000
    )
    text = f"---\n{head}---\n\n{note.body.strip()}{note.tail}"
    if note.crlf:
        text = text.replace("\n", "\r\n")
    return BOM + text if note.bom else text
