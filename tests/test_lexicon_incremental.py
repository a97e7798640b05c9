"""A run builds again only the lexicon entries that can have changed since the last run,
and must end with the lexicon a build from every note and video would give.

`tubewiki.relink` starts from the lexicon the last run kept and builds again
the entries of the notes whose front matter changed since (the note index's
generation) and of the videos whose record changed. This Hypothesis state
machine curates a vault as `test_curation_stateful` does (ingests, edits,
merges, renames, reverts, rebuilds), and besides edits front matter by hand,
adds, moves and deletes entity notes, forgets a video's record, deletes the
note index and loads the vault in between, as a read-only command does.

The invariant, after every step: planning the next run from the kept lexicon
gives exactly what planning it from a full build gives: the lexicon, each
entry's squeezed names, the videos it extracts again and their extractions,
the notes it links and refreshes, and what it keeps for the run after.

    TUBEWIKI_LEXICON_EXAMPLES=100 pytest tests/test_lexicon_incremental.py -p no:randomly -s

runs more examples (default 12); TUBEWIKI_STATEFUL_SEED=N replays one run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest import mock

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from tests.test_curation_stateful import Curation, pick, run_seeded
from tubewiki import relink
from tubewiki.note_index import INDEX_FILE
from tubewiki.notes import dump_note, parse_note
from tubewiki.study import LEARNED_DIR
from tubewiki.vault import Vault

EXAMPLES = int(os.environ.get("TUBEWIKI_LEXICON_EXAMPLES", "12"))
# Names the fixtures say, and one they do not: a person's aliases, titles and new notes.
NAMES = ("Kiva", "Mountz", "Harbor", "Boston", "warehouse robot", "Field Notes", "Nobody Said")


class Lexicon(Curation):
    def entity_notes(self) -> list[str]:
        return self.notes("entity")

    def rewrite(self, rel: str, change: str, name: str) -> None:
        note = parse_note(rel, self.text(rel))
        if change == "alias":
            note.meta["aliases"] = [*note.meta.get("aliases", []), name]
        elif change == "title":
            note.meta["title"] = name
        elif change == "type":
            note.meta["type"] = "PRODUCT" if note.meta.get("type") != "PRODUCT" else "ORG"
        else:  # a person says the note took in another slug
            note.meta["formerly"] = [*note.meta.get("formerly", []), name.lower().replace(" ", "_")]
        (self.vault / rel).write_text(dump_note(note), encoding="utf-8")

    @precondition(lambda self: self.entity_notes())
    @rule(
        which=pick,
        change=st.sampled_from(("alias", "title", "type", "formerly")),
        name=st.sampled_from(NAMES),
    )
    def edit_front_matter(self, which: int, change: str, name: str) -> None:
        entities = self.entity_notes()
        self.rewrite(entities[which % len(entities)], change, name)

    @rule(name=st.sampled_from(NAMES), folder=st.sampled_from(("entities", "people")))
    def add_note(self, name: str, folder: str) -> None:
        """A note a person makes: front matter only, no tubewiki blocks."""
        path = self.vault / folder / f"{name.lower().replace(' ', '_')}.md"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            text = f"---\ntitle: {name}\ntype: ORG\ntubewiki: entity\n---\n\nMy notes on {name}.\n"
            path.write_text(text, encoding="utf-8")

    @precondition(lambda self: self.entity_notes())
    @rule(which=pick, delete=st.booleans())
    def delete_or_move_note(self, which: int, delete: bool) -> None:
        entities = self.entity_notes()
        rel = entities[which % len(entities)]
        if delete:  # gone by hand, and with it any words of a person's in it
            self.words = [w for w in self.words if w.text not in self.text(rel)]
            (self.vault / rel).unlink()
        else:  # into another folder, under the same file name
            moved = self.vault / "moved" / Path(rel).name
            moved.parent.mkdir(exist_ok=True)
            if not moved.exists():
                (self.vault / rel).rename(moved)

    @precondition(lambda self: (self.vault / ".tubewiki" / LEARNED_DIR).is_dir())
    @rule(which=pick)
    def forget_a_record(self, which: int) -> None:
        records = sorted((self.vault / ".tubewiki" / LEARNED_DIR).glob("*.json"))
        if records:
            records[which % len(records)].unlink()

    @rule()
    def delete_the_note_index(self) -> None:
        (self.vault / ".tubewiki" / INDEX_FILE).unlink(missing_ok=True)

    @precondition(lambda self: self.vault.is_dir())
    @rule()
    def load(self) -> None:
        """What any command that reads the vault does: its note index moves on."""
        Vault.load(self.vault)

    @invariant()
    def the_next_run_plans_as_from_a_full_build(self) -> None:
        if not self.vault.is_dir():
            return
        kept = relink.prepare(self.vault, Vault.load(self.vault), {}, {})
        with mock.patch.object(relink, "_dirty", return_value=None):
            full = relink.prepare(self.vault, Vault.load(self.vault), {}, {})
        assert kept.lexicon == full.lexicon
        assert kept.kept.squeezed == full.kept.squeezed
        assert kept.inputs == full.inputs
        assert (kept.linkable, kept.refresh) == (full.linkable, full.refresh)
        assert (kept.kept.records, kept.kept.claims) == (full.kept.records, full.kept.claims)

    def no_link_dangles(self) -> None:
        """Not checked here: a note deleted by hand leaves links to it until the next run."""

    def teardown(self) -> None:
        """Notes made by hand are a person's to make valid: the shared checker judges
        tubewiki's notes in the curation machine, not here."""
        shutil.rmtree(self.root, ignore_errors=True)


def test_a_run_ends_with_the_lexicon_a_full_build_gives(nlp: object) -> None:
    run_seeded(Lexicon, EXAMPLES)
