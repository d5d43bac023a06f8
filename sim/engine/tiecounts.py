"""What each subscriber's ties show, counted, and kept up to date from month to month.

Every customer's month needs three things from its ties (docs/model.md steps 3-8): how
many are on each operator (on-net price, choice), how many switched last month
(consideration) and how many have a newer handset (migration). Reading ~10 ties' state
for each of them was half of an agent-step. Few subscribers change what their ties see
in a month (switchers, migrants, entrants, leavers, last month's switchers), so the
counts are kept per slot and, after each month, adjusted only around those who changed
(:func:`update_tie_counts`). Integer counts commute: the result does not depend on the
order of the updates, and equals a fresh count (:func:`count_ties`), which the model's
invariant check compares. Word of mouth (ties' mean satisfaction) changes for nearly
everyone every month; only subscribers who choose need it, and they read their ties.

Columns of a slot's row (``counts[i]``): ties that switched last month, ties with a
handset of generation 3, 4 and 5 (a generation-2 handset is never newer than anyone's,
generations are 2-5), then ties on each operator. Only ties that are customers (not
empty slots) count. The dtype is the smallest unsigned integer that holds the largest
degree (one byte a column for small worlds).
"""

import numba
import numpy as np

from sim.engine.layout import CHUNK, NO_OPERATOR
from sim.engine.prefetch import PREFETCH_AHEAD, prefetch, prefetch_ties

TC_SWITCHED = 0
TC_GEN = 1  # column of generation GEN_FIRST; then one per generation up to GEN_LAST
GEN_FIRST, GEN_LAST = 3, 5
TC_OPERATOR = TC_GEN + GEN_LAST - GEN_FIRST + 1  # column of operator 0


@numba.njit(cache=True)
def count_columns(n_ops: int) -> int:
    """Columns of a slot's counts with ``n_ops`` operators."""
    return TC_OPERATOR + n_ops


def count_dtype(max_degree: int) -> np.dtype:
    """The smallest unsigned integer type that holds ``max_degree``."""
    return np.min_scalar_type(max(1, max_degree))


@numba.njit(cache=True, inline="always")
def tally_ties(i, ties, now, counts, row):
    """Write into ``counts[row]`` what the ties of slot ``i`` show in ``now``."""
    for col in range(counts.shape[1]):
        counts[row, col] = 0
    for e in range(ties.indptr[i], ties.indptr[i + 1]):
        k = ties.indices[e]
        j = now.operator[k]
        if j == NO_OPERATOR:  # an empty slot: a future entrant, or one who stayed out
            continue
        counts[row, TC_OPERATOR + j] += 1
        counts[row, TC_SWITCHED] += now.switched[k]
        g = now.handset_gen[k]
        if g >= GEN_FIRST:
            counts[row, TC_GEN + g - GEN_FIRST] += 1


