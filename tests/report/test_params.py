"""The parameter table: every leaf of the resolved scenario, as a working --set path."""

from __future__ import annotations

import pytest
from conftest import make_scenario

from sim.errors import UserError
from sim.report.params import format_value, parameter_table
from sim.scenario import apply_overrides


def _leaves(node: object) -> int:
    if isinstance(node, dict):
        return sum(_leaves(v) for v in node.values()) if node else 1
    if isinstance(node, list) and any(isinstance(x, dict) for x in node):
        return sum(_leaves(v) for v in node)
    return 1


def test_every_leaf_is_a_row_with_a_meaning() -> None:
    spec = make_scenario(**{"operators.A.retention": {"budget": 1000.0}})
    rows = parameter_table(spec)
    assert len(rows) == _leaves(spec.model_dump(mode="json"))
    assert len({r.path for r in rows}) == len(rows)
    assert all(r.description for r in rows), [r.path for r in rows if not r.description]


def test_every_path_is_accepted_by_set() -> None:
    spec = make_scenario(
        events=[
            {"kind": "price_change", "month": 3, "operator": "B", "factor": 0.9},
            {"kind": "marketing_campaign", "month": 2, "operator": "C", "reach": 0.2},
        ]
    )
    raw = spec.model_dump(mode="json")
    for row in parameter_table(spec):
        apply_overrides(raw, {row.path: 1})  # raises UserError on a path --set does not know
    with pytest.raises(UserError):
        apply_overrides(raw, {"operators.B.plans.basic.monthly_fees": 1})


def test_rows_name_list_items_and_format_values() -> None:
    spec = make_scenario(**{"population.represents": 1e6, "operators.B.plans.0.segments": ["mass"]})
    rows = {r.path: r for r in parameter_table(spec)}
    fee = rows["operators.B.plans.basic.monthly_fee"]
    assert fee.value == "45"
    assert "currency/month" in fee.description
    assert rows["operators.A.retention"].value == "-"  # unset optional section
    assert rows["operators.B.plans.basic.segments"].value == "mass"
    assert rows["population.represents"].value == "1000000"
    assert rows["population.initial_shares.B"].value == "0.3"
    assert rows["population.handsets.2"].value == "1"
    assert rows["number_portability"].value == "false"
    assert rows["population.segments.mass.reference_price"].value == "50"


def test_event_fields_get_a_meaning() -> None:
    spec = make_scenario(
        events=[
            {
                "kind": "coverage_change",
                "month": 1,
                "operator": "A",
                "generation": 2,
                "coverage": 0.5,
            }
        ]
    )
    rows = {r.path: r for r in parameter_table(spec)}
    assert rows["events.0.kind"].value == "coverage_change"
    assert rows["events.0.operator"].description == "Operator the event applies to."
    assert "covers" in rows["events.0.coverage"].description  # borrowed from a network's field


def test_format_value() -> None:
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value(True) == "true"
    assert format_value(None) == "-"
    assert format_value([]) == "(none)"
    assert format_value(["a", "b"]) == "a, b"
    assert format_value(1e-12) == "1e-12"
