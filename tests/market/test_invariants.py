"""Invariants over random scenarios, and the visible effect of every event kind.

docs/model.md: "Shares sum to 1; subscribers are conserved except by entry; no NaN
anywhere." A Hypothesis property test draws small valid scenarios (operators, segments,
fees, graphs, entry, events) and checks the tables of each run, on top of the engine's
own per-month checks (``check_invariants=True``). Then one test per event kind checks
that the event does what the model page says, at its month, and that a ``duration``
undoes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sim.engine import layout as L
from sim.errors import UserError
from sim.market.model import MarketModel
from sim.metrics import COUNTS
from sim.runner import run
from sim.scenario import validate_scenario

COUNT_COLUMNS = [*COUNTS, "retention_offers"]


# --------------------------------------------------------------------------- the property
def _shares(draw, k: int, min_weight: int = 1) -> list[float]:
    """``k`` positive shares summing to 1 (to float precision)."""
    weights = draw(st.lists(st.integers(min_weight, 10), min_size=k, max_size=k))
    total = sum(weights)
    return [w / total for w in weights]


@st.composite
def scenarios(draw) -> dict[str, Any]:
    n_ops = draw(st.integers(1, 4))
    n_seg = draw(st.integers(1, 3))
    months = draw(st.integers(3, 8))
    names = [f"op{k}" for k in range(n_ops)]
    seg_names = [f"seg{k}" for k in range(n_seg)]
    money = st.floats(10.0, 120.0)
    unit = st.floats(0.0, 1.0)

    segments = [
        {
            "name": name,
            "share": share,
            "reference_price": draw(st.floats(20.0, 100.0)),
            "price_sensitivity": draw(st.floats(0.0, 2.0)),
            "quality_sensitivity": draw(st.floats(0.0, 2.0)),
            "social_influence": draw(st.floats(0.0, 2.0)),
            "innovation": draw(st.floats(0.0, 3.0)),
            "spend": draw(st.floats(0.2, 3.0)),
        }
        for name, share in zip(seg_names, _shares(draw, n_seg), strict=True)
    ]

    def operator(name: str) -> dict[str, Any]:
        networks = [{"generation": 2, "coverage": draw(st.floats(0.3, 1.0)), "quality": draw(unit)}]
        plans = [
            {
                "name": "base",
                "monthly_fee": draw(money),
                "onnet_discount": draw(st.floats(0.0, 0.5)),
            }
        ]
        if draw(st.booleans()):
            networks.append(
                {
                    "generation": 3,
                    "launch_month": draw(st.integers(0, months)),
                    "coverage": draw(unit),
                    "ramp_months": draw(st.integers(0, 4)),
                    "quality": draw(unit),
                }
            )
            plans.append(
                {
                    "name": "smart",
                    "monthly_fee": draw(money),
                    "generation": 3,
                    "contract_months": draw(st.integers(0, 24)),
                    "early_termination_fee": draw(st.floats(0.0, 300.0)),
                    "handset_subsidy": draw(st.floats(0.0, 400.0)),
                    "segments": draw(st.none() | st.just(seg_names[:1])),
                }
            )
        op: dict[str, Any] = {
            "name": name,
            "brand": draw(st.floats(-1.0, 1.0)),
            "service_quality": draw(unit),
            "marketing_reach": draw(st.floats(0.0, 0.3)),
            "contacts_per_month": draw(st.floats(0.0, 4.0)),
            "networks": networks,
            "plans": plans,
        }
        if draw(st.booleans()):
            op["retention"] = {
                "budget": draw(st.floats(0.0, 5000.0)),
                "discount": draw(st.floats(0.0, 0.5)),
                "offer_months": draw(st.integers(1, 6)),
            }
        return op

    operators = [operator(name) for name in names]
    kind = draw(st.sampled_from(["small_world", "scale_free", "households", "global"]))
    network = (
        {"kind": "small_world", "mixing": "global"}
        if kind == "global"
        else {"kind": kind, "mean_degree": draw(st.integers(0, 12))}
    )

    def event() -> dict[str, Any]:
        kind = draw(
            st.sampled_from(
                [
                    "price_change",
                    "outage",
                    "marketing_campaign",
                    "retention_campaign",
                    "number_portability",
                    "segment_shift",
                    "plan_withdraw",
                    "network_launch",
                    "operator_entry",
                ]
            )
        )
        ev: dict[str, Any] = {"kind": kind, "month": draw(st.integers(0, months))}
        if kind != "operator_entry" and draw(st.booleans()):  # entry is permanent
            ev["duration"] = draw(st.integers(1, 4))
        op = draw(st.sampled_from(names))
        if kind == "price_change":
            ev.update(operator=op, factor=draw(st.floats(0.5, 1.5)))
        elif kind == "outage":
            ev.update(operator=op, quality_drop=draw(unit))
        elif kind == "marketing_campaign":
            ev.update(operator=op, reach=draw(unit), contacts_per_month=draw(st.floats(0, 6)))
        elif kind == "retention_campaign":
            ev.update(
                operator=op,
                budget=draw(st.floats(0.0, 5000.0)),
                discount=draw(st.floats(0.05, 0.5)),
                offer_months=draw(st.integers(1, 6)),
            )
        elif kind == "number_portability":
            ev.update(enabled=draw(st.booleans()))
        elif kind == "segment_shift":
            ev.update(
                segment=draw(st.sampled_from(seg_names)),
                field=draw(st.sampled_from(["price_sensitivity", "spend", "innovation"])),
                value=draw(st.floats(0.1, 2.0)),
            )
        elif kind == "plan_withdraw":
            ev.update(operator=op, plan="base")
        elif kind == "network_launch":
            ev.update(
                operator=op, generation=4, coverage=draw(unit), ramp_months=draw(st.integers(0, 3))
            )
        else:  # operator_entry, once per scenario (names must be unique)
            ev.update(
                operator={
                    "name": f"new{draw(st.integers(0, 10**6))}",
                    "brand": draw(st.floats(-1.0, 1.0)),
                    "networks": [{"generation": 2, "quality": draw(unit)}],
                    "plans": [{"name": "entry", "monthly_fee": draw(money)}],
                }
            )
        return ev

    events = [event() for _ in range(draw(st.integers(0, 4)))]
    entries = [e for e in events if e["kind"] == "operator_entry"]
    events = [e for e in events if e["kind"] != "operator_entry"] + entries[:1]

    return {
        "name": "random",
        "simulation": {"months": months, "seed": draw(st.integers(0, 2**31)), "replications": 1},
        "population": {
            "size": draw(st.integers(200, 800)),
            "entry_per_month": draw(st.sampled_from([0.0, 0.01, 0.05, 0.2])),
            "initial_shares": dict(zip(names, _shares(draw, n_ops), strict=True)),
            "segments": segments,
            "contracts": {"share_on_contract": draw(unit)},
            "handsets": dict(zip((2, 3), _shares(draw, 2), strict=True)),
            "bundle_share": draw(unit),
        },
        "network": network,
        "operators": operators,
        "number_portability": draw(st.booleans()),
        "behaviour": {
            "c_base": draw(st.floats(0.0, 1.0)),
            "mu": draw(st.floats(0.1, 2.0)),
            "K_max": draw(st.floats(0.0, 2.0)),
            "p_innovation": draw(st.floats(0.0, 0.2)),
            "q_imitation": draw(st.floats(0.0, 0.5)),
        },
        "events": events,
    }


def check_tables(ops: pd.DataFrame, switching: pd.DataFrame) -> None:
    """Table-level invariants of one run (every replication, every month)."""
    assert not ops[["share", "churn_rate", "revenue", "subscribers"]].isna().any().any()
    assert np.isfinite(ops[["share", "churn_rate", "revenue", "arpu"]].fillna(0.0)).all().all()
    assert (ops[COUNT_COLUMNS] >= 0).all().all()
    assert (ops[["revenue", "subsidy_cost", "retention_cost"]] >= 0).all().all()
    assert ((ops["churn_rate"] >= 0) & (ops["churn_rate"] <= 1)).all()
    by_month = ops.groupby(["replication", "month"])
    total = by_month["subscribers"].sum()
    share_sum = by_month["share"].sum()
    assert np.allclose(share_sum[total > 0], 1.0, rtol=0, atol=1e-9)
    # conservation but for entry: subs_t = subs_{t-1} + entrants_t, market and operator
    entrants = by_month["entrants"].sum()
    prev = total.groupby(level="replication").shift(1)
    later = total.index.get_level_values("month") > 0
    assert (total[later] == prev[later] + entrants[later]).all()
    per_op = ops.sort_values(["replication", "operator", "month"])
    flow = per_op.groupby(["replication", "operator"])["subscribers"].diff()
    net = per_op["gross_adds"] - per_op["churners"]
    assert (flow.dropna() == net[flow.notna()]).all()
    gens = ops[["handsets_2g", "handsets_3g", "handsets_4g", "handsets_5g"]].sum(axis=1)
    assert (gens == ops["subscribers"]).all()
    assert (ops.loc[ops["month"] == 0, ["churners", "gross_adds"]] == 0).all().all()
    moved = switching.groupby(["replication", "month"])["subscribers"].sum()
    churned = ops[ops["month"] > 0].groupby(["replication", "month"])["churners"].sum()
    assert (moved.reindex(churned.index, fill_value=0) == churned).all()


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@seed(20240601)  # a fixed example set; change it locally to explore further
@given(raw=scenarios())
def test_invariants_hold_in_random_scenarios(raw):
    scenario = validate_scenario(raw, source="hypothesis")
    result = run(scenario, check_invariants=True)
    check_tables(result.operators, result.switching)
    seg = result.segments
    assert (seg[COUNT_COLUMNS[:-1]] >= 0).all().all()
    per_seg = seg.groupby(["replication", "month", "operator"])["subscribers"].sum()
    per_op = result.operators.set_index(["replication", "month", "operator"])["subscribers"]
    assert (per_seg.reindex(per_op.index) == per_op).all()


def test_invariant_check_can_fail():
    """``check_tables`` is not vacuous: a table with a lost subscriber is rejected."""
    result = run(make_scenario(**{"simulation.months": 3, "population.size": 300}))
    check_tables(result.operators, result.switching)
    broken = result.operators.copy()
    broken.loc[broken.index[-1], "subscribers"] -= 1
    with pytest.raises(AssertionError):
        check_tables(broken, result.switching)


# --------------------------------------------------------------------------- event kinds
N = 3000
MONTHS = 8
AT = 3  # month the events below apply


def scenario(events: list[dict[str, Any]] | None = None, **changes: Any):
    base = {
        "population.size": N,
        "simulation.months": MONTHS,
        "simulation.seed": 99,
        "behaviour.c_base": 0.1,
    }
    return make_scenario(**{**base, **changes, "events": events or []})


def operators_table(events=None, **changes) -> pd.DataFrame:
    ops = run(scenario(events, **changes)).operators
    return ops.set_index(["operator", "month"]).sort_index()


def step_through(spec, watch: Callable[[MarketModel], Any]) -> list[Any]:
    """Run ``spec`` month by month, returning ``watch(model)`` after months 0..months."""
    model = MarketModel(spec, seed=spec.simulation.seed, check_invariants=True)
    seen = [watch(model)]
    while model.month < spec.simulation.months:
        model.step()
        seen.append(watch(model))
    return seen


def test_price_change_sets_fee_and_moves_arpu_then_undone():
    events = [
        {
            "kind": "price_change",
            "month": AT,
            "operator": "A",
            "plan": "basic",
            "monthly_fee": 25.0,
            "duration": 2,
        }
    ]
    spec = scenario(events)
    fees = step_through(
        spec, lambda m: m.tables.plans[m.tables.plan_rows("A", "basic")[0], L.P_FEE]
    )
    assert fees == [50.0] * AT + [25.0, 25.0] + [50.0] * (MONTHS - AT - 1)
    ops = operators_table(events)
    arpu = ops.loc["A", "arpu"]
    assert 0.45 < arpu[AT] / arpu[AT - 1] < 0.55  # the bill halves with the fee
    assert 0.9 < arpu[AT + 2] / arpu[AT - 1] < 1.1  # and comes back after two months
    base = operators_table()
    assert ops.loc[("A", AT), "gross_adds"] > base.loc[("A", AT), "gross_adds"]


def test_plan_launch_opens_a_new_plan():
    cheap = {"name": "cheap", "monthly_fee": 15.0}
    spec = scenario([{"kind": "plan_launch", "month": AT, "operator": "C", "plan": cheap}])
    model_rows: dict[str, int] = {}

    def watch(m: MarketModel):
        row = model_rows.setdefault("row", m.tables.plan_rows("C", "cheap")[0])
        n = m.state.n_active
        on_plan = int(np.sum((m.state.operator[:n] == 2) & (m.state.plan[:n] == row)))
        return m.tables.plans[row, L.P_OFFERED], on_plan

    seen = step_through(spec, watch)
    assert all(offered == 0.0 and on == 0 for offered, on in seen[:AT])
    assert all(offered == 1.0 for offered, _ in seen[AT:])
    assert seen[AT][1] > 0 and seen[-1][1] > seen[AT][1]


def test_plan_withdraw_takes_no_new_customers():
    plans = [{"name": "basic", "monthly_fee": 50.0}, {"name": "promo", "monthly_fee": 30.0}]
    spec = scenario(
        [{"kind": "plan_withdraw", "month": AT, "operator": "A", "plan": "promo"}],
        **{"operators.A.plans": plans},
    )
    a = 0

    def watch(m: MarketModel):
        row = m.tables.plan_rows("A", "promo")[0]
        n = m.state.n_active
        mine = (m.state.operator[:n] == a) & (m.state.plan[:n] == row)
        joined = mine & (m.state.tenure[:n] == 0)
        return m.tables.plans[row, L.P_OFFERED], int(mine.sum()), int(joined.sum())

    seen = step_through(spec, watch)
    assert all(offered == 1.0 for offered, _, _ in seen[:AT])
    assert sum(joined for _, _, joined in seen[1:AT]) > 0  # it did take customers before
    for offered, on_plan, joined in seen[AT:]:
        assert offered == 0.0 and joined == 0
        assert on_plan > 0  # existing customers keep it
    counts = [on for _, on, _ in seen[AT - 1 :]]
    assert all(b <= a_ for a_, b in itertools.pairwise(counts))


def test_subsidy_change_pays_for_handsets():
    changes = {
        "operators.A.networks": [
            {"generation": 2, "quality": 0.8},
            {"generation": 3, "quality": 0.9},
        ],
        "operators.A.plans": [
            {"name": "basic", "monthly_fee": 50.0},
            {"name": "smart", "monthly_fee": 70.0, "generation": 3, "contract_months": 12},
        ],
        "behaviour.p_innovation": 0.01,
        "behaviour.beta_migration_subsidy": 0.2,
    }
    events = [
        {
            "kind": "subsidy_change",
            "month": AT,
            "operator": "A",
            "plan": "smart",
            "handset_subsidy": 250.0,
        }
    ]
    spec = scenario(events, **changes)
    subsidy = step_through(
        spec, lambda m: m.tables.plans[m.tables.plan_rows("A", "smart")[0], L.P_SUBSIDY]
    )
    assert subsidy == [0.0] * AT + [250.0] * (MONTHS - AT + 1)
    ops = operators_table(events, **changes)
    base = operators_table(**changes)
    assert (ops.loc["A", "subsidy_cost"][:AT] == 0).all()
    assert (ops.loc["A", "subsidy_cost"][AT:] > 0).all()
    assert ops.loc["A", "migrations"][AT:].sum() > 1.5 * base.loc["A", "migrations"][AT:].sum()


def test_network_launch_starts_migration():
    events = [
        {
            "kind": "network_launch",
            "month": AT,
            "operator": "B",
            "generation": 3,
            "coverage": 1.0,
            "quality": 0.9,
        }
    ]
    spec = scenario(events, **{"behaviour.p_innovation": 0.05})
    newest = step_through(spec, lambda m: m.tables.ops[1, L.O_NEWEST_GEN])
    assert newest == [2.0] * AT + [3.0] * (MONTHS - AT + 1)
    g3 = operators_table(events, **{"behaviour.p_innovation": 0.05}).loc["B", "handsets_3g"]
    assert (g3[:AT] == 0).all() and (g3[AT:] > 0).all() and g3.is_monotonic_increasing


def test_coverage_change_ramps_coverage_and_hurts_satisfaction():
    events = [
        {
            "kind": "coverage_change",
            "month": AT,
            "operator": "A",
            "generation": 2,
            "coverage": 0.2,
            "ramp_months": 2,
        }
    ]
    cov = step_through(scenario(events), lambda m: m.tables.coverage(m.month)[0, 2])
    assert cov[:AT] == [1.0] * AT
    assert cov[AT:] == pytest.approx([0.6] + [0.2] * (MONTHS - AT))
    ops, base = operators_table(events), operators_table()
    assert (ops.loc["A", "satisfaction"][AT:] < base.loc["A", "satisfaction"][AT:]).all()
    assert ops.loc["A", "churners"][AT:].sum() > base.loc["A", "churners"][AT:].sum()


def test_number_portability_removes_number_change_lockin():
    events = [{"kind": "number_portability", "month": AT, "duration": 2}]
    changes = {"behaviour.number_change_cost": 80.0, "number_portability": False}
    econ = operators_table(events, **changes).loc["A", "lockin_economic"]
    # no contracts and no bundles here: economic lock-in is the number-change cost alone
    assert econ[:AT].to_numpy() == pytest.approx(80.0 / 50.0)
    assert econ[AT : AT + 2].to_numpy() == pytest.approx(0.0)
    assert econ[AT + 2 :].to_numpy() == pytest.approx(80.0 / 50.0)


def test_outage_drops_quality_and_is_undone():
    events = [{"kind": "outage", "month": AT, "operator": "A", "quality_drop": 0.6, "duration": 2}]
    seen = step_through(scenario(events), lambda m: (m.tables.outage.copy(), m.tables.eff_q.copy()))
    outage = [o[0] for o, _ in seen]
    assert outage == [0.0] * AT + [0.6, 0.6] + [0.0] * (MONTHS - AT - 1)
    healthy = seen[0][1]
    np.testing.assert_allclose(seen[AT][1][0], 0.4 * healthy[0])
    np.testing.assert_array_equal(seen[AT][1][1:], healthy[1:])
    for _, eff in seen[AT + 2 :]:
        np.testing.assert_array_equal(eff, healthy)
    ops, base = operators_table(events), operators_table()
    sat, sat0 = ops.loc["A", "satisfaction"], base.loc["A", "satisfaction"]
    assert (sat[AT : AT + 2] < sat0[AT : AT + 2]).all()
    assert (
        ops.loc["A", "churners"][AT : AT + 2].sum() > base.loc["A", "churners"][AT : AT + 2].sum()
    )


def test_marketing_campaign_raises_reach_and_rivals_consideration():
    events = [
        {"kind": "marketing_campaign", "month": AT, "operator": "C", "reach": 0.9, "duration": 2}
    ]
    reach = step_through(scenario(events), lambda m: m.tables.ops[2, L.O_REACH])
    assert reach == [0.05] * AT + [0.9, 0.9] + [0.05] * (MONTHS - AT - 1)
    ops, base = operators_table(events), operators_table()
    for op in "AB":
        assert (
            ops.loc[op, "considerers"][AT : AT + 2] > base.loc[op, "considerers"][AT : AT + 2]
        ).all()
        pd.testing.assert_series_equal(
            ops.loc[op, "considerers"][:AT], base.loc[op, "considerers"][:AT]
        )
    assert (
        ops.loc["C", "gross_adds"][AT : AT + 2].sum()
        > base.loc["C", "gross_adds"][AT : AT + 2].sum()
    )


def test_retention_campaign_makes_offers_while_active():
    events = [
        {
            "kind": "retention_campaign",
            "month": AT,
            "operator": "B",
            "budget": 3000.0,
            "discount": 0.3,
            "offer_months": 2,
            "duration": 3,
        }
    ]
    ops = operators_table(events).loc["B"]
    active = slice(AT, AT + 2)
    assert (ops["retention_offers"][:AT] == 0).all() and (ops["retention_cost"][:AT] == 0).all()
    assert (ops["retention_offers"][active] > 0).all()
    assert (ops["retention_cost"][active] > 0).all()
    # offers fit the budget: each costs discount x fee x offer months
    assert (ops["retention_offers"][active] * 0.3 * 45.0 * 2 <= 3000.0).all()
    assert (ops["retention_offers"][AT + 3 :] == 0).all()
    others = operators_table(events).loc[["A", "C"]]
    assert (others["retention_offers"] == 0).all()


def test_operator_entry_adds_an_operator():
    entrant = {
        "name": "D",
        "brand": 0.5,
        "networks": [{"generation": 2, "quality": 0.9}],
        "plans": [{"name": "entry", "monthly_fee": 30.0}],
    }
    events = [{"kind": "operator_entry", "month": AT, "operator": entrant}]
    active = step_through(scenario(events), lambda m: m.tables.ops[3, L.O_ACTIVE])
    assert active == [0.0] * AT + [1.0] * (MONTHS - AT + 1)
    subs = operators_table(events).loc["D", "subscribers"]
    assert (subs[:AT] == 0).all() and (subs[AT:] > 0).all()


def test_segment_shift_changes_a_multiplier():
    events = [
        {
            "kind": "segment_shift",
            "month": AT,
            "segment": "mass",
            "field": "spend",
            "value": 2.0,
            "duration": 2,
        }
    ]
    spend = step_through(scenario(events), lambda m: m.tables.seg[0, L.S_SPEND])
    assert spend == [1.0] * AT + [2.0, 2.0] + [1.0] * (MONTHS - AT - 1)
    ops = operators_table(events)
    for op in "ABC":
        arpu = ops.loc[op, "arpu"]
        assert 1.9 < arpu[AT] / arpu[AT - 1] < 2.1
        assert 0.95 < arpu[AT + 2] / arpu[AT - 1] < 1.05


EVERY_KIND_WITH_DURATION = [
    {"kind": "price_change", "operator": "A", "factor": 0.7},
    {"kind": "plan_launch", "operator": "B", "plan": {"name": "extra", "monthly_fee": 20.0}},
    {"kind": "plan_withdraw", "operator": "C", "plan": "basic"},
    {"kind": "subsidy_change", "operator": "A", "handset_subsidy": 100.0},
    {"kind": "network_launch", "operator": "A", "generation": 4, "coverage": 0.5, "ramp_months": 3},
    {
        "kind": "coverage_change",
        "operator": "B",
        "generation": 2,
        "coverage": 0.3,
        "ramp_months": 1,
    },
    {"kind": "number_portability", "enabled": True, "number_change_cost": 10.0},
    {"kind": "outage", "operator": "C", "quality_drop": 0.5},
    {"kind": "marketing_campaign", "operator": "A", "reach": 0.5, "contacts_per_month": 5.0},
    {"kind": "retention_campaign", "operator": "B", "budget": 1000.0},
    {"kind": "segment_shift", "segment": "mass", "field": "price_sensitivity", "value": 1.8},
]
TABLE_ARRAYS = (
    "ops",
    "plans",
    "seg",
    "beh",
    "coverage_from",
    "coverage_to",
    "ramp_start",
    "ramp_months",
    "perf",
    "outage",
    "retention",
    "eff_q",
)


@pytest.mark.parametrize("event", EVERY_KIND_WITH_DURATION, ids=lambda e: e["kind"])
def test_duration_undoes_every_kind(event):
    """While active the tables differ; once the duration ends they are as before."""
    spec = scenario([{**event, "month": AT, "duration": 2}])
    seen = step_through(spec, lambda m: {k: getattr(m.tables, k).copy() for k in TABLE_ARRAYS})
    before, during, after = seen[AT - 1], seen[AT], seen[AT + 2]
    assert any(not np.array_equal(before[k], during[k]) for k in TABLE_ARRAYS)
    for k in TABLE_ARRAYS:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def test_operator_entry_refuses_a_duration():
    """Operators do not exit: an entry with a duration would leave customers on a ghost."""
    entry = {
        "kind": "operator_entry",
        "month": AT,
        "duration": 2,
        "operator": {
            "name": "D",
            "networks": [{"generation": 2}],
            "plans": [{"name": "entry", "monthly_fee": 30.0}],
        },
    }
    with pytest.raises(UserError, match="operator_entry is permanent"):
        scenario([entry])


def test_offers_keep_their_discount_after_the_campaign_ends():
    """An offer lasts its months at the discount it was made with (model.md step 2)."""
    events = [
        {
            "kind": "retention_campaign",
            "month": AT,
            "operator": "B",
            "budget": 5000.0,
            "discount": 0.5,
            "offer_months": 6,
            "duration": 1,
        }
    ]
    ops = run(scenario(events), check_invariants=True).operators
    b = ops[ops["operator"] == "B"].set_index("month")
    assert b.loc[AT, "retention_offers"] > 0
    assert b.loc[AT + 1, "retention_offers"] == 0  # no new offers once the campaign ended
    assert b.loc[AT + 1, "retention_cost"] > 0  # but running offers still get their discount


def test_retention_with_a_tiny_discount_runs():
    """Regression: ``budget // (discount * fee * months)`` overflowed ``int()`` (operators.py)
    for a valid but subnormal discount, which Hypothesis found."""
    retention = {"budget": 1000.0, "discount": 1e-310, "offer_months": 6}
    ops = run(scenario(**{"operators.B.retention": retention}), check_invariants=True).operators
    offers = ops[(ops["operator"] == "B") & (ops["month"] > 0)]["retention_offers"]
    assert (offers > 0).all()
