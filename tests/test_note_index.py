"""Loading a vault parses only new front matter, and its indexed lookups match a scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from tubewiki import note_index
from tubewiki.errors import NoteError, VaultError
from tubewiki.notes import Note, parse_note
from tubewiki.vault import Vault, as_strings

NOTES = {
    "entities/ada.md": (
        "---\ntitle: Ada\ntubewiki: entity\naliases:\n- Lovelace\nvideos:\n- vidAAAAAAA1\n"
        "---\n\nAda.\n"
    ),
    "entities/bab.md": "---\ntitle: Babbage\ntubewiki: entity\nformerly:\n- charles\n---\n\nHe.\n",
    "chan/talk.md": "---\ntitle: Talk\ntubewiki: video\nvideoId: vidAAAAAAA1\n---\n\nBody\n",
    "chan/chan.md": "---\ntitle: Chan\ntubewiki: channel\n---\n",
    "mine/dated.md": "---\ntitle: Dated\ndate: 2024-01-02\n1: one\n---\n\nMine.\n",
    "mine/plain.md": "No front matter at all.\n",
    "mine/odd.md": "---\ntitle: 'x'\nn: 1.0\nflag: yes\nnothing: null\n---\nText\n---\nmore\n",
}  # fmt: skip


def write(root: Path, notes: dict[str, str]) -> None:
    for rel, text in notes.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_every_note_parses_exactly_as_parse_note_does_cold_and_cached(tmp_vault: Path) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    for _ in range(2):  # the second load reads the front matter from the index
        vault = Vault.load(tmp_vault)
        for rel, text in NOTES.items():
            expected = parse_note(rel, text)
            got = vault.notes[rel]
            assert (got.meta, got.body) == (expected.meta, expected.body), rel
            assert [type(v) for v in got.meta.values()] == [type(v) for v in expected.meta.values()]


def test_a_second_load_parses_only_changed_front_matter(
    tmp_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    write(tmp_vault, {"entities/ada.md": NOTES["entities/ada.md"].replace("Ada.", "Ada!")})
    write(tmp_vault, {"chan/chan.md": "---\ntitle: Renamed\ntubewiki: channel\n---\n"})
    parsed: list[str] = []

    def counting(path: str, text: str) -> Note:
        parsed.append(path)
        return parse_note(path, text)

    monkeypatch.setattr(note_index, "parse_note", counting)
    vault = Vault.load(tmp_vault)
    # a body edit keeps the cache; new front matter and what JSON cannot hold are parsed
    assert sorted(parsed) == ["chan/chan.md", "mine/dated.md", "mine/plain.md"]
    assert vault.notes["chan/chan.md"].meta["title"] == "Renamed"
    assert vault.notes["entities/ada.md"].body == "Ada!"


def test_a_broken_note_is_still_refused(tmp_vault: Path) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, {"bad.md": "---\ntitle: [unclosed\n---\n", "open.md": "---\ntitle: x\n"})
    with pytest.raises(NoteError):
        Vault.load(tmp_vault)


def scan_redirect(vault: Vault, slug: str) -> str | None:
    """What `redirect` did before it had an index."""
    entities = [n for n in vault.notes.values() if n.kind == "entity"]
    return next((n.slug for n in entities if slug in as_strings(n.meta.get("formerly"))), None)


def scan_citing(vault: Vault, video_id: str) -> list[str]:
    """What `entity_notes_citing` did before it had an index, by path."""
    entities = [n for n in vault.notes.values() if n.kind == "entity"]
    return sorted(n.path for n in entities if video_id in as_strings(n.meta.get("videos")))


@pytest.mark.parametrize("asked_first", [True, False])
def test_lookups_follow_puts_deletes_and_restores(tmp_path: Path, asked_first: bool) -> None:
    """`asked_first`: the citing index, built at the first lookup, exists before the edits."""
    vault = Vault(tmp_path, dict(NOTES))
    if asked_first:
        assert [n.path for n in vault.entity_notes_citing("vidAAAAAAA1")] == ["entities/ada.md"]
    ada = vault.notes["entities/ada.md"]
    ada.meta["formerly"] = ["lovelace"]  # edited in place, then put, as refactor does
    ada.meta["videos"] = ["vidBBBBBBB2", "vidCCCCCCC3"]
    vault.put(ada)
    vault.put(
        vault.new_note(
            "entities/new.md",
            "entity",
            {"title": "New", "formerly": ["charles"], "videos": ["vidAAAAAAA1", "vidBBBBBBB2"]},
        )
    )
    vault.delete("entities/bab.md")
    vault.restore("chan/other.md", "---\ntubewiki: video\nvideoId: vidBBBBBBB2\n---\n")
    vault.put(Note("chan/chan.md", {"tubewiki": "entity", "title": "Now", "videos": "vidCCCCCCC3"}))
    vault.put(Note("entities/gone.md", {"tubewiki": "entity", "videos": ["vidCCCCCCC3"]}))
    vault.put(Note("entities/gone.md", {"tubewiki": "concept", "videos": ["vidCCCCCCC3"]}))
    vault.put(Note("entities/tmp.md", {"tubewiki": "entity", "videos": ["vidDDDDDDD4"]}))
    vault.delete("entities/tmp.md")
    for kind in ("entity", "video", "channel", ""):
        assert vault.by_kind(kind) == [n for n in vault.notes.values() if n.kind == kind]
    for slug in ("lovelace", "charles", "nobody"):
        assert vault.redirect(slug) == scan_redirect(vault, slug)
    assert vault.redirect("charles") == "new"
    assert vault.video_note("vidBBBBBBB2") is vault.notes["chan/other.md"]
    for video_id in ("vidAAAAAAA1", "vidBBBBBBB2", "vidCCCCCCC3", "vidDDDDDDD4"):
        assert [n.path for n in vault.entity_notes_citing(video_id)] == scan_citing(vault, video_id)
    assert [n.path for n in vault.entity_notes_citing("vidAAAAAAA1")] == ["entities/new.md"]
    assert [n.path for n in vault.entity_notes_citing("vidCCCCCCC3")] == [
        "chan/chan.md",
        "entities/ada.md",
    ]


def test_notes_are_listed_as_rglob_lists_them(tmp_vault: Path) -> None:
    from tubewiki.vault import note_stamps

    for rel in ("a/b.md", "a.b/c.md", "a-b.md", ".hid/h.md", "Z.md", "x/.tubewiki/n.md"):
        write(tmp_vault, {rel: "text"})
    write(tmp_vault, {".tubewiki/state.md": "not a note", "a/notes.txt": "no"})
    (tmp_vault / "dir.md").mkdir()
    (tmp_vault / "a" / "link").symlink_to(tmp_vault / "a.b")
    (tmp_vault / "linked.md").symlink_to(tmp_vault / "Z.md")
    expected = [
        p.relative_to(tmp_vault).as_posix()
        for p in sorted(tmp_vault.rglob("*.md"))
        if p.is_file() and p.relative_to(tmp_vault).parts[0] != ".tubewiki"
    ]
    assert list(note_stamps(tmp_vault)) == expected


def test_a_second_load_reads_no_unchanged_note_until_the_run_uses_it(
    tmp_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    read: list[str] = []
    real = note_index.read_note

    def counting(path: str, stamp: str) -> tuple[str, note_index.Split | None]:
        read.append(Path(path).relative_to(tmp_vault).as_posix())
        return real(path, stamp)

    monkeypatch.setattr("tubewiki.vault.read_note", counting)
    note_index._SEEN.clear()
    vault = Vault.load(tmp_vault)
    assert sorted(read) == ["mine/dated.md", "mine/plain.md"]  # not cacheable as JSON
    assert vault.notes["entities/ada.md"].meta["title"] == "Ada"
    assert read[2:] == []
    assert vault.notes["entities/ada.md"].body == "Ada."  # read now, once
    assert vault.original("entities/ada.md") == NOTES["entities/ada.md"]
    assert read[2:] == ["entities/ada.md"]


def test_an_unread_note_that_changes_during_the_run_is_refused(tmp_vault: Path) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    vault = Vault.load(tmp_vault)
    write(tmp_vault, {"entities/bab.md": NOTES["entities/bab.md"].replace("He.", "Someone else.")})
    with pytest.raises(VaultError, match=r"entities/bab\.md.*changed on disk"):
        _ = vault.notes["entities/bab.md"].body


def test_changes_to_unread_notes_diff_against_their_text_on_disk(tmp_vault: Path) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    vault = Vault.load(tmp_vault)
    vault.delete("entities/bab.md")  # never read: the ledger still needs its words
    vault.put(Note("chan/chan.md", {"title": "Chan", "tubewiki": "channel"}, body="New."))
    ada = vault.notes["entities/ada.md"]
    ada.body = "Replaced before it was read."
    ada.meta["title"] = "Ada L."
    vault.put(ada)
    changes = {c.path: c for c in vault.changes()}
    assert changes["entities/bab.md"].before == NOTES["entities/bab.md"]
    assert changes["entities/bab.md"].after is None
    assert changes["chan/chan.md"].before == NOTES["chan/chan.md"]
    assert changes["entities/ada.md"].before == NOTES["entities/ada.md"]
    assert "Replaced before it was read." in (changes["entities/ada.md"].after or "")


def test_a_damaged_index_row_is_read_from_the_note_again(tmp_vault: Path) -> None:
    import sqlite3

    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    with sqlite3.connect(tmp_vault / ".tubewiki" / note_index.INDEX_FILE) as db:
        db.execute("UPDATE notes SET meta = '{broken' WHERE path = 'entities/ada.md'")
        db.execute("UPDATE notes SET meta = '[1, 2]' WHERE path = 'entities/bab.md'")
    vault = Vault.load(tmp_vault)
    assert vault.notes["entities/ada.md"].meta["title"] == "Ada"
    assert vault.notes["entities/bab.md"].meta["formerly"] == ["charles"]
    assert Vault.load(tmp_vault).notes["entities/ada.md"].meta["title"] == "Ada"  # again


def test_damaged_rows_that_join_into_valid_json_do_not_shift_the_others(
    tmp_vault: Path,
) -> None:
    """Each row's front matter is decoded alone, when its note is asked for: rows that
    are each damaged but would read as JSON together (one split in two, two joined in
    one) must not give a note another note's front matter."""
    import sqlite3

    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    damage = {
        "chan/chan.md": '{"title": "One"},{"title": "Two"}',
        "chan/talk.md": '{"title": "Three", "x": "',
        "entities/ada.md": '"}',
    }
    with sqlite3.connect(tmp_vault / ".tubewiki" / note_index.INDEX_FILE) as db:
        for path, meta in damage.items():
            db.execute("UPDATE notes SET meta = ? WHERE path = ?", (meta, path))
    vault = Vault.load(tmp_vault)
    for rel, text in NOTES.items():
        assert vault.notes[rel].meta == parse_note(rel, text).meta, rel


