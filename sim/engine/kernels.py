"""The numba kernels of one month (docs/model.md steps 3-9) and the month-0 census.

One fused pass over subscribers does steps 3-8 for each of them: it reads the state of
month t (``now``; neighbours only from it), writes month t+1 (neighbour-visible fields
into ``nxt``, private fields in place) and adds the step-9 accounting into per-chunk
accumulators. Chunks have a fixed size (:data:`~sim.engine.layout.CHUNK`), so sums are
added in the same order whatever the thread count: results are bit-identical on 1 or 32
threads.

Kernels take named records (:mod:`sim.engine.records`, :class:`~sim.engine.state.Visible`,
:class:`~sim.engine.state.Private`, :class:`~sim.engine.graph.Ties`) and the behaviour
record ``beh``, whose fields are the scenario's ``behaviour`` names (``beh.lam``,
``beh.c_base``) plus ``beh.portability``. Each step is a small helper named after the
step in docs/model.md, so the kernel reads like the model page; the Mesa reference
(``sim/reference.py``) mirrors them. All arithmetic is float64; stored state is float32.
"""

import math

import numba
import numpy as np

from sim.engine.layout import (
    ADOPT_RANKS,
    C_ADDS,
    C_BUYOUT,
    C_CHURN,
    C_CONSIDER,
    C_DISCONNECT,
    C_ENTRANTS,
    C_FAILURES,
    C_GEN2,
    C_MIGRATIONS,
    C_PORTED,
    C_SUBS,
    C_SWITCH_IN,
    C_SWITCH_OUT,
    C_WINBACKS,
    CHUNK,
    F_BUYOUT,
    F_L_ECON,
    F_L_EMO,
    F_L_KNOW,
    F_RETENTION,
    F_REVENUE,
    F_SAT,
    F_SUBSIDY,
    K_BUNDLE,
    K_CONTRACT,
    K_TENURE,
    K_TIER,
    NO_OPERATOR,
    O_ACTIVE,
    O_BRAND,
    O_CONTACTS,
    O_FAILURE,
    O_HYPE,
    O_NEWEST_GEN,
    O_REACH,
    O_SERVICE,
    P_BUNDLE,
    P_CONTRACT,
    P_ETF,
    P_ETF_DECLINING,
    P_ETF_SHARE,
    P_FEE,
    P_GEN,
    P_OFFERED,
    P_ONNET,
    P_PREPAID,
    P_SUBSIDY,
    R_DISCOUNT,
    R_OFFER_MONTHS,
    R_WINBACK_BONUS,
    R_WINBACK_MONTHS,
    S_DISCONNECT,
    S_IMIT,
    S_INNOV,
    S_PRICE,
    S_QUALITY,
    S_REF,
    S_SOCIAL,
    S_SPEND,
    TENURE_EDGES,
    X_ADDS,
    X_CHURN,
    X_SUBS,
)
from sim.engine.prefetch import prefetch
from sim.engine.records import Scratch
from sim.engine.rng import uniform_at
from sim.engine.state import Private, Visible
from sim.engine.tiecounts import count_columns, counted_own, counted_signals, tally_ties

_JIT = {"cache": True, "nogil": True}
_INLINE = {"cache": True, "inline": "always"}  # small per-subscriber helpers
_CALL = {"cache": True}  # larger helpers, called
# Called helpers that allocate nothing, compiled without reference counting: they only
# read arrays their caller holds, and the counts' atomic instructions on shared arrays
# made the threads wait for each other (docs/architecture.md)
_CALL_NO_REFS = {"cache": True, "_nrt": False}


