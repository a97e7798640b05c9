"""Slugs: lower snake_case ASCII file stems, unique across the vault."""

from __future__ import annotations

import re

import pytest

from tubewiki.slugs import slugify, unique_slug

SLUG_SHAPE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Harlow Motors", "harlow_motors"),
        ("  Harlow   Motors  ", "harlow_motors"),
        ("HARLOW motors", "harlow_motors"),
        # possessives lose the apostrophe, not the "s", straight or curly
        ("Marc's", "marcs"),
        ("Marc’s", "marcs"),
        ("Priya Raman's Vans", "priya_ramans_vans"),
        # dots, dashes and other punctuation become one underscore
        ("Salesforce.com", "salesforce_com"),
        ("GPT-4o", "gpt_4o"),
        ("Q&A: the 2024 results!", "q_a_the_2024_results"),
        ("--Lumen__Drive--", "lumen_drive"),
        # accents fold to ASCII
        ("Café Müller", "cafe_muller"),
        ("Zoë Brontë-Hale", "zoe_bronte_hale"),
        ("São Paulo", "sao_paulo"),
        ("ﬁnance", "finance"),
        # nothing sluggable left
        ("", ""),
        ("!!!", ""),
        ("東京", ""),
    ],
)
def test_slugify(text: str, expected: str) -> None:
    assert slugify(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Harlow Motors", "Marc's Salesforce.com", "Zoë Brontë-Hale", "a b c", "GPT-4o mini"],
)
def test_slugify_shape(text: str) -> None:
    slug = slugify(text)
    assert SLUG_SHAPE.match(slug)
    assert slugify(slug) == slug  # idempotent


@pytest.mark.parametrize(
    ("text", "max_len", "expected"),
    [
        ("short name", 80, "short_name"),
        ("alpha beta gamma delta", 13, "alpha_beta"),  # "alpha_beta_ga" -> cut back to a word
        ("alpha beta gamma delta", 12, "alpha_beta"),
        ("alpha beta gamma delta", 5, "alpha"),
        ("x" * 100, 80, "x" * 80),  # one long word: hard cut
    ],
)
def test_slugify_length_cap(text: str, max_len: int, expected: str) -> None:
    slug = slugify(text, max_len=max_len)
    assert slug == expected
    assert len(slug) <= max_len


def test_slugify_default_cap_keeps_whole_words() -> None:
    title = " ".join(f"word{i}" for i in range(40))
    slug = slugify(title)
    assert len(slug) <= 80
    assert SLUG_SHAPE.match(slug)
    assert set(slug.split("_")) <= {f"word{i}" for i in range(40)}


def test_slugify_cap_on_word_boundary_keeps_last_word() -> None:
    # "alpha_beta" is 10 characters and fits a cap of 10 exactly
    assert slugify("alpha beta gamma", max_len=10) == "alpha_beta"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Ørsted", "orsted"), ("Łódź", "lodz"), ("Straße", "strasse"), ("Cæsar", "caesar")],
)
def test_slugify_folds_letters_without_decomposition(text: str, expected: str) -> None:
    assert slugify(text) == expected


@pytest.mark.parametrize(
    ("base", "taken", "expected"),
    [
        ("harlow_motors", set(), "harlow_motors"),
        ("harlow_motors", {"other"}, "harlow_motors"),
        ("harlow_motors", {"harlow_motors"}, "harlow_motors_entity"),
        ("harlow_motors", {"harlow_motors", "harlow_motors_entity"}, "harlow_motors_entity_2"),
        (
            "harlow_motors",
            {"harlow_motors", "harlow_motors_entity", "harlow_motors_entity_2"},
            "harlow_motors_entity_3",
        ),
        # a gap is filled only from the start of the sequence
        ("harlow_motors", {"harlow_motors", "harlow_motors_entity_2"}, "harlow_motors_entity"),
    ],
)
def test_unique_slug(base: str, taken: set[str], expected: str) -> None:
    assert unique_slug(base, taken, suffix="entity") == expected


def test_unique_slug_does_not_mutate_taken() -> None:
    taken = {"makers_hour"}
    assert unique_slug("makers_hour", taken, suffix="channel") == "makers_hour_channel"
    assert taken == {"makers_hour"}
