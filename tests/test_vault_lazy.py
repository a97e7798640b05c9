"""A vault loaded from the note index answers as one parsed from every note's text.

`Vault.load` keeps each note the index vouches for as its row, indexed by the
row's keys, and makes it a `Note` only when asked for. This Hypothesis state
machine loads a vault that way (after a first load wrote the index, and
perhaps an edit or a damaged row since) beside one parsed from the same
texts, then puts, edits in place, deletes and restores notes in both, asks
for notes one by one, and builds the citing index at any point. After every
step every lookup must give the same notes in the same order.
"""

from __future__ import annotations

import datetime
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tubewiki import note_index
from tubewiki.notes import Note, dump_note, parse_note
from tubewiki.vault import Vault, note_stamps

VIDEOS = ("vidAAAAAAA1", "vidBBBBBBB2", "vidCCCCCCC3")
SLUGS = ("ada", "bab", "cy")
PATHS = tuple(f"{folder}/{slug}.md" for folder in ("entities", "chan", "mine") for slug in SLUGS)


@st.composite
def note_texts(draw: st.DrawFn) -> str:
    """A note as tubewiki or a person may leave it: any kind, `formerly` and `videos`
    lists or a bare value, a date JSON cannot hold, or no front matter at all."""
    if draw(st.integers(0, 9)) == 0:
        return "Just words, no front matter.\n"
    meta: dict[str, Any] = {"title": draw(st.sampled_from(("Ada", "Babbage")))}
    kind = draw(st.sampled_from(("entity", "entity", "video", "channel", "")))
    if kind:
        meta["tubewiki"] = kind
    if kind == "video":
        meta["videoId"] = draw(st.sampled_from(VIDEOS))
    for key, values in (("formerly", SLUGS), ("videos", VIDEOS)):
        listed = draw(st.lists(st.sampled_from(values), max_size=3))
        if listed:
            meta[key] = listed if draw(st.booleans()) else listed[0]
    if draw(st.integers(0, 4)) == 0:
        meta["date"] = datetime.date(2024, 1, 2)
    return dump_note(Note("x.md", meta, body=draw(st.sampled_from(("Body.", "Other body.")))))


class LazyVault(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp())
        self.lazy: Vault
        self.full: Vault

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @initialize(
        texts=st.dictionaries(st.sampled_from(PATHS), note_texts(), max_size=7),
        edited=st.dictionaries(st.sampled_from(PATHS), note_texts(), max_size=2),
        damaged=st.lists(st.sampled_from(PATHS), max_size=2),
    )
    def load(self, texts: dict[str, str], edited: dict[str, str], damaged: list[str]) -> None:
        (self.root / ".tubewiki").mkdir()
        self.write(texts)
        Vault.load(self.root)  # the index a run before left
        self.write(edited)
        with sqlite3.connect(self.root / ".tubewiki" / note_index.INDEX_FILE) as db:
            for path in damaged:
                db.execute("UPDATE notes SET meta = '{broken' WHERE path = ?", (path,))
        db.close()
        self.lazy = Vault.load(self.root)
        on_disk = {rel: (self.root / rel).read_text("utf-8") for rel in note_stamps(self.root)}
        self.full = Vault(self.root, on_disk)

    def write(self, texts: dict[str, str]) -> None:
        for rel, text in texts.items():
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.root / rel).write_text(text, encoding="utf-8")

    @rule(path=st.sampled_from(PATHS), text=note_texts())
    def put(self, path: str, text: str) -> None:
        for vault in (self.lazy, self.full):
            vault.put(parse_note(path, text))

    @rule(path=st.sampled_from(PATHS), slug=st.sampled_from(SLUGS), video=st.sampled_from(VIDEOS))
    def edit_in_place(self, path: str, slug: str, video: str) -> None:
        """As the planner edits a note it was given, then puts it."""
        for vault in (self.lazy, self.full):
            note = vault.notes.get(path)
            if note is not None:
                note.meta["formerly"] = [slug]
                note.meta["videos"] = [*note.meta.get("videos", []), video]
                vault.put(note)

    @rule(path=st.sampled_from(PATHS))
    def delete(self, path: str) -> None:
        for vault in (self.lazy, self.full):
            vault.delete(path)

    @rule(path=st.sampled_from(PATHS), text=note_texts())
    def restore(self, path: str, text: str) -> None:
        for vault in (self.lazy, self.full):
            vault.restore(path, text)

    @rule(path=st.sampled_from(PATHS))
    def ask_for(self, path: str) -> None:
        """One note asked for: the lazy vault makes it from its row now."""
        lazy, full = self.lazy.notes.get(path), self.full.notes.get(path)
        assert (lazy is None) == (full is None)
        if lazy is not None and full is not None:
            assert (lazy.meta, lazy.body) == (full.meta, full.body)

    @rule(video=st.sampled_from(VIDEOS))
    def ask_citing(self, video: str) -> None:
        """Builds the citing index, if it was not yet, from the notes as they are now."""
        assert paths(self.lazy.entity_notes_citing(video)) == paths(
            self.full.entity_notes_citing(video)
        )
        assert self.lazy.notes_of(VIDEOS) == self.full.notes_of(VIDEOS)

    @rule()
    def every_note(self) -> None:
        """Asks for every note: what a full lexicon build or a refactor does."""
        for vault in (self.lazy, self.full):
            scanned = [n for n in vault.notes.values() if n.kind == "entity"]
            assert vault.by_kind("entity") == scanned
        assert self.lazy.known_entities() == self.full.known_entities()
        assert {p: (n.meta, n.body) for p, n in self.lazy.notes.items()} == {
            p: (n.meta, n.body) for p, n in self.full.notes.items()
        }
        assert [(c.path, c.before, c.after) for c in self.lazy.changes()] == [
            (c.path, c.before, c.after) for c in self.full.changes()
        ]

    @rule(slug=st.sampled_from(SLUGS), video=st.sampled_from(VIDEOS))
    def look_up(self, slug: str, video: str) -> None:
        """The lookups that make the notes they give."""
        lazy, full = self.lazy, self.full
        assert path_of(lazy.by_slug(slug)) == path_of(full.by_slug(slug))
        assert path_of(lazy.entity_note(slug)) == path_of(full.entity_note(slug))
        assert lazy.redirect(slug) == full.redirect(slug)
        assert lazy.known_entity(slug) == full.known_entity(slug)
        assert path_of(lazy.video_note(video)) == path_of(full.video_note(video))

    @invariant()
    def keys_agree(self) -> None:
        """The lookups that make no note: the lazy vault answers them from its rows."""
        lazy, full = self.lazy, self.full
        assert list(lazy.notes) == list(full.notes)
        assert lazy.slugs() == full.slugs()
        for kind in ("entity", "video", "channel", ""):
            assert lazy.slugs_of(kind) == full.slugs_of(kind)
            assert lazy.slugs_of(kind, besides=PATHS[:3]) == full.slugs_of(kind, besides=PATHS[:3])
        assert lazy.claims() == full.claims()
        assert [lazy.claimed(s) for s in SLUGS] == [full.claimed(s) for s in SLUGS]


def paths(notes: list[Note]) -> list[str]:
    return [n.path for n in notes]


def path_of(note: Note | None) -> str | None:
    return note.path if note is not None else None


LazyVault.TestCase.settings = settings(max_examples=60, stateful_step_count=15, deadline=None)
test_a_vault_loaded_from_its_index_answers_as_a_parsed_one = LazyVault.TestCase
