"""The summary's PageRank, checked against the linear system it solves."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from tubewiki.extract.summary import pagerank

ALPHA = 0.85


def solved(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """PageRank as the fixed point x = a(xP + (x.d)u) + (1 - a)u, solved directly.

    P is the row-normalised weights, d marks nodes without edges and u is
    uniform. The ranks sum to 1, so x.u = 1/n turns the fixed point into
    x(I - aP - a d u') = (1 - a)/n, one linear system.
    """
    n = len(weights)
    out = weights.sum(axis=1)
    step = np.divide(weights, out[:, None], out=np.zeros_like(weights), where=out[:, None] != 0)
    dangling = (out == 0).astype(float)
    system = np.eye(n) - ALPHA * step - ALPHA * np.outer(dangling, np.full(n, 1.0 / n))
    return np.linalg.solve(system.T, np.full(n, (1 - ALPHA) / n))


@st.composite
def graphs(draw: st.DrawFn) -> npt.NDArray[np.float64]:
    """A symmetric weight matrix of 1-40 nodes, some of them without an edge."""
    n = draw(st.integers(1, 40))
    weights = np.zeros((n, n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=80) if pairs else st.just([]))
    for i, j in chosen:
        weights[i, j] = weights[j, i] = draw(st.floats(0.01, 5.0))
    return weights


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_pagerank_is_the_fixed_point(weights: npt.NDArray[np.float64]) -> None:
    rank = pagerank(weights)
    assert abs(rank.sum() - 1.0) < 1e-9
    # The iteration stops when a step moves the ranks less than n * 1e-6 in total;
    # the error left is then at most that step times alpha / (1 - alpha).
    assert np.allclose(rank, solved(weights), rtol=0, atol=len(weights) * 1e-5)


def test_a_hub_outranks_its_leaves_and_equal_leaves_rank_equal() -> None:
    weights = np.zeros((5, 5))
    for leaf in (1, 2, 3):
        weights[0, leaf] = weights[leaf, 0] = 1.0
    rank = pagerank(weights)  # node 4 has no edge at all
    assert rank[0] > rank[1] == rank[2] == rank[3]
    assert rank[4] < rank[1]
