from collections.abc import Callable

import networkx as nx
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import graph as G

N = 3000
N0 = 2000
SEGMENT = np.random.default_rng(0).choice(4, size=N, p=[0.4, 0.3, 0.2, 0.1]).astype(np.uint8)

GENERATORS: dict[str, Callable[[int], G.Graph]] = {
    "small_world": lambda seed: G.small_world(N, 10, 0.2, seed),
    "scale_free": lambda seed: G.scale_free(N, 8, seed),
    "households": lambda seed: G.households(N, 10, 2.5, 0.6, SEGMENT, seed),
    "small_world_with_entrants": lambda seed: G.small_world(N, 10, 0.2, seed, N0),
    "households_with_entrants": lambda seed: G.households(N, 10, 2.5, 0.6, SEGMENT, seed, N0),
}
# the graphs a run with market entry builds: slots from N0 on are entrants
GROWING: dict[str, Callable[[int, int], G.Graph]] = {
    "small_world": lambda n, seed: G.small_world(n, 10, 0.2, seed, N0),
    "scale_free": lambda n, seed: G.scale_free(n, 8, seed),
    "households": lambda n, seed: G.households(n, 10, 2.5, 0.6, SEGMENT[:n], seed, N0),
}


def assert_csr(g: G.Graph, n: int) -> None:
    assert g.indptr.dtype == np.int64 and g.indptr.shape == (n + 1,)
    assert g.indices.dtype == np.int32 and g.indices.shape == (2 * g.n_edges,)
    assert g.indptr[0] == 0 and g.indptr[-1] == g.indices.size
    assert np.all(np.diff(g.indptr) >= 0)
    assert g.n_nodes == n and g.nbytes == g.indptr.nbytes + g.indices.nbytes
    rows = np.repeat(np.arange(n, dtype=np.int64), g.degree())
    cols = g.indices.astype(np.int64)
    assert np.all((cols >= 0) & (cols < n))
    assert not np.any(rows == cols), "self loop"
    forward = rows * n + cols
    assert np.all(np.diff(forward) > 0), "rows not strictly ascending (unsorted or duplicate)"
    assert np.array_equal(forward, np.sort(cols * n + rows)), "not symmetric"


def edge_set(g: G.Graph) -> set[tuple[int, int]]:
    rows = np.repeat(np.arange(g.n_nodes), g.degree())
    upper = g.indices > rows
    return set(zip(rows[upper].tolist(), g.indices[upper].tolist(), strict=True))


def same(a: G.Graph, b: G.Graph) -> bool:
    return np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)


def outside_household(g: G.Graph, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(g.n_nodes), g.degree())
    keep = ids[rows] != ids[g.indices]
    return rows[keep], g.indices[keep]


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_satisfy_csr_invariants(name: str) -> None:
    assert_csr(GENERATORS[name](1), N)


def test_empty_graph() -> None:
    g = G.empty(5)
    assert_csr(g, 5)
    assert g.n_edges == 0 and np.all(g.degree() == 0)


def test_csr_from_edges_symmetrises_and_dedupes() -> None:
    u = np.array([0, 1, 2, 2, 3, 3], dtype=np.int64)
    v = np.array([1, 0, 2, 0, 1, 1], dtype=np.int64)
    g = G.csr_from_edges(5, u, v)
    assert_csr(g, 5)
    assert edge_set(g) == {(0, 1), (0, 2), (1, 3)}
    assert g.degree().tolist() == [2, 2, 1, 1, 0]


