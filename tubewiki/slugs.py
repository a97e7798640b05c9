"""Slugs: the lower snake_case ASCII file stems that Obsidian and Quartz link by."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Letters NFKD does not decompose into an ASCII base.
_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "ð": "d",
    }
)


# Names Windows reserves for devices: a file or folder called `con` or `nul.md`
# cannot be opened there, so such a slug gets a suffix.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{stem}{n}" for stem in ("com", "lpt") for n in range(10)}
)


def slugify(text: str, *, max_len: int = 80) -> str:
    """`"Marc Benioff's Salesforce.com"` -> `"marc_benioffs_salesforce_com"`."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    )
    slug = _NON_WORD.sub("_", ascii_text.lower().replace("'", "")).strip("_")
    if len(slug) > max_len:
        cut = slug[: max_len + 1]
        if cut.endswith("_"):
            slug = cut[:-1]
        else:
            slug = cut.rsplit("_", 1)[0] if "_" in cut else cut[:max_len]
    return f"{slug}_note" if slug in _RESERVED else slug


def unique_slug(base: str, taken: set[str], *, suffix: str) -> str:
    """`base`, or `base_suffix`, `base_suffix_2`, ... whichever is free first."""
    if base not in taken:
        return base
    candidate = f"{base}_{suffix}"
    n = 2
    while candidate in taken:
        candidate = f"{base}_{suffix}_{n}"
        n += 1
    return candidate
