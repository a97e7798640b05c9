"""`plan_video` on an in-memory vault with hand-built extractions: no spaCy, no disk writes."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.vaults import CHECK_NOTES
from tubewiki import sections
from tubewiki.notes import parse_note
from tubewiki.plan import SectionReport, VideoInput, plan_video
from tubewiki.types import Claim, ClaimLink, Entity, Extraction, Section, VideoMeta
from tubewiki.vault import Vault

WIKILINK = re.compile(r"\[\[([^\[\]|]+?)(?: \| ([^\[\]]+))?\]\]")
ANCHOR = re.compile(r'<a class="yt-timestamp" data-t="(\d\d:\d\d:\d\d)">\[(\d\d:\d\d:\d\d)\]</a>')

VIDEO = "hm12345678a"
META = VideoMeta(VIDEO, "How Harlow Motors Started", "Makers Hour", "UCmakershour")

PRIYA = Entity("priya_raman", "Priya Raman", "PERSON", ("Priya",), 3)
HARLOW = Entity("harlow_motors", "Harlow Motors", "ORG", (), 4)
SHOW = Entity("makers_hour", "Makers Hour", "ORG", (), 2)  # named like the channel

FOUNDED = Claim(
    "Priya Raman founded Harlow Motors in 2014.",
    9.5,
    4.0,
    (ClaimLink(0, 11, "priya_raman"), ClaimLink(20, 33, "harlow_motors")),
)
SOLD = Claim(
    "Harlow Motors sold 12,000 vans to Parcelline in 2019.",
    23.5,
    3.0,
    (ClaimLink(0, 13, "harlow_motors"), ClaimLink(34, 44, "parcelline")),  # no note: plain text
)
INTERVIEW = Claim(
    "Makers Hour interviewed Priya Raman in 2022.",
    70.0,
    3.0,
    (ClaimLink(0, 11, "makers_hour"), ClaimLink(24, 35, "priya_raman")),
)
EXTRACTION = Extraction(
    video_id=VIDEO,
    entities=(PRIYA, HARLOW, SHOW),
    intro=(FOUNDED,),
    sections=(Section("Founding", 0.0, (SOLD,)), Section("Later", 60.0, (INTERVIEW,))),
    entity_claims={
        "priya_raman": (FOUNDED, INTERVIEW),
        "harlow_motors": (FOUNDED, SOLD),
        "makers_hour": (INTERVIEW,),
    },
    words=300,
)
ITEM = VideoInput(META, EXTRACTION, transcript_kind="manual", language="en", duration=120.0)
VIDEO_PATH = "makers_hour/how_harlow_motors_started.md"
CHANNEL_PATH = "makers_hour/makers_hour.md"


def run(
    texts: dict[str, str], item: VideoInput = ITEM, root: Path = Path("vault")
) -> tuple[dict[str, str], list[SectionReport]]:
    """Plan one video on `texts`; return the vault's texts afterwards and the reports."""
    vault = Vault(root, texts=dict(texts))
    reports = plan_video(vault, item)
    after = dict(texts)
    after.update({change.path: change.after for change in vault.changes()})
    return after, reports


def stems(texts: dict[str, str]) -> set[str]:
    return {path.rsplit("/", 1)[-1].removesuffix(".md") for path in texts}


@pytest.fixture(scope="module")
def first() -> dict[str, str]:
    texts, _ = run({})
    return texts


def test_creates_video_entity_and_channel_notes(first: dict[str, str]) -> None:
    assert set(first) == {
        VIDEO_PATH,
        CHANNEL_PATH,
        "entities/harlow_motors.md",
        "entities/priya_raman.md",
        "entities/makers_hour_entity.md",
    }


def test_first_run_reports_every_block_added() -> None:
    _, reports = run({})
    assert {(r.path, r.key, r.outcome) for r in reports} == {
        (VIDEO_PATH, VIDEO, sections.Outcome.ADDED),
        (CHANNEL_PATH, VIDEO, sections.Outcome.ADDED),
        ("entities/harlow_motors.md", VIDEO, sections.Outcome.ADDED),
        ("entities/priya_raman.md", VIDEO, sections.Outcome.ADDED),
        ("entities/makers_hour_entity.md", VIDEO, sections.Outcome.ADDED),
    }


def test_no_dangling_wikilinks(first: dict[str, str]) -> None:
    existing = stems(first)
    for path, text in first.items():
        assert "[[" in text, path
        targets = [m[1] for m in WIKILINK.finditer(text)]
        assert text.count("[[") == len(targets), path  # every link has the contract's form
        assert set(targets) <= existing, path


