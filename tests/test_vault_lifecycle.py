"""A vault's life through the library: ingest, hand edits, a second video, re-ingest.

The scenario, on two invented videos that share people and companies
(`tests/fixtures/lifecycle/`):

1. ingest video A;
2. a person edits the shared entity note `entities/dana_whitfield.md`: a
   paragraph outside the markers, a front matter key `rating: 5`, and one
   word changed inside A's managed section;
3. ingest video B, which mentions the same entity;
4. ingest A again, under the new title its creator gave it.

Then the person's words must all be where they left them, the inside edit must
be reported as a conflict with tubewiki's version proposed beside it, and
every later step (re-ingest, resolve, revert, merge, rename) must keep the
vault byte-stable, link-complete and free of lost text.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.vaults import check_notes, dangling_links, rebuild, snapshot
from tubewiki import refactor, review, sections
from tubewiki.errors import ReviewError
from tubewiki.notes import parse_note
from tubewiki.pipeline import Request, RunReport, apply, ingest

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"

VIDEO_A = "OrbitalA_01"
VIDEO_B = "OrbitalB_02"
CHANNEL = "Launch Ledger"
REQUEST_A = Request(
    VIDEO_A,
    FIXTURES / "orbital_freight_story.json",
    "How Orbital Freight ships satellites",
    CHANNEL,
)
# The creator retitled A, so tubewiki's text for A's sections changes on re-ingest
REQUEST_A_RETITLED = Request(
    VIDEO_A,
    FIXTURES / "orbital_freight_story.json",
    "How Orbital Freight ships small satellites",
    CHANNEL,
)
REQUEST_B = Request(VIDEO_B, FIXTURES / "rideshare_rivals.json", "Rideshare rivals", CHANNEL)

SHARED = "entities/dana_whitfield.md"
PERSON_PARAGRAPH = "I met Dana Whitfield at a rideshare conference in Rotterdam; ask her about ESA."
WORD_BEFORE, WORD_AFTER = "paperwork", "red tape"

_CLAIM = re.compile(r"^- .*yt-timestamp.*$", re.M)


# --- helpers -----------------------------------------------------------------


def body_of(vault: Path, rel: str) -> str:
    return parse_note(rel, (vault / rel).read_text(encoding="utf-8")).body


def without_proposed(body: str) -> str:
    """The body with every `tubewiki:proposed` block cut out (managed blocks kept)."""
    for block in reversed(sections.blocks(body)):
        if block.kind == "proposed":
            body = body[: block.start] + body[block.end :]
    return body


def body_of_bytes(data: bytes) -> str:
    return parse_note(SHARED, data.decode("utf-8")).body


def without_block(body: str, key: str) -> str:
    found = block(body, key)
    return body if found is None else body[: found.start] + body[found.end :]


def block(body: str, key: str, kind: str = "begin") -> sections.Block | None:
    return next((b for b in sections.blocks(body) if b.key == key and b.kind == kind), None)


def raw_block(text: str, key: str) -> str:
    """The exact bytes of the managed block for `key`, markers included."""
    start = text.index(f"<!-- tubewiki:begin {key} ")
    end_marker = f"<!-- tubewiki:end {key} -->"
    return text[start : text.index(end_marker, start) + len(end_marker)]


def assert_no_duplicate_claims(vault: Path) -> None:
    for path in sorted(vault.rglob("*.md")):
        if ".tubewiki" in path.parts:
            continue
        rel = path.relative_to(vault).as_posix()
        lines = _CLAIM.findall(without_proposed(body_of(vault, rel)))
        twice = sorted({ln for ln in lines if lines.count(ln) > 1})
        assert not twice, f"{rel} repeats claim lines: {twice}"


def hand_edit(vault: Path) -> None:
    """What a person does to the shared note between runs (step 2)."""
    path = vault / SHARED
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    close = text.index("\n---\n", 4)
    text = text[:close] + "\nrating: 5" + text[close:]
    inside = raw_block(text, VIDEO_A)
    assert WORD_BEFORE in inside, f"fixture drift: {WORD_BEFORE!r} not in A's section"
    text = text.replace(inside, inside.replace(WORD_BEFORE, WORD_AFTER, 1))
    text = text.rstrip("\n") + f"\n\n{PERSON_PARAGRAPH}\n"
    path.write_text(text, encoding="utf-8")


def retitled(section: str) -> str:
    """A's section as tubewiki writes it once A has its new title."""
    old, new = f"| {REQUEST_A.title}]]", f"| {REQUEST_A_RETITLED.title}]]"
    assert old in section
    return section.replace(old, new)


