"""Comparative statics of the v2 mechanisms: device markets, the migration choice, market
potential, entrants on the newest generation, and conduct events (docs/model.md).

Each test runs a baseline and a changed market with the same seed, so both draw the same
random numbers (common random numbers): the difference is the effect of the one change.
The market: two operators, each with a 2G and a 3G network whose standard has its own
device market, a 2G and a subsidised 3G contract plan, everyone on 2G at month 0, and
market entry.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from conftest import make_scenario

from sim.runner import run

N = 6_000
MONTHS = 24
SEED = 2024


def _operator(name: str, standard: str, brand: float) -> dict[str, Any]:
    return {
        "name": name,
        "brand": brand,
        "networks": [
            {"generation": 2, "coverage": 1.0, "quality": 0.7},
            {"generation": 3, "coverage": 0.9, "quality": 0.9, "standard": standard},
        ],
        "plans": [
            {"name": "voice", "monthly_fee": 45.0},
            {
                "name": "smart",
                "monthly_fee": 60.0,
                "generation": 3,
                "contract_months": 12,
                "handset_subsidy": 200.0,
            },
        ],
    }


BASE: dict[str, Any] = {
    "population.size": N,
    "population.entry_per_month": 0.02,
    "population.initial_shares": {"A": 0.5, "B": 0.5},
    "population.handsets": {2: 1.0},
    "simulation.months": MONTHS,
    "simulation.seed": SEED,
    "operators": [_operator("A", "SA", 0.2), _operator("B", "SB", 0.2)],
    "devices": [
        {"standard": "SA", "generation": 3, "availability": 0.6, "handset_price": 400.0},
        {"standard": "SB", "generation": 3, "availability": 0.6, "handset_price": 400.0},
    ],
    "behaviour.c_base": 0.04,
    "behaviour.p_innovation": 0.01,
    "behaviour.q_imitation": 0.1,
    "behaviour.beta_migration": 1.0,
    "behaviour.beta_migration_subsidy": 0.0,
}


def operators(**changes: Any) -> pd.DataFrame:
    """Operator table of the base market with ``changes`` (dotted keys) applied."""
    return run(make_scenario(**{**BASE, **changes})).operators


def total(ops: pd.DataFrame, operator: str, column: str) -> float:
    """Sum of a column over months 1.. for one operator."""
    rows = ops[(ops["operator"] == operator) & (ops["month"] > 0)]
    return float(rows[column].sum())


def final(ops: pd.DataFrame, operator: str, column: str) -> float:
    """Value of a column at the last month for one operator."""
    rows = ops[ops["operator"] == operator]
    return float(rows.loc[rows["month"].idxmax(), column])


def test_a_better_device_market_speeds_that_operators_migration() -> None:
    base = operators()
    better = operators(
        events=[
            {
                "kind": "device_market_change",
                "month": 1,
                "standard": "SA",
                "availability": 1.0,
                "price_index": 0.5,
            }
        ]
    )
    assert total(better, "A", "migrations") > 1.3 * total(base, "A", "migrations")
    assert final(better, "A", "handsets_3g") > final(base, "A", "handsets_3g")


def test_no_handsets_no_migration() -> None:
    none = operators(**{"devices.0.availability": 0.0})
    assert total(none, "A", "migrations") == 0
    assert total(none, "B", "migrations") > 0


def test_a_worse_network_slows_migration() -> None:
    base = operators()
    worse = operators(
        events=[
            {
                "kind": "network_quality_change",
                "month": 1,
                "operator": "A",
                "generation": 3,
                "quality": 0.2,
            }
        ]
    )
    assert total(worse, "A", "migrations") < 0.9 * total(base, "A", "migrations")


def test_entrants_join_on_the_newest_generation_when_devices_are_cheap() -> None:
    # no migration and no switching: every 3G handset is an entrant's
    quiet = {
        "behaviour.p_innovation": 0.0,
        "behaviour.q_imitation": 0.0,
        "behaviour.c_base": 0.0,
        "behaviour.c_market": 0.0,
        "behaviour.c_dissat": 0.0,
    }
    cheap = operators(
        **quiet,
        **{f"devices.{k}.price_index": 0.0 for k in (0, 1)},
        **{f"devices.{k}.availability": 1.0 for k in (0, 1)},
    )
    dear = operators(**quiet, **{f"devices.{k}.price_index": 3.0 for k in (0, 1)})
    entrants = cheap[cheap["month"] > 0]["entrants"].sum()
    on_3g = {
        name: ops[ops["month"] == MONTHS]["handsets_3g"].sum()
        for name, ops in (("cheap", cheap), ("dear", dear))
    }
    assert total(cheap, "A", "migrations") == 0 and entrants > 0
    assert on_3g["cheap"] > 0.5 * entrants
    assert on_3g["dear"] < 0.5 * on_3g["cheap"]


def test_market_potential_caps_adoption() -> None:
    fast = {
        "behaviour.p_innovation": 0.1,
        "behaviour.q_imitation": 0.3,
        "population.entry_per_month": 0.0,
        "behaviour.beta_migration": 0.0,  # the Bass hazard alone
        "devices.0.availability": 1.0,
        "devices.1.availability": 1.0,
    }
    full = operators(**fast)
    capped = operators(
        **fast,
        **{
            "population.segments": [
                {"name": "mass", "share": 1.0, "reference_price": 50.0, "potential": {3: 0.3}}
            ]
        },
    )
    share = {
        name: ops[ops["month"] == MONTHS]["handsets_3g"].sum() / N
        for name, ops in (("full", full), ("capped", capped))
    }
    assert share["full"] > 0.6
    assert share["capped"] < 0.3 + 0.02  # binomial noise of the willing share, N = 6000
    assert share["capped"] > 0.2


def test_a_growing_potential_lets_more_adopt() -> None:
    fast = {
        "behaviour.p_innovation": 0.1,
        "behaviour.beta_migration": 0.0,
        "population.entry_per_month": 0.0,
    }
    fixed = {"name": "mass", "share": 1.0, "reference_price": 50.0, "potential": {3: 0.2}}
    growing = {
        **fixed,
        "potential": {3: {"start": 0.2, "end": 0.6, "start_month": 6, "ramp_months": 12}},
    }
    a = operators(**fast, **{"population.segments": [fixed]})
    b = operators(**fast, **{"population.segments": [growing]})
    at = {
        m: (a[a["month"] == m]["handsets_3g"].sum(), b[b["month"] == m]["handsets_3g"].sum())
        for m in (5, MONTHS)
    }
    assert at[5][0] == at[5][1]  # identical until the potential moves
    assert at[MONTHS][1] > 1.5 * at[MONTHS][0]


def test_brand_and_service_quality_changes_move_share() -> None:
    base = operators()
    brand = operators(events=[{"kind": "brand_change", "month": 1, "operator": "B", "brand": 1.0}])
    service = operators(
        events=[
            {"kind": "service_quality_change", "month": 1, "operator": "B", "service_quality": 0.0}
        ]
    )
    assert final(brand, "B", "subscribers") > final(base, "B", "subscribers")
    assert final(brand, "A", "subscribers") < final(base, "A", "subscribers")
    assert final(service, "B", "subscribers") < final(base, "B", "subscribers")
