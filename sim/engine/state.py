"""Subscriber state: one numpy array per attribute (structure of arrays).

Slots ``0..capacity-1`` are the initial population and every market entrant the run will
see; a slot is a customer once its operator is set (``NO_OPERATOR`` marks an empty slot).
The visible fields span every slot from the start, because ties of today's customers
point at future entrants' slots and the kernels read their operator. The private fields
are read by their owner only, so they are allocated for the slots in use and grow as
entrants arrive (:meth:`SubscriberState.reserve`): a long run with entry does not hold
the private state of its last month's entrants from month 0.

The fields are declared once, as the two record types the kernels take:
:class:`Visible` (what ties read: operator, satisfaction, handset generation,
switched-last-month) and :class:`Private` (what only the owner reads). Each field's
annotation carries its dtype. Visible fields have two buffers, so every subscriber
reads month t (``now``) and writes month t+1 (``nxt``); private fields are updated in
place. Adding a field is one line in one of the two classes.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, NamedTuple

import numba
import numpy as np

from sim.engine.layout import ADOPT_RANKS, CHUNK, NO_OPERATOR
from sim.engine.rng import Stream, stream_key, uniform_at

U8 = Annotated[np.ndarray, np.uint8]
U16 = Annotated[np.ndarray, np.uint16]
F32 = Annotated[np.ndarray, np.float32]
BOOL = Annotated[np.ndarray, np.bool_]


class Visible(NamedTuple):
    """The fields a subscriber's ties read; one record for month t, one for month t+1."""

    operator: U8  # operator index, NO_OPERATOR for an empty slot
    satisfaction: F32  # 0..1
    handset_gen: U8  # 2..5
    switched: U8  # 1 if the subscriber switched operator last month


class Private(NamedTuple):
    """The fields only their owner reads, updated in place."""

    plan: U8  # plan row
    segment: U8
    tenure: U16  # months with the current operator
    contract_left: U8  # months of contract left (0: none)
    expectation: F32  # expected value (utility units)
    trust: F32  # emotional lock-in
    annoyance: F32  # from the own operator's contacts
    retention_left: U8  # months of a running retention offer
    retention_discount: F32  # that offer's discount
    bundled: BOOL  # household bundle
    spend: F32  # individual spend factor
    expired: U8  # a contract ran out last month without re-contracting
    adopt_rank: (
        U16  # place in the segment's adoption order, k / ADOPT_RANKS (adopts g if < potential)
    )
    away: U8  # months since the subscriber disconnected (left the market), 0: not a leaver
    failures: F32  # recent service failures, decaying (failure_decay a month)
    left_from: U8  # operator a customer last switched away from (NO_OPERATOR: none, or won back)
    since_left: U8  # months since that switch (saturates at 255)


def field_dtypes(record: type[NamedTuple]) -> dict[str, np.dtype]:
    """``{field: dtype}`` of a state record, read from its annotations."""
    hints = typing.get_type_hints(record, include_extras=True)
    return {name: np.dtype(hints[name].__metadata__[0]) for name in record._fields}


VISIBLE_DTYPES = field_dtypes(Visible)
PRIVATE_DTYPES = field_dtypes(Private)
# bytes per slot: visible fields twice (read and write buffers), private once
VISIBLE_BYTES = 2 * sum(dt.itemsize for dt in VISIBLE_DTYPES.values())
PRIVATE_BYTES = sum(dt.itemsize for dt in PRIVATE_DTYPES.values())
BYTES_PER_AGENT = VISIBLE_BYTES + PRIVATE_BYTES


def _zeros(record: type[NamedTuple], dtypes: dict[str, np.dtype], capacity: int) -> Any:
    return record(**{name: np.zeros(capacity, dtype=dt) for name, dt in dtypes.items()})


