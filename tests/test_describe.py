"""Descriptions: what the transcript says an entity is, for the top of its note."""

from __future__ import annotations

from collections.abc import Sequence

from tests.conftest import build_transcript
from tubewiki.extract import extract
from tubewiki.extract.claims import Candidate
from tubewiki.extract.describe import descriptions
from tubewiki.extract.entities import LinkedMention
from tubewiki.transcript import timed_text
from tubewiki.types import Claim, ClaimLink, Extraction, Sentence

NAMES = {"melissa_perri": "Melissa Perri", "produx_labs": "Produx Labs", "harvard": "Harvard"}


def span(text: str, part: str, at: int) -> tuple[int, int]:
    begin = at + text.index(part)
    return begin, begin + len(part)


def cand(
    text: str,
    at: int,
    *,
    subject: str = "",
    attribute: str = "",
    apposition: tuple[str, str] | None = None,
    subject_pos: str = "PROPN",
) -> Candidate:
    """A claim made of `text`, said at character `at`, every name in NAMES linked."""
    mentions = tuple(
        LinkedMention(*span(text, name, at), slug) for slug, name in NAMES.items() if name in text
    )
    sentence = Sentence(
        start=at,
        end=at + len(text),
        text=text,
        words=len(text.split()),
        question=False,
        finite=True,
        greeting=False,
        hedged=False,
        figures=0,
        subject=span(text, subject, at) if subject else (0, 0),
        subject_word=subject.split()[-1].casefold() if subject else "",
        subject_pos=subject_pos,
        attribute=span(text, attribute, at) if attribute else (0, 0),
        appositions=((*span(text, apposition[0], at), *span(text, apposition[1], at)),)
        if apposition
        else (),
    )
    links = tuple(ClaimLink(m.start - at, m.end - at, m.slug) for m in mentions)
    subject_slug = next((m.slug for m in mentions if subject and NAMES[m.slug] in subject), "")
    return Candidate(Claim(text, at / 10, 1.0, links), sentence, subject_slug, mentions)


DID = cand("Melissa Perri taught at Harvard for three years.", 0, subject="Melissa Perri")
APPOSITIVE = cand(
    "Melissa Perri, the CEO of Produx Labs, wrote a book.",
    100,
    subject="Melissa Perri",
    apposition=("Melissa Perri", "the CEO of Produx Labs"),
)
COPULAR = cand(
    "Melissa Perri is a product management teacher.",
    200,
    subject="Melissa Perri",
    attribute="a product management teacher",
)
INTRODUCTION = cand(
    "Today my guest is Melissa Perri.",
    300,
    subject="my guest",
    attribute="Melissa Perri",
    subject_pos="NOUN",
)
MENTION = cand("Harvard invited Melissa Perri back.", 400, subject="Harvard")


def texts(found: Sequence[Claim]) -> list[str]:
    return [c.text for c in found]


def test_a_copular_definition_is_the_best_description() -> None:
    found = descriptions([DID, APPOSITIVE, COPULAR, INTRODUCTION, MENTION], "melissa_perri")
    assert texts(found) == [COPULAR.claim.text]


def test_an_appositive_describes_when_there_is_no_definition() -> None:
    found = descriptions([DID, APPOSITIVE, INTRODUCTION, MENTION], "melissa_perri")
    assert texts(found) == [APPOSITIVE.claim.text]


def test_what_it_did_describes_when_nothing_defines_it() -> None:
    later = cand("Melissa Perri moved to Produx Labs.", 500, subject="Melissa Perri")
    found = descriptions([MENTION, later, DID], "melissa_perri")
    assert texts(found) == [DID.claim.text, later.claim.text]  # at most two, the earliest first


def test_a_host_introduction_describes_a_guest_nothing_else_describes() -> None:
    assert texts(descriptions([INTRODUCTION, MENTION], "melissa_perri")) == [
        INTRODUCTION.claim.text
    ]


def test_what_it_did_tells_more_than_a_bare_introduction() -> None:
    assert texts(descriptions([INTRODUCTION, DID], "melissa_perri")) == [DID.claim.text]


def test_a_mere_mention_describes_nothing() -> None:
    assert descriptions([MENTION], "melissa_perri") == ()
    assert descriptions([MENTION], "harvard") == (MENTION.claim,)  # its subject: what it did
    # the appositive describes its head, not the other names inside it
    assert descriptions([APPOSITIVE], "produx_labs") == ()


# --- end to end, with the real parser -------------------------------------------------


def extracted(nlp, lines: Sequence[str]) -> Extraction:
    rows = [(i * 4.0, 4.0, line) for i, line in enumerate(lines)]
    return extract(timed_text(build_transcript(rows)), "tstvid00001", nlp=nlp)


def every_claim(ex: Extraction) -> set[str]:
    found = {c.text for c in ex.intro}
    found |= {c.text for s in ex.sections for c in s.claims}
    found |= {c.text for claims in ex.entity_claims.values() for c in claims}
    return found


def test_a_host_introduction_is_a_description_not_a_claim(nlp) -> None:
    ex = extracted(
        nlp,
        [
            "Welcome to the show, everyone.",
            "Today my guest is Priya Raman.",
            "Harlow Motors hired Priya Raman as chief engineer in 2014.",
            "Parcelline bought 12,000 vans from Harlow Motors in 2019.",
            "Northgate Capital gave Priya Raman 15 million dollars in 2021.",
            "Harlow Motors opened a factory in Swindon in 2021.",
        ],
    )
    assert "Today my guest is Priya Raman." not in every_claim(ex)
    assert [(c.text, c.start) for c in ex.descriptions["priya_raman"]] == [
        ("Today my guest is Priya Raman.", 4.0)
    ]


def test_a_definition_said_in_the_video_describes_its_entity(nlp) -> None:
    ex = extracted(
        nlp,
        [
            "Northgate Capital is an investment fund based in Bristol.",
            "Northgate Capital gave Harlow Motors 15 million dollars in 2021.",
            "Harlow Motors repaid Northgate Capital in 2024.",
        ],
    )
    assert texts(ex.descriptions["northgate_capital"]) == [
        "Northgate Capital is an investment fund based in Bristol."
    ]


def test_an_appositive_said_in_the_video_describes_its_entity(nlp) -> None:
    ex = extracted(
        nlp,
        [
            "Melissa Perri, the CEO of Produx Labs, wrote a book about product teams in 2018.",
            "Melissa Perri taught product management at Harvard for 3 years.",
            "Harvard invited Melissa Perri back in 2022.",
        ],
    )
    assert texts(ex.descriptions["melissa_perri"]) == [
        "Melissa Perri, the CEO of Produx Labs, wrote a book about product teams in 2018."
    ]


def test_a_one_word_name_defined_in_the_video_gets_a_description(nlp) -> None:
    ex = extracted(
        nlp,
        [
            "Melissa Perri taught product management at Harvard for 3 years.",
            "Scrum is a framework for small software teams.",
            "Scrum has sprints of 2 weeks.",
            "Many teams use Scrum at Harvard in 2020.",
        ],
    )
    assert texts(ex.descriptions["scrum"]) == ["Scrum is a framework for small software teams."]
