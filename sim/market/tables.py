"""The market as small numeric tables: what the kernels read each month.

:func:`build_tables` turns a validated :class:`~sim.scenario.Scenario` into arrays with
one row per operator, plan and segment (columns named in :mod:`sim.engine.layout`).
Operators entering later and plans launched later get their rows up front, switched off;
events switch them on. Events change these tables, never the subscriber arrays.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass, field

import numpy as np

from sim.engine import layout as L
from sim.engine.records import MarketView
from sim.engine.state import InitialDistributions, PopulationRows
from sim.errors import UserError
from sim.scenario import Behaviour, OperatorEntry, PlanLaunch, Scenario, level_values

# Segment fields that are multipliers in the segment table, by scenario name.
SEGMENT_MULTIPLIERS = {
    "price_sensitivity": L.S_PRICE,
    "quality_sensitivity": L.S_QUALITY,
    "social_influence": L.S_SOCIAL,
    "innovation": L.S_INNOV,
    "imitation": L.S_IMIT,
    "spend": L.S_SPEND,
    "disconnection": L.S_DISCONNECT,
}

# The behaviour coefficients the kernels read are the scenario's ``Behaviour`` fields,
# by the same names (``beh.lam``), but for those used only at synthesis or to build the
# knowledge table; plus ``portability`` (1.0 while number portability is on), which
# events switch. A new Behaviour field is in the kernels' record without more wiring.
SYNTHESIS_ONLY_BEHAVIOUR = frozenset({"sat_spread", "K_max", "tau_K", "trust_tenure", "trust_tau"})
KERNEL_BEHAVIOUR: tuple[str, ...] = (
    *(name for name in Behaviour.model_fields if name not in SYNTHESIS_ONLY_BEHAVIOUR),
    "portability",
)
BehaviourParams = collections.namedtuple("BehaviourParams", KERNEL_BEHAVIOUR, module=__name__)
BehaviourParams.__doc__ = "Behaviour coefficients as kernels read them (float64 fields)."
BEHAVIOUR_COLUMN: dict[str, int] = {name: k for k, name in enumerate(KERNEL_BEHAVIOUR)}


@dataclass
class MarketTables:
    """Everything about operators, plans and segments the kernels need, as arrays.

    Attributes:
        ops: (J, N_OPERATOR_COLS) operator table.
        plans: (P, N_PLAN_COLS) plan table, rows grouped by operator.
        plan_start: (J+1,) first plan row of each operator.
        eligible: (P, S) bool, plan open to segment.
        seg: (S, N_SEGMENT_COLS) segment table.
        beh: behaviour coefficients in ``KERNEL_BEHAVIOUR`` order (events patch it).
        tiers: (J, T, 3) loyalty tiers (min tenure, min spend, benefit).
        coverage_from / coverage_to / ramp_start / ramp_months / perf: (J, 6) network
            rollouts by generation; coverage moves linearly from ``coverage_from`` to
            ``coverage_to`` over ``ramp_months`` starting at month ``ramp_start``.
        outage: (J,) relative quality drop now in force.
        retention: (J, N_RETENTION_COLS) budget per month (agent money), discount, offer
            months, value targeting (1.0) or risk (0.0), budget share, value months,
            win-back months and bonus (``layout.R_*``).
        eff_q: (J, 6) network quality a handset of each generation gets (this month).
        ktab: knowledge lock-in by tenure in months.
        standard_names: device-market standards, in ``scenario.devices`` order.
        net_standard: (J, 6) int, the standard of each operator's network per
            generation (-1: no device market).
        device_series: (K, T+1, 2) availability and price index of each standard by
            month (events move them); ``device_price`` (K,) the handset price at index 1.
        potential_series: (S, 6, T+1) market potential by segment, generation, month.
        dev_avail / dev_cost / potential: this month's values (see ``MarketView``).
    """

    operator_names: list[str]
    operator_labels: list[str]
    segment_names: list[str]
    plan_keys: list[tuple[str, str]]
    ops: np.ndarray
    plans: np.ndarray
    plan_start: np.ndarray
    eligible: np.ndarray
    seg: np.ndarray
    beh: np.ndarray
    tiers: np.ndarray
    coverage_from: np.ndarray
    coverage_to: np.ndarray
    ramp_start: np.ndarray
    ramp_months: np.ndarray
    perf: np.ndarray
    outage: np.ndarray
    retention: np.ndarray
    ktab: np.ndarray
    standard_names: list[str]
    net_standard: np.ndarray
    device_series: np.ndarray
    device_price: np.ndarray
    potential_series: np.ndarray
    scale: float = 1.0  # real subscribers per agent (population.represents / size)
    eff_q: np.ndarray = field(init=False)
    initial_fees: np.ndarray = field(init=False)
    dev_avail: np.ndarray = field(init=False)
    dev_cost: np.ndarray = field(init=False)
    potential: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.eff_q = np.zeros_like(self.perf)
        self.initial_fees = self.plans[:, L.P_FEE].copy()
        self.dev_avail = np.ones_like(self.perf)
        self.dev_cost = np.zeros_like(self.perf)
        self.potential = np.ones(self.potential_series.shape[:2])

    def view(self) -> MarketView:
        """The tables as the kernels read them (the arrays themselves, not copies)."""
        return MarketView(**{name: getattr(self, name) for name in MarketView._fields})

    def behaviour(self) -> BehaviourParams:
        """The behaviour coefficients in force, as the kernels' named record."""
        return BehaviourParams(*self.beh.tolist())

    @property
    def n_operators(self) -> int:
        """Number of operators, including those that enter later."""
        return len(self.operator_names)

    def operator_index(self, name: str) -> int:
        """Row of an operator by name."""
        return self.operator_names.index(name)

    def plan_rows(self, operator: str, plan: str | None = None) -> list[int]:
        """Plan rows of an operator (all, or the one named)."""
        return [k for k, (o, p) in enumerate(self.plan_keys) if o == operator and plan in (None, p)]

    def coverage(self, month: int) -> np.ndarray:
        """(J, 6) coverage of each operator's network per generation at ``month``."""
        started = month >= self.ramp_start
        progress = np.where(
            self.ramp_months > 0,
            np.clip((month - self.ramp_start + 1) / np.maximum(self.ramp_months, 1), 0.0, 1.0),
            1.0,
        )
        cov = self.coverage_from + (self.coverage_to - self.coverage_from) * progress
        return np.where(started, cov, self.coverage_from)

    def refresh(self, month: int) -> None:
        """Recompute the per-month derived columns: ``eff_q`` and newest covered generation.

        ``eff_q[j, g] = cov*perf + (1 - cov)*eff_q[j, g-1]``: a dual-mode handset falls
        back to the older network where the new one has no coverage; times (1 - outage).
        """
        cov = self.coverage(month)
        eff = np.zeros_like(cov)
        for g in range(2, L.MAX_GENERATION + 1):
            eff[:, g] = cov[:, g] * self.perf[:, g] + (1.0 - cov[:, g]) * eff[:, g - 1]
        self.eff_q[:] = eff * (1.0 - self.outage[:, None])
        gens = np.arange(cov.shape[1])
        self.ops[:, L.O_NEWEST_GEN] = np.max(np.where(cov > 0, gens, 0), axis=1)
        m = min(month, self.potential_series.shape[2] - 1)
        self.potential[:] = self.potential_series[:, :, m]
        has = self.net_standard >= 0
        k = np.where(has, self.net_standard, 0)
        if self.device_series.shape[0]:
            now = self.device_series[:, m, :]
            self.dev_avail[:] = np.where(has, now[k, 0], 1.0)
            self.dev_cost[:] = np.where(has, now[k, 1] * self.device_price[k], 0.0)

    def standard_index(self, name: str) -> int:
        """Row of a device-market standard by name."""
        return self.standard_names.index(name)


