"""The vault in memory: every note's front matter, changed in memory, diffed at the end.

A run loads the vault, lets the planner edit `Note` objects, and asks for the
notes whose text changed. A note is made from its note index row only when
the run first asks for it, and its body is read from disk only when the run
first reads that (see `note_index`). Nothing here writes to disk:
`journal.commit` does that, all or nothing, under the vault lock.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tubewiki.errors import VaultError
from tubewiki.journal import STATE_DIR
from tubewiki.note_index import (
    FrontMatterIndex,
    Row,
    Split,
    Stamp,
    decoded,
    read_note,
    split_note,
    stamp_of,
)
from tubewiki.notes import (
    GENERATOR_KEY,
    Note,
    as_strings,
    dump_note,
    listed,
    parse_note,
    slug_of,
)
from tubewiki.types import KnownEntity

if TYPE_CHECKING:
    from tubewiki.ahead import Ahead

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
    """Notes by path, with each kind's notes, each video's note and the entity notes
    citing each video also kept by key.

    The indexes follow every `put`, `delete` and `restore`. The kind and video
    indexes keep the notes in the same order as `notes`, so a lookup gives what
    a scan of `notes` would, at 10,000 notes as at ten; the citing one gives
    them by path. A loaded note the index vouched for is indexed by its row's
    keys, and made a `Note` only when asked for.
    """

    def __init__(
        self,
        root: Path,
        texts: dict[str, str] | Originals,
        notes: Mapping[str, Note | Row] | None = None,
    ) -> None:
        """`notes` are `texts` parsed, or their index rows (`load` gives them); parsed
        here when not given."""
        self.root = root
        self._texts = texts if isinstance(texts, Originals) else Originals(root, texts)
        if notes is None:
            notes = {path: parse_note(path, text) for path, text in self._texts.read.items()}
        self.notes = NoteMap(dict(notes), self._texts.note)
        self.stamps: dict[str, Stamp] = {}  # each Markdown file's stat as `load` found it
        self._touched: set[str] = set()
        self._raw: dict[str, str] = {}
        self._kinds: dict[str, dict[str, None]] = {}  # kind -> paths, in `notes` order
        self._formerly = ListIndex("formerly")  # old slug -> entity notes listing it
        self._slugs: dict[str, dict[str, None]] = {}  # slug -> paths, in `notes` order
        self._videos: dict[str, dict[str, None]] = {}  # video id -> video note paths
        self._keys: dict[str, tuple[str, str, str]] = {}  # path -> (kind, slug, video id)
        # video id -> entity notes citing it, built at the first lookup rather than here:
        # a run of one video asks only a few times, and a load asks never.
        self._citing: ListIndex | None = None
        self._front_matter: FrontMatterIndex | None = None  # what `load` read the notes from
        for path, item in notes.items():  # nothing indexed yet: nothing to take out
            if isinstance(item, Note):
                kind, video_id = item.kind, _video_id(item)
                if kind == "entity" and "formerly" in item.meta:  # few notes were renamed
                    self._formerly.follow(path, item)
            else:
                kind, video_id, formerly = item[3], item[4], item[5]
                if formerly is not None:
                    self._formerly.add(path, tuple(json.loads(formerly)))
            self._kinds.setdefault(kind, {})[path] = None
            self._add_keys(path, kind, video_id)

    @classmethod
    def load(cls, root: Path, ahead: Ahead | None = None) -> Vault:
        """The vault's notes; `ahead` is its stamps and note index, read earlier and
        still true of it (`tubewiki.ahead.take`)."""
        if root.exists() and not root.is_dir():
            raise VaultError(
                f"vault path '{root}' is a file, not a folder; pass a folder with --vault"
            )
        originals = Originals(root, {})
        stamps, index = (ahead.stamps, ahead.index) if ahead is not None else first_reads(root)
        rows = index.unchanged(stamps)
        notes: dict[str, Note | Row] = {}
        for rel, stamp in stamps.items():
            row = rows.get(rel)
            if row is not None:
                notes[rel] = row
            else:
                text, split = originals.read_now(rel, stamp)
                notes[rel] = index.parse(rel, text, split, stamp)
        originals.expect({rel: stamps[rel] for rel in rows})
        index.save()
        loaded = cls(root, originals, notes)
        loaded.stamps = stamps
        loaded._front_matter = index
        return loaded

    @property
    def generation(self) -> str | None:
        """The note index generation these notes were loaded at, if known for sure."""
        return self._front_matter.generation if self._front_matter is not None else None

    def changed_since(self, generation: str) -> set[str] | None:
        """The notes whose front matter may differ from what an earlier load found at
        `generation`, or vanished since; None when that cannot be told."""
        if self._front_matter is None:
            return None
        return self._front_matter.changed_since(generation)

    # lookups -----------------------------------------------------------------
    def slugs(self) -> set[str]:
        return set(self._slugs)

    def has_slug(self, slug: str) -> bool:
        return slug in self._slugs

    def by_slug(self, slug: str) -> Note | None:
        return self._first(self._slugs.get(slug))

    def by_kind(self, kind: str) -> list[Note]:
        return [self.notes[path] for path in self._kinds.get(kind, {})]

    def slugs_of(self, kind: str, besides: Container[str] = ()) -> set[str]:
        """The slugs of a kind's notes, but those at the paths `besides`, without
        making the notes."""
        keys = self._keys
        return {keys[path][1] for path in self._kinds.get(kind, {}) if path not in besides}

    def video_note(self, video_id: str) -> Note | None:
        return self._first(self._videos.get(video_id))

    def _first(self, paths: dict[str, None] | None) -> Note | None:
        """Of the notes sharing a key, the first in `notes`, as a scan would find."""
        if not paths:
            return None
        if len(paths) == 1:
            return self.notes[next(iter(paths))]
        order = {path: i for i, path in enumerate(self.notes)}  # rare: a duplicated key
        return self.notes[min(paths, key=order.__getitem__)]

    def entity_note(self, slug: str) -> Note | None:
        path = f"{ENTITY_DIR}/{slug}.md"
        return self.notes[path] if path in self._kinds.get("entity", {}) else None

    def entity_notes_citing(self, video_id: str) -> list[Note]:
        """The entity notes whose `videos` list it (as of their last `put`), by path."""
        return [self.notes[path] for path in sorted(self._citing_index().get(video_id))]

    def notes_of(self, video_ids: Iterable[str]) -> dict[str, set[str]]:
        """Each video's notes: its video note, its channel's, and the entity notes citing it."""
        citing = self._citing_index()
        found = {video_id: set(citing.get(video_id)) for video_id in video_ids}
        for video_id, paths in found.items():
            video = self.video_note(video_id)
            if video is None:
                continue
            paths.add(video.path)
            channel = self.by_slug(str(video.meta.get("channel", "")))
            if channel is not None and channel.kind == "channel":
                paths.add(channel.path)
        return found

    def known_entities(self) -> list[KnownEntity]:
        """What the vault teaches the extractor: names and aliases of entity notes,
        in path order."""
        return [_known(self.notes[path]) for path in sorted(self._kinds.get("entity", {}))]

    def known_entity(self, slug: str) -> KnownEntity | None:
        """The entity note with this slug as `known_entities` has it; of two, the last."""
        entities = self._kinds.get("entity", {})
        paths = [p for p in self._slugs.get(slug, ()) if p in entities]
        return _known(self.notes[max(paths)]) if paths else None

    def claimed(self, slug: str) -> bool:
        """Whether an entity note lists the slug as `formerly` (as of its last `put`)."""
        return bool(self._formerly.get(slug))

    def claims(self) -> dict[str, set[str]]:
        """Each slug listed as `formerly`, with the entity notes listing it (by slug)."""
        return {value: {slug_of(p) for p in paths} for value, paths in self._formerly.items()}

    def redirect(self, slug: str) -> str | None:
        """The entity note a merged or renamed slug now lives in (as of its last `put`)."""
        paths = [
            p
            for p in self._formerly.get(slug)
            if slug in as_strings(self.notes[p].meta.get("formerly"))
        ]
        if len(paths) > 1:  # two notes claim it: the first in `notes` order, as ever
            return next(n.slug for n in self.by_kind("entity") if n.path in paths)
        return self.notes[paths[0]].slug if paths else None

    # edits -------------------------------------------------------------------
    def put(self, note: Note) -> None:
        self._set(note)
        self._raw.pop(note.path, None)
        self._touched.add(note.path)

    def delete(self, path: str) -> None:
        if path in self.notes:
            del self.notes[path]
            self._kinds[self._keys[path][0]].pop(path, None)
        self._formerly.follow(path, None)
        if self._citing is not None:
            self._citing.follow(path, None)
        self._index_keys(path, None)
        self._raw.pop(path, None)
        self._touched.add(path)

    def restore(self, path: str, text: str) -> None:
        """Put back exact bytes (for revert), not a re-dump of parsed front matter."""
        self._set(parse_note(path, text))
        self._raw[path] = text
        self._touched.add(path)

    def _set(self, note: Note) -> None:
        path, kind = note.path, note.kind
        old = self._keys.get(path)
        self.notes[path] = note
        self._index_keys(path, note)
        if old is not None and old[0] != kind:  # rare: rebuild, keeping `notes` order
            self._kinds = {}
            for each in self.notes:
                self._kinds.setdefault(self._keys[each][0], {})[each] = None
        else:
            self._kinds.setdefault(kind, {})[path] = None
        self._formerly.follow(path, note)
        if self._citing is not None:  # else built from the notes as they are, when asked
            self._citing.follow(path, note)

    def _citing_index(self) -> ListIndex:
        if self._citing is None:
            self._citing = ListIndex("videos")
            stored = self.notes.stored
            for path in self._kinds.get("entity", {}):
                item = stored[path]
                if isinstance(item, Note):  # made: as it is now
                    self._citing.follow(path, item)
                elif item[6] is not None:  # not in a note a person made
                    self._citing.add(path, tuple(json.loads(item[6])))
        return self._citing

    def _index_keys(self, path: str, note: Note | None) -> None:
        _, slug, video_id = self._keys.pop(path, ("", "", ""))
        for index, key in ((self._slugs, slug), (self._videos, video_id)):
            if key:
                index[key].pop(path, None)
                if not index[key]:
                    del index[key]
        if note is not None:
            self._add_keys(path, note.kind, _video_id(note))

    def _add_keys(self, path: str, kind: str, video_id: str) -> None:
        slug = slug_of(path)
        self._keys[path] = (kind, slug, video_id)
        self._slugs.setdefault(slug, {})[path] = None
        if video_id:
            self._videos.setdefault(video_id, {})[path] = None

    def original(self, path: str) -> str | None:
        """The note's text as it was on disk when the vault was loaded."""
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
            before = self.original(path)
            if after != before:
                result.append(NoteChange(path, before, after))
        return result


