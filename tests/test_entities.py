"""Entity resolution on hand-built mentions and text: no spaCy needed."""

from __future__ import annotations

import pytest

from tubewiki.extract.entities import Resolved, resolve, surface_form
from tubewiki.types import Entity, KnownEntity, RawMention, Sentence

Spec = tuple[str, str] | tuple[str, str, str]
FILLER = " and then later on "  # lower case: no name is ever found in it

LOVELACE = KnownEntity(
    slug="ada_lovelace", name="Ada Lovelace", label="PERSON", aliases=("Countess Lovelace",)
)


def spoken(*specs: Spec) -> tuple[list[RawMention], str]:
    """Say `(text, label[, slug])` mentions one after another; the mentions and the text."""
    found: list[RawMention] = []
    text = ""
    for spec in specs:
        text += FILLER
        slug = spec[2] if len(spec) > 2 else ""
        found.append(RawMention(len(text), len(text) + len(spec[0]), spec[0], spec[1], slug))
        text += spec[0]
    return found, text + FILLER


def resolved_from(*specs: Spec, **options) -> Resolved:
    found, text = spoken(*specs)
    return resolve(found, text, **options)


def subject_of(mention: RawMention) -> Sentence:
    """A sentence whose grammatical subject is `mention`."""
    return Sentence(
        start=mention.start,
        end=mention.end + 10,
        text=mention.text,
        words=6,
        question=False,
        finite=True,
        greeting=False,
        hedged=False,
        figures=0,
        subject=(mention.start, mention.end),
        subject_word=mention.text.split()[-1].casefold(),
        subject_pos="PROPN",
    )


def by_slug(resolved: Resolved) -> dict[str, Entity]:
    return {e.slug: e for e in resolved.entities}


def linked(resolved: Resolved, text: str) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.slug) for m in resolved.mentions]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Harlow Motors", "Harlow Motors"),
        ("Priya Raman's", "Priya Raman"),
        ("Priya Raman’s", "Priya Raman"),
        ("the Harlow Motors", "Harlow Motors"),
        ("The Harlow Motors's", "Harlow Motors"),
        ("the Fenwick Brothers'", "Fenwick Brothers"),
        ("a Voltaic Cells", "Voltaic Cells"),
        ('  "Lumen   Drive"  ', "Lumen Drive"),
        ("(Northgate Capital).", "Northgate Capital"),
        ("Parcelline,", "Parcelline"),
        ("Theodora Vance", "Theodora Vance"),  # "The" inside a word is not an article
        ("Thessaly", "Thessaly"),
    ],
)
def test_surface_form(text: str, expected: str) -> None:
    assert surface_form(text) == expected


def test_surface_form_keeps_given_name_an() -> None:
    assert surface_form("An Phan") == "An Phan"


def test_first_last_and_possessive_are_one_person() -> None:
    found, text = spoken(
        ("Elon", "PERSON"), ("Musk", "PERSON"), ("Elon Musk's", "PERSON"), ("Elon Musk", "PERSON")
    )
    resolved = resolve(found, text)
    assert resolved.entities == (Entity("elon_musk", "Elon Musk", "PERSON", ("Elon", "Musk"), 4),)
    assert [m.slug for m in resolved.mentions] == ["elon_musk"] * 4
    assert [m.start for m in resolved.mentions] == [m.start for m in found]


def test_every_spoken_occurrence_counts() -> None:
    # NER found "Harlow Motors" once, missed it twice and called "Musk" a DATE
    found, text = spoken(("Harlow Motors", "ORG"), ("Elon Musk", "PERSON"))
    text += "Harlow Motors sold vans to Harlow Motors dealers, said Musk."
    resolved = resolve(found, text)
    assert {e.slug: e.mentions for e in resolved.entities} == {"harlow_motors": 3}
    # Elon Musk, said twice and never a subject, is below the bar; as a subject he is kept
    with_subject = resolve(found, text, sentences=[subject_of(found[1])])
    assert by_slug(with_subject)["elon_musk"].mentions == 2
    assert by_slug(with_subject)["elon_musk"].aliases == ("Musk",)
    assert ("Musk", "elon_musk") in linked(with_subject, text)


def test_lowercase_occurrences_do_not_count() -> None:
    found, text = spoken(("Harlow Motors", "ORG"), ("Harlow Motors", "ORG"))
    text += "the harlow motors brand"
    assert resolve(found, text).entities == ()


