"""Scenario files: the pydantic schema, YAML loading, dotted overrides and JSON Schema.

A scenario is data. Every field carries its unit and meaning in ``description``; those
descriptions become the JSON Schema (``telsim schema``) and the scenario reference.
Models forbid unknown keys, so a typo is an error naming the path, not a silent default.
Models are frozen: a validated scenario never changes (runs can share it and its digest
stays true); :func:`with_overrides` makes changed copies.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from sim.errors import UserError
from sim.io import read_yaml_mapping

GENERATIONS = (2, 3, 4, 5)
# Calendar years a simulation may span (simulation.start and its last month).
FIRST_YEAR, LAST_YEAR = 1900, 2261
Generation = Annotated[
    int, Field(ge=2, le=5, description="Technology generation: 2, 3, 4 or 5 (G).")
]
# Physical ranges (with finite floats, see Spec): every number a scenario may hold stays
# far inside float64, and products of them inside the engine's float32 state.
# 10^9 currency units is above any tariff or handset in any currency in use (a USD 20
# plan is about 10^7 Iranian rial), yet sums over 2*10^9 agents and 600 months stay exact.
MAX_MONEY = 1e9
Money = Annotated[
    float, Field(ge=0, le=MAX_MONEY, description="Money, in the scenario currency per month.")
]
# A retention budget pays offers to many agents at once; below 2^53 (9*10^15) float64
# still counts whole currency units.
Budget = Annotated[float, Field(ge=0, le=1e15)]
Fraction = Annotated[float, Field(ge=0, le=1)]
# Utility units: at 100, e^100 (10^43) already makes a choice certain.
Utility = Annotated[float, Field(ge=-100, le=100)]
# A non-negative weight, rate or multiplier of the behaviour model, on the same scale.
Weight = Annotated[float, Field(ge=0, le=100)]
# Contacts per month: 1000 is more than one an hour.
Contacts = Annotated[float, Field(ge=0, le=1000)]


class Charge(StrEnum):
    """What a customer pays or gets: marks the money fields that move together.

    The dashboard's fee and subsidy levers move every field of an operator with the same
    mark (:func:`charged_fields`), so a new event kind carrying a fee is moved too once its
    field has the type :data:`MonthlyFee` or :data:`HandsetSubsidy`.
    """

    FEE = "monthly fee"
    SUBSIDY = "handset subsidy"


MonthlyFee = Annotated[Money, Charge.FEE]
HandsetSubsidy = Annotated[Money, Charge.SUBSIDY]


class Spec(BaseModel):
    """Base of every scenario model: unknown keys are errors, and a validated model is frozen.

    Floats must be finite: ``.inf`` or ``nan`` in a scenario only ever gives nonsense.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Trajectory(Spec):
    """A value over the months of a run: a linear ramp, or a monthly series.

    Scenario data that moves (device availability and prices, a market potential) is
    entered as one of these, or as a plain number that stays constant.
    """

    start: float | None = Field(None, description="Value before and at the start of the ramp.")
    end: float | None = Field(None, description="Value once the ramp is over (default: start).")
    start_month: int = Field(0, ge=0, description="Month the ramp starts.")
    ramp_months: int = Field(
        0, ge=0, description="Months to move linearly from start to end (0: a step)."
    )
    monthly: list[float] | None = Field(
        None,
        min_length=1,
        description="Value of months 0, 1, 2, ... instead of a ramp; the last value is held.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Trajectory:
        if (self.start is None) == (self.monthly is None):
            raise ValueError("a trajectory needs exactly one of start (a ramp) or monthly")
        return self

    def values(self, months: int) -> list[float]:
        """The value of each month 0..months.

        A ramp moves as a coverage ramp does: ``start`` before ``start_month``, then a
        fraction ``(m - start_month + 1) / ramp_months`` of the way to ``end``.
        """
        if self.monthly is not None:
            last = len(self.monthly) - 1
            return [self.monthly[min(m, last)] for m in range(months + 1)]
        start = float(self.start)  # type: ignore[arg-type]
        end = start if self.end is None else self.end
        out = []
        for m in range(months + 1):
            if m < self.start_month:
                out.append(start)
                continue
            done = (
                min(1.0, (m - self.start_month + 1) / self.ramp_months) if self.ramp_months else 1.0
            )
            out.append(start + (end - start) * done)
        return out


Level = float | Trajectory


def level_values(level: Level, months: int) -> list[float]:
    """The value of a constant or a :class:`Trajectory` for each month 0..months."""
    if isinstance(level, Trajectory):
        return level.values(months)
    return [float(level)] * (months + 1)


def _level_within(what: str, level: Level, low: float, high: float) -> None:
    """Check every value a level can take lies in [low, high]."""
    points = (
        [level]
        if not isinstance(level, Trajectory)
        else (level.monthly or [v for v in (level.start, level.end) if v is not None])
    )
    for v in points:
        if not low <= v <= high:
            raise ValueError(f"{what}: {v} is outside [{low}, {high}]")


# --------------------------------------------------------------------------- simulation
class Simulation(Spec):
    """How long and how often to run."""

    months: int = Field(60, ge=1, le=600, description="Number of monthly steps to simulate.")
    start: str = Field(
        "2009-01", pattern=r"^\d{4}-\d{2}$", description="Calendar month of month 0 (YYYY-MM)."
    )
    seed: int = Field(
        1, ge=0, lt=2**63, description="Base random seed; replication r uses hash(seed, r)."
    )
    replications: int = Field(1, ge=1, le=10_000, description="Independent replications to run.")

    @model_validator(mode="after")
    def _calendar(self) -> Simulation:
        year, month = (int(x) for x in self.start.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(
                f"start {self.start!r}: month {month:02d} is not a calendar month "
                "(expected YYYY-MM with MM from 01 to 12)"
            )
        last = year + (month - 1 + self.months) // 12
        if year < FIRST_YEAR or last > LAST_YEAR:
            raise ValueError(
                f"start {self.start!r} with {self.months} months runs from {year} to {last}; "
                f"expected years {FIRST_YEAR} to {LAST_YEAR} (the tables' dates are pandas "
                "timestamps, which end in 2262)"
            )
        return self

    def month_dates(self) -> list[dt.date]:
        """Calendar date (first of month) of months 0..months (:mod:`sim.months`)."""
        from sim.months import month_dates

        return month_dates(self.start, self.months)


# --------------------------------------------------------------------------- population
class Segment(Spec):
    """A named group of subscribers with its own parameter multipliers."""

    name: str = Field(description="Segment name, e.g. 'youth' or 'business'.")
    share: float = Field(
        gt=0, le=1, description="Share of the initial population (shares sum to 1)."
    )
    reference_price: Money = Field(
        50.0,
        ge=0.01,
        description="Typical monthly bill (currency/month); money terms are divided by it.",
    )
    price_sensitivity: Weight = Field(
        1.0, description="Multiplier on beta_price, beta_subsidy and economic lock-in."
    )
    quality_sensitivity: Weight = Field(1.0, description="Multiplier on beta_quality.")
    social_influence: Weight = Field(
        1.0, description="Multiplier on beta_social, beta_wom and c_social."
    )
    innovation: Weight = Field(
        1.0, description="Multiplier on the Bass innovation p and on beta_tech."
    )
    imitation: Weight = Field(1.0, description="Multiplier on the Bass imitation q.")
    spend: Weight = Field(
        1.0, gt=0, description="Spend level: multiplier on the bill (revenue per subscriber)."
    )
    disconnection: Weight = Field(
        1.0,
        description="Multiplier on the disconnection hazard (behaviour.disconnect_*): leaving the market.",
    )
    initial_shares: dict[str, Fraction] | None = Field(
        None,
        description="Operator shares within this segment at month 0 (overrides population.initial_shares).",
    )
    potential: dict[Generation, Level] = Field(
        default_factory=dict,
        description="Generation -> market potential: share of the segment that will ever adopt it (0..1, a number or a trajectory; default 1). Norton-Bass successive generations.",
    )

    @model_validator(mode="after")
    def _potential_range(self) -> Segment:
        for g, level in self.potential.items():
            _level_within(f"segments[{self.name}].potential[{g}]", level, 0.0, 1.0)
        return self


class Tenure(Spec):
    """Initial tenure (months with the current operator), exponential and capped."""

    mean_months: float = Field(30.0, gt=0, le=600, description="Mean initial tenure, months.")
    max_months: int = Field(240, ge=1, le=600, description="Cap on initial tenure, months.")


class Contracts(Spec):
    """Initial contract status."""

    share_on_contract: Fraction = Field(
        0.3,
        description="Share of subscribers on a contract plan who are still inside a contract at month 0.",
    )


class PopulationFile(Spec):
    """Month-0 customers drawn from the rows of a CSV file (a CRM extract, a survey panel).

    Each of the ``size`` initial subscribers takes one row, drawn with replacement by the
    scenario seed; the columns named here replace the matching synthetic draws. Values
    are read as text and mapped to names by ``plans``, ``segments`` and ``operators``.
    """

    path: str = Field(
        description="CSV file, one row per customer; a relative path is taken from the scenario file's folder."
    )
    tenure: str | None = Field(None, description="Column with the tenure, months (>= 0).")
    plan: str | None = Field(
        None,
        description="Column naming the plan; a customer on a contract plan is inside a contract with contract_months - tenure mod contract_months months left (renewed back to back).",
    )
    plans: dict[str, str] = Field(
        default_factory=dict,
        description="Value of the plan column -> plan name (a plan of the customer's operator).",
    )
    charges: str | None = Field(
        None,
        description="Column with the monthly bill (currency/month); individual spend = charges / the plan's monthly fee.",
    )
    segment: str | None = Field(None, description="Column naming the segment.")
    segments: dict[str, str] = Field(
        default_factory=dict, description="Value of the segment column -> segment name."
    )
    operator: str | None = Field(
        None,
        description="Column naming the operator (default: drawn from the initial shares).",
    )
    operators: dict[str, str] = Field(
        default_factory=dict, description="Value of the operator column -> operator name."
    )

    @model_validator(mode="after")
    def _mapped(self) -> PopulationFile:
        for column, mapping in (
            ("plan", self.plans),
            ("segment", self.segments),
            ("operator", self.operators),
        ):
            if getattr(self, column) is not None and not mapping:
                raise ValueError(
                    f"from_csv.{column} names a column, so from_csv.{column}s must map its values to names"
                )
        return self


class Population(Spec):
    """Who the subscribers are at month 0 and how many join later."""

    size: int = Field(
        100_000, ge=10, le=2_000_000_000, description="Number of subscriber agents at month 0."
    )
    represents: float | None = Field(
        None,
        gt=0,
        le=1e10,  # above the world's population
        description="Real subscribers the initial agents stand for; counts in outputs are scaled by represents/size.",
    )
    entry_per_month: Annotated[float, Field(ge=0, le=0.2)] | Trajectory = Field(
        0.0,
        description="New subscribers per month, as a fraction of the initial size (a number, or a trajectory over months for a market whose growth changes).",
    )
    initial_shares: dict[str, Fraction] = Field(
        description="Operator name -> share of subscribers at month 0 (sums to 1; missing operators start empty)."
    )
    segments: list[Segment] = Field(
        default_factory=lambda: [Segment(name="mass", share=1.0)],
        min_length=1,
        max_length=64,
        description="Segments with shares (summing to 1) and parameter multipliers.",
    )
    tenure: Tenure = Field(default_factory=Tenure, description="Initial tenure distribution.")
    contracts: Contracts = Field(default_factory=Contracts, description="Initial contract status.")
    handsets: dict[Generation, Fraction] = Field(
        default_factory=lambda: {2: 1.0},
        description="Handset generation -> share at month 0 (and of new entrants); sums to 1.",
    )
    bundle_share: Fraction = Field(
        0.0, description="Share of subscribers with a household bundle (broadband + TV) at month 0."
    )
    spend_spread: Fraction = Field(
        0.3, description="Individual spend = segment spend x uniform(1 - spread, 1 + spread)."
    )
    from_csv: PopulationFile | None = Field(
        None,
        description="Draw the month-0 customers' tenure, plan, bill, segment or operator from a CSV file's rows.",
    )

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Population:
        _level_within("population.entry_per_month", self.entry_per_month, 0.0, 0.2)
        _check_sum("population.segments[].share", sum(s.share for s in self.segments))
        _check_sum("population.initial_shares", sum(self.initial_shares.values()))
        _check_sum("population.handsets", sum(self.handsets.values()))
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique, got {names}")
        for seg in self.segments:
            if seg.initial_shares is not None:
                _check_sum(f"segments[{seg.name}].initial_shares", sum(seg.initial_shares.values()))
        return self


def _check_sum(what: str, total: float) -> None:
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, got {total:.6g}")


# --------------------------------------------------------------------------- network
class Network(Spec):
    """The social graph between subscribers (ties carry word of mouth and on-net pricing)."""

    kind: Literal["small_world", "scale_free", "households", "edge_list", "networkx"] = Field(
        "small_world", description="Graph family, or a file (edge_list) or a networkx generator."
    )
    mixing: Literal["local", "global"] = Field(
        "local",
        description="'local': social terms come from a subscriber's ties; 'global': from the whole population (mean-field / Bass limit, no graph is built).",
    )
    mean_degree: int = Field(10, ge=0, le=200, description="Mean number of ties per subscriber.")
    rewire: Fraction = Field(0.1, description="small_world: probability a lattice tie is rewired.")
    household_size: float = Field(3.0, ge=1, le=20, description="households: mean household size.")
    homophily: Fraction = Field(
        0.7, description="households: share of outside ties within the own segment."
    )
    path: str | None = Field(
        None, description="edge_list: file of 'u v' or 'u,v' lines, ids 0..size-1."
    )
    generator: str | None = Field(
        None,
        description="networkx: name of a networkx generator taking n first, e.g. 'powerlaw_cluster_graph'.",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="networkx: keyword arguments of the generator."
    )

    @model_validator(mode="after")
    def _needs(self) -> Network:
        if self.kind == "edge_list" and not self.path:
            raise ValueError("network.kind 'edge_list' needs network.path")
        if self.kind == "networkx" and not self.generator:
            raise ValueError("network.kind 'networkx' needs network.generator")
        return self


# --------------------------------------------------------------------------- operators
class NetworkRollout(Spec):
    """One radio network of an operator (a technology generation)."""

    generation: Generation
    launch_month: int = Field(0, ge=0, description="Month the network opens (0 = already running).")
    coverage: Fraction = Field(
        1.0, description="Share of subscribers' usage it covers once ramped up."
    )
    ramp_months: int = Field(
        0, ge=0, description="Months for coverage to grow linearly from 0 to `coverage`."
    )
    quality: Fraction = Field(0.7, description="Performance where covered (0..1).")
    standard: str | None = Field(
        None,
        description="Technology standard (e.g. 'WCDMA'): its device market (devices[]) sets handset availability and price for this network; none means handsets are always available at no cost.",
    )


class Plan(Spec):
    """A tariff plan."""

    name: str = Field(description="Plan name, unique within the operator.")
    monthly_fee: MonthlyFee = Field(description="Monthly fee (currency/month).")
    onnet_discount: Fraction = Field(
        0.0,
        description="Price reduction for on-net use: price = fee x (1 - onnet_discount x share of ties on this operator).",
    )
    contract_months: int = Field(
        0, ge=0, le=60, description="Contract length in months (0 = month-to-month)."
    )
    early_termination_fee: Money = Field(
        0.0, description="Fee for leaving inside the contract (currency)."
    )
    etf_declining: bool = Field(
        False,
        description="The early-termination fee falls linearly with the months left (fee x months left / contract months): a declining buy-out.",
    )
    etf_remaining_fee_share: Fraction = Field(
        0.0,
        description="Also due on leaving a contract: this share of the monthly fee times the months left.",
    )
    handset_subsidy: HandsetSubsidy = Field(
        0.0, description="Handset subsidy for a new contract on this plan (currency)."
    )
    generation: Generation = Field(2, description="Network generation the plan is for.")
    segments: list[str] | None = Field(None, description="Eligible segment names (default: all).")
    household_bundle: bool = Field(
        False, description="Taking this plan bundles broadband + TV for the household."
    )
    prepaid: bool = Field(
        False,
        description="A prepaid plan: out of contract its customers leave the market at behaviour.disconnect_prepaid (month-to-month postpaid at disconnect_month_to_month).",
    )
    initial_weight: float = Field(
        1.0,
        ge=0,
        le=1e12,  # weights may be customer counts
        description="Relative weight of this plan among the operator's customers at month 0.",
    )
    launch_month: int = Field(0, ge=0, description="Month from which the plan is offered.")


class Retention(Spec):
    """A retention programme: offers to the customers most at risk, within a budget."""

    budget: Budget = Field(
        0.0,
        description="Money committed to new offers each month (currency/month), in the real market when population.represents is given (then divided among agents), else per agent population.",
    )
    discount: Fraction = Field(0.2, description="Price reduction of an offer.")
    offer_months: int = Field(6, ge=1, le=36, description="How long an offer lasts, months.")
    budget_share: Fraction = Field(
        0.0,
        description="At most this share of the operator's customers gets a new offer each month (0: no such cap); with budget 0 it is the only budget.",
    )
    targeting: Literal["risk", "value"] = Field(
        "risk",
        description="risk: the highest churn-risk scores first (v1); value: the highest expected value saved, min(1, risk) x customer value - offer cost, positive only.",
    )
    value_months: int = Field(
        24,
        ge=1,
        le=240,
        description="Months of margin counted as a customer's value (value targeting): margin x bill x value_months.",
    )
    winback_months: int = Field(
        0,
        ge=0,
        le=24,
        description="Win-backs: customers who switched to a rival within this many months get an offer to return (0: none).",
    )
    winback_bonus: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="Appeal of the win-back offer in the choice (utility units); a customer won back gets the programme's discount for offer_months, counted as retention cost.",
    )


class LoyaltyTier(Spec):
    """A loyalty tier: long-standing, high-spend customers get a benefit."""

    name: str
    min_tenure_months: int = Field(0, ge=0, description="Tenure needed, months.")
    min_spend: Weight = Field(0.0, description="Individual spend multiplier needed.")
    benefit: Weight = Field(
        0.0, description="Benefit added to the perceived value (utility units)."
    )


class AdaptivePricing(Spec):
    """A simple price-war rule: cut fees when share slips."""

    review_every_months: int = Field(3, ge=1, description="Months between price reviews.")
    share_drop_trigger: Fraction = Field(
        0.005, description="Cut when share fell by more than this since the last review."
    )
    cut: Fraction = Field(0.05, description="Relative fee cut per review.")
    floor_fraction: Fraction = Field(
        0.6, description="Fees never fall below this fraction of their starting value."
    )


class OperatorStart(Spec):
    """An operator's own month-0 customers, where they differ from the population's."""

    handsets: dict[Generation, Fraction] | None = Field(
        None, description="Handset generation -> share of this operator's month-0 customers."
    )
    share_on_contract: Fraction | None = Field(
        None, description="Share of its customers on a contract plan still inside a contract."
    )
    tenure_mean_months: float | None = Field(
        None, gt=0, description="Mean tenure of its month-0 customers, months."
    )

    @model_validator(mode="after")
    def _sums(self) -> OperatorStart:
        if self.handsets is not None:
            _check_sum("initial.handsets", sum(self.handsets.values()))
        return self


class Operator(Spec):
    """A mobile operator."""

    name: str = Field(description="Short name used in paths and tables, e.g. 'Unicom'.")
    label: str | None = Field(None, description="Display name, e.g. 'China Unicom'.")
    brand: Utility = Field(0.0, description="Brand appeal in utility units.")
    service_quality: Utility = Field(
        0.5, description="Service quality beyond the network (0..1 scale, utility)."
    )
    marketing_reach: Fraction = Field(
        0.05, description="Probability a non-customer sees this operator's offer in a month."
    )
    contacts_per_month: Contacts = Field(
        1.0, description="Marketing contacts to own customers per month."
    )
    hype: Utility = Field(0.0, description="Expectation lift of new customers (utility units).")
    failure_rate: Fraction = Field(
        0.0,
        description="Monthly probability that a customer suffers a service failure (a dropped call, a billing error): an event that costs satisfaction and trust.",
    )
    networks: list[NetworkRollout] = Field(min_length=1, description="Networks per generation.")
    plans: list[Plan] = Field(min_length=1, description="Tariff plans.")
    retention: Retention | None = Field(None, description="Retention programme (none by default).")
    loyalty_tiers: list[LoyaltyTier] = Field(default_factory=list, description="Loyalty tiers.")
    adaptive_pricing: AdaptivePricing | None = Field(
        None, description="Adaptive price rule (off by default)."
    )
    initial: OperatorStart | None = Field(
        None,
        description="Month-0 handset mix, contract share and tenure of this operator's customers (default: the population's).",
    )

    @model_validator(mode="after")
    def _unique(self) -> Operator:
        names = [p.name for p in self.plans]
        if len(set(names)) != len(names):
            raise ValueError(f"plan names must be unique within operator {self.name}, got {names}")
        gens = [n.generation for n in self.networks]
        if len(set(gens)) != len(gens):
            raise ValueError(f"operator {self.name} lists a generation twice in networks: {gens}")
        return self

    @property
    def display(self) -> str:
        """Name to show in figures."""
        return self.label or self.name


# --------------------------------------------------------------------------- devices
class DeviceMarket(Spec):
    """The handsets of one technology standard: how easy they are to get, and their price.

    A network names its standard (``networks[].standard``); taking a plan that needs a
    newer handset, or migrating to one, then meets this market: availability multiplies
    the chance (the logit weight of such a plan, the migration hazard), and the handset
    price times the index, net of the plan's subsidy, is what the customer pays.
    """

    standard: str = Field(description="Standard name, e.g. 'TD-SCDMA', 'WCDMA', 'CDMA2000'.")
    generation: Generation
    availability: Level = Field(
        1.0,
        description="Share of shoppers who find a suitable handset (0..1; a number or a trajectory).",
    )
    price_index: Level = Field(
        1.0, description="Handset price relative to handset_price (> 0; a number or a trajectory)."
    )
    handset_price: Money = Field(
        0.0, description="Retail price of a handset at price index 1 (currency, paid once)."
    )

    @model_validator(mode="after")
    def _ranges(self) -> DeviceMarket:
        _level_within(f"devices[{self.standard}].availability", self.availability, 0.0, 1.0)
        _level_within(f"devices[{self.standard}].price_index", self.price_index, 0.0, 1e6)
        return self


# --------------------------------------------------------------------------- behaviour
class Behaviour(Spec):
    """Every coefficient of docs/model.md, with its default. Utility units unless stated."""

    # step 2: retention targeting
    risk_w_satisfaction: Weight = Field(1.0, description="Risk weight of (1 - satisfaction).")
    risk_w_expiry: Weight = Field(
        0.5, description="Risk weight of a contract ending within 2 months."
    )
    risk_w_social: Weight = Field(
        1.0, description="Risk weight of the share of ties that switched last month."
    )
    # step 3: experience
    w_quality: Weight = Field(
        1.0, description="Weight of network + service quality in perceived value."
    )
    w_price: Weight = Field(0.5, description="Weight of price/reference price in perceived value.")
    lam: Fraction = Field(0.3, description="Satisfaction learning rate per month.")
    kappa: Fraction = Field(0.2, description="Expectation adaptation rate per month.")
    annoyance_penalty: Weight = Field(
        0.05, description="Satisfaction lost per unit of annoyance per month."
    )
    delta: Fraction = Field(0.02, description="Trust decay per month.")
    theta_up: Weight = Field(
        0.3, description="Trust gained per unit of positive surprise beyond eps."
    )
    theta_down: Weight = Field(
        0.6, description="Trust lost per unit of negative surprise beyond eps."
    )
    eps: Weight = Field(0.05, description="Surprise dead zone for trust.")
    sat_0: Fraction = Field(0.6, description="Satisfaction of a new customer.")
    trust_0: Weight = Field(0.1, description="Trust (emotional lock-in) of a new customer.")
    trust_tenure: Weight = Field(
        0.0,
        description="Month-0 trust added by tenure: trust_0 + trust_tenure x (1 - exp(-tenure / trust_tau)).",
    )
    trust_tau: float = Field(
        24.0, gt=0, le=1200, description="Months of tenure for month-0 trust to build up."
    )
    failure_satisfaction_loss: Weight = Field(
        0.0, description="Satisfaction lost in the month of a service failure."
    )
    failure_trust_loss: Weight = Field(
        0.0, description="Trust (emotional lock-in) lost per service failure."
    )
    failure_decay: Fraction = Field(
        0.3, description="Monthly decay of the count of recent service failures."
    )
    sat_spread: Fraction = Field(
        0.2, description="Initial satisfaction = sat_0 + uniform(-spread, spread)."
    )
    # step 4: lock-in
    number_change_cost: Money = Field(
        50.0, description="Cost of changing number when porting is off (currency)."
    )
    bundle_cost: Money = Field(100.0, description="Cost of breaking a household bundle (currency).")
    K_max: Weight = Field(0.6, description="Maximum knowledge lock-in.")
    tau_K: float = Field(
        24.0, gt=0, le=1200, description="Months for knowledge lock-in to build up (time constant)."
    )
    # step 4b: market exit (docs/model.md); 0: nobody leaves the market (v1)
    disconnect_prepaid: Fraction = Field(
        0.0,
        description="Monthly probability that a prepaid customer out of contract leaves the market (SIM abandoned).",
    )
    disconnect_month_to_month: Fraction = Field(
        0.0,
        description="Monthly probability that a postpaid customer without a contract leaves the market.",
    )
    disconnect_contract: Fraction = Field(
        0.0,
        description="Monthly probability that a customer inside a contract leaves the market (non-payment, buy-out to go without a line).",
    )
    disconnect_life_event: Fraction = Field(
        0.0,
        description="Monthly probability of a life event that ends the line whatever the plan (moving abroad, death, merging lines).",
    )
    reentry_prob: Fraction = Field(
        0.0,
        description="Monthly probability that a disconnected slot comes back as a new line (a new-to-market gross add).",
    )
    # step 5: consideration
    c_base: Fraction = Field(
        0.02, description="Base probability of considering a switch in a month."
    )
    c_dissat: Weight = Field(
        0.5, description="Extra consideration per unit of satisfaction below s_thr."
    )
    s_thr: Fraction = Field(
        0.5, description="Satisfaction threshold below which dissatisfaction adds consideration."
    )
    c_expiry: Fraction = Field(
        0.3, description="Extra consideration the month after a contract ends."
    )
    c_market: Fraction = Field(
        0.1, description="Extra consideration after seeing a competitor's offer."
    )
    c_social: Weight = Field(
        0.5, description="Extra consideration per share of ties that switched last month."
    )
    c_failure: Weight = Field(
        0.0,
        description="Extra consideration per squared count of recent service failures (repeated failures weigh more than one).",
    )
    annoyance_tolerance: Contacts = Field(
        2.0, description="Own-operator contacts per month tolerated before annoyance rises."
    )
    annoyance_rate: Weight = Field(0.2, description="Annoyance added per contact beyond tolerance.")
    annoyance_decay: Fraction = Field(0.2, description="Annoyance decay per month.")
    # step 6: choice
    beta_price: float = Field(
        -2.0, ge=-100, le=0, description="Utility per unit of price/reference price (negative)."
    )
    beta_subsidy: Weight = Field(
        1.0, description="Utility per unit of subsidy/reference price for a needed handset."
    )
    beta_quality: Weight = Field(
        2.0, description="Utility per unit of quality (network + service)."
    )
    beta_social: Weight = Field(1.0, description="Utility per share of ties on the operator.")
    beta_wom: Weight = Field(
        1.0,
        description="Utility per unit of ties' mean (satisfaction - 0.5) on the operator.",
    )
    beta_marketing: Weight = Field(
        0.0,
        description="Utility added to the operator whose offer the subscriber saw this month (the advertiser's salience; entrants too).",
    )
    beta_tech: Utility = Field(
        0.3, description="Utility of an offer on a newer generation than the own handset."
    )
    mu: Weight = Field(
        0.5, gt=0, description="Logit scale: choice probabilities are softmax(U / mu)."
    )
    plan_mu: float = Field(
        0.0,
        ge=0,
        description="Logit scale of the plan (and so generation) choice within an operator, a nest under mu (keep plan_mu <= mu); 0: the best plan.",
    )
    # step 7: switch or stay
    recontract_prob: Fraction = Field(
        0.5, description="Probability of re-contracting when a contract expires."
    )
    # step 8: technology migration
    p_innovation: Fraction = Field(0.003, description="Bass innovation p per month.")
    q_imitation: Fraction = Field(0.05, description="Bass imitation q per month.")
    beta_migration_subsidy: Weight = Field(
        0.05, description="Migration probability per unit of subsidy/reference price."
    )
    beta_migration: float = Field(
        0.0,
        ge=0,
        description="Weight of the utility gain of upgrading (best newer plan, handset cost, network) over staying in the migration choice; 0: the Bass hazard alone.",
    )


class Economics(Spec):
    """Accounting assumptions for CLV."""

    margin: Fraction = Field(0.5, description="Contribution margin on revenue.")
    annual_discount_rate: float = Field(
        0.1, ge=0, le=1, description="Discount rate per year for CLV."
    )
    currency: str | None = Field(
        None,
        max_length=8,
        description="Currency code of every money field (e.g. CNY), shown in reports.",
    )


# --------------------------------------------------------------------------- events
class EventBase(Spec):
    """Common timing of events."""

    month: int = Field(ge=0, description="Month the event applies (before operator decisions).")
    duration: int | None = Field(
        None, ge=1, description="Months it lasts before being undone (default: permanent)."
    )


class PriceChange(EventBase):
    """Change a plan's monthly fee (absolute or by a factor)."""

    kind: Literal["price_change"]
    operator: str
    plan: str | None = Field(None, description="Plan name (default: all the operator's plans).")
    monthly_fee: MonthlyFee | None = None
    factor: float | None = Field(
        None, gt=0, le=100, description="Multiply fees by this instead of setting them."
    )

    @model_validator(mode="after")
    def _one(self) -> PriceChange:
        if (self.monthly_fee is None) == (self.factor is None):
            raise ValueError("price_change needs exactly one of monthly_fee or factor")
        return self


class PlanLaunch(EventBase):
    """Start offering a new plan."""

    kind: Literal["plan_launch"]
    operator: str
    plan: Plan


class PlanWithdraw(EventBase):
    """Stop offering a plan to new customers (existing customers keep it)."""

    kind: Literal["plan_withdraw"]
    operator: str
    plan: str


class SubsidyChange(EventBase):
    """Change the handset subsidy of one or all plans."""

    kind: Literal["subsidy_change"]
    operator: str
    plan: str | None = None
    handset_subsidy: HandsetSubsidy = Field(
        description="New handset subsidy per contract (currency, paid once)."
    )


class NetworkLaunch(EventBase):
    """Open a network of a generation, with a coverage ramp."""

    kind: Literal["network_launch"]
    operator: str
    generation: Generation
    coverage: Fraction = 1.0
    ramp_months: int = Field(0, ge=0)
    quality: Fraction = 0.7


class CoverageChange(EventBase):
    """Move a network's coverage to a new level over a ramp."""

    kind: Literal["coverage_change"]
    operator: str
    generation: Generation
    coverage: Fraction
    ramp_months: int = Field(0, ge=0)


class NumberPortability(EventBase):
    """Switch number portability on or off (on removes the number-change cost)."""

    kind: Literal["number_portability"]
    enabled: bool = True
    number_change_cost: Money | None = Field(
        None, description="New number-change cost while off (optional)."
    )


class Outage(EventBase):
    """A quality drop of an operator's networks."""

    kind: Literal["outage"]
    operator: str
    quality_drop: Fraction = Field(description="Relative drop in network quality.")


class MarketingCampaign(EventBase):
    """A marketing push: higher reach, more contacts to own customers."""

    kind: Literal["marketing_campaign"]
    operator: str
    reach: Fraction
    contacts_per_month: Contacts | None = None


class RetentionCampaign(EventBase):
    """Start (or change) a retention programme."""

    kind: Literal["retention_campaign"]
    operator: str
    budget: Budget
    discount: Fraction = 0.2
    offer_months: int = Field(6, ge=1)


class OperatorEntry(EventBase):
    """A new operator enters with its networks and plans."""

    kind: Literal["operator_entry"]
    operator: Operator

    @field_validator("operator", mode="before")
    @classmethod
    def _definition(cls, value: Any) -> Any:
        # Other events name an operator; this one defines it, and a bare name is a slip.
        if isinstance(value, str):
            raise ValueError(
                f"operator_entry brings a new operator, so it needs the operator's definition "
                f"(name, networks, plans), got only the name {value!r}; an operator already "
                "in the market changes through other events"
            )
        return value

    @model_validator(mode="after")
    def _permanent(self) -> OperatorEntry:
        if self.duration is not None:
            raise ValueError(
                "operator_entry is permanent: remove its duration (operators do not exit)"
            )
        return self


class SegmentShift(EventBase):
    """Change one multiplier of a segment."""

    kind: Literal["segment_shift"]
    segment: str
    field: Literal[
        "price_sensitivity",
        "quality_sensitivity",
        "social_influence",
        "innovation",
        "imitation",
        "spend",
        "disconnection",
    ]
    value: Weight


class BrandChange(EventBase):
    """Set an operator's brand appeal (a rebranding, a scandal)."""

    kind: Literal["brand_change"]
    operator: str
    brand: float = Field(description="New brand appeal, utility units.")


class ServiceQualityChange(EventBase):
    """Set an operator's service quality beyond the network (care, billing, content)."""

    kind: Literal["service_quality_change"]
    operator: str
    service_quality: float = Field(description="New service quality (0..1 scale, utility).")


class NetworkQualityChange(EventBase):
    """Set the performance of one of an operator's networks where covered."""

    kind: Literal["network_quality_change"]
    operator: str
    generation: Generation
    quality: Fraction


class DeviceMarketChange(EventBase):
    """Move a standard's handset availability and/or price index to new levels over a ramp."""

    kind: Literal["device_market_change"]
    standard: str
    availability: Fraction | None = None
    price_index: float | None = Field(None, gt=0)
    ramp_months: int = Field(0, ge=0, description="Months to reach the new levels (0: at once).")

    @model_validator(mode="after")
    def _something(self) -> DeviceMarketChange:
        if self.availability is None and self.price_index is None:
            raise ValueError("device_market_change needs availability or price_index")
        return self


Event = Annotated[
    PriceChange
    | PlanLaunch
    | PlanWithdraw
    | SubsidyChange
    | NetworkLaunch
    | CoverageChange
    | NumberPortability
    | Outage
    | MarketingCampaign
    | RetentionCampaign
    | OperatorEntry
    | SegmentShift
    | BrandChange
    | ServiceQualityChange
    | NetworkQualityChange
    | DeviceMarketChange,
    Field(discriminator="kind"),
]
# Event kind as written in scenario files -> its spec class, read off the union above.
EVENT_KINDS: dict[str, type[EventBase]] = {
    get_args(cls.model_fields["kind"].annotation)[0]: cls for cls in get_args(get_args(Event)[0])
}


# --------------------------------------------------------------------------- reported data
class Reported(Spec):
    """Reported figures of the real market a scenario describes, drawn on its figures.

    One CSV row per operator and month; a row dated ``YYYY-MM`` is the model month
    labelled ``YYYY-MM`` (:mod:`sim.months`: a 2008-12 start, 2009-10 is month 10).
    """

    path: str = Field(
        description="CSV file; a relative path is taken from the scenario file's folder."
    )
    date: str = Field("month_end", description="Column with the month, YYYY-MM.")
    operator: str = Field("operator", description="Column naming the operator.")
    operators: dict[str, str] = Field(
        description="Value of the operator column -> operator name (other rows are ignored)."
    )
    subscribers: str | None = Field(None, description="Column with subscribers.")
    handsets: dict[Generation, str] = Field(
        default_factory=dict,
        description="Generation -> column with subscribers on that generation (e.g. 3G users).",
    )
    scale: float = Field(1.0, gt=0, description="Multiplier turning the columns into subscribers.")


# --------------------------------------------------------------------------- calibration record
class CalibrationRecord(Spec):
    """Where a scenario's behavioural numbers come from: the fit that set them.

    Reports and ``telsim run`` read it for their caveat (:mod:`sim.report.caveat`);
    ``telsim calibrate`` writes it into the calibrated scenario. Text fields, for people.
    """

    calibrated: bool = Field(
        True, description="False: the scenario is explicitly not calibrated (illustrative)."
    )
    against: str = Field(
        min_length=1, description="What it was fitted to, e.g. reported subscriber series."
    )
    period: str | None = Field(
        None, description="Calendar span of those data, e.g. 2009-01..2012-09."
    )
    method: str | None = Field(None, description="How: optimiser or ABC, trials, targets file.")
    fit: str | None = Field(None, description="In-sample fit, e.g. rms z per target.")
    out_of_sample: str | None = Field(None, description="Fit on data held out of the fit.")
    date: str | None = Field(None, description="When it was calibrated (YYYY-MM-DD).")
    source: str | None = Field(
        None, description="Where the full record is (a doc, a results folder)."
    )
    notes: str | None = Field(None, description="Known gaps and caveats of the fit.")

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        """YAML reads an unquoted 2026-12-01 as a date: keep it as the text it was."""
        return value.isoformat() if isinstance(value, dt.date) else value


# --------------------------------------------------------------------------- scenario
class Scenario(Spec):
    """A complete market scenario."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Identifier; default output folder results/<name>.",
    )
    description: str = Field("", description="What the scenario is about.")
    title: str | None = Field(
        None,
        min_length=1,
        max_length=60,
        description="Short display name, e.g. the policy it stands for ('Subsidy war'), for "
        "legends and table titles (default: name).",
    )
    simulation: Simulation = Field(default_factory=Simulation)
    population: Population
    network: Network = Field(default_factory=Network)
    operators: list[Operator] = Field(min_length=1, max_length=32)
    number_portability: bool = Field(
        False, description="Whether number portability is on at month 0."
    )
    devices: list[DeviceMarket] = Field(
        default_factory=list,
        description="Handset markets per technology standard, named by networks[].standard.",
    )
    behaviour: Behaviour = Field(default_factory=Behaviour)
    economics: Economics = Field(default_factory=Economics)
    events: list[Event] = Field(default_factory=list)
    reported: Reported | None = Field(
        None, description="Reported series of the real market, overlaid on the run's figures."
    )
    calibration: CalibrationRecord | None = Field(
        None,
        description="The fit its numbers come from (none: not calibrated); shown in reports.",
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        ops = {o.name: o for o in self.all_operators()}
        if len(ops) != len(self.all_operators()):
            raise ValueError("operator names must be unique (including operator_entry events)")
        segs = {s.name for s in self.population.segments}
        _known("population.initial_shares", self.population.initial_shares, self.operators)
        for seg in self.population.segments:
            if seg.initial_shares is not None:
                _known(f"segments[{seg.name}].initial_shares", seg.initial_shares, self.operators)
        rows = self.population.from_csv
        if rows is not None:
            for value, name in rows.segments.items():
                if name not in segs:
                    raise ValueError(
                        f"population.from_csv.segments[{value!r}]: unknown segment {name!r}; known: {sorted(segs)}"
                    )
            _known(
                "population.from_csv.operators",
                {name: 0.0 for name in rows.operators.values()},
                self.operators,
            )
        standards = {d.standard: d for d in self.devices}
        if len(standards) != len(self.devices):
            raise ValueError("devices[].standard names must be unique")
        if self.reported is not None:
            _known(
                "reported.operators",
                dict.fromkeys(self.reported.operators.values(), 0.0),
                self.all_operators(),
            )
        for op in self.all_operators():
            for net in op.networks:
                dev = standards.get(net.standard) if net.standard else None
                if net.standard and dev is None:
                    raise ValueError(
                        f"operator {op.name} network {net.generation}G: unknown standard {net.standard!r}; known: {sorted(standards)}"
                    )
                if dev is not None and dev.generation != net.generation:
                    raise ValueError(
                        f"operator {op.name} network {net.generation}G: standard {net.standard} is {dev.generation}G"
                    )
            for plan in op.plans:
                for s in plan.segments or []:
                    if s not in segs:
                        raise ValueError(
                            f"operator {op.name} plan {plan.name}: unknown segment {s!r}; known: {sorted(segs)}"
                        )
        for k, ev in enumerate(self.events):
            if ev.month > self.simulation.months:
                raise ValueError(
                    f"events[{k}] month {ev.month} is after the last month {self.simulation.months}"
                )
            op_name = getattr(ev, "operator", None)
            if isinstance(op_name, str):
                if op_name not in ops:
                    raise ValueError(
                        f"events[{k}] ({ev.kind}): unknown operator {op_name!r}; known: {sorted(ops)}"
                    )
                plan_name = getattr(ev, "plan", None)
                if isinstance(plan_name, str) and plan_name not in _plan_names(
                    ops[op_name], self.events
                ):
                    raise ValueError(
                        f"events[{k}] ({ev.kind}): operator {op_name} has no plan {plan_name!r}"
                    )
            if isinstance(ev, DeviceMarketChange) and ev.standard not in standards:
                raise ValueError(
                    f"events[{k}] (device_market_change): unknown standard {ev.standard!r}; known: {sorted(standards)}"
                )
            if isinstance(ev, SegmentShift) and ev.segment not in segs:
                raise ValueError(
                    f"events[{k}] (segment_shift): unknown segment {ev.segment!r}; known: {sorted(segs)}"
                )
        return self

    def all_operators(self) -> list[Operator]:
        """Operators present at month 0, then those entering by events, in event order."""
        return list(self.operators) + [
            e.operator for e in self.events if isinstance(e, OperatorEntry)
        ]

    def digest(self) -> str:
        """SHA-256 of the resolved scenario: the provenance of a run.

        A data file the scenario names counts by its content, not its path: the same
        scenario in another folder or clone has the same digest (so a results folder,
        sweep or calibration written there is recognised), and an edited file changes it.
        """
        contents = {key: _content_digest(Path(path)) for key, path in data_paths(self).items()}
        data = apply_overrides(self.model_dump(mode="json", exclude_none=True), contents)
        return hashlib.sha256(_yaml_text(data).encode()).hexdigest()


def _known(what: str, shares: dict[str, float], operators: list[Operator]) -> None:
    names = {o.name for o in operators}
    for name in shares:
        if name not in names:
            raise ValueError(
                f"{what}: unknown operator {name!r}; known at month 0: {sorted(names)}"
            )


def _plan_names(op: Operator, events: list[Any]) -> set[str]:
    names = {p.name for p in op.plans}
    names |= {e.plan.name for e in events if isinstance(e, PlanLaunch) and e.operator == op.name}
    return names


# --------------------------------------------------------------------------- money fields
@dataclass(frozen=True)
class Charged:
    """One fee or subsidy set in a scenario: its dotted path, operator, charge and value."""

    path: str
    operator: str
    charge: Charge
    value: float


def field_charge(info: FieldInfo) -> Charge | None:
    """The charge a field's type declares (:data:`MonthlyFee`, also when optional), or None."""
    marks = list(info.metadata)
    for arg in get_args(info.annotation):
        if get_origin(arg) is Annotated:
            marks += get_args(arg)[1:]
    return next((m for m in marks if isinstance(m, Charge)), None)


def charged_fields(node: Spec, path: str = "", operator: str | None = None) -> Iterator[Charged]:
    """Every fee and subsidy set in ``node`` and the models inside it, in dump order.

    Fields are found by their type, not by a list of event kinds. Each belongs to the
    nearest operator around it: the :class:`Operator` it sits in, or the operator an
    event names. Paths index lists by position (``events.3.plan.monthly_fee``), as
    :func:`with_overrides` accepts them.

    Raises:
        TypeError: a charge with no operator around it (a schema mistake, not user input).
    """
    named = node.name if isinstance(node, Operator) else getattr(node, "operator", None)
    if isinstance(named, str):
        operator = named
    for name, info in type(node).model_fields.items():
        value, here = getattr(node, name), f"{path}.{name}" if path else name
        charge = field_charge(info)
        if charge is not None and value is not None:
            if operator is None:
                raise TypeError(f"{here}: a {charge} with no operator it belongs to")
            yield Charged(here, operator, charge, value)
        elif isinstance(value, Spec):
            yield from charged_fields(value, here, operator)
        elif isinstance(value, list):
            for k, item in enumerate(value):
                if isinstance(item, Spec):
                    yield from charged_fields(item, f"{here}.{k}", operator)


# --------------------------------------------------------------------------- loading
def load_scenario(
    path: str | Path, overrides: list[str] | dict[str, Any] | None = None
) -> Scenario:
    """Read and validate a scenario YAML file, then apply dotted overrides.

    Raises:
        UserError: the file is missing, is not YAML, or does not fit the schema; the
            message names the file, the field, the value and what was expected.
    """
    path = Path(path)
    raw = read_yaml_mapping(path, "scenario")
    scenario = _resolve_paths(validate_scenario(raw, source=str(path)), path.parent)
    return with_overrides(scenario, overrides) if overrides else scenario


def validate_scenario(raw: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate a raw mapping, turning pydantic's errors into one readable UserError."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise UserError(format_validation_error(exc, raw, source)) from None


def with_overrides(
    scenario: Scenario, overrides: list[str] | dict[str, Any], source: str = "--set"
) -> Scenario:
    """A copy of ``scenario`` with dotted overrides applied and re-validated.

    Overrides act on the full dump of the scenario, where every field exists (unset
    optional sections appear as null), so an unknown path is always an error. Messages
    name ``source``: the option that asked for the change.
    """
    raw = scenario.model_dump(mode="json")
    return validate_scenario(apply_overrides(raw, overrides), source=source)


def with_months(
    scenario: Scenario, months: int, source: str = "--months"
) -> tuple[Scenario, list[str]]:
    """A copy that runs ``months`` months, without the events that would fall after them.

    Returns the copy and the dropped events (``events[1] (price_change, month 24)``), so
    the caller can say what no longer happens.
    """
    kept, dropped = [], []
    for k, event in enumerate(scenario.events):
        if event.month <= months:
            kept.append(event.model_dump(mode="json"))
        else:
            dropped.append(f"events[{k}] ({event.kind}, month {event.month})")
    changes = {"simulation.months": months, "events": kept}
    return with_overrides(scenario, changes, source=source), dropped


def data_paths(scenario: Scenario) -> dict[str, str]:
    """The data files the scenario names (edge list, reported series, population file).

    Keys are dotted scenario paths, as for ``--set``.
    """
    paths = {"network.path": scenario.network.path}
    if scenario.reported is not None:
        paths["reported.path"] = scenario.reported.path
    if scenario.population.from_csv is not None:
        paths["population.from_csv.path"] = scenario.population.from_csv.path
    return {key: path for key, path in paths.items() if path}


def _content_digest(path: Path) -> str:
    """``sha256:<hex>`` of a data file's bytes (its path as given when it cannot be read)."""
    try:
        stat = path.stat()
    except OSError:
        return str(path)
    return _file_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """Hash a file once per (path, size, modification time): population files can be GBs."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def _resolve_paths(scenario: Scenario, base: Path) -> Scenario:
    """Resolve relative data paths (edge list, population file) from the scenario file's folder.

    The path is made absolute so a written copy of the scenario (results/<name>/scenario.yaml)
    still finds the file.
    """
    relative = {
        key: str((base / path).absolute())
        for key, path in data_paths(scenario).items()
        if not Path(path).is_absolute()
    }
    return with_overrides(scenario, relative) if relative else scenario


def format_validation_error(exc: ValidationError, raw: Any, source: str) -> str:
    """One line per problem: ``file: path.to.field: message, got value``."""
    lines = []
    for err in exc.errors():
        loc = _readable_loc(err["loc"], raw)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        quiet = err["type"] in ("missing", "value_error") or isinstance(got, dict | list)
        lines.append(f"{source}: {loc or '(top level)'}: {msg}{'' if quiet else f', got {got!r}'}")
    return "\n".join(lines)


def _readable_loc(loc: tuple[Any, ...], raw: Any) -> str:
    """Dotted path with list items named where they have a name: operators[Unicom].plans[0]."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            name = node[item].get("name") if isinstance(node[item], dict) else None
            parts.append(f"[{name}]" if isinstance(name, str) else f"[{item}]")
            node = node[item]
        elif item in EVENT_KINDS:
            continue  # the discriminator tag pydantic inserts is not part of the user's path
        else:
            parts.append(f".{item}")
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts).lstrip(".")


# --------------------------------------------------------------------------- overrides
def apply_overrides(raw: dict[str, Any], overrides: list[str] | dict[str, Any]) -> dict[str, Any]:
    """Apply ``path=value`` overrides to a scenario mapping (a deep copy is returned).

    A path is dotted; a list item is chosen by index (``plans.0``) or by its ``name``
    (``operators.Unicom``). Values given as text are parsed as YAML (``79``, ``true``).
    """
    import copy

    out = copy.deepcopy(raw)
    items = (
        overrides.items()
        if isinstance(overrides, dict)
        else (_split_override(o) for o in overrides)
    )
    created: set[int] = set()  # ids of sections these overrides created from null
    for path, value in items:
        _set_path(out, path, value, created)
    return out


def _split_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UserError(
            f"--set {text!r}: expected PATH=VALUE, e.g. operators.Unicom.plans.0.monthly_fee=79"
        )
    path, value = text.split("=", 1)
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return path.strip(), parsed


def _set_path(root: dict[str, Any], path: str, value: Any, created: set[int]) -> None:
    """Set one dotted path in ``root``.

    A section that was null is created empty; its fields are not known here, so any key
    may be set in it and validation (extra keys forbidden) reports a wrong one.
    """
    keys = path.split(".")
    node: Any = root
    for depth, key in enumerate(keys):
        here = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            idx = _list_index(node, key)
            if idx is None:
                names = [x["name"] for x in node if isinstance(x, dict) and "name" in x]
                hint = f" or one of {names}" if names else ""
                raise UserError(
                    f"--set {path}: no list item {key!r} at {here!r} "
                    f"(expected an index 0..{len(node) - 1}{hint})"
                )
            key = idx
        elif isinstance(node, dict):
            if key not in node and id(node) not in created:
                raise UserError(
                    f"--set {path}: unknown field {here!r} (fields here: {', '.join(sorted(node))})"
                )
        else:
            raise UserError(f"--set {path}: {'.'.join(keys[:depth])!r} is a value, not a section")
        if depth == len(keys) - 1:
            node[key] = value
        else:
            child = node[key] if isinstance(node, list) else node.get(key)
            if child is None:  # an unset optional section, e.g. operators.X.retention
                child = node[key] = {}
                created.add(id(child))
            node = child


def _list_index(node: list[Any], key: str) -> int | None:
    if key.lstrip("-").isdigit():
        idx = int(key)
        return idx if -len(node) <= idx < len(node) else None
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == key:
            return i
    return None


# --------------------------------------------------------------------------- output
def dump_yaml(scenario: Scenario) -> str:
    """The resolved scenario (defaults filled in) as YAML that load_scenario accepts."""
    return _yaml_text(scenario.model_dump(mode="json", exclude_none=True))


def _yaml_text(data: dict[str, Any]) -> str:
    """A scenario mapping as YAML, in the fields' order (what dump_yaml and digest hash)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors (YAML language servers read it)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "telsim scenario"
    return schema
