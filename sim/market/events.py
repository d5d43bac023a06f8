"""Timeline events (docs/model.md, Events) as patches to the market tables.

Each event kind says what it changes: a function registered for its spec class with
:func:`table_changes` returns a list of ``(table, index, new value)``. The
:class:`Timeline` applies those at the event's month, remembers the old values, and puts
them back when a ``duration`` runs out. So undo is exact for every kind, and no kind has
to write its own. Importing this module fails if a kind of the scenario's ``Event``
union has no registered changes, so a new kind cannot reach a run unwired.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine import layout as L
from sim.market.tables import BEHAVIOUR_COLUMN, SEGMENT_MULTIPLIERS, MarketTables
from sim.scenario import (
    EVENT_KINDS,
    BrandChange,
    CoverageChange,
    DeviceMarketChange,
    EventBase,
    MarketingCampaign,
    NetworkLaunch,
    NetworkQualityChange,
    NumberPortability,
    OperatorEntry,
    Outage,
    PlanLaunch,
    PlanWithdraw,
    PriceChange,
    RetentionCampaign,
    Scenario,
    SegmentShift,
    ServiceQualityChange,
    SubsidyChange,
)

Change = tuple[np.ndarray, tuple[int, ...], float]
# (event spec, tables, month it applies) -> the cells it sets, computed when it applies.
ChangesFn = Callable[[Any, MarketTables, int], list[Change]]

TABLE_CHANGES: dict[type[EventBase], ChangesFn] = {}


def table_changes(kind: type[EventBase]) -> Callable[[ChangesFn], ChangesFn]:
    """Register the function giving the table changes of one event kind (its spec class)."""

    def register(fn: ChangesFn) -> ChangesFn:
        if kind not in EVENT_KINDS.values():
            raise TypeError(f"{kind.__name__} is not a kind of sim.scenario.Event")
        if kind in TABLE_CHANGES:
            raise TypeError(f"{kind.__name__} has table changes registered twice")
        TABLE_CHANGES[kind] = fn
        return fn

    return register


def changes_for(spec: EventBase, t: MarketTables, month: int) -> list[Change]:
    """The table cells an event sets at ``month`` (computed when it applies)."""
    return TABLE_CHANGES[type(spec)](spec, t, month)


def _plan_cells(
    t: MarketTables, operator: str, plan: str | None, column: int
) -> list[tuple[int, ...]]:
    return [(row, column) for row in t.plan_rows(operator, plan)]


@table_changes(PriceChange)
def _price_change(spec: PriceChange, t: MarketTables, month: int) -> list[Change]:
    rows = t.plan_rows(spec.operator, spec.plan)
    if spec.monthly_fee is not None:
        return [(t.plans, (r, L.P_FEE), spec.monthly_fee) for r in rows]
    return [(t.plans, (r, L.P_FEE), t.plans[r, L.P_FEE] * spec.factor) for r in rows]


@table_changes(PlanLaunch)
def _plan_launch(spec: PlanLaunch, t: MarketTables, month: int) -> list[Change]:
    return [(t.plans, c, 1.0) for c in _plan_cells(t, spec.operator, spec.plan.name, L.P_OFFERED)]


@table_changes(PlanWithdraw)
def _plan_withdraw(spec: PlanWithdraw, t: MarketTables, month: int) -> list[Change]:
    return [(t.plans, c, 0.0) for c in _plan_cells(t, spec.operator, spec.plan, L.P_OFFERED)]


@table_changes(SubsidyChange)
def _subsidy_change(spec: SubsidyChange, t: MarketTables, month: int) -> list[Change]:
    return [
        (t.plans, c, spec.handset_subsidy)
        for c in _plan_cells(t, spec.operator, spec.plan, L.P_SUBSIDY)
    ]


def _coverage_ramp(
    spec: NetworkLaunch | CoverageChange, t: MarketTables, month: int, start: float
) -> list[Change]:
    """Coverage of the event's network moves from ``start`` to its new level from ``month``."""
    j, g = t.operator_index(spec.operator), spec.generation
    return [
        (t.coverage_from, (j, g), start),
        (t.coverage_to, (j, g), spec.coverage),
        (t.ramp_start, (j, g), float(month)),
        (t.ramp_months, (j, g), float(spec.ramp_months)),
    ]


@table_changes(NetworkLaunch)
def _network_launch(spec: NetworkLaunch, t: MarketTables, month: int) -> list[Change]:
    j = t.operator_index(spec.operator)
    return [*_coverage_ramp(spec, t, month, 0.0), (t.perf, (j, spec.generation), spec.quality)]


@table_changes(CoverageChange)
def _coverage_change(spec: CoverageChange, t: MarketTables, month: int) -> list[Change]:
    now = t.coverage(month)[t.operator_index(spec.operator), spec.generation]
    return _coverage_ramp(spec, t, month, now)


@table_changes(NumberPortability)
def _number_portability(spec: NumberPortability, t: MarketTables, month: int) -> list[Change]:
    out = [(t.beh, (BEHAVIOUR_COLUMN["portability"],), 1.0 if spec.enabled else 0.0)]
    if spec.number_change_cost is not None:
        out.append((t.beh, (BEHAVIOUR_COLUMN["number_change_cost"],), spec.number_change_cost))
    return out


@table_changes(Outage)
def _outage(spec: Outage, t: MarketTables, month: int) -> list[Change]:
    return [(t.outage, (t.operator_index(spec.operator),), spec.quality_drop)]