class NoteMap(MutableMapping[str, Note]):
    """Notes by path, in load order, then in the order new ones were put. A note `load`
    found unchanged is kept as its index row until first asked for: a run asks for
    a few notes of a 10,000-note vault, and decodes the front matter of those."""

    def __init__(self, items: dict[str, Note | Row], make: Callable[[str, Row], Note]) -> None:
        self._items = items
        self._make = make

    def __getitem__(self, path: str) -> Note:
        item = self._items[path]
        if isinstance(item, Note):
            return item
        note = self._items[path] = self._make(path, item)
        return note

    @property
    def stored(self) -> Mapping[str, Note | Row]:
        """Each note as it is kept: made, or still its index row."""
        return self._items

    def __contains__(self, path: object) -> bool:
        return path in self._items

    def __setitem__(self, path: str, note: Note) -> None:
        self._items[path] = note

    def __delitem__(self, path: str) -> None:
        del self._items[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class ListIndex:
    """Entity notes by each value of one front matter list of theirs (`formerly`,
    `videos`), as of each note's last `follow`, in the order they were indexed."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._paths: dict[str, dict[str, None]] = {}  # value -> paths
        self._values: dict[str, tuple[str, ...]] = {}  # path -> what it was indexed under

    def get(self, value: str) -> dict[str, None]:
        return self._paths.get(value, {})

    def items(self) -> Iterable[tuple[str, dict[str, None]]]:
        return self._paths.items()

    def follow(self, path: str, note: Note | None) -> None:
        """Index the note at `path` afresh: `None`, or a note of another kind, leaves it out."""
        for value in self._values.pop(path, ()):
            paths = self._paths[value]
            del paths[path]
            if not paths:
                del self._paths[value]
        if note is not None and note.kind == "entity":
            self.add(path, listed(note.meta, self.key))

    def add(self, path: str, values: tuple[str, ...]) -> None:
        """Index a note not indexed yet under `values` (distinct, in their order)."""
        if values:
            self._values[path] = values
            for value in values:
                self._paths.setdefault(value, {})[path] = None


def _video_id(note: Note) -> str:
    return str(note.meta.get("videoId", "")) if note.kind == "video" else ""


def _known(note: Note) -> KnownEntity:
    meta, slug = note.meta, note.slug
    return KnownEntity(
        slug,
        str(meta.get("title", slug)),
        str(meta.get("type", "ENTITY")),
        tuple(as_strings(meta.get("aliases"))),
        tuple(as_strings(meta.get("formerly"))),
    )


def stamps_after(root: Path, stamps: dict[str, Stamp], written: Iterable[str]) -> dict[str, Stamp]:
    """What `note_stamps` would give now (but for order), when only `written` changed
    since `stamps` were taken: those are stat'ed again, the rest are reused (at 10,000
    notes, a tenth of a second). A file changed by someone else meanwhile keeps its
    older stamp, which can only make a later comparison fail, never pass."""
    now = dict(stamps)
    for rel in written:
        try:
            now[rel] = stamp_of(os.stat(os.path.join(root, rel)))
        except FileNotFoundError:
            now.pop(rel, None)
    return now


def first_reads(root: Path) -> tuple[dict[str, Stamp], FrontMatterIndex]:
    """What a load reads before any note: every note's stamp, and the note index."""
    return (note_stamps(root) if root.is_dir() else {}), FrontMatterIndex(root)


