"""Timeline events (docs/model.md, Events) as patches to the market tables.

Each event kind says what it changes (:meth:`TimedEvent.changes`: a list of
``(table, index, new value)``); the :class:`Timeline` applies those at the event's
month, remembers the old values, and puts them back when a ``duration`` runs out. So
undo is exact for every kind, and no kind has to write its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine import layout as L
from sim.market.tables import BEHAVIOUR_COLUMN, SEGMENT_MULTIPLIERS, MarketTables
from sim.scenario import (
    CoverageChange,
    MarketingCampaign,
    NetworkLaunch,
    NumberPortability,
    OperatorEntry,
    Outage,
    PlanLaunch,
    PlanWithdraw,
    PriceChange,
    RetentionCampaign,
    Scenario,
    SegmentShift,
    SubsidyChange,
)

Change = tuple[np.ndarray, tuple[int, ...], float]


def _plan_cells(
    t: MarketTables, operator: str, plan: str | None, column: int
) -> list[tuple[int, ...]]:
    return [(row, column) for row in t.plan_rows(operator, plan)]


def changes_for(spec: Any, t: MarketTables, month: int) -> list[Change]:
    """The table cells an event sets at ``month`` (computed when it applies)."""
    if isinstance(spec, PriceChange):
        rows = t.plan_rows(spec.operator, spec.plan)
        if spec.monthly_fee is not None:
            return [(t.plans, (r, L.P_FEE), spec.monthly_fee) for r in rows]
        return [(t.plans, (r, L.P_FEE), t.plans[r, L.P_FEE] * spec.factor) for r in rows]
    if isinstance(spec, PlanLaunch):
        return [
            (t.plans, c, 1.0) for c in _plan_cells(t, spec.operator, spec.plan.name, L.P_OFFERED)
        ]
    if isinstance(spec, PlanWithdraw):
        return [(t.plans, c, 0.0) for c in _plan_cells(t, spec.operator, spec.plan, L.P_OFFERED)]
    if isinstance(spec, SubsidyChange):
        return [
            (t.plans, c, spec.handset_subsidy)
            for c in _plan_cells(t, spec.operator, spec.plan, L.P_SUBSIDY)
        ]
    if isinstance(spec, NetworkLaunch | CoverageChange):
        j, g = t.operator_index(spec.operator), spec.generation
        now = t.coverage(month)[j, g] if isinstance(spec, CoverageChange) else 0.0
        out = [
            (t.coverage_from, (j, g), now),
            (t.coverage_to, (j, g), spec.coverage),
            (t.ramp_start, (j, g), float(month)),
            (t.ramp_months, (j, g), float(spec.ramp_months)),
        ]
        if isinstance(spec, NetworkLaunch):
            out.append((t.perf, (j, g), spec.quality))
        return out
    if isinstance(spec, NumberPortability):
        out = [(t.beh, (BEHAVIOUR_COLUMN["portability"],), 1.0 if spec.enabled else 0.0)]
        if spec.number_change_cost is not None:
            out.append((t.beh, (BEHAVIOUR_COLUMN["number_change_cost"],), spec.number_change_cost))
        return out
    if isinstance(spec, Outage):
        return [(t.outage, (t.operator_index(spec.operator),), spec.quality_drop)]
    if isinstance(spec, MarketingCampaign):
        j = t.operator_index(spec.operator)
        out = [(t.ops, (j, L.O_REACH), spec.reach)]
        if spec.contacts_per_month is not None:
            out.append((t.ops, (j, L.O_CONTACTS), spec.contacts_per_month))
        return out
    if isinstance(spec, RetentionCampaign):
        j = t.operator_index(spec.operator)
        return [
            (t.retention, (j, 0), spec.budget),
            (t.retention, (j, 1), spec.discount),
            (t.retention, (j, 2), float(spec.offer_months)),
        ]
    if isinstance(spec, OperatorEntry):
        j = t.operator_index(spec.operator.name)
        out: list[Change] = [(t.ops, (j, L.O_ACTIVE), 1.0)]
        for plan in spec.operator.plans:
            if plan.launch_month <= month:
                out += [
                    (t.plans, c, 1.0)
                    for c in _plan_cells(t, spec.operator.name, plan.name, L.P_OFFERED)
                ]
        return out
    if isinstance(spec, SegmentShift):
        s = t.segment_names.index(spec.segment)
        return [(t.seg, (s, SEGMENT_MULTIPLIERS[spec.field]), spec.value)]
    raise TypeError(f"no changes defined for event {type(spec).__name__}")


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