@table_changes(MarketingCampaign)
def _marketing_campaign(spec: MarketingCampaign, t: MarketTables, month: int) -> list[Change]:
    j = t.operator_index(spec.operator)
    out = [(t.ops, (j, L.O_REACH), spec.reach)]
    if spec.contacts_per_month is not None:
        out.append((t.ops, (j, L.O_CONTACTS), spec.contacts_per_month))
    return out


@table_changes(RetentionCampaign)
def _retention_campaign(spec: RetentionCampaign, t: MarketTables, month: int) -> list[Change]:
    j = t.operator_index(spec.operator)
    return [
        (t.retention, (j, 0), spec.budget / t.scale),
        (t.retention, (j, 1), spec.discount),
        (t.retention, (j, 2), float(spec.offer_months)),
    ]


@table_changes(OperatorEntry)
def _operator_entry(spec: OperatorEntry, t: MarketTables, month: int) -> list[Change]:
    j = t.operator_index(spec.operator.name)
    out: list[Change] = [(t.ops, (j, L.O_ACTIVE), 1.0)]
    for plan in spec.operator.plans:
        if plan.launch_month <= month:
            out += [
                (t.plans, c, 1.0)
                for c in _plan_cells(t, spec.operator.name, plan.name, L.P_OFFERED)
            ]
    return out


@table_changes(SegmentShift)
def _segment_shift(spec: SegmentShift, t: MarketTables, month: int) -> list[Change]:
    s = t.segment_names.index(spec.segment)
    return [(t.seg, (s, SEGMENT_MULTIPLIERS[spec.field]), spec.value)]


@table_changes(BrandChange)
def _brand_change(spec: BrandChange, t: MarketTables, month: int) -> list[Change]:
    return [(t.ops, (t.operator_index(spec.operator), L.O_BRAND), spec.brand)]


@table_changes(ServiceQualityChange)
def _service_quality_change(
    spec: ServiceQualityChange, t: MarketTables, month: int
) -> list[Change]:
    return [(t.ops, (t.operator_index(spec.operator), L.O_SERVICE), spec.service_quality)]


@table_changes(NetworkQualityChange)
def _network_quality_change(
    spec: NetworkQualityChange, t: MarketTables, month: int
) -> list[Change]:
    return [(t.perf, (t.operator_index(spec.operator), spec.generation), spec.quality)]


@table_changes(DeviceMarketChange)
def _device_market_change(spec: DeviceMarketChange, t: MarketTables, month: int) -> list[Change]:
    """The standard's series move from this month's levels to the new ones over the ramp."""
    k = t.standard_index(spec.standard)
    series = t.device_series
    last = series.shape[1] - 1
    out: list[Change] = []
    for column, target in ((0, spec.availability), (1, spec.price_index)):
        if target is None:
            continue
        start = float(series[k, min(month, last), column])
        for m in range(min(month, last), last + 1):
            done = min(1.0, (m - month + 1) / spec.ramp_months) if spec.ramp_months else 1.0
            out.append((series, (k, m, column), start + (target - start) * done))
    return out


def _check_every_kind_has_changes() -> None:
    """Fail at import, not in the middle of a run, when a kind has no table changes."""
    missing = sorted(kind for kind, cls in EVENT_KINDS.items() if cls not in TABLE_CHANGES)
    if missing:
        raise TypeError(f"event kinds with no @table_changes in sim/market/events.py: {missing}")


_check_every_kind_has_changes()


@dataclass
class TimedEvent:
    """An event spec with its timing: applies at ``month``, undone at ``month + duration``."""

    spec: Any
    month: int
    duration: int | None
    saved: list[Change] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The event kind, as in the scenario file."""
        return self.spec.kind

    def apply(self, tables: MarketTables, month: int) -> None:
        """Set this event's cells, remembering what they held."""
        self.saved = []
        for array, index, value in changes_for(self.spec, tables, month):
            self.saved.append((array, index, float(array[index])))
            array[index] = value

    def undo(self) -> None:
        """Put back what :meth:`apply` changed, in reverse order."""
        for array, index, old in reversed(self.saved):
            array[index] = old
        self.saved = []


class Timeline:
    """The scenario's events by month, plus plan launches declared inside operators."""

    def __init__(self, scenario: Scenario):
        self.starts: dict[int, list[TimedEvent]] = defaultdict(list)
        self.ends: dict[int, list[TimedEvent]] = defaultdict(list)
        for op in scenario.operators:
            for plan in op.plans:
                if plan.launch_month > 0:
                    spec = PlanLaunch(
                        kind="plan_launch", month=plan.launch_month, operator=op.name, plan=plan
                    )
                    self._add(TimedEvent(spec, plan.launch_month, None))
        for ev in scenario.events:
            self._add(TimedEvent(ev, ev.month, ev.duration))
            if isinstance(ev, OperatorEntry):
                for plan in ev.operator.plans:
                    if plan.launch_month > ev.month:
                        spec = PlanLaunch(
                            kind="plan_launch",
                            month=plan.launch_month,
                            operator=ev.operator.name,
                            plan=plan,
                        )
                        self._add(TimedEvent(spec, plan.launch_month, None))

    def _add(self, ev: TimedEvent) -> None:
        self.starts[ev.month].append(ev)
        if ev.duration is not None:
            self.ends[ev.month + ev.duration].append(ev)

    def step(self, tables: MarketTables, month: int) -> list[str]:
        """Undo events whose time is up, apply those starting now; returns kinds applied."""
        for ev in reversed(self.ends.get(month, [])):
            ev.undo()
        applied = []
        for ev in self.starts.get(month, []):
            ev.apply(tables, month)
            applied.append(ev.kind)
        return applied
