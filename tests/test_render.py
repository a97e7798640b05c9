"""The inline forms the note format fixes: times, anchors, wikilinks, claims."""

from __future__ import annotations

import re

import pytest

from tubewiki.render import (
    anchor,
    claim_markdown,
    escape_inline,
    hms,
    join_claims,
    plain,
    render,
    wikilink,
)
from tubewiki.types import Claim, ClaimLink

ANCHOR = re.compile(r'<a class="yt-timestamp" data-t="(\d\d:\d\d:\d\d)">\[(\d\d:\d\d:\d\d)\]</a>')


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "00:00:00"),
        (5, "00:00:05"),
        (59.9, "00:00:59"),  # the snippet's second, never rounded up past it
        (65, "00:01:05"),
        (3599, "00:59:59"),
        (3600, "01:00:00"),
        (3661.7, "01:01:01"),
        (36000, "10:00:00"),
        (90061, "25:01:01"),
        (-3, "00:00:00"),
    ],
)
def test_hms(seconds: float, expected: str) -> None:
    assert hms(seconds) == expected


def test_anchor_exact_form() -> None:
    assert anchor(65) == '<a class="yt-timestamp" data-t="00:01:05">[00:01:05]</a>'


@pytest.mark.parametrize("seconds", [0, 9.5, 61, 3725.2, 7199.99])
def test_anchor_shows_the_same_time_twice(seconds: float) -> None:
    match = ANCHOR.fullmatch(anchor(seconds))
    assert match is not None
    assert match[1] == match[2] == hms(seconds)


@pytest.mark.parametrize(
    ("slug", "display", "expected"),
    [
        ("ada_lovelace", None, "[[ada_lovelace]]"),
        ("ada_lovelace", "", "[[ada_lovelace]]"),
        ("ada_lovelace", "Ada Lovelace", "[[ada_lovelace | Ada Lovelace]]"),
        ("ada_lovelace", "ada_lovelace", "[[ada_lovelace]]"),
        ("vans", "Vans [Part 2] | Deep dive", "[[vans | Vans (Part 2) - Deep dive]]"),
        ("vans", "  Vans\n  of  Bristol ", "[[vans | Vans of Bristol]]"),
        ("vans", " | ", "[[vans | -]]"),
    ],
)
def test_wikilink(slug: str, display: str | None, expected: str) -> None:
    assert wikilink(slug, display) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Harlow Motors", "Harlow Motors"),
        ("A|B", "A-B"),
        ("[[nested]]", "((nested))"),
        ("Vans [Part 2]", "Vans (Part 2)"),
        ("  two\tlines\nhere  ", "two lines here"),
    ],
)
def test_plain(text: str, expected: str) -> None:
    assert plain(text) == expected
    assert not set("|[]\n") & set(plain(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a[i] < b", "a(i) &lt; b"),
        ("see [[secret]]", "see ((secret))"),
        ("plain words", "plain words"),
    ],
)
def test_escape_inline(text: str, expected: str) -> None:
    assert escape_inline(text) == expected


FOUNDED = Claim(
    "Priya Raman founded Harlow Motors in 2014.",
    9.5,
    3.0,
    (ClaimLink(0, 11, "priya_raman"), ClaimLink(20, 33, "harlow_motors")),
)
AT_9 = anchor(9.5)
PRIYA_LINK = "[[priya_raman | Priya Raman]]"
HARLOW_LINK = "[[harlow_motors | Harlow Motors]]"


