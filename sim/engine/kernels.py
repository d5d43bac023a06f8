"""The numba kernels of one month (docs/model.md steps 3-9) and the month-0 census.

One fused pass over subscribers does steps 3-8 for each of them: it reads the state of
month t (neighbours only from the read buffers ``*_t``), writes month t+1 (neighbour-
visible fields into the write buffers ``*_n``, private fields in place) and adds the
step-9 accounting into per-chunk accumulators. Chunks have a fixed size
(:data:`~sim.engine.layout.CHUNK`), so sums are added in the same order whatever the
thread count: results are bit-identical on 1 or 32 threads.

Each step is a small ``inline`` helper named after the step in docs/model.md, so the
kernel reads like the model page; the Mesa reference (``sim/reference.py``) mirrors them.
All arithmetic is float64; stored state is float32.
"""

import math

import numba
import numpy as np

from sim.engine.layout import (
    B_ANNOY_DECAY,
    B_ANNOY_PEN,
    B_ANNOY_RATE,
    B_ANNOY_TOL,
    B_BUNDLE_COST,
    B_C_BASE,
    B_C_DISSAT,
    B_C_EXPIRY,
    B_C_MARKET,
    B_C_SOCIAL,
    B_DELTA,
    B_EPS,
    B_KAPPA,
    B_LAM,
    B_MIG_SUB,
    B_MU,
    B_NCC,
    B_P,
    B_PORTABILITY,
    B_PRICE,
    B_Q,
    B_QUALITY,
    B_RECONTRACT,
    B_RISK_EXP,
    B_RISK_SAT,
    B_RISK_SOC,
    B_S_THR,
    B_SAT0,
    B_SOCIAL,
    B_SUBSIDY,
    B_TECH,
    B_THETA_DOWN,
    B_THETA_UP,
    B_TRUST0,
    B_W_P,
    B_W_Q,
    B_WOM,
    C_ADDS,
    C_CHURN,
    C_CONSIDER,
    C_ENTRANTS,
    C_GEN2,
    C_MIGRATIONS,
    C_SUBS,
    CHUNK,
    F_L_ECON,
    F_L_EMO,
    F_L_KNOW,
    F_RETENTION,
    F_REVENUE,
    F_SAT,
    F_SUBSIDY,
    NO_OPERATOR,
    O_ACTIVE,
    O_BRAND,
    O_CONTACTS,
    O_HYPE,
    O_NEWEST_GEN,
    O_REACH,
    O_SERVICE,
    P_BUNDLE,
    P_CONTRACT,
    P_ETF,
    P_FEE,
    P_GEN,
    P_OFFERED,
    P_ONNET,
    P_SUBSIDY,
    S_IMIT,
    S_INNOV,
    S_PRICE,
    S_QUALITY,
    S_REF,
    S_SOCIAL,
    S_SPEND,
)
from sim.engine.prefetch import PREFETCH_AHEAD, prefetch_ties
from sim.engine.rng import uniform_at

_JIT = {"cache": True, "nogil": True}
_INLINE = {"cache": True, "inline": "always"}  # small per-subscriber helpers
_CALL = {"cache": True}  # larger helpers: IR inlining fails on their argument counts


