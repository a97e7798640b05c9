"""Split a video into sections: its chapters, or topic segments found in the text.

Without chapters, a section starts where the vocabulary changes. As in
Hearst's TextTiling, the content lemmas of the blocks of sentences before
and after each sentence boundary are compared by cosine similarity, and the
deepest valleys of that curve become boundaries, at most one per few minutes.
Each segment is titled by the key term it says most, relative to the whole
video, never by a pair of names.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tubewiki.extract.entities import LinkedMention
from tubewiki.types import Chapter, Sentence

SEGMENT_SECONDS = 300.0
MAX_SEGMENTS = 12
BLOCK = 8  # sentences each side of a gap


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    title: str


def segments(
    sentences: Sequence[Sentence],
    times: Sequence[float],
    duration: float,
    *,
    chapters: Sequence[Chapter] = (),
    mentions: Sequence[LinkedMention] = (),
    names: Mapping[str, str] | None = None,
    mention_times: Sequence[float] = (),
) -> list[Segment]:
    """The video's sections in order; `times[i]` is when `sentences[i]` starts."""
    if len(chapters) >= 2:
        bounds = [c.start for c in chapters]
        titles = [c.title for c in chapters]
    else:
        bounds = [0.0, *_boundaries(sentences, times, duration)]
        titles = _titles(bounds, mentions, mention_times, names or {})
    ends = [*bounds[1:], math.inf]
    return [Segment(b, e, t) for b, e, t in zip(bounds, ends, titles, strict=True)]


def _boundaries(
    sentences: Sequence[Sentence], times: Sequence[float], duration: float
) -> list[float]:
    wanted = max(0, min(MAX_SEGMENTS, round(duration / SEGMENT_SECONDS)) - 1)
    if wanted == 0 or len(sentences) < 2 * BLOCK:
        return []
    bags = [Counter(s.lemmas) for s in sentences]
    left, right = _window(bags[:BLOCK]), _window(bags[BLOCK : 2 * BLOCK])
    scores = [(BLOCK, _cosine(left, right))]
    for gap in range(BLOCK + 1, len(sentences) - BLOCK + 1):  # slide both blocks one on
        _slide(left, enter=bags[gap - 1], leave=bags[gap - 1 - BLOCK])
        _slide(right, enter=bags[gap + BLOCK - 1], leave=bags[gap - 1])
        scores.append((gap, _cosine(left, right)))
    values = [v for _, v in scores]
    left_peaks = list(itertools.accumulate(values, max))
    right_peaks = list(itertools.accumulate(reversed(values), max))[::-1]
    depths = [
        (lp - v + rp - v, gap)
        for (gap, v), lp, rp in zip(scores, left_peaks, right_peaks, strict=True)
    ]
    spacing = duration / (wanted + 1) / 2
    chosen: list[float] = []
    for _, gap in sorted(depths, key=lambda d: (-d[0], d[1])):
        t = times[gap]
        if all(abs(t - c) >= spacing for c in chosen) and t >= spacing and duration - t >= spacing:
            chosen.append(t)
        if len(chosen) == wanted:
            break
    return sorted(chosen)


def _window(bags: Sequence[Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for bag in bags:
        total.update(bag)
    return total


def _slide(window: Counter[str], *, enter: Counter[str], leave: Counter[str]) -> None:
    """Move a block one sentence on in place: summing its eight bags again at every gap
    was most of an extraction's time. Counts stay positive, as a summed Counter's do."""
    window.update(enter)
    for word, n in leave.items():
        if window[word] == n:
            del window[word]
        else:
            window[word] -= n


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(n * b[w] for w, n in a.items() if w in b)
    norm = math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))
    return dot / norm if norm else 0.0


def _titles(
    bounds: Sequence[float],
    mentions: Sequence[LinkedMention],
    mention_times: Sequence[float],
    names: Mapping[str, str],
) -> list[str]:
    """Each segment's most characteristic key term, unused as a title yet."""
    total = Counter(m.slug for m in mentions if m.slug in names)
    ends = [*bounds[1:], math.inf]
    used: set[str] = set()
    titles = []
    for n, (start, end) in enumerate(zip(bounds, ends, strict=True), 1):
        here = Counter(
            m.slug
            for m, t in zip(mentions, mention_times, strict=True)
            if m.slug in names and start <= t < end
        )
        ranked = sorted(here, key=lambda s: (-here[s] * here[s] / total[s], s))
        title = next((names[s] for s in ranked if names[s] not in used), f"Part {n}")
        used.add(title)
        titles.append(title)
    return titles
