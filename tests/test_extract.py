"""`parse` with the real spaCy model: sentences, claim shape, offsets, mentions, chunks."""

from __future__ import annotations

import pytest

from tests.conftest import MakeTranscript
from tubewiki.extract import KnownEntity, Parsed, parse, pipe_chunks, ruler_patterns
from tubewiki.transcript import TimedText, timed_text

ADA = KnownEntity(slug="ada_lovelace", name="Ada Lovelace", label="PERSON", aliases=("Lovelace",))


def one_line(make_transcript: MakeTranscript, text: str) -> TimedText:
    return timed_text(make_transcript([(0.0, 4.0, text)]), repair=False)


def assert_offsets_consistent(timed: TimedText, parsed: Parsed) -> None:
    previous_end = 0
    for sentence in parsed.sentences:
        assert timed.text[sentence.start : sentence.end] == sentence.text
        assert sentence.start >= previous_end
        previous_end = sentence.end
    for mention in parsed.mentions:
        assert timed.text[mention.start : mention.end] == mention.text


@pytest.mark.parametrize(
    "text",
    [
        # questions
        "Where did all of the grant money go?",
        "Did Harlow Motors really sell 12,000 vans last spring?",
        "How many engineers work at Voltaic Cells today?",
        # fragments
        "Because of the weather.",
        "After the long meeting in the afternoon.",
        "Running down the hill with a basket of apples.",
        "Which company bought the Swindon plant in 2020.",
        # an order, not a claim
        "Tell me more about the bakery in Leeds.",
        # filler only
        "Yeah, yeah, you know.",
        "Okay so right.",
        "Um, well, I mean, yeah.",
        "Grand.",
    ],
)
def test_not_claim_shaped(nlp, make_transcript: MakeTranscript, text: str) -> None:
    timed = one_line(make_transcript, text)
    parsed = parse(timed, nlp=nlp)
    assert not any(s.claim_shaped for s in parsed.sentences)
    assert_offsets_consistent(timed, parsed)


@pytest.mark.parametrize(
    "text",
    ["Yeah, yeah, you know.", "Okay so right.", "Right, right, right.", "So, yeah."],
)
def test_filler_only_sentences_are_dropped(nlp, make_transcript: MakeTranscript, text: str) -> None:
    assert parse(one_line(make_transcript, text), nlp=nlp).sentences == ()


@pytest.mark.parametrize(
    "text",
    [
        "Brightwater Foods opened its first bakery in Leeds in 2011.",
        "The council spent $4.5 million on new cycle lanes last year.",
        "Marta Kowalski joined the Orbis Institute as director in 2018.",
        "The bridge over the Tamar River carries 40,000 cars a day.",
        "Fenwick Press published the novel in 1962.",
    ],
)
def test_claim_shaped(nlp, make_transcript: MakeTranscript, text: str) -> None:
    timed = one_line(make_transcript, text)
    parsed = parse(timed, nlp=nlp)
    assert [(s.text, s.claim_shaped) for s in parsed.sentences] == [(text, True)]
    assert parsed.sentences[0].base_score >= 1.0  # a figure or a name, at a good length


def test_hedged_claim_scores_lower(nlp, make_transcript: MakeTranscript) -> None:
    sure = parse(one_line(make_transcript, "Fenwick Press published the novel in 1962."), nlp=nlp)
    hedged = parse(
        one_line(make_transcript, "Fenwick Press probably published the novel in 1962."), nlp=nlp
    )
    assert hedged.sentences[0].base_score < sure.sentences[0].base_score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "So, yeah, the company hired 340 people during its second year.",
            "the company hired 340 people during its second year.",
        ),
        (
            "I mean, Marta Kowalski joined the Orbis Institute in 2018.",
            "Marta Kowalski joined the Orbis Institute in 2018.",
        ),
        (
            "Um, so, you know, Fenwick Press published the novel in 1962.",
            "Fenwick Press published the novel in 1962.",
        ),
        (
            "Okay. And basically the ferry takes ninety minutes from Dover.",
            "the ferry takes ninety minutes from Dover.",
        ),
    ],
)
def test_leading_filler_is_stripped_with_consistent_offsets(
    nlp, make_transcript: MakeTranscript, text: str, expected: str
) -> None:
    timed = one_line(make_transcript, text)
    parsed = parse(timed, nlp=nlp)
    shaped = [s for s in parsed.sentences if s.claim_shaped]
    assert [s.text for s in shaped] == [expected]
    assert_offsets_consistent(timed, parsed)
    assert timed.text.endswith(expected)