def test_video_note(first: dict[str, str]) -> None:
    note = parse_note(VIDEO_PATH, first[VIDEO_PATH])
    assert note.meta["title"] == META.title
    assert note.meta["videoId"] == VIDEO
    assert note.meta["channel"] == "makers_hour"
    assert note.body.splitlines()[0] == "From: [[makers_hour]] <br/>"
    body = note.body
    assert "## Founding" in body and "## Later" in body
    assert body.index("## Founding") < body.index("## Later")
    # links go to notes; Parcelline has none and stays plain text
    assert "[[harlow_motors | Harlow Motors]] sold 12,000 vans to Parcelline in 2019" in body
    assert "[[makers_hour_entity | Makers Hour]] interviewed [[priya_raman | Priya Raman]]" in body
    times = [m[1] for m in ANCHOR.finditer(body)]
    assert times == ["00:00:09", "00:00:23", "00:01:10"]
    assert all(m[1] == m[2] for m in ANCHOR.finditer(body))


def test_entity_notes(first: dict[str, str]) -> None:
    priya = parse_note("entities/priya_raman.md", first["entities/priya_raman.md"])
    assert priya.meta["title"] == "Priya Raman"
    assert priya.meta["videoId"] == VIDEO
    assert priya.meta["aliases"] == ["Priya"]
    assert priya.meta["videos"] == [VIDEO]
    assert priya.body.splitlines()[0] == "From: [[makers_hour]] <br/>"
    assert [(b.kind, b.key) for b in sections.blocks(priya.body)] == [
        ("begin", "intro"),
        ("begin", VIDEO),
    ]
    assert "**Priya Raman** founded [[harlow_motors | Harlow Motors]] in 2014" in priya.body
    assert "## [[how_harlow_motors_started | How Harlow Motors Started]]" in priya.body


def test_channel_index(first: dict[str, str]) -> None:
    channel = parse_note(CHANNEL_PATH, first[CHANNEL_PATH])
    assert channel.meta["title"] == "Makers Hour"
    assert (
        "### [How Harlow Motors Started](https://www.youtube.com/watch?v=hm12345678a)"
        in channel.body
    )
    links = [m[1] for m in WIKILINK.finditer(channel.body)]
    assert links == [
        "how_harlow_motors_started",
        "harlow_motors",
        "makers_hour_entity",
        "priya_raman",
    ]


def test_entity_named_like_the_channel_gets_a_distinct_slug(first: dict[str, str]) -> None:
    show = parse_note("entities/makers_hour_entity.md", first["entities/makers_hour_entity.md"])
    assert show.meta["title"] == "Makers Hour"
    assert show.slug != "makers_hour"
    assert len(stems(first)) == len(first)  # stems are unique across the vault


def test_second_identical_plan_changes_nothing(first: dict[str, str]) -> None:
    vault = Vault(Path("vault"), texts=dict(first))
    assert plan_video(vault, ITEM) == []
    assert vault.changes() == []


def test_idempotent_from_disk(first: dict[str, str], tmp_vault: Path) -> None:
    for path, text in first.items():
        (tmp_vault / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_vault / path).write_text(text, encoding="utf-8")
    vault = Vault.load(tmp_vault)
    assert set(vault.notes) == set(first)
    assert plan_video(vault, ITEM) == []
    assert vault.changes() == []


def test_persons_additions_survive_a_replan(first: dict[str, str]) -> None:
    texts = dict(first)
    texts[VIDEO_PATH] = (
        texts[VIDEO_PATH].replace("tubewiki: video\n", "tubewiki: video\nrating: 5\n")
        + "\nMy own summary of the episode.\n"
    )
    priya_path = "entities/priya_raman.md"
    texts[priya_path] = texts[priya_path].replace(
        "From: [[makers_hour]] <br/>\n", "From: [[makers_hour]] <br/>\n\nPriya once drove a bus.\n"
    )
    changed = replace(
        EXTRACTION,
        intro=(replace(FOUNDED, text="Priya Raman founded Harlow Motors in Bristol in 2014."),),
        entity_claims={**EXTRACTION.entity_claims, "priya_raman": (INTERVIEW,)},
    )
    after, reports = run(texts, replace(ITEM, extraction=changed))
    assert {r.path for r in reports} >= {VIDEO_PATH, priya_path}
    video = parse_note(VIDEO_PATH, after[VIDEO_PATH])
    assert video.meta["rating"] == 5
    assert video.body.endswith("My own summary of the episode.")
    assert "founded [[harlow_motors | Harlow Motors]] in Bristol in 2014" in video.body
    priya = after[priya_path]
    assert "\nPriya once drove a bus.\n" in priya
    assert "founded" not in sections.blocks(priya)[-1].content


def test_persons_edit_in_a_block_is_kept(first: dict[str, str]) -> None:
    texts = dict(first)
    path = "entities/harlow_motors.md"
    texts[path] = texts[path].replace("in 2014 <a", "in 2014 (not 2013) <a")
    changed = replace(
        EXTRACTION, entity_claims={**EXTRACTION.entity_claims, "harlow_motors": (SOLD,)}
    )
    after, reports = run(texts, replace(ITEM, extraction=changed))
    assert (path, VIDEO, sections.Outcome.CONFLICT) in {(r.path, r.key, r.outcome) for r in reports}
    assert "in 2014 (not 2013) <a" in after[path]
    assert "<!-- tubewiki:proposed hm12345678a -->" in after[path]


