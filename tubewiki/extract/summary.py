"""A video's summary: its most central claims, by TextRank over sentences.

A sentence is central when it shares content words with many other claims of
the video; PageRank over that similarity graph (the TextRank of Mihalcea and
Tarau) finds them. The summary takes a few of them, more for a longer video,
in time order, so it reads as the video runs.

PageRank is the power iteration networkx's `pagerank` runs, on a dense numpy
matrix: networkx and the SciPy it computes with cost every process that
extracts 0.2 s of imports, for a graph of a few hundred sentences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tubewiki.extract.claims import Candidate


def summary_size(minutes: float) -> int:
    """3 sentences for a short video, up to 6 for an hour or more."""
    return max(3, min(6, 2 + round(minutes / 15)))


def central(candidates: Sequence[Candidate], n: int) -> list[Candidate]:
    """The `n` most central candidates, in time order."""
    if len(candidates) <= n:
        return list(candidates)
    words = [frozenset(c.sentence.lemmas) for c in candidates]
    weights = np.zeros((len(words), len(words)))
    for i, a in enumerate(words):
        for j in range(i + 1, len(words)):
            shared = len(a & words[j])
            if shared and len(a) > 1 and len(words[j]) > 1:
                weight = shared / (math.log(len(a)) + math.log(len(words[j])))
                weights[i, j] = weights[j, i] = weight
    rank = pagerank(weights)
    order = sorted(range(len(candidates)), key=lambda i: (-rank[i] * candidates[i].claim.score, i))
    return sorted((candidates[i] for i in order[:n]), key=lambda c: c.sentence.start)


def pagerank(
    weights: npt.NDArray[np.float64], alpha: float = 0.85, tol: float = 1.0e-6, max_iter: int = 100
) -> npt.NDArray[np.float64]:
    """Each node's PageRank in a weighted graph: uniform teleport, and a node with
    no edge spreads its rank evenly. The error shrinks by `alpha` each step, so
    100 steps always reach the tolerance networkx asks for."""
    n = len(weights)
    out = weights.sum(axis=1)
    inverse = np.zeros(n)
    linked = out != 0
    inverse[linked] = 1.0 / out[linked]
    transition = inverse[:, None] * weights
    uniform = np.repeat(1.0 / n, n)
    dangling = np.where(~linked)[0]
    x = uniform
    for _ in range(max_iter):
        last = x
        x = alpha * (x @ transition + sum(x[dangling]) * uniform) + (1 - alpha) * uniform
        if np.absolute(x - last).sum() < n * tol:
            break
    return x
