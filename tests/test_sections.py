"""Managed blocks: add, replace, leave alone, and never overwrite a person's edit."""

from __future__ import annotations

import re

import pytest

from tubewiki import sections
from tubewiki.errors import NoteError
from tubewiki.sections import (
    NOTICE,
    Outcome,
    blocks,
    digest,
    managed,
    proposed,
    remove,
    resolve,
    upsert,
)

HEAD = "From: [[makers_hour]] <br/>\n\nA paragraph a person wrote.\n"
ONE = "## Founding\n\n- Harlow Motors began in Bristol in 2014.\n"
ONE_NEW = "## Founding\n\n- Harlow Motors began in Bristol in 2014 with a bank loan.\n"
ONE_NEWER = "## Founding\n\n- Harlow Motors began in Bristol in March 2014.\n"
TWO = "## Growth\n\n- Parcelline bought 12,000 vans in 2019.\n"


def keys(body: str) -> list[tuple[str, str]]:
    return [(b.kind, b.key) for b in blocks(body)]


def person_edit(body: str) -> str:
    edited = body.replace("in Bristol in 2014.", "in Bristol in 2014 (I checked: it was 2013).")
    assert edited != body
    return edited


def test_managed_block_form() -> None:
    block = managed("abcDEF12345", "line one\nline two\n\n\n")
    sha = digest("line one\nline two\n")
    assert block == (
        f"<!-- tubewiki:begin abcDEF12345 sha={sha} -->\n"
        "line one\nline two\n"
        "<!-- tubewiki:end abcDEF12345 -->"
    )
    assert re.fullmatch(r"[0-9a-f]{12}", sha)
    assert managed("abcDEF12345", "\n\nline one\nline two") == block


def test_proposed_block_form() -> None:
    assert proposed("intro", "text") == (
        f"<!-- tubewiki:proposed intro -->\n{NOTICE}\n\ntext\n<!-- tubewiki:end-proposed intro -->"
    )


def test_add_to_an_empty_body() -> None:
    body, outcome = upsert("", "abcDEF12345", ONE)
    assert outcome is Outcome.ADDED
    assert body == managed("abcDEF12345", ONE) + "\n"


def test_add_after_a_persons_text() -> None:
    body, outcome = upsert(HEAD, "abcDEF12345", ONE)
    assert outcome is Outcome.ADDED
    assert body.startswith(HEAD + "\n")
    assert keys(body) == [("begin", "abcDEF12345")]
    assert blocks(body)[0].content == ONE
    assert not blocks(body)[0].edited


def test_new_blocks_go_after_the_last_block() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body += "\nA closing remark by a person.\n"
    body, outcome = upsert(body, "vidBBBBBBBB", TWO)
    assert outcome is Outcome.ADDED
    assert keys(body) == [("begin", "vidAAAAAAAA"), ("begin", "vidBBBBBBBB")]
    assert body.endswith("\nA closing remark by a person.\n")
    assert body.index("vidBBBBBBBB") < body.index("A closing remark")


def test_first_places_a_new_block_before_the_others() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body, _ = upsert(body, "vidBBBBBBBB", TWO)
    body, outcome = upsert(body, "intro", "Harlow Motors makes vans.", first=True)
    assert outcome is Outcome.ADDED
    assert keys(body) == [("begin", "intro"), ("begin", "vidAAAAAAAA"), ("begin", "vidBBBBBBBB")]
    assert body.startswith(HEAD)  # the person's text stays on top


def test_first_on_an_existing_block_replaces_it_in_place() -> None:
    body, _ = upsert(HEAD, "intro", "Old intro.")
    body, _ = upsert(body, "vidAAAAAAAA", ONE)
    body, outcome = upsert(body, "intro", "New intro.", first=True)
    assert outcome is Outcome.REPLACED
    assert keys(body) == [("begin", "intro"), ("begin", "vidAAAAAAAA")]
    assert blocks(body)[0].content == "New intro.\n"


def test_same_content_is_unchanged_and_byte_identical() -> None:
    body, _ = upsert(HEAD, "abcDEF12345", ONE)
    again, outcome = upsert(body, "abcDEF12345", ONE)
    assert outcome is Outcome.UNCHANGED
    assert again == body


def test_new_content_replaces_only_its_block() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body, _ = upsert(body, "vidBBBBBBBB", TWO)
    replaced, outcome = upsert(body, "vidAAAAAAAA", ONE_NEW)
    assert outcome is Outcome.REPLACED
    assert replaced == body.replace(managed("vidAAAAAAAA", ONE), managed("vidAAAAAAAA", ONE_NEW))


