"""Subscriber state: one numpy array per attribute (structure of arrays).

Slots ``0..capacity-1`` are pre-allocated for the initial population and for every
market entrant the run will see; a slot is a customer once its operator is set
(``NO_OPERATOR`` marks an empty slot). Fields that neighbours read (operator,
satisfaction, handset generation, switched-last-month) have two buffers, so every
subscriber reads month t and writes month t+1; the rest are private to their owner and
updated in place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numba
import numpy as np

from sim.engine.layout import NO_OPERATOR
from sim.engine.rng import Stream, stream_key, uniform_at

# name -> dtype of every per-subscriber array; "_n" marks the write buffer of a pair.
FIELDS: dict[str, np.dtype] = {
    "operator": np.dtype(np.uint8),
    "operator_n": np.dtype(np.uint8),
    "satisfaction": np.dtype(np.float32),
    "satisfaction_n": np.dtype(np.float32),
    "handset_gen": np.dtype(np.uint8),
    "handset_gen_n": np.dtype(np.uint8),
    "switched": np.dtype(np.uint8),
    "switched_n": np.dtype(np.uint8),
    "plan": np.dtype(np.uint8),
    "segment": np.dtype(np.uint8),
    "tenure": np.dtype(np.uint16),
    "contract_left": np.dtype(np.uint8),
    "expectation": np.dtype(np.float32),
    "trust": np.dtype(np.float32),
    "annoyance": np.dtype(np.float32),
    "retention_left": np.dtype(np.uint8),
    "retention_discount": np.dtype(np.float32),
    "bundled": np.dtype(np.bool_),
    "spend": np.dtype(np.float32),
    "expired": np.dtype(np.uint8),
}
BYTES_PER_AGENT = sum(dt.itemsize for dt in FIELDS.values())
_PAIRS = ("operator", "satisfaction", "handset_gen", "switched")


@dataclass
class SubscriberState:
    """All subscriber arrays, length ``capacity``; ``n_active`` slots are in the market."""

    n_active: int
    operator: np.ndarray
    operator_n: np.ndarray
    satisfaction: np.ndarray
    satisfaction_n: np.ndarray
    handset_gen: np.ndarray
    handset_gen_n: np.ndarray
    switched: np.ndarray
    switched_n: np.ndarray
    plan: np.ndarray
    segment: np.ndarray
    tenure: np.ndarray
    contract_left: np.ndarray
    expectation: np.ndarray
    trust: np.ndarray
    annoyance: np.ndarray
    retention_left: np.ndarray
    retention_discount: np.ndarray
    bundled: np.ndarray
    spend: np.ndarray
    expired: np.ndarray

    @classmethod
    def allocate(cls, capacity: int) -> SubscriberState:
        """Zeroed arrays for ``capacity`` slots, all empty (operator = NO_OPERATOR)."""
        arrays = {name: np.zeros(capacity, dtype=dt) for name, dt in FIELDS.items()}
        arrays["operator"].fill(NO_OPERATOR)
        arrays["operator_n"].fill(NO_OPERATOR)
        return cls(n_active=0, **arrays)

    @property
    def capacity(self) -> int:
        """Number of pre-allocated slots."""
        return self.operator.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes held by the subscriber arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self) if f.name != "n_active")

    def advance(self) -> None:
        """Make month t+1 the current month: swap the read and write buffers."""
        for name in _PAIRS:
            a, b = getattr(self, name), getattr(self, name + "_n")
            setattr(self, name, b)
            setattr(self, name + "_n", a)

    def copy(self) -> SubscriberState:
        """A deep copy (for tests and the reference model)."""
        return SubscriberState(
            n_active=self.n_active,
            **{name: getattr(self, name).copy() for name in FIELDS},
        )


@dataclass(frozen=True)
class PopulationRows:
    """Month-0 traits read from a population file (``population.from_csv``), one per row.

    A value of -1 means "not in the file: keep the synthetic draw".

    Attributes:
        segment: (R,) int64 segment index.
        operator: (R,) int64 operator index.
        plan_code: (R,) int64 code of the plan column's value.
        plan_of_code: (J, C) int64 plan row of each operator for each code (-1: none).
        tenure: (R,) float64 tenure, months.
        charges: (R,) float64 monthly bill (currency/month).
    """

    segment: np.ndarray
    operator: np.ndarray
    plan_code: np.ndarray
    plan_of_code: np.ndarray
    tenure: np.ndarray
    charges: np.ndarray


@dataclass(frozen=True)
class InitialDistributions:
    """What month 0 looks like, as cumulative tables the synthesis kernel samples from.

    Attributes:
        segment_cdf: (S,) cumulative segment shares.
        operator_cdf: (S, J) cumulative operator shares per segment.
        handset_cdf: (6,) cumulative shares of handset generations 0..5.
        plan_cdf: (J, S, 6, P) cumulative plan weights per operator, segment and
            handset generation, over plan rows; all zero where none applies.
        plan_contract: (P,) contract months of each plan.
    """

    segment_cdf: np.ndarray
    operator_cdf: np.ndarray
    handset_cdf: np.ndarray
    plan_cdf: np.ndarray
    plan_contract: np.ndarray
    tenure_mean: float
    tenure_max: int
    share_on_contract: float
    sat_0: float
    sat_spread: float
    trust_0: float
    bundle_share: float
    spend_spread: float
    rows: PopulationRows | None = None
    plan_fee: np.ndarray | None = None


def synthesize(
    capacity: int, n_initial: int, seed: int, dist: InitialDistributions
) -> SubscriberState:
    """Draw the month-0 population into a fresh state; later slots get traits only.

    Every slot draws its segment, handset generation and individual spend (entrants keep
    theirs); the first ``n_initial`` slots also get an operator, plan, tenure, contract,
    satisfaction and bundle. Draws use the ``INIT_*`` streams, so they are a pure
    function of (seed, slot). With ``dist.rows`` (a population file) each initial slot
    then takes a row and its traits (:func:`_apply_rows`).
    """
    state = SubscriberState.allocate(capacity)
    keys = np.array(
        [
            stream_key(seed, int(s), 0)
            for s in (
                Stream.INIT_SEGMENT,
                Stream.INIT_OPERATOR,
                Stream.INIT_PLAN,
                Stream.INIT_TENURE,
                Stream.INIT_CONTRACT,
                Stream.INIT_HANDSET,
                Stream.INIT_SATISFACTION,
                Stream.INIT_BUNDLE,
                Stream.INIT_SPEND,
            )
        ]
        + [stream_key(seed, int(Stream.INIT_CONTRACT), 1)],
        dtype=np.uint64,
    )
    scalars = np.array(
        [
            dist.tenure_mean,
            dist.tenure_max,
            dist.share_on_contract,
            dist.sat_0,
            dist.sat_spread,
            dist.trust_0,
            dist.bundle_share,
            dist.spend_spread,
        ],
        dtype=np.float64,
    )
    _synthesize(
        n_initial,
        keys,
        scalars,
        dist.segment_cdf,
        dist.operator_cdf,
        dist.handset_cdf,
        dist.plan_cdf,
        dist.plan_contract,
        state.segment,
        state.operator,
        state.plan,
        state.handset_gen,
        state.tenure,
        state.contract_left,
        state.satisfaction,
        state.trust,
        state.bundled,
        state.spend,
    )
    if dist.rows is not None:
        _apply_rows(dist, state, n_initial, seed, keys)
    state.operator_n[:] = state.operator
    state.handset_gen_n[:] = state.handset_gen
    state.satisfaction_n[:] = state.satisfaction
    state.n_active = n_initial
    return state


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
def _synthesize(
    n_initial,
    keys,
    scalars,
    seg_cdf,
    op_cdf,
    gen_cdf,
    plan_cdf,
    plan_contract,
    segment,
    operator,
    plan,
    gen,
    tenure,
    contract_left,
    sat,
    trust,
    bundled,
    spend,
):
    tenure_mean, tenure_max, on_contract, sat0, sat_spread, trust0, bundle_share, spend_spread = (
        scalars[0],
        scalars[1],
        scalars[2],
        scalars[3],
        scalars[4],
        scalars[5],
        scalars[6],
        scalars[7],
    )
    for i in numba.prange(segment.shape[0]):
        s = _pick(seg_cdf, uniform_at(keys[0], i))
        segment[i] = s
        g = _pick(gen_cdf, uniform_at(keys[5], i))
        gen[i] = g
        spend[i] = 1.0 + spend_spread * (2.0 * uniform_at(keys[8], i) - 1.0)
        if i >= n_initial:
            continue
        j = _pick(op_cdf[s], uniform_at(keys[1], i))
        operator[i] = j
        p = _pick(plan_cdf[j, s, g], uniform_at(keys[2], i))
        plan[i] = p
        t = -tenure_mean * np.log(1.0 - uniform_at(keys[3], i))
        tenure[i] = int(min(t, tenure_max))
        cm = plan_contract[p]
        if cm > 0 and uniform_at(keys[4], i) < on_contract:
            contract_left[i] = 1 + int(uniform_at(keys[9], i) * cm)
        s0 = sat0 + sat_spread * (2.0 * uniform_at(keys[6], i) - 1.0)
        sat[i] = min(1.0, max(0.0, s0))
        trust[i] = trust0
        bundled[i] = uniform_at(keys[7], i) < bundle_share


def _apply_rows(
    dist: InitialDistributions,
    state: SubscriberState,
    n_initial: int,
    seed: int,
    keys: np.ndarray,
) -> None:
    """Give each initial slot a population-file row (drawn with replacement) and its traits."""
    rows = dist.rows
    assert rows is not None and dist.plan_fee is not None
    _rows_kernel(
        n_initial,
        np.uint64(stream_key(seed, int(Stream.INIT_ROW), 0)),
        keys,
        dist.share_on_contract,
        rows.segment,
        rows.operator,
        rows.plan_code,
        rows.plan_of_code,
        rows.tenure,
        rows.charges,
        dist.operator_cdf,
        dist.plan_cdf,
        dist.plan_contract,
        dist.plan_fee,
        state.segment,
        state.operator,
        state.plan,
        state.handset_gen,
        state.tenure,
        state.contract_left,
        state.spend,
    )


@numba.njit(cache=True, parallel=True, nogil=True)
def _rows_kernel(
    n_initial,
    row_key,
    keys,
    on_contract,
    row_seg,
    row_op,
    row_plan,
    plan_of_code,
    row_tenure,
    row_charges,
    op_cdf,
    plan_cdf,
    plan_contract,
    plan_fee,
    segment,
    operator,
    plan,
    gen,
    tenure,
    contract_left,
    spend,
):
    """Overwrite the synthetic draws of slot i with the traits of its row.

    A trait the file does not give keeps its draw, redrawn from the same random number
    when what it depends on changed (operator given the segment, plan given both). A
    contract plan named by the file means an ongoing contract, renewed back to back:
    ``contract_months - tenure mod contract_months`` months left.
    """
    n_rows = row_seg.shape[0]
    for i in numba.prange(n_initial):
        r = min(int(uniform_at(row_key, i) * n_rows), n_rows - 1)
        s = segment[i]
        j = operator[i]
        p = plan[i]
        changed = False
        if row_seg[r] >= 0 and row_seg[r] != s:
            s = row_seg[r]
            segment[i] = s
            changed = True
        if row_op[r] >= 0:
            changed = changed or row_op[r] != j
            j = row_op[r]
        elif changed:
            j = _pick(op_cdf[s], uniform_at(keys[1], i))
        operator[i] = j
        if row_tenure[r] >= 0.0:
            tenure[i] = int(min(row_tenure[r], 65535.0))
        if row_plan[r] >= 0:
            p = plan_of_code[j, row_plan[r]]
            plan[i] = p
            cm = plan_contract[p]
            contract_left[i] = cm - tenure[i] % cm if cm > 0 else 0
        elif changed:
            p = _pick(plan_cdf[j, s, gen[i]], uniform_at(keys[2], i))
            plan[i] = p
            cm = plan_contract[p]
            left = 0
            if cm > 0 and uniform_at(keys[4], i) < on_contract:
                left = 1 + int(uniform_at(keys[9], i) * cm)
            contract_left[i] = left
        if row_charges[r] >= 0.0:
            fee = plan_fee[p]
            spend[i] = row_charges[r] / fee if fee > 0.0 else 1.0
