"""Social graphs over subscribers, stored as compressed sparse rows (CSR).

Word of mouth and peer churn read each subscriber's neighbours inside numba kernels, so a
graph is two flat arrays: the neighbours of node ``i`` are
``indices[indptr[i]:indptr[i + 1]]``. Indices are int32 (a 10**6-node graph with mean degree
10 costs 40 MB instead of 80 MB); ``indptr`` is int64 because the number of directed entries
can pass 2**31 for large dense graphs.

Every generator draws all its randomness from :mod:`sim.engine.rng` with a distinct counter
per draw, so a graph is a pure function of (parameters, seed) and identical on any numba
thread count. Every generator but one ends in :func:`csr_from_edges`, which enforces the
CSR invariants (symmetric, rows sorted, no self loops, no duplicate edges) after a
parallel scatter of the edge ends (:mod:`sim.engine.grouping`). The small world, the
default network and the one built at national scale, builds its rows where they land
instead (no edge list: about 11 bytes per node of temporaries, not 96); a test checks it against
:func:`csr_from_edges` of its edge list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numba
import numpy as np

from sim.engine.grouping import block_shift, group_pairs
from sim.engine.rng import Stream, stream_key, uniform_at

if TYPE_CHECKING:
    import networkx

_MAX_NODES = 2**31 - 1  # node ids are stored as int32


class Ties(NamedTuple):
    """The CSR arrays as kernels take them: ties of ``i`` are ``indices[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    indices: np.ndarray


@dataclass(frozen=True, eq=False)
class Graph:
    """Undirected simple graph over subscribers 0..n-1 in CSR form.

    Attributes:
        indptr: int64, shape ``(n + 1,)``; row ``i`` spans ``indptr[i]:indptr[i + 1]``.
        indices: int32, shape ``(2 * n_edges,)``; each row sorted ascending, no self loops,
            no duplicates, and ``j`` in row ``i`` iff ``i`` in row ``j``.
    """

    indptr: np.ndarray
    indices: np.ndarray

    def __post_init__(self) -> None:
        """Cheap shape/dtype checks, so a hand-built Graph fails here, not in a kernel."""
        _require(
            self.indptr.dtype == np.int64 and self.indptr.ndim == 1 and self.indptr.size >= 1,
            f"Graph.indptr must be a non-empty 1-D int64 array, got {self.indptr.dtype}",
        )
        _require(
            self.indices.dtype == np.int32 and self.indices.ndim == 1,
            f"Graph.indices must be a 1-D int32 array, got {self.indices.dtype}",
        )
        _require(
            self.indptr[0] == 0 and self.indptr[-1] == self.indices.size,
            "Graph.indptr must start at 0 and end at len(indices)",
        )

    @property
    def ties(self) -> Ties:
        """The two arrays as the record kernels read."""
        return Ties(self.indptr, self.indices)

    @property
    def n_nodes(self) -> int:
        """Number of subscribers (nodes), including isolated ones."""
        return self.indptr.size - 1

    @property
    def n_edges(self) -> int:
        """Number of undirected edges (each is stored twice)."""
        return self.indices.size // 2

    def degree(self) -> np.ndarray:
        """Degree of every node (int64, shape ``(n,)``)."""
        return np.diff(self.indptr)

    @property
    def nbytes(self) -> int:
        """Memory held by the two arrays, for sizing runs."""
        return self.indptr.nbytes + self.indices.nbytes


def _require(ok: bool, message: str) -> None:
    """Raise ValueError with ``message`` unless ``ok``: one line per argument check."""
    if not ok:
        raise ValueError(message)


# --------------------------------------------------------------------------- CSR builder


@numba.njit(cache=True, parallel=True, nogil=True)
def _sort_dedupe_rows(indptr: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """Sort each row in place and move its distinct values to the front; return their counts.

    Rows are independent, so the result does not depend on the thread count.
    """
    n = indptr.size - 1
    kept = np.empty(n, dtype=np.int64)
    for i in numba.prange(n):
        row = buf[indptr[i] : indptr[i + 1]]
        row.sort()
        k = 0
        for j in range(row.size):
            if k == 0 or row[j] != row[k - 1]:
                row[k] = row[j]
                k += 1
        kept[i] = k
    return kept


@numba.njit(cache=True, parallel=True, nogil=True)
def _compact_rows(indptr: np.ndarray, buf: np.ndarray, out_ptr: np.ndarray) -> np.ndarray:
    """Copy the kept prefix of every bucket into a dense indices array."""
    n = indptr.size - 1
    indices = np.empty(out_ptr[-1], dtype=np.int32)
    for i in numba.prange(n):
        start = indptr[i]
        indices[out_ptr[i] : out_ptr[i + 1]] = buf[start : start + out_ptr[i + 1] - out_ptr[i]]
    return indices


def csr_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> Graph:
    """Build a simple undirected graph from an edge list; every generator ends here.

    Edges are symmetrised, self loops dropped and duplicates (in either direction) merged, so
    generators may emit sloppy edge lists and still get a valid graph.

    Args:
        n: Number of nodes; ids must lie in ``0..n-1``.
        u: Integer array of edge endpoints.
        v: Integer array of the other endpoints, same shape as ``u``.

    Returns:
        The graph in CSR form.

    Raises:
        ValueError: If ``n`` is out of range, the arrays differ in shape or are not integer,
            or an id lies outside ``0..n-1``.
    """
    _require(0 <= n <= _MAX_NODES, f"n must be in 0..{_MAX_NODES}, got {n}")
    u, v = np.asarray(u), np.asarray(v)
    _require(
        u.ndim == 1 and u.shape == v.shape,
        f"u, v must be 1-D of equal length: {u.shape}, {v.shape}",
    )
    _require(
        np.issubdtype(u.dtype, np.integer) and np.issubdtype(v.dtype, np.integer),
        f"u, v must be integer arrays, got {u.dtype}, {v.dtype}",
    )
    if u.size:
        lo, hi = min(u.min(), v.min()), max(u.max(), v.max())
        _require(lo >= 0 and hi < n, f"edge endpoints must be in 0..{n - 1}, got {lo}..{hi}")
    u32 = np.ascontiguousarray(u, dtype=np.int32)
    v32 = np.ascontiguousarray(v, dtype=np.int32)
    indptr, buf = group_pairs(n, u32, v32, True, block_shift(n))
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(_sort_dedupe_rows(indptr, buf), out=out_ptr[1:])
    return Graph(out_ptr, _compact_rows(indptr, buf, out_ptr))


def empty(n: int) -> Graph:
    """Graph with ``n`` nodes and no edges: mean-field mixing has no explicit neighbours."""
    _require(0 <= n <= _MAX_NODES, f"n must be in 0..{_MAX_NODES}, got {n}")
    return Graph(np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.int32))


# --------------------------------------------------------------------------- generators


@numba.njit(cache=True, inline="always")
def _pick_other(x: float, count: int, own: int) -> int:
    """Map a uniform ``x`` to a position in ``0..count-1`` other than ``own``.

    Drawing from ``count - 1`` slots and skipping ``own`` is exactly uniform and needs no
    redraw loop. With nobody else to pick (``count <= 1``) it returns ``own``; the resulting
    self loop is dropped by :func:`csr_from_edges`.
    """
    if count <= 1:
        return own
    j = int(x * (count - 1))
    return j + 1 if j >= own else j


_ROWS = 4096  # nodes per chunk of the small-world row passes


@numba.njit(cache=True, inline="always")
def _moved(moved, i, j):
    """Whether lattice edge ``(i, i+j)`` was rewired: bit ``j-1`` of node ``i``'s mask."""
    return (moved[i, (j - 1) >> 3] >> ((j - 1) & 7)) & 1


@numba.njit(cache=True, parallel=True, nogil=True)
def _rewired_edges(n, half, rewire, decide, target):
    """Which lattice edges are rewired (a bit mask per node) and where they go.

    Lattice edge ``e = i*half + j-1`` is ``(i, i+j mod n)``; with probability ``rewire``
    its far end moves to a uniform node other than ``i``. Edge ``e`` uses counter ``e``
    in two sub-streams (decide, target), so no draw is shared. Only the rewired edges
    reach rows far from their near end, so only they are listed, as (near end, far end)
    in edge order; the rows rebuild the others from the mask.
    """
    n_chunks = -(-n // _ROWS)
    moved = np.zeros((n, (half + 7) >> 3), dtype=np.uint8)
    found = np.zeros(n_chunks + 1, dtype=np.int64)
    for c in numba.prange(n_chunks):
        k = 0
        for i in range(c * _ROWS, min(n, (c + 1) * _ROWS)):
            for j in range(1, half + 1):
                if uniform_at(decide, i * half + j - 1) < rewire:
                    moved[i, (j - 1) >> 3] |= np.uint8(1 << ((j - 1) & 7))
                    k += 1
        found[c + 1] = k
    at = np.cumsum(found)
    near = np.empty(at[-1], dtype=np.int32)
    far = np.empty(at[-1], dtype=np.int32)
    for c in numba.prange(n_chunks):
        k = at[c]
        for i in range(c * _ROWS, min(n, (c + 1) * _ROWS)):
            for j in range(1, half + 1):
                if _moved(moved, i, j):
                    near[k] = i
                    far[k] = _pick_other(uniform_at(target, i * half + j - 1), n, i)
                    k += 1
    return moved, near, far


@numba.njit(cache=True, inline="always")
def _ring_row(i, n, half, moved, target, in_ptr, in_near, buf):
    """Row ``i`` sorted and without duplicates into ``buf``; returns its length.

    Its ties: its own lattice edges (rewired or not), the lattice edges of ``i-j`` that
    stayed on ``i``, and the rewired edges that landed on ``i`` (``in_near``).
    """
    k = 0
    for j in range(half, 0, -1):  # lower lattice ties first, so the row is nearly sorted
        s = i - j + n if i < j else i - j
        if not _moved(moved, s, j) and s != i:
            buf[k] = s
            k += 1
    for j in range(1, half + 1):
        if _moved(moved, i, j):
            t = _pick_other(uniform_at(target, i * half + j - 1), n, i)
        else:
            t = i + j - n if i + j >= n else i + j  # i + j mod n, without a division
        if t != i:
            buf[k] = t
            k += 1
    for x in range(in_ptr[i], in_ptr[i + 1]):
        buf[k] = in_near[x]
        k += 1
    return _sort_distinct(buf, k)


@numba.njit(cache=True, inline="always")
def _sort_distinct(buf, k):
    """Sort ``buf[:k]`` and move its distinct values to the front; returns how many.

    An insertion sort: a row here is a handful of ties, often nearly sorted.
    """
    for a in range(1, k):
        v = buf[a]
        b = a - 1
        while b >= 0 and buf[b] > v:
            buf[b + 1] = buf[b]
            b -= 1
        buf[b + 1] = v
    kept = 0
    for a in range(k):
        if kept == 0 or buf[a] != buf[kept - 1]:
            buf[kept] = buf[a]
            kept += 1
    return kept


@numba.njit(cache=True, inline="always")
def _on_lattice(x, i, n, half, moved):
    """Whether ``x`` is one of row ``i``'s lattice ties that stayed (``i +- d``, d <= half)."""
    d = x - i if x >= i else x - i + n  # i + d = x (mod n)
    if 0 < d <= half:
        return not _moved(moved, i, d)
    d = n - d  # i - d = x (mod n)
    return 0 < d <= half and not _moved(moved, x, d)


@numba.njit(cache=True, inline="always")
def _ring_row_size(i, n, half, moved, target, in_ptr, in_near, extra):
    """Length of row ``i`` (:func:`_ring_row`) without building and sorting it.

    Lattice ties are distinct (``2 * half < n``); a rewired tie counts unless it repeats a
    lattice tie that stayed or an earlier rewired tie of the row (kept in ``extra``).
    """
    size = 0
    n_extra = 0
    for j in range(1, half + 1):
        s = i - j + n if i < j else i - j
        if not _moved(moved, s, j):
            size += 1
        if not _moved(moved, i, j):
            size += 1
        else:
            extra[n_extra] = _pick_other(uniform_at(target, i * half + j - 1), n, i)
            n_extra += 1
    for x in range(in_ptr[i], in_ptr[i + 1]):
        extra[n_extra] = in_near[x]
        n_extra += 1
    for a in range(n_extra):
        x = extra[a]
        new = x != i and not _on_lattice(x, i, n, half, moved)
        for b in range(a):
            new = new and extra[b] != x
        size += new
    return size


@numba.njit(cache=True, parallel=True, nogil=True)
def _ring_csr(n, half, moved, target, in_ptr, in_near):
    """Every row of the small world, built where it lands: count, place, then write."""
    n_chunks = -(-n // _ROWS)
    sizes = np.zeros(n_chunks + 1, dtype=np.int64)
    for c in numba.prange(n_chunks):
        lo, hi = c * _ROWS, min(n, (c + 1) * _ROWS)
        buf = np.empty(2 * half + np.max(np.diff(in_ptr[lo : hi + 1])), dtype=np.int32)
        total = 0
        for i in range(lo, hi):
            total += _ring_row_size(i, n, half, moved, target, in_ptr, in_near, buf)
        sizes[c + 1] = total
    starts = np.cumsum(sizes)
    indptr = np.empty(n + 1, dtype=np.int64)
    indices = np.empty(starts[-1], dtype=np.int32)
    for c in numba.prange(n_chunks):
        lo, hi = c * _ROWS, min(n, (c + 1) * _ROWS)
        buf = np.empty(2 * half + np.max(np.diff(in_ptr[lo : hi + 1])), dtype=np.int32)
        at = starts[c]
        for i in range(lo, hi):
            kept = _ring_row(i, n, half, moved, target, in_ptr, in_near, buf)
            indptr[i] = at
            for a in range(kept):
                indices[at + a] = buf[a]
            at += kept
    indptr[n] = starts[-1]
    return indptr, indices


def small_world(
    n: int, mean_degree: int, rewire: float, seed: int, n_initial: int | None = None
) -> Graph:
    """Watts–Strogatz small world over the initial slots, which market entrants then join.

    The first ``n_initial`` slots (all ``n`` by default) form a ring lattice where each node
    links to ``k // 2`` neighbours on each side (``k = mean_degree`` rounded down to even);
    each lattice edge's far end is then rewired with probability ``rewire`` to a uniform
    random node other than its near end. Duplicate edges that rewiring creates are merged,
    so with ``rewire > 0`` the mean degree is a hair below ``k``. With ``rewire == 0`` and no
    entrants the edge set equals ``networkx.watts_strogatz_graph(n, k, 0)``.

    Every later slot is a market entrant and starts ``k // 2`` ties with earlier slots
    (:func:`grow`), so the ties among the first ``K`` slots do not depend on how many slots
    come after them: a longer run does not change its earlier months.

    Args:
        n: Number of nodes.
        mean_degree: Requested mean degree; must be below ``n_initial`` once rounded to even.
        rewire: Rewiring probability in ``[0, 1]``.
        seed: Scenario seed.
        n_initial: Slots of the month-0 population (the ring); the rest are entrants.

    Returns:
        The graph.

    Raises:
        ValueError: On out-of-range arguments.
    """
    n0 = n if n_initial is None else n_initial
    half = max(mean_degree, 0) // 2
    _require(0 <= n <= _MAX_NODES, f"n must be in 0..{_MAX_NODES}, got {n}")
    _require(0 <= n0 <= n, f"n_initial must be in 0..n, got {n0} (n={n})")
    _require(
        mean_degree >= 0 and (n0 == 0 or 2 * half < n0),
        f"mean_degree must be in 0..n-1, got {mean_degree} (n={n0})",
    )
    _require(0.0 <= rewire <= 1.0, f"rewire must be in [0, 1], got {rewire}")
    if n0 == 0:
        return grow(empty(0), n, half, rewire, seed)
    stream = int(Stream.GRAPH_REWIRE)
    decide, target = np.uint64(stream_key(seed, stream, 0)), np.uint64(stream_key(seed, stream, 1))
    moved, near, far = _rewired_edges(n0, half, float(rewire), decide, target)
    in_ptr, in_near = group_pairs(n0, far, near, False, block_shift(n0))
    del near, far
    indptr, indices = _ring_csr(n0, half, moved, target, in_ptr, in_near)
    del moved, in_ptr, in_near
    return grow(Graph(indptr, indices), n, half, rewire, seed)


# --------------------------------------------------------------------------- entry


@numba.njit(cache=True, inline="always")
def _entrant_tie(s, j, a, ties, rewire, decide, target):
    """Tie ``j`` of entrant ``s`` (anchor ``a``): the circle's slot ``a + j``, or a shortcut."""
    if uniform_at(decide, s * ties + j) < rewire:
        return int(uniform_at(target, s * ties + j) * s)
    return (a + j) % s


@numba.njit(cache=True, parallel=True, nogil=True)
def _entrant_ties(n0, n, ties, rewire, anchor, decide, target):
    """The ties entrant slots ``n0..n-1`` start, as (earlier slot, entrant) pairs.

    Entrant ``s`` meets an anchor ``a``, a uniform earlier slot, and ties to ``a`` and the
    ``ties - 1`` slots after it (``a + j`` modulo ``s``): on the ring those know each
    other, so the entrant joins a circle, not strangers. Each tie instead goes to a uniform
    earlier slot with probability ``rewire``, as the ring's shortcuts do. Draws are keyed by
    slot, so an entrant's ties depend on its slot alone. (Entrant 0, with nobody before
    it, ties to itself: a self loop the grouping drops.)
    """
    earlier = np.empty((n - n0) * ties, dtype=np.int32)
    entrant = np.empty((n - n0) * ties, dtype=np.int32)
    for s in numba.prange(n0, n):
        a = int(uniform_at(anchor, s) * s)
        for j in range(ties):
            e = (s - n0) * ties + j
            earlier[e] = s if s == 0 else _entrant_tie(s, j, a, ties, rewire, decide, target)
            entrant[e] = s
    return earlier, entrant


@numba.njit(cache=True, inline="always")
def _own_ties(s, ties, rewire, anchor, decide, target, buf):
    """Entrant ``s``'s own ties, sorted and distinct, into ``buf``; returns how many."""
    if s == 0:
        return 0
    a = int(uniform_at(anchor, s) * s)
    for j in range(ties):
        buf[j] = _entrant_tie(s, j, a, ties, rewire, decide, target)
    return _sort_distinct(buf, ties)


@numba.njit(cache=True, inline="always")
def _later_ties(i, in_ptr, in_buf, out, at):
    """The entrants that tied to ``i`` (ascending, repeats adjacent), once each, at ``out[at:]``.

    Returns how many; with an empty ``out`` it only counts.
    """
    kept = 0
    last = -1
    for x in range(in_ptr[i], in_ptr[i + 1]):
        v = in_buf[x]
        if v != last:
            if out.size:
                out[at + kept] = v
            kept += 1
            last = v
    return kept


@numba.njit(cache=True, parallel=True, nogil=True)
def _grown_csr(base_ptr, base_idx, n, ties, rewire, anchor, decide, target, in_ptr, in_buf):
    """Every row of the grown graph, written where it lands: count, place, then write.

    Row ``i``: its base row (ids below the base's size) if it has one, then, for an
    entrant, its own ties (all before it), then the later entrants that tied to it.
    """
    n0 = base_ptr.size - 1
    n_chunks = -(-n // _ROWS)
    none = np.empty(0, dtype=np.int32)
    sizes = np.zeros(n_chunks + 1, dtype=np.int64)
    for c in numba.prange(n_chunks):
        buf = np.empty(max(ties, 1), dtype=np.int32)
        total = 0
        for i in range(c * _ROWS, min(n, (c + 1) * _ROWS)):
            if i < n0:
                total += base_ptr[i + 1] - base_ptr[i]
            else:
                total += _own_ties(i, ties, rewire, anchor, decide, target, buf)
            total += _later_ties(i, in_ptr, in_buf, none, 0)
        sizes[c + 1] = total
    starts = np.cumsum(sizes)
    indptr = np.empty(n + 1, dtype=np.int64)
    indices = np.empty(starts[-1], dtype=np.int32)
    for c in numba.prange(n_chunks):
        buf = np.empty(max(ties, 1), dtype=np.int32)
        at = starts[c]
        for i in range(c * _ROWS, min(n, (c + 1) * _ROWS)):
            indptr[i] = at
            if i < n0:
                size = base_ptr[i + 1] - base_ptr[i]
                indices[at : at + size] = base_idx[base_ptr[i] : base_ptr[i + 1]]
                at += size
            else:
                kept = _own_ties(i, ties, rewire, anchor, decide, target, buf)
                indices[at : at + kept] = buf[:kept]
                at += kept
            at += _later_ties(i, in_ptr, in_buf, indices, at)
    indptr[n] = starts[-1]
    return indptr, indices


def grow(base: Graph, n: int, ties: int, rewire: float, seed: int) -> Graph:
    """Add slots ``base.n_nodes..n-1``, market entrants, each starting ``ties`` earlier ties.

    Growth in the manner of Barabási and Albert's: an entrant ties only to slots before it
    (the customers already in the market, and those who entered before it in its month), so
    the graph over the first ``K`` slots is a function of ``K`` and the seed alone. How an
    entrant picks them is :func:`_entrant_ties`.

    Args:
        base: The graph over the month-0 population.
        n: Slots in all, entrants included.
        ties: Ties each entrant starts (more arrive from later entrants).
        rewire: Probability a tie goes to a uniform earlier slot rather than the circle.
        seed: Scenario seed.
    """
    n0 = base.n_nodes
    _require(n0 <= n <= _MAX_NODES, f"n must be in {n0}..{_MAX_NODES}, got {n}")
    if n == n0:
        return base
    if ties == 0:
        return Graph(np.concatenate([base.indptr, np.full(n - n0, base.indptr[-1])]), base.indices)
    stream = int(Stream.GRAPH_ENTRY)
    anchor, decide, target = (np.uint64(stream_key(seed, stream, k)) for k in range(3))
    earlier, entrant = _entrant_ties(n0, n, ties, float(rewire), anchor, decide, target)
    # who tied to each slot later on, in entrant order; each entrant's own ties are
    # redrawn where its row is written, so only this direction needs grouping
    in_ptr, in_buf = group_pairs(n, earlier, entrant, False, block_shift(n))
    del earlier, entrant
    indptr, indices = _grown_csr(
        base.indptr, base.indices, n, ties, float(rewire), anchor, decide, target, in_ptr, in_buf
    )
    return Graph(indptr, indices)


@numba.njit(cache=True, nogil=True)
def _ba_edges(n: int, m: int, seed: int, stream: int) -> np.ndarray:
    """Barabási–Albert edges as a flat endpoint list ``[u0, v0, u1, v1, ...]``.

    The endpoint list doubles as the preferential-attachment urn: a node appears in it once
    per unit of degree, so a uniform pick from the filled prefix is degree-proportional.
    Inherently serial (each step depends on all earlier ones); one running draw counter.
    """
    c = min(n, m + 1)  # seed clique
    n_edges = c * (c - 1) // 2 + (n - c) * m
    ends = np.empty(2 * n_edges, dtype=np.int32)
    e = 0
    for a in range(c):
        for b in range(a + 1, c):
            ends[e] = a
            ends[e + 1] = b
            e += 2
    key = stream_key(seed, stream, 0)
    draw = 0
    for t in range(c, n):
        filled = e
        for j in range(m):
            while True:  # m distinct targets; the clique guarantees at least m+1 candidates
                target = ends[int(uniform_at(key, draw) * filled)]
                draw += 1
                if not _already_chosen(ends, filled, j, target):
                    break
            ends[e] = t
            ends[e + 1] = target
            e += 2
    return ends


@numba.njit(cache=True, inline="always")
def _already_chosen(ends: np.ndarray, filled: int, j: int, target: int) -> bool:
    """Whether ``target`` is among the ``j`` targets picked so far in the current step."""
    for k in range(j):
        if ends[filled + 2 * k + 1] == target:
            return True
    return False


def scale_free(n: int, mean_degree: int, seed: int) -> Graph:
    """Barabási–Albert preferential attachment: a few hubs with very many contacts.

    Starts from a clique of ``m + 1`` nodes (``m = max(1, mean_degree // 2)``); every later
    node links to ``m`` distinct earlier nodes chosen proportionally to their degree, so the
    mean degree is about ``2 * m``.

    Args:
        n: Number of nodes.
        mean_degree: Requested mean degree (odd values round down).
        seed: Scenario seed.

    Returns:
        The graph.

    Raises:
        ValueError: On out-of-range arguments.
    """
    _require(0 <= n <= _MAX_NODES, f"n must be in 0..{_MAX_NODES}, got {n}")
    _require(mean_degree >= 0, f"mean_degree must be >= 0, got {mean_degree}")
    ends = _ba_edges(n, max(1, mean_degree // 2), seed, int(Stream.GRAPH))
    return csr_from_edges(n, ends[0::2], ends[1::2])


@numba.njit(cache=True, nogil=True)
def _poisson_at(lam: float, x: float) -> int:
    """Poisson(``lam``) by inverse CDF from one uniform ``x`` (small ``lam`` only)."""
    p = np.exp(-lam)
    cdf = p
    k = 0
    while x > cdf and p > 0.0:
        k += 1
        p *= lam / k
        cdf += p
    return k


@numba.njit(cache=True, nogil=True)
def _household_size(household_size: float, key: np.uint64, h: int) -> int:
    """Drawn size of household ``h``: ``1 + Poisson(household_size - 1)``."""
    return 1 + _poisson_at(household_size - 1.0, uniform_at(key, h))


@numba.njit(cache=True, nogil=True)
def _household_ids(n: int, household_size: float, seed: int, stream: int) -> np.ndarray:
    """Consecutive households of their drawn sizes; the last one cut at n."""
    key = stream_key(seed, stream, 0)
    ids = np.empty(n, dtype=np.int32)
    start = 0
    h = 0
    while start < n:
        end = min(n, start + _household_size(household_size, key, h))
        ids[start:end] = h
        start = end
        h += 1
    return ids


def household_ids(n: int, household_size: float, seed: int) -> np.ndarray:
    """Household of every node: consecutive runs of node ids with mean size ``household_size``.

    Sizes are ``1 + Poisson(household_size - 1)``, which keeps every household non-empty and
    large households rare, as in census data. Exposed so callers can share a household's
    contract or bundle, using the same draws as :func:`households`.

    Args:
        n: Number of nodes.
        household_size: Mean household size, at least 1.
        seed: Scenario seed.

    Returns:
        int32 array of shape ``(n,)``; ids are ``0, 0, 1, 1, 1, 2, ...`` (non-decreasing).

    Raises:
        ValueError: On out-of-range arguments.
    """
    _require(0 <= n <= _MAX_NODES, f"n must be in 0..{_MAX_NODES}, got {n}")
    _require(
        1.0 <= household_size <= 100.0, f"household_size must be in [1, 100], got {household_size}"
    )
    return _household_ids(n, float(household_size), seed, int(Stream.GRAPH_HOUSEHOLD))


@numba.njit(cache=True, parallel=True, nogil=True)
def _clique_edges(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs within each household (household ``h`` spans ``starts[h]..+sizes[h]``)."""
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes * (sizes - 1) // 2)
    u = np.empty(offsets[-1], dtype=np.int32)
    v = np.empty(offsets[-1], dtype=np.int32)
    for h in numba.prange(sizes.size):
        e = offsets[h]
        for a in range(starts[h], starts[h] + sizes[h]):
            for b in range(a + 1, starts[h] + sizes[h]):
                u[e] = a
                v[e] = b
                e += 1
    return u, v


@numba.njit(cache=True, parallel=True, nogil=True)
def _extra_tie_counts(
    own_degree: np.ndarray, mean_degree: float, seed: int, stream: int
) -> np.ndarray:
    """Ties node ``i`` starts: half its shortfall below ``mean_degree``, randomly rounded.

    Half, because each tie also adds one to some other node's degree.
    """
    key = stream_key(seed, stream, 0)
    counts = np.empty(own_degree.size, dtype=np.int64)
    for i in numba.prange(own_degree.size):
        want = max(0.0, mean_degree - own_degree[i]) / 2.0
        base = int(want)
        counts[i] = base + (1 if uniform_at(key, i) < want - base else 0)
    return counts


@numba.njit(cache=True, parallel=True, nogil=True)
def _extra_tie_edges(
    offsets: np.ndarray,
    n0: int,
    segment: np.ndarray,
    by_segment: np.ndarray,
    seg_start: np.ndarray,
    rank_in_segment: np.ndarray,
    initial_in_segment: np.ndarray,
    homophily: float,
    seed: int,
    stream: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Tie slot ``s`` of node ``i`` goes to a same-segment node with prob. ``homophily``.

    Otherwise it goes to a uniform node. A month-0 node (``i < n0``) picks among the month-0
    nodes, an entrant among the nodes before it, so no tie reaches a later slot. Same-segment
    targets are read from ``by_segment`` (nodes sorted by segment, then id). Slot ``s`` uses
    counter ``s`` in two sub-streams.
    """
    n = segment.size
    u = np.empty(offsets[-1], dtype=np.int32)
    v = np.empty(offsets[-1], dtype=np.int32)
    kind = stream_key(seed, stream, 1)
    target = stream_key(seed, stream, 2)
    for i in numba.prange(n):
        g = segment[i]
        for s in range(offsets[i], offsets[i + 1]):
            u[s] = i
            x = uniform_at(target, s)
            same = uniform_at(kind, s) < homophily
            if i < n0 and same:
                pick = _pick_other(x, initial_in_segment[g], rank_in_segment[i])
                v[s] = by_segment[seg_start[g] + pick]
            elif i < n0:
                v[s] = _pick_other(x, n0, i)
            elif same and rank_in_segment[i] > 0:
                v[s] = by_segment[seg_start[g] + int(x * rank_in_segment[i])]
            else:
                v[s] = int(x * i)  # i itself (a dropped self loop) only when nobody is earlier
    return u, v


def households(
    n: int,
    mean_degree: int,
    household_size: float,
    homophily: float,
    segment: np.ndarray,
    seed: int,
    n_initial: int | None = None,
) -> Graph:
    """Household cliques plus segment-homophilous outside ties.

    Members of a household (:func:`household_ids`) all know each other. Each node then
    starts about half of its shortfall below ``mean_degree`` as extra ties (the other half
    arrives as ties started by others); each goes with probability ``homophily`` to a uniform
    node of the same segment, else to a uniform node. Nodes in households bigger than
    ``mean_degree + 1`` start none, so the mean degree can land somewhat above the request.
    The first ``n_initial`` slots (all by default) tie among themselves; a later slot, a
    market entrant, ties only to slots before it, so the ties among the first ``K`` slots do
    not depend on how many slots come after them.

    Args:
        n: Number of nodes.
        mean_degree: Requested mean degree.
        household_size: Mean household size, at least 1.
        homophily: Probability in ``[0, 1]`` that an outside tie stays within the segment.
        segment: uint8 array of shape ``(n,)``, each node's customer segment.
        seed: Scenario seed.
        n_initial: Slots of the month-0 population; the rest are entrants.

    Returns:
        The graph.

    Raises:
        ValueError: On out-of-range arguments.
    """
    n0 = n if n_initial is None else n_initial
    _require(0 <= n0 <= n, f"n_initial must be in 0..n, got {n0} (n={n})")
    ids = household_ids(n, household_size, seed)
    _require(mean_degree >= 0, f"mean_degree must be >= 0, got {mean_degree}")
    _require(0.0 <= homophily <= 1.0, f"homophily must be in [0, 1], got {homophily}")
    segment = np.asarray(segment)
    _require(
        segment.shape == (n,) and segment.dtype == np.uint8,
        f"segment must be a uint8 array of shape ({n},), got {segment.dtype} {segment.shape}",
    )
    sizes = np.bincount(ids).astype(np.int64)
    starts = np.cumsum(sizes) - sizes
    hh_u, hh_v = _clique_edges(starts, sizes)
    if n:  # the last household is cut at n; its members' shortfall counts its drawn size
        key = np.uint64(stream_key(seed, int(Stream.GRAPH_HOUSEHOLD), 0))
        sizes[-1] = _household_size(float(household_size), key, sizes.size - 1)

    by_segment = np.argsort(segment, kind="stable").astype(np.int32)
    seg_start = np.zeros(257, dtype=np.int64)
    np.cumsum(np.bincount(segment, minlength=256), out=seg_start[1:])
    rank_in_segment = np.empty(n, dtype=np.int64)
    rank_in_segment[by_segment] = np.arange(n) - seg_start[segment[by_segment]]
    initial_in_segment = np.bincount(segment[:n0], minlength=256).astype(np.int64)

    stream = int(Stream.GRAPH)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(_extra_tie_counts(sizes[ids] - 1, float(mean_degree), seed, stream), out=offsets[1:])
    ex_u, ex_v = _extra_tie_edges(
        offsets,
        n0,
        segment,
        by_segment,
        seg_start,
        rank_in_segment,
        initial_in_segment,
        float(homophily),
        seed,
        stream,
    )
    return csr_from_edges(n, np.concatenate([hh_u, ex_u]), np.concatenate([hh_v, ex_v]))


# --------------------------------------------------------------------------- interchange


def from_networkx(g: networkx.Graph, n: int | None = None) -> Graph:
    """Convert a networkx graph (e.g. one loaded from GraphML) to CSR.

    Nodes should be the integers ``0..n-1``. If any node is not an integer, all nodes are
    relabelled ``0..`` in ``g.nodes`` order with ``networkx.convert_node_labels_to_integers``
    (keep that order if you need to map subscribers back). Directed graphs are symmetrised.

    Args:
        g: The graph.
        n: Number of nodes; defaults to ``g.number_of_nodes()``. A larger ``n`` adds
            isolated nodes.

    Returns:
        The graph.

    Raises:
        ValueError: If an integer node id lies outside ``0..n-1``.
    """
    import networkx as nx

    if not all(isinstance(node, int | np.integer) for node in g):
        g = nx.convert_node_labels_to_integers(g)
    n = g.number_of_nodes() if n is None else n
    nodes = np.fromiter(g.nodes, dtype=np.int64, count=g.number_of_nodes())
    _require(
        nodes.size == 0 or (nodes.min() >= 0 and nodes.max() < n),
        f"networkx node ids must be in 0..{n - 1}; relabel with convert_node_labels_to_integers",
    )
    ends = np.fromiter((x for edge in g.edges() for x in edge), dtype=np.int64)
    return csr_from_edges(n, ends[0::2], ends[1::2])


def to_networkx(graph: Graph) -> networkx.Graph:
    """Convert to a ``networkx.Graph`` (for analysis and plots, not for the hot loop)."""
    import networkx as nx

    rows = np.repeat(np.arange(graph.n_nodes), graph.degree())
    upper = graph.indices > rows
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_edges_from(zip(rows[upper].tolist(), graph.indices[upper].tolist(), strict=True))
    return g