def test_persons_edit_is_a_conflict() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body, _ = upsert(body, "vidBBBBBBBB", TWO)
    edited = person_edit(body)
    assert blocks(edited)[0].edited
    result, outcome = upsert(edited, "vidAAAAAAAA", ONE_NEW)
    assert outcome is Outcome.CONFLICT
    # the person's block is kept byte for byte, the proposal written right after it
    mine = blocks(edited)[0]
    expected = edited[: mine.end] + "\n\n" + proposed("vidAAAAAAAA", ONE_NEW) + edited[mine.end :]
    assert result == expected
    assert keys(result) == [
        ("begin", "vidAAAAAAAA"),
        ("proposed", "vidAAAAAAAA"),
        ("begin", "vidBBBBBBBB"),
    ]
    # running the same upsert again changes nothing
    again, outcome = upsert(result, "vidAAAAAAAA", ONE_NEW)
    assert outcome is Outcome.CONFLICT
    assert again == result


def test_a_newer_proposal_replaces_the_pending_one() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    conflicted, _ = upsert(person_edit(body), "vidAAAAAAAA", ONE_NEW)
    newer, outcome = upsert(conflicted, "vidAAAAAAAA", ONE_NEWER)
    assert outcome is Outcome.CONFLICT
    assert newer == conflicted.replace(
        proposed("vidAAAAAAAA", ONE_NEW), proposed("vidAAAAAAAA", ONE_NEWER)
    )


def test_force_overwrites_an_edit_and_drops_the_proposal() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    conflicted, _ = upsert(person_edit(body), "vidAAAAAAAA", ONE_NEW)
    forced, outcome = upsert(conflicted, "vidAAAAAAAA", ONE_NEW, force=True)
    assert outcome is Outcome.REPLACED
    assert forced == body.replace(managed("vidAAAAAAAA", ONE), managed("vidAAAAAAAA", ONE_NEW))


def test_reverting_an_edit_clears_the_conflict() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    conflicted, _ = upsert(person_edit(body), "vidAAAAAAAA", ONE_NEW)
    reverted = conflicted.replace(
        "in Bristol in 2014 (I checked: it was 2013).", "in Bristol in 2014."
    )
    result, outcome = upsert(reverted, "vidAAAAAAAA", ONE_NEW)
    assert outcome is Outcome.REPLACED
    assert keys(result) == [("begin", "vidAAAAAAAA")]


def test_resolve_keep_mine() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body, _ = upsert(body, "vidBBBBBBBB", TWO)
    edited = person_edit(body)
    conflicted, _ = upsert(edited, "vidAAAAAAAA", ONE_NEW)
    kept = resolve(conflicted, "vidAAAAAAAA", take_proposed=False)
    mine = blocks(edited)[0].content
    assert kept == edited.replace(
        edited[blocks(edited)[0].start : blocks(edited)[0].end],
        managed("vidAAAAAAAA", mine, kept=digest(ONE_NEW.strip("\n") + "\n")),
    )
    assert keys(kept) == [("begin", "vidAAAAAAAA"), ("begin", "vidBBBBBBBB")]
    assert not blocks(kept)[0].edited
    assert "(I checked: it was 2013)" in kept


def test_resolve_take_proposed() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body, _ = upsert(body, "vidBBBBBBBB", TWO)
    conflicted, _ = upsert(person_edit(body), "vidAAAAAAAA", ONE_NEW)
    taken = resolve(conflicted, "vidAAAAAAAA", take_proposed=True)
    assert taken == body.replace(managed("vidAAAAAAAA", ONE), managed("vidAAAAAAAA", ONE_NEW))


def test_resolve_without_a_block_changes_nothing() -> None:
    assert resolve(HEAD, "vidAAAAAAAA", take_proposed=True) == HEAD


def test_keep_mine_survives_the_same_ingest_again() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    conflicted, _ = upsert(person_edit(body), "vidAAAAAAAA", ONE_NEW)
    kept = resolve(conflicted, "vidAAAAAAAA", take_proposed=False)
    rerun, _ = upsert(kept, "vidAAAAAAAA", ONE_NEW)
    assert "(I checked: it was 2013)" in rerun


def test_remove_drops_managed_and_proposed_blocks() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    only_b, _ = upsert(body, "vidBBBBBBBB", TWO)
    conflicted, _ = upsert(person_edit(only_b), "vidAAAAAAAA", ONE_NEW)
    removed = remove(conflicted, "vidAAAAAAAA")
    assert keys(removed) == [("begin", "vidBBBBBBBB")]
    assert removed.startswith(HEAD.rstrip("\n") + "\n\n" + managed("vidBBBBBBBB", TWO))
    assert remove(removed, "vidAAAAAAAA") == removed