def test_surname_joins_the_full_name_it_belongs_to() -> None:
    resolved = resolved_from(
        ("Priya Raman", "PERSON"),
        ("Raman", "PERSON"),
        ("Raman", "PERSON"),
        ("Tomas Greve", "PERSON"),
        ("Tomas Greve", "PERSON"),
        ("Tomas Greve", "PERSON"),
    )
    entities = by_slug(resolved)
    assert set(entities) == {"priya_raman", "tomas_greve"}
    assert entities["priya_raman"].mentions == 3
    assert entities["priya_raman"].aliases == ("Raman",)
    assert entities["tomas_greve"].aliases == ()


def test_single_name_of_another_label_is_not_folded_into_a_person() -> None:
    resolved = resolved_from(
        ("Priya Raman", "PERSON"),
        ("Priya Raman", "PERSON"),
        ("Priya Raman", "PERSON"),
        ("Raman", "ORG"),
        ("Raman", "ORG"),
        ("Raman", "ORG"),
    )
    assert set(by_slug(resolved)) == {"priya_raman", "raman"}


def test_different_people_with_one_first_name_are_never_merged() -> None:
    resolved = resolved_from(
        ("Ada Park", "PERSON"),
        ("Ada Park", "PERSON"),
        ("Ada Park", "PERSON"),
        ("Ada Stone", "PERSON"),
        ("Ada Stone", "PERSON"),
        ("Ada Stone", "PERSON"),
        ("Ada", "PERSON"),
        ("Ada", "PERSON"),
    )
    entities = by_slug(resolved)
    assert set(entities) == {"ada_park", "ada_stone"}
    assert "Ada" not in entities["ada_park"].aliases
    assert "Ada" not in entities["ada_stone"].aliases
    assert entities["ada_park"].mentions == 3
    assert entities["ada_stone"].mentions == 3


def test_a_bare_first_name_no_full_name_explains_gets_no_note() -> None:
    assert resolved_from(*[("Jeff", "PERSON")] * 6).entities == ()


def test_a_bare_first_name_never_links_to_a_known_person_by_name() -> None:
    tim = KnownEntity("tim_ferriss", "Tim Ferriss", "PERSON")
    assert resolved_from(*[("Tim", "PERSON")] * 4, known=[tim]).entities == ()


def test_a_bare_first_name_never_links_to_a_known_person_by_alias() -> None:
    # propagate adds "Tim" to the aliases of a person said by first name, so notes have it
    tim = KnownEntity("tim_ferriss", "Tim Ferriss", "PERSON", ("Tim", "Ferriss"))
    assert resolved_from(*[("Tim", "PERSON")] * 4, known=[tim]).entities == ()


@pytest.mark.parametrize(
    ("spellings", "slug", "name"),
    [
        (("Agentforce", "Agentforce", "Agent Force"), "agentforce", "Agentforce"),
        (("Agent Force", "Agentforce", "Agent Force"), "agent_force", "Agent Force"),
        (
            ("Northgate Capital", "Northgate Capital", "Northgate Capitol"),
            "northgate_capital",
            "Northgate Capital",
        ),
        (("Lumen-Drive", "Lumen Drive", "Lumen Drive"), "lumen_drive", "Lumen Drive"),
    ],
)
def test_near_duplicates_merge(spellings: tuple[str, ...], slug: str, name: str) -> None:
    resolved = resolved_from(*((s, "ORG") for s in spellings))
    assert len(resolved.entities) == 1
    entity = resolved.entities[0]
    assert (entity.slug, entity.name, entity.mentions) == (slug, name, 3)
    assert set(entity.aliases) == set(spellings) - {name}


def test_short_names_need_an_exact_match_to_merge() -> None:
    resolved = resolved_from(*[("Nimbus", "ORG")] * 3, *[("Nimbo", "ORG")] * 3)
    assert set(by_slug(resolved)) == {"nimbus", "nimbo"}


def test_known_entity_matched_by_alias_keeps_its_slug() -> None:
    resolved = resolved_from(*[("Countess Lovelace", "PERSON")] * 3, known=[LOVELACE])
    assert resolved.entities == (
        Entity("ada_lovelace", "Ada Lovelace", "PERSON", ("Countess Lovelace",), 3),
    )
    assert [m.slug for m in resolved.mentions] == ["ada_lovelace"] * 3


