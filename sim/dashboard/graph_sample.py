"""A small piece of the social graph to draw: a snowball sample and its layout.

A random handful of 10^5 subscribers shares almost no ties, so the sample grows outward
from one subscriber (breadth first over the CSR rows) until it holds ``size`` people:
neighbours of neighbours, the circle whose operators a subscriber actually sees. The
layout is computed once per model; each month only the colours change.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from sim.engine.graph import Graph

SAMPLE_SIZE = 150


@dataclass(frozen=True)
class GraphSample:
    """Sampled subscribers, the ties among them and 2-D positions.

    Attributes:
        nodes: subscriber slots, int64, shape ``(n,)``.
        edges: pairs of positions into ``nodes``, int64, shape ``(m, 2)``, each tie once.
        xy: layout positions, float, shape ``(n, 2)``.
    """

    nodes: np.ndarray
    edges: np.ndarray
    xy: np.ndarray


def snowball(graph: Graph, start: int, size: int, limit: int) -> np.ndarray:
    """Slots reached breadth first from ``start`` (only slots below ``limit``), at most ``size``."""
    seen = {start}
    order = [start]
    queue = deque([start])
    indptr, indices = graph.indptr, graph.indices
    while queue and len(order) < size:
        node = queue.popleft()
        for nb in indices[indptr[node] : indptr[node + 1]]:
            nb = int(nb)
            if nb < limit and nb not in seen:
                seen.add(nb)
                order.append(nb)
                queue.append(nb)
                if len(order) == size:
                    break
    return np.array(order, dtype=np.int64)


def induced_edges(graph: Graph, nodes: np.ndarray) -> np.ndarray:
    """Ties between sampled slots, as position pairs ``(a, b)`` with ``a < b``."""
    where = {int(s): k for k, s in enumerate(nodes)}
    pairs = []
    for a, slot in enumerate(nodes):
        for nb in graph.indices[graph.indptr[slot] : graph.indptr[slot + 1]]:
            b = where.get(int(nb))
            if b is not None and a < b:
                pairs.append((a, b))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def sample(graph: Graph, population: int, seed: int, size: int = SAMPLE_SIZE) -> GraphSample:
    """A snowball sample of the month-0 population with a spring layout (deterministic).

    The start is the highest-degree of a few seeded candidates, so the sample is a
    connected patch rather than an isolated subscriber; with ``mixing: global`` (no ties)
    it is just the first ``size`` subscribers on a circle.
    """
    import networkx as nx

    rng = np.random.default_rng(seed % 2**32)
    limit = min(population, graph.n_nodes)
    candidates = rng.integers(0, limit, size=8)
    degree = graph.indptr[candidates + 1] - graph.indptr[candidates]
    start = int(candidates[np.argmax(degree)])
    nodes = snowball(graph, start, size, limit)
    if nodes.size < min(size, limit):  # an isolated start: top up with the next slots
        extra = np.setdiff1d(np.arange(min(limit, size * 2)), nodes)[: size - nodes.size]
        nodes = np.concatenate([nodes, extra])
    edges = induced_edges(graph, nodes)
    g = nx.Graph()
    g.add_nodes_from(range(nodes.size))
    g.add_edges_from(map(tuple, edges))
    pos = nx.spring_layout(g, seed=int(rng.integers(2**31)), iterations=60)
    xy = np.array([pos[k] for k in range(nodes.size)], dtype=float).reshape(-1, 2)
    return GraphSample(nodes, edges, xy)
