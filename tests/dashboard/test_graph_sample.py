"""The graph sample: a connected snowball of month-0 subscribers, laid out deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from sim.dashboard.graph_sample import induced_edges, sample, snowball
from sim.engine.graph import csr_from_edges, small_world


def ring(n: int) -> object:
    u = np.arange(n)
    return csr_from_edges(n, u, (u + 1) % n)


def test_snowball_grows_breadth_first_within_the_limit() -> None:
    g = ring(20)
    nodes = snowball(g, 5, 5, limit=20)
    assert nodes.tolist() == [5, 4, 6, 3, 7]
    assert snowball(g, 0, 6, limit=4).tolist() == [0, 1, 2, 3]  # slots >= limit skipped


def test_induced_edges_are_the_ties_among_sampled_nodes() -> None:
    g = ring(20)
    nodes = np.array([5, 4, 6, 3, 7])
    edges = induced_edges(g, nodes)
    as_slots = {tuple(sorted((int(nodes[a]), int(nodes[b])))) for a, b in edges}
    assert as_slots == {(4, 5), (5, 6), (3, 4), (6, 7)}
    assert np.all(edges[:, 0] < edges[:, 1])


def test_sample_is_connected_deterministic_and_only_month_0_subscribers() -> None:
    import networkx as nx

    g = small_world(5000, 6, 0.1, seed=3)
    s = sample(g, population=4000, seed=9, size=120)
    assert s.nodes.size == 120 and np.unique(s.nodes).size == 120
    assert s.nodes.max() < 4000
    assert s.xy.shape == (120, 2) and np.isfinite(s.xy).all()
    graph = nx.Graph(list(map(tuple, s.edges)))
    assert nx.is_connected(graph) and graph.number_of_nodes() == 120
    again = sample(g, population=4000, seed=9, size=120)
    np.testing.assert_array_equal(s.nodes, again.nodes)
    np.testing.assert_array_equal(s.xy, again.xy)


@pytest.mark.parametrize("n", [50, 300])
def test_sample_of_a_graph_without_ties_still_has_nodes(n: int) -> None:
    empty = csr_from_edges(n, np.zeros(0, np.int64), np.zeros(0, np.int64))
    s = sample(empty, population=n, seed=1, size=100)
    assert s.nodes.size == min(n, 100) and np.unique(s.nodes).size == s.nodes.size
    assert s.edges.shape == (0, 2)