def test_a_load_tells_which_front_matter_changed_since_an_earlier_load(tmp_vault: Path) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    first = Vault.load(tmp_vault).generation
    assert first is not None
    write(tmp_vault, {"entities/ada.md": NOTES["entities/ada.md"].replace("Ada.", "Ada!")})
    Vault.load(tmp_vault)  # a read-only command in between: the index moves on
    write(tmp_vault, {"chan/chan.md": "---\ntitle: Renamed\ntubewiki: channel\n---\n"})
    (tmp_vault / "entities" / "bab.md").unlink()
    write(tmp_vault, {"entities/new.md": "---\ntitle: New\ntubewiki: entity\n---\n"})
    second = Vault.load(tmp_vault)
    # not the body-only edit; "mine/dated.md" has a date, which the index cannot hold
    changed = {"chan/chan.md", "entities/bab.md", "entities/new.md", "mine/dated.md"}
    assert second.changed_since(first) == changed | {"mine/plain.md"}
    assert second.generation is not None
    assert Vault.load(tmp_vault).changed_since(second.generation) == {
        "mine/dated.md",
        "mine/plain.md",
    }


def test_another_index_or_a_race_leaves_the_generation_unknown(tmp_vault: Path) -> None:
    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    first = Vault.load(tmp_vault).generation
    assert first is not None
    (tmp_vault / ".tubewiki" / note_index.INDEX_FILE).unlink()
    assert Vault.load(tmp_vault).changed_since(first) is None  # a new index: say so
    # Another load saves between this one's reading the index and its saving it.
    racing = note_index.FrontMatterIndex(tmp_vault)
    write(tmp_vault, {"chan/chan.md": "---\ntitle: Renamed\ntubewiki: channel\n---\n"})
    Vault.load(tmp_vault)
    racing.save()
    assert racing.generation is None


