"""A video's summary: its most central claims, by TextRank over sentences.

A sentence is central when it shares content words with many other claims of
the video; PageRank over that similarity graph (the TextRank of Mihalcea and
Tarau) finds them. The summary takes a few of them, more for a longer video,
in time order, so it reads as the video runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx

from tubewiki.extract.claims import Candidate


def summary_size(minutes: float) -> int:
    """3 sentences for a short video, up to 6 for an hour or more."""
    return max(3, min(6, 2 + round(minutes / 15)))


def central(candidates: Sequence[Candidate], n: int) -> list[Candidate]:
    """The `n` most central candidates, in time order."""
    if len(candidates) <= n:
        return list(candidates)
    words = [frozenset(c.sentence.lemmas) for c in candidates]
    graph = nx.Graph()
    graph.add_nodes_from(range(len(candidates)))
    for i, a in enumerate(words):
        for j in range(i + 1, len(words)):
            shared = len(a & words[j])
            if shared and len(a) > 1 and len(words[j]) > 1:
                graph.add_edge(i, j, weight=shared / (math.log(len(a)) + math.log(len(words[j]))))
    rank = nx.pagerank(graph, weight="weight")
    order = sorted(range(len(candidates)), key=lambda i: (-rank[i] * candidates[i].claim.score, i))
    return sorted((candidates[i] for i in order[:n]), key=lambda c: c.sentence.start)