def test_known_entity_matched_by_ruler_slug_keeps_its_slug_and_label() -> None:
    # the ruler found it under surface forms the NER would label differently
    resolved = resolved_from(
        ("the countess", "ORG", "ada_lovelace"),
        ("Countess Lovelace", "GPE", "ada_lovelace"),
        ("Countess Lovelace", "GPE", "ada_lovelace"),
        known=[LOVELACE],
    )
    entity = by_slug(resolved)["ada_lovelace"]
    assert (entity.name, entity.label, entity.mentions) == ("Ada Lovelace", "PERSON", 3)
    assert set(entity.aliases) == {"countess", "Countess Lovelace"}


def test_known_entity_name_matches_case_insensitively() -> None:
    resolved = resolved_from(*[("ADA LOVELACE", "ORG")] * 3, known=[LOVELACE])
    assert [(e.slug, e.mentions) for e in resolved.entities] == [("ada_lovelace", 3)]


def test_close_misspelling_of_a_known_name_joins_its_note() -> None:
    resolved = resolved_from(*[("Ada Lovelance", "PERSON")] * 3, known=[LOVELACE])
    assert [(e.slug, e.aliases) for e in resolved.entities] == [
        ("ada_lovelace", ("Ada Lovelance",))
    ]


def test_known_entity_not_mentioned_is_not_an_entity() -> None:
    resolved = resolved_from(*[("Harlow Motors", "ORG")] * 3, known=[LOVELACE])
    assert set(by_slug(resolved)) == {"harlow_motors"}


def test_surname_of_a_known_person_joins_the_known_note() -> None:
    known = KnownEntity(slug="ada_lovelace", name="Ada Lovelace", label="PERSON")
    resolved = resolved_from(
        ("Ada Lovelace", "PERSON", "ada_lovelace"),
        ("Lovelace", "PERSON"),
        ("Lovelace", "PERSON"),
        known=[known],
    )
    assert [(e.slug, e.mentions) for e in resolved.entities] == [("ada_lovelace", 3)]


def test_known_entities_need_salience_too() -> None:
    resolved = resolved_from(("Countess Lovelace", "PERSON"), known=[LOVELACE])
    assert resolved.entities == ()


# --- salience -------------------------------------------------------------------


def orgs(n: int, name: str = "Harlow Motors") -> tuple[list[RawMention], str]:
    return spoken(*[(name, "ORG")] * n)


def test_three_mentions_make_an_entity_two_do_not() -> None:
    assert [e.slug for e in resolve(*orgs(3)).entities] == ["harlow_motors"]
    assert resolve(*orgs(2)).entities == ()


def test_two_mentions_suffice_for_a_sentence_subject() -> None:
    found, text = orgs(2)
    resolved = resolve(found, text, sentences=[subject_of(found[0])])
    assert [e.slug for e in resolved.entities] == ["harlow_motors"]


@pytest.mark.parametrize(
    ("title", "count", "kept"),
    [
        ("The Harlow Motors story", 2, True),
        ("The harlow motors story", 1, True),  # the title counts whatever its case
        ("Electric vans in Bristol", 2, False),
        ("Harlow Motorsport", 2, False),  # a whole-word match only
    ],
)
def test_the_title_counts(title: str, count: int, kept: bool) -> None:
    resolved = resolve(*orgs(count), title=title)
    assert bool(resolved.entities) is kept


def test_a_place_in_one_anecdote_gets_no_note() -> None:
    found, text = spoken(*[("Swindon", "GPE")] * 5)
    later, rest = spoken(*[("Harlow Motors", "ORG")] * 3)
    shift = len(text) + 2000  # the rest of the video never mentions Swindon
    found += [RawMention(m.start + shift, m.end + shift, m.text, m.label) for m in later]
    text += "x" * 2000 + rest
    assert [e.slug for e in resolve(found, text).entities] == ["harlow_motors"]


def test_a_place_spread_over_the_video_gets_a_note() -> None:
    first, text = spoken(("Swindon", "GPE"), ("Swindon", "GPE"))
    text += "x" * 2000 + " Swindon again, and Swindon once more."
    entity = by_slug(resolve(first, text))["swindon"]
    assert entity.mentions == 4


def test_a_place_needs_three_mentions_even_as_a_subject() -> None:
    found, text = spoken(("Swindon", "GPE"))
    text += "x" * 2000 + " Swindon again."
    assert resolve(found, text, sentences=[subject_of(found[0])]).entities == ()


