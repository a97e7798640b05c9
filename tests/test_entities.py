"""Entity resolution on hand-built mentions: no spaCy needed."""

from __future__ import annotations

import pytest

from tubewiki.entities import Resolved, resolve, surface_form
from tubewiki.extract import KnownEntity, RawMention
from tubewiki.types import Entity

Spec = tuple[str, str] | tuple[str, str, str] | tuple[str, str, str, str]

LOVELACE = KnownEntity(
    slug="ada_lovelace", name="Ada Lovelace", label="PERSON", aliases=("Countess Lovelace",)
)


def mentions(*specs: Spec) -> list[RawMention]:
    """Lay out `(text, label[, slug[, lemma]])` mentions one after another, 10 chars apart."""
    found: list[RawMention] = []
    pos = 0
    for spec in specs:
        text, label = spec[0], spec[1]
        slug = spec[2] if len(spec) > 2 else ""
        lemma = spec[3] if len(spec) > 3 else ""
        found.append(RawMention(pos, pos + len(text), text, label, slug, lemma))
        pos += len(text) + 10
    return found


def by_slug(resolved: Resolved) -> dict[str, Entity]:
    return {e.slug: e for e in resolved.entities}


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
    resolved = resolve(
        mentions(
            ("Elon", "PERSON"),
            ("Musk", "PERSON"),
            ("Elon Musk's", "PERSON"),
            ("Elon Musk", "PERSON"),
        )
    )
    assert resolved.entities == (Entity("elon_musk", "Elon Musk", "PERSON", ("Elon", "Musk"), 4),)
    assert [m.slug for m in resolved.mentions] == ["elon_musk"] * 4
    assert [m.start for m in resolved.mentions] == [0, 14, 28, 49]


def test_surname_joins_the_full_name_it_belongs_to() -> None:
    resolved = resolve(
        mentions(
            ("Priya Raman", "PERSON"),
            ("Raman", "PERSON"),
            ("Raman", "PERSON"),
            ("Tomas Greve", "PERSON"),
            ("Tomas Greve", "PERSON"),
        )
    )
    entities = by_slug(resolved)
    assert set(entities) == {"priya_raman", "tomas_greve"}
    assert entities["priya_raman"].mentions == 3
    assert entities["priya_raman"].aliases == ("Raman",)
    assert entities["tomas_greve"].aliases == ()


def test_single_name_of_another_label_is_not_folded_into_a_person() -> None:
    resolved = resolve(
        mentions(
            ("Priya Raman", "PERSON"),
            ("Priya Raman", "PERSON"),
            ("Raman", "ORG"),
            ("Raman", "ORG"),
        )
    )
    assert set(by_slug(resolved)) == {"priya_raman", "raman"}


def test_ambiguous_first_name_is_not_merged() -> None:
    resolved = resolve(
        mentions(
            ("Ada Park", "PERSON"),
            ("Ada Park", "PERSON"),
            ("Ada Park", "PERSON"),
            ("Ada Stone", "PERSON"),
            ("Ada Stone", "PERSON"),
            ("Ada", "PERSON"),
            ("Ada", "PERSON"),
        )
    )
    entities = by_slug(resolved)
    assert "Ada" not in entities["ada_park"].aliases
    assert "Ada" not in entities["ada_stone"].aliases
    assert entities["ada_park"].mentions == 3


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
    resolved = resolve(mentions(*((s, "ORG") for s in spellings)))
    assert len(resolved.entities) == 1
    entity = resolved.entities[0]
    assert (entity.slug, entity.name, entity.mentions) == (slug, name, 3)
    assert set(entity.aliases) == set(spellings) - {name}


def test_short_names_need_an_exact_match_to_merge() -> None:
    resolved = resolve(
        mentions(("Nimbus", "ORG"), ("Nimbus", "ORG"), ("Nimbo", "ORG"), ("Nimbo", "ORG"))
    )
    assert set(by_slug(resolved)) == {"nimbus", "nimbo"}


def test_known_entity_matched_by_alias_keeps_its_slug() -> None:
    resolved = resolve(mentions(("Countess Lovelace", "PERSON")), known=[LOVELACE])
    assert resolved.entities == (
        Entity("ada_lovelace", "Ada Lovelace", "PERSON", ("Countess Lovelace",), 1),
    )
    assert [m.slug for m in resolved.mentions] == ["ada_lovelace"]


def test_known_entity_matched_by_ruler_slug_keeps_its_slug_and_label() -> None:
    # the ruler found it under a surface form the NER would label differently
    resolved = resolve(
        mentions(("the countess", "ORG", "ada_lovelace"), ("Lovelace", "GPE", "ada_lovelace")),
        known=[LOVELACE],
    )
    entity = by_slug(resolved)["ada_lovelace"]
    assert (entity.name, entity.label, entity.mentions) == ("Ada Lovelace", "PERSON", 2)
    assert entity.aliases == ("countess", "Lovelace")


def test_known_entity_name_matches_case_insensitively() -> None:
    resolved = resolve(mentions(("ADA LOVELACE", "ORG")), known=[LOVELACE])
    assert [(e.slug, e.mentions) for e in resolved.entities] == [("ada_lovelace", 1)]


def test_close_misspelling_of_a_known_name_joins_its_note() -> None:
    resolved = resolve(
        mentions(("Ada Lovelance", "PERSON"), ("Ada Lovelance", "PERSON")), known=[LOVELACE]
    )
    assert [(e.slug, e.aliases) for e in resolved.entities] == [
        ("ada_lovelace", ("Ada Lovelance",))
    ]