def behaviour_vector(b: Behaviour, number_portability: bool) -> np.ndarray:
    """The behaviour coefficients in ``KERNEL_BEHAVIOUR`` order."""
    values = {name: getattr(b, name) for name in KERNEL_BEHAVIOUR if name != "portability"}
    values["portability"] = 1.0 if number_portability else 0.0
    return np.array([float(values[name]) for name in KERNEL_BEHAVIOUR])


def knowledge_table(b: Behaviour, max_tenure: int) -> np.ndarray:
    """``K_max * (1 - exp(-tenure / tau_K))`` for tenure 0..max_tenure (float64)."""
    t = np.arange(max_tenure + 1, dtype=np.float64)
    return b.K_max * (1.0 - np.exp(-t / b.tau_K))


def build_tables(scenario: Scenario) -> MarketTables:
    """Operator, plan and segment tables for a scenario at month 0 (before events)."""
    operators = scenario.all_operators()
    segments = scenario.population.segments
    seg_names = [s.name for s in segments]
    launches = [e for e in scenario.events if isinstance(e, PlanLaunch)]
    entering = {e.operator.name for e in scenario.events if isinstance(e, OperatorEntry)}
    n_ops = len(operators)
    if n_ops >= L.NO_OPERATOR:
        raise UserError(f"at most {L.NO_OPERATOR - 1} operators are supported, got {n_ops}")

    ops = np.zeros((n_ops, L.N_OPERATOR_COLS))
    rows, keys, plan_start = [], [], [0]
    eligible_rows = []
    max_tiers = max(1, max(len(o.loyalty_tiers) for o in operators))
    tiers = np.zeros((n_ops, max_tiers, 3))
    tiers[:, :, :2] = np.inf  # unused tiers are never reached
    shape = (n_ops, L.MAX_GENERATION + 1)
    cov_from, cov_to, ramp_start = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    ramp_months, perf = np.zeros(shape), np.zeros(shape)
    retention = np.zeros((n_ops, L.N_RETENTION_COLS))
    scale = (
        scenario.population.represents / scenario.population.size
        if scenario.population.represents
        else 1.0
    )
    for j, op in enumerate(operators):
        ops[j, L.O_ACTIVE] = 0.0 if op.name in entering else 1.0
        ops[j, L.O_BRAND] = op.brand
        ops[j, L.O_SERVICE] = op.service_quality
        ops[j, L.O_REACH] = op.marketing_reach
        ops[j, L.O_CONTACTS] = op.contacts_per_month
        ops[j, L.O_HYPE] = op.hype
        ops[j, L.O_FAILURE] = op.failure_rate
        for k, tier in enumerate(op.loyalty_tiers):
            tiers[j, k] = (tier.min_tenure_months, tier.min_spend, tier.benefit)
        for net in op.networks:
            g = net.generation
            cov_to[j, g] = net.coverage
            ramp_start[j, g] = net.launch_month
            ramp_months[j, g] = net.ramp_months
            perf[j, g] = net.quality
        if op.retention is not None:
            r = op.retention
            retention[j] = (
                r.budget / scale,
                r.discount,
                r.offer_months,
                1.0 if r.targeting == "value" else 0.0,
                r.budget_share,
                r.value_months,
                r.winback_months,
                r.winback_bonus,
            )
        own_plans = list(op.plans) + [e.plan for e in launches if e.operator == op.name]
        for k, plan in enumerate(own_plans):
            launched_by_event = k >= len(op.plans)
            offered = not launched_by_event and plan.launch_month == 0 and op.name not in entering
            rows.append(
                [
                    j,
                    plan.monthly_fee,
                    plan.onnet_discount,
                    plan.contract_months,
                    plan.early_termination_fee,
                    plan.handset_subsidy,
                    plan.generation,
                    1.0 if offered else 0.0,
                    1.0 if plan.household_bundle else 0.0,
                    1.0 if plan.prepaid else 0.0,
                    1.0 if plan.etf_declining else 0.0,
                    plan.etf_remaining_fee_share,
                ]
            )
            keys.append((op.name, plan.name))
            allowed = set(plan.segments) if plan.segments is not None else set(seg_names)
            eligible_rows.append([s in allowed for s in seg_names])
        plan_start.append(len(rows))
    if len(rows) >= 255:
        raise UserError(f"at most 254 plans in all are supported, got {len(rows)}")

    seg = np.zeros((len(segments), L.N_SEGMENT_COLS))
    for s, spec in enumerate(segments):
        seg[s, L.S_REF] = spec.reference_price
        for name, col in SEGMENT_MULTIPLIERS.items():
            seg[s, col] = getattr(spec, name)

    b = scenario.behaviour
    tables = MarketTables(
        operator_names=[o.name for o in operators],
        operator_labels=[o.display for o in operators],
        segment_names=seg_names,
        plan_keys=keys,
        ops=ops,
        plans=np.array(rows, dtype=np.float64).reshape(len(rows), L.N_PLAN_COLS),
        plan_start=np.array(plan_start, dtype=np.int64),
        eligible=np.array(eligible_rows, dtype=np.bool_).reshape(len(rows), len(segments)),
        seg=seg,
        beh=behaviour_vector(b, scenario.number_portability),
        tiers=tiers,
        coverage_from=cov_from,
        coverage_to=cov_to,
        ramp_start=ramp_start,
        ramp_months=ramp_months,
        perf=perf,
        outage=np.zeros(n_ops),
        retention=retention,
        scale=scale,
        ktab=knowledge_table(
            b, scenario.population.tenure.max_months + scenario.simulation.months + 1
        ),
        **device_tables(scenario, operators),
    )
    tables.refresh(0)
    return tables


