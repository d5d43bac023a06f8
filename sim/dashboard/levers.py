"""Levers: the few scenario fields a strategist moves in the dashboard instead of YAML.

Each lever is one slider, switch or text box of Mesa's "Model Parameters" card. Its range
comes from the loaded scenario (a fee slider spans half to one and a half times that
operator's fee), so the same dashboard fits any market. A set of lever values becomes a
scenario through :func:`sim.scenario.with_overrides`, the dotted overrides of
``telsim run --set``: whatever the dashboard runs or exports is validated like a file
written by hand.

Two levers move several fields at once, to keep one slider per operator and lever:

- the **monthly fee** slider is the fee of the operator's main plan (the one most of its
  customers are on at month 0); its other plans, plan launches and absolute price
  changes move in proportion, so the price ladder keeps its shape;
- the **handset subsidy** slider is the subsidy of the operator's most subsidised plan;
  its other subsidies (plans, plan launches, subsidy changes) move in proportion.

Which fields are fees and subsidies the scenario schema declares by their type
(:func:`sim.scenario.charged_fields`), so an event kind added there is moved here too.

Retention budgets without ``population.represents`` are money per month spent on the
simulated agents, so they scale with the population slider: the same share of customers
can be approached at any size. With ``represents`` a budget is real money and the engine
divides it among the agents itself (docs/model.md step 2), so it is not scaled here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from sim.errors import UserError
from sim.scenario import (
    Charge,
    Operator,
    OperatorEntry,
    PlanLaunch,
    RetentionCampaign,
    Scenario,
    charged_fields,
    with_overrides,
)

# The model's month takes ~30 ms at 10^5 agents on 2 cores and ~0.2 s at 5 x 10^5, which
# with ~0.25 s of drawing still shows a month within a second. Bigger runs belong to
# `telsim run`.
INTERACTIVE_MIN = 1_000
INTERACTIVE_MAX = 500_000
SEED_MAX = 2**63 - 1

Widget = Literal["SliderInt", "SliderFloat", "Checkbox", "InputText"]


@dataclass(frozen=True)
class Lever:
    """One control: the model keyword it sets, its widget, default value and range."""

    key: str
    label: str
    widget: Widget
    value: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None

    def param(self) -> dict[str, Any]:
        """The entry of SolaraViz's ``model_params`` that draws this lever."""
        entry: dict[str, Any] = {"type": self.widget, "label": self.label, "value": self.value}
        if self.widget.startswith("Slider"):
            entry.update(min=self.min, max=self.max, step=self.step)
        return entry


@dataclass(frozen=True)
class OperatorSite:
    """Where an operator sits in the scenario dump: ``operators.<i>`` or an entry event."""

    operator: Operator
    path: str


def operator_sites(spec: Scenario) -> list[OperatorSite]:
    """Every operator (present at month 0, then entrants) with its dotted path, in row order."""
    sites = [OperatorSite(op, f"operators.{i}") for i, op in enumerate(spec.operators)]
    sites += [
        OperatorSite(ev.operator, f"events.{k}.operator")
        for k, ev in enumerate(spec.events)
        if isinstance(ev, OperatorEntry)
    ]
    return sites


# ------------------------------------------------------------------ the money fields
def _money_fields(spec: Scenario, site: OperatorSite, charge: Charge) -> list[tuple[str, float]]:
    """Every absolute fee (or subsidy) of an operator: its plans and the events that set one."""
    return [
        (c.path, c.value)
        for c in charged_fields(spec)
        if c.operator == site.operator.name and c.charge is charge
    ]


def main_plan(op: Operator) -> int:
    """Index of the plan most customers are on at month 0 (highest weight, then first)."""
    offered = [p for p, plan in enumerate(op.plans) if plan.launch_month == 0] or list(
        range(len(op.plans))
    )
    priced = [p for p in offered if op.plans[p].monthly_fee > 0] or offered
    return max(priced, key=lambda p: (op.plans[p].initial_weight, -p))


def subsidy_reference(spec: Scenario, site: OperatorSite) -> tuple[str, float]:
    """The plan the subsidy slider shows: the operator's most subsidised plan.

    Plans launched later (in the list or by events) count; later subsidy changes do not,
    so the slider starts at a subsidy some plan actually has when it opens. Returns
    ``("", 0.0)`` for an operator that never subsidises a handset.
    """
    name = site.operator.name
    plans = list(site.operator.plans) + [
        ev.plan for ev in spec.events if isinstance(ev, PlanLaunch) and ev.operator == name
    ]
    best = max(plans, key=lambda plan: plan.handset_subsidy)
    if best.handset_subsidy > 0:
        return best.name, best.handset_subsidy
    changes = [
        v for path, v in _money_fields(spec, site, Charge.SUBSIDY) if path.startswith("events.")
    ]
    return ("subsidy changes", max(changes)) if changes and max(changes) > 0 else ("", 0.0)


