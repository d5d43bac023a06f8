import numba
import numpy as np
import pytest

from sim.engine import graph as G
from sim.engine.layout import NO_OPERATOR
from sim.engine.records import MeanField
from sim.engine.state import Visible
from sim.engine.tiecounts import (
    GEN_FIRST,
    TC_GEN,
    TC_OPERATOR,
    TC_SWITCHED,
    count_columns,
    count_dtype,
    count_ties,
    counted_signals,
    update_tie_counts,
)

N, N_OPS = 2000, 4


def _state(rng: np.random.Generator) -> Visible:
    """A month's visible fields with every kind of slot: customers and empty slots."""
    operator = rng.integers(0, N_OPS, N).astype(np.uint8)
    operator[rng.random(N) < 0.2] = NO_OPERATOR
    return Visible(
        operator=operator,
        satisfaction=rng.random(N).astype(np.float32),
        handset_gen=rng.integers(2, 6, N).astype(np.uint8),
        switched=(rng.random(N) < 0.3).astype(np.uint8),
    )


def _counted(g: G.Graph, now: Visible) -> np.ndarray:
    degree = int(g.degree().max())
    counts = np.zeros((N, count_columns(N_OPS)), dtype=count_dtype(degree))
    count_ties(N, g.ties, now, counts)
    return counts


@pytest.fixture(scope="module")
def graph() -> G.Graph:
    return G.scale_free(N, 8, 3)  # hubs and leaves: degrees far apart


def test_counts_are_what_the_ties_show(graph: G.Graph) -> None:
    now = _state(np.random.default_rng(1))
    counts = _counted(graph, now)
    for i in range(0, N, 97):
        ties = graph.indices[graph.indptr[i] : graph.indptr[i + 1]]
        on = ties[now.operator[ties] != NO_OPERATOR]
        for j in range(N_OPS):
            assert counts[i, TC_OPERATOR + j] == np.sum(now.operator[on] == j)
        assert counts[i, TC_SWITCHED] == now.switched[on].sum()
        for g in range(GEN_FIRST, 6):
            assert counts[i, TC_GEN + g - GEN_FIRST] == np.sum(now.handset_gen[on] == g)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_updating_from_the_changed_slots_gives_a_fresh_count(graph: G.Graph, threads) -> None:
    """On any thread count and any number of row ranges (each range's thread writes only
    its rows; ties into other ranges are set aside for theirs), and for the rows of slots
    above those in the market (future entrants: ties of today's)."""
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        _update_and_compare(graph, numba.get_num_threads())
        _update_and_compare(graph, 7)
    finally:
        numba.set_num_threads(before)


def _update_and_compare(graph: G.Graph, parts: int) -> None:
    rng = np.random.default_rng(2)
    old = _state(rng)
    counts = _counted(graph, old)
    new = Visible(*(a.copy() for a in old))
    n = N - 300  # slots in the market; later ones (future entrants) are ties too
    changed = rng.choice(n, 150, replace=False)
    new.operator[changed[:50]] = rng.integers(0, N_OPS, 50)  # switchers and entrants
    new.operator[changed[50:70]] = NO_OPERATOR  # leavers
    new.handset_gen[changed[70:120]] = 5  # migrants (some already on 5: no change)
    new.switched[changed[120:]] ^= 1
    n_changed = update_tie_counts(n, old, new, graph.ties, counts, parts)
    assert np.array_equal(counts, _counted(graph, new))
    differs = (old.operator != new.operator) | (old.handset_gen != new.handset_gen)
    assert n_changed == np.sum(differs | (old.switched != new.switched))


def test_signals_are_shares_of_the_counted_ties(graph: G.Graph) -> None:
    now = _state(np.random.default_rng(3))
    counts = _counted(graph, now)
    f, ties_on = np.empty(N_OPS), np.empty(N_OPS)
    off = MeanField.empty(False, N_OPS)
    for i in range(0, N, 101):
        ties = graph.indices[graph.indptr[i] : graph.indptr[i + 1]]
        on = ties[now.operator[ties] != NO_OPERATOR]
        own = now.handset_gen[i]
        switched, newer = counted_signals(counts, i, own, off, f, ties_on)
        assert switched == now.switched[on].sum() / on.size
        assert newer == np.sum(now.handset_gen[on] > own) / on.size
        assert np.array_equal(f, [np.sum(now.operator[on] == j) / on.size for j in range(N_OPS)])


def test_counts_take_the_smallest_type_that_holds_the_largest_degree() -> None:
    assert count_dtype(10) == np.uint8
    assert count_dtype(255) == np.uint8
    assert count_dtype(256) == np.uint16
