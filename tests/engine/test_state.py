import numpy as np
import pytest

from sim.engine.layout import NO_OPERATOR
from sim.engine.state import (
    BYTES_PER_AGENT,
    PRIVATE_DTYPES,
    VISIBLE_DTYPES,
    InitialDistributions,
    Private,
    SubscriberState,
    Visible,
    synthesize,
)


def _dist(**changes):
    base = dict(
        segment_cdf=np.array([0.3, 1.0]),
        operator_cdf=np.array([[0.7, 1.0], [0.2, 1.0]]),
        handset_cdf=np.array([0, 0, 0.8, 1.0, 1.0, 1.0]),
        operator_handset_cdf=np.array([[0, 0, 0.8, 1.0, 1.0, 1.0]] * 2),
        plan_cdf=np.zeros((2, 2, 6, 2)),
        plan_contract=np.array([0, 24]),
        tenure_mean=np.array([30.0, 30.0]),
        tenure_max=120,
        share_on_contract=np.array([0.5, 0.5]),
        sat_0=0.6,
        sat_spread=0.2,
        trust_0=0.1,
        bundle_share=0.25,
        spend_spread=0.3,
    )
    base["plan_cdf"][0, :, :, 0] = 1.0
    base["plan_cdf"][0, :, :, 1] = 1.0  # operator 0: plan 0 only
    base["plan_cdf"][1, :, :, 1] = 1.0  # operator 1: plan 1 only
    base.update(changes)
    return InitialDistributions(**base)


def test_synthesis_draws_month0_population_with_requested_shares():
    n = 50_000
    st = synthesize(n + 1000, n, seed=3, dist=_dist())
    assert st.n_active == n
    seg = st.segment[:n]
    assert abs((seg == 0).mean() - 0.3) < 0.01
    op = st.operator[:n]
    assert abs((op[seg == 0] == 0).mean() - 0.7) < 0.02
    assert abs((op[seg == 1] == 0).mean() - 0.2) < 0.02
    assert set(np.unique(st.plan[:n][op == 1])) == {1}
    assert abs((st.handset_gen[:n] == 2).mean() - 0.8) < 0.01
    assert st.tenure[:n].max() <= 120
    on1 = op == 1
    assert (st.contract_left[:n][~on1] == 0).all()  # plan 0 has no contract
    assert abs((st.contract_left[:n][on1] > 0).mean() - 0.5) < 0.02
    assert st.contract_left[:n].max() <= 24
    assert abs(st.bundled[:n].mean() - 0.25) < 0.01
    assert 0.7 - 1e-6 <= st.spend[:n].min() and st.spend[:n].max() <= 1.3 + 1e-6


def test_each_operator_starts_with_its_own_handsets_contracts_and_tenure():
    """Per-operator month-0 conditions: operator 1 all 3G, every contract running, short tenure."""
    n = 40_000
    dist = _dist(
        operator_handset_cdf=np.array([[0, 0, 1.0, 1.0, 1.0, 1.0], [0, 0, 0.0, 1.0, 1.0, 1.0]]),
        share_on_contract=np.array([0.5, 1.0]),
        tenure_mean=np.array([30.0, 6.0]),
    )
    st = synthesize(n + 1000, n, seed=3, dist=dist)
    on1 = st.operator[:n] == 1
    assert (st.handset_gen[:n][on1] == 3).all() and (st.handset_gen[:n][~on1] == 2).all()
    assert (st.contract_left[:n][on1] > 0).all()
    assert abs(st.tenure[:n][on1].mean() - 5.5) < 0.5  # floor of an exponential, mean 6
    assert st.tenure[:n][~on1].mean() > 25
    entrants = st.handset_gen[n:]
    assert abs((entrants == 2).mean() - 0.8) < 0.05  # entrants keep the population's mix
    assert abs(st.adopt_rank.mean() / 65536 - 0.5) < 0.01  # uniform ranks


def test_entrant_slots_are_empty_but_have_traits():
    st = synthesize(1100, 1000, seed=3, dist=_dist())
    assert (st.operator[1000:] == NO_OPERATOR).all()
    assert (st.nxt.operator[1000:] == NO_OPERATOR).all()
    assert (st.handset_gen[1000:] >= 2).all()
    assert (st.spend[1000:] > 0).all()


def test_synthesis_is_deterministic_and_seed_dependent():
    a, b = synthesize(5000, 5000, 1, _dist()), synthesize(5000, 5000, 1, _dist())
    c = synthesize(5000, 5000, 2, _dist())
    assert np.array_equal(a.operator, b.operator) and np.array_equal(a.satisfaction, b.satisfaction)
    assert not np.array_equal(a.operator, c.operator)


def test_advance_swaps_read_and_write_buffers():
    st = SubscriberState.allocate(4)
    st.nxt.satisfaction[:] = 0.5
    st.nxt.operator[:] = 1
    st.advance()
    assert (st.satisfaction == 0.5).all() and (st.operator == 1).all()
    assert (st.nxt.operator == NO_OPERATOR).all()


def test_bytes_per_agent_is_small():
    st = SubscriberState.allocate(1000)
    assert st.nbytes == 1000 * BYTES_PER_AGENT
    # 53 B with model v2's churn fields (away, failures); + 48 B for a degree-10 graph:
    # far under the 200 B target
    assert BYTES_PER_AGENT <= 53


def test_a_field_is_declared_once_with_its_dtype():
    st = SubscriberState.allocate(3)
    assert st.tenure.dtype == np.uint16 and st.satisfaction.dtype == np.float32
    assert st.nxt.satisfaction.dtype == np.float32
    assert set(VISIBLE_DTYPES) == set(Visible._fields)
    assert set(PRIVATE_DTYPES) == set(Private._fields)
    with pytest.raises(AttributeError, match="no field"):
        st.not_a_field  # noqa: B018


def _same_slots(a: SubscriberState, b: SubscriberState, m: int) -> bool:
    return all(
        np.array_equal(getattr(x, name)[:m], getattr(y, name)[:m])
        for x, y in ((a.now, b.now), (a.nxt, b.nxt), (a.private, b.private))
        for name in x._fields
    )


def test_private_fields_grow_to_what_an_up_front_allocation_holds():
    full = synthesize(3000, 1000, seed=4, dist=_dist())
    st = synthesize(3000, 1000, seed=4, dist=_dist(), reserved=1100)
    assert st.reserved == 1100 and st.capacity == 3000
    assert _same_slots(st, full, 1100)
    st.reserve(1050)  # already there
    assert st.reserved == 1100
    st.reserve(1101)  # grows by a quarter
    assert st.reserved == 1375 and _same_slots(st, full, 1375)
    st.reserve(2900)
    assert st.reserved == 2900 and _same_slots(st, full, 2900)
    st.reserve(10**6)  # never past the run's slots
    assert st.reserved == 3000 and _same_slots(st, full, 3000)
    assert all(a.dtype == full.private[k].dtype for k, a in enumerate(st.private))


def test_growth_keeps_what_the_run_wrote():
    st = synthesize(2000, 1000, seed=4, dist=_dist(), reserved=1000)
    st.private.tenure[:1000] = 7
    st.private.trust[999] = 0.25
    st.reserve(1500)
    assert (st.tenure[:1000] == 7).all() and st.trust[999] == np.float32(0.25)
    assert (st.tenure[1000:] == 0).all() and (st.operator[1000:] == NO_OPERATOR).all()


def test_a_state_without_traits_cannot_grow():
    st = SubscriberState.allocate(10, reserved=5)
    with pytest.raises(ValueError, match="cannot grow"):
        st.reserve(6)