@pytest.mark.parametrize(
    ("u", "v"),
    [([0, 5], [1, 2]), ([0, -1], [1, 2]), ([0, 1], [1]), (np.array([0.0]), np.array([1.0]))],
)
def test_csr_from_edges_rejects_bad_input(u: list[int], v: list[int]) -> None:
    with pytest.raises(ValueError):
        G.csr_from_edges(5, np.asarray(u), np.asarray(v))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    data=st.data(),
    rewire=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**40),
)
def test_small_world_property(n: int, data: st.DataObject, rewire: float, seed: int) -> None:
    degree = data.draw(st.integers(0, n - 1))
    g = G.small_world(n, degree, rewire, seed)
    assert_csr(g, n)
    assert g.n_edges <= n * (degree // 2)
    if rewire == 0.0:
        assert np.all(g.degree() == degree // 2 * 2)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    pairs=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=80),
)
def test_csr_from_edges_matches_reference(n: int, pairs: list[tuple[int, int]]) -> None:
    pairs = [(a % n, b % n) for a, b in pairs]
    u = np.array([a for a, _ in pairs], dtype=np.int64)
    v = np.array([b for _, b in pairs], dtype=np.int64)
    g = G.csr_from_edges(n, u, v)
    assert_csr(g, n)
    assert edge_set(g) == {(min(a, b), max(a, b)) for a, b in pairs if a != b}


# --------------------------------------------------------------------------- degrees


@pytest.mark.parametrize(("n", "k"), [(20, 4), (101, 6), (500, 10), (30, 7)])
def test_small_world_without_rewiring_is_networkx_ring_lattice(n: int, k: int) -> None:
    g = G.small_world(n, k, 0.0, seed=3)
    assert np.all(g.degree() == k // 2 * 2)
    expected = {tuple(sorted(e)) for e in nx.watts_strogatz_graph(n, k, 0).edges()}
    assert edge_set(g) == expected


def test_small_world_rewiring_keeps_mean_degree_and_moves_edges() -> None:
    lattice = G.small_world(N, 10, 0.0, seed=1)
    g = G.small_world(N, 10, 0.3, seed=1)
    assert g.degree().mean() == pytest.approx(10, rel=0.02)
    moved = 1 - len(edge_set(g) & edge_set(lattice)) / lattice.n_edges
    assert moved == pytest.approx(0.3, abs=0.03)


def test_small_world_rejects_degree_not_below_n() -> None:
    with pytest.raises(ValueError, match="mean_degree"):
        G.small_world(10, 10, 0.1, seed=1)


def test_scale_free_is_heavy_tailed() -> None:
    g = G.scale_free(20_000, 6, seed=2)
    degree = g.degree()
    assert degree.mean() == pytest.approx(6, rel=0.02)
    assert degree.min() >= 3
    assert degree.max() > 15 * degree.mean()


def test_scale_free_smaller_than_seed_clique_is_complete() -> None:
    assert G.scale_free(4, 10, seed=1).n_edges == 6


def test_household_ids_are_consecutive_runs_with_requested_mean() -> None:
    ids = G.household_ids(50_000, 2.5, seed=4)
    assert ids.dtype == np.int32 and ids[0] == 0
    assert set(np.diff(ids).tolist()) <= {0, 1}
    assert 50_000 / (ids[-1] + 1) == pytest.approx(2.5, rel=0.03)
    assert np.all(G.household_ids(100, 1.0, seed=4) == np.arange(100))


def test_households_are_cliques_and_mean_degree_close() -> None:
    g = G.households(N, 10, 3.0, 0.5, SEGMENT, seed=5)
    assert g.degree().mean() == pytest.approx(10, rel=0.25)
    ids = G.household_ids(N, 3.0, seed=5)
    sizes = np.bincount(ids)
    rows = np.repeat(np.arange(N), g.degree())
    same_household = np.bincount(rows[ids[rows] == ids[g.indices]], minlength=N)
    assert np.array_equal(same_household, sizes[ids] - 1)


def test_households_homophily() -> None:
    n = 20_000
    segment = np.random.default_rng(1).choice(3, size=n, p=[0.5, 0.3, 0.2]).astype(np.uint8)
    ids = G.household_ids(n, 2.5, seed=6)

    u, v = outside_household(G.households(n, 10, 2.5, 1.0, segment, seed=6), ids)
    assert np.mean(segment[u] == segment[v]) > 0.99

    u, v = outside_household(G.households(n, 10, 2.5, 0.0, segment, seed=6), ids)
    assert np.mean(segment[u] == segment[v]) == pytest.approx(0.25 + 0.09 + 0.04, abs=0.02)


def test_households_rejects_wrong_segment() -> None:
    with pytest.raises(ValueError, match="segment"):
        G.households(10, 4, 2.0, 0.5, np.zeros(10, dtype=np.int64), seed=1)


# --------------------------------------------------------------------------- growth with entry


def below(g: G.Graph, k: int) -> list[list[int]]:
    """Each of the first ``k`` rows, keeping only the ties among the first ``k`` slots."""
    return [[x for x in g.indices[g.indptr[i] : g.indptr[i + 1]] if x < k] for i in range(k)]


@settings(max_examples=15, deadline=None)
@given(k=st.integers(N0, N), seed=st.integers(0, 2**31))
@pytest.mark.parametrize("name", GROWING)
def test_ties_among_the_first_k_slots_depend_only_on_k(name: str, k: int, seed: int) -> None:
    assert below(GROWING[name](k, seed), k) == below(GROWING[name](N, seed), k)


def test_entrants_join_a_circle_of_earlier_slots() -> None:
    """Without shortcuts an entrant ties to its anchor and the 4 slots after it (mod s)."""
    g = G.small_world(N, 10, 0.0, seed=5, n_initial=N0)
    assert_csr(g, N)
    for s in range(N0, N):
        row = g.indices[g.indptr[s] : g.indptr[s + 1]]
        earlier = row[row < s]
        assert earlier.size == 5
        gaps = np.diff(np.sort((earlier - earlier[0]) % s))
        assert sorted(gaps.tolist()) in ([1, 1, 1, 1], [1, 1, 1, s - 4])  # a run, mod s
    assert g.degree().mean() == pytest.approx(10, abs=1e-9)


def test_every_entrant_enters_with_ties_to_earlier_slots() -> None:
    g = G.small_world(N, 10, 0.2, seed=6, n_initial=N0)
    rows = np.repeat(np.arange(N), g.degree())
    earlier = np.bincount(rows[g.indices < rows], minlength=N)[N0:]
    assert earlier.min() >= 1 and 4.5 < earlier.mean() <= 5


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_graph_and_different_seed_different_graph(name: str) -> None:
    build = GENERATORS[name]
    assert same(build(11), build(11))
    assert not same(build(11), build(12))


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs >= 2 numba threads")
@pytest.mark.parametrize("name", GENERATORS)
def test_graph_does_not_depend_on_thread_count(name: str) -> None:
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = GENERATORS[name](21)
        numba.set_num_threads(2)
        two = GENERATORS[name](21)
    finally:
        numba.set_num_threads(before)
    assert same(one, two)


# --------------------------------------------------------------------------- interchange


def test_networkx_round_trip() -> None:
    g = G.small_world(200, 6, 0.3, seed=8)
    h = G.to_networkx(g)
    assert h.number_of_nodes() == 200 and h.number_of_edges() == g.n_edges
    assert same(G.from_networkx(h), g)


def test_from_networkx_relabels_non_integer_nodes_and_pads_n() -> None:
    g = G.from_networkx(nx.path_graph(["a", "b", "c"]), n=5)
    assert_csr(g, 5)
    assert edge_set(g) == {(0, 1), (1, 2)}


def test_from_networkx_rejects_out_of_range_ids() -> None:
    with pytest.raises(ValueError, match=r"0\.\.2"):
        G.from_networkx(nx.Graph([(0, 7), (1, 2)]), n=3)


# --------------------------------------------------------------------------- row-wise builds


def watts_strogatz_edge_list(n: int, k: int, rewire: float, seed: int) -> G.Graph:
    """The small world's definition as an edge list, each edge drawn on its own counter."""
    from sim.engine.rng import Stream, uniform_array

    half = k // 2
    e = np.arange(n * half)
    near, j = e // half, e % half + 1
    decide = uniform_array(seed, int(Stream.GRAPH_REWIRE), 0, e.size)
    x = uniform_array(seed, int(Stream.GRAPH_REWIRE), 1, e.size)
    other = (x * (n - 1)).astype(np.int64)
    other += other >= near
    far = np.where(decide < rewire, other, (near + j) % n)
    return G.csr_from_edges(n, near, far)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 200),
    k=st.integers(0, 30),
    rewire=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    seed=st.integers(0, 2**40),
)
def test_small_world_rows_match_the_edge_list_definition(
    n: int, k: int, rewire: float, seed: int
) -> None:
    """The row-wise build gives exactly the CSR of the lattice-then-rewire edge list."""
    k = min(k, n - 1) // 2 * 2
    assert same(G.small_world(n, k, rewire, seed), watts_strogatz_edge_list(n, k, rewire, seed))