@pytest.mark.parametrize(
    ("claim", "linkable", "self_slug", "expected"),
    [
        (
            FOUNDED,
            {"priya_raman", "harlow_motors"},
            "",
            f"{PRIYA_LINK} founded {HARLOW_LINK} in 2014 {AT_9}.",
        ),
        # a slug with no note is left as the speaker's words
        (
            FOUNDED,
            {"priya_raman"},
            "",
            f"[[priya_raman | Priya Raman]] founded Harlow Motors in 2014 {AT_9}.",
        ),
        (FOUNDED, set(), "", f"Priya Raman founded Harlow Motors in 2014 {AT_9}."),
        # on the entity's own note its name is bold, not a link to itself
        (
            FOUNDED,
            {"priya_raman", "harlow_motors"},
            "harlow_motors",
            f"[[priya_raman | Priya Raman]] founded **Harlow Motors** in 2014 {AT_9}.",
        ),
        # links are placed by offset whatever order they come in
        (
            Claim(FOUNDED.text, 9.5, 3.0, tuple(reversed(FOUNDED.links))),
            {"priya_raman", "harlow_motors"},
            "",
            f"{PRIYA_LINK} founded {HARLOW_LINK} in 2014 {AT_9}.",
        ),
        # an exclamation keeps its mark after the anchor
        (
            Claim(
                "Wow, Harlow Motors sold 500 vans!", 3725, 1.0, (ClaimLink(5, 18, "harlow_motors"),)
            ),
            {"harlow_motors"},
            "",
            f"Wow, [[harlow_motors | Harlow Motors]] sold 500 vans {anchor(3725)}!",
        ),
        # no final period: one is added after the anchor
        (
            Claim("Harlow Motors sold 500 vans", 1, 1.0, (ClaimLink(0, 13, "harlow_motors"),)),
            {"harlow_motors"},
            "",
            f"[[harlow_motors | Harlow Motors]] sold 500 vans {anchor(1)}.",
        ),
        # a link that ends the sentence
        (
            Claim("The vans went to Parcelline.", 70, 1.0, (ClaimLink(17, 27, "parcelline"),)),
            {"parcelline"},
            "",
            f"The vans went to [[parcelline | Parcelline]] {anchor(70)}.",
        ),
        # an overlapping link is skipped, the first one wins
        (
            Claim(
                "Harlow Motors sold vans.",
                2,
                1.0,
                (ClaimLink(0, 13, "harlow_motors"), ClaimLink(7, 13, "motors")),
            ),
            {"harlow_motors", "motors"},
            "",
            f"[[harlow_motors | Harlow Motors]] sold vans {anchor(2)}.",
        ),
        # transcript text cannot open tags or links
        (
            Claim(
                "Harlow Motors said [laughs] margins < 5 percent.",
                4,
                1.0,
                (ClaimLink(0, 13, "harlow_motors"),),
            ),
            {"harlow_motors"},
            "",
            f"[[harlow_motors | Harlow Motors]] said (laughs) margins &lt; 5 percent {anchor(4)}.",
        ),
    ],
)
def test_claim_markdown(claim: Claim, linkable: set[str], self_slug: str, expected: str) -> None:
    assert claim_markdown(claim, linkable, self_slug=self_slug) == expected


def test_claim_markdown_anchor_closes_the_sentence() -> None:
    text = claim_markdown(FOUNDED, {"harlow_motors"})
    assert text.endswith(f" {AT_9}.")
    assert text.count("yt-timestamp") == 1
    assert "2014." not in text


def test_join_claims_keeps_order() -> None:
    later = Claim(
        "Harlow Motors moved to Swindon in 2021.", 65, 2.0, (ClaimLink(0, 13, "harlow_motors"),)
    )
    lines = join_claims([FOUNDED, later], {"harlow_motors"}, "harlow_motors")
    assert lines == [
        f"Priya Raman founded **Harlow Motors** in 2014 {AT_9}.",
        f"**Harlow Motors** moved to Swindon in 2021 {anchor(65)}.",
    ]


def test_entity_section_template() -> None:
    text = render(
        "entity_section.md.j2",
        {
            "video_link": "[[vans | Vans]]",
            "description": [],
            "claims": ["First claim.", "Second claim."],
        },
    )
    assert text == "## [[vans | Vans]]\n\n- First claim.\n- Second claim.\n"


def test_entity_section_template_opens_with_the_description() -> None:
    text = render(
        "entity_section.md.j2",
        {
            "video_link": "[[vans | Vans]]",
            "description": ["Vans are boxes on wheels.", "They carry parcels."],
            "claims": ["First claim."],
        },
    )
    assert text == (
        "## [[vans | Vans]]\n\nVans are boxes on wheels. They carry parcels.\n\n- First claim.\n"
    )


def test_editorial_replacement_keeps_its_brackets_and_stays_unlinked() -> None:
    claim = Claim("[Elon Musk] bought Twitter.", 4.0, 3.0, (ClaimLink(0, 11, "elon_musk"),))
    linkable = {"elon_musk"}
    assert claim_markdown(claim, linkable).startswith("\\[Elon Musk\\] bought Twitter")
    assert claim_markdown(claim, linkable, self_slug="elon_musk").startswith(
        "\\[**Elon Musk**\\] bought"
    )


def test_channel_block_template() -> None:
    text = render(
        "channel_block.md.j2",
        {
            "title": "How Vans Work",
            "url": "https://www.youtube.com/watch?v=hm12345678a",
            "links": ["[[how_vans_work | How Vans Work]]", "[[harlow_motors | Harlow Motors]]"],
        },
    )
    assert text == (
        "### [How Vans Work](https://www.youtube.com/watch?v=hm12345678a)\n"
        "- [[how_vans_work | How Vans Work]]\n"
        "- [[harlow_motors | Harlow Motors]]\n"
    )


def test_template_override_directory(tmp_path) -> None:
    (tmp_path / "entity_section.md.j2").write_text("### {{ video_link }}\n", encoding="utf-8")
    text = render(
        "entity_section.md.j2", {"video_link": "[[vans]]", "claims": []}, override_dir=tmp_path
    )
    assert text == "### [[vans]]\n"
