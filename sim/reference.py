"""The readable reference model: one Mesa agent per subscriber, one method per step.

This module restates docs/model.md in plain Python so that it can be read side by side
with the page, and serves as the test oracle of the numba engine
(``sim/engine/kernels.py``): for the same scenario and seed,
``run(scenario, engine="reference")`` and ``run(scenario, engine="numba")`` give the
same tables. It is slow on purpose (tens of thousands of agent-steps per second): every
rule is written once, in the order of the page, with no vectorisation to hide it.

What is shared with the engine, and why:
    These are inputs of the monthly rules, not the rules themselves, so the reference
    takes them as they are: the world a run starts from (:func:`sim.market.world.
    build_world`: the scenario tables and the events that change them, the month-0
    population, the social graph), the per-month accounting arrays and the population
    totals that ``mixing: global`` puts in place of ties (:class:`sim.market.loop.
    MonthlyModel`), the counter-based random numbers (:func:`sim.engine.rng.uniform_at`
    under :class:`sim.engine.records.MonthKeys`, so both draw exactly the same numbers)
    and the operators' adaptive pricing rule (:meth:`OperatorAgent.review_prices`, which
    only edits the fee table). Everything a subscriber does, the churn-risk score,
    retention targeting and the accounting are written here again; this module never
    imports ``sim.engine.kernels`` (a test checks that).

How it stays identical to the engine:
    * Synchronous update: an agent reads its ties' month-t ``operator``,
      ``satisfaction``, ``handset_gen`` and ``switched`` and writes ``*_next``; the
      model swaps them only after every agent has acted. Private fields are updated in
      place, as nobody else reads them.
    * Stored floats are float32 in the engine (satisfaction, expectation, trust,
      annoyance, spend, retention discount), arithmetic float64. The reference computes
      in Python floats (float64) and rounds with :func:`f32` exactly where the engine
      stores. Where the engine uses a value before storing it (a stayer's
      satisfaction and trust in the accounting), so does the reference.
    * Same random numbers: ``uniform_at(key, slot)`` under the month's stream keys
      (consider, offer seen, choice, plan choice, migration, recontract); each draw is a pure
      function of (seed, stream, month, slot), so the order of draws cannot matter.
    * Same tie-breaks: the best plan is the first of equal utility (lowest row); the
      logit draw walks operators in index order; retention offers go by risk, then slot.
    * Sums are added subscriber by subscriber in slot order, as the engine adds them
      within one accumulator chunk (16,384 slots). Up to that size the float totals are
      bit-identical; above it the engine adds chunk totals, so the last bits may differ
      (and under ``mixing: global``, whose mean field comes from those sums, a draw
      sitting exactly on a probability could then fall the other way). The tests stay
      below one chunk and compare floats with a 1e-9 tolerance anyway.
    * ``math.exp`` here and numba's ``math.exp`` both end in the C library's ``exp``
      (a platform where they differed would show up in the tests).

    With these, the reference and the engine agree bit for bit on every subscriber
    field and every accumulator, month by month (``tests/test_reference.py``); no
    floating-point tolerance is needed.

Points docs/model.md leaves open, settled here as the kernel settles them:
    * An entrant slot that no operator offers anything stays out and tries again every
      month; it counts among ``entrants`` in the month it finally joins.
    * A switcher keeps its annoyance (raised by the old operator's contacts that month).
    * A migrant keeps its ``bundled`` flag and a running retention offer on its new plan.
    * An operator without coverage for the subscriber's handset stays in the choice set
      (its network quality is then 0); coverage is not an availability filter.
    * Shares of ties (``f_ij``, word of mouth, switched and newer shares) count only ties
      that are in the market.
    * A stayer's satisfaction and trust enter the month's accounting before they are
      rounded to float32, so table means differ from means of stored state in the 8th
      digit; the mean field of ``mixing: global`` is built from those sums.

Read it from :class:`SubscriberAgent` (steps 3-9 of one subscriber, in page order),
then :class:`ReferenceModel` (month 0, steps 1-2, the loop and the reduction).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import mesa
import numpy as np

from sim.engine import layout as L
from sim.engine.graph import Graph
from sim.engine.records import MonthKeys
from sim.engine.rng import uniform_at
from sim.engine.state import PRIVATE_DTYPES, VISIBLE_DTYPES, SubscriberState
from sim.market.loop import MonthlyModel
from sim.market.operators import OperatorAgent
from sim.market.tables import SEGMENT_MULTIPLIERS, BehaviourParams, MarketTables
from sim.scenario import Scenario


def f32(x: float) -> float:
    """``x`` rounded to float32, as the engine stores it; arithmetic stays float64."""
    return float(np.float32(x))


def stored(dtype: np.dtype, value: np.generic) -> float | int | bool:
    """A stored engine value as the plain Python value the reference computes with."""
    if dtype.kind == "f":
        return float(value)
    if dtype.kind == "b":
        return bool(value)
    return int(value)


def logistic(z: float) -> float:
    """``1 / (1 + exp(-z))``, written so that neither branch overflows."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def contract_buyout(plan: PlanTerms, contract_left: int) -> float:
    """What leaving ``plan`` with ``contract_left`` months to go costs (currency).

    docs/model.md step 4: the early-termination fee (times months left / contract
    months when declining), plus ``etf_remaining_fee_share`` x fee x months left, plus
    the unrecovered subsidy (subsidy x months left / contract months); 0 out of contract.
    """
    if contract_left <= 0:
        return 0.0
    cm = plan.contract_months
    money = plan.early_termination_fee
    if plan.etf_declining and cm > 0:
        money *= contract_left / cm
    money += plan.etf_remaining_fee_share * plan.fee * contract_left
    if cm > 0:
        money += plan.subsidy * contract_left / cm
    return money


# --------------------------------------------------------------------------- the market view
class PlanTerms(NamedTuple):
    """One tariff plan as subscribers see it this month."""

    row: int
    operator: int
    fee: float
    onnet_discount: float
    contract_months: int
    early_termination_fee: float
    subsidy: float
    etf_declining: bool
    etf_remaining_fee_share: float
    generation: int
    offered: bool
    bundle: bool
    prepaid: bool
    eligible: tuple[bool, ...]  # by segment


class OperatorView(NamedTuple):
    """One operator as subscribers see it this month."""

    active: bool
    brand: float
    service_quality: float
    reach: float
    contacts: float
    hype: float
    failure_rate: float
    newest_gen: int  # newest generation with coverage > 0 (0: none)
    eff_q: tuple[float, ...]  # network quality for a handset of generation 0..5
    device_availability: tuple[float, ...]  # share finding a handset for its network, by gen
    device_cost: tuple[float, ...]  # that handset's price this month, by generation
    tiers: tuple[tuple[float, float, float], ...]  # (min tenure, min spend, benefit)
    plans: tuple[PlanTerms, ...]