def device_tables(scenario: Scenario, operators: list) -> dict[str, object]:
    """Device markets by standard and month, each network's standard, segment potentials."""
    months = scenario.simulation.months
    names = [d.standard for d in scenario.devices]
    series = np.zeros((len(names), months + 1, 2))
    for k, dev in enumerate(scenario.devices):
        series[k, :, 0] = level_values(dev.availability, months)
        series[k, :, 1] = level_values(dev.price_index, months)
    net_standard = np.full((len(operators), L.MAX_GENERATION + 1), -1, dtype=np.int64)
    for j, op in enumerate(operators):
        for net in op.networks:
            if net.standard is not None:
                net_standard[j, net.generation] = names.index(net.standard)
    segments = scenario.population.segments
    potential = np.ones((len(segments), L.MAX_GENERATION + 1, months + 1))
    for s, spec in enumerate(segments):
        for g, level in spec.potential.items():
            potential[s, g] = level_values(level, months)
    return {
        "standard_names": names,
        "net_standard": net_standard,
        "device_series": series,
        "device_price": np.array([d.handset_price for d in scenario.devices], dtype=np.float64),
        "potential_series": potential,
    }


def initial_distributions(
    scenario: Scenario, tables: MarketTables
) -> tuple[InitialDistributions, PopulationRows | None]:
    """Cumulative tables for drawing the month-0 population, and the population file's rows.

    See :func:`~sim.engine.state.synthesize`; the rows are None without
    ``population.from_csv``.
    """
    pop = scenario.population
    names = tables.operator_names
    n_ops, n_seg, n_plans = len(names), len(pop.segments), tables.plans.shape[0]
    op_shares = np.zeros((n_seg, n_ops))
    for s, spec in enumerate(pop.segments):
        shares = spec.initial_shares if spec.initial_shares is not None else pop.initial_shares
        for name, share in shares.items():
            op_shares[s, names.index(name)] = share
    handset = np.zeros(L.MAX_GENERATION + 1)
    for g, share in pop.handsets.items():
        handset[g] = share
    # each operator's month-0 customers: its own handset mix, contracts and tenure if given
    op_handset = np.tile(handset, (n_ops, 1))
    on_contract = np.full(n_ops, pop.contracts.share_on_contract)
    tenure_mean = np.full(n_ops, pop.tenure.mean_months)
    for j, op in enumerate(scenario.all_operators()):
        start = op.initial
        if start is None:
            continue
        if start.handsets is not None:
            op_handset[j] = 0.0
            for g, share in start.handsets.items():
                op_handset[j, g] = share
        if start.share_on_contract is not None:
            on_contract[j] = start.share_on_contract
        if start.tenure_mean_months is not None:
            tenure_mean[j] = start.tenure_mean_months
    weights = {
        (o, p.name): p.initial_weight
        for op in scenario.operators
        for p in op.plans
        for o in [op.name]
    }
    plan_cdf = np.zeros((n_ops, n_seg, L.MAX_GENERATION + 1, n_plans))
    for j in range(n_ops):
        for s in range(n_seg):
            if op_shares[s, j] == 0:
                continue
            rows = [
                p
                for p in range(tables.plan_start[j], tables.plan_start[j + 1])
                if tables.plans[p, L.P_OFFERED] and tables.eligible[p, s]
            ]
            if not rows:
                raise UserError(
                    f"population: operator {names[j]} has month-0 customers in segment "
                    f"{pop.segments[s].name} but no plan open to that segment at month 0"
                )
            for g in range(2, L.MAX_GENERATION + 1):
                fitting = [p for p in rows if tables.plans[p, L.P_GEN] <= g] or rows
                w = np.zeros(n_plans)
                for p in fitting:
                    w[p] = weights[tables.plan_keys[p]]
                if w.sum() == 0:
                    w[fitting] = 1.0
                plan_cdf[j, s, g] = np.cumsum(w)
    b = scenario.behaviour
    dist = InitialDistributions(
        segment_cdf=np.cumsum([s.share for s in pop.segments]),
        operator_cdf=np.cumsum(op_shares, axis=1),
        handset_cdf=np.cumsum(handset),
        operator_handset_cdf=np.cumsum(op_handset, axis=1),
        plan_cdf=plan_cdf,
        plan_contract=tables.plans[:, L.P_CONTRACT].astype(np.int64),
        tenure_mean=tenure_mean,
        tenure_max=pop.tenure.max_months,
        share_on_contract=on_contract,
        sat_0=b.sat_0,
        sat_spread=b.sat_spread,
        trust_0=b.trust_0,
        trust_tenure=b.trust_tenure,
        trust_tau=b.trust_tau,
        bundle_share=pop.bundle_share,
        spend_spread=pop.spend_spread,
    )
    return dist, population_rows(scenario, tables, op_shares) if pop.from_csv else None


