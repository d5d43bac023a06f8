"""The kernels' records: named fields, and the numba behaviour that shapes the kernels."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from sim.engine.records import Accumulators, MeanField, MonthKeys
from sim.engine.rng import Stream, stream_key


class _Pair(NamedTuple):
    a: np.ndarray
    b: np.ndarray


@numba.njit(parallel=True)
def _write_in_prange_body(r):
    for c in numba.prange(2):
        for i in range(c * 5, c * 5 + 5):
            r.a[i] = i + 1.0


@numba.njit
def _write_chunk(c, r):
    for i in range(c * 5, c * 5 + 5):
        r.a[i] = i + 1.0


@numba.njit(parallel=True)
def _write_in_called_chunk(r):
    for c in numba.prange(2):
        _write_chunk(c, r)


def test_writes_through_a_record_land_only_from_a_called_chunk_function():
    """Why parallel kernels bind the arrays they write to locals (sim/engine/kernels.py).

    numba 0.68 drops writes made through a record's array field directly in a prange
    body; writes in a called function land. If a numba release fixes that, the first
    assertion fails: the locals can then go.
    """
    direct = _Pair(np.zeros(10), np.zeros(10))
    _write_in_prange_body(direct)
    called = _Pair(np.zeros(10), np.zeros(10))
    _write_in_called_chunk(called)
    assert not direct.a.any()
    assert np.array_equal(called.a, np.arange(1.0, 11.0))


def test_month_keys_follow_the_stream_names():
    keys = MonthKeys.for_month(7, 3)
    assert keys.choice == stream_key(7, int(Stream.CHOICE), 3)
    assert keys.offer_seen == stream_key(7, int(Stream.OFFER_SEEN), 3)
    assert len(set(keys)) == len(MonthKeys._fields)


def test_accumulators_zero_a_view_and_add_up_in_chunk_order():
    acc = Accumulators.zeros(4, 2, 1, 1)
    acc.counts[:] = 5
    month = acc.first(2)
    assert month.counts.shape[0] == 2 and not month.counts.any()
    month.counts[0, 1, 0, 0] = 3
    month.counts[1, 1, 0, 0] = 4
    counts, sums, flows, _ = month.total()
    assert counts[1, 0, 0] == 7 and not sums.any() and not flows.any()
    assert acc.counts[2].all()  # blocks past the month's chunks untouched


def test_empty_mean_field_has_zero_shares():
    mf = MeanField.empty(True, 3)
    assert mf.active and mf.shares.shape == (3,) and not mf.shares.any()
