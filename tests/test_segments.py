"""Sections: chapters when the video has them, else TextTiling segments titled by one name."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tubewiki.extract.entities import LinkedMention
from tubewiki.extract.segments import Segment, segments
from tubewiki.types import Chapter, Sentence

MATHS = ("matrix", "vector", "row", "column", "determinant")
BAKING = ("bread", "oven", "flour", "dough", "crust")
NAMES = {"matrices": "Matrices", "sourdough": "Sourdough", "priya_raman": "Priya Raman"}


def sentence(i: int, lemmas: Sequence[str]) -> Sentence:
    return Sentence(
        start=100 * i,
        end=100 * i + 90,
        text="x",
        words=12,
        question=False,
        finite=True,
        greeting=False,
        hedged=False,
        figures=0,
        lemmas=tuple(lemmas),
    )


def talk(*blocks: tuple[Sequence[str], int]) -> list[Sentence]:
    """`count` sentences on each block's words, each sentence using three of them."""
    found: list[Sentence] = []
    for words, count in blocks:
        for _ in range(count):
            n = len(found)
            found.append(sentence(n, [words[(n + k) % len(words)] for k in range(3)]))
    return found


def mentions_at(*said: tuple[str, float]) -> tuple[list[LinkedMention], list[float]]:
    return [LinkedMention(i, i + 1, slug) for i, (slug, _) in enumerate(said)], [t for _, t in said]


def test_chapters_are_the_sections() -> None:
    chapters = [Chapter(0.0, "Intro"), Chapter(95.0, "Matrices"), Chapter(400.0, "Outro")]
    sentences = talk((MATHS, 40))
    found = segments(sentences, [15.0 * i for i in range(40)], 600.0, chapters=chapters)
    assert found == [
        Segment(0.0, 95.0, "Intro"),
        Segment(95.0, 400.0, "Matrices"),
        Segment(400.0, math.inf, "Outro"),
    ]


def test_a_short_video_is_one_segment_titled_by_its_top_name() -> None:
    mentions, times = mentions_at(("matrices", 10.0), ("matrices", 50.0), ("sourdough", 70.0))
    found = segments(
        talk((MATHS, 20)),
        [6.0 * i for i in range(20)],
        120.0,
        chapters=[Chapter(0.0, "Only one")],  # one chapter is no chapters
        mentions=mentions,
        names=NAMES,
        mention_times=times,
    )
    assert found == [Segment(0.0, math.inf, "Matrices")]


def test_a_segment_starts_where_the_vocabulary_changes() -> None:
    sentences = talk((MATHS, 20), (BAKING, 20))
    times = [15.0 * i for i in range(40)]
    found = segments(sentences, times, 600.0)
    assert [s.start for s in found] == [0.0, 300.0]
    assert [s.end for s in found] == [300.0, math.inf]
    assert [s.title for s in found] == ["Part 1", "Part 2"]  # no names to title them by


def test_segments_are_titled_by_their_most_characteristic_name() -> None:
    sentences = talk((MATHS, 20), (BAKING, 20))
    times = [15.0 * i for i in range(40)]
    said = [("priya_raman", 10.0 + 30 * i) for i in range(20)]  # the host, all through
    said += [("matrices", 20.0 + 40 * i) for i in range(6)]
    said += [("sourdough", 320.0 + 40 * i) for i in range(6)]
    said.sort(key=lambda s: s[1])
    mentions, mention_times = mentions_at(*said)
    found = segments(
        sentences, times, 600.0, mentions=mentions, names=NAMES, mention_times=mention_times
    )
    assert [(s.start, s.title) for s in found] == [(0.0, "Matrices"), (300.0, "Sourdough")]


def test_a_title_is_never_used_twice() -> None:
    sentences = talk((MATHS, 20), (BAKING, 20))
    times = [15.0 * i for i in range(40)]
    said = [("priya_raman", 10.0 + 30 * i) for i in range(20)]
    mentions, mention_times = mentions_at(*said)
    found = segments(
        sentences, times, 600.0, mentions=mentions, names=NAMES, mention_times=mention_times
    )
    assert [s.title for s in found] == ["Priya Raman", "Part 2"]


def test_the_number_of_segments_follows_the_length() -> None:
    blocks = (MATHS, BAKING, ("goal", "pitch", "striker", "referee", "league"))
    sentences = talk(*((words, 20) for words in blocks * 2))  # six topics, 120 sentences
    times = [15.0 * i for i in range(120)]
    found = segments(sentences, times, 1800.0)
    starts = [s.start for s in found]
    assert len(found) == 6  # 30 minutes: one segment per five minutes
    assert starts == [0.0, 300.0, 600.0, 900.0, 1200.0, 1500.0]