def test_two_letter_names_need_twice_the_mentions() -> None:
    # "EA" is NER's guess for many things; a passing mention is not enough
    assert resolve(*orgs(5, "EA")).entities == ()
    assert [e.slug for e in resolve(*orgs(6, "EA")).entities] == ["ea"]


def test_max_entities_keeps_the_most_salient() -> None:
    resolved = resolved_from(
        *([("Harlow Motors", "ORG")] * 5),
        *([("Parcelline", "ORG")] * 4),
        *([("Voltaic Cells", "ORG")] * 3),
        max_entities=2,
    )
    assert [e.slug for e in resolved.entities] == ["harlow_motors", "parcelline"]
    assert {m.slug for m in resolved.mentions} == {"harlow_motors", "parcelline"}


def test_skipped_ranges_never_count() -> None:
    found, text = orgs(3, "Crestline")
    # the second and third mention are inside a sponsor read
    skip = [(found[1].start - 1, len(text))]
    assert resolve(found, text, skip=skip).entities == ()
    assert [e.mentions for e in resolve(found, text).entities] == [3]


def test_a_form_two_entities_share_belongs_to_neither() -> None:
    found, text = spoken(
        *[("Ada Park", "PERSON")] * 3, *[("Tom Park", "PERSON")] * 3, ("Ada Park", "PERSON")
    )
    text += "Park said so."
    resolved = resolve(found, text)
    assert {e.slug: e.mentions for e in resolved.entities} == {"ada_park": 4, "tom_park": 3}
    assert "Park" not in {text[m.start : m.end] for m in resolved.mentions}


@pytest.mark.parametrize(
    "debris",
    [
        "harlow motors",
        "Harlow, Parcelline",
        "2019",
        "X",
        "The Very Long Name Of A Small Van Company",
    ],
)
def test_implausible_names_are_dropped(debris: str) -> None:
    assert resolved_from(*[(debris, "ORG")] * 4).entities == ()


def test_label_is_the_majority_label() -> None:
    resolved = resolved_from(("Parcelline", "ORG"), ("Parcelline", "PERSON"), ("Parcelline", "ORG"))
    assert [(e.slug, e.label) for e in resolved.entities] == [("parcelline", "ORG")]


def test_a_one_word_company_with_a_tied_label_vote_is_kept() -> None:
    # the four-sentence Elon Musk transcript: en_core_web_sm calls OpenAI an ORG once and a
    # PERSON once; it is said twice and is the subject of a sentence, so it is salient
    found, text = spoken(("OpenAI", "ORG"), ("OpenAI", "PERSON"))
    resolved = resolve(found, text, sentences=[subject_of(found[1])])
    assert [(e.slug, e.label) for e in resolved.entities] == [("openai", "ORG")]


def test_person_name_prefers_the_longest_form() -> None:
    resolved = resolved_from(
        ("Raman", "PERSON"), ("Raman", "PERSON"), ("Raman", "PERSON"), ("Priya Raman", "PERSON")
    )
    assert [(e.slug, e.name) for e in resolved.entities] == [("priya_raman", "Priya Raman")]


def test_aliases_never_repeat_the_name_up_to_case() -> None:
    resolved = resolved_from(("Parcelline", "ORG"), ("PARCELLINE", "ORG"), ("Parcelline", "ORG"))
    (entity,) = resolved.entities
    assert entity.name == "Parcelline"
    assert entity.name.casefold() not in {a.casefold() for a in entity.aliases}


def test_linked_mentions_are_sorted_and_never_overlap() -> None:
    found, text = spoken(*[("Orbital Labs", "ORG")] * 3)
    nested = [RawMention(m.start, m.start + 7, "Orbital", "ORG") for m in found[:2]]
    resolved = resolve([*found, *nested], text)
    spans = [(m.start, m.end) for m in resolved.mentions]
    assert spans == [(m.start, m.end) for m in found]
    assert [e.slug for e in resolved.entities] == ["orbital_labs"]


def test_mentions_are_in_text_order() -> None:
    resolved = resolved_from(
        ("Harlow Motors", "ORG"),
        ("Parcelline", "ORG"),
        ("Harlow Motors", "ORG"),
        ("Parcelline", "ORG"),
        ("Harlow Motors", "ORG"),
        ("Parcelline", "ORG"),
    )
    starts = [m.start for m in resolved.mentions]
    assert starts == sorted(starts)
    assert len(starts) == 6