@pytest.mark.parametrize(
    "text",
    [
        "No company sold more electric vans than Harlow Motors in 2019.",
        "No one at Harlow Motors expected the factory to cost £85 million.",
        "Like Parcelline, Harlow Motors cut 300 jobs in 2020.",
    ],
)
def test_meaningful_first_word_is_kept(nlp, make_transcript: MakeTranscript, text: str) -> None:
    parsed = parse(one_line(make_transcript, text), nlp=nlp)
    assert [s.text for s in parsed.sentences] == [text]


def test_sentences_across_snippets_keep_offsets(nlp, make_transcript: MakeTranscript) -> None:
    timed = timed_text(
        make_transcript(
            [
                (0.0, 3.0, "So, yeah, Brightwater Foods opened"),
                (3.0, 3.0, "its first bakery in Leeds in 2011. Where"),
                (6.0, 3.0, "did the money come from? [Music] The founder,"),
                (9.0, 3.0, "uh, Marta Kowalski, borrowed £20,000 from her bank."),
            ]
        ),
        repair=False,
    )
    parsed = parse(timed, nlp=nlp)
    assert [(s.text, s.claim_shaped) for s in parsed.sentences] == [
        ("Brightwater Foods opened its first bakery in Leeds in 2011.", True),
        ("Where did the money come from?", False),
        ("The founder, Marta Kowalski, borrowed £20,000 from her bank.", True),
    ]
    assert_offsets_consistent(timed, parsed)
    assert [timed.time_at(s.start) for s in parsed.sentences] == [0.0, 3.0, 6.0]


def test_long_text_in_several_chunks_keeps_offsets(nlp, make_transcript: MakeTranscript) -> None:
    people = ["Marta Kowalski", "Tomas Greve", "Priya Raman", "Oskar Lind", "Hana Sato"]
    towns = ["Leeds", "Bristol", "Swindon", "Exeter", "Norwich", "Derby"]
    rows = []
    for i in range(60):
        person, town = people[i % len(people)], towns[i % len(towns)]
        rows.append(
            (i * 4.0, 4.0, f"In {1990 + i}, {person} opened depot number {i + 1} in {town}.")
        )
    timed = timed_text(make_transcript(rows), repair=False)
    assert len(pipe_chunks(timed)) > 1
    parsed = parse(timed, nlp=nlp)
    assert len(parsed.sentences) == 60
    assert_offsets_consistent(timed, parsed)
    assert [timed.time_at(s.start) for s in parsed.sentences] == [r[0] for r in rows]
    persons = {m.text for m in parsed.mentions if m.label == "PERSON"}
    assert persons <= set(people)
    assert len(persons) >= 3


def test_vault_ruler_gives_mentions_their_slug(nlp, make_transcript: MakeTranscript) -> None:
    timed = timed_text(
        make_transcript(
            [
                (0.0, 4.0, "Ada Lovelace published her notes on the engine in 1843."),
                (4.0, 4.0, "Lovelace worked with Charles Babbage for many years."),
            ]
        ),
        repair=False,
    )
    parsed = parse(timed, known=[ADA], nlp=nlp)
    assert_offsets_consistent(timed, parsed)
    linked = [(m.text, m.label, m.slug) for m in parsed.mentions if m.slug]
    assert linked == [
        ("Ada Lovelace", "PERSON", "ada_lovelace"),
        ("Lovelace", "PERSON", "ada_lovelace"),
    ]
    # the ruler is reset on every parse: without known entities, no slugs
    assert not any(m.slug for m in parse(timed, nlp=nlp).mentions)


