"""The Mesa reference (sim/reference.py) against the numba engine: the same tables.

The reference is the test oracle of the kernels: one agent per subscriber, one method per
step of docs/model.md, the same counter-based random numbers. For small scenarios that
together cover every event kind, every network kind, retention on and off, market entry,
loyalty tiers, several segments, contracts with re-contracting, household bundles and
handset migration, ``run(engine="reference")`` and ``run(engine="numba")`` must give the
same ``operators``, ``segments`` and ``switching`` tables: counts exactly, floats to
1e-9 (below one accumulator chunk they are in fact bit-identical, which
``test_state_matches_engine_every_month`` checks on every subscriber field). Each kind
of the scenario's ``Event`` union is also compared alone, so a new kind needs a twin here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.engine import layout as L
from sim.engine.state import PRIVATE_DTYPES, VISIBLE_DTYPES
from sim.errors import UserError
from sim.market.model import MarketModel
from sim.reference import ReferenceModel
from sim.runner import run
from sim.scenario import EVENT_KINDS, Scenario, dump_yaml, with_overrides

TABLES = ("operators", "segments", "switching", "cohorts", "risk")
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- scenarios
def _segments() -> list[dict[str, Any]]:
    return [
        {
            "name": "young",
            "share": 0.4,
            "reference_price": 40.0,
            "price_sensitivity": 1.3,
            "social_influence": 1.5,
            "innovation": 2.0,
            "imitation": 1.5,
            "spend": 0.8,
        },
        {"name": "rest", "share": 0.6, "reference_price": 60.0, "quality_sensitivity": 1.2},
    ]


def _busy(**changes: Any) -> dict[str, Any]:
    """Two segments, 2G/3G handsets, contracts, bundles, tiers, retention, entry."""
    base: dict[str, Any] = {
        "simulation.months": 14,
        "simulation.seed": 2024,
        "population.size": 900,
        "population.entry_per_month": 0.02,
        "population.segments": _segments(),
        "population.handsets": {2: 0.7, 3: 0.3},
        "population.contracts": {"share_on_contract": 0.7},
        "population.bundle_share": 0.2,
        "behaviour.c_base": 0.12,
        "behaviour.p_innovation": 0.02,
        "behaviour.q_imitation": 0.3,
        "behaviour.recontract_prob": 0.5,
        "operators.A.networks": [
            {"generation": 2, "coverage": 1.0, "quality": 0.8},
            {"generation": 3, "coverage": 0.7, "ramp_months": 4, "quality": 0.9},
        ],
        "operators.A.plans": [
            {"name": "basic", "monthly_fee": 50.0, "onnet_discount": 0.2},
            # an exact twin: ties go to the lower row until a price change tells them apart
            {"name": "twin", "monthly_fee": 50.0, "onnet_discount": 0.2},
            {
                "name": "smart",
                "monthly_fee": 80.0,
                "generation": 3,
                "contract_months": 6,
                "handset_subsidy": 200.0,
                "early_termination_fee": 100.0,
            },
            {
                "name": "home",
                "monthly_fee": 95.0,
                "contract_months": 4,
                "household_bundle": True,
                "segments": ["rest"],
            },
        ],
        "operators.A.loyalty_tiers": [
            {"name": "silver", "min_tenure_months": 12, "benefit": 0.05},
            {"name": "gold", "min_tenure_months": 36, "min_spend": 1.0, "benefit": 0.15},
        ],
        "operators.A.contacts_per_month": 3.0,
        "operators.B.plans": [
            {"name": "basic", "monthly_fee": 45.0, "contract_months": 3},
            {"name": "cheap", "monthly_fee": 30.0, "segments": ["young"]},
        ],
        "operators.B.retention": {"budget": 800.0, "discount": 0.25, "offer_months": 3},
        "operators.C.plans": [
            {"name": "basic", "monthly_fee": 40.0},
            {
                "name": "family",
                "monthly_fee": 38.0,
                "onnet_discount": 0.3,
                "contract_months": 6,
                "household_bundle": True,
                "segments": ["rest"],
            },
        ],
    }
    return {**base, **changes}


def _entrant() -> dict[str, Any]:
    return {
        "name": "D",
        "brand": 0.4,
        "marketing_reach": 0.2,
        "hype": 0.1,
        "networks": [
            {"generation": 2, "coverage": 0.8, "quality": 0.7},
            {"generation": 3, "coverage": 0.9, "quality": 0.9},
        ],
        "plans": [
            {"name": "entry", "monthly_fee": 35.0},
            {
                "name": "entry3g",
                "monthly_fee": 60.0,
                "generation": 3,
                "contract_months": 6,
                "handset_subsidy": 150.0,
            },
        ],
    }


SCENARIOS: dict[str, dict[str, Any]] = {
    # small world: price, plan launch and withdraw, retention on, tiers, entry
    "small_world_prices_plans": _busy(
        **{
            "network": {"kind": "small_world", "mean_degree": 8, "rewire": 0.2},
            "events": [
                {"kind": "price_change", "month": 2, "operator": "C", "factor": 0.8, "duration": 4},
                {
                    "kind": "price_change",
                    "month": 3,
                    "operator": "A",
                    "plan": "basic",
                    "monthly_fee": 42.0,
                },
                {
                    "kind": "plan_launch",
                    "month": 4,
                    "operator": "C",
                    "plan": {"name": "promo", "monthly_fee": 25.0, "onnet_discount": 0.3},
                },
                {
                    "kind": "plan_withdraw",
                    "month": 6,
                    "operator": "B",
                    "plan": "cheap",
                    "duration": 4,
                },
            ],
        }
    ),
    # scale free: subsidy, network launch, coverage change, outage, number portability
    "scale_free_networks": _busy(
        **{
            "network": {"kind": "scale_free", "mean_degree": 6},
            "number_portability": False,
            "behaviour.beta_migration_subsidy": 0.2,
            "events": [
                {
                    "kind": "subsidy_change",
                    "month": 3,
                    "operator": "A",
                    "plan": "smart",
                    "handset_subsidy": 350.0,
                },
                {
                    "kind": "network_launch",
                    "month": 2,
                    "operator": "B",
                    "generation": 3,
                    "coverage": 0.8,
                    "ramp_months": 3,
                    "quality": 0.85,
                },
                {
                    "kind": "plan_launch",
                    "month": 2,
                    "operator": "B",
                    "plan": {
                        "name": "b3g",
                        "monthly_fee": 70.0,
                        "generation": 3,
                        "contract_months": 6,
                        "handset_subsidy": 120.0,
                    },
                },
                {
                    "kind": "network_launch",
                    "month": 5,
                    "operator": "A",
                    "generation": 4,
                    "coverage": 0.6,
                    "ramp_months": 2,
                    "quality": 0.95,
                },
                {
                    "kind": "coverage_change",
                    "month": 7,
                    "operator": "A",
                    "generation": 3,
                    "coverage": 1.0,
                    "ramp_months": 3,
                },
                {"kind": "outage", "month": 4, "operator": "A", "quality_drop": 0.6, "duration": 2},
                {"kind": "number_portability", "month": 6, "enabled": True},
                {
                    "kind": "number_portability",
                    "month": 10,
                    "enabled": False,
                    "number_change_cost": 20.0,
                },
            ],
        }
    ),
    # households: marketing, retention campaign, segment shift, operator entry
    "households_campaigns_entry": _busy(
        **{
            "network": {
                "kind": "households",
                "mean_degree": 6,
                "household_size": 3.0,
                "homophily": 0.8,
            },
            "population.entry_per_month": 0.04,
            "events": [
                {
                    "kind": "marketing_campaign",
                    "month": 2,
                    "operator": "C",
                    "reach": 0.4,
                    "contacts_per_month": 5.0,
                    "duration": 3,
                },
                {
                    "kind": "retention_campaign",
                    "month": 3,
                    "operator": "A",
                    "budget": 1500.0,
                    "discount": 0.3,
                    "offer_months": 2,
                    "duration": 5,
                },
                {
                    "kind": "segment_shift",
                    "month": 5,
                    "segment": "young",
                    "field": "price_sensitivity",
                    "value": 1.9,
                },
                {
                    "kind": "segment_shift",
                    "month": 6,
                    "segment": "rest",
                    "field": "spend",
                    "value": 1.4,
                    "duration": 3,
                },
                {"kind": "operator_entry", "month": 4, "operator": _entrant()},
            ],
        }
    ),
    # a networkx generator, adaptive pricing, retention off, no entry
    "networkx_adaptive_pricing": _busy(
        **{
            "network": {
                "kind": "networkx",
                "generator": "watts_strogatz_graph",
                "params": {"k": 4, "p": 0.1},
            },
            "population.entry_per_month": 0.0,
            "operators.B.retention": None,
            "operators.C.adaptive_pricing": {
                "review_every_months": 2,
                "share_drop_trigger": 0.0,
                "cut": 0.1,
            },
            "operators.B.adaptive_pricing": {
                "review_every_months": 3,
                "share_drop_trigger": 0.0,
                "cut": 0.05,
            },
            "events": [
                {"kind": "outage", "month": 3, "operator": "B", "quality_drop": 0.4, "duration": 3},
            ],
        }
    ),
    # global mixing (the Bass limit): migration from population totals, entry, events
    "global_mixing": _busy(
        **{
            "network": {"kind": "small_world", "mixing": "global"},
            "events": [
                {
                    "kind": "network_launch",
                    "month": 1,
                    "operator": "C",
                    "generation": 3,
                    "coverage": 1.0,
                    "ramp_months": 2,
                },
                {"kind": "marketing_campaign", "month": 4, "operator": "A", "reach": 0.3},
                {"kind": "operator_entry", "month": 6, "operator": _entrant()},
            ],
        }
    ),
    # v2: device markets per standard, market potentials, per-operator month 0, the
    # migration choice, entrants buying newer handsets, conduct events
    "devices_generations": _busy(
        **{
            "network": {"kind": "small_world", "mean_degree": 8},
            "population.entry_per_month": 0.04,
            "population.segments": [
                {
                    **_segments()[0],
                    "potential": {
                        3: {"start": 0.5, "end": 0.9, "start_month": 2, "ramp_months": 6}
                    },
                },
                {**_segments()[1], "potential": {3: 0.6}},
            ],
            "devices": [
                {
                    "standard": "W",
                    "generation": 3,
                    "availability": {"start": 0.3, "end": 1.0, "ramp_months": 6},
                    "price_index": {"monthly": [1.5, 1.4, 1.2, 1.0]},
                    "handset_price": 150.0,
                },
                {"standard": "T", "generation": 3, "availability": 0.5, "handset_price": 100.0},
            ],
            "operators.A.networks": [
                {"generation": 2, "coverage": 1.0, "quality": 0.8},
                {
                    "generation": 3,
                    "coverage": 0.7,
                    "ramp_months": 4,
                    "quality": 0.9,
                    "standard": "W",
                },
            ],
            "operators.A.initial": {
                "handsets": {2: 0.5, 3: 0.5},
                "share_on_contract": 0.9,
                "tenure_mean_months": 12.0,
            },
            "operators.B.initial": {"handsets": {2: 1.0}},
            "operators.C.initial": {"handsets": {2: 1.0}},
            "operators.C.networks": [
                {"generation": 2, "coverage": 1.0, "quality": 0.6},
                {"generation": 3, "coverage": 0.8, "quality": 0.7, "standard": "T"},
            ],
            "operators.C.plans": [
                {"name": "basic", "monthly_fee": 40.0},
                {
                    "name": "c3g",
                    "monthly_fee": 45.0,
                    "generation": 3,
                    "contract_months": 6,
                    "handset_subsidy": 60.0,
                },
            ],
            "behaviour.beta_migration": 1.5,
            "behaviour.plan_mu": 0.3,
            "events": [
                {"kind": "brand_change", "month": 3, "operator": "B", "brand": 0.9, "duration": 5},
                {
                    "kind": "service_quality_change",
                    "month": 4,
                    "operator": "C",
                    "service_quality": 0.9,
                },
                {
                    "kind": "network_quality_change",
                    "month": 5,
                    "operator": "A",
                    "generation": 3,
                    "quality": 0.4,
                    "duration": 4,
                },
                {
                    "kind": "device_market_change",
                    "month": 2,
                    "standard": "T",
                    "availability": 1.0,
                    "price_index": 0.5,
                    "ramp_months": 3,
                },
            ],
        }
    ),
    # v2 churn: market exit by plan type and segment, life events, leavers coming back,
    # prepaid plans, ported switches, a shift of a segment's disconnection hazard
    # win-backs: A within a retention programme, C with win-backs only (no step-2 offers)
    "winbacks": _busy(
        **{
            "population.contracts": {"share_on_contract": 0.3},
            "operators.A.retention": {
                "budget_share": 0.02,
                "discount": 0.2,
                "offer_months": 3,
                "winback_months": 6,
                "winback_bonus": 1.5,
            },
            "operators.C.retention": {
                "discount": 0.3,
                "offer_months": 2,
                "winback_months": 3,
                "winback_bonus": 3.0,
            },
        }
    ),
    "market_exit": _busy(
        **{
            "network": {"kind": "small_world", "mean_degree": 6},
            "number_portability": True,
            "population.segments": [
                {**_segments()[0], "disconnection": 1.8},
                _segments()[1],
            ],
            "operators.C.plans": [
                {"name": "basic", "monthly_fee": 40.0, "prepaid": True},
                {"name": "postpaid", "monthly_fee": 42.0},
                {
                    "name": "family",
                    "monthly_fee": 38.0,
                    "onnet_discount": 0.3,
                    "contract_months": 6,
                    "early_termination_fee": 40.0,
                    "etf_remaining_fee_share": 0.25,
                    "household_bundle": True,
                    "segments": ["rest"],
                },
            ],
            "operators.B.plans": [
                {
                    "name": "basic",
                    "monthly_fee": 45.0,
                    "contract_months": 3,
                    "early_termination_fee": 60.0,
                    "etf_declining": True,
                },
                {"name": "cheap", "monthly_fee": 30.0, "segments": ["young"]},
            ],
            "behaviour.disconnect_prepaid": 0.05,
            "behaviour.disconnect_month_to_month": 0.02,
            "behaviour.disconnect_contract": 0.005,
            "behaviour.disconnect_life_event": 0.004,
            "behaviour.reentry_prob": 0.2,
            "operators.A.failure_rate": 0.08,
            "operators.C.failure_rate": 0.03,
            "behaviour.failure_satisfaction_loss": 0.15,
            "behaviour.failure_trust_loss": 0.1,
            "behaviour.c_failure": 0.2,
            "behaviour.trust_tenure": 0.6,
            "behaviour.trust_tau": 12.0,
            "behaviour.beta_marketing": 0.8,
            # budgets in real money (represents: 10 real subscribers an agent), by value
            # and as a share of the base
            "population.represents": 9000,
            "operators.B.retention": {
                "budget": 8000.0,
                "discount": 0.25,
                "offer_months": 3,
                "targeting": "value",
                "value_months": 12,
            },
            "operators.A.retention": {"budget": 0.0, "budget_share": 0.03, "discount": 0.2},
            "operators.B.marketing_reach": 0.3,
            "operators.C.marketing_reach": 0.1,
            "events": [
                {
                    "kind": "segment_shift",
                    "month": 6,
                    "segment": "rest",
                    "field": "disconnection",
                    "value": 2.5,
                    "duration": 3,
                },
            ],
        }
    ),
    # the plain base scenario: one segment, no retention, no entry, no events
    "base_no_retention": {"simulation.months": 12, "population.size": 800},
    # entrants of a segment with no plan open to them stay out, and join once one reopens
    "stay_out_and_retry": {
        "simulation.months": 12,
        "population.size": 600,
        "population.entry_per_month": 0.05,
        "population.segments": [
            {"name": "mass", "share": 0.8, "reference_price": 50.0},
            {"name": "biz", "share": 0.2, "reference_price": 90.0, "initial_shares": {"B": 1.0}},
        ],
        "operators.A.plans": [{"name": "basic", "monthly_fee": 50.0, "segments": ["mass"]}],
        "operators.B.plans": [
            {"name": "basic", "monthly_fee": 45.0, "segments": ["mass"]},
            {"name": "corp", "monthly_fee": 80.0, "segments": ["biz"]},
        ],
        "operators.C.plans": [{"name": "basic", "monthly_fee": 40.0, "segments": ["mass"]}],
        "behaviour.c_base": 0.1,
        "events": [
            {"kind": "plan_withdraw", "month": 2, "operator": "B", "plan": "corp", "duration": 4},
        ],
    },
}


def scenario(name: str, tmp_path: Path) -> Scenario:
    """Build a named scenario (the edge-list one writes its file under ``tmp_path``)."""
    if name == "edge_list_all_segments":
        size, months = 700, 12
        rng = np.random.default_rng(5)
        u = rng.integers(0, size, 2500)
        v = rng.integers(0, size, 2500)
        path = tmp_path / "edges.txt"
        path.write_text("".join(f"{a} {b}\n" for a, b in zip(u, v, strict=True) if a != b))
        changes = _busy(
            **{
                "simulation.months": months,
                "population.size": size,
                "population.entry_per_month": 0.0,
                "network": {"kind": "edge_list", "path": str(path)},
                "events": [
                    {"kind": "price_change", "month": 2, "operator": "B", "factor": 1.3},
                    {
                        "kind": "retention_campaign",
                        "month": 4,
                        "operator": "C",
                        "budget": 500.0,
                        "discount": 0.4,
                        "offer_months": 4,
                    },
                ],
            }
        )
        return make_scenario(**changes)
    return make_scenario(**SCENARIOS[name])


ALL = [*SCENARIOS, "edge_list_all_segments"]


def kind_example(kind: str) -> tuple[str, dict[str, Any]]:
    """The first scenario of SCENARIOS with an event of ``kind``, and that event."""
    for name, changes in SCENARIOS.items():
        for event in changes.get("events", []):
            if event["kind"] == kind:
                return name, event
    raise LookupError(f"no scenario in SCENARIOS has a {kind!r} event: add one")


def single_event_scenario(kind: str) -> Scenario:
    """The scenario of :func:`kind_example` with that one event only."""
    name, event = kind_example(kind)
    return make_scenario(**{**SCENARIOS[name], "events": [event]})


def assert_same_tables(ref, fast) -> None:
    """Integer columns exactly equal, float columns to 1e-9, every table."""
    for name in TABLES:
        a, b = getattr(ref, name), getattr(fast, name)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
        for col in a.columns:
            x, y = a[col].to_numpy(), b[col].to_numpy()
            if pd.api.types.is_float_dtype(a[col]):
                np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9, err_msg=f"{name}.{col}")
            else:
                assert (x == y).all(), f"{name}.{col} differs"


# --------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("name", ALL)
def test_reference_gives_the_engine_tables(name: str, tmp_path: Path) -> None:
    spec = scenario(name, tmp_path)
    ref = run(spec, engine="reference")
    fast = run(spec, engine="numba")
    assert ref.provenance["engine"] == "reference" and fast.provenance["engine"] == "numba"
    assert_same_tables(ref, fast)
    ops = fast.operators
    later = ops["month"] > 0
    assert ops.loc[later, "churners"].sum() > 0  # a comparison with something in it
    assert ops.loc[later, "considerers"].sum() > 0


@pytest.mark.parametrize("kind", list(EVENT_KINDS))
def test_every_event_kind_alone_gives_the_engine_tables(kind: str) -> None:
    """Each kind of the Event union has a reference twin: alone, both engines agree.

    The event must change the tables (against the same scenario without it), and neither
    engine may change the scenario it was given.
    """
    spec = single_event_scenario(kind)
    before = dump_yaml(spec)
    fast = run(spec, engine="numba")
    assert_same_tables(run(spec, engine="reference"), fast)
    assert dump_yaml(spec) == before
    without = run(with_overrides(spec, {"events": []}), engine="numba")
    assert not fast.operators.equals(without.operators), f"{kind} changed nothing"


def test_scenarios_exercise_what_they_claim(tmp_path: Path) -> None:
    """The comparison above is not vacuous: each feature really happens somewhere."""
    specs = [scenario(name, tmp_path) for name in ALL]
    kinds = {e.kind for spec in specs for e in spec.events}
    assert kinds == set(EVENT_KINDS)
    nets = {
        spec.network.kind + (":global" if spec.network.mixing == "global" else "") for spec in specs
    }
    assert {
        "small_world",
        "scale_free",
        "households",
        "edge_list",
        "networkx",
        "small_world:global",
    } <= nets
    totals = run(scenario("households_campaigns_entry", tmp_path)).operators.sum(numeric_only=True)
    assert totals["entrants"] > 0 and totals["retention_offers"] > 0
    totals = run(scenario("scale_free_networks", tmp_path)).operators.sum(numeric_only=True)
    assert totals["migrations"] > 0 and totals["subsidy_cost"] > 0
    ops = run(scenario("devices_generations", tmp_path)).operators
    c = ops[ops["operator"] == "C"].set_index("month")
    assert c.loc[0, "handsets_3g"] == 0 and c["handsets_3g"].iloc[-1] > c["migrations"].sum()
    assert ops["migrations"].sum() > 0
    totals = run(scenario("market_exit", tmp_path)).operators.sum(numeric_only=True)
    assert totals["disconnections"] > 0 and totals["ported"] == totals["switchers_out"] > 0
    assert totals["churners"] == totals["disconnections"] + totals["switchers_out"]
    ops = (
        run(scenario("market_exit", tmp_path)).operators.groupby("operator").sum(numeric_only=True)
    )
    assert (ops.loc[["A", "B"], "retention_offers"] > 0).all()
    assert totals["buyouts"] > 0 and totals["buyout_fees"] > 0 and totals["service_failures"] > 0
    # leavers come back (reentry_prob): more new-to-market adds than scheduled entrants
    assert totals["entrants"] > scenario("market_exit", tmp_path).population.size * 0.02 * 14
    won = run(scenario("winbacks", tmp_path)).operators.groupby("operator").sum(numeric_only=True)
    assert (won.loc[["A", "C"], "winbacks"] > 0).all() and won.loc["B", "winbacks"] == 0
    assert won.loc["C", "retention_cost"] > 0 and won.loc["C", "retention_offers"] == 0


@pytest.mark.parametrize(
    "name",
    [
        "households_campaigns_entry",
        "global_mixing",
        "stay_out_and_retry",
        "devices_generations",
        "market_exit",
        "winbacks",
    ],
)
def test_state_matches_engine_every_month(name: str, tmp_path: Path) -> None:
    """Every subscriber field, every month, bit for bit (the strongest form of agreement)."""
    spec = scenario(name, tmp_path)
    fast = MarketModel(spec, seed=17)
    ref = ReferenceModel(spec, seed=17)
    for t in range(spec.simulation.months + 1):
        if t:
            fast.step()
            ref.step()
        a, b = fast.state, ref.state
        assert a.n_active == b.n_active
        # the engine's private fields grow with entry: compare the slots it holds, and
        # check that the others are still empty on both sides
        m = a.reserved
        assert a.n_active <= m <= a.capacity == b.capacity
        assert np.all(a.operator[m:] == L.NO_OPERATOR) and np.all(b.operator[m:] == L.NO_OPERATOR)
        for field in (*VISIBLE_DTYPES, *PRIVATE_DTYPES):  # month t's; nxt is scratch
            x, y = getattr(a, field)[:m], getattr(b, field)[:m]
            assert np.array_equal(x, y), (
                f"month {t}: {field} differs at {np.flatnonzero(x != y)[:5]}"
            )
        for acc in ("counts", "sums", "flows", "offers", "cohorts"):
            assert np.array_equal(getattr(fast, acc)[t], getattr(ref, acc)[t]), (t, acc)
        everyone = fast.risk_scores()
        for j in range(fast.tables.n_operators):
            mine = fast.customer_risk(j)
            assert np.array_equal(mine, ref.customer_risk(j)), f"month {t}: churn risk differs"
            assert np.array_equal(mine, everyone[a.operator[: a.n_active] == j]), t


def test_replications_agree() -> None:
    spec = make_scenario(**{"simulation.months": 6, "population.size": 400})
    assert_same_tables(
        run(spec, replications=2, seed=3, engine="reference"),
        run(spec, replications=2, seed=3, engine="numba"),
    )


# --------------------------------------------------------------------------- the hooks
def test_unknown_engine_is_a_user_error() -> None:
    spec = make_scenario(**{"simulation.months": 1, "population.size": 100})
    with pytest.raises(UserError, match="engine"):
        run(spec, engine="cuda")


def test_cli_engine_option(tmp_path: Path) -> None:
    spec = make_scenario(**{"simulation.months": 4, "population.size": 300})
    path = tmp_path / "small.yaml"
    path.write_text(dump_yaml(spec))
    tables = {}
    for engine in ("reference", "numba"):
        out = tmp_path / engine
        result = CliRunner().invoke(
            app,
            ["run", str(path), "--out", str(out), "--no-figures", "--quiet", "--engine", engine],
        )
        assert result.exit_code == 0, (result.output, result.exception)
        tables[engine] = pd.read_parquet(out / "operators.parquet")
        assert f'"engine": "{engine}"' in (out / "summary.json").read_text()
    pd.testing.assert_frame_equal(tables["reference"], tables["numba"], rtol=1e-9)
    bad = CliRunner().invoke(app, ["run", str(path), "--engine", "gpu"])
    assert bad.exit_code == 2


# --------------------------------------------------------------------------- independence
def test_reference_does_not_use_the_kernels() -> None:
    """The oracle must not share code with what it checks: no sim.engine.kernels import."""
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from conftest import make_scenario\n"
        "from sim.reference import ReferenceModel\n"
        "spec = make_scenario(**{'simulation.months': 2, 'population.size': 200,"
        " 'population.entry_per_month': 0.05,"
        " 'operators.B.retention': {'budget': 500.0}})\n"
        "model = ReferenceModel(spec, seed=1)\n"
        "model.run_months()\n"
        "assert model.offers.sum() > 0\n"
        "bad = [m for m in sys.modules if m in ('sim.engine.kernels', 'sim.market.model')]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