@numba.njit(cache=True, parallel=True, nogil=True)
def count_ties(n, ties, now, counts):
    """Every slot's counts from scratch (slots ``0..n-1``; the graph spans them all)."""
    for c in numba.prange(-(-n // CHUNK)):
        end = min(n, (c + 1) * CHUNK)
        for i in range(c * CHUNK, end):
            prefetch_ties(i + PREFETCH_AHEAD, end, ties, now)
            tally_ties(i, ties, now, counts, i)


@numba.njit(cache=True, inline="always")
def _add_tie(counts, i, j, switched, g, sign):
    """Add (``sign`` 1) or remove (-1) a tie on operator ``j`` to slot ``i``'s counts."""
    if j == NO_OPERATOR:
        return
    counts[i, TC_OPERATOR + j] += sign
    counts[i, TC_SWITCHED] += sign * switched
    if g >= GEN_FIRST:
        counts[i, TC_GEN + g - GEN_FIRST] += sign


@numba.njit(cache=True, parallel=True, nogil=True)
def changed_slots(n, old, new):
    """Slots ``0..n-1`` whose operator, handset or switched flag differ, in order."""
    differs = np.empty(n, dtype=np.bool_)
    for i in numba.prange(n):
        differs[i] = (
            old.operator[i] != new.operator[i]
            or old.switched[i] != new.switched[i]
            or old.handset_gen[i] != new.handset_gen[i]
        )
    return np.flatnonzero(differs)


@numba.njit(cache=True, parallel=True, nogil=True)
def update_tie_counts(n, old, new, ties, counts, parts):
    """Move the counts from month ``old`` to month ``new`` (slots ``0..n-1`` may differ).

    For each slot whose operator, handset or switched flag changed, its old state is
    removed from its ties' counts and its new state added (the graph is undirected: ``i``
    is a tie of each of its ties). The cost is reaching the changed slots' ties, scattered
    over memory, so the rows are split into ``parts`` ranges (one per thread) and no two
    threads write a row: each range's thread takes the changed slots in its range and
    updates their ties in it (a small world's ring neighbours, most ties), setting aside
    the ties in other ranges, which their threads then update. Integer counts commute,
    so the result is the same for any ``parts`` and thread count. Returns the number of
    changed slots.
    """
    changed = changed_slots(n, old, new)
    slots = counts.shape[0]  # ties reach every slot, later entrants' too
    rows = -(-slots // parts)
    first = np.searchsorted(changed, np.arange(parts + 1) * rows)  # each range's changed
    room = np.zeros(parts + 1, dtype=np.int64)  # where each range's set-aside ties start
    for p in numba.prange(parts):
        for c in range(first[p], first[p + 1]):
            i = changed[c]
            room[p + 1] += ties.indptr[i + 1] - ties.indptr[i]
    room = np.cumsum(room)
    far_tie = np.empty(room[parts], dtype=np.int64)
    far_from = np.empty(room[parts], dtype=np.int64)
    far_end = room[1:].copy()
    for p in numba.prange(parts):
        lo, hi = p * rows, min(slots, (p + 1) * rows)
        at = room[p]
        for c in range(first[p], first[p + 1]):
            i = changed[c]
            _prefetch_ahead(c, first[p + 1], changed, old, new, ties, counts)
            for e in range(ties.indptr[i], ties.indptr[i + 1]):
                k = ties.indices[e]
                if lo <= k < hi:
                    _move_tie(counts, k, i, old, new)
                else:
                    far_tie[at] = k
                    far_from[at] = i
                    at += 1
        far_end[p] = at
    for q in numba.prange(parts):
        lo, hi = q * rows, min(slots, (q + 1) * rows)
        for p in range(parts):
            for a in range(room[p], far_end[p]):
                k = far_tie[a]
                if a + PREFETCH_AHEAD < far_end[p]:
                    ahead = far_tie[a + PREFETCH_AHEAD]
                    if lo <= ahead < hi:
                        prefetch(counts, ahead)
                        _prefetch_state(far_from[a + PREFETCH_AHEAD], old, new)
                if lo <= k < hi:
                    _move_tie(counts, k, far_from[a], old, new)
    return changed.size


@numba.njit(cache=True, inline="always")
def _move_tie(counts, k, i, old, new):
    """Move slot ``i`` in its tie ``k``'s counts from its ``old`` state to its ``new``."""
    _add_tie(counts, k, old.operator[i], old.switched[i], old.handset_gen[i], -1)
    _add_tie(counts, k, new.operator[i], new.switched[i], new.handset_gen[i], 1)


@numba.njit(cache=True, inline="always")
def _prefetch_ahead(c, end, changed, old, new, ties, counts):
    """Prefetch, in three stages, what the changed slots after ``changed[c]`` need.

    The changed slots are scattered, so each one's state, row of ties and ties' counts
    are cache misses, and each stage needs the one before it in cache: the state and
    the row's offset twelve slots ahead, the row six ahead, the ties' counts three ahead.
    """
    if c + 2 * PREFETCH_AHEAD < end:
        i = changed[c + 2 * PREFETCH_AHEAD]
        prefetch(ties.indptr, i)
        _prefetch_state(i, old, new)
    if c + PREFETCH_AHEAD < end:
        prefetch(ties.indices, ties.indptr[changed[c + PREFETCH_AHEAD]])
    if c + PREFETCH_AHEAD // 2 < end:
        i = changed[c + PREFETCH_AHEAD // 2]
        for e in range(ties.indptr[i], ties.indptr[i + 1]):
            prefetch(counts, ties.indices[e])


@numba.njit(cache=True, inline="always")
def _prefetch_state(i, old, new):
    """Prefetch what :func:`_move_tie` reads of slot ``i``."""
    prefetch(old.operator, i)
    prefetch(new.operator, i)
    prefetch(old.handset_gen, i)
    prefetch(new.handset_gen, i)
    prefetch(old.switched, i)
    prefetch(new.switched, i)


@numba.njit(cache=True, inline="always")
def counted_signals(counts, i, own_gen, mean_field, f, ties_on):
    """Social signals from slot ``i``'s counts: fill ``ties_on`` and ``f`` (shares).

    Returns ``(switched_share, newer_share)``: the share of ties that switched last
    month and the share on a handset generation newer than ``own_gen``. With global
    mixing the same quantities come from the whole population (``mean_field``;
    ``ties_on`` is then left unset).
    """
    n_ops = f.shape[0]
    if mean_field.active:
        for j in range(n_ops):
            f[j] = mean_field.shares[j]
        return mean_field.switched, mean_field.newer[own_gen]
    deg = 0
    for j in range(n_ops):
        c = counts[i, TC_OPERATOR + j]
        ties_on[j] = c
        deg += c
    if deg == 0:
        for j in range(n_ops):
            f[j] = 0.0
        return 0.0, 0.0
    for j in range(n_ops):
        f[j] = ties_on[j] / deg
    return counts[i, TC_SWITCHED] / deg, _newer(counts, i, own_gen) / deg


@numba.njit(cache=True, inline="always")
def counted_own(counts, i, own_gen, own, n_ops, mean_field):
    """What a customer who does not choose needs of :func:`counted_signals`.

    Returns ``(share of ties on its operator own, switched share, newer share)``,
    the same numbers :func:`counted_signals` gives, without the other operators' shares.
    """
    if mean_field.active:
        return mean_field.shares[own], mean_field.switched, mean_field.newer[own_gen]
    deg = 0
    for j in range(n_ops):
        deg += counts[i, TC_OPERATOR + j]
    if deg == 0:
        return 0.0, 0.0, 0.0
    return (
        counts[i, TC_OPERATOR + own] / deg,
        counts[i, TC_SWITCHED] / deg,
        _newer(counts, i, own_gen) / deg,
    )


@numba.njit(cache=True, inline="always")
def _newer(counts, i, own_gen):
    """Ties on a handset generation newer than ``own_gen``."""
    newer = 0
    for g in range(max(own_gen + 1, GEN_FIRST), GEN_LAST + 1):
        newer += counts[i, TC_GEN + g - GEN_FIRST]
    return newer
