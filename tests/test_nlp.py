"""The entity ruler sits first in the pipeline: same entities, patterns built by the tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tubewiki.extract import extract
from tubewiki.extract.parse import ruler_patterns
from tubewiki.nlp import RULER, model_name, set_ruler_patterns
from tubewiki.transcript import timed_text
from tubewiki.transcript_files import read_transcript_file
from tubewiki.types import KnownEntity

if TYPE_CHECKING:
    from spacy.language import Language

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
KNOWN = (
    KnownEntity("orbital_co", "Orbital Freight", "PRODUCT"),  # spaCy alone says PERSON
    KnownEntity("dana_whitfield", "Dana Whitfield", "PERSON", aliases=("Whitfield",)),
    KnownEntity("rideshare", "rideshare", "CONCEPT"),
    KnownEntity("launch_window", "launch window", "CONCEPT"),
)


@pytest.fixture(scope="module")
def ruler_before_ner(nlp: Language) -> Language:
    """The pipeline as it was: the ruler right in front of the NER."""
    import spacy

    other = spacy.load(model_name())
    other.add_pipe(
        "entity_ruler", name=RULER, before="ner", config={"phrase_matcher_attr": "LOWER"}
    )
    return other


def test_the_ruler_runs_first(nlp: Language) -> None:
    assert nlp.pipe_names[0] == RULER


@pytest.mark.parametrize("name", ["orbital_freight_story.json", "rideshare_rivals.json"])
def test_extraction_is_the_same_as_with_the_ruler_before_the_ner(
    nlp: Language, ruler_before_ner: Language, name: str
) -> None:
    timed = timed_text(read_transcript_file(FIXTURES / name, "tstvid00001"))
    first = extract(timed, "tstvid00001", known=KNOWN, nlp=nlp)
    before = extract(timed, "tstvid00001", known=KNOWN, nlp=ruler_before_ner)
    assert first == before
    assert ("orbital_co", "PRODUCT") in {(e.slug, e.label) for e in first.entities}


def test_patterns_are_rebuilt_only_when_they_change(
    nlp: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruler = nlp.get_pipe(RULER)
    patterns = ruler_patterns(KNOWN)
    set_ruler_patterns(nlp, patterns)
    calls: list[int] = []
    original = type(ruler).add_patterns
    monkeypatch.setattr(
        type(ruler), "add_patterns", lambda self, p: calls.append(len(p)) or original(self, p)
    )
    assert set_ruler_patterns(nlp, list(patterns)) and calls == []
    assert set_ruler_patterns(nlp, patterns[:2]) and calls == [2]
    assert len(ruler) == 2  # type: ignore[arg-type]
    assert not set_ruler_patterns(nlp, []) and len(ruler) == 0  # type: ignore[arg-type]


def test_only_patterns_that_can_occur_are_kept(nlp: Language) -> None:
    from tubewiki.nlp import patterns_in

    said = "Then AT & T and Huang 's team met ΟΔΟΣ people in the U.S.  with  Dana   WHITFIELD."
    present = ["AT&T", "Huang's", "οδοσ", "U.S.", "dana whitfield", "Dana  Whitfield", "T", "team"]
    absent = ["Orbital Freight", "Huangs team!", "Kestrel", "ATT&"]
    patterns = [{"label": "ORG", "pattern": p, "id": p} for p in present + absent]
    kept = patterns_in(patterns, said)
    assert [p["pattern"] for p in kept] == present
    # every kept pattern that the ruler would really match is kept: check with spaCy itself
    set_ruler_patterns(nlp, patterns)
    matched = {ent.ent_id_ for ent in nlp(said).ents if ent.ent_id_}
    assert matched and matched <= {p["id"] for p in kept}


def test_unused_names_change_nothing(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    parse_module = importlib.import_module("tubewiki.extract.parse")  # `.parse` is a function too
    many = KNOWN + tuple(
        KnownEntity(f"made_up_{i}", f"Zorvath Quellin{i}", "PERSON", aliases=(f"Quellin{i}",))
        for i in range(300)
    )
    timed = timed_text(read_transcript_file(FIXTURES / "rideshare_rivals.json", "tstvid00001"))
    filtered = extract(timed, "tstvid00001", known=many, nlp=nlp)
    monkeypatch.setattr(parse_module, "patterns_in", lambda patterns, text: patterns)
    everything = extract(timed, "tstvid00001", known=many, nlp=nlp)
    assert filtered == everything