class SegmentView(NamedTuple):
    """A segment's reference price and multipliers this month."""

    reference_price: float
    price_sensitivity: float
    quality_sensitivity: float
    social_influence: float
    innovation: float
    imitation: float
    spend: float
    disconnection: float
    potential: tuple[float, ...]  # market potential of generation 0..5 this month


@dataclass(frozen=True)
class Market:
    """Plain-Python copy of the market tables after this month's events and decisions.

    Attributes:
        ops: operators by index.
        plans: plans by row (rows are grouped by operator).
        segments: segments by index.
        b: behaviour coefficients by their scenario names (``b.lam``, ``b.c_base``...),
            plus ``b.portability`` (number portability on).
        knowledge: ``K_max (1 - exp(-t / tau_K))`` by tenure t.
        retention: per operator (budget per month in agent money, discount, offer months,
            value targeting 1.0 / risk 0.0, budget share, value months, win-back months
            and bonus; ``layout.R_*``) this month.
    """

    ops: list[OperatorView]
    plans: list[PlanTerms]
    segments: list[SegmentView]
    b: BehaviourParams
    knowledge: list[float]
    retention: list[tuple[float, ...]]

    @classmethod
    def from_tables(cls, t: MarketTables) -> Market:
        """Copy the tables (numpy float64 to Python float is exact)."""
        n_seg = t.seg.shape[0]
        plans = [
            PlanTerms(
                row=p,
                operator=int(r[L.P_OPERATOR]),
                fee=float(r[L.P_FEE]),
                onnet_discount=float(r[L.P_ONNET]),
                contract_months=int(r[L.P_CONTRACT]),
                early_termination_fee=float(r[L.P_ETF]),
                subsidy=float(r[L.P_SUBSIDY]),
                etf_declining=bool(r[L.P_ETF_DECLINING] != 0.0),
                etf_remaining_fee_share=float(r[L.P_ETF_SHARE]),
                generation=int(r[L.P_GEN]),
                offered=bool(r[L.P_OFFERED] != 0.0),
                bundle=bool(r[L.P_BUNDLE] != 0.0),
                prepaid=bool(r[L.P_PREPAID] != 0.0),
                eligible=tuple(bool(t.eligible[p, s]) for s in range(n_seg)),
            )
            for p, r in enumerate(t.plans)
        ]
        ops = [
            OperatorView(
                active=bool(o[L.O_ACTIVE] != 0.0),
                brand=float(o[L.O_BRAND]),
                service_quality=float(o[L.O_SERVICE]),
                reach=float(o[L.O_REACH]),
                contacts=float(o[L.O_CONTACTS]),
                hype=float(o[L.O_HYPE]),
                failure_rate=float(o[L.O_FAILURE]),
                newest_gen=int(o[L.O_NEWEST_GEN]),
                eff_q=tuple(t.eff_q[j].tolist()),
                device_availability=tuple(t.dev_avail[j].tolist()),
                device_cost=tuple(t.dev_cost[j].tolist()),
                tiers=tuple(tuple(k) for k in t.tiers[j].tolist()),
                plans=tuple(plans[t.plan_start[j] : t.plan_start[j + 1]]),
            )
            for j, o in enumerate(t.ops)
        ]
        segments = [
            SegmentView(
                reference_price=float(row[L.S_REF]),
                **{name: float(row[col]) for name, col in SEGMENT_MULTIPLIERS.items()},
                potential=tuple(t.potential[s].tolist()),
            )
            for s, row in enumerate(t.seg)
        ]
        return cls(
            ops=ops,
            plans=plans,
            segments=segments,
            b=t.behaviour(),
            knowledge=t.ktab.tolist(),
            retention=[tuple(r) for r in t.retention.tolist()],
        )


class Offer(NamedTuple):
    """An operator's offer to one subscriber in step 6."""

    utility: float
    plan: int  # plan row
    handset_gen: int  # handset generation after taking the plan


class Tally:
    """Step-9 accumulators of one month, per (operator, segment), in plain Python lists.

    ``cohorts[o][k][X_*]`` counts stock, churners and gross adds by cohort (rows
    ``L.K_*``: contract status, tenure band, bundle, loyalty tier).
    """

    def __init__(self, n_ops: int, n_seg: int, n_cohorts: int):
        self.counts = [[[0] * L.N_COUNTS for _ in range(n_seg)] for _ in range(n_ops)]
        self.sums = [[[0.0] * L.N_SUMS for _ in range(n_seg)] for _ in range(n_ops)]
        self.flows = [[0] * n_ops for _ in range(n_ops)]
        self.cohorts = [[[0] * L.N_COHORT_COLS for _ in range(n_cohorts)] for _ in range(n_ops)]

    def count(self, o: int, s: int, column: int) -> None:
        """Add one to a count column (``L.C_*``)."""
        self.counts[o][s][column] += 1

    def add(self, o: int, s: int, column: int, amount: float) -> None:
        """Add an amount to a sum column (``L.F_*``)."""
        self.sums[o][s][column] += amount


