"""Is a word one that every English text uses?

Several stages ask it of wordfreq with one threshold: a one-word name that is
an everyday word ("Great", "Apple") is left to the NER model's judgement, a
capitalised everyday word ("This", "Today") is no brand, and a phrase led by
an everyday adjective ("big", "total", "different") is an opinion, not a topic.
"""

from __future__ import annotations

from wordfreq import zipf_frequency

EVERYDAY_ZIPF = 4.5  # "great", "total", "today"; "neural", "finite", "Vanta" are rarer


def everyday(word: str) -> bool:
    return zipf_frequency(word, "en") >= EVERYDAY_ZIPF
