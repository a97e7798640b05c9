"""YAKE key terms (Campos et al., ECIR 2018; Information Sciences 2020), in plain Python.

YAKE ranks the phrases of one text by statistics of that text alone: a word
scores well when it is said often but not everywhere around the same
neighbours, early, capitalised where case is not due to position, and across
many sentences. A phrase's score combines its words' scores and how often the
phrase itself is said; lower is better. We used to call textacy's YAKE, whose
import pulls scikit-learn and SciPy into every CLI process (1.4 s of a cold
start), so this module keeps its variant of the formulas: the mean rather than
the median sentence position, log2 rather than ln, and a frequency damped by
log2(1 + count), so rankings carry over.

The input is plain data, sentence by sentence (`parse` reduces spaCy's
tokens to `Word`), so the ranking can be tested on hand-made records.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

CANDIDATE_POS = frozenset({"NOUN", "PROPN", "ADJ"})
WINDOW = 2  # words each side that count as a word's context
MAX_SIMILARITY = 0.8  # a term this like a better one (sorted words, edit distance) is dropped
_ALNUM = re.compile(r"[^\W_]+")


class Word(NamedTuple):
    """One token as YAKE sees it."""

    lemma: str  # what the statistics count and terms are spelled with
    pos: str  # coarse part of speech
    stop: bool  # a stop word
    gap: bool  # punctuation or space: context only, never part of a term
    cased: bool  # all capitals, or a capital not explained by starting the sentence


@dataclass
class _Tally:
    """Every occurrence of one lemma: what its score is made of."""

    count: int = 0
    cased: int = 0
    sentences: list[int] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)


def key_terms(
    sentences: Sequence[Sequence[Word]], top: int, longest: int = 3
) -> list[tuple[str, float]]:
    """The `top` best terms of up to `longest` words, best (lowest score) first."""
    tallies = _tallies(sentences)
    stops = {w.lemma for sentence in sentences for w in sentence if w.stop}
    word_scores = _word_scores(tallies, stops, len(sentences))
    counts = Counter(_candidates(sentences, longest, stops))
    scored = [
        (" ".join(lemmas), _term_score(lemmas, count, tallies, word_scores))
        for lemmas, count in counts.items()
    ]
    scored.sort(key=lambda pair: pair[1])  # stable: ties keep shorter, earlier terms first
    return _distinct(scored, top)


def _tallies(sentences: Sequence[Sequence[Word]]) -> dict[str, _Tally]:
    tallies: defaultdict[str, _Tally] = defaultdict(_Tally)
    for index, sentence in enumerate(sentences):
        context = [None if w.gap else w.lemma for w in sentence]  # a gap is no context
        for i, word in enumerate(sentence):
            tally = tallies[word.lemma]
            tally.count += 1
            tally.cased += word.cased
            tally.sentences.append(index)
            tally.left.extend(_said(context[max(0, i - WINDOW) : i]))
            tally.right.extend(_said(context[i + 1 : i + 1 + WINDOW]))
    return tallies


def _said(window: list[str | None]) -> list[str]:
    """The window's lemmas, without its gaps."""
    return [lemma for lemma in window if lemma is not None]


def _word_scores(tallies: dict[str, _Tally], stops: set[str], n_sentences: int) -> dict[str, float]:
    """Each lemma's YAKE weight: low for a word that looks like a key word."""
    if not tallies:
        return {}
    content = [t.count for lemma, t in tallies.items() if lemma not in stops]
    spread = statistics.stdev(content) if len(content) > 1 else 0.0
    baseline = (statistics.fmean(content) if content else 1.0) + spread
    most = max(t.count for t in tallies.values())
    scores = {}
    for lemma, t in tallies.items():
        casing = t.cased / math.log2(1 + t.count)
        position = math.log2(math.log2(3 + statistics.fmean(t.sentences)))
        frequency = t.count / baseline
        dispersion = len(set(t.sentences)) / n_sentences
        left, right = len(set(t.left)), len(set(t.right))
        related = (
            1.0
            + (_share(left, len(t.left)) + _share(right, len(t.right))) * t.count / most
            + (left + right) / most
        )
        scores[lemma] = (related * position) / (casing + frequency / related + dispersion / related)
    return scores


def _share(distinct: int, total: int) -> float:
    return distinct / total if total else 0.0


def _candidates(
    sentences: Sequence[Sequence[Word]], longest: int, stops: set[str]
) -> Iterator[tuple[str, ...]]:
    """Every occurrence of a candidate term, single words first, then pairs, then triples.

    A candidate lies inside one sentence, holds no punctuation, is made of nouns,
    proper nouns and adjectives, and neither starts nor ends with a stop word. A
    single word is no candidate if any of its forms is a stop word ("Part" and "part").
    """
    columns = [
        (
            [w.lemma for w in sentence],
            [w.stop for w in sentence],
            [not w.gap and w.pos in CANDIDATE_POS for w in sentence],
        )
        for sentence in sentences
    ]
    for n in range(1, longest + 1):
        for lemmas, stop, fits in columns:
            for i in range(len(lemmas) - n + 1):
                if (
                    stop[i]
                    or stop[i + n - 1]
                    or not all(fits[i : i + n])
                    or (n == 1 and lemmas[i] in stops)
                ):
                    continue
                yield tuple(lemmas[i : i + n])


def _term_score(
    lemmas: tuple[str, ...], count: int, tallies: dict[str, _Tally], word_scores: dict[str, float]
) -> float:
    """Product of the words' scores over how often the term is said (log-damped).

    A single word counts all its occurrences, whatever their part of speech.
    """
    if len(lemmas) == 1:
        count = tallies[lemmas[0]].count
    scores = [word_scores[lemma] for lemma in lemmas]
    return math.prod(scores) / (math.log2(1 + count) * (1.0 + sum(scores)))


def _distinct(scored: Sequence[tuple[str, float]], top: int) -> list[tuple[str, float]]:
    """The best terms, skipping any inside or too like a better one ("learning" after
    "machine learning"; "model language" after "language model")."""
    kept: list[tuple[str, float]] = []
    kept_forms: list[str] = []
    for term, score in scored:
        if len(kept) >= top:
            break
        form = _sorted_words(term)
        if any(term in better for better, _ in kept) or any(
            Levenshtein.normalized_similarity(form, other) >= MAX_SIMILARITY for other in kept_forms
        ):
            continue
        kept.append((term, score))
        kept_forms.append(form)
    return kept


def _sorted_words(term: str) -> str:
    """The term's words, lower case and alphanumeric only, in sorted order."""
    return " ".join(sorted(_ALNUM.findall(term.lower())))