def note_stamps(root: Path) -> dict[str, Stamp]:
    """What `sorted(root.rglob("*.md"))` finds outside the state folder, as relative
    POSIX paths in the same order, each with its stamp (one system call a note):
    no Path objects, which were a third of loading a 10,000-note vault.

    Each folder's names are sorted and walked depth first, which is `Path` order
    (part by part) without sorting all the paths at the end. Each file is
    stat'ed by its name in its open folder, which spares the kernel walking the
    whole path again: a quarter less time at 10,000 notes."""
    found: dict[str, Stamp] = {}
    _walk(found, "", str(root), None)
    return found


def _walk(found: dict[str, Stamp], prefix: str, folder: str, parent: int | None) -> None:
    flags = os.O_RDONLY | os.O_DIRECTORY | (os.O_NOFOLLOW if parent is not None else 0)
    try:
        fd = os.open(folder, flags, dir_fd=parent)
    except OSError:  # unreadable, gone, or a link since it was listed
        return  # rglob skips what it cannot list, too
    try:
        names: list[str] = []
        folders: set[str] = set()
        with os.scandir(fd) as entries:
            for entry in entries:
                name = entry.name
                if entry.is_dir(follow_symlinks=False):
                    if prefix or name != STATE_DIR:
                        folders.add(name)
                        names.append(name)
                elif name.endswith(".md") and entry.is_file():
                    names.append(name)
        names.sort()
        for name in names:
            if name in folders:
                _walk(found, f"{prefix}{name}/", name, fd)
                continue
            try:
                found[prefix + name] = stamp_of(os.stat(name, dir_fd=fd))
            except FileNotFoundError:
                continue  # deleted since it was listed
    finally:
        os.close(fd)