def test_text_outside_the_markers_is_never_touched() -> None:
    before = "Intro by a person.\n\n"
    between = "\n\nA note between the blocks.\n\n"
    after = "\n\nA closing note.\n"
    body = before + managed("vidAAAAAAAA", ONE) + between + managed("vidBBBBBBBB", TWO) + after
    replaced, _ = upsert(body, "vidAAAAAAAA", ONE_NEW)
    replaced, _ = upsert(replaced, "vidBBBBBBBB", ONE_NEWER)
    assert replaced == (
        before
        + managed("vidAAAAAAAA", ONE_NEW)
        + between
        + managed("vidBBBBBBBB", ONE_NEWER)
        + after
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("<!-- tubewiki:begin vidAAAAAAAA sha=0123456789ab -->\nsome text\n", "unmatched"),
        ("text\n<!-- tubewiki:end vidAAAAAAAA -->\n", "unmatched"),
        (
            "<!-- tubewiki:begin vidAAAAAAAA sha=0123456789ab -->\nsome text\n"
            "<!-- tubewiki:end vidBBBBBBBB -->\n",
            "closed by one for vidBBBBBBBB",
        ),
        (
            "<!-- tubewiki:proposed vidAAAAAAAA -->\nsome text\n"
            "<!-- tubewiki:end vidAAAAAAAA -->\n",
            "closed by one for vidAAAAAAAA",
        ),
        (
            "<!-- tubewiki:begin vidAAAAAAAA sha=0123456789ab -->\n"
            "<!-- tubewiki:begin vidBBBBBBBB sha=0123456789ab -->\ninner\n"
            "<!-- tubewiki:end vidBBBBBBBB -->\n<!-- tubewiki:end vidAAAAAAAA -->\n",
            "vidBBBBBBBB",
        ),
    ],
)
def test_broken_markers_raise_note_error(body: str, words: str) -> None:
    path = "entities/harlow_motors.md"
    for call in (
        lambda: blocks(body, path=path),
        lambda: upsert(body, "vidCCCCCCCC", ONE, path=path),
        lambda: resolve(body, "vidAAAAAAAA", take_proposed=True, path=path),
        lambda: remove(body, "vidAAAAAAAA", path=path),
    ):
        with pytest.raises(NoteError) as info:
            call()
        message = str(info.value)
        assert "\n" not in message
        assert path in message
        assert words in message


def test_outcome_values() -> None:
    assert [o.value for o in sections.Outcome] == ["added", "replaced", "unchanged", "conflict"]


def test_rewrite_rehashes_only_pristine_blocks() -> None:
    body = (
        "Top [[old]].\n\n"
        + managed("vidAAAAAAAA", "See [[old]] here.")
        + "\n\n"
        + managed("vidBBBBBBBB", "Also [[old]].").replace("Also [[old]].", "Also [[old]], edited.")
    )
    result = sections.rewrite(body, lambda text: text.replace("[[old]]", "[[new]]"))
    assert "[[old]]" not in result
    assert result.startswith("Top [[new]].\n\n" + managed("vidAAAAAAAA", "See [[new]] here."))
    assert [(b.key, b.edited) for b in blocks(result)] == [
        ("vidAAAAAAAA", False),
        ("vidBBBBBBBB", True),
    ]


def test_outside_is_the_text_people_own() -> None:
    body, _ = upsert(HEAD, "vidAAAAAAAA", ONE)
    body += "\nA closing remark.\n"
    conflicted, _ = upsert(person_edit(body), "vidAAAAAAAA", ONE_NEW)
    mine = sections.outside(conflicted)
    assert "tubewiki:" not in mine
    assert mine.split("\n\n", 1)[0] == HEAD.split("\n\n", 1)[0]
    assert mine.split() == (HEAD + "A closing remark.").split()


def test_rewrite_keeps_the_kept_mark_and_leaves_untouched_blocks_alone() -> None:
    body = "intro\n\n" + sections.managed("vid", "- my words about [[old]]\n", kept="abc123abc123")
    untouched = sections.managed("other", "- nothing to relink\n", kept="def456def456")
    body = f"{body}\n\n{untouched}\n"
    after = sections.rewrite(body, lambda b: b.replace("[[old]]", "[[new]]"))
    found = {b.key: b for b in sections.blocks(after)}
    assert found["vid"].kept == "abc123abc123" and not found["vid"].edited
    assert "[[new]]" in found["vid"].content
    assert untouched in after
    assert sections.rewrite(body, lambda b: b) is body


def test_an_edited_block_raises_no_conflict_when_tubewikis_text_is_unchanged() -> None:
    body = sections.managed("vid", "- tubewiki's words\n").replace("tubewiki's", "my")
    same, outcome = sections.upsert(body, "vid", "- tubewiki's words\n")
    assert (same, outcome) == (body, sections.Outcome.UNCHANGED)
    conflicted, outcome = sections.upsert(body, "vid", "- newer words\n")
    assert outcome is sections.Outcome.CONFLICT
    # tubewiki's text went back to what it was: the stale proposal goes
    settled, outcome = sections.upsert(conflicted, "vid", "- tubewiki's words\n")
    assert (settled, outcome) == (body, sections.Outcome.REPLACED)