def test_ruler_matches_lowercase_forms(nlp, make_transcript: MakeTranscript) -> None:
    timed = one_line(make_transcript, "Everyone agrees that lovelace wrote the notes in 1843.")
    parsed = parse(timed, known=[ADA], nlp=nlp)
    assert [(m.text, m.slug) for m in parsed.mentions if m.slug] == [("lovelace", "ada_lovelace")]


def test_ruler_patterns_skip_blank_and_repeated_forms() -> None:
    known = [
        KnownEntity("ada_lovelace", "Ada Lovelace", "PERSON", ("Lovelace", "Ada Lovelace", " ")),
        KnownEntity("harlow_motors", "Harlow Motors", "ORG"),
    ]
    assert ruler_patterns(known) == [
        {"label": "PERSON", "pattern": "Ada Lovelace", "id": "ada_lovelace"},
        {"label": "PERSON", "pattern": "Lovelace", "id": "ada_lovelace"},
        {"label": "ORG", "pattern": "Harlow Motors", "id": "harlow_motors"},
    ]


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("The delivery vans carried 300 parcels each morning.", ["delivery van"]),
        ("Our heat pumps cut the gas bill by 40 percent.", ["heat pump", "gas bill"]),
        ("That was a great idea for the whole team.", []),
    ],
)
def test_concept_mentions(
    nlp, make_transcript: MakeTranscript, text: str, lemmas: list[str]
) -> None:
    parsed = parse(one_line(make_transcript, text), nlp=nlp)
    assert [m.lemma for m in parsed.mentions if m.label == "CONCEPT"] == lemmas


SNIPPETS = [
    "Harlow Motors began in Bristol.",
    "It built vans",
    "for local bakeries and",
    "florists. Then it grew.",
    "By 2019 it sold",
    "12,000 vans a year!",
    "Was that enough?",
    "Nobody knew",
]


@pytest.mark.parametrize("max_chars", [1, 10, 30, 60, 2000])
def test_pipe_chunks_cover_the_text(make_transcript: MakeTranscript, max_chars: int) -> None:
    timed = timed_text(
        make_transcript([(i * 3.0, 3.0, s) for i, s in enumerate(SNIPPETS)]), repair=False
    )
    chunks = pipe_chunks(timed, max_chars)
    assert " ".join(chunk for _, chunk in chunks) == timed.text
    for start, chunk in chunks:
        assert start in timed.offsets
        assert timed.text[start : start + len(chunk)] == chunk


def test_pipe_chunks_cut_only_after_sentence_ends(make_transcript: MakeTranscript) -> None:
    timed = timed_text(
        make_transcript([(i * 3.0, 3.0, s) for i, s in enumerate(SNIPPETS)]), repair=False
    )
    chunks = pipe_chunks(timed, 10)
    assert [chunk for _, chunk in chunks] == [
        "Harlow Motors began in Bristol.",
        "It built vans for local bakeries and florists. Then it grew.",
        "By 2019 it sold 12,000 vans a year!",
        "Was that enough?",
        "Nobody knew",
    ]


def test_pipe_chunks_cut_a_run_without_sentence_ends(make_transcript: MakeTranscript) -> None:
    words = ["amber", "birch", "cedar", "delta", "ember", "fjord"]
    words += ["grove", "heron", "iris", "juniper", "kestrel", "lark"]
    timed = timed_text(
        make_transcript([(float(i), 1.0, f"{w} {w}wood") for i, w in enumerate(words)]),
        repair=False,
    )
    assert "." not in timed.text
    chunks = pipe_chunks(timed, 10)
    assert len(chunks) > 1
    assert " ".join(chunk for _, chunk in chunks) == timed.text
    assert all(len(chunk) + 1 >= 40 for _, chunk in chunks[:-1])
