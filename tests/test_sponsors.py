"""Sponsor reads: found by their cue and a repeated brand, never in normal talk or the title."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.conftest import build_transcript
from tubewiki.extract.sponsors import SponsorRead, sponsor_reads
from tubewiki.transcript import TimedText, timed_text

BEFORE = "Harlow Motors sold 12,000 vans to Parcelline in 2019."
AFTER = "Harlow Motors opened a factory in Swindon in 2021."
ACME_READ = [
    "This episode is brought to you by Acme.",
    "Acme makes project software for small teams,",
    "and with Acme your whole team sees every deadline.",
    "Go to acme.com/show for a free trial.",
]


def timed_lines(lines: Sequence[str], seconds: float = 5.0) -> TimedText:
    rows = [(i * seconds, seconds, line) for i, line in enumerate(lines)]
    return timed_text(build_transcript(rows), repair=False)


def read_text(timed: TimedText, read: SponsorRead) -> str:
    return timed.text[read.start : read.end].strip()


def test_an_announced_read_over_several_snippets_is_one_read() -> None:
    timed = timed_lines([BEFORE, *ACME_READ, "Back to the story now.", AFTER])
    (read,) = sponsor_reads(timed)
    assert (read.brand, read.time) == ("Acme", 5.0)
    assert read_text(timed, read) == " ".join(ACME_READ)


@pytest.mark.parametrize(
    "cue",
    [
        "Today's episode is sponsored by Acme.",
        "A word from our sponsor, Acme.",
        "And our sponsor Acme makes project software.",
        "Our sponsor Acme makes project software.",
    ],
)
def test_other_announcements(cue: str) -> None:
    timed = timed_lines([BEFORE, cue, *ACME_READ[1:], AFTER])
    assert [(r.brand, r.time) for r in sponsor_reads(timed)] == [("Acme", 5.0)]


def test_a_call_to_action_with_a_brand_said_again_and_again_is_a_read() -> None:
    read = [
        "Use code SHOW at vanta.com/show for a free trial.",
        "With Vanta your audits run themselves, and Vanta watches your cloud.",
        "Thousands of companies trust Vanta with compliance.",
    ]
    timed = timed_lines([BEFORE, *read, "Back to the story now.", AFTER])
    (found,) = sponsor_reads(timed)
    assert (found.brand, found.time) == ("Vanta", 5.0)
    assert read_text(timed, found) == " ".join(read)


@pytest.mark.parametrize(
    "talk",
    [
        [
            "Our local bakery agreed to sponsor the school football team.",
            "The team won the league in 2020 and again in 2021.",
            "Parcelline delivered the trophies to the school.",
        ],
        ["You can read the full report at harlowmotors.com after the show."],
    ],
)
def test_the_word_sponsor_in_normal_talk_is_not_a_read(talk: list[str]) -> None:
    assert sponsor_reads(timed_lines([BEFORE, *talk, AFTER])) == []


def test_the_word_sponsor_near_the_videos_subject_is_not_a_read() -> None:
    talk = [
        "Harlow Motors looked for sponsors for its racing team in 2018.",
        "In the end Parcelline paid for the team, and Harlow Motors built the vans.",
    ]
    assert sponsor_reads(timed_lines([BEFORE, *talk, AFTER])) == []


def test_a_brand_the_title_names_is_never_skipped() -> None:
    timed = timed_lines([BEFORE, *ACME_READ, AFTER])
    assert sponsor_reads(timed, title="How Acme plans projects") == []
    assert [r.brand for r in sponsor_reads(timed, title="How Harlow Motors grew")] == ["Acme"]


def test_a_read_ends_after_a_few_minutes() -> None:
    lines = ["This episode is brought to you by Acme.", *["Acme keeps your deadlines."] * 100]
    timed = timed_lines(lines, seconds=10.0)
    reads = sponsor_reads(timed)
    assert reads[0].time == 0.0
    assert timed.time_at(reads[0].end - 1) <= 180.0


def test_two_reads_are_two_reads() -> None:
    crest = [
        "This show is sponsored by Crestline.",
        "Crestline mattresses ship to 40 countries.",
    ]
    timed = timed_lines([BEFORE, *ACME_READ, AFTER, *crest, "Back to the vans.", AFTER])
    assert [(r.brand, r.time) for r in sponsor_reads(timed)] == [("Acme", 5.0), ("Crestline", 30.0)]


def test_a_read_whose_call_to_action_comes_last() -> None:
    read = [
        "Keeping your company compliant is hard, but Vanta makes it easy.",
        "With Vanta your audits run themselves, and Vanta watches your cloud.",
        "Go to vanta.com/show to get started.",
    ]
    timed = timed_lines([BEFORE, *read, "Back to the story now.", AFTER])
    assert [r.brand for r in sponsor_reads(timed)] == ["Vanta"]