# --------------------------------------------------------------------------- a subscriber
class SubscriberAgent(mesa.Agent):
    """One subscriber slot: its state, and steps 3-9 of docs/model.md as methods.

    A slot is in the market when ``operator`` is not None; slots for later market
    entrants exist from the start (with their segment, handset and spend drawn at
    synthesis) and join in index order.

    Attributes visible to ties (month t; ``*_next`` holds month t+1): ``operator``,
    ``satisfaction``, ``handset_gen``, ``switched``. Private: ``plan``, ``segment``,
    ``tenure``, ``contract_left``, ``expectation``, ``trust``, ``annoyance``,
    ``retention_left``, ``retention_discount``, ``bundled``, ``spend`` (individual
    factor), ``expired`` (a contract ran out last month without re-contracting) and
    the rest of :class:`~sim.engine.state.Private` (``left_from`` and ``since_left`` for
    win-backs among them).
    """

    def __init__(self, model: ReferenceModel, slot: int, st: SubscriberState):
        super().__init__(model)
        self.slot = slot
        for name in VISIBLE_DTYPES:  # month t, and month t+1 (``*_next``) alike
            value = stored(VISIBLE_DTYPES[name], getattr(st.now, name)[slot])
            if name == "operator" and value == L.NO_OPERATOR:
                value = None
            setattr(self, name, value)
            setattr(self, f"{name}_next", value)
        for name, dtype in PRIVATE_DTYPES.items():
            setattr(self, name, stored(dtype, getattr(st.private, name)[slot]))
        self.ties: list[SubscriberAgent] = []  # set once every agent exists

    # ------------------------------------------------------------- what the model asks
    def step(self) -> None:
        """One month for this subscriber: steps 3 to 9 of docs/model.md, in order."""
        self.read_ties()
        if self.slot >= self.model.n_active or self.operator is None:
            self.enter()
            return
        if self.disconnect():
            return
        self.experience()
        self.lockin()
        self.consider()
        self.choose()
        self.switch_or_stay()
        self.migrate()
        self.account_month()

    def advance(self) -> None:
        """Make month t+1 current (after every agent has acted)."""
        self.operator = self.operator_next
        self.satisfaction = self.satisfaction_next
        self.handset_gen = self.handset_gen_next
        self.switched = self.switched_next

    # ------------------------------------------------------------- social signals
    def read_ties(self) -> None:
        """Read the ties' month-t state: ``on[j]``, ``wom[j]``, switched and newer shares.

        ``on[j]`` is the share of ties (those in the market) on operator j and
        ``wom[j]`` their mean ``satisfaction - 0.5`` (0 if none). With
        ``network.mixing: global`` all four come from last month's population totals.
        """
        m = self.model
        mf = m.mean_field
        if mf.active:
            self.on, self.wom = mf.shares.tolist(), mf.wom.tolist()
            self.switched_share = float(mf.switched)
            self.newer_share = float(mf.newer[self.handset_gen])
            return
        n_ops = m.n_operators
        on = [0.0] * n_ops
        wom = [0.0] * n_ops
        degree = switched = newer = 0
        for tie in self.ties:
            j = tie.operator
            if j is None:  # an empty slot: a future entrant, or one who stayed out
                continue
            degree += 1
            on[j] += 1.0
            wom[j] += tie.satisfaction - 0.5
            switched += tie.switched
            if tie.handset_gen > self.handset_gen:
                newer += 1
        self.on, self.wom = on, wom
        if degree == 0:
            self.switched_share = self.newer_share = 0.0
            return
        for j in range(n_ops):
            if on[j] > 0.0:
                wom[j] /= on[j]
                on[j] /= degree
        self.switched_share = switched / degree
        self.newer_share = newer / degree

    # ------------------------------------------------------------- helpers of steps 3, 4, 6, 8, 9
    def count_cohorts(self, o: int, column: int) -> None:
        """Count this customer, as it is now, in column ``column`` of its four cohorts.

        Contract status (in contract, month-to-month, prepaid), tenure band
        (``L.TENURE_EDGES``), household bundle, and the loyalty tier of operator o it
        qualifies for (0: none; the tier of the best benefit, first on ties).
        """
        mk = self.model.market
        rows = self.model.tally.cohorts[o]
        if self.contract_left > 0:
            status = 0
        elif mk.plans[self.plan].prepaid:
            status = 2
        else:
            status = 1
        rows[L.K_CONTRACT + status][column] += 1
        band = sum(1 for edge in L.TENURE_EDGES if self.tenure >= edge)
        rows[L.K_TENURE + band][column] += 1
        rows[L.K_BUNDLE + (1 if self.bundled else 0)][column] += 1
        tier, best = 0, 0.0
        for k, (min_tenure, min_spend, benefit) in enumerate(mk.ops[o].tiers):
            if self.tenure >= min_tenure and self.spend_level >= min_spend and benefit > best:
                tier, best = k + 1, benefit
        rows[L.K_TIER + tier][column] += 1

    @property
    def rank(self) -> float:
        """Adoption rank in [0, 1): within a generation's market potential if below it."""
        return self.adopt_rank / L.ADOPT_RANKS

    @property
    def spend_level(self) -> float:
        """Individual spend times the segment's ``spend`` multiplier (the bill factor)."""
        return self.spend * self.model.market.segments[self.segment].spend

    def price(self, plan: PlanTerms, on_share: float, discount: float) -> float:
        """``fee x (1 - onnet_discount x f) x (1 - discount)``."""
        return plan.fee * (1.0 - plan.onnet_discount * on_share) * (1.0 - discount)

    def tier_benefit(self, o: int, tenure: int) -> float:
        """Best ``benefit`` among operator o's loyalty tiers this subscriber qualifies for."""
        best = 0.0
        spend = self.spend_level
        for min_tenure, min_spend, benefit in self.model.market.ops[o].tiers:
            if tenure >= min_tenure and spend >= min_spend and benefit > best:
                best = benefit
        return best

    def perceived_value(self, o: int, g: int, price: float, tenure: int) -> float:
        """``value = w_q (q + service_quality) - w_p price / ref + tier_benefit``."""
        mk = self.model.market
        op, b = mk.ops[o], mk.b
        q = op.eff_q[g] + op.service_quality
        ref = mk.segments[self.segment].reference_price
        return b.w_quality * q - b.w_price * price / ref + self.tier_benefit(o, tenure)

    def lockin_terms(
        self, plan: PlanTerms, contract_left: int, tenure: int, trust: float, bundled: bool
    ) -> tuple[float, float, float]:
        """Step 4's (economic, knowledge, emotional) lock-in for a given state."""
        mk = self.model.market
        b, seg = mk.b, mk.segments[self.segment]
        money = contract_buyout(plan, contract_left)
        if not b.portability:
            money += b.number_change_cost
        if bundled:
            money += b.bundle_cost
        economic = seg.price_sensitivity * money / seg.reference_price
        knowledge = mk.knowledge[min(tenure, len(mk.knowledge) - 1)]
        return economic, knowledge, trust

    def plan_utility(
        self, j: int, plan: PlanTerms, discount: float, new_contract: bool
    ) -> tuple[float, int]:
        """Plan part of ``U_ij`` and the handset generation after taking the plan.

        ``price_sens beta_price price/ref + [gen_p > g] (innovation beta_tech + price_sens
        beta_subsidy (subsidy - handset price)/ref for a new contract) + quality_sens
        beta_quality (eff_q[g'] + service_quality)``; a new contract on a plan of a newer
        generation buys its handset at the device market's price, net of the subsidy,
        and upgrades (``g'``).
        """
        mk = self.model.market
        b, seg, op = mk.b, mk.segments[self.segment], mk.ops[j]
        g = self.handset_gen
        ref = seg.reference_price
        price = self.price(plan, self.on[j], discount)
        g_after = g
        u = seg.price_sensitivity * b.beta_price * price / ref
        if plan.generation > g:
            u += seg.innovation * b.beta_tech
            if new_contract:
                net = plan.subsidy - op.device_cost[plan.generation]
                u += seg.price_sensitivity * b.beta_subsidy * net / ref
                g_after = plan.generation
        u += seg.quality_sensitivity * b.beta_quality * (op.eff_q[g_after] + op.service_quality)
        return u, g_after

    def handset_access(self, j: int, generation: int) -> float:
        """Log-weight of getting a handset of ``generation`` for operator j's network.

        ``mu log(availability)``: availability multiplies the logit weight of a plan that
        needs the handset. ``-inf`` when no handset is available, or when the
        subscriber's adoption rank is not below the segment's market potential for that
        generation (it is not among those who will ever adopt it).
        """
        mk = self.model.market
        if self.rank >= mk.segments[self.segment].potential[generation]:
            return -math.inf
        a = mk.ops[j].device_availability[generation]
        if a <= 0.0:
            return -math.inf
        return mk.b.mu * math.log(a)

    def best_plan(self, j: int, only_gen: int = 0) -> Offer | None:
        """Operator j's offer to this subscriber: a plan and the operator's value.

        Plans considered: offered, open to the segment, of generation ``only_gen`` if
        given (technology migration). Each is valued as a new contract, a plan needing a
        new handset with its :meth:`handset_access`; a plan whose handset cannot be had
        (-inf) is no offer. With ``plan_mu = 0`` the offer is the plan of highest
        utility (first row on ties). With ``plan_mu > 0`` the plans are a nest: the
        operator is worth the inclusive value ``max + plan_mu log sum_p exp((u_p -
        max) / plan_mu)`` and the plan is drawn from the logit weights by inverse CDF
        with this month's plan-choice number, rows in order.
        """
        mk = self.model.market
        options: list[Offer] = []
        for plan in mk.ops[j].plans:
            if not plan.offered or not plan.eligible[self.segment]:
                continue
            if only_gen > 0 and plan.generation != only_gen:
                continue
            u, g_after = self.plan_utility(j, plan, 0.0, True)
            if g_after > self.handset_gen:
                u += self.handset_access(j, g_after)
            if u > -math.inf:
                options.append(Offer(u, plan.row, g_after))
        if not options:
            return None
        best = options[0]
        for offer in options[1:]:
            if offer.utility > best.utility:
                best = offer
        mu = mk.b.plan_mu
        if mu == 0.0:
            return best
        weights = [math.exp((o.utility - best.utility) / mu) for o in options]
        total = 0.0
        for w in weights:
            total += w
        target = uniform_at(self.model.keys.plan_choice, self.slot) * total
        acc = 0.0
        chosen = options[-1]
        for offer, w in zip(options, weights, strict=True):
            acc += w
            if target < acc:
                chosen = offer
                break
        return chosen._replace(utility=best.utility + mu * math.log(total))

    def logit_choice(self, own: int | None, lock: float, back: int | None = None) -> int | None:
        """Multinomial-logit pick among the available operators; fills ``self.offers``.

        The own operator (None for a market entrant) is valued with the current plan and
        retention discount and no lock-in; every other active operator with its best
        plan, minus the lock-in; the former operator making a win-back offer (``back``)
        gains its win-back bonus. The choice draw picks by inverse CDF over operators in
        index order. Returns the chosen operator (``own`` if nothing is available).
        """
        m = self.model
        mk = m.market
        b, seg = mk.b, mk.segments[self.segment]
        self.offers: dict[int, Offer] = {}
        for j, op in enumerate(mk.ops):
            if j == own:
                u, g_after = self.plan_utility(j, mk.plans[self.plan], self.discount, False)
                offer = Offer(u, self.plan, g_after)
            else:
                if not op.active:
                    continue
                best = self.best_plan(j)
                if best is None:
                    continue
                offer = best._replace(utility=best.utility - lock)
            social = seg.social_influence * (b.beta_social * self.on[j] + b.beta_wom * self.wom[j])
            utility = offer.utility + (op.brand + social)
            if j == self.advertiser:  # the offer seen this month makes its operator salient
                utility += b.beta_marketing
            if j == back:
                utility += mk.retention[j][L.R_WINBACK_BONUS]
            self.offers[j] = offer._replace(utility=utility)
        if not self.offers:
            return own
        u_max = max(offer.utility for offer in self.offers.values())
        weight = {j: math.exp((o.utility - u_max) / b.mu) for j, o in self.offers.items()}
        total = 0.0
        for j in sorted(weight):
            total += weight[j]
        target = uniform_at(m.keys.choice, self.slot) * total
        acc = 0.0
        last = own
        for j in sorted(weight):
            if weight[j] > 0.0:
                acc += weight[j]
                last = j
                if target < acc:
                    return j
        return last

    # ------------------------------------------------------------- market exit, steps 3 to 9
    def disconnect(self) -> bool:
        """Market exit, before step 3: does this customer leave the market this month?

        docs/model.md: the monthly hazard is ``disconnect_contract`` inside a contract,
        else ``disconnect_prepaid`` on a prepaid plan or ``disconnect_month_to_month``,
        plus ``disconnect_life_event``, times the segment's ``disconnection`` multiplier
        (capped at 1). A leaver's slot is empty from next month (``away`` counts the
        months since), and it counts among the operator's churners and disconnections.
        """
        m = self.model
        mk = m.market
        b = mk.b
        if self.contract_left > 0:
            hazard = b.disconnect_contract
        elif mk.plans[self.plan].prepaid:
            hazard = b.disconnect_prepaid
        else:
            hazard = b.disconnect_month_to_month
        p = min(1.0, mk.segments[self.segment].disconnection * (hazard + b.disconnect_life_event))
        if not (p > 0.0 and uniform_at(m.keys.disconnect, self.slot) < p):
            return False
        self.count_cohorts(self.operator, L.X_CHURN)
        self.stay_out()
        self.away = 1
        self.contract_left = 0
        self.retention_left = 0
        self.expired = 0
        self.left_from = L.NO_OPERATOR  # out of the market: no rival to win back from
        m.tally.count(self.operator, self.segment, L.C_CHURN)
        m.tally.count(self.operator, self.segment, L.C_DISCONNECT)
        return True

    def stay_out(self) -> None:
        """Next month this slot is empty (it keeps its handset)."""
        self.operator_next = None
        self.handset_gen_next = self.handset_gen
        self.satisfaction_next = 0.0
        self.switched_next = 0

    def experience(self) -> None:
        """Step 3, experience and satisfaction.

        docs/model.md: "network quality q = cov_g * perf_g + (1 - cov_g) * q_fallback ...
        times (1 - outage); value = w_q*(q + service_quality_o) - w_p*price_io/ref_price_s
        + tier_benefit; disconfirmation d = value - expectation; satisfaction <-
        (1-lam)*satisfaction + lam*clip(0.5 + d, 0, 1) - annoyance_penalty [x annoyance,
        then clipped to [0, 1]]; expectation <- expectation + kappa*(value - expectation);
        trust <- (1-delta)*trust + theta_up*max(d - eps, 0) - theta_down*max(-d - eps, 0),
        clipped at 0." v2: a service failure (probability ``failure_rate`` of the
        operator, this month's failure draw) also takes ``failure_satisfaction_loss``
        from satisfaction and ``failure_trust_loss`` from trust, and adds one to the
        recent failures, ``failures <- (1 - failure_decay) * failures + [failure]``.

        The new satisfaction, expectation, trust and failures are kept aside (``*_new``):
        a stayer stores them in step 7, a switcher starts afresh instead.
        """
        m = self.model
        mk = m.market
        b = mk.b
        o = self.operator
        rate = mk.ops[o].failure_rate
        failed = rate > 0.0 and uniform_at(m.keys.failure, self.slot) < rate
        fail = 1.0 if failed else 0.0
        if failed:
            m.tally.count(o, self.segment, L.C_FAILURES)
        self.failures_new = (1.0 - b.failure_decay) * self.failures + fail
        self.discount = self.retention_discount if self.retention_left > 0 else 0.0
        price = self.price(mk.plans[self.plan], self.on[o], self.discount)
        value = self.perceived_value(o, self.handset_gen, price, self.tenure)
        d = value - self.expectation
        sat = (1.0 - b.lam) * self.satisfaction + b.lam * min(1.0, max(0.0, 0.5 + d))
        sat -= b.annoyance_penalty * self.annoyance + b.failure_satisfaction_loss * fail
        self.satisfaction_new = min(1.0, max(0.0, sat))
        self.expectation_new = self.expectation + b.kappa * (value - self.expectation)
        trust = (1.0 - b.delta) * self.trust + b.theta_up * max(d - b.eps, 0.0)
        trust -= b.theta_down * max(-d - b.eps, 0.0) + b.failure_trust_loss * fail
        self.trust_new = max(0.0, trust)

    def lockin(self) -> None:
        """Step 4, lock-in in utility units, ``L = L_econ + L_know + L_emo``.

        docs/model.md: "economic: remaining early-termination fee and unrecovered handset
        subsidy (etf*[contract_left>0] + subsidy*contract_left/contract_months, over ref
        price), plus number_change_cost unless number portability is on, plus bundle_cost
        for a household bundle ...; knowledge: K_max*(1 - exp(-tenure/tau_K)); emotional:
        trust" (the trust just updated in step 3; money scaled by price sensitivity).
        """
        econ, know, emo = self.lockin_terms(
            self.model.market.plans[self.plan],
            self.contract_left,
            self.tenure,
            self.trust_new,
            self.bundled,
        )
        self.lock = econ + know + emo

    def consider(self) -> None:
        """Step 5, consideration (and annoyance from the own operator's contacts).

        docs/model.md: "a subscriber considers switching this month with probability
        clip(c_base + c_dissat*max(0, s_thr - satisfaction) + c_expiry*[contract just
        ended] + c_market*[saw a competitor's offer] + c_social*(share of ties that
        switched last month), 0, 1). A competitor's offer is seen with that competitor's
        marketing_reach. Contacts from the own operator beyond annoyance_tolerance raise
        annoyance."

        As implemented: the offer is seen with ``1 - prod_{j != o}(1 - reach_j)`` over
        active operators, in one draw; ``c_social`` is scaled by social influence.
        """
        m = self.model
        mk = m.market
        b, seg = mk.b, mk.segments[self.segment]
        o = self.operator
        excess = max(0.0, mk.ops[o].contacts - b.annoyance_tolerance)
        self.annoyance = f32((1.0 - b.annoyance_decay) * self.annoyance + b.annoyance_rate * excess)
        saw_offer = 1.0 if self.see_offer(o) else 0.0
        p = (
            b.c_base
            + b.c_dissat * max(0.0, b.s_thr - self.satisfaction_new)
            + b.c_expiry * self.expired
            + b.c_market * saw_offer
            + b.c_social * seg.social_influence * self.switched_share
            + b.c_failure * self.failures_new * self.failures_new
        )
        p = min(1.0, max(0.0, p))
        self.considering = uniform_at(m.keys.consider, self.slot) < p
        if self.considering:
            m.tally.count(o, self.segment, L.C_CONSIDER)

    def see_offer(self, own: int | None) -> bool:
        """Did a rival's offer reach this subscriber this month? Sets ``self.advertiser``.

        Seen with ``1 - prod_{j != own}(1 - reach_j)`` over active operators (one draw);
        with ``beta_marketing`` on, whose offer it was is drawn among those rivals in
        proportion to their reach (the advertiser, None if not seen).
        """
        m = self.model
        mk = m.market
        miss = 1.0
        for j, op in enumerate(mk.ops):
            if j != own and op.active:
                miss *= 1.0 - op.reach
        saw = uniform_at(m.keys.offer_seen, self.slot) < 1.0 - miss
        self.advertiser = None
        if saw and mk.b.beta_marketing != 0.0:
            rivals = [(j, op.reach) for j, op in enumerate(mk.ops) if j != own and op.active]
            total = 0.0
            for _, reach in rivals:
                total += reach
            target = uniform_at(m.keys.advertiser, self.slot) * total
            acc = 0.0
            for j, reach in rivals:
                if reach > 0.0:
                    acc += reach
                    if target < acc:
                        self.advertiser = j
                        break
        return saw

    def choose(self) -> None:
        """Step 6, choice among operators (only for those who consider).

        docs/model.md: "U_ij = brand_j + beta_p*price_ij/ref_s + beta_sub*subsidy_ij/ref_s*
        [needs handset] + beta_q*quality_ij + beta_soc*f_ij + beta_wom*wom_ij +
        beta_tech*[gen_j > handset_gen_i] - L_i*[j != o] ... Pick j with
        multinomial-logit probability softmax(U_i / mu)."

        Rivals offer their best plan open to the segment; the own operator the current
        plan (even if withdrawn) with the retention discount. Sets ``self.choice``.
        """
        self.choice = self.operator
        self.back = self.winback_offer()
        if self.considering:
            self.choice = self.logit_choice(self.operator, self.lock, self.back)

    def winback_offer(self) -> int | None:
        """The former operator that offers this customer a win-back, if any.

        docs/model.md, win-backs: a customer who switched away from operator k less than
        k's ``winback_months`` ago (and was not won back since) gets k's offer while k is
        in the market.
        """
        k = self.left_from
        if k == L.NO_OPERATOR or k == self.operator or not self.model.market.ops[k].active:
            return None
        return k if self.since_left < self.model.market.retention[k][L.R_WINBACK_MONTHS] else None

    def switch_or_stay(self) -> None:
        """Step 7, switch or stay.

        docs/model.md: "on a switch: operator and plan change, tenure = 0, contract_left
        = contract_months, handset upgraded to the plan's generation when the plan
        subsidises one, trust = trust_0, satisfaction = sat_0, expectation = value_j +
        hype_j, retention cleared. On staying: tenure += 1, contract_left -= 1 (floor 0);
        at expiry the subscriber re-contracts with recontract_prob or goes
        month-to-month."
        """
        m = self.model
        o, s = self.operator, self.segment
        if self.choice != o:
            j = self.choice
            buyout = contract_buyout(m.market.plans[self.plan], self.contract_left)
            bought_out = self.contract_left > 0
            self.count_cohorts(o, L.X_CHURN)
            self.join(j, self.offers[j])
            self.since_left = 0
            if j == self.back:  # won back: the programme's discount from next month
                m.tally.count(j, s, L.C_WINBACKS)
                terms = m.market.retention[j]
                self.retention_left = int(terms[L.R_OFFER_MONTHS])
                self.retention_discount = f32(terms[L.R_DISCOUNT])
                self.left_from = L.NO_OPERATOR
            else:
                self.left_from = o
            self.count_cohorts(j, L.X_ADDS)
            self.switched_next = 1
            m.tally.count(o, s, L.C_CHURN)
            m.tally.count(o, s, L.C_SWITCH_OUT)
            if m.market.b.portability:
                m.tally.count(o, s, L.C_PORTED)  # a switch that kept its number
            m.tally.count(j, s, L.C_ADDS)
            m.tally.count(j, s, L.C_SWITCH_IN)
            m.tally.flows[o][j] += 1
            if bought_out:  # left inside a contract: paid the buy-out
                m.tally.count(o, s, L.C_BUYOUT)
                m.tally.add(o, s, L.F_BUYOUT, buyout)
            return
        b = m.market.b
        self.operator_next = o
        self.switched_next = 0
        self.satisfaction_next = f32(self.satisfaction_new)
        self.expectation = f32(self.expectation_new)
        self.trust = f32(self.trust_new)
        self.failures = f32(self.failures_new)
        self.tenure = min(self.tenure + 1, 65535)  # uint16 in the engine
        self.since_left = min(self.since_left + 1, 255)  # uint8 in the engine
        self.retention_left = max(self.retention_left - 1, 0)
        ended = 0
        if self.contract_left > 0:
            self.contract_left -= 1
            if self.contract_left == 0:
                if uniform_at(m.keys.recontract, self.slot) < b.recontract_prob:
                    self.contract_left = m.market.plans[self.plan].contract_months
                else:
                    ended = 1
        self.expired = ended

    def join(self, j: int, offer: Offer) -> None:
        """Take operator j's offered plan (a switch, or a market entry).

        Also, as implemented: ``bundled`` becomes whether the new plan is a household
        bundle, and the operator pays the plan's subsidy if the handset is upgraded.
        """
        m = self.model
        mk = m.market
        plan = mk.plans[offer.plan]
        old_gen = self.handset_gen
        self.operator_next = j
        self.plan = offer.plan
        self.handset_gen_next = offer.handset_gen
        self.tenure = 0
        self.contract_left = plan.contract_months
        self.trust = f32(mk.b.trust_0)
        self.satisfaction_next = f32(mk.b.sat_0)
        price = self.price(plan, self.on[j], 0.0)
        value = self.perceived_value(j, offer.handset_gen, price, 0)
        self.expectation = f32(value + mk.ops[j].hype)
        self.retention_left = 0
        self.bundled = plan.bundle
        self.expired = 0
        self.away = 0
        self.failures = 0.0
        if offer.handset_gen > old_gen:
            m.tally.add(j, self.segment, L.F_SUBSIDY, plan.subsidy)

    def migrate(self) -> None:
        """Step 8, technology migration with the same operator (stayers only).

        docs/model.md: a subscriber whose handset is older than the operator's newest
        covered generation, and who is within the segment's market potential for it,
        upgrades with probability ``(p_s + q_s F_i) * a * 2 logistic(beta_migration *
        gain) + beta_migration_subsidy * subsidy / ref_s``: the Bass pull times the binary
        logit of upgrading against staying (the Generalized Bass Model's current
        effort), scaled to 1 at indifference, where ``a`` is the device market's handset
        availability and ``gain`` the utility of the operator's best plan of that
        generation (a new contract, its handset bought net of the subsidy, the new
        network) less that of staying on the current plan and handset.

        The migrant takes that plan with a new contract (the operator pays the
        subsidy), or keeps the plan if there is none (then ``gain`` is 0).
        """
        if self.choice != self.operator:
            return
        m = self.model
        mk = m.market
        b, seg = mk.b, mk.segments[self.segment]
        o, g = self.operator, self.handset_gen
        self.handset_gen_next = g
        newest = mk.ops[o].newest_gen
        if g < newest and self.rank < seg.potential[newest]:
            offer = self.best_plan(o, only_gen=newest)
            subsidy = gain = 0.0
            if offer is not None:
                subsidy = mk.plans[offer.plan].subsidy
                up, _ = self.plan_utility(o, mk.plans[offer.plan], 0.0, True)
                stay, _ = self.plan_utility(o, mk.plans[self.plan], self.discount, False)
                gain = up - stay
            upgrade = logistic(b.beta_migration * gain)
            pull = (
                seg.innovation * b.p_innovation + seg.imitation * b.q_imitation * self.newer_share
            )
            choice = mk.ops[o].device_availability[newest] * (2.0 * upgrade)
            p = pull * choice + b.beta_migration_subsidy * subsidy / seg.reference_price
            if uniform_at(m.keys.migration, self.slot) < p:
                self.handset_gen_next = newest
                m.tally.count(o, self.segment, L.C_MIGRATIONS)
                if offer is not None:
                    self.plan = offer.plan
                    self.contract_left = mk.plans[offer.plan].contract_months
                    self.expired = 0
                    m.tally.add(o, self.segment, L.F_SUBSIDY, subsidy)

    def account_month(self) -> None:
        """Step 9, accounting of this subscriber's end-of-month levels.

        A switcher is counted at the new operator with its fresh state and no discount;
        a stayer with the satisfaction and trust computed this month (before float32
        storage, as the engine does) and the discount that applied this month.
        """
        mk = self.model.market
        plan = mk.plans[self.plan]
        if self.choice != self.operator:
            j = self.choice
            terms = self.lockin_terms(plan, self.contract_left, 0, self.trust, self.bundled)
            self.account(j, self.satisfaction_next, terms, 0.0)
            return
        terms = self.lockin_terms(
            plan, self.contract_left, self.tenure, self.trust_new, self.bundled
        )
        self.account(self.operator, self.satisfaction_new, terms, self.discount)

    def account(
        self, o: int, satisfaction: float, lock: tuple[float, float, float], discount: float
    ) -> None:
        """Add one customer of operator o to step 9's tallies.

        docs/model.md: "revenue is what customers pay (after retention discounts);
        retention_cost is the discount given"; the bill is ``price x spend level``.
        """
        tally, s = self.model.tally, self.segment
        self.count_cohorts(o, L.X_SUBS)  # the end-of-month state: plan, contract, tenure
        tally.count(o, s, L.C_SUBS)
        tally.count(o, s, L.C_GEN2 + self.handset_gen_next - 2)
        list_price = self.price(self.model.market.plans[self.plan], self.on[o], 0.0)
        list_price *= self.spend_level
        tally.add(o, s, L.F_REVENUE, list_price * (1.0 - discount))
        tally.add(o, s, L.F_RETENTION, list_price * discount)
        tally.add(o, s, L.F_SAT, satisfaction)
        tally.add(o, s, L.F_L_ECON, lock[0])
        tally.add(o, s, L.F_L_KNOW, lock[1])
        tally.add(o, s, L.F_L_EMO, lock[2])

    def enter(self) -> None:
        """Market entry: an empty slot picks an operator by the same logit, no lock-in.

        docs/model.md: "new subscribers are activated from pre-allocated capacity at
        population.entry_per_month and choose an operator with the same logit, without
        lock-in." A slot no operator offers anything stays out (and tries again next
        month, as the engine does). A customer who left the market (``away > 0``) comes
        back, as a new line, only with ``reentry_prob`` a month.
        """
        m = self.model
        b = m.market.b
        if self.slot < m.n_active and self.away > 0:
            back = b.reentry_prob > 0.0 and uniform_at(m.keys.reentry, self.slot) < b.reentry_prob
            if not back:
                self.away = min(self.away + 1, 255)  # uint8 in the engine
                self.stay_out()
                return
        self.discount = 0.0
        self.advertiser = None
        if b.beta_marketing != 0.0:
            self.see_offer(None)
        self.choice = self.logit_choice(None, 0.0)
        if self.choice is None:
            self.stay_out()
            return
        j, s = self.choice, self.segment
        offer = self.offers[j]
        self.join(j, offer)
        self.count_cohorts(j, L.X_ADDS)
        self.annoyance = 0.0
        self.switched_next = 0
        m.tally.count(j, s, L.C_ADDS)
        m.tally.count(j, s, L.C_ENTRANTS)
        terms = self.lockin_terms(
            m.market.plans[self.plan], self.contract_left, 0, self.trust, self.bundled
        )
        self.account(j, self.satisfaction_next, terms, 0.0)

    # ------------------------------------------------------------- month 0 and step 2
    def census(self) -> None:
        """Month 0: expectation starts at the value perceived now; count the levels."""
        self.read_ties()
        mk = self.model.market
        o = self.operator
        self.discount = self.retention_discount if self.retention_left > 0 else 0.0
        price = self.price(mk.plans[self.plan], self.on[o], self.discount)
        self.expectation = f32(self.perceived_value(o, self.handset_gen, price, self.tenure))
        self.handset_gen_next = self.handset_gen
        terms = self.lockin_terms(
            mk.plans[self.plan], self.contract_left, self.tenure, self.trust, self.bundled
        )
        self.account(o, self.satisfaction, terms, self.discount)

    def churn_risk(self) -> float:
        """Step 2's risk score, from month-t state.

        docs/model.md: "risk = w_sat*(1-sat) + w_exp*[contract ends within 2 months] +
        w_soc*switched_ties" (switched_ties: share of ties that switched last month).
        """
        self.read_ties()
        b = self.model.market.b
        ending = 1.0 if 0 < self.contract_left <= 2 else 0.0
        return (
            b.risk_w_satisfaction * (1.0 - self.satisfaction)
            + b.risk_w_expiry * ending
            + b.risk_w_social * self.switched_share
        )