@numba.njit(cache=True)
def n_chunks(n: int) -> int:
    """Number of fixed-size accumulator chunks covering ``n`` subscribers."""
    return max(1, -(-n // CHUNK))


# --------------------------------------------------------------------------- social signals
@numba.njit(**_INLINE)
def social_signals(i, indptr, indices, op_t, sat_t, gen_t, sw_t, own_gen, f, wom, glob):
    """Fill ``f[j]`` (share of ties on j) and ``wom[j]`` (ties' mean sat - 0.5 on j).

    Returns ``(switched_share, newer_share)``: the share of ties that switched last
    month and the share on a handset generation newer than ``own_gen``. With global
    mixing (``glob[0] == 1``) the same quantities come from the whole population, held
    in ``glob``: [flag, switched share, newer share by generation (6), shares (J), wom (J)].
    """
    n_ops = f.shape[0]
    if glob[0] == 1.0:
        for j in range(n_ops):
            f[j] = glob[8 + j]
            wom[j] = glob[8 + n_ops + j]
        return glob[1], glob[2 + own_gen]
    for j in range(n_ops):
        f[j] = 0.0
        wom[j] = 0.0
    deg = 0
    switched = 0
    newer = 0
    for e in range(indptr[i], indptr[i + 1]):
        k = indices[e]
        j = op_t[k]
        if j == NO_OPERATOR:  # an empty slot: a future entrant, or one who stayed out
            continue
        deg += 1
        f[j] += 1.0
        wom[j] += sat_t[k] - 0.5
        switched += sw_t[k]
        if gen_t[k] > own_gen:
            newer += 1
    if deg == 0:
        return 0.0, 0.0
    for j in range(n_ops):
        if f[j] > 0.0:
            wom[j] /= f[j]
            f[j] /= deg
    return switched / deg, newer / deg


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
def own_price(p, f_own, discount):
    """Monthly price ``fee * (1 - onnet * f) * (1 - discount)`` of plan row ``p``."""
    return p[P_FEE] * (1.0 - p[P_ONNET] * f_own) * (1.0 - discount)


@numba.njit(**_INLINE)
def perceived_value(o, g, price, s, tenure, spend, beh, seg, ops, eff_q, tiers):
    """Step 3 value: ``w_q*(q + service_quality) - w_p*price/ref + tier_benefit``."""
    q = eff_q[o, g] + ops[o, O_SERVICE]
    return (
        beh[B_W_Q] * q - beh[B_W_P] * price / seg[s, S_REF] + tier_benefit(o, tenure, spend, tiers)
    )


# --------------------------------------------------------------------------- step 4
@numba.njit(**_INLINE)
def lockin(p, contract_left, tenure, trust, bundled, s, beh, seg, ktab):
    """Step 4: (economic, knowledge, emotional) lock-in in utility units.

    Economic money terms are divided by the segment's reference price and scaled by its
    price sensitivity; knowledge comes from the tenure lookup ``ktab``.
    """
    money = 0.0
    if contract_left > 0:
        money += p[P_ETF]
        if p[P_CONTRACT] > 0:
            money += p[P_SUBSIDY] * contract_left / p[P_CONTRACT]
    if beh[B_PORTABILITY] == 0.0:
        money += beh[B_NCC]
    if bundled:
        money += beh[B_BUNDLE_COST]
    econ = seg[s, S_PRICE] * money / seg[s, S_REF]
    know = ktab[min(tenure, ktab.shape[0] - 1)]
    return econ, know, trust


# --------------------------------------------------------------------------- step 6 helpers
@numba.njit(**_INLINE)
def plan_utility(j, p, g, f_j, discount, new_contract, s, beh, seg, ops, eff_q):
    """Plan part of ``U_ij``: price, subsidy, quality and technology terms.

    Returns ``(utility, handset generation after taking the plan)``. A new contract on a
    plan of a newer generation with a subsidy upgrades the handset; staying on the own
    plan (``new_contract`` False) never does.
    """
    ref = seg[s, S_REF]
    price = p[P_FEE] * (1.0 - p[P_ONNET] * f_j) * (1.0 - discount)
    gp = int(p[P_GEN])
    needs = gp > g
    g_after = g
    u = seg[s, S_PRICE] * beh[B_PRICE] * price / ref
    if needs:
        u += seg[s, S_INNOV] * beh[B_TECH]
        if new_contract and p[P_SUBSIDY] > 0.0:
            u += seg[s, S_PRICE] * beh[B_SUBSIDY] * p[P_SUBSIDY] / ref
            g_after = gp
    u += seg[s, S_QUALITY] * beh[B_QUALITY] * (eff_q[j, g_after] + ops[j, O_SERVICE])
    return u, g_after


@numba.njit(**_CALL)
def best_plan(j, g, f_j, s, beh, seg, ops, eff_q, plans, eligible, plan_start, only_gen):
    """Best offered plan of operator ``j`` eligible for segment ``s`` (-1 if none).

    ``only_gen > 0`` restricts to plans of that generation (technology migration).
    Returns ``(plan row, plan utility, handset generation after)``; ties go to the
    lower plan row.
    """
    best = -1
    best_u = -np.inf
    best_g = g
    for p in range(plan_start[j], plan_start[j + 1]):
        if plans[p, P_OFFERED] == 0.0 or not eligible[p, s]:
            continue
        if only_gen > 0 and int(plans[p, P_GEN]) != only_gen:
            continue
        u, g_after = plan_utility(j, plans[p], g, f_j, 0.0, True, s, beh, seg, ops, eff_q)
        if u > best_u:
            best, best_u, best_g = p, u, g_after
    return best, best_u, best_g


@numba.njit(**_CALL)
def choose(o, g, s, lock, f, wom, u_choice, beh, seg, ops, eff_q, plans, eligible, plan_start,
           cur_plan, cur_discount, util, plan_of, gen_of):
    """Step 6: multinomial-logit choice among available operators.

    ``o`` is the current operator (``NO_OPERATOR`` for a market entrant, who has no
    lock-in and no own plan). Each rival is valued with its best eligible plan; the own
    operator with the current plan and retention discount. Fills ``util``, ``plan_of``
    and ``gen_of`` (scratch, one per operator) and returns the chosen operator.
    """
    n_ops = util.shape[0]
    m_soc = seg[s, S_SOCIAL]
    u_max = -np.inf
    for j in range(n_ops):
        util[j] = -np.inf
        if j == o:
            u, g_after = plan_utility(j, plans[cur_plan], g, f[j], cur_discount, False,
                                      s, beh, seg, ops, eff_q)
            plan_of[j] = cur_plan
        else:
            if ops[j, O_ACTIVE] == 0.0:
                continue
            p, u, g_after = best_plan(j, g, f[j], s, beh, seg, ops, eff_q, plans, eligible,
                                      plan_start, 0)
            if p < 0:
                continue
            plan_of[j] = p
            u -= lock
        u += ops[j, O_BRAND] + m_soc * (beh[B_SOCIAL] * f[j] + beh[B_WOM] * wom[j])
        util[j] = u
        gen_of[j] = g_after
        if u > u_max:
            u_max = u
    if u_max == -np.inf:
        return o
    total = 0.0
    for j in range(n_ops):
        if util[j] > -np.inf:
            util[j] = math.exp((util[j] - u_max) / beh[B_MU])
            total += util[j]
        else:
            util[j] = 0.0
    target = u_choice * total
    acc = 0.0
    last = o
    for j in range(n_ops):
        if util[j] > 0.0:
            acc += util[j]
            last = j
            if target < acc:
                return j
    return last


# --------------------------------------------------------------------------- step 5 helper
@numba.njit(**_INLINE)
def consider_probability(sat, expired, saw_offer, switched_share, s, beh, seg):
    """Step 5: probability of considering a switch this month, clipped to [0, 1]."""
    pr = (
        beh[B_C_BASE]
        + beh[B_C_DISSAT] * max(0.0, beh[B_S_THR] - sat)
        + beh[B_C_EXPIRY] * expired
        + beh[B_C_MARKET] * saw_offer
        + beh[B_C_SOCIAL] * seg[s, S_SOCIAL] * switched_share
    )
    return min(1.0, max(0.0, pr))


@numba.njit(**_INLINE)
def offer_seen_probability(o, ops):
    """Chance of seeing at least one competitor's offer: ``1 - prod(1 - reach_j)``."""
    miss = 1.0
    for j in range(ops.shape[0]):
        if j != o and ops[j, O_ACTIVE] != 0.0:
            miss *= 1.0 - ops[j, O_REACH]
    return 1.0 - miss


# --------------------------------------------------------------------------- step 9 helper
@numba.njit(**_INLINE)
def account_levels(o, s, p, g, sat, econ, know, emo, f_o, discount, spend, plans, cnt, sm):
    """Step 9 levels of one end-of-month subscriber: counts, bill, satisfaction, lock-in."""
    cnt[o, s, C_SUBS] += 1
    cnt[o, s, C_GEN2 + g - 2] += 1
    list_price = own_price(plans[p], f_o, 0.0) * spend
    sm[o, s, F_REVENUE] += list_price * (1.0 - discount)
    sm[o, s, F_RETENTION] += list_price * discount
    sm[o, s, F_SAT] += sat
    sm[o, s, F_L_ECON] += econ
    sm[o, s, F_L_KNOW] += know
    sm[o, s, F_L_EMO] += emo


# --------------------------------------------------------------------------- the month
@numba.njit(parallel=True, **_JIT)
def month_kernel(
    n_active, n_after, indptr, indices,
    op_t, op_n, sat_t, sat_n, gen_t, gen_n, sw_t, sw_n,
    plan, seg_of, tenure, contract_left, expectation, trust, annoyance, retention_left,
    retention_discount, bundled, spend, expired,
    beh, seg, ops, eff_q, tiers, plans, eligible, plan_start, ktab, glob, keys,
    cnt, sm, flows,
):
    """Steps 3-9 for every subscriber slot in ``[0, n_after)``.

    Slots ``< n_active`` are customers at month t; slots in ``[n_active, n_after)`` are
    this month's market entrants, who choose an operator with the same logit and no
    lock-in. ``keys`` are the stream keys of this month: consider, offer seen, choice,
    migration, recontract. Accumulators are per chunk: ``cnt[c, op, seg, C_*]``,
    ``sm[c, op, seg, F_*]``, ``flows[c, from, to]``; the caller zeroes and sums them.
    """
    n_ops = ops.shape[0]
    k_consider, k_offer, k_choice, k_mig, k_recontract = keys[0], keys[1], keys[2], keys[3], keys[4]
    for c in numba.prange(n_chunks(n_after)):
        f = np.empty(n_ops)
        wom = np.empty(n_ops)
        util = np.empty(n_ops)
        plan_of = np.empty(n_ops, dtype=np.int64)
        gen_of = np.empty(n_ops, dtype=np.int64)
        ccnt = cnt[c]
        csm = sm[c]
        cflows = flows[c]
        end = min(n_after, (c + 1) * CHUNK)
        for i in range(c * CHUNK, end):
            if glob[0] == 0.0:
                prefetch_ties(i + PREFETCH_AHEAD, end, indptr, indices, op_t, sat_t, gen_t, sw_t)
            s = seg_of[i]
            g = gen_t[i]
            sw_share, newer_share = social_signals(
                i, indptr, indices, op_t, sat_t, gen_t, sw_t, g, f, wom, glob
            )
            spend_i = spend[i] * seg[s, S_SPEND]
            if i >= n_active or op_t[i] == NO_OPERATOR:
                _enter(i, s, g, f, wom, k_choice, beh, seg, ops, eff_q, tiers, plans, eligible,
                       plan_start, ktab, util, plan_of, gen_of,
                       op_n, sat_n, gen_n, sw_n, plan, tenure, contract_left, expectation,
                       trust, annoyance, retention_left, bundled, spend_i, expired, ccnt, csm)
                continue
            o = op_t[i]
            p = plan[i]
            ten = tenure[i]
            cl = contract_left[i]
            ret = retention_left[i]
            # step 3: experience and satisfaction
            discount = retention_discount[i] if ret > 0 else 0.0
            price = own_price(plans[p], f[o], discount)
            value = perceived_value(o, g, price, s, ten, spend_i, beh, seg, ops, eff_q, tiers)
            d = value - expectation[i]
            sat = (1.0 - beh[B_LAM]) * sat_t[i] + beh[B_LAM] * min(1.0, max(0.0, 0.5 + d))
            sat = min(1.0, max(0.0, sat - beh[B_ANNOY_PEN] * annoyance[i]))
            exp_new = expectation[i] + beh[B_KAPPA] * (value - expectation[i])
            tr = (1.0 - beh[B_DELTA]) * trust[i] + beh[B_THETA_UP] * max(d - beh[B_EPS], 0.0)
            tr = max(0.0, tr - beh[B_THETA_DOWN] * max(-d - beh[B_EPS], 0.0))
            # step 4: lock-in
            econ, know, emo = lockin(plans[p], cl, ten, tr, bundled[i], s, beh, seg, ktab)
            # step 5: consideration (and annoyance from the own operator's contacts)
            excess = max(0.0, ops[o, O_CONTACTS] - beh[B_ANNOY_TOL])
            annoyance[i] = (1.0 - beh[B_ANNOY_DECAY]) * annoyance[i] + beh[B_ANNOY_RATE] * excess
            saw = 1.0 if uniform_at(k_offer, i) < offer_seen_probability(o, ops) else 0.0
            pr = consider_probability(sat, expired[i], saw, sw_share, s, beh, seg)
            j = o
            if uniform_at(k_consider, i) < pr:
                ccnt[o, s, C_CONSIDER] += 1
                # step 6: choice
                j = choose(o, g, s, econ + know + emo, f, wom, uniform_at(k_choice, i), beh, seg,
                           ops, eff_q, plans, eligible, plan_start, p, discount, util, plan_of,
                           gen_of)
            if j != o:
                # step 7: switch
                np_ = plan_of[j]
                g2 = gen_of[j]
                _join(i, j, np_, g, g2, s, f[j], beh, seg, ops, eff_q, tiers, plans,
                      op_n, sat_n, gen_n, plan, tenure, contract_left, expectation, trust,
                      retention_left, bundled, spend_i, expired, csm)
                sw_n[i] = 1
                ccnt[o, s, C_CHURN] += 1
                ccnt[j, s, C_ADDS] += 1
                cflows[o, j] += 1
                econ, know, emo = lockin(plans[np_], contract_left[i], 0, trust[i], bundled[i],
                                         s, beh, seg, ktab)
                account_levels(j, s, np_, g2, sat_n[i], econ, know, emo, f[j], 0.0, spend_i,
                               plans, ccnt, csm)
                continue
            # step 7: stay
            op_n[i] = o
            sw_n[i] = 0
            sat_n[i] = sat
            expectation[i] = exp_new
            trust[i] = tr
            tenure[i] = min(ten + 1, 65535)
            retention_left[i] = max(ret - 1, 0)
            ended = 0
            if cl > 0:
                cl -= 1
                if cl == 0:
                    if uniform_at(k_recontract, i) < beh[B_RECONTRACT]:
                        cl = int(plans[p, P_CONTRACT])
                    else:
                        ended = 1
            expired[i] = ended
            # step 8: technology migration with the same operator
            g2 = g
            newest = int(ops[o, O_NEWEST_GEN])
            if g < newest:
                mp, _, _ = best_plan(o, g, f[o], s, beh, seg, ops, eff_q, plans, eligible,
                                     plan_start, newest)
                sub = plans[mp, P_SUBSIDY] if mp >= 0 else 0.0
                prob = (
                    seg[s, S_INNOV] * beh[B_P]
                    + seg[s, S_IMIT] * beh[B_Q] * newer_share
                    + beh[B_MIG_SUB] * sub / seg[s, S_REF]
                )
                if uniform_at(k_mig, i) < prob:
                    g2 = newest
                    ccnt[o, s, C_MIGRATIONS] += 1
                    if mp >= 0:
                        p = mp
                        plan[i] = mp
                        cl = int(plans[mp, P_CONTRACT])
                        expired[i] = 0
                        csm[o, s, F_SUBSIDY] += sub
            gen_n[i] = g2
            contract_left[i] = cl
            econ, know, emo = lockin(plans[p], cl, tenure[i], tr, bundled[i], s, beh, seg, ktab)
            account_levels(o, s, p, g2, sat, econ, know, emo, f[o], discount, spend_i,
                           plans, ccnt, csm)


@numba.njit(**_CALL)
def _join(i, j, p, g, g2, s, f_j, beh, seg, ops, eff_q, tiers, plans,
          op_n, sat_n, gen_n, plan, tenure, contract_left, expectation, trust,
          retention_left, bundled, spend_i, expired, csm):
    """Step 7 for a subscriber who takes plan ``p`` of operator ``j`` (switch or entry).

    ``spend_i`` is the subscriber's spend level (individual x segment).
    """
    op_n[i] = j
    plan[i] = p
    gen_n[i] = g2
    tenure[i] = 0
    contract_left[i] = int(plans[p, P_CONTRACT])
    trust[i] = beh[B_TRUST0]
    sat_n[i] = beh[B_SAT0]
    price = own_price(plans[p], f_j, 0.0)
    value = perceived_value(j, g2, price, s, 0, spend_i, beh, seg, ops, eff_q, tiers)
    expectation[i] = value + ops[j, O_HYPE]
    retention_left[i] = 0
    bundled[i] = plans[p, P_BUNDLE] != 0.0
    expired[i] = 0
    if g2 > g:
        csm[j, s, F_SUBSIDY] += plans[p, P_SUBSIDY]


@numba.njit(**_CALL)
def _enter(i, s, g, f, wom, k_choice, beh, seg, ops, eff_q, tiers, plans, eligible, plan_start,
           ktab, util, plan_of, gen_of, op_n, sat_n, gen_n, sw_n, plan, tenure, contract_left,
           expectation, trust, annoyance, retention_left, bundled, spend_i, expired, ccnt, csm):
    """A market entrant picks an operator by the logit, without lock-in, and joins it."""
    j = choose(NO_OPERATOR, g, s, 0.0, f, wom, uniform_at(k_choice, i), beh, seg, ops, eff_q,
               plans, eligible, plan_start, 0, 0.0, util, plan_of, gen_of)
    if j == NO_OPERATOR:  # no operator offers this segment anything: stays out of the market
        op_n[i] = NO_OPERATOR
        gen_n[i] = g
        sat_n[i] = 0.0
        sw_n[i] = 0
        return
    p = plan_of[j]
    g2 = gen_of[j]
    _join(i, j, p, g, g2, s, f[j], beh, seg, ops, eff_q, tiers, plans, op_n, sat_n, gen_n,
          plan, tenure, contract_left, expectation, trust, retention_left, bundled, spend_i,
          expired, csm)
    annoyance[i] = 0.0
    sw_n[i] = 0
    ccnt[j, s, C_ADDS] += 1
    ccnt[j, s, C_ENTRANTS] += 1
    econ, know, emo = lockin(plans[p], contract_left[i], 0, trust[i], bundled[i], s, beh, seg, ktab)
    account_levels(j, s, p, g2, sat_n[i], econ, know, emo, f[j], 0.0, spend_i, plans, ccnt, csm)


# --------------------------------------------------------------------------- month 0 and step 2
@numba.njit(parallel=True, **_JIT)
def census_kernel(
    n_active, indptr, indices, op, sat, gen, sw, plan, seg_of, tenure, contract_left,
    expectation, trust, retention_left, retention_discount, bundled, spend,
    beh, seg, ops, eff_q, tiers, plans, ktab, glob, set_expectation, cnt, sm,
):
    """Step-9 levels of the current state (month 0), optionally seeding expectations.

    With ``set_expectation`` each customer's expectation is set to the value they
    perceive now, so the model starts without a surprise.
    """
    n_ops = ops.shape[0]
    for c in numba.prange(n_chunks(n_active)):
        f = np.empty(n_ops)
        wom = np.empty(n_ops)
        for i in range(c * CHUNK, min(n_active, (c + 1) * CHUNK)):
            o = op[i]
            if o == NO_OPERATOR:
                continue
            s = seg_of[i]
            g = gen[i]
            social_signals(i, indptr, indices, op, sat, gen, sw, g, f, wom, glob)
            p = plan[i]
            spend_i = spend[i] * seg[s, S_SPEND]
            discount = retention_discount[i] if retention_left[i] > 0 else 0.0
            if set_expectation:
                price = own_price(plans[p], f[o], discount)
                expectation[i] = perceived_value(o, g, price, s, tenure[i], spend_i, beh, seg,
                                                 ops, eff_q, tiers)
            econ, know, emo = lockin(plans[p], contract_left[i], tenure[i], trust[i], bundled[i],
                                     s, beh, seg, ktab)
            account_levels(o, s, p, g, sat[i], econ, know, emo, f[o], discount, spend_i, plans,
                           cnt[c], sm[c])


@numba.njit(parallel=True, **_JIT)
def churn_risk_kernel(n_active, indptr, indices, op, sat, gen, sw, contract_left, beh, glob, n_ops):
    """Step 2 risk score of every customer (float64, one per slot; -1 for empty slots).

    ``risk = w_sat*(1 - sat) + w_exp*[contract ends within 2 months] + w_soc*switched_ties``.
    """
    risk = np.empty(n_active)
    for c in numba.prange(n_chunks(n_active)):
        f = np.empty(n_ops)
        wom = np.empty(n_ops)
        end = min(n_active, (c + 1) * CHUNK)
        for i in range(c * CHUNK, end):
            if glob[0] == 0.0:
                prefetch_ties(i + PREFETCH_AHEAD, end, indptr, indices, op, sat, gen, sw)
            if op[i] == NO_OPERATOR:
                risk[i] = -1.0
                continue
            sw_share, _ = social_signals(i, indptr, indices, op, sat, gen, sw, gen[i], f, wom, glob)
            ending = 1.0 if 0 < contract_left[i] <= 2 else 0.0
            risk[i] = (
                beh[B_RISK_SAT] * (1.0 - sat[i])
                + beh[B_RISK_EXP] * ending
                + beh[B_RISK_SOC] * sw_share
            )
    return risk
