"""Our YAKE: which phrases are candidates, what ranks first, and that ties never wobble."""

from __future__ import annotations

import pytest

from tubewiki.extract.parse import _yake_words
from tubewiki.extract.yake import Word, key_terms

STOP = {"the", "a", "of", "it", "is", "and", "in", "we", "our", "on", "at", "by", "to", "part"}
STOP |= {"every", "all", "no", "one", "now", "than", "for", "its", "when", "her", "before", "last"}
VERBS = {"fit", "warms", "runs", "hums", "says", "makes", "paid", "sold", "heats", "wants"}
VERBS |= {"has", "chose", "checks", "moves", "burns", "quit", "holds"}
ADJECTIVES = {"cold", "warm", "cheap", "old", "quiet", "new", "high", "low"}


def sentence(text: str) -> list[Word]:
    """Hand-made records: a word is its own lemma; "Name" is a proper noun, a stop
    word a determiner ("part" a noun), and a word in neither list above a noun."""
    words = []
    for i, token in enumerate(text.split()):
        low = token.lower()
        if token in ".,?":
            pos = "PUNCT"
        elif token[0].isupper():
            pos = "PROPN"
        elif low in STOP and low != "part":
            pos = "DET"
        else:
            pos = "VERB" if low in VERBS else "ADJ" if low in ADJECTIVES else "NOUN"
        lemma = token if pos == "PROPN" else low
        cased = token[0].isupper() and i > 0
        words.append(Word(lemma, pos, low in STOP, pos == "PUNCT", cased))
    return words


TEXT = [
    "we fit the heat pump in the garden last spring .",
    "the heat pump runs quiet all winter .",
    "our old boiler burns gas and the bill is high .",
    "the plumber checks the heat pump every autumn .",
    "a heat pump part is cheap .",
    "the kitchen radiator is warm by seven .",
    "Vaillant makes the heat pump and sold it to our street .",
    "the garden pipe is cold at night .",
    "the heat pump heats the water for the shower .",
    "one neighbour chose a heat pump when her boiler quit .",
    "the installer paid the deposit on a new heat pump .",
    "the bill is low now than the winter before .",
    "our cat moves to the warm radiator .",
    "the heat pump hums on a cold night .",
    "the shed holds part stock .",
]


def terms(text: list[str], top: int = 20) -> list[str]:
    return [term for term, _ in key_terms([sentence(s) for s in text], top)]


def test_a_phrase_and_its_words_said_throughout_rank_above_words_said_once() -> None:
    assert set(terms(TEXT)[:3]) == {"heat", "pump", "heat pump"}


def test_a_capital_mid_sentence_makes_a_word_more_key() -> None:
    def score(name: str) -> float:
        text = [*TEXT, f"the garden faces {name} hill ."]
        return dict(key_terms([sentence(s) for s in text], 100))[name]

    assert score("Ember") < score("ember")


def test_a_term_with_the_words_of_a_better_one_in_another_order_is_left_out() -> None:
    found = terms([*TEXT, "the pump heat goes to the floor ."], 100)
    assert "heat pump" in found and "pump heat" not in found
    assert "garden pipe" in found  # a phrase said once is kept: the list is not cut short


def test_scores_rise_down_the_list() -> None:
    scores = [score for _, score in key_terms([sentence(s) for s in TEXT], 20)]
    assert scores == sorted(scores)
    assert len(scores) > 5


def test_no_candidate_starts_or_ends_with_a_stop_word_or_holds_punctuation() -> None:
    found = terms(TEXT, 100)
    for term in found:
        words = term.split()
        assert words[0] not in STOP and words[-1] not in STOP, term
        assert "." not in words, term
    assert "heat pump part" not in found  # "part" is a stop word though a noun
    assert "part stock" not in found and "stock" in found


def test_no_term_is_inside_a_better_one() -> None:
    found = terms(TEXT, 100)
    for i, better in enumerate(found):
        assert not any(worse in better for worse in found[i + 1 :]), better


def test_candidates_stay_inside_a_sentence() -> None:
    split = ["the house has a garden", "pipe work runs cold", "the garden is warm"]
    joined = ["the house has a garden pipe work runs cold", "the garden is warm"]
    assert "garden pipe" in terms(joined, 100)
    assert "garden pipe" not in terms(split, 100)


def test_top_limits_the_list() -> None:
    assert len(terms(TEXT, 3)) == 3


@pytest.mark.parametrize("text", [[], ["the it is a of ."]])
def test_nothing_to_rank(text: list[str]) -> None:
    assert terms(text) == []


def test_the_same_text_ranks_the_same_way() -> None:
    sentences = [sentence(s) for s in TEXT]
    assert key_terms(sentences, 50) == key_terms([list(s) for s in sentences], 50)


def test_spacy_words_of_a_written_text(nlp) -> None:
    """Through spaCy: the words of a concept said throughout lead, and the phrase outranks
    words said once; stop words never edge a term."""
    doc = nlp(
        "Our street switched to a district heating network last year. "
        "The district heating network runs hot water under the road to every house. "
        "Before the district heating network, each house burned gas in its own boiler. "
        "Now the old boilers are gone and the district heating network bills by the month. "
        "Some neighbours still miss the gas flame, but nobody misses the boiler service."
    )
    sentences = [_yake_words(s) for s in doc.sents]
    ranked = [term.lower() for term, _ in key_terms(sentences, 15)]
    assert set(ranked[:3]) == {"district", "heating", "network"}
    assert ranked.index("district heating") < ranked.index("street")
    assert ranked == [term.lower() for term, _ in key_terms(sentences, 15)]
    stops = {t.lemma_.lower() for t in doc if t.is_stop}
    for term in ranked:
        assert term.split()[0] not in stops and term.split()[-1] not in stops, term