class SubscriberState:
    """All subscriber arrays; ``n_active`` slots are in the market.

    ``now`` and ``nxt`` are the read and write buffers of the visible fields, length
    ``capacity``; ``private`` the rest, length ``reserved`` (at most ``capacity``).
    Reading ``state.operator`` (or any field by name) gives the current month's array.
    ``traits`` draws the private traits of slots added by :meth:`reserve` (None: the
    state cannot grow).
    """

    def __init__(
        self,
        n_active: int,
        now: Visible,
        nxt: Visible,
        private: Private,
        traits: SlotTraits | None = None,
    ):
        self.n_active = n_active
        self.now = now
        self.nxt = nxt
        self.private = private
        self.traits = traits

    @classmethod
    def allocate(cls, capacity: int, reserved: int | None = None) -> SubscriberState:
        """Zeroed arrays, all slots empty (operator = NO_OPERATOR).

        Args:
            capacity: slots of the visible fields (every slot of the run).
            reserved: slots of the private fields (default: all).
        """
        now = _zeros(Visible, VISIBLE_DTYPES, capacity)
        nxt = _zeros(Visible, VISIBLE_DTYPES, capacity)
        now.operator.fill(NO_OPERATOR)
        nxt.operator.fill(NO_OPERATOR)
        size = capacity if reserved is None else min(capacity, reserved)
        private = _zeros(Private, PRIVATE_DTYPES, size)
        private.left_from.fill(NO_OPERATOR)  # left no operator (slots drawn later: _synthesize)
        return cls(0, now, nxt, private)

    @property
    def reserved(self) -> int:
        """Slots the private fields hold now (the slots ``reserve`` has made room for)."""
        return self.private[0].shape[0]

    def reserve(self, n: int) -> None:
        """Make room for slots ``0..n-1`` in every private field, growing by a quarter.

        Growth is geometric (capped at ``capacity``), so a run copies each slot a few times
        at most. Fields are replaced one at a time, so the peak is the state plus one
        field; new slots get their month-0 traits from ``traits`` (the same draws as if
        they had been allocated up front) and are copied to both visible buffers, which
        agree on slots not yet in the market.
        """
        old = self.reserved
        if n <= old:
            return
        if self.traits is None:
            raise ValueError(f"state of {old} private slots cannot grow to {n}: no traits")
        size = min(self.capacity, max(n, old + old // 4))
        record = type(self.private)
        arrays = list(self.private)
        self.private = None  # the list holds the only references: each old array goes
        for k, array in enumerate(arrays):  # when its replacement is in
            grown = np.zeros(size, dtype=array.dtype)
            grown[:old] = array
            arrays[k] = grown
            del array
        self.private = record(*arrays)
        self._draw(old)

    def _draw(self, lo: int) -> None:
        """Month-0 traits of slots ``lo..reserved-1``, both visible buffers alike."""
        traits = self.traits
        _synthesize(lo, traits.n_initial, traits.keys, traits.dist, self.now, self.private)
        hi = self.reserved
        for name in self.now._fields:
            getattr(self.nxt, name)[lo:hi] = getattr(self.now, name)[lo:hi]

    def __getattr__(self, name: str) -> np.ndarray:
        """A field of the current month by name (``state.operator``, ``state.plan``)."""
        if name in VISIBLE_DTYPES:
            return getattr(self.now, name)
        if name in PRIVATE_DTYPES:
            return getattr(self.private, name)
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    @property
    def capacity(self) -> int:
        """Number of slots of the run (initial population and every entrant)."""
        return self.now.operator.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes held by the subscriber arrays."""
        return sum(a.nbytes for record in (self.now, self.nxt, self.private) for a in record)

    def advance(self) -> None:
        """Make month t+1 the current month: swap the read and write buffers."""
        self.now, self.nxt = self.nxt, self.now

    def copy(self) -> SubscriberState:
        """A deep copy (for tests and the reference model)."""
        return SubscriberState(
            self.n_active,
            Visible(*(a.copy() for a in self.now)),
            Visible(*(a.copy() for a in self.nxt)),
            Private(*(a.copy() for a in self.private)),
            self.traits,
        )


class PopulationRows(NamedTuple):
    """Month-0 traits read from a population file (``population.from_csv``), one per row.

    A value of -1 means "not in the file: keep the synthetic draw".

    Attributes:
        segment: (R,) int64 segment index.
        operator: (R,) int64 operator index.
        plan_code: (R,) int64 code of the plan column's value.
        plan_of_code: (J, C) int64 plan row of each operator for each code (-1: none).
        tenure: (R,) float64 tenure, months.
        charges: (R,) float64 monthly bill (currency/month).
        plan_fee: (P,) float64 monthly fee of each plan row, to turn charges into spend.
    """

    segment: np.ndarray
    operator: np.ndarray
    plan_code: np.ndarray
    plan_of_code: np.ndarray
    tenure: np.ndarray
    charges: np.ndarray
    plan_fee: np.ndarray


class InitialDistributions(NamedTuple):
    """What month 0 looks like, as cumulative tables the synthesis kernel samples from.

    Attributes:
        segment_cdf: (S,) cumulative segment shares.
        operator_cdf: (S, J) cumulative operator shares per segment.
        handset_cdf: (6,) cumulative shares of handset generations 0..5 (entrants).
        operator_handset_cdf: (J, 6) the same for each operator's month-0 customers.
        plan_cdf: (J, S, 6, P) cumulative plan weights per operator, segment and
            handset generation, over plan rows; all zero where none applies.
        plan_contract: (P,) contract months of each plan.
        tenure_mean: (J,) mean month-0 tenure of each operator's customers.
        share_on_contract: (J,) share inside a contract, per operator.
    """

    segment_cdf: np.ndarray
    operator_cdf: np.ndarray
    handset_cdf: np.ndarray
    operator_handset_cdf: np.ndarray
    plan_cdf: np.ndarray
    plan_contract: np.ndarray
    tenure_mean: np.ndarray
    tenure_max: int
    share_on_contract: np.ndarray
    sat_0: float
    sat_spread: float
    trust_0: float
    bundle_share: float
    spend_spread: float
    trust_tenure: float = 0.0  # month-0 trust added by tenure (0: trust_0 for all)
    trust_tau: float = 24.0


class InitialKeys(NamedTuple):
    """Stream keys of the month-0 draws, one per trait (a pure function of seed and slot)."""

    segment: np.uint64
    operator: np.uint64
    plan: np.uint64
    tenure: np.uint64
    contract: np.uint64
    handset: np.uint64
    satisfaction: np.uint64
    bundle: np.uint64
    spend: np.uint64
    contract_left: np.uint64  # how far into the contract (second draw of INIT_CONTRACT)
    row: np.uint64  # which population-file row
    adopt_rank: np.uint64

    @classmethod
    def for_seed(cls, seed: int) -> InitialKeys:
        """The keys of a run's seed; trait ``x`` draws from stream ``INIT_X``."""
        keys = {
            name: np.uint64(stream_key(seed, int(Stream[f"INIT_{name.upper()}"]), 0))
            for name in cls._fields
            if name != "contract_left"
        }
        keys["contract_left"] = np.uint64(stream_key(seed, int(Stream.INIT_CONTRACT), 1))
        return cls(**keys)


class SlotTraits(NamedTuple):
    """What drawing a slot's month-0 traits needs: the keys, the tables, the initial count."""

    keys: InitialKeys
    dist: InitialDistributions
    n_initial: int


def synthesize(
    capacity: int,
    n_initial: int,
    seed: int,
    dist: InitialDistributions,
    rows: PopulationRows | None = None,
    reserved: int | None = None,
) -> SubscriberState:
    """Draw the month-0 population into a fresh state; later slots get traits only.

    Every slot draws its segment, handset generation and individual spend (entrants keep
    theirs); the first ``n_initial`` slots also get an operator, plan, tenure, contract,
    satisfaction and bundle. Draws use the ``INIT_*`` streams, so they are a pure
    function of (seed, slot). With ``rows`` (a population file) each initial slot then
    takes a row and its traits (:func:`_rows_kernel`). ``reserved`` (at least
    ``n_initial``; default all) is how many slots get private fields now; the state
    draws the others' as it grows (:meth:`SubscriberState.reserve`).
    """
    reserved = capacity if reserved is None else max(n_initial, min(capacity, reserved))
    state = SubscriberState.allocate(capacity, reserved)
    state.traits = SlotTraits(InitialKeys.for_seed(seed), dist, n_initial)
    state._draw(0)
    if rows is not None:
        _rows_kernel(n_initial, state.traits.keys, dist, rows, state.now, state.private)
        for name in state.now._fields:
            getattr(state.nxt, name)[:n_initial] = getattr(state.now, name)[:n_initial]
    if dist.trust_tenure > 0.0:  # month-0 trust grows with tenure (float64, stored float32)
        tenure = state.private.tenure[:n_initial].astype(np.float64)
        trust = dist.trust_0 + dist.trust_tenure * (1.0 - np.exp(-tenure / dist.trust_tau))
        state.private.trust[:n_initial] = trust.astype(np.float32)
    state.n_active = n_initial
    return state


def slot_segments(capacity: int, seed: int, dist: InitialDistributions) -> np.ndarray:
    """The segment of every slot (uint8), as :func:`synthesize` draws it, for graphs by segment.

    Drawn apart from the state, whose private fields may not cover every slot yet.
    """
    return _segments(capacity, InitialKeys.for_seed(seed).segment, dist.segment_cdf)


@numba.njit(cache=True, parallel=True, nogil=True)
def _segments(n, key, segment_cdf):
    """Segment draws of slots ``0..n-1`` (the first draw of :func:`_synthesize_chunk`)."""
    out = np.empty(n, dtype=np.uint8)
    for i in numba.prange(n):
        out[i] = _pick(segment_cdf, uniform_at(key, i))
    return out


@numba.njit(cache=True, inline="always")
def _pick(cdf, u):
    """Index of the first cumulative weight above ``u * total`` (-1 if all weights are 0)."""
    total = cdf[cdf.shape[0] - 1]
    if total <= 0.0:
        return -1
    target = u * total
    for k in range(cdf.shape[0]):
        if target < cdf[k]:
            return k
    return cdf.shape[0] - 1


@numba.njit(cache=True, parallel=True, nogil=True)
def _synthesize(lo, n_initial, keys, dist, now, private):
    """Month-0 draws of slots ``lo..`` (to the private fields' length), chunk by chunk.

    Every field is written, so the work sits in a called chunk function: numba drops
    writes made through a record's field directly in a ``prange`` body (see
    ``sim.engine.kernels.month_kernel``). It runs once a run, so speed matters little.
    """
    n = private.segment.shape[0]
    for c in numba.prange(-(-(n - lo) // CHUNK)):
        start = lo + c * CHUNK
        _synthesize_chunk(start, min(n, start + CHUNK), n_initial, keys, dist, now, private)


@numba.njit(cache=True)
def _synthesize_chunk(lo, hi, n_initial, keys, dist, now, private):
    """Every slot's segment, handset, spend and adoption rank; initial slots' the rest.

    An initial slot's handset comes from its operator's mix, an entrant's from the
    population's.
    """
    for i in range(lo, hi):
        private.left_from[i] = NO_OPERATOR  # no operator left yet (win-backs)
        s = _pick(dist.segment_cdf, uniform_at(keys.segment, i))
        private.segment[i] = s
        private.spend[i] = 1.0 + dist.spend_spread * (2.0 * uniform_at(keys.spend, i) - 1.0)
        private.adopt_rank[i] = int(uniform_at(keys.adopt_rank, i) * ADOPT_RANKS)
        if i >= n_initial:
            now.handset_gen[i] = _pick(dist.handset_cdf, uniform_at(keys.handset, i))
            continue
        j = _pick(dist.operator_cdf[s], uniform_at(keys.operator, i))
        now.operator[i] = j
        g = _pick(dist.operator_handset_cdf[j], uniform_at(keys.handset, i))
        now.handset_gen[i] = g
        p = _pick(dist.plan_cdf[j, s, g], uniform_at(keys.plan, i))
        private.plan[i] = p
        t = -dist.tenure_mean[j] * np.log(1.0 - uniform_at(keys.tenure, i))
        private.tenure[i] = int(min(t, dist.tenure_max))
        cm = dist.plan_contract[p]
        if cm > 0 and uniform_at(keys.contract, i) < dist.share_on_contract[j]:
            private.contract_left[i] = 1 + int(uniform_at(keys.contract_left, i) * cm)
        s0 = dist.sat_0 + dist.sat_spread * (2.0 * uniform_at(keys.satisfaction, i) - 1.0)
        now.satisfaction[i] = min(1.0, max(0.0, s0))
        private.trust[i] = dist.trust_0
        private.bundled[i] = uniform_at(keys.bundle, i) < dist.bundle_share


@numba.njit(cache=True, parallel=True, nogil=True)
def _rows_kernel(n_initial, keys, dist, rows, now, private):
    """Give each initial slot a population-file row, chunk by chunk in parallel."""
    for c in numba.prange(-(-n_initial // CHUNK)):
        _rows_chunk(c * CHUNK, min(n_initial, (c + 1) * CHUNK), keys, dist, rows, now, private)


@numba.njit(cache=True)
def _rows_chunk(lo, hi, keys, dist, rows, now, private):
    """Overwrite the synthetic draws of slot i with the traits of its row.

    A trait the file does not give keeps its draw, redrawn from the same random number
    when what it depends on changed (operator given the segment, plan given both). A
    contract plan named by the file means an ongoing contract, renewed back to back:
    ``contract_months - tenure mod contract_months`` months left.
    """
    n_rows = rows.segment.shape[0]
    for i in range(lo, hi):
        r = min(int(uniform_at(keys.row, i) * n_rows), n_rows - 1)
        s = private.segment[i]
        j = now.operator[i]
        p = private.plan[i]
        changed = False
        if rows.segment[r] >= 0 and rows.segment[r] != s:
            s = rows.segment[r]
            private.segment[i] = s
            changed = True
        if rows.operator[r] >= 0:
            changed = changed or rows.operator[r] != j
            j = rows.operator[r]
        elif changed:
            j = _pick(dist.operator_cdf[s], uniform_at(keys.operator, i))
        now.operator[i] = j
        if rows.tenure[r] >= 0.0:
            private.tenure[i] = int(min(rows.tenure[r], 65535.0))
        if rows.plan_code[r] >= 0:
            p = rows.plan_of_code[j, rows.plan_code[r]]
            private.plan[i] = p
            cm = dist.plan_contract[p]
            private.contract_left[i] = cm - private.tenure[i] % cm if cm > 0 else 0
        elif changed:
            p = _pick(dist.plan_cdf[j, s, now.handset_gen[i]], uniform_at(keys.plan, i))
            private.plan[i] = p
            cm = dist.plan_contract[p]
            left = 0
            if cm > 0 and uniform_at(keys.contract, i) < dist.share_on_contract[j]:
                left = 1 + int(uniform_at(keys.contract_left, i) * cm)
            private.contract_left[i] = left
        if rows.charges[r] >= 0.0:
            fee = rows.plan_fee[p]
            private.spend[i] = rows.charges[r] / fee if fee > 0.0 else 1.0