# --------------------------------------------------------------------------- operators
class ReferenceOperator(OperatorAgent):
    """An operator: adaptive pricing as in the engine, retention targeting restated."""

    def make_retention_offers(self, risk: dict[int, float]) -> int:
        """Step 2, retention targeting; returns the number of offers made.

        docs/model.md: "Candidates are the operator's customers without a running offer.
        They are ranked by risk (ties to the lower slot, deterministic) and offered in
        that order while the cumulative cost discount x fee x offer_months fits the
        month's budget. An offer sets retention_left = offer_months and the subscriber's
        own retention_discount."

        v2: with ``targeting: value`` candidates are ranked by the expected value saved,
        ``leave x margin x bill x value_months - discount x bill x offer_months`` (bill =
        fee x spend level; ``leave = min(1, risk / mean risk of the operator's customers
        x last month's churn x offer_months)``), only where positive, and an offer costs
        ``discount x bill x offer_months``. With ``budget_share`` at most that share of
        the operator's customers (rounded down) get an offer; a budget of 0 then sets no
        money limit. The budget is real money, divided by ``represents / size``.
        """
        m = self.model
        terms = m.market.retention[self.row][: L.R_WINBACK_MONTHS]
        budget, discount, months, by_value, share, value_months = terms
        if (budget <= 0 and share <= 0) or discount <= 0 or not m.market.ops[self.row].active:
            return 0
        mine = [a for a in m.customers() if a.operator == self.row]
        candidates = [a for a in mine if a.retention_left == 0]
        cap = int(share * len(mine)) if share > 0 else len(candidates)
        cost: dict[int, float] = {}
        if by_value:
            # the score's level set by last month's churn (numpy's mean, as the engine's)
            last = m.month
            subs = int(m.counts[last - 1, self.row, :, L.C_SUBS].sum()) if last >= 1 else 0
            churn = int(m.counts[last, self.row, :, L.C_CHURN].sum()) / subs if subs > 0 else 0.0
            mean = float(np.array([risk[a.slot] for a in mine]).mean()) if mine else 0.0
            scale = churn * months / mean if mean > 0.0 else 0.0
            margin = m.spec.economics.margin
            saved: dict[int, float] = {}
            for a in candidates:
                bill = m.market.plans[a.plan].fee * a.spend_level
                cost[a.slot] = discount * bill * months
                leave = min(1.0, risk[a.slot] * scale)
                saved[a.slot] = leave * (margin * bill * value_months) - cost[a.slot]
            candidates = [a for a in candidates if saved[a.slot] > 0.0]
            candidates.sort(key=lambda a: (-saved[a.slot], a.slot))
        else:
            for a in candidates:
                cost[a.slot] = discount * m.market.plans[a.plan].fee * months
            candidates.sort(key=lambda a: (-risk[a.slot], a.slot))
        committed = 0.0
        made = 0
        for agent in candidates[:cap]:
            committed += cost[agent.slot]
            if budget > 0 and committed > budget:
                break
            agent.retention_left = int(months)
            agent.retention_discount = f32(discount)
            made += 1
        self.offers_made += made
        return made


