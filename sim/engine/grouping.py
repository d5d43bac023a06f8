"""Parallel, deterministic grouping of (key, value) pairs by key: the CSR scatter.

Building a graph's rows means sending every edge end to its node's row, a scatter that a
serial loop does in one pass and parallel loops can only do without atomics in stages:

1. the pairs are cut into a fixed number of chunks (not one per thread), and each chunk
   counts its pairs per block of consecutive keys;
2. a prefix over (block, chunk) gives every chunk its own place in each block, and the
   chunks scatter their pairs there in parallel;
3. every block, in parallel, sorts its pairs by key with a counting sort.

Chunks and blocks are fixed by the input's size alone, and each stage keeps the input
order, so the result is the stable grouping (values of one key in input order) whatever
the thread count.
"""

from __future__ import annotations

import numba
import numpy as np

_CHUNKS = 64  # pair chunks of stage 1 and 2: enough to balance any thread count here
_MAX_BLOCKS = 1 << 14  # key blocks; the (chunk, block) counts stay a few MB


def block_shift(n: int) -> int:
    """log2 of the keys per block: blocks of at least 1,024 keys, at most ``_MAX_BLOCKS``."""
    shift = 10
    while (n >> shift) >= _MAX_BLOCKS:
        shift += 1
    return shift


@numba.njit(cache=True, inline="always")
def _pair(e, m, first, second):
    """Pair ``e`` of the symmetric list: ``(first, second)`` then ``(second, first)``."""
    if e < m:
        return first[e], second[e]
    return second[e - m], first[e - m]


@numba.njit(cache=True, parallel=True, nogil=True)
def group_pairs(n, first, second, both, shift):
    """Group the values ``second[e]`` by their key ``first[e]``, pairs ``k == v`` dropped.

    Args:
        n: keys lie in ``0..n-1``.
        first: int32 keys, length ``m``.
        second: int32 values, length ``m``.
        both: also group every mirror ``(second[e], first[e])`` (a graph's two directions).
        shift: ``block_shift(n)``.

    Returns:
        ``(ptr, values)``: int64 ``ptr`` of shape ``(n + 1,)`` and int32 ``values``; the
        values of key ``k`` are ``values[ptr[k]:ptr[k + 1]]``, in pair order.
    """
    m = first.size
    total_pairs = 2 * m if both else m
    n_blocks = (n >> shift) + 1
    step = -(-total_pairs // _CHUNKS)
    hist = np.zeros((_CHUNKS, n_blocks), dtype=np.int64)
    for c in numba.prange(_CHUNKS):
        for e in range(c * step, min(total_pairs, (c + 1) * step)):
            k, v = _pair(e, m, first, second)
            if k != v:
                hist[c, k >> shift] += 1
    block_start = np.empty(n_blocks + 1, dtype=np.int64)
    total = 0
    for b in range(n_blocks):
        block_start[b] = total
        for c in range(_CHUNKS):
            count = hist[c, b]
            hist[c, b] = total
            total += count
    block_start[n_blocks] = total
    keys = np.empty(total, dtype=np.int32)
    vals = np.empty(total, dtype=np.int32)
    for c in numba.prange(_CHUNKS):
        pos = hist[c]
        for e in range(c * step, min(total_pairs, (c + 1) * step)):
            k, v = _pair(e, m, first, second)
            if k != v:
                b = k >> shift
                keys[pos[b]] = k
                vals[pos[b]] = v
                pos[b] += 1
    ptr = np.empty(n + 1, dtype=np.int64)
    out = np.empty(total, dtype=np.int32)
    for b in numba.prange(n_blocks):
        lo = b << shift
        hi = min(n, (b + 1) << shift)
        if lo >= hi:
            continue
        fill = np.zeros(hi - lo, dtype=np.int64)
        for e in range(block_start[b], block_start[b + 1]):
            fill[keys[e] - lo] += 1
        at = block_start[b]
        for k in range(hi - lo):
            count = fill[k]
            ptr[lo + k] = at
            fill[k] = at
            at += count
        for e in range(block_start[b], block_start[b + 1]):
            k = keys[e] - lo
            out[fill[k]] = vals[e]
            fill[k] += 1
    ptr[n] = total
    return ptr, out
