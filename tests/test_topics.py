"""Topics: which key terms become concept notes (keyness, shape, folding)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.conftest import MakeTranscript
from tubewiki.extract import extract
from tubewiki.extract.entities import LinkedMention, Resolved
from tubewiki.extract.parse import parse
from tubewiki.extract.topics import CONCEPT, Topic, as_entities, topics
from tubewiki.transcript import timed_text
from tubewiki.types import Entity, KeyTerm, TermHit

NOTHING = Resolved((), ())


def term(
    key: str,
    surfaces: Sequence[str],
    *,
    rank: int = 0,
    pos: str = "NOUN",
    tag: str = "NN",
    after_hyphen: bool = False,
    at: int = 0,
) -> KeyTerm:
    """A key term said once per 100 characters from `at`, as the `surfaces` given."""
    hits = tuple(
        TermHit(at + 100 * i, at + 100 * i + len(s), s, after_hyphen)
        for i, s in enumerate(surfaces)
    )
    return KeyTerm(key, rank, hits, pos, tag)


def keys(found: Sequence[Topic]) -> list[str]:
    return [t.key for t in found]


def test_a_rare_term_said_often_is_a_topic_a_common_phrase_is_not() -> None:
    # the same count in the same 3,000 words: only the general-English rate differs
    found = topics(
        [
            term("matrix", ["matrices"] * 6, rank=1),
            term("team member", ["team member"] * 6, rank=0, at=10_000),
        ],
        NOTHING,
        words=3000,
    )
    assert keys(found) == ["matrix"]
    assert found[0].keyness > 2.5


def test_keyness_depends_on_how_often_the_video_says_it() -> None:
    matrices = [term("matrix", ["matrices"] * 3)]
    assert keys(topics(matrices, NOTHING, words=3000)) == ["matrix"]
    assert keys(topics(matrices, NOTHING, words=300_000)) == []


def test_a_term_said_fewer_than_three_times_is_no_topic() -> None:
    assert topics([term("eigenvalue", ["eigenvalues"] * 2)], NOTHING, words=3000) == []


@pytest.mark.parametrize(
    ("key", "pos", "tag"),
    [
        ("biggest mistake", "ADJ", "JJS"),  # a superlative
        ("better mistake", "ADJ", "JJR"),  # a comparative
        ("total mistake", "ADJ", "JJ"),  # a common adjective: an opinion, not a concept
        ("different mistake", "ADJ", "JJ"),
        ("neural", "ADJ", "JJ"),  # an adjective alone names nothing
        ("mistake", "VERB", "VB"),
        ("3d mistake", "NOUN", "NN"),  # not all words
    ],
)
def test_opinion_led_and_odd_phrases_are_dropped(key: str, pos: str, tag: str) -> None:
    said = [key] * 8
    assert topics([term(key, said, pos=pos, tag=tag)], NOTHING, words=300) == []
    # the control: the same hits, led by a noun, make a topic
    control = term("syntax mistake", ["syntax mistake"] * 8)
    assert keys(topics([control], NOTHING, words=300)) == ["syntax mistake"]


def test_a_rare_adjective_may_lead_a_topic() -> None:
    found = topics(
        [term("neural network", ["neural networks"] * 5, pos="ADJ")], NOTHING, words=3000
    )
    assert keys(found) == ["neural network"]


def test_a_hit_right_after_a_hyphen_does_not_count() -> None:
    said = ["day class"] * 6
    assert keys(topics([term("day class", said)], NOTHING, words=300)) == ["day class"]
    assert topics([term("day class", said, after_hyphen=True)], NOTHING, words=300) == []


def test_plural_and_singular_are_one_topic() -> None:
    (found,) = topics(
        [term("matrix", ["matrices", "matrix", "matrices", "Matrix"])], NOTHING, words=2000
    )
    assert found.name == "Matrix"  # the dictionary form, though "matrices" is said more
    (entity,) = as_entities([found]).entities
    assert (entity.slug, entity.label, entity.mentions) == ("matrix", CONCEPT, 4)
    assert entity.aliases == ("matrices",)
    assert "matrix" not in {a.casefold() for a in entity.aliases}  # never the name, up to case


def test_an_abbreviation_folds_into_its_spelled_out_phrase() -> None:
    phrase = term("software development kit", ["software development kit"] * 2, rank=3)
    short = term("sdk", ["sdk"] * 3, rank=1, at=5000)
    found = topics([short, phrase], NOTHING, words=3000)
    assert keys(found) == ["software development kit"]
    assert {s for _, _, s in found[0].hits} == {"software development kit", "sdk"}
    assert len(found[0].hits) == 5


def test_a_name_is_left_to_the_entity_resolver() -> None:
    capitalised = term("moltbook", ["Moltbook"] * 5)
    assert topics([capitalised], NOTHING, words=3000) == []
    entity = Entity("scrum", "Scrum", "ORG", ("scrum",), 5)
    covered = term("scrum", ["scrum"] * 5)
    assert topics([covered], Resolved((entity,), ()), words=3000) == []
    overlapped = Resolved((), (LinkedMention(0, 5, "scrum_guide"),))
    assert topics([covered], overlapped, words=3000) == []


def test_hits_in_a_sponsor_read_do_not_count() -> None:
    said = term("mattress", ["mattresses"] * 5)
    assert keys(topics([said], NOTHING, words=3000)) == ["mattress"]
    assert topics([said], NOTHING, words=3000, skip=[(150, 1000)]) == []


def test_a_longer_term_covers_its_parts() -> None:
    found = topics(
        [
            term("permutation group", ["permutation groups"] * 5, rank=0),
            term("group", ["group"] * 6, rank=1, at=10_000),
        ],
        NOTHING,
        words=300,
    )
    assert keys(found) == ["permutation group"]


def test_limit_keeps_the_most_key_terms() -> None:
    terms = [
        term("eigenvalue", ["eigenvalues"] * 9, rank=2),
        term("matrix", ["matrices"] * 3, rank=0, at=2000),
        term("determinant", ["determinants"] * 6, rank=1, at=4000),
    ]
    assert keys(topics(terms, NOTHING, words=3000, limit=2)) == ["eigenvalue", "determinant"]


def test_parse_folds_plural_and_flags_hyphen_hits(nlp, make_transcript: MakeTranscript) -> None:
    lines = [
        "A matrix is a grid of numbers with rows and columns.",
        "You multiply two matrices by taking dot products of rows and columns.",
        "The identity matrix leaves every vector where it was.",
        "Square matrices have as many rows as columns.",
        "Our two-day class covers matrices and vectors in depth.",
        "The two-day class ends with an exam on matrices.",
        "Every team member gets a copy of the notes after the two-day class.",
    ]
    timed = timed_text(make_transcript([(i * 5.0, 5.0, s) for i, s in enumerate(lines)]))
    terms = {t.key: t for t in parse(timed, nlp=nlp).terms}
    assert {h.surface for h in terms["matrix"].hits} == {"matrix", "matrices"}
    assert "matrices" not in terms
    assert terms["day class"].hits
    assert all(h.after_hyphen for h in terms["day class"].hits)
    ex = extract(timed, "tstvid00001", nlp=nlp)
    concepts = {e.slug: e for e in ex.entities if e.label == CONCEPT}
    assert "matrix" in concepts
    assert "matrices" in concepts["matrix"].aliases
    assert not {"day_class", "team_member", "day"} & set(concepts)