# --------------------------------------------------------------------------- the model
class ReferenceModel(MonthlyModel):
    """The market with one :class:`SubscriberAgent` per slot; same surface as MarketModel.

    ``counts``, ``sums``, ``flows`` and ``offers`` have the shapes and dtypes of
    :class:`sim.market.model.MarketModel`'s, so :func:`sim.results.model_tables` reads
    either.

    Args:
        spec: the validated scenario.
        seed: the seed of this replication.
        graph: a prebuilt social graph over all slots (default: built from the spec).
        check_invariants: accepted for the MarketModel signature; not used here.
    """

    def __init__(
        self,
        spec: Scenario,
        *,
        seed: int,
        graph: Graph | None = None,
        check_invariants: bool = False,
    ):
        super().__init__(spec, seed=seed, graph=graph)
        t0 = time.perf_counter()
        initial = self.world.state
        initial.reserve(initial.capacity)  # one agent per slot, entrants included
        self.n_active = initial.n_active
        self.subscribers = [SubscriberAgent(self, i, initial) for i in range(initial.capacity)]
        indptr, indices = self.graph.indptr.tolist(), self.graph.indices.tolist()
        for i, agent in enumerate(self.subscribers):
            agent.ties = [self.subscribers[k] for k in indices[indptr[i] : indptr[i + 1]]]
        self.timings["synthesis"] += time.perf_counter() - t0

        self.operator_agents = [
            ReferenceOperator(self, j, op.name, op.adaptive_pricing)
            for j, op in enumerate(spec.all_operators())
        ]
        self.n_operators = self.tables.n_operators

        # month 0: the census (expectations start at the perceived value)
        self.market = Market.from_tables(self.tables)
        self.tally = Tally(self.n_operators, len(self.tables.segment_names), self.cohorts.shape[2])
        for agent in self.customers():
            agent.census()
        self.close_month(0)

    # ------------------------------------------------------------- reporting
    def customers(self) -> list[SubscriberAgent]:
        """Subscribers in the market, in slot order."""
        return [a for a in self.subscribers[: self.n_active] if a.operator is not None]

    def customer_risk(self, j: int) -> np.ndarray:
        """Operator ``j``'s customers' ``SubscriberAgent.churn_risk``, in slot order."""
        return np.array([a.churn_risk() for a in self.customers() if a.operator == j])

    @property
    def state(self) -> SubscriberState:
        """A snapshot of every slot as the engine's arrays (read-only use: tests, sizes)."""
        st = SubscriberState.allocate(len(self.subscribers))
        st.n_active = self.n_active
        for i, a in enumerate(self.subscribers):
            for name in VISIBLE_DTYPES:
                value = getattr(a, name)
                if name == "operator" and value is None:
                    value = L.NO_OPERATOR
                getattr(st.now, name)[i] = getattr(st.nxt, name)[i] = value
            for name in PRIVATE_DTYPES:
                getattr(st.private, name)[i] = getattr(a, name)
        return st

    # ------------------------------------------------------------- the month
    def step(self) -> None:
        """Advance one month in the order of docs/model.md."""
        t = self.month + 1
        # step 1: events change the tables
        tick = self._apply_events(t, time.perf_counter())

        # step 2: operator decisions
        self.operator_decisions(t)
        tick = self._lap("decisions", tick)

        # steps 3-9: every subscriber slot, entrants included, in slot order
        self.keys = MonthKeys.for_month(self.seed, t)
        self.tally = Tally(self.n_operators, len(self.tables.segment_names), self.cohorts.shape[2])
        n_after = self.n_active + int(self.entrants[t])
        for agent in self.subscribers[:n_after]:
            agent.step()
        tick = self._lap("subscribers", tick)

        self.close_month(t)
        self.n_active = n_after
        for agent in self.subscribers[:n_after]:
            agent.advance()
        self.month = t
        self._update_mean_field()
        self._lap("accounting", tick)

    def operator_decisions(self, t: int) -> None:
        """Step 2: price reviews, then retention offers on one shared risk score.

        docs/model.md: "adaptive pricing rule if configured; retention targeting — score
        every customer's churn risk ..., pick the highest-risk customers up to the
        programme's monthly budget (deterministic top-k)".
        """
        shares = self.shares(t - 1)
        for op in self.operator_agents:
            op.review_prices(t, float(shares[op.row]))
        self.market = Market.from_tables(self.tables)  # fees may have changed
        if not any(
            (r[0] > 0 or r[4] > 0) and self.market.ops[j].active
            for j, r in enumerate(self.market.retention)
        ):
            return
        risk = {a.slot: a.churn_risk() for a in self.customers()}
        for op in self.operator_agents:
            self.offers[t, op.row] = op.make_retention_offers(risk)

    def close_month(self, t: int) -> None:
        """Step 9's per-month tables from this month's tally."""
        self.counts[t] = np.array(self.tally.counts, dtype=np.int64)
        self.sums[t] = np.array(self.tally.sums, dtype=np.float64)
        self.flows[t] = np.array(self.tally.flows, dtype=np.int64)
        self.cohorts[t] = np.array(self.tally.cohorts, dtype=np.int64)