def population_rows(
    scenario: Scenario, tables: MarketTables, op_shares: np.ndarray
) -> PopulationRows:
    """Read ``population.from_csv`` into per-row codes the synthesis kernel applies.

    Raises:
        UserError: the file or a named column is missing, a value has no mapping, a
            number is not a number, or an operator lacks a mapped plan; the message
            names the file, the field and what was expected.
    """
    import pandas as pd

    spec = scenario.population.from_csv
    if spec is None:
        raise ValueError("population_rows needs a scenario with population.from_csv")
    frame = _read_population_file(spec.path)
    n = len(frame)
    where = f"{spec.path}"

    def column(field: str) -> np.ndarray | None:
        name = getattr(spec, field)
        if name is None:
            return None
        if name not in frame.columns:
            raise UserError(
                f"{where}: population.from_csv.{field}: no column {name!r}; "
                f"columns: {', '.join(frame.columns)}"
            )
        return frame[name].astype(str).str.strip().to_numpy()

    def codes(field: str, mapping: dict[str, str], names: list[str]) -> np.ndarray:
        values = column(field)
        if values is None:
            return np.full(n, -1, dtype=np.int64)
        unknown = sorted(set(values) - set(mapping))
        if unknown:
            raise UserError(
                f"{where}: population.from_csv.{field}s has no entry for value(s) "
                f"{unknown[:5]} of column {getattr(spec, field)!r}; expected a mapping of each value"
            )
        lookup = {value: names.index(name) for value, name in mapping.items()}
        return pd.Series(values).map(lookup).to_numpy(dtype=np.int64)

    def numbers(field: str) -> np.ndarray:
        values = column(field)
        if values is None:
            return np.full(n, -1.0)
        out = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(out) | (out < 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise UserError(
                f"{where}: population.from_csv.{field}: column {getattr(spec, field)!r} row {k + 2} "
                f"is {values[k]!r}; expected a number >= 0"
            )
        return out

    segment = codes("segment", spec.segments, tables.segment_names)
    operator = codes("operator", spec.operators, tables.operator_names)
    plan_names = sorted(set(spec.plans.values()))
    plan_code = codes("plan", spec.plans, plan_names)
    plan_of_code = np.full((tables.n_operators, max(1, len(plan_names))), -1, dtype=np.int64)
    if spec.plan is not None:
        customers = set(np.flatnonzero(op_shares.sum(axis=0) > 0)) | set(operator[operator >= 0])
        for j in sorted(customers):
            name = tables.operator_names[j]
            for c, plan in enumerate(plan_names):
                rows = tables.plan_rows(name, plan)
                if not rows:
                    known = [p for o, p in tables.plan_keys if o == name]
                    raise UserError(
                        f"{where}: population.from_csv.plans: operator {name} has month-0 customers "
                        f"but no plan {plan!r}; its plans: {known}"
                    )
                plan_of_code[j, c] = rows[0]
    return PopulationRows(
        segment=segment,
        operator=operator,
        plan_code=plan_code,
        plan_of_code=plan_of_code,
        tenure=numbers("tenure"),
        charges=numbers("charges"),
        plan_fee=tables.plans[:, L.P_FEE].copy(),
    )


def _read_population_file(path: str):  # -> pandas.DataFrame
    """The population CSV as text columns (cached per path and modification time)."""
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        raise UserError(f"population.from_csv.path: file not found: {path}")
    return _read_csv_cached(str(file), file.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_csv_cached(path: str, mtime_ns: int):  # -> pandas.DataFrame
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{path}: population.from_csv: not a readable CSV file: {exc}") from None
    if frame.empty:
        raise UserError(f"{path}: population.from_csv: the file has no rows")
    return frame
