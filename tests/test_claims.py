"""`extract` end to end on a two-minute hand-written transcript."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import build_transcript
from tubewiki.extract import extract
from tubewiki.transcript import TimedText, timed_text
from tubewiki.types import Chapter, Claim, Extraction

VIDEO = "hm12345678a"
QUESTIONS = [
    "Why did she pick electric vans instead of cars?",
    "Is that factory actually profitable yet?",
]
REPEATED = "Northgate Capital owns 22 percent of Harlow Motors today."
ROWS = [
    (0.0, 4.5, "Welcome back to the show, everyone."),
    (4.5, 5.0, "Today we are talking about Harlow Motors and its founder Priya Raman."),
    (9.5, 5.5, "Priya Raman started Harlow Motors in Bristol in 2014 with"),
    (15.0, 4.0, "a loan of forty thousand pounds from her uncle."),
    (19.0, 4.5, QUESTIONS[0]),
    (23.5, 5.0, "Harlow Motors sold 12,000 delivery vans to Parcelline in 2019."),
    (28.5, 4.0, "That deal doubled the company's revenue in a single year."),
    (32.5, 4.5, "This episode is brought to you by Acme. Go to acme.com/show."),
    (37.0, 4.0, "Back to the story now."),
    (41.0, 5.0, "Um, so, yeah, Priya Raman hired Tomas Greve as chief engineer in 2016."),
    (46.0, 4.5, "Tomas Greve had spent nine years designing batteries at Voltaic Cells."),
    (50.5, 4.5, "Because of the weather."),
    (55.0, 5.0, "Greve cut the battery weight by 30 percent within two years."),
    (60.0, 5.0, "Now let's talk about the factory in Swindon."),
    (65.0, 5.5, "Harlow Motors opened the Swindon factory in March 2021 at a cost of"),
    (70.5, 4.5, "£85 million, funded partly by Northgate Capital."),
    (75.0, 4.0, QUESTIONS[1]),
    (79.0, 5.0, REPEATED),
    (84.0, 5.0, "The Swindon factory employs 1,100 workers across three shifts."),
    (89.0, 4.5, "Yeah, yeah, you know."),
    (
        93.5,
        5.5,
        "Priya Raman told investors in 2023 that Harlow Motors would build a plant in Leeds.",
    ),
    (99.0, 5.0, "Tomas Greve left Harlow Motors in 2024 to start Lumen Drive."),
    (104.0, 5.0, "Lumen Drive raised $15 million from Northgate Capital last autumn."),
    (109.0, 5.0, REPEATED),
    (114.0, 6.0, "So, Parcelline ordered another 5,000 vans from Harlow Motors in January 2025."),
    (120.0, 4.0, "Thanks for listening, and see you next week."),
]
CHAPTERS = (Chapter(0, "Intro"), Chapter(60, "Part two"))


@pytest.fixture(scope="module")
def timed() -> TimedText:
    return timed_text(build_transcript(ROWS, video_id=VIDEO))


@pytest.fixture(scope="module")
def ex(nlp, timed: TimedText) -> Extraction:
    return extract(timed, VIDEO, chapters=CHAPTERS, nlp=nlp)


def all_claims(ex: Extraction) -> Iterator[Claim]:
    yield from ex.intro
    for section in ex.sections:
        yield from section.claims
    for claims in ex.entity_claims.values():
        yield from claims


def claim_offset(timed: TimedText, claim: Claim) -> int:
    """Where the claim's sentence begins in the text (its first letter may be upper-cased)."""
    at = timed.text.find(claim.text[1:])
    assert at >= 1, claim.text
    assert timed.text[at - 1].upper() == claim.text[0]
    return at - 1


def test_the_transcript_is_not_repaired(timed: TimedText) -> None:
    assert timed.text.startswith("Welcome back to the show, everyone. Today")
    assert len(timed.times) == len(ROWS)


def test_there_are_claims_everywhere(ex: Extraction) -> None:
    assert len(ex.intro) == 3
    assert all(section.claims for section in ex.sections)
    assert {"harlow_motors", "priya_raman", "tomas_greve"} <= set(ex.entity_claims)


def test_claim_time_is_the_start_of_its_snippet(ex: Extraction, timed: TimedText) -> None:
    for claim in all_claims(ex):
        assert claim.start == timed.time_at(claim_offset(timed, claim))
        assert claim.start in {row[0] for row in ROWS}


@pytest.mark.parametrize(
    ("opening", "start"),
    [
        ("Priya Raman started Harlow Motors in Bristol in 2014 with a loan", 9.5),
        ("Harlow Motors opened the Swindon factory in March 2021 at a cost of £85", 65.0),
        ("Priya Raman hired Tomas Greve as chief engineer in 2016.", 41.0),
    ],
)
def test_claims_spanning_snippets_take_the_first_snippet(
    ex: Extraction, opening: str, start: float
) -> None:
    found = {c.start for c in all_claims(ex) if c.text.startswith(opening)}
    assert found == {start}