def run_id_of(vault: Path, video_id: str) -> str:
    rows = [r for r in review.runs(vault, 100) if r.kind == "ingest" and video_id in r.videos]
    assert rows, f"no ingest run for {video_id}"
    return rows[-1].run_id  # runs are newest first: the first ingest of the video


def copy_vault(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@dataclass
class Scenario:
    stage1: Path  # after ingesting A
    stage2: Path  # after the hand edit
    stage3: Path  # after ingesting B
    stage4: Path  # after re-ingesting A
    original_a_section: str  # the content of A's section in the shared note before the edit
    edited_a_block: str  # the exact bytes of A's block after the edit, markers included
    report_b: RunReport
    report_a2: RunReport


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("lifecycle")
    vault = root / "vault"
    ingest(REQUEST_A, vault)
    stage1 = copy_vault(vault, root / "stage1")
    original = block(body_of(vault, SHARED), VIDEO_A)
    assert original is not None, "video A wrote no section into the shared note"
    hand_edit(vault)
    edited = raw_block((vault / SHARED).read_text(encoding="utf-8"), VIDEO_A)
    stage2 = copy_vault(vault, root / "stage2")
    report_b = ingest(REQUEST_B, vault)
    stage3 = copy_vault(vault, root / "stage3")
    report_a2 = ingest(REQUEST_A_RETITLED, vault)
    stage4 = copy_vault(vault, root / "stage4")
    return Scenario(stage1, stage2, stage3, stage4, original.content, edited, report_b, report_a2)


# --- the scenario ----------------------------------------------------------------


def test_people_text_and_front_matter_survive(scenario: Scenario) -> None:
    text = (scenario.stage4 / SHARED).read_text(encoding="utf-8")
    note = parse_note(SHARED, text)
    assert note.meta.get("rating") == 5
    assert "\nrating: 5\n" in text
    assert PERSON_PARAGRAPH in sections.outside(note.body)
    assert text.count(PERSON_PARAGRAPH) == 1


def test_inside_edit_is_kept_and_reported_as_a_conflict(scenario: Scenario) -> None:
    text = (scenario.stage4 / SHARED).read_text(encoding="utf-8")
    assert scenario.edited_a_block in text, "the person's edited block changed"
    assert raw_block(text, VIDEO_A) == scenario.edited_a_block
    assert [c.path for c in scenario.report_a2.conflicts] == [SHARED]
    assert scenario.report_a2.conflicts[0].key == VIDEO_A
    proposal = block(parse_note(SHARED, text).body, VIDEO_A, kind="proposed")
    assert proposal is not None, "no proposed block for A"
    assert retitled(scenario.original_a_section) in proposal.content
    assert WORD_AFTER not in proposal.content
    # the proposed block sits right after the person's block
    assert text.index("<!-- tubewiki:proposed " + VIDEO_A) > text.index(scenario.edited_a_block)


def test_b_did_not_conflict_and_added_its_section(scenario: Scenario) -> None:
    assert scenario.report_b.conflicts == ()
    assert SHARED in scenario.report_b.updated
    body = body_of(scenario.stage4, SHARED)
    assert block(body, VIDEO_B) is not None
    assert block(body, VIDEO_B).content.startswith("## [[rideshare_rivals")
    assert VIDEO_B in parse_note(SHARED, (scenario.stage4 / SHARED).read_text()).meta["videos"]
    # the re-ingest of A leaves B's section as B wrote it
    assert block(body, VIDEO_B).content == block(body_of(scenario.stage3, SHARED), VIDEO_B).content


def test_no_claim_line_twice(scenario: Scenario) -> None:
    for stage in (scenario.stage1, scenario.stage3, scenario.stage4):
        assert_no_duplicate_claims(stage)


def test_every_stage_passes_the_note_checker(scenario: Scenario) -> None:
    for stage in (scenario.stage1, scenario.stage2, scenario.stage3, scenario.stage4):
        assert dangling_links(stage) == []
        check_notes(stage)


def test_no_conflict_when_tubewikis_text_did_not_change(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage2, tmp_path / "v")
    before = snapshot(vault)
    report = ingest(REQUEST_A, vault)  # same title, same transcript: nothing new to propose
    assert report.conflicts == ()
    after = snapshot(vault)
    assert {rel for rel in after if after[rel] != before.get(rel)} <= {SHARED}
    # The intro is tubewiki's summary of its own sections: it stops quoting A's
    # section once the person edited it (main), and nothing else in the note moved.
    old_body, new_body = (body_of_bytes(snap[SHARED]) for snap in (before, after))
    intro = block(new_body, "intro")
    assert intro is not None and WORD_AFTER not in intro.content
    assert without_block(old_body, "intro") == without_block(new_body, "intro")


def test_reingest_after_conflict_changes_no_byte(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    before = snapshot(vault)
    report = ingest(REQUEST_A_RETITLED, vault)
    assert snapshot(vault) == before
    assert report.created == report.updated == report.deleted == ()
    # the conflict is still open, and still said so
    assert [c.path for c in report.conflicts] == [SHARED]
    ingest(REQUEST_B, vault)
    assert snapshot(vault) == before


# --- resolve -------------------------------------------------------------------


def test_resolve_keep_mine_then_reingest_keeps_the_persons_text(
    scenario: Scenario, tmp_path: Path
) -> None:
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    apply(vault, "resolve", review.resolve_edit("dana_whitfield", take_proposed=False))
    resolved = snapshot(vault)
    text = resolved[SHARED].decode()
    assert "tubewiki:proposed" not in text
    assert WORD_AFTER in block(parse_note(SHARED, text).body, VIDEO_A).content

    report = ingest(REQUEST_A_RETITLED, vault)
    assert report.conflicts == ()
    after = (vault / SHARED).read_text(encoding="utf-8")
    assert WORD_AFTER in block(parse_note(SHARED, after).body, VIDEO_A).content
    assert PERSON_PARAGRAPH in after
    assert snapshot(vault) == resolved, "re-ingest after resolving changed a note"
    check_notes(vault)


def test_resolve_theirs_takes_tubewikis_version(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    apply(vault, "resolve", review.resolve_edit(SHARED, take_proposed=True))
    text = (vault / SHARED).read_text(encoding="utf-8")
    body = parse_note(SHARED, text).body
    assert "tubewiki:proposed" not in text
    assert block(body, VIDEO_A).content == retitled(scenario.original_a_section)
    assert not block(body, VIDEO_A).edited
    assert PERSON_PARAGRAPH in text and "\nrating: 5\n" in text
    resolved = snapshot(vault)
    assert ingest(REQUEST_A_RETITLED, vault).conflicts == ()
    assert snapshot(vault) == resolved
    assert_no_duplicate_claims(vault)


def test_resolve_a_note_without_conflicts_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    before = snapshot(vault)
    with pytest.raises(ReviewError, match="no conflicts"):
        apply(vault, "resolve", review.resolve_edit("orbital_freight", take_proposed=False))
    assert snapshot(vault) == before


# --- revert --------------------------------------------------------------------


def test_revert_last_restores_the_exact_previous_bytes(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    # the last run is B's ingest: reverting it gives back the hand-edited vault
    apply(vault, "revert", review.revert_edit(vault, "last"))
    assert snapshot(vault) == snapshot(scenario.stage2)
    check_notes(vault)


def test_revert_last_after_a_conflicting_reingest(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    before = snapshot(vault)
    ingest(REQUEST_A_RETITLED, vault)
    assert snapshot(vault) != before
    report = apply(vault, "revert", review.revert_edit(vault, "last"))
    assert SHARED in report.updated
    assert snapshot(vault) == before


def test_revert_of_an_earlier_run_touched_later_is_refused(
    scenario: Scenario, tmp_path: Path
) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    before = snapshot(vault)
    runs_before = len(review.runs(vault, 100))
    with pytest.raises(ReviewError) as caught:
        apply(vault, "revert", review.revert_edit(vault, run_id_of(vault, VIDEO_A)))
    assert SHARED in str(caught.value)
    assert "\n" not in str(caught.value)
    assert snapshot(vault) == before
    assert len(review.runs(vault, 100)) == runs_before, "a refused revert was recorded as a run"


def test_a_reverted_run_is_not_in_the_way(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    run_b = review.runs(vault, 1)[0].run_id
    again = ingest(REQUEST_A_RETITLED, vault)  # the conflicting re-ingest touches the shared note
    assert SHARED in again.updated
    undo = apply(vault, "revert", review.revert_edit(vault, "last"))
    with pytest.raises(ReviewError) as caught:
        apply(vault, "revert", review.revert_edit(vault, run_id_of(vault, VIDEO_A)))
    message = str(caught.value)
    assert run_b in message
    assert again.run_id not in message and undo.run_id not in message
    with pytest.raises(ReviewError, match=f"already reverted by run {undo.run_id}"):
        apply(vault, "revert", review.revert_edit(vault, again.run_id))
    # once B is undone too, no run stands in the way of A: only the hand edit does
    apply(vault, "revert", review.revert_edit(vault, run_b))
    with pytest.raises(ReviewError, match="changed since it ran"):
        apply(vault, "revert", review.revert_edit(vault, run_id_of(vault, VIDEO_A)))


def test_revert_of_a_hand_edited_run_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    # stage2: the only run is A's ingest, and a person edited one of its notes since
    vault = copy_vault(scenario.stage2, tmp_path / "v")
    before = snapshot(vault)
    with pytest.raises(ReviewError) as caught:
        apply(vault, "revert", review.revert_edit(vault, "last"))
    assert SHARED in str(caught.value)
    assert snapshot(vault) == before


def test_revert_of_the_first_run_empties_the_vault(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage1, tmp_path / "v")
    report = apply(vault, "revert", review.revert_edit(vault, "last"))
    assert snapshot(vault) == {}
    assert set(report.deleted) == set(snapshot(scenario.stage1))


# --- merge and rename ------------------------------------------------------------


def _merge_pair(vault: Path) -> tuple[str, str]:
    """Two entity notes to fold together: `kestrel` into `kestrel_dynamics` when both exist."""
    stems = sorted(p.stem for p in (vault / "entities").glob("*.md"))
    if {"kestrel", "kestrel_dynamics"} <= set(stems):
        return "kestrel", "kestrel_dynamics"
    others = [s for s in stems if s not in ("dana_whitfield", "orbital_freight")]
    assert len(others) >= 2, f"too few entity notes to merge: {stems}"
    return others[0], others[1]


def _add_person_paragraph(path: Path, paragraph: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{paragraph}\n", "utf-8")


def test_merge_keeps_every_link_and_every_word(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    src, dst = _merge_pair(vault)
    words = f"My note: {src} and {dst} are the same company, see their 2024 filing."
    _add_person_paragraph(vault / f"entities/{src}.md", words)
    link_to_src = re.compile(rf"\[\[{src}\s*(\||#|\]\])")
    linked_before = [p for p in vault.rglob("*.md") if link_to_src.search(p.read_text())]
    assert linked_before, f"nothing links to {src}: the merge would not exercise relinking"

    report = apply(vault, "merge", lambda v: refactor.merge(v, src, dst))

    assert not (vault / f"entities/{src}.md").exists()
    assert f"entities/{src}.md" in report.deleted
    target = (vault / f"entities/{dst}.md").read_text(encoding="utf-8")
    assert words in target
    assert dangling_links(vault) == []
    for path in linked_before:
        if path.exists():
            assert not link_to_src.search(path.read_text(encoding="utf-8"))
    # the shared note's person-owned parts are untouched by a merge elsewhere
    shared = (vault / SHARED).read_text(encoding="utf-8")
    assert PERSON_PARAGRAPH in shared and scenario.edited_a_block in shared
    check_notes(vault)
    assert_no_duplicate_claims(vault)

    # merging is a run like any other: revert restores every byte
    apply(vault, "revert", review.revert_edit(vault, "last"))
    restored = snapshot(vault)
    assert restored[f"entities/{src}.md"].decode().endswith(f"{words}\n")


def test_merge_then_reingest_keeps_the_merge(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    src, dst = _merge_pair(vault)
    apply(vault, "merge", lambda v: refactor.merge(v, src, dst))
    merged = snapshot(vault)
    ingest(REQUEST_B, vault)
    assert not (vault / f"entities/{src}.md").exists(), "re-ingest brought the merged note back"
    assert dangling_links(vault) == []
    assert_no_duplicate_claims(vault)
    check_notes(vault)
    assert set(snapshot(vault)) == set(merged)


def test_rename_keeps_every_link_and_every_word(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    new = "dana_whitfield_ceo"
    report = apply(vault, "rename", lambda v: refactor.rename(v, "dana_whitfield", new))

    assert not (vault / SHARED).exists()
    assert SHARED in report.deleted and f"entities/{new}.md" in report.created
    text = (vault / f"entities/{new}.md").read_text(encoding="utf-8")
    assert PERSON_PARAGRAPH in text and "\nrating: 5\n" in text
    assert scenario.edited_a_block in text, "the person's edited block changed on rename"
    assert dangling_links(vault) == []
    for path in vault.rglob("*.md"):
        if ".tubewiki" not in path.parts:
            assert "[[dana_whitfield |" not in path.read_text(encoding="utf-8")
    check_notes(vault)


def test_rename_then_reingest_keeps_the_new_slug(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    new = "dana_whitfield_ceo"
    apply(vault, "rename", lambda v: refactor.rename(v, "dana_whitfield", new))
    renamed = snapshot(vault)
    ingest(REQUEST_B, vault)
    assert not (vault / SHARED).exists(), "re-ingest brought the old slug back"
    assert dangling_links(vault) == []
    assert_no_duplicate_claims(vault)
    assert set(snapshot(vault)) == set(renamed)


def test_kept_text_survives_a_merge_elsewhere_then_rebuild_and_ingest(
    scenario: Scenario, tmp_path: Path
) -> None:
    # resolve (keep mine), merge two notes that share no link with it, rebuild, ingest
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    apply(vault, "resolve", review.resolve_edit("dana_whitfield", take_proposed=False))
    kept = block(body_of(vault, SHARED), VIDEO_A)
    assert kept is not None and kept.kept and WORD_AFTER in kept.content
    src, dst = _merge_pair(vault)
    apply(vault, "merge", lambda v: refactor.merge(v, src, dst))
    after_merge = block(body_of(vault, SHARED), VIDEO_A)
    assert after_merge is not None and after_merge.kept == kept.kept, "merge dropped kept="
    for step in (rebuild, lambda v: ingest(REQUEST_A_RETITLED, v)):
        step(vault)
        current = block(body_of(vault, SHARED), VIDEO_A)
        assert current is not None and WORD_AFTER in current.content, "the kept text was lost"
    check_notes(vault)


def test_merge_keeps_a_persons_edit_inside_the_source_note(
    scenario: Scenario, tmp_path: Path
) -> None:
    vault = copy_vault(scenario.stage4, tmp_path / "v")
    apply(vault, "merge", lambda v: refactor.merge(v, "dana_whitfield", "orbital_freight"))
    target = "entities/orbital_freight.md"
    assert WORD_AFTER in (vault / target).read_text(encoding="utf-8")
    for step in (rebuild, lambda v: ingest(REQUEST_A_RETITLED, v)):
        step(vault)
        assert WORD_AFTER in (vault / target).read_text(encoding="utf-8"), "the edit was lost"
    assert not (vault / SHARED).exists()
    assert dangling_links(vault) == []


def test_rename_then_rebuild_keeps_the_new_slug_and_leaves_no_orphan(
    scenario: Scenario, tmp_path: Path
) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    new = "dana_whitfield_ceo"
    apply(vault, "rename", lambda v: refactor.rename(v, "dana_whitfield", new))
    renamed = snapshot(vault)
    rebuild(vault)
    assert not (vault / SHARED).exists(), "rebuild brought the old slug back"
    assert set(snapshot(vault)) == set(renamed)
    text = (vault / f"entities/{new}.md").read_text(encoding="utf-8")
    assert "comes up in 0 videos" not in text
    assert parse_note(new, text).meta["formerly"] == ["dana_whitfield"]
    assert dangling_links(vault) == []
    check_notes(vault)


def test_renaming_the_channel_note_keeps_every_from_line(
    scenario: Scenario, tmp_path: Path
) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    apply(vault, "rename", lambda v: refactor.rename(v, "launch_ledger", "launch_ledger_show"))
    rebuild(vault)
    shared = parse_note(SHARED, (vault / SHARED).read_text(encoding="utf-8"))
    assert shared.meta["channels"] == ["launch_ledger_show"]
    assert shared.body.startswith("From: [[launch_ledger_show]] <br/>")
    assert dangling_links(vault) == []
    check_notes(vault)


def test_merge_then_rebuild_keeps_the_merge(scenario: Scenario, tmp_path: Path) -> None:
    vault = copy_vault(scenario.stage3, tmp_path / "v")
    src, dst = _merge_pair(vault)
    apply(vault, "merge", lambda v: refactor.merge(v, src, dst))
    merged = snapshot(vault)
    rebuild(vault)
    assert set(snapshot(vault)) == set(merged)
    assert "comes up in 0 videos" not in (vault / f"entities/{dst}.md").read_text()
    assert dangling_links(vault) == []
    check_notes(vault)


# --- idempotency -----------------------------------------------------------------


def test_ingest_twice_changes_no_byte(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    first = ingest(REQUEST_A, vault)
    assert first.created and not first.conflicts
    once = snapshot(vault)
    again = ingest(REQUEST_A, vault)
    assert snapshot(vault) == once
    assert again.created == again.updated == again.deleted == again.conflicts == ()


def test_ingest_both_twice_changes_no_byte(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    ingest(REQUEST_A, vault)
    ingest(REQUEST_B, vault)
    once = snapshot(vault)
    ingest(REQUEST_A, vault)
    ingest(REQUEST_B, vault)
    assert snapshot(vault) == once
    check_notes(vault)