def test_second_video_from_another_channel(first: dict[str, str]) -> None:
    meta = VideoMeta("zz12345678b", "Vans [Part 2] | Deep dive", "Fleet Talk", "UCfleettalk")
    ex = Extraction(
        "zz12345678b",
        (PRIYA,),
        (),
        (Section("Only", 0.0, (FOUNDED,)),),
        {"priya_raman": (FOUNDED,)},
    )
    after, _ = run(first, VideoInput(meta, ex, "generated", "en", 200.0))
    assert set(after) - set(first) == {
        "fleet_talk/fleet_talk.md",
        "fleet_talk/vans_part_2_deep_dive.md",
    }
    priya = parse_note("entities/priya_raman.md", after["entities/priya_raman.md"])
    assert priya.body.splitlines()[0] == "From: [[fleet_talk]], [[makers_hour]] <br/>"
    assert priya.meta["videos"] == [VIDEO, "zz12345678b"]
    assert priya.meta["channels"] == ["fleet_talk", "makers_hour"]  # sorted: any order of ingest
    assert priya.meta["videoId"] == "zz12345678b"  # the longer video
    assert [b.key for b in sections.blocks(priya.body)] == ["intro", VIDEO, "zz12345678b"]
    assert "comes up in 2 videos" in priya.body
    video = parse_note(
        "fleet_talk/vans_part_2_deep_dive.md", after["fleet_talk/vans_part_2_deep_dive.md"]
    )
    assert video.body.splitlines()[0] == "From: [[fleet_talk]] <br/>"
    existing = stems(after)
    for text in after.values():
        assert {m[1] for m in WIKILINK.finditer(text)} <= existing


def test_entity_dropped_on_replan_loses_its_section(first: dict[str, str]) -> None:
    fewer = replace(
        EXTRACTION,
        entities=(PRIYA, HARLOW),
        sections=(Section("Founding", 0.0, (SOLD,)),),
        entity_claims={"priya_raman": (FOUNDED,), "harlow_motors": (FOUNDED, SOLD)},
    )
    after, _ = run(first, replace(ITEM, extraction=fewer))
    assert after["entities/makers_hour_entity.md"] is None  # nothing of a person's in it: gone
    assert "makers_hour_entity" not in after[VIDEO_PATH]


def test_entity_dropped_on_replan_keeps_a_section_the_person_kept(
    first: dict[str, str],
) -> None:
    path = "entities/makers_hour_entity.md"
    note = parse_note(path, first[path])
    mine = next(b for b in sections.blocks(note.body) if b.key == VIDEO)
    edited = note.body.replace(mine.content, mine.content + "- My own line.\n")
    conflicted, _ = sections.upsert(edited, VIDEO, "- a newer tubewiki line\n")
    kept_body = sections.resolve(conflicted, VIDEO, take_proposed=False)  # keep mine
    texts = {**first, path: first[path].replace(note.body, kept_body)}
    assert next(b for b in sections.blocks(kept_body) if b.key == VIDEO).kept
    fewer = replace(
        EXTRACTION,
        entities=(PRIYA, HARLOW),
        entity_claims={"priya_raman": (FOUNDED,), "harlow_motors": (FOUNDED, SOLD)},
    )
    after, _ = run(texts, replace(ITEM, extraction=fewer))
    assert "- My own line." in after[path]


def test_entity_dropped_on_replan_has_a_fresh_intro(first: dict[str, str]) -> None:
    path = "entities/makers_hour_entity.md"
    texts = {**first, path: first[path] + "\nMy own notes on the show.\n"}
    fewer = replace(
        EXTRACTION,
        entities=(PRIYA, HARLOW),
        entity_claims={"priya_raman": (FOUNDED,), "harlow_motors": (FOUNDED, SOLD)},
    )
    after, _ = run(texts, replace(ITEM, extraction=fewer))
    show = after[path]
    assert "My own notes on the show." in show  # a person's words keep the note
    assert "how_harlow_motors_started" not in show
    assert "comes up in 1 video" not in show


def test_renamed_entity_note_receives_its_old_slug(first: dict[str, str]) -> None:
    texts = dict(first)
    old = texts.pop("entities/harlow_motors.md")
    texts["entities/harlow.md"] = old.replace(
        "title: Harlow Motors\n", "title: Harlow Motors\nformerly:\n- harlow_motors\n"
    )
    after, _ = run(texts)
    assert "entities/harlow_motors.md" not in after
    assert "[[harlow | Harlow Motors]]" in after[VIDEO_PATH]
    assert "[[harlow_motors" not in after[VIDEO_PATH]
    existing = stems(after)
    for text in after.values():
        assert {m[1] for m in WIKILINK.finditer(text)} <= existing


@pytest.mark.skipif(not CHECK_NOTES.is_file(), reason="the shared note checker is not here")
def test_check_notes_accepts_the_vault(first: dict[str, str], tmp_vault: Path) -> None:
    for path, text in first.items():
        (tmp_vault / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_vault / path).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(CHECK_NOTES), str(tmp_vault)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dangling=0" in result.stdout