def test_group_pairs_is_the_stable_grouping() -> None:
    from sim.engine.grouping import block_shift, group_pairs

    rng = np.random.default_rng(5)
    n = 5000
    keys = rng.integers(0, n, 40_000).astype(np.int32)
    vals = rng.integers(0, n, 40_000).astype(np.int32)
    ptr, out = group_pairs(n, keys, vals, False, block_shift(n))
    keep = keys != vals
    order = np.argsort(keys[keep], kind="stable")
    assert np.array_equal(out, vals[keep][order])
    assert np.array_equal(ptr, np.searchsorted(keys[keep][order], np.arange(n + 1)))


def entrant_edges(n0: int, n: int, k: int, rewire: float, seed: int):
    """The entrants' ties by their definition (docs/model.md), one counter per tie."""
    from sim.engine.rng import Stream, uniform_array

    half, stream = k // 2, int(Stream.GRAPH_ENTRY)
    s = np.repeat(np.arange(n0, n), half)
    j = np.tile(np.arange(half), n - n0)
    counter = s * half + j
    anchor = (uniform_array(seed, stream, 0, n)[s] * s).astype(np.int64)
    shortcut = uniform_array(seed, stream, 1, n * half)[counter] < rewire
    far = (uniform_array(seed, stream, 2, n * half)[counter] * s).astype(np.int64)
    return s, np.where(shortcut, far, (anchor + j) % s)


@settings(max_examples=40, deadline=None)
@given(
    n0=st.integers(11, 300),
    extra=st.integers(0, 300),
    rewire=st.sampled_from([0.0, 0.1, 1.0]),
    seed=st.integers(0, 2**40),
)
def test_grown_rows_match_the_edge_list_definition(n0, extra, rewire, seed) -> None:
    ring = watts_strogatz_edge_list(n0, 10, rewire, seed)
    rows = np.repeat(np.arange(n0), ring.degree())
    u, v = entrant_edges(n0, n0 + extra, 10, rewire, seed)
    expected = G.csr_from_edges(
        n0 + extra, np.concatenate([rows, u]), np.concatenate([ring.indices, v])
    )
    assert same(G.small_world(n0 + extra, 10, rewire, seed, n0), expected)
