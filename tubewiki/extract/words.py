"""Is a word one that every English text uses?

Several stages ask it of wordfreq with one threshold: a one-word name that is
an everyday word ("Great", "Apple") is left to the NER model's judgement, a
capitalised everyday word ("This", "Today") is no brand, and a phrase led by
an everyday adjective ("big", "total", "different") is an opinion, not a topic.
"""

from __future__ import annotations

from functools import cache

from wordfreq import zipf_frequency

EVERYDAY_ZIPF = 4.5  # "great", "total", "today"; "neural", "finite", "Vanta" are rarer


@cache  # a 10,000-name vault asks of the same words on every run
def everyday(word: str) -> bool:
    return zipf_frequency(word, "en") >= EVERYDAY_ZIPF