class Originals:
    """The notes' texts as the vault was loaded: read at load, or, for a note whose file
    is unchanged since the note index saw it, on first use, and only if it still is."""

    def __init__(self, root: Path, read: dict[str, str]) -> None:
        self.root = root
        self.read = read
        self._unread: dict[str, Stamp] = {}

    def get(self, rel: str) -> str | None:
        if rel in self._unread:
            self._read_unread(rel)
        return self.read.get(rel)

    def read_now(self, rel: str, stamp: Stamp) -> tuple[str, Split | None]:
        try:
            text, split = read_note(os.path.join(self.root, rel), stamp)
        except UnicodeDecodeError as exc:
            raise VaultError(
                f"note '{rel}' is not UTF-8 text; convert it or move it out of the vault"
            ) from exc
        self.read[rel] = text
        return text, split

    def expect(self, unread: dict[str, Stamp]) -> None:
        """Notes (path -> stamp) left unread at load: each is read when first used, and
        only if its file is still as stamped."""
        self._unread.update(unread)

    def note(self, rel: str, row: Row) -> Note:
        """The note of a row `load` found unchanged: its body is read when first used."""
        meta = decoded(row)
        if meta is not None:
            return Note.unread(rel, meta, self.body)
        text = self.get(rel)  # a damaged row: the note is read, as a changed one would be
        if text is None:  # not for a note `load` found; but never guess
            raise VaultError(f"note '{rel}' vanished while tubewiki was running; run again")
        return parse_note(rel, text)

    def body(self, rel: str) -> Note:
        """A note left unread at load, read now: its body, BOM, line ends and tail."""
        if rel in self._unread:
            text, split = self._read_unread(rel)
        else:  # `get` read it already, for a diff
            text = self.read[rel]
            split = split_note(text)
        if split is None:  # not for a note the index holds; but never guess
            return parse_note(rel, text)
        return Note(path=rel, body=split[1])

    def _read_unread(self, rel: str) -> tuple[str, Split | None]:
        """Read a note left unread at load, refusing it if its file changed since."""
        stamp = self._unread.pop(rel)
        try:
            now = stamp_of(os.stat(self.root / rel))
        except FileNotFoundError:
            now = ""
        if now != stamp:
            raise VaultError(
                f"note '{rel}' changed on disk while tubewiki was running; run the command again"
            )
        return self.read_now(rel, stamp)


def note_text(path: Path) -> str:
    """A note's exact text: no newline translation, a byte order mark kept."""
    return path.read_bytes().decode("utf-8")