def test_claims_are_in_time_order(ex: Extraction) -> None:
    lists = [ex.intro, *(s.claims for s in ex.sections), *ex.entity_claims.values()]
    for claims in lists:
        starts = [c.start for c in claims]
        assert starts == sorted(starts)


def test_no_duplicate_claims(ex: Extraction) -> None:
    lists = [ex.intro, *(s.claims for s in ex.sections), *ex.entity_claims.values()]
    for claims in lists:
        texts = [c.text for c in claims]
        assert len(texts) == len(set(texts))
    video_texts = [c.text for c in ex.intro] + [c.text for s in ex.sections for c in s.claims]
    assert video_texts.count(REPEATED) <= 1
    assert len(video_texts) == len(set(video_texts))


def test_repeated_sentence_keeps_its_first_time(ex: Extraction) -> None:
    assert {c.start for c in all_claims(ex) if c.text == REPEATED} == {79.0}


def test_intro_claims_are_not_repeated_in_sections(ex: Extraction) -> None:
    intro = {c.text for c in ex.intro}
    assert not intro & {c.text for s in ex.sections for c in s.claims}


def test_no_questions_fragments_or_fillers(ex: Extraction) -> None:
    for claim in all_claims(ex):
        assert "?" not in claim.text
        assert claim.text not in QUESTIONS
        assert not claim.text.lower().startswith(("um", "so,", "yeah", "because", "of the"))
        assert claim.text[0].isupper()
        assert claim.text.endswith((".", "!"))


def test_sponsor_read_yields_no_claims(ex: Extraction) -> None:
    for claim in all_claims(ex):
        assert "Acme" not in claim.text
        assert "acme.com" not in claim.text
        assert "brought to you" not in claim.text
    assert "acme" not in ex.entity_claims
    assert "acme" not in {e.slug for e in ex.entities}


def test_chapters_become_sections(ex: Extraction) -> None:
    assert [(s.title, s.start) for s in ex.sections] == [("Intro", 0), ("Part two", 60)]
    intro_section, part_two = ex.sections
    assert all(c.start < 60 for c in intro_section.claims)
    assert all(c.start >= 60 for c in part_two.claims)


def test_links_point_at_entities_and_into_the_text(ex: Extraction) -> None:
    slugs = {e.slug for e in ex.entities}
    names = {e.slug: {e.name, *e.aliases} for e in ex.entities}
    assert set(ex.entity_claims) == slugs
    for claim in all_claims(ex):
        for link in claim.links:
            assert link.slug in slugs
            assert 0 <= link.start < link.end <= len(claim.text)
            assert claim.text[link.start : link.end] in names[link.slug]
    for slug, claims in ex.entity_claims.items():
        assert all(slug in c.slugs for c in claims)


def test_word_count(ex: Extraction, timed: TimedText) -> None:
    assert ex.video_id == VIDEO
    assert ex.words == timed.words > 200


def test_without_chapters_segments_are_named_after_entities(nlp, timed: TimedText) -> None:
    ex = extract(timed, VIDEO, chapters=(Chapter(0, "Only one"),), nlp=nlp)
    assert len(ex.sections) == 1
    assert ex.sections[0].start == 0
    assert ex.sections[0].title.startswith("Harlow Motors")


def test_sponsor_read_snippet_does_not_hide_other_snippets(nlp) -> None:
    timed = timed_text(
        build_transcript(
            [
                (0.0, 4.0, "Harlow Motors sold 12,000 vans to Parcelline in 2019."),
                (
                    4.0,
                    4.0,
                    "Today's show is sponsored by Crestline. Use code VANS for 10 percent off.",
                ),
                (8.0, 4.0, "Harlow Motors opened a factory in Swindon in 2021, says Parcelline."),
            ]
        )
    )
    ex = extract(timed, VIDEO, nlp=nlp)
    texts = [c.text for c in all_claims(ex)]
    assert "Harlow Motors sold 12,000 vans to Parcelline in 2019." in texts
    assert not any("Crestline" in t or "code" in t for t in texts)
    assert {c.start for c in ex.intro} == {0.0, 8.0}


def test_sponsor_read_over_several_snippets_yields_no_claims(nlp) -> None:
    timed = timed_text(
        build_transcript(
            [
                (0.0, 4.0, "Harlow Motors sold 12,000 vans to Parcelline in 2019."),
                (4.0, 4.0, "This episode is brought to you by Crestline Mattresses."),
                (8.0, 4.0, "Crestline Mattresses ships a new mattress to 40 countries in 5 days."),
                (12.0, 4.0, "Crestline Mattresses offers a 100 night trial on every order."),
                (16.0, 4.0, "Harlow Motors opened a factory in Swindon in 2021, says Parcelline."),
            ]
        )
    )
    ex = extract(timed, VIDEO, nlp=nlp)
    assert not any("Crestline" in c.text for c in all_claims(ex))
    assert "crestline_mattresses" not in ex.entity_claims
