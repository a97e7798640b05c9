"""Known names are matched on the text after spaCy: the parse never depends on the vault."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tubewiki import lexicon
from tubewiki.extract import extract
from tubewiki.extract.known import (
    KnownNames,
    known_mentions,
    occurring,
    relevant,
    squeeze,
    squeezed_names,
    with_known,
)
from tubewiki.transcript import timed_text
from tubewiki.transcript_files import read_transcript_file
from tubewiki.types import KnownEntity, RawMention

if TYPE_CHECKING:
    from spacy.language import Language

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
KNOWN = (
    KnownEntity("orbital_co", "Orbital Freight", "PRODUCT"),  # spaCy alone says PERSON
    KnownEntity("dana_whitfield", "Dana Whitfield", "PERSON", aliases=("Whitfield",)),
    KnownEntity("rideshare", "rideshare", "CONCEPT"),
    KnownEntity("launch_window", "launch window", "CONCEPT"),
)


def test_a_known_name_keeps_its_note_and_type(nlp: Language) -> None:
    timed = timed_text(read_transcript_file(FIXTURES / "orbital_freight_story.json", "tstvid00001"))
    alone = extract(timed, "tstvid00001", nlp=nlp)
    known = extract(timed, "tstvid00001", known=KNOWN, nlp=nlp)
    assert ("orbital_co", "PRODUCT") in {(e.slug, e.label) for e in known.entities}
    assert "orbital_co" not in {e.slug for e in alone.entities}


def test_known_forms_match_in_any_case_and_spacing_but_only_as_whole_words() -> None:
    text = "Then dana  WHITFIELD met Dana Whitfields and orbital\nfreight's crew."
    found = known_mentions(text, KNOWN)
    assert [(text[m.start : m.end], m.slug, m.label) for m in found] == [
        ("dana  WHITFIELD", "dana_whitfield", "PERSON"),
        ("orbital\nfreight", "orbital_co", "PRODUCT"),
    ]


def test_a_bare_first_name_or_everyday_word_is_never_looked_up() -> None:
    known = [
        KnownEntity("tim_ferriss", "Tim Ferriss", "PERSON", ("Tim",)),
        KnownEntity("great", "Great", "ORG"),
    ]
    assert known_mentions("My friend Tim had a great time with Tim Ferriss.", known) == [
        RawMention(36, 47, "Tim Ferriss", "PERSON", "tim_ferriss")
    ]


def test_a_known_name_wins_the_span_the_model_gave_something_else() -> None:
    model = [RawMention(0, 8, "Orbital", "PERSON"), RawMention(20, 25, "Leeds", "GPE")]
    known = [RawMention(0, 16, "Orbital Freight", "PRODUCT", "orbital_co")]
    assert with_known(model, known) == [known[0], model[1]]


def test_only_forms_that_can_occur_are_kept() -> None:
    said = "Then AT & T and Huang 's team met ΟΔΟΣ people in the U.S.  with  Dana   WHITFIELD."
    present = ["AT&T", "Huang's", "οδοσ", "U.S.", "dana whitfield", "Dana  Whitfield", "T", "team"]
    absent = ["Orbital Freight", "Huangs team!", "Kestrel", "ATT&"]
    assert occurring(present + absent, said) == set(present)  # each searched for
    unsaid = [f"Zorvath Quellin {i}" for i in range(300)]  # through the index of the text
    assert occurring(present + absent + unsaid, said) == set(present)
    assert [k.slug for k in relevant(KNOWN, said)] == ["dana_whitfield"]


def test_unused_names_change_nothing(nlp: Language) -> None:
    many = KNOWN + tuple(
        KnownEntity(f"made_up_{i}", f"Zorvath Quellin{i}", "PERSON", aliases=(f"Quellin{i}",))
        for i in range(300)
    )
    timed = timed_text(read_transcript_file(FIXTURES / "rideshare_rivals.json", "tstvid00001"))
    assert extract(timed, "tstvid00001", known=many, nlp=nlp) == extract(
        timed, "tstvid00001", known=KNOWN, nlp=nlp
    )


SPELLING = st.text(alphabet="kaloAL &", max_size=8)


@given(forms=st.lists(SPELLING, max_size=30), data=st.data())
@pytest.mark.parametrize("many", [False, True])
def test_a_form_occurs_exactly_when_its_squeezed_spelling_is_in_the_text(
    forms: list[str], data: st.DataObject, many: bool
) -> None:
    said = st.sampled_from(forms) if forms else SPELLING  # some forms said, at any place
    text = ".".join(data.draw(st.lists(st.one_of(SPELLING, said), max_size=6)))
    if many:  # enough forms to be looked up through the text's places, not each searched
        forms = forms + [f"Zorv {i} Quel" for i in range(300)]
    assert occurring(forms, text) == {
        f for f in forms if squeeze(f) and squeeze(f) in squeeze(text)
    }


NAME = st.lists(st.sampled_from(["Kalo", "Mira", "Tesvu", "Ne", "Dorpha"]), min_size=1, max_size=2)


@settings(max_examples=60)
@given(
    notes=st.lists(
        st.tuples(NAME, st.lists(NAME, max_size=2), st.sampled_from(["PERSON", "ORG"])),
        max_size=12,
    ),
    said=st.lists(NAME, max_size=6),
)
def test_known_names_find_what_the_whole_list_finds(
    notes: list[tuple[list[str], list[list[str]], str]], said: list[list[str]]
) -> None:
    """`KnownNames.relevant`, through each entry's squeezed names, is `relevant` of the
    lexicon's entities in `build` order, as a run passed them before."""
    known = [
        KnownEntity(f"note_{i}", " ".join(name), label, tuple(" ".join(a) for a in aliases))
        for i, (name, aliases, label) in enumerate(notes)
    ]
    entries = lexicon.build(
        known, {"vid": (lexicon.Taught("taught", "Mira Ne", "ORG", ("Mira Ne", "MiraNe"), 2),)}
    )
    text = "We met " + ", then ".join(" ".join(words) for words in said) + "."
    squeezed = {slug: squeezed_names(entry) for slug, entry in entries.items()}
    names = KnownNames(dict(reversed(entries.items())), squeezed)  # in any order: sorted
    assert names.relevant(text) == relevant([e.known() for e in entries.values()], text)
    assert list(names) == [e.known() for e in entries.values()]