def test_known_entity_not_mentioned_is_not_an_entity() -> None:
    resolved = resolve(
        mentions(("Harlow Motors", "ORG"), ("Harlow Motors", "ORG")), known=[LOVELACE]
    )
    assert set(by_slug(resolved)) == {"harlow_motors"}


def test_surname_of_a_known_person_joins_the_known_note() -> None:
    known = KnownEntity(slug="ada_lovelace", name="Ada Lovelace", label="PERSON")
    resolved = resolve(
        mentions(
            ("Ada Lovelace", "PERSON", "ada_lovelace"),
            ("Lovelace", "PERSON"),
            ("Lovelace", "PERSON"),
        ),
        known=[known],
    )
    assert [(e.slug, e.mentions) for e in resolved.entities] == [("ada_lovelace", 3)]


@pytest.mark.parametrize(
    ("min_mentions", "expected"),
    [
        (1, {"harlow_motors", "parcelline", "voltaic_cells"}),
        (2, {"harlow_motors", "parcelline"}),
        (3, {"harlow_motors"}),
        (4, set()),
    ],
)
def test_min_mentions(min_mentions: int, expected: set[str]) -> None:
    found = mentions(
        ("Harlow Motors", "ORG"),
        ("Parcelline", "ORG"),
        ("Harlow Motors", "ORG"),
        ("Voltaic Cells", "ORG"),
        ("Parcelline", "ORG"),
        ("Harlow Motors", "ORG"),
    )
    assert set(by_slug(resolve(found, min_mentions=min_mentions))) == expected


def test_known_entities_bypass_min_mentions_and_come_first() -> None:
    found = mentions(
        ("Harlow Motors", "ORG"), ("Harlow Motors", "ORG"), ("Countess Lovelace", "PERSON")
    )
    resolved = resolve(found, known=[LOVELACE], min_mentions=2)
    assert [e.slug for e in resolved.entities] == ["ada_lovelace", "harlow_motors"]


def test_max_entities_keeps_the_most_mentioned() -> None:
    found = mentions(
        *([("Harlow Motors", "ORG")] * 4),
        *([("Parcelline", "ORG")] * 3),
        *([("Voltaic Cells", "ORG")] * 2),
    )
    assert [e.slug for e in resolve(found, max_entities=2).entities] == [
        "harlow_motors",
        "parcelline",
    ]


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
    assert resolve(mentions((debris, "ORG"), (debris, "ORG"))).entities == ()


def test_label_is_the_majority_label() -> None:
    resolved = resolve(
        mentions(("Parcelline", "ORG"), ("Parcelline", "PERSON"), ("Parcelline", "ORG"))
    )
    assert [(e.slug, e.label) for e in resolved.entities] == [("parcelline", "ORG")]


def test_person_name_prefers_the_longest_form() -> None:
    resolved = resolve(
        mentions(
            ("Raman", "PERSON"), ("Raman", "PERSON"), ("Raman", "PERSON"), ("Priya Raman", "PERSON")
        )
    )
    assert [(e.slug, e.name) for e in resolved.entities] == [("priya_raman", "Priya Raman")]


def test_concepts_group_by_lemma() -> None:
    found = mentions(
        ("solar panels", "CONCEPT", "", "solar panel"),
        ("solar panel", "CONCEPT", "", "solar panel"),
        ("Solar panels", "CONCEPT", "", "solar panel"),
        ("heat pumps", "CONCEPT", "", "heat pump"),
        ("heat pumps", "CONCEPT", "", "heat pump"),
    )
    resolved = resolve(found)
    assert [(e.slug, e.name, e.label, e.mentions) for e in resolved.entities] == [
        ("solar_panel", "Solar panel", "CONCEPT", 3)
    ]
    assert "solar panels" in resolved.entities[0].aliases
    assert {m.slug for m in resolved.mentions} == {"solar_panel"}
    assert len(resolved.mentions) == 3
    two = resolve(found, min_concept_mentions=2)
    assert [e.slug for e in two.entities] == ["solar_panel", "heat_pump"]
    assert [e.slug for e in resolve(found, min_concept_mentions=2, max_concepts=1).entities] == [
        "solar_panel"
    ]


def test_concept_named_like_an_entity_is_not_a_second_entity() -> None:
    found = mentions(
        ("Heat Pump", "PRODUCT"),
        ("Heat Pump", "PRODUCT"),
        *([("heat pumps", "CONCEPT", "", "heat pump")] * 3),
    )
    assert [(e.slug, e.label) for e in resolve(found).entities] == [("heat_pump", "PRODUCT")]


def test_aliases_never_repeat_the_name_up_to_case() -> None:
    found = mentions(
        ("solar panel", "CONCEPT", "", "solar panel"),
        ("solar panels", "CONCEPT", "", "solar panel"),
        ("solar panel", "CONCEPT", "", "solar panel"),
    )
    (entity,) = resolve(found).entities
    assert entity.name.casefold() not in {a.casefold() for a in entity.aliases}


def test_linked_mentions_are_sorted_and_never_overlap() -> None:
    found = [
        *mentions(("Orbital Labs", "ORG"), ("Orbital Labs", "ORG")),
        RawMention(0, 7, "Orbital", "ORG"),
        RawMention(22, 29, "Orbital", "ORG"),
    ]
    resolved = resolve(found)
    spans = [(m.start, m.end, m.slug) for m in resolved.mentions]
    assert spans == [(0, 12, "orbital_labs"), (22, 34, "orbital_labs")]
