"""`parse` with the real spaCy model: sentence features, offsets, mentions, ruler, chunks."""

from __future__ import annotations

import pytest

from tests.conftest import MakeTranscript
from tubewiki.extract.parse import parse, pipe_chunks
from tubewiki.transcript import TimedText, timed_text
from tubewiki.types import KnownEntity, Parsed, Sentence

ADA = KnownEntity(
    slug="ada_lovelace", name="Ada Lovelace", label="PERSON", aliases=("Countess Lovelace",)
)


def one_line(make_transcript: MakeTranscript, text: str) -> TimedText:
    return timed_text(make_transcript([(0.0, 4.0, text)]), repair=False)


def only_sentence(nlp, make_transcript: MakeTranscript, text: str) -> tuple[TimedText, Sentence]:
    timed = one_line(make_transcript, text)
    parsed = parse(timed, nlp=nlp)
    assert_offsets_consistent(timed, parsed)
    (sentence,) = parsed.sentences
    return timed, sentence


def said(timed: TimedText, span: tuple[int, int]) -> str:
    return timed.text[span[0] : span[1]]


def assert_offsets_consistent(timed: TimedText, parsed: Parsed) -> None:
    previous_end = 0
    for sentence in parsed.sentences:
        assert timed.text[sentence.start : sentence.end] == sentence.text
        assert sentence.start >= previous_end
        assert sentence.start <= sentence.subject[0] <= sentence.subject[1] <= sentence.end or (
            sentence.subject == (0, 0)
        )
        previous_end = sentence.end
    for mention in parsed.mentions:
        assert timed.text[mention.start : mention.end] == mention.text
    for term in parsed.terms:
        for hit in term.hits:
            assert timed.text[hit.start : hit.end] == hit.surface


@pytest.mark.parametrize(
    "text",
    [
        "Where did all of the grant money go?",
        "Did Harlow Motors really sell 12,000 vans last spring?",
        "How many engineers work at Voltaic Cells today?",
        "Is the Swindon factory actually profitable yet.",  # inverted, though the "?" is missing
    ],
)
def test_questions_are_marked(nlp, make_transcript: MakeTranscript, text: str) -> None:
    _, sentence = only_sentence(nlp, make_transcript, text)
    assert sentence.question


def test_wh_determiner_question_without_question_mark(nlp, make_transcript: MakeTranscript) -> None:
    _, sentence = only_sentence(nlp, make_transcript, "Which company bought the plant in 2020.")
    assert sentence.question


@pytest.mark.parametrize(
    "text",
    [
        "After the long meeting in the afternoon.",
        "Running down the hill with a basket of apples.",
        "Tell me more about the bakery in Leeds.",  # an order: no finite verb with a subject
        "Grand.",
    ],
)
def test_fragments_have_no_finite_verb(nlp, make_transcript: MakeTranscript, text: str) -> None:
    _, sentence = only_sentence(nlp, make_transcript, text)
    assert not sentence.finite
    assert sentence.subject_word == ""
    assert not sentence.question


@pytest.mark.parametrize(
    "text",
    [
        "Welcome back to the show, everyone.",
        "Hello everyone and welcome to Harlow Motors Weekly.",
        "Thanks so much for having me on the show, Priya.",
        "Thank you all for listening to this episode.",
    ],
)
def test_greetings_and_thanks_are_marked(nlp, make_transcript: MakeTranscript, text: str) -> None:
    _, sentence = only_sentence(nlp, make_transcript, text)
    assert sentence.greeting


@pytest.mark.parametrize(
    "text",
    ["Yeah, yeah, you know.", "Okay so right.", "Right, right, right.", "So, yeah."],
)
def test_filler_only_sentences_are_dropped(nlp, make_transcript: MakeTranscript, text: str) -> None:
    assert parse(one_line(make_transcript, text), nlp=nlp).sentences == ()


@pytest.mark.parametrize(
    ("text", "subject", "figures"),
    [
        ("Brightwater Foods opened its first bakery in Leeds in 2011.", "Brightwater Foods", 1),
        ("The council spent 4.5 million pounds on new cycle lanes last year.", "The council", 1),
        ("Marta Kowalski joined the Orbis Institute as director in 2018.", "Marta Kowalski", 1),
        ("Fenwick Press published the novel in 1962.", "Fenwick Press", 1),
        ("Fenwick Press published the first novel of the series.", "Fenwick Press", 0),
    ],
)
def test_declarative_sentence_features(
    nlp, make_transcript: MakeTranscript, text: str, subject: str, figures: int
) -> None:
    timed, sentence = only_sentence(nlp, make_transcript, text)
    assert sentence.text == text
    assert sentence.finite
    assert not (sentence.question or sentence.greeting or sentence.hedged)
    assert subject.endswith(said(timed, sentence.subject))  # the head word, or all of it
    assert sentence.subject_word == subject.split()[-1].casefold()
    assert sentence.figures == figures
    assert sentence.words == len(text.split())


def test_hedges_are_marked(nlp, make_transcript: MakeTranscript) -> None:
    texts = [
        "Fenwick Press published the novel in 1962.",
        "Fenwick Press probably published the novel in 1962.",
        "I think Fenwick Press published the novel in 1962.",
    ]
    hedged = [only_sentence(nlp, make_transcript, t)[1].hedged for t in texts]
    assert hedged == [False, True, True]


def test_pronoun_subject(nlp, make_transcript: MakeTranscript) -> None:
    timed, sentence = only_sentence(nlp, make_transcript, "He bought Twitter in October 2022.")
    assert (sentence.subject_word, sentence.subject_pos) == ("he", "PRON")
    assert said(timed, sentence.subject) == "He"


def test_copular_attribute(nlp, make_transcript: MakeTranscript) -> None:
    timed, sentence = only_sentence(
        nlp, make_transcript, "Scrum is a framework for small software teams."
    )
    assert said(timed, sentence.subject) == "Scrum"
    assert said(timed, sentence.attribute) == "a framework for small software teams"


def test_a_non_copular_sentence_has_no_attribute(nlp, make_transcript: MakeTranscript) -> None:
    _, sentence = only_sentence(nlp, make_transcript, "Fenwick Press published the novel in 1962.")
    assert sentence.attribute == (0, 0)


def test_appositions(nlp, make_transcript: MakeTranscript) -> None:
    timed, sentence = only_sentence(
        nlp, make_transcript, "Melissa Perri, the CEO of Produx Labs, wrote a book in 2018."
    )
    assert [(said(timed, (a, b)), said(timed, (c, d))) for a, b, c, d in sentence.appositions] == [
        ("Melissa Perri", "the CEO of Produx Labs")
    ]


def test_lemmas_are_content_words(nlp, make_transcript: MakeTranscript) -> None:
    _, sentence = only_sentence(
        nlp, make_transcript, "The engineers were designing better batteries for the vans."
    )
    assert {"engineer", "design", "battery", "van"} <= set(sentence.lemmas)
    assert not {"the", "for", "be", "were"} & set(sentence.lemmas)


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
    assert [s.text for s in parsed.sentences if s.finite] == [expected]
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
    assert [(s.text, s.question) for s in parsed.sentences] == [
        ("Brightwater Foods opened its first bakery in Leeds in 2011.", False),
        ("Where did the money come from?", True),
        ("The founder, Marta Kowalski, borrowed £20,000 from her bank.", False),
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
    # key-term hits are found in every chunk: "depot number" is said in each of the 60 rows
    depot = next(t for t in parsed.terms if t.key.startswith("depot"))
    assert [timed.time_at(h.start) for h in depot.hits] == [r[0] for r in rows]


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
