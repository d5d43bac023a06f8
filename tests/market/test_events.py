"""The event registry: every kind of the scenario's ``Event`` union is wired once.

Table changes are registered per spec class (``@table_changes``) and the kinds are read
off the union, so these tests iterate the union, not a list of kinds: a new kind without
table changes, exact undo or a correct fee/subsidy declaration fails here.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

import numpy as np
import pytest
from conftest import make_scenario
from pydantic.fields import FieldInfo
from test_reference import SCENARIOS, single_event_scenario

from sim.dashboard.levers import defaults, operator_sites, overrides
from sim.market import events
from sim.market.events import TABLE_CHANGES, TimedEvent, table_changes
from sim.market.tables import MarketTables, build_tables
from sim.scenario import (
    EVENT_KINDS,
    Charge,
    EventBase,
    Operator,
    Outage,
    Plan,
    Spec,
    charged_fields,
    field_charge,
)

KINDS = list(EVENT_KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_kinds_name_the_classes_the_union_parses_to(kind: str) -> None:
    (ev,) = single_event_scenario(kind).events
    assert type(ev) is EVENT_KINDS[kind] and ev.kind == kind


# --------------------------------------------------------------------------- registry
def test_every_kind_has_table_changes() -> None:
    assert set(TABLE_CHANGES) == set(EVENT_KINDS.values())


def test_a_kind_without_table_changes_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(TABLE_CHANGES, Outage)
    with pytest.raises(TypeError, match=r"\['outage'\]"):
        events._check_every_kind_has_changes()


def test_registering_twice_or_a_non_kind_is_refused() -> None:
    with pytest.raises(TypeError, match="twice"):
        table_changes(Outage)(lambda spec, t, month: [])
    with pytest.raises(TypeError, match="not a kind"):
        table_changes(EventBase)(lambda spec, t, month: [])


def _arrays(tables: MarketTables) -> dict[str, np.ndarray]:
    """Copies of every array of the market tables."""
    out = {}
    for f in dataclasses.fields(tables):
        value = getattr(tables, f.name)
        if isinstance(value, np.ndarray):
            out[f.name] = value.copy()
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_applied_and_undone_restores_the_tables(kind: str) -> None:
    spec = single_event_scenario(kind)
    tables = build_tables(spec)
    before = _arrays(tables)
    (ev,) = spec.events
    timed = TimedEvent(ev, ev.month, ev.duration)
    timed.apply(tables, ev.month)
    during = _arrays(tables)
    assert any(not np.array_equal(before[k], during[k]) for k in before), f"{kind} set nothing"
    timed.undo()
    for name, array in _arrays(tables).items():
        np.testing.assert_array_equal(array, before[name], err_msg=f"{kind}: {name}")


# --------------------------------------------------------------------------- fees and subsidies
PLAN_CHARGES = {
    name: field_charge(info) for name, info in Plan.model_fields.items() if field_charge(info)
}


def _models_in(annotation: Any) -> list[type[Spec]]:
    """Scenario models a field type holds (directly, optionally or in a list)."""
    if isinstance(annotation, type) and issubclass(annotation, Spec):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _declarations(model: type[Spec], path: str, owned: bool) -> list[tuple[str, FieldInfo, bool]]:
    """Every field of ``model`` and the models inside it: (path, FieldInfo, has an operator)."""
    names_operator = model.model_fields.get("operator")
    owned = (
        owned
        or model is Operator
        or (names_operator is not None and names_operator.annotation is str)
    )
    out = []
    for name, info in model.model_fields.items():
        out.append((f"{path}.{name}", info, owned))
        for inner in _models_in(info.annotation):
            out += _declarations(inner, f"{path}.{name}", owned)
    return out


def test_plans_declare_every_charge() -> None:
    assert set(PLAN_CHARGES.values()) == set(Charge)


@pytest.mark.parametrize("kind", KINDS)
def test_fee_and_subsidy_fields_are_declared_by_their_type(kind: str) -> None:
    """A field named like a plan's fee or subsidy carries its mark, and an operator owns it."""
    for path, info, owned in _declarations(EVENT_KINDS[kind], kind, owned=False):
        name = path.rsplit(".", 1)[1]
        if name in PLAN_CHARGES:
            assert field_charge(info) is PLAN_CHARGES[name], (
                f"{path}: give it the type of Plan.{name} (MonthlyFee or HandsetSubsidy)"
            )
        if field_charge(info) is not None:
            assert owned, (
                f"{path}: a {field_charge(info)} needs an operator (an `operator: str` field)"
            )


@pytest.mark.parametrize("name", [n for n, changes in SCENARIOS.items() if "events" in changes])
def test_levers_move_every_declared_fee_and_subsidy_of_an_event(name: str) -> None:
    """The dashboard's fee and subsidy sliders move what the event kinds declare."""
    spec = make_scenario(**SCENARIOS[name])
    rows = {site.operator.name: j for j, site in enumerate(operator_sites(spec))}
    start = defaults(spec)
    for c in charged_fields(spec):
        if not c.path.startswith("events.") or c.value == 0:
            continue
        key = f"{'fee' if c.charge is Charge.FEE else 'subsidy'}_{rows[c.operator]}"
        moved = overrides(spec, {key: start[key] * 1.5})
        assert moved[c.path] == round(c.value * 1.5, 2), c.path
