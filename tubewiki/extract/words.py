"""Is a word one that every English text uses?

Several stages ask it of wordfreq with one threshold: a one-word name that is
an everyday word ("Great", "Apple") is left to the NER model's judgement, a
capitalised everyday word ("This", "Today") is no brand, and a phrase led by
an everyday adjective ("big", "total", "different") is an opinion, not a topic.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType


def _wordfreq() -> ModuleType:
    """wordfreq, imported without `inspect.stack()`.

    On import, wordfreq finds its data folder with `locate.this_dir()`, which
    calls `inspect.stack()` to learn the caller's file: that reads the source of
    every frame on the stack and searches every loaded module for each, 50-90
    ms deep in a command. The caller's frame says the same for nothing.
    """
    try:
        import locate
    except ImportError:  # a later wordfreq that finds its data otherwise
        import wordfreq

        return wordfreq
    by_stack = locate.this_dir
    locate.this_dir = _caller_dir
    try:
        import wordfreq
    finally:
        locate.this_dir = by_stack
    return wordfreq


def _caller_dir() -> Path:
    """`locate.this_dir()`: the folder of the file that called it."""
    return Path(os.path.abspath(sys._getframe(1).f_globals["__file__"])).parent


zipf_frequency: Callable[[str, str], float] = _wordfreq().zipf_frequency

EVERYDAY_ZIPF = 4.5  # "great", "total", "today"; "neural", "finite", "Vanta" are rarer


@cache  # a 10,000-name vault asks of the same words on every run
def everyday(word: str) -> bool:
    return zipf_frequency(word, "en") >= EVERYDAY_ZIPF