def _nice_step(span: float) -> float:
    """A round step giving about 100 slider positions over ``span`` (1, 2 or 5 x 10^k)."""
    if span <= 0:
        return 1.0
    raw = span / 100
    base = 10 ** math.floor(math.log10(raw))
    return float(next(m * base for m in (1, 2, 5, 10) if m * base >= raw))


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above ``value``."""
    if value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= value * (1 - 1e-12))


def _slider(key: str, label: str, value: float, low: float, high: float) -> Lever:
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    return Lever(key, label, "SliderFloat", float(value), _tidy(low), _tidy(high), step)


def _tidy(x: float) -> float:
    """Drop binary noise from multiples of a decimal step (0.30000000000000004 -> 0.3)."""
    return float(f"{x:.10g}")


# ------------------------------------------------------------------ the levers
def levers(spec: Scenario) -> list[Lever]:
    """The dashboard's controls for a loaded scenario, market-wide first, then per operator."""
    size = spec.population.size
    out = [
        Lever(
            "population",
            "Subscriber agents",
            "SliderInt",
            min(size, INTERACTIVE_MAX),
            min(INTERACTIVE_MIN, size),
            INTERACTIVE_MAX,
            1_000,
        ),
        Lever("seed", "Seed", "InputText", str(spec.simulation.seed)),
        Lever(
            "number_portability",
            "Number portability from month 0",
            "Checkbox",
            spec.number_portability,
        ),
    ]
    for j, site in enumerate(operator_sites(spec)):
        out += _operator_levers(spec, j, site)
    return out


def _operator_levers(spec: Scenario, j: int, site: OperatorSite) -> list[Lever]:
    op, who = site.operator, site.operator.name
    out = []
    plan = op.plans[main_plan(op)]
    if plan.monthly_fee > 0:
        fee = plan.monthly_fee
        out.append(_slider(f"fee_{j}", f"{who} fee ({plan.name})", fee, 0.5 * fee, 1.5 * fee))
    plan_name, subsidy = subsidy_reference(spec, site)
    if subsidy > 0:
        out.append(_slider(f"subsidy_{j}", f"{who} subsidy ({plan_name})", subsidy, 0, 2 * subsidy))
    quality = op.service_quality
    out.append(
        _slider(
            f"quality_{j}",
            f"{who} service quality",
            quality,
            min(0.0, quality),
            max(1.0, quality),
        )
    )
    reach = op.marketing_reach
    out.append(
        _slider(
            f"reach_{j}",
            f"{who} marketing reach",
            reach,
            0.0,
            min(1.0, _nice_max(max(0.2, 3 * reach))),
        )
    )
    budget = op.retention.budget if op.retention is not None else 0.0
    out.append(
        _slider(
            f"retention_{j}",
            f"{who} retention budget",
            budget,
            0.0,
            _budget_max(spec, site),
        )
    )
    return out


def _budget_max(spec: Scenario, site: OperatorSite) -> float:
    """Top of the retention slider: offers to ~5 % of the operator's month-0 customers a month.

    An offer costs ``discount x fee x offer_months`` (docs/model.md step 2); an operator
    without a programme is priced with the schema's default discount and length. Never
    below twice the scenario's own budget.
    """
    op = site.operator
    ret = op.retention
    discount = ret.discount if ret is not None else 0.2
    months = ret.offer_months if ret is not None else 6
    share = spec.population.initial_shares.get(op.name, 0.0) or 1.0 / len(operator_sites(spec))
    fees = [plan.monthly_fee for plan in op.plans if plan.monthly_fee > 0] or [1.0]
    customers = (spec.population.represents or spec.population.size) * share
    budget = ret.budget if ret is not None else 0.0
    return _nice_max(max(0.05 * customers * discount * min(fees) * months, 2 * budget, 1.0))


def model_params(spec: Scenario) -> dict[str, Any]:
    """SolaraViz ``model_params``: one widget per lever, plus the base scenario (fixed)."""
    params: dict[str, Any] = {"base": spec}
    params.update({lever.key: lever.param() for lever in levers(spec)})
    return params


def defaults(spec: Scenario) -> dict[str, Any]:
    """Lever values that reproduce the scenario (population clamped to the interactive range)."""
    return {lever.key: lever.value for lever in levers(spec)}


