"""Notes as front matter plus body: stable round trips, and broken notes named."""

from __future__ import annotations

from typing import Any

import pytest

from tubewiki.errors import NoteError, VaultError
from tubewiki.notes import Note, dump_note, parse_note

PATH = "makers_hour/how_vans_work.md"


@pytest.mark.parametrize(
    ("meta", "body"),
    [
        (
            {"title": "How Vans Work", "videoId": "hm12345678a"},
            "From: [[makers_hour]] <br/>\n\nText.",
        ),
        (
            {
                "videoId": "hm12345678a",
                "title": "Vans: a history (part 2)",
                "aliases": ["Vans", "Delivery vans"],
                "tubewiki": "entity",
                "duration": 120,
                "rating": None,
                "published": "2024-01-02",
                "yes": "no",
                "note": "line one\nline two",
                "nested": {"b": 1, "a": [1, 2]},
            },
            "\n\nBody with a rule\n\n---\n\nand more.  \n\n",
        ),
        ({"title": "Zoë’s café ☕", "videoId": "-abc_DEF123"}, "Ünïcode body — with a dash."),
        ({"title": "Empty body", "videoId": "hm12345678a"}, ""),
        ({"title": "#hashtag", "videoId": "00000000001"}, "text\n---\nmore: yes\n---\nend"),
        ({}, "No front matter keys."),
    ],
)
def test_round_trip_is_stable(meta: dict[str, Any], body: str) -> None:
    first = dump_note(Note(PATH, dict(meta), body))
    parsed = parse_note(PATH, first)
    assert parsed.meta == meta
    assert parsed.body == body.strip()
    assert dump_note(parsed) == first
    assert dump_note(parse_note(PATH, dump_note(parsed))) == first


def test_dump_form() -> None:
    note = Note(PATH, {"title": "How Vans Work", "videoId": "hm12345678a"}, "\nFrom: x\n\n")
    assert dump_note(note) == "---\ntitle: How Vans Work\nvideoId: hm12345678a\n---\n\nFrom: x\n"


def test_key_order_is_kept() -> None:
    meta = {"zeta": 1, "title": "T", "alpha": 2, "videoId": "hm12345678a", "middle": 3}
    text = dump_note(Note(PATH, meta, "body"))
    assert list(parse_note(PATH, text).meta) == ["zeta", "title", "alpha", "videoId", "middle"]
    lines = text.splitlines()[1:6]
    assert [line.split(":")[0] for line in lines] == ["zeta", "title", "alpha", "videoId", "middle"]


def test_long_values_are_not_folded() -> None:
    title = " ".join(["word"] * 60)
    text = dump_note(Note(PATH, {"title": title}, "body"))
    assert f"title: {title}\n" in text


def test_hand_written_note_parses() -> None:
    text = "---\ntitle: Mine\ntags: [a, b]\n---\nMy own words.\n"
    note = parse_note("notes/mine.md", text)
    assert note.meta == {"title": "Mine", "tags": ["a", "b"]}
    assert note.body == "My own words."
    assert note.slug == "mine"
    assert note.kind == ""


def test_slug_and_kind() -> None:
    note = Note("entities/harlow_motors.md", {"tubewiki": "entity"})
    assert note.slug == "harlow_motors"
    assert note.kind == "entity"


def test_no_front_matter() -> None:
    note = parse_note("loose.md", "Just a paragraph.\n")
    assert (note.meta, note.body) == ({}, "Just a paragraph.")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("---\ntitle: [unclosed\n---\nbody\n", "not valid YAML at line 3"),
        ("---\ntitle: Vans\n  videoId: x: y\n---\nbody\n", "not valid YAML"),
        ("---\ntitle: Vans\nbody without a closing line\n", "never closes"),
        ("---\ntitle: Vans\n", "never closes"),
    ],
)
def test_broken_front_matter_raises_note_error(text: str, words: str) -> None:
    with pytest.raises(NoteError) as info:
        parse_note(PATH, text)
    message = str(info.value)
    assert PATH in message
    assert words in message
    assert "\n" not in message
    assert isinstance(info.value, VaultError)