@numba.njit(cache=True)
def n_chunks(n: int) -> int:
    """Number of fixed-size accumulator chunks covering ``n`` subscribers."""
    return max(1, -(-n // CHUNK))


@numba.njit(**_INLINE)
def new_scratch(n_ops, n_plans):
    """Work arrays for one thread (see :class:`~sim.engine.records.Scratch`)."""
    return Scratch(
        np.empty(n_ops),
        np.empty(n_ops),
        np.empty(n_ops),
        np.empty(n_ops, dtype=np.int64),
        np.empty(n_ops, dtype=np.int64),
        np.empty(n_plans),
        np.empty(n_plans, dtype=np.int64),
        np.empty(n_ops),
        np.empty((1, count_columns(n_ops)), dtype=np.int64),
        np.empty(n_plans),
        np.empty(n_ops),
    )


# --------------------------------------------------------------------------- social signals
@numba.njit(**_INLINE)
def social_counts(i, own_gen, ties, now, mean_field, f, ties_on, row):
    """Social signals of slot ``i`` read from its ties now (see :func:`counted_signals`).

    ``row`` is a (1, columns) work array the ties are tallied into. The month kernel
    reads the same counts kept from month to month (:mod:`sim.engine.tiecounts`).
    """
    if not mean_field.active:
        tally_ties(i, ties, now, row, 0)
    return counted_signals(row, 0, own_gen, mean_field, f, ties_on)


@numba.njit(**_INLINE)
def word_of_mouth(i, ties, now, mean_field, ties_on, wom):
    """Fill ``wom[j]``: the mean satisfaction - 0.5 of the ties on operator j (0: none).

    ``ties_on`` is what :func:`counted_signals` filled for the same subscriber. Only a
    subscriber who chooses (step 6) reads it, so the kernel reads the ties'
    satisfaction for those alone.
    """
    n_ops = wom.shape[0]
    if mean_field.active:
        for j in range(n_ops):
            wom[j] = mean_field.wom[j]
        return
    for j in range(n_ops):
        wom[j] = 0.0
    for e in range(ties.indptr[i], ties.indptr[i + 1]):
        k = ties.indices[e]
        j = now.operator[k]
        if j != NO_OPERATOR:
            wom[j] += now.satisfaction[k] - 0.5
    for j in range(n_ops):
        if ties_on[j] > 0.0:
            wom[j] /= ties_on[j]


@numba.njit(**_INLINE)
def social_signals(i, own_gen, ties, now, mean_field, f, ties_on, row, wom):
    """:func:`social_counts` and :func:`word_of_mouth` of subscriber ``i`` together."""
    shares = social_counts(i, own_gen, ties, now, mean_field, f, ties_on, row)
    word_of_mouth(i, ties, now, mean_field, ties_on, wom)
    return shares


# --------------------------------------------------------------------------- market exit
@numba.njit(**_INLINE)
def disconnect_probability(p, contract_left, s, beh, plans, seg):
    """Monthly probability of leaving the market: the plan type's hazard plus life events.

    Inside a contract ``disconnect_contract``; out of contract ``disconnect_prepaid`` on a
    prepaid plan, else ``disconnect_month_to_month``; plus ``disconnect_life_event``;
    all times the segment's ``disconnection`` multiplier, capped at 1.
    """
    if contract_left > 0:
        h = beh.disconnect_contract
    elif plans[p, P_PREPAID] != 0.0:
        h = beh.disconnect_prepaid
    else:
        h = beh.disconnect_month_to_month
    return min(1.0, seg[s, S_DISCONNECT] * (h + beh.disconnect_life_event))


# --------------------------------------------------------------------------- step 3 helpers
@numba.njit(**_INLINE)
def tier_benefit(o, tenure, spend, tiers):
    """Benefit of the best loyalty tier of operator ``o`` the subscriber qualifies for.

    ``tiers[o, k] = (min_tenure, min_spend, benefit)``; unused rows have benefit 0.
    """
    best = 0.0
    for k in range(tiers.shape[1]):
        if tenure >= tiers[o, k, 0] and spend >= tiers[o, k, 1] and tiers[o, k, 2] > best:
            best = tiers[o, k, 2]
    return best


@numba.njit(**_INLINE)
def own_price(plans, p, f_own, discount):
    """Monthly price ``fee * (1 - onnet * f) * (1 - discount)`` of plan row ``p``.

    Helpers take ``plans`` and a row number, not the row ``plans[p]``: a row is a new
    array view, and numba counts references to ``plans`` for it with atomic
    instructions that the two threads contend for (docs/performance.md).
    """
    return plans[p, P_FEE] * (1.0 - plans[p, P_ONNET] * f_own) * (1.0 - discount)


@numba.njit(**_INLINE)
def perceived_value(o, g, price, s, tenure, spend, beh, seg, ops, eff_q, tiers):
    """Step 3 value: ``w_q*(q + service_quality) - w_p*price/ref + tier_benefit``.

    Helpers on every subscriber's path take the market's arrays, not the ``market``
    record: reading an array out of a record in a loop costs a reference count each
    time (docs/performance.md).
    """
    q = eff_q[o, g] + ops[o, O_SERVICE]
    return beh.w_quality * q - beh.w_price * price / seg[s, S_REF] + tier_benefit(
        o, tenure, spend, tiers
    )


# --------------------------------------------------------------------------- step 4
@numba.njit(**_INLINE)
def contract_buyout(plans, p, contract_left):
    """What leaving plan row ``p`` with ``contract_left`` months to go costs (currency).

    The early-termination fee (flat, or times months left / contract months when
    declining), plus a share of the remaining months' fees, plus the unrecovered
    handset subsidy (subsidy x months left / contract months); 0 out of contract.
    """
    if contract_left <= 0:
        return 0.0
    cm = plans[p, P_CONTRACT]
    money = plans[p, P_ETF]
    if plans[p, P_ETF_DECLINING] != 0.0 and cm > 0:
        money *= contract_left / cm
    money += plans[p, P_ETF_SHARE] * plans[p, P_FEE] * contract_left
    if cm > 0:
        money += plans[p, P_SUBSIDY] * contract_left / cm
    return money


@numba.njit(**_INLINE)
def lockin(plans, p, contract_left, tenure, trust, bundled, s, beh, seg, ktab):
    """Step 4: (economic, knowledge, emotional) lock-in in utility units.

    Economic money terms (:func:`contract_buyout`, number change, bundle) are divided by
    the segment's reference price and scaled by its price sensitivity; knowledge comes
    from the tenure lookup ``ktab``.
    """
    money = contract_buyout(plans, p, contract_left)
    if beh.portability == 0.0:
        money += beh.number_change_cost
    if bundled:
        money += beh.bundle_cost
    econ = seg[s, S_PRICE] * money / seg[s, S_REF]
    know = ktab[min(tenure, ktab.shape[0] - 1)]
    return econ, know, trust


# --------------------------------------------------------------------------- step 6 helpers
@numba.njit(**_INLINE)
def plan_utility(j, plans, p, g, f_j, discount, new_contract, s, beh, seg, ops, eff_q, dev_cost):
    """Plan part of ``U_ij``: price, handset, quality and technology terms.

    Returns ``(utility, handset generation after taking the plan)``. A new contract on a
    plan of a newer generation buys that plan's handset: the subsidy net of the device
    market's handset price enters, and the handset is upgraded. Staying on the own plan
    (``new_contract`` False) never upgrades.
    """
    ref = seg[s, S_REF]
    price = plans[p, P_FEE] * (1.0 - plans[p, P_ONNET] * f_j) * (1.0 - discount)
    gp = int(plans[p, P_GEN])
    g_after = g
    u = seg[s, S_PRICE] * beh.beta_price * price / ref
    if gp > g:
        u += seg[s, S_INNOV] * beh.beta_tech
        if new_contract:
            net = plans[p, P_SUBSIDY] - dev_cost[j, gp]
            u += seg[s, S_PRICE] * beh.beta_subsidy * net / ref
            g_after = gp
    u += seg[s, S_QUALITY] * beh.beta_quality * (eff_q[j, g_after] + ops[j, O_SERVICE])
    return u, g_after


@numba.njit(**_INLINE)
def handset_access(j, gen, s, rank, beh, potential, dev_avail):
    """Log-weight of getting a handset of generation ``gen`` on operator ``j``'s network.

    ``mu * log(availability)``, so availability multiplies the logit weight of a plan
    that needs the handset; ``-inf`` beyond the segment's market potential (the
    subscriber's adoption rank is not below it) or when no handset is available.
    """
    if rank >= potential[s, gen]:
        return -np.inf
    a = dev_avail[j, gen]
    if a <= 0.0:
        return -np.inf
    return beh.mu * math.log(a)


@numba.njit(**_INLINE)
def plan_open(p, s, only_gen, plans, eligible):
    """Plan row ``p`` is offered, open to segment ``s`` and (if ``only_gen``) of that generation."""
    if plans[p, P_OFFERED] == 0.0 or not eligible[p, s]:
        return False
    return only_gen == 0 or int(plans[p, P_GEN]) == only_gen


@numba.njit(**_INLINE)
def plan_nest(j, g, f_j, s, only_gen, rank, beh, market, scratch):
    """Operator ``j``'s plans as offers to a subscriber of segment ``s``, valued.

    ``only_gen > 0`` restricts to plans of that generation (technology migration).
    With ``beh.plan_mu == 0`` the operator is valued at its plan of highest utility
    (ties to the lower row). With ``plan_mu > 0`` plans are a nest: the operator is
    valued at the inclusive value ``max + plan_mu log sum exp((u_p - max) / plan_mu)``
    and which plan is taken is drawn later (:func:`draw_plan`), only for the operator
    chosen. Each plan's utility is computed once, into ``scratch.plan_u`` / ``plan_g``
    (``-inf`` for a plan that is no offer): the plan part plus, for a plan that needs a
    new handset, its :func:`handset_access`; its logit weight into ``plan_w``.
    Returns ``(best plan row (-1: none), value, handset generation after the best plan,
    the nest's total weight)``.
    """
    plan_u, plan_g, plan_w = scratch.plan_u, scratch.plan_g, scratch.plan_w
    first, stop = market.plan_start[j], market.plan_start[j + 1]
    plans, eligible = market.plans, market.eligible
    seg, ops, eff_q, dev_cost = market.seg, market.ops, market.eff_q, market.dev_cost
    potential, dev_avail = market.potential, market.dev_avail
    best = -1
    best_u = -np.inf
    best_g = g
    for p in range(first, stop):
        plan_u[p] = -np.inf
        if not plan_open(p, s, only_gen, plans, eligible):
            continue
        u, g_after = plan_utility(j, plans, p, g, f_j, 0.0, True, s, beh, seg, ops, eff_q,
                                  dev_cost)
        if g_after > g:
            u += handset_access(j, g_after, s, rank, beh, potential, dev_avail)
        plan_u[p] = u
        plan_g[p] = g_after
        if u > best_u:
            best, best_u, best_g = p, u, g_after
    if beh.plan_mu == 0.0 or best < 0:
        return best, best_u, best_g, 1.0
    total = 0.0
    for p in range(first, stop):
        if plan_u[p] > -np.inf:
            w = math.exp((plan_u[p] - best_u) / beh.plan_mu)
            plan_w[p] = w
            total += w
    return best, best_u + beh.plan_mu * math.log(total), best_g, total


@numba.njit(**_INLINE)
def draw_plan(j, u_plan, total, market, scratch):
    """The plan taken from operator ``j``'s nest: inverse CDF with ``u_plan``, rows in order.

    Reads the weights :func:`plan_nest` left for ``j`` (``total`` their sum). Returns
    ``(plan row, handset generation after)``.
    """
    plan_u, plan_g, plan_w = scratch.plan_u, scratch.plan_g, scratch.plan_w
    target = u_plan * total
    acc = 0.0
    best, best_g = -1, -1
    for p in range(market.plan_start[j], market.plan_start[j + 1]):
        if plan_u[p] > -np.inf:
            acc += plan_w[p]
            best, best_g = p, plan_g[p]
            if target < acc:
                break
    return best, best_g


@numba.njit(**_CALL_NO_REFS)
def best_plan(j, g, f_j, s, only_gen, rank, u_plan, beh, market, scratch):
    """Operator ``j``'s offer (:func:`plan_nest`), the plan drawn with ``u_plan`` if a nest.

    Returns ``(plan row (-1: none), utility, handset generation after)``.
    """
    best, value, best_g, total = plan_nest(j, g, f_j, s, only_gen, rank, beh, market, scratch)
    if beh.plan_mu == 0.0 or best < 0:
        return best, value, best_g
    p, g_after = draw_plan(j, u_plan, total, market, scratch)
    return p, value, g_after


@numba.njit(**_CALL_NO_REFS)
def choose(o, g, s, rank, lock, cur_plan, cur_discount, adv, back, u_choice, u_plan, beh,
           market, scratch):
    """Step 6: multinomial-logit choice among available operators.

    ``o`` is the current operator (``NO_OPERATOR`` for a market entrant, who has no
    lock-in and no own plan). Each rival is valued with its eligible plans
    (:func:`plan_nest`), and the plan taken is drawn with ``u_plan`` for the rival
    chosen only; the own operator with the current plan and retention discount; the advertiser whose offer
    was seen (``adv``, -1: none) gains ``beta_marketing``; the former operator whose
    win-back offer the customer gets (``back``, -1: none) gains its win-back bonus.
    Reads ``scratch.f`` and ``scratch.wom``, fills ``scratch.util`` (logit weights),
    ``plan_of`` and ``gen_of`` (the chosen operator's are the plan taken) and returns the
    chosen operator.
    """
    ops, seg = market.ops, market.seg
    f, wom, util = scratch.f, scratch.wom, scratch.util
    n_ops = util.shape[0]
    m_soc = seg[s, S_SOCIAL]
    u_max = -np.inf
    for j in range(n_ops):
        util[j] = -np.inf
        if j == o:
            u, g_after = plan_utility(j, market.plans, cur_plan, g, f[j], cur_discount, False,
                                      s, beh, seg, ops, market.eff_q, market.dev_cost)
            scratch.plan_of[j] = cur_plan
        else:
            if ops[j, O_ACTIVE] == 0.0:
                continue
            p, u, g_after, scratch.nest_total[j] = plan_nest(j, g, f[j], s, 0, rank, beh, market,
                                                             scratch)
            if p < 0:
                continue
            scratch.plan_of[j] = p
            u -= lock
        u += ops[j, O_BRAND] + m_soc * (beh.beta_social * f[j] + beh.beta_wom * wom[j])
        if j == adv:
            u += beh.beta_marketing
        if j == back:
            u += market.retention[j, R_WINBACK_BONUS]
        util[j] = u
        scratch.gen_of[j] = g_after
        if u > u_max:
            u_max = u
    if u_max == -np.inf:
        return o
    total = 0.0
    for j in range(n_ops):
        if util[j] > -np.inf:
            util[j] = math.exp((util[j] - u_max) / beh.mu)
            total += util[j]
        else:
            util[j] = 0.0
    target = u_choice * total
    acc = 0.0
    chosen = o
    for j in range(n_ops):
        if util[j] > 0.0:
            acc += util[j]
            chosen = j
            if target < acc:
                break
    if chosen != o and beh.plan_mu > 0.0:  # which plan of the chosen rival's nest
        p, g_after = draw_plan(chosen, u_plan, scratch.nest_total[chosen], market, scratch)
        scratch.plan_of[chosen] = p
        scratch.gen_of[chosen] = g_after
    return chosen


@numba.njit(**_INLINE)
def winback_operator(o, left_from, since_left, ops, retention):
    """The former operator offering this customer a win-back (-1: none).

    ``left_from`` is the operator the customer last switched away from, ``since_left``
    the months since; the offer stands while that operator is in the market and fewer
    than its ``winback_months`` have passed.
    """
    if left_from == NO_OPERATOR or left_from == o or ops[left_from, O_ACTIVE] == 0.0:
        return -1
    if since_left < retention[left_from, R_WINBACK_MONTHS]:
        return int(left_from)
    return -1


# --------------------------------------------------------------------------- step 5 helper
@numba.njit(**_INLINE)
def consider_probability(sat, expired, saw_offer, switched_share, fails, s, beh, seg):
    """Step 5: probability of considering a switch this month, clipped to [0, 1]."""
    pr = (
        beh.c_base
        + beh.c_dissat * max(0.0, beh.s_thr - sat)
        + beh.c_expiry * expired
        + beh.c_market * saw_offer
        + beh.c_social * seg[s, S_SOCIAL] * switched_share
        + beh.c_failure * fails * fails
    )
    return min(1.0, max(0.0, pr))


@numba.njit(**_INLINE)
def advertiser(o, u, ops):
    """Whose offer was seen: a rival of ``o`` drawn in proportion to its reach (-1: none)."""
    total = 0.0
    for j in range(ops.shape[0]):
        if j != o and ops[j, O_ACTIVE] != 0.0:
            total += ops[j, O_REACH]
    target = u * total
    acc = 0.0
    for j in range(ops.shape[0]):
        if j != o and ops[j, O_ACTIVE] != 0.0 and ops[j, O_REACH] > 0.0:
            acc += ops[j, O_REACH]
            if target < acc:
                return j
    return -1


@numba.njit(**_INLINE)
def offer_seen_probability(o, ops):
    """Chance of seeing at least one competitor's offer: ``1 - prod(1 - reach_j)``."""
    miss = 1.0
    for j in range(ops.shape[0]):
        if j != o and ops[j, O_ACTIVE] != 0.0:
            miss *= 1.0 - ops[j, O_REACH]
    return 1.0 - miss


# --------------------------------------------------------------------------- step 8 helper
@numba.njit(**_INLINE)
def logistic(z):
    """``1 / (1 + exp(-z))``, written so that neither branch overflows."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@numba.njit(**_INLINE)
def migration_probability(newer_share, sub, gain, avail, s, beh, seg):
    """Step 8: the Bass pull times the upgrade choice (GBM), plus the v1 subsidy pull.

    ``(innovation p + imitation q F) * avail * 2 logistic(beta_migration * gain)``: the
    binary logit of upgrading against staying, scaled to 1 at indifference, acts as
    the Generalized Bass Model's current effort; with handsets available and
    ``beta_migration = 0`` it is the Bass hazard exactly.
    """
    choice = avail * (2.0 * logistic(beh.beta_migration * gain))
    pull = bass_pull(newer_share, s, beh, seg)
    return pull * choice + beh.beta_migration_subsidy * sub / seg[s, S_REF]


@numba.njit(**_INLINE)
def bass_pull(newer_share, s, beh, seg):
    """The Bass hazard ``innovation p + imitation q F`` of a subscriber of segment ``s``."""
    return seg[s, S_INNOV] * beh.p_innovation + seg[s, S_IMIT] * beh.q_imitation * newer_share


@numba.njit(**_INLINE)
def migration_ruled_out(u, o, s, newer_share, beh, seg, ops, dev_avail):
    """True when the migration draw ``u`` is at or above any probability step 8 can give.

    Without the v1 subsidy term the probability is ``pull * (avail * 2 logistic)``, at
    most ``pull * (avail * 2)`` (rounding is monotone), so the choice need not be
    evaluated: a shortcut only, the decisions are the same.
    """
    if beh.beta_migration_subsidy != 0.0:
        return False
    avail = dev_avail[o, int(ops[o, O_NEWEST_GEN])]
    return u >= bass_pull(newer_share, s, beh, seg) * (avail * 2.0)


@numba.njit(**_CALL_NO_REFS)
def migration_offer(o, g, p, s, rank, discount, f_o, newer_share, u_plan, beh, market,
                    scratch):
    """Step 8 for a customer of ``o`` on plan ``p`` with a generation-``g`` handset.

    Returns ``(probability of migrating to o's newest covered generation, the plan row
    the migrant takes (-1: keeps its plan), the subsidy paid)``. The probability is 0
    without a newer network or beyond the segment's market potential; ``gain`` is the
    utility of the best plan of that generation (a new contract, handset bought) less
    that of staying on plan ``p`` (with its running ``discount``).
    """
    newest = int(market.ops[o, O_NEWEST_GEN])
    if g >= newest or rank >= market.potential[s, newest]:
        return 0.0, -1, 0.0
    plans = market.plans
    mp, _, _ = best_plan(o, g, f_o, s, newest, rank, u_plan, beh, market, scratch)
    sub = 0.0
    gain = 0.0
    if mp >= 0:
        sub = plans[mp, P_SUBSIDY]
        seg, ops, eff_q, dev_cost = market.seg, market.ops, market.eff_q, market.dev_cost
        u_up, _ = plan_utility(o, plans, mp, g, f_o, 0.0, True, s, beh, seg, ops, eff_q, dev_cost)
        u_stay, _ = plan_utility(o, plans, p, g, f_o, discount, False, s, beh, seg, ops, eff_q,
                                 dev_cost)
        gain = u_up - u_stay
    pr = migration_probability(newer_share, sub, gain, market.dev_avail[o, newest], s, beh,
                               market.seg)
    return pr, mp, sub


# --------------------------------------------------------------------------- step 9 helpers
@numba.njit(**_INLINE)
def tier_index(o, tenure, spend, tiers):
    """1 + the row of the best loyalty tier of ``o`` the subscriber qualifies for (0: none).

    The tier whose benefit :func:`tier_benefit` gives (the first of equal benefit).
    """
    best = 0.0
    k_best = 0
    for k in range(tiers.shape[1]):
        if tenure >= tiers[o, k, 0] and spend >= tiers[o, k, 1] and tiers[o, k, 2] > best:
            best = tiers[o, k, 2]
            k_best = k + 1
    return k_best


@numba.njit(**_INLINE)
def add_cohorts(o, p, cl, tenure, spend, bundled, col, plans, tiers, coh):
    """Count one customer of ``o`` in column ``col`` of its four cohorts.

    Contract status (in contract, month-to-month, prepaid), tenure band, bundle and
    loyalty tier, from the state given (the start of the month for a churner, the end
    for stock and gross adds).
    """
    if cl > 0:
        k = K_CONTRACT
    elif plans[p, P_PREPAID] != 0.0:
        k = K_CONTRACT + 2
    else:
        k = K_CONTRACT + 1
    coh[o, k, col] += 1
    band = 0
    for edge in TENURE_EDGES:
        if tenure >= edge:
            band += 1
    coh[o, K_TENURE + band, col] += 1
    coh[o, K_BUNDLE + (1 if bundled else 0), col] += 1
    coh[o, K_TIER + tier_index(o, tenure, spend, tiers), col] += 1


@numba.njit(**_INLINE)
def account_levels(o, s, p, g, sat, lock, f_o, discount, spend, cl, tenure, bundled, plans,
                   tiers, cnt, sm, coh):
    """Step 9 levels of one end-of-month subscriber, its cohorts' stock included."""
    add_cohorts(o, p, cl, tenure, spend, bundled, X_SUBS, plans, tiers, coh)
    cnt[o, s, C_SUBS] += 1
    cnt[o, s, C_GEN2 + g - 2] += 1
    list_price = own_price(plans, p, f_o, 0.0) * spend
    sm[o, s, F_REVENUE] += list_price * (1.0 - discount)
    sm[o, s, F_RETENTION] += list_price * discount
    sm[o, s, F_SAT] += sat
    sm[o, s, F_L_ECON] += lock[0]
    sm[o, s, F_L_KNOW] += lock[1]
    sm[o, s, F_L_EMO] += lock[2]


# --------------------------------------------------------------------------- the month
# How far ahead the month kernel asks for its state arrays' cache lines (slots).
STREAM_AHEAD = 256


@numba.njit(**_INLINE)
def _prefetch_streams(i, now, nxt, private, tie_counts):
    """Ask for slot ``i``'s line of every array a customer's month reads or writes.

    The kernel walks some 30 arrays side by side, more streams than the hardware
    prefetcher follows, so without this each array's next line arrives as a miss
    (docs/performance.md). Called every 8 slots: a line holds 8 float64 values, more
    of the narrower types (asking again for a line already on its way costs little).
    """
    prefetch(now.operator, i)
    prefetch(now.satisfaction, i)
    prefetch(now.handset_gen, i)
    prefetch(nxt.operator, i)
    prefetch(nxt.satisfaction, i)
    prefetch(nxt.handset_gen, i)
    prefetch(nxt.switched, i)
    prefetch(private.plan, i)
    prefetch(private.segment, i)
    prefetch(private.tenure, i)
    prefetch(private.contract_left, i)
    prefetch(private.expectation, i)
    prefetch(private.trust, i)
    prefetch(private.annoyance, i)
    prefetch(private.retention_left, i)
    prefetch(private.retention_discount, i)
    prefetch(private.bundled, i)
    prefetch(private.spend, i)
    prefetch(private.expired, i)
    prefetch(private.adopt_rank, i)
    prefetch(private.left_from, i)
    prefetch(private.since_left, i)
    prefetch(tie_counts, i)


@numba.njit(parallel=True, **_JIT)
def month_kernel(n_active, n_after, now, nxt, private, ties, tie_counts, market, beh, mean_field,
                 keys, acc):
    """Steps 3-9 for every subscriber slot in ``[0, n_after)``, chunk by chunk in parallel.

    Slots ``< n_active`` are customers at month t; slots in ``[n_active, n_after)`` are
    this month's market entrants, who choose an operator with the same logit and no
    lock-in. ``tie_counts`` are every slot's counts of what its ties show in ``now``
    (:mod:`sim.engine.tiecounts`; the caller updates them for month t+1); the ties
    themselves are read only for the word of mouth of those who choose. ``keys`` are the month's stream keys (:class:`~sim.engine.records.MonthKeys`);
    ``acc`` holds one accumulator block per chunk, which the caller zeroes and adds up.

    How the body is written, and why:

    - It stays inside the ``prange``: numba marks the arrays of a parallel loop body
      ``noalias``, which a called chunk function would lose (1.5x slower).
    - numba (0.68) silently drops writes made through a record's array field directly
      in a ``prange`` body (numba issue #7135, ``tests/engine/test_records.py``). So the
      records the body writes (``nxt``, ``private``, ``acc``) are bound to local arrays
      first, and the body uses only those; the helpers that write (``_join``,
      ``_enter``) are called, not inlined, with records rebuilt from the same locals.
      Never use both a record and a local of its field in the body: two arguments
      pointing at one array break ``noalias``.
    """
    ops, plans, seg = market.ops, market.plans, market.seg
    eff_q, tiers, ktab, dev_avail = market.eff_q, market.tiers, market.ktab, market.dev_avail
    retention = market.retention
    op_now, sat_now, gen_now = now.operator, now.satisfaction, now.handset_gen
    n_ops = ops.shape[0]
    op_n, sat_n, gen_n, sw_n = nxt.operator, nxt.satisfaction, nxt.handset_gen, nxt.switched
    plan, segment, tenure = private.plan, private.segment, private.tenure
    contract_left, expectation, trust = private.contract_left, private.expectation, private.trust
    annoyance, retention_left = private.annoyance, private.retention_left
    retention_discount, bundled = private.retention_discount, private.bundled
    spend, expired, adopt_rank = private.spend, private.expired, private.adopt_rank
    away, failures = private.away, private.failures
    left_from, since_left = private.left_from, private.since_left
    # Without any operator's failure rate (constant over a run: entrants' rows exist from
    # the start) every subscriber's recent failures stay 0: skip reading and writing them.
    failing = False
    for j in range(n_ops):
        if ops[j, O_FAILURE] > 0.0:
            failing = True
    counts, sums, flows, cohorts = acc.counts, acc.sums, acc.flows, acc.cohorts
    # the chance of seeing a rival's offer depends on the own operator only
    seen_p = np.empty(n_ops)
    for j in range(n_ops):
        seen_p[j] = offer_seen_probability(j, ops)
    seen_entrant = offer_seen_probability(NO_OPERATOR, ops)
    for c in numba.prange(n_chunks(n_after)):
        nxt_c = Visible(operator=op_n, satisfaction=sat_n, handset_gen=gen_n, switched=sw_n)
        private_c = Private(
            plan=plan, segment=segment, tenure=tenure, contract_left=contract_left,
            expectation=expectation, trust=trust, annoyance=annoyance,
            retention_left=retention_left, retention_discount=retention_discount,
            bundled=bundled, spend=spend, expired=expired, adopt_rank=adopt_rank, away=away,
            failures=failures, left_from=left_from, since_left=since_left,
        )
        scratch = new_scratch(n_ops, plans.shape[0])
        f, wom, ties_on = scratch.f, scratch.wom, scratch.ties_on
        ccnt = counts[c]
        csm = sums[c]
        cflows = flows[c]
        ccoh = cohorts[c]
        end = min(n_after, (c + 1) * CHUNK)
        for i in range(c * CHUNK, end):
            if i & 7 == 0 and i + STREAM_AHEAD < n_after:
                _prefetch_streams(i + STREAM_AHEAD, now, nxt_c, private_c, tie_counts)
            s = segment[i]
            g = gen_now[i]
            spend_i = spend[i] * seg[s, S_SPEND]
            if i >= n_active or op_now[i] == NO_OPERATOR:
                if i < n_active and away[i] > 0 and not (
                    beh.reentry_prob > 0.0 and uniform_at(keys.reentry, i) < beh.reentry_prob
                ):  # a leaver who stays out this month
                    away[i] = min(away[i] + 1, 255)
                    op_n[i] = NO_OPERATOR
                    gen_n[i] = g
                    sat_n[i] = 0.0
                    sw_n[i] = 0
                    continue
                adv = -1
                if beh.beta_marketing != 0.0 and (
                    uniform_at(keys.offer_seen, i) < seen_entrant
                ):
                    adv = advertiser(NO_OPERATOR, uniform_at(keys.advertiser, i), ops)
                counted_signals(tie_counts, i, g, mean_field, f, ties_on)
                word_of_mouth(i, ties, now, mean_field, ties_on, wom)
                _enter(i, s, g, adv, uniform_at(keys.choice, i), uniform_at(keys.plan_choice, i),
                       beh, market, scratch, nxt_c, private_c, ccnt, csm, ccoh)
                continue
            o = op_now[i]
            p = plan[i]
            ten = tenure[i]
            cl = contract_left[i]
            ret = retention_left[i]
            # the tie shares of the own operator only: all of them only for a choice
            f_o, sw_share, newer_share = counted_own(tie_counts, i, g, o, n_ops, mean_field)
            # market exit: a disconnection leaves the slot empty
            pr = disconnect_probability(p, cl, s, beh, plans, seg)
            if pr > 0.0 and uniform_at(keys.disconnect, i) < pr:
                op_n[i] = NO_OPERATOR
                gen_n[i] = g
                sat_n[i] = 0.0
                sw_n[i] = 0
                away[i] = 1
                contract_left[i] = 0
                retention_left[i] = 0
                expired[i] = 0
                left_from[i] = NO_OPERATOR  # out of the market: no rival to win back from
                ccnt[o, s, C_CHURN] += 1
                ccnt[o, s, C_DISCONNECT] += 1
                add_cohorts(o, p, cl, ten, spend_i, bundled[i], X_CHURN, plans, tiers,
                            ccoh)
                continue
            # step 3: experience and satisfaction (a service failure costs both)
            fail = 0.0
            fails = 0.0
            if failing:
                if ops[o, O_FAILURE] > 0.0 and uniform_at(keys.failure, i) < ops[o, O_FAILURE]:
                    fail = 1.0
                    ccnt[o, s, C_FAILURES] += 1
                fails = (1.0 - beh.failure_decay) * failures[i] + fail
            discount = retention_discount[i] if ret > 0 else 0.0
            price = own_price(plans, p, f_o, discount)
            value = perceived_value(o, g, price, s, ten, spend_i, beh, seg, ops, eff_q, tiers)
            expect = expectation[i]
            d = value - expect
            sat = (1.0 - beh.lam) * sat_now[i] + beh.lam * min(1.0, max(0.0, 0.5 + d))
            sat -= beh.annoyance_penalty * annoyance[i] + beh.failure_satisfaction_loss * fail
            sat = min(1.0, max(0.0, sat))
            exp_new = expect + beh.kappa * (value - expect)
            tr = (1.0 - beh.delta) * trust[i] + beh.theta_up * max(d - beh.eps, 0.0)
            tr -= beh.theta_down * max(-d - beh.eps, 0.0) + beh.failure_trust_loss * fail
            tr = max(0.0, tr)
            # step 4: lock-in
            lock = lockin(plans, p, cl, ten, tr, bundled[i], s, beh, seg, ktab)
            # step 5: consideration (and annoyance from the own operator's contacts)
            excess = max(0.0, ops[o, O_CONTACTS] - beh.annoyance_tolerance)
            annoyance[i] = (
                (1.0 - beh.annoyance_decay) * annoyance[i] + beh.annoyance_rate * excess
            )
            saw = 0.0
            adv = -1
            if uniform_at(keys.offer_seen, i) < seen_p[o]:
                saw = 1.0
                if beh.beta_marketing != 0.0:
                    adv = advertiser(o, uniform_at(keys.advertiser, i), ops)
            pr = consider_probability(sat, expired[i], saw, sw_share, fails, s, beh, seg)
            back = winback_operator(o, left_from[i], since_left[i], ops, retention)
            j = o
            if uniform_at(keys.consider, i) < pr:
                ccnt[o, s, C_CONSIDER] += 1
                # step 6: choice
                counted_signals(tie_counts, i, g, mean_field, f, ties_on)
                word_of_mouth(i, ties, now, mean_field, ties_on, wom)
                j = choose(o, g, s, adopt_rank[i] / ADOPT_RANKS, lock[0] + lock[1] + lock[2], p,
                           discount, adv, back, uniform_at(keys.choice, i),
                           uniform_at(keys.plan_choice, i), beh, market, scratch)
            if j != o:
                # step 7: switch
                np_ = scratch.plan_of[j]
                g2 = scratch.gen_of[j]
                add_cohorts(o, p, cl, ten, spend_i, bundled[i], X_CHURN, plans, tiers,
                            ccoh)
                _join(i, j, np_, g, g2, f[j], beh, market, nxt_c, private_c, csm)
                since_left[i] = 0
                if j == back:  # won back: the programme's discount from next month
                    ccnt[j, s, C_WINBACKS] += 1
                    retention_left[i] = int(retention[j, R_OFFER_MONTHS])
                    retention_discount[i] = retention[j, R_DISCOUNT]
                    left_from[i] = NO_OPERATOR
                else:
                    left_from[i] = o
                add_cohorts(j, np_, contract_left[i], 0, spend_i, bundled[i], X_ADDS, plans,
                            tiers, ccoh)
                sw_n[i] = 1
                ccnt[o, s, C_CHURN] += 1
                ccnt[o, s, C_SWITCH_OUT] += 1
                if beh.portability != 0.0:
                    ccnt[o, s, C_PORTED] += 1
                ccnt[j, s, C_ADDS] += 1
                ccnt[j, s, C_SWITCH_IN] += 1
                cflows[o, j] += 1
                if cl > 0:  # left inside a contract: bought it out
                    ccnt[o, s, C_BUYOUT] += 1
                    csm[o, s, F_BUYOUT] += contract_buyout(plans, p, cl)
                lock = lockin(plans, np_, contract_left[i], 0, trust[i], bundled[i], s, beh, seg,
                              ktab)
                account_levels(j, s, np_, g2, sat_n[i], lock, f[j], 0.0, spend_i,
                               contract_left[i], 0, bundled[i], plans, tiers, ccnt, csm, ccoh)
                continue
            # step 7: stay
            op_n[i] = o
            sw_n[i] = 0
            sat_n[i] = sat
            expectation[i] = exp_new
            trust[i] = tr
            if failing:
                failures[i] = fails
            tenure[i] = min(ten + 1, 65535)
            since_left[i] = min(since_left[i] + 1, 255)
            retention_left[i] = max(ret - 1, 0)
            ended = 0
            if cl > 0:
                cl -= 1
                if cl == 0:
                    if uniform_at(keys.recontract, i) < beh.recontract_prob:
                        cl = int(plans[p, P_CONTRACT])
                    else:
                        ended = 1
            expired[i] = ended
            # step 8: technology migration with the same operator
            g2 = g
            u_mig = uniform_at(keys.migration, i)
            pr, mp, sub = 0.0, -1, 0.0
            if not migration_ruled_out(u_mig, o, s, newer_share, beh, seg, ops, dev_avail):
                pr, mp, sub = migration_offer(o, g, p, s, adopt_rank[i] / ADOPT_RANKS, discount,
                                              f_o, newer_share, uniform_at(keys.plan_choice, i),
                                              beh, market, scratch)
            if u_mig < pr:
                g2 = int(ops[o, O_NEWEST_GEN])
                ccnt[o, s, C_MIGRATIONS] += 1
                if mp >= 0:
                    p = mp
                    plan[i] = mp
                    cl = int(plans[mp, P_CONTRACT])
                    expired[i] = 0
                    csm[o, s, F_SUBSIDY] += sub
            gen_n[i] = g2
            contract_left[i] = cl
            lock = lockin(plans, p, cl, tenure[i], tr, bundled[i], s, beh, seg, ktab)
            account_levels(o, s, p, g2, sat, lock, f_o, discount, spend_i, cl, tenure[i],
                           bundled[i], plans, tiers, ccnt, csm, ccoh)


@numba.njit(**_CALL_NO_REFS)
def _join(i, j, p, g, g2, f_j, beh, market, nxt, private, csm):
    """Step 7 for a subscriber who takes plan ``p`` of operator ``j`` (switch or entry)."""
    plans = market.plans
    s = private.segment[i]
    nxt.operator[i] = j
    private.plan[i] = p
    nxt.handset_gen[i] = g2
    private.tenure[i] = 0
    private.contract_left[i] = int(plans[p, P_CONTRACT])
    private.trust[i] = beh.trust_0
    nxt.satisfaction[i] = beh.sat_0
    price = own_price(plans, p, f_j, 0.0)
    spend_i = private.spend[i] * market.seg[s, S_SPEND]
    value = perceived_value(j, g2, price, s, 0, spend_i, beh, market.seg, market.ops,
                            market.eff_q, market.tiers)
    private.expectation[i] = value + market.ops[j, O_HYPE]
    private.retention_left[i] = 0
    private.bundled[i] = plans[p, P_BUNDLE] != 0.0
    private.expired[i] = 0
    private.away[i] = 0
    private.failures[i] = 0.0
    if g2 > g:
        csm[j, s, F_SUBSIDY] += plans[p, P_SUBSIDY]


@numba.njit(**_CALL_NO_REFS)
def _enter(i, s, g, adv, u_choice, u_plan, beh, market, scratch, nxt, private, ccnt, csm, ccoh):
    """A market entrant picks an operator by the logit, without lock-in, and joins it."""
    j = choose(NO_OPERATOR, g, s, private.adopt_rank[i] / ADOPT_RANKS, 0.0, 0, 0.0, adv, -1,
               u_choice, u_plan, beh, market, scratch)
    if j == NO_OPERATOR:  # no operator offers this segment anything: stays out of the market
        nxt.operator[i] = NO_OPERATOR
        nxt.handset_gen[i] = g
        nxt.satisfaction[i] = 0.0
        nxt.switched[i] = 0
        return
    p = scratch.plan_of[j]
    g2 = scratch.gen_of[j]
    f_j = scratch.f[j]
    _join(i, j, p, g, g2, f_j, beh, market, nxt, private, csm)
    private.annoyance[i] = 0.0
    nxt.switched[i] = 0
    ccnt[j, s, C_ADDS] += 1
    ccnt[j, s, C_ENTRANTS] += 1
    lock = lockin(market.plans, p, private.contract_left[i], 0, private.trust[i],
                  private.bundled[i], s, beh, market.seg, market.ktab)
    spend_i = private.spend[i] * market.seg[s, S_SPEND]
    cl, bundled = private.contract_left[i], private.bundled[i]
    add_cohorts(j, p, cl, 0, spend_i, bundled, X_ADDS, market.plans, market.tiers, ccoh)
    account_levels(j, s, p, g2, nxt.satisfaction[i], lock, f_j, 0.0, spend_i, cl, 0, bundled,
                   market.plans, market.tiers, ccnt, csm, ccoh)


# --------------------------------------------------------------------------- month 0 and step 2
@numba.njit(parallel=True, **_JIT)
def census_kernel(n_active, now, private, ties, market, beh, mean_field, set_expectation, acc):
    """Step-9 levels of the current state (month 0), optionally seeding expectations.

    With ``set_expectation`` each customer's expectation is set to the value they
    perceive now, so the model starts without a surprise. It runs once a run, so the
    work sits in a called chunk function, where writes through records land (see
    :func:`month_kernel`).
    """
    for c in numba.prange(n_chunks(n_active)):
        _census_chunk(c, n_active, now, private, ties, market, beh, mean_field, set_expectation,
                      acc)


@numba.njit(**_CALL)
def _census_chunk(c, n_active, now, private, ties, market, beh, mean_field, set_expectation, acc):
    """The census of the slots of chunk ``c``."""
    ops, plans, seg, eff_q, tiers = market.ops, market.plans, market.seg, market.eff_q, market.tiers
    n_ops = ops.shape[0]
    f = np.empty(n_ops)
    ties_on = np.empty(n_ops)
    row = np.empty((1, count_columns(n_ops)), dtype=np.int64)
    for i in range(c * CHUNK, min(n_active, (c + 1) * CHUNK)):
        o = now.operator[i]
        if o == NO_OPERATOR:
            continue
        s = private.segment[i]
        g = now.handset_gen[i]
        social_counts(i, g, ties, now, mean_field, f, ties_on, row)
        p = private.plan[i]
        ten = private.tenure[i]
        spend_i = private.spend[i] * seg[s, S_SPEND]
        discount = private.retention_discount[i] if private.retention_left[i] > 0 else 0.0
        if set_expectation:
            price = own_price(plans, p, f[o], discount)
            private.expectation[i] = perceived_value(o, g, price, s, ten, spend_i, beh, seg, ops,
                                                     eff_q, tiers)
        lock = lockin(plans, p, private.contract_left[i], ten, private.trust[i],
                      private.bundled[i], s, beh, seg, market.ktab)
        account_levels(o, s, p, g, now.satisfaction[i], lock, f[o], discount, spend_i,
                       private.contract_left[i], ten, private.bundled[i], plans, tiers,
                       acc.counts[c], acc.sums[c], acc.cohorts[c])


@numba.njit(**_INLINE)
def _churn_risk(i, o, now, private, tie_counts, beh, mean_field, n_ops):
    """Step 2 risk score of customer ``i`` (on operator ``o``).

    ``risk = w_sat*(1 - sat) + w_exp*[contract ends within 2 months] + w_soc*switched_ties``,
    the switched ties from the tie counts kept for ``now`` (:mod:`sim.engine.tiecounts`).
    """
    _, sw_share, _ = counted_own(tie_counts, i, now.handset_gen[i], o, n_ops, mean_field)
    ending = 1.0 if 0 < private.contract_left[i] <= 2 else 0.0
    return (
        beh.risk_w_satisfaction * (1.0 - now.satisfaction[i])
        + beh.risk_w_expiry * ending
        + beh.risk_w_social * sw_share
    )


@numba.njit(parallel=True, **_JIT)
def churn_risk_kernel(n_active, now, private, tie_counts, beh, mean_field, n_ops):
    """Step 2 risk score of every customer (float64, one per slot; -1 for empty slots)."""
    risk = np.empty(n_active)
    for i in numba.prange(n_active):
        o = now.operator[i]
        if o == NO_OPERATOR:
            risk[i] = -1.0
        else:
            risk[i] = _churn_risk(i, o, now, private, tie_counts, beh, mean_field, n_ops)
    return risk


@numba.njit(parallel=True, **_JIT)
def operator_risk_kernel(n_active, now, private, tie_counts, beh, mean_field, n_ops, j):
    """Step 2 risk scores of operator ``j``'s customers only, in slot order.

    What the customers-at-risk table needs, without an array over every slot (at 10^8
    subscribers that array, and the copies selecting each operator's part of it, were
    GBs at the run's memory peak): chunks count their customers of ``j``, then write
    their scores where the counts place them.
    """
    chunks = n_chunks(n_active)
    found = np.zeros(chunks + 1, dtype=np.int64)
    for c in numba.prange(chunks):
        for i in range(c * CHUNK, min(n_active, (c + 1) * CHUNK)):
            found[c + 1] += now.operator[i] == j
    starts = np.cumsum(found)
    risk = np.empty(starts[-1])
    for c in numba.prange(chunks):
        at = starts[c]
        for i in range(c * CHUNK, min(n_active, (c + 1) * CHUNK)):
            if now.operator[i] == j:
                risk[at] = _churn_risk(i, j, now, private, tie_counts, beh, mean_field, n_ops)
                at += 1
    return risk