# ------------------------------------------------------------------ values -> scenario
def parse_seed(text: Any) -> int:
    """A seed typed into the dashboard: a whole number in 0 .. 2^63 - 1.

    Raises:
        UserError: naming the field and the value when it is not one.
    """
    try:
        value = int(str(text).strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise UserError(
            f"seed: expected a whole number from 0 to {SEED_MAX}, got {text!r}"
        ) from None
    if not 0 <= value <= SEED_MAX:
        raise UserError(f"seed: expected a whole number from 0 to {SEED_MAX}, got {text!r}")
    return value


def resolve(spec: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """Complete and type lever values: defaults for missing ones, numbers as numbers.

    Raises:
        UserError: an unknown lever or a seed that is not a whole number.
    """
    known = {lever.key: lever for lever in levers(spec)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UserError(f"dashboard: unknown lever(s) {unknown}; known: {sorted(known)}")
    out: dict[str, Any] = {}
    for key, lever in known.items():
        value = values.get(key, lever.value)
        if lever.widget == "SliderInt":
            out[key] = int(value)
        elif lever.widget == "SliderFloat":
            out[key] = _tidy(float(value))
        elif lever.widget == "Checkbox":
            out[key] = bool(value)
        else:
            out[key] = parse_seed(value)
    return out


def overrides(spec: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """Dotted overrides (``with_overrides``) for the levers that differ from the scenario."""
    v = resolve(spec, values)
    base = resolve(spec, {})
    out: dict[str, Any] = {}
    size = spec.population.size
    if v["population"] != size:
        out["population.size"] = v["population"]
    if v["seed"] != spec.simulation.seed:
        out["simulation.seed"] = v["seed"]
    if v["number_portability"] != spec.number_portability:
        out["number_portability"] = v["number_portability"]
    ratio = v["population"] / size
    budget_ratio = 1.0 if spec.population.represents else ratio  # real money: not scaled
    for j, site in enumerate(operator_sites(spec)):
        for lever, charge in (("fee", Charge.FEE), ("subsidy", Charge.SUBSIDY)):
            key = f"{lever}_{j}"
            if key in v and v[key] != base[key]:
                factor = v[key] / base[key]
                for path, old in _money_fields(spec, site, charge):
                    if round(old * factor, 2) != old:
                        out[path] = round(old * factor, 2)
        for key, field in (("quality", "service_quality"), ("reach", "marketing_reach")):
            if v[f"{key}_{j}"] != base[f"{key}_{j}"]:
                out[f"{site.path}.{field}"] = v[f"{key}_{j}"]
        budget = v[f"retention_{j}"] * budget_ratio
        current = site.operator.retention.budget if site.operator.retention else 0.0
        if abs(budget - current) > 1e-9:
            out[f"{site.path}.retention.budget"] = round(budget, 2)
    if budget_ratio != 1.0:
        for k, ev in enumerate(spec.events):
            if isinstance(ev, RetentionCampaign):
                out[f"events.{k}.budget"] = round(ev.budget * budget_ratio, 2)
    return out


def build_scenario(spec: Scenario, values: dict[str, Any]) -> Scenario:
    """The scenario the dashboard runs for these lever values (validated)."""
    changes = overrides(spec, values)
    return with_overrides(spec, changes) if changes else spec


def describe(spec: Scenario, values: dict[str, Any]) -> list[str]:
    """One line per lever that differs from the scenario, e.g. ``Unicom fee (gsm_2g): 46 -> 23``."""
    v = resolve(spec, values)
    base = resolve(spec, {})
    labels = {lever.key: lever.label for lever in levers(spec)}
    lines = []
    ratio = v["population"] / spec.population.size
    for key, value in v.items():
        if value == base[key]:
            continue
        unit = _unit(spec, key)
        if key.startswith("retention_") and ratio != 1.0 and not spec.population.represents:
            lines.append(
                f"{labels[key]}: {_show(base[key])} -> {_show(value)}{unit} "
                f"({_show(value * ratio)} at {v['population']:,} agents)"
            )
        elif key == "seed":
            lines.append(f"{labels[key]}: {base[key]} -> {value}")
        else:
            lines.append(f"{labels[key]}: {_show(base[key])} -> {_show(value)}{unit}")
    if v["population"] != spec.population.size and base["population"] == v["population"]:
        lines.append(f"Subscriber agents: {spec.population.size:,} -> {v['population']:,}")
    return lines


def _unit(spec: Scenario, key: str) -> str:
    """Unit suffix of a money lever when the scenario names its currency (" CNY/month")."""
    currency = getattr(spec.economics, "currency", None)
    if not currency:
        return ""
    if key.startswith(("fee_", "retention_")):
        return f" {currency}/month"
    return f" {currency}" if key.startswith("subsidy_") else ""


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