def test_a_loaded_vault_dies_with_its_last_reference(tmp_vault: Path) -> None:
    """A run drops its vault before the paused collector resumes (`pipeline.apply`):
    a reference cycle would leave 10,000 notes for the collector to walk instead."""
    import gc
    import weakref

    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    Vault.load(tmp_vault)
    vault = Vault.load(tmp_vault)
    assert vault.notes["entities/ada.md"].body == "Ada."  # a made note, with its reader
    assert vault.entity_notes_citing("vidAAAAAAA1")
    gone = weakref.ref(vault)
    gc.disable()
    try:
        del vault
        assert gone() is None
    finally:
        gc.enable()


def test_an_index_an_older_tubewiki_left_is_read_again_from_the_notes(tmp_vault: Path) -> None:
    """Its rows lack the lookup keys: none is trusted, even one whose stamp still matches."""
    import sqlite3

    from tubewiki.vault import note_stamps

    (tmp_vault / ".tubewiki").mkdir()
    write(tmp_vault, NOTES)
    stamp = note_stamps(tmp_vault)["entities/ada.md"]
    db = sqlite3.connect(tmp_vault / ".tubewiki" / note_index.INDEX_FILE)
    with db:
        db.execute("CREATE TABLE notes (path TEXT PRIMARY KEY, stamp TEXT, meta TEXT, seq INT)")
        db.execute(
            "INSERT INTO notes VALUES ('entities/ada.md', ?, '{\"title\": \"Old\"}', 1)", (stamp,)
        )
        db.execute("CREATE TABLE generation (id TEXT NOT NULL, n INTEGER NOT NULL)")
        db.execute("INSERT INTO generation VALUES ('older', 1)")
        db.execute("PRAGMA user_version = 2")
    db.close()
    vault = Vault.load(tmp_vault)
    for rel, text in NOTES.items():
        assert vault.notes[rel].meta == parse_note(rel, text).meta, rel
    assert vault.changed_since("older:1") == set(NOTES)  # every note's front matter is new
