"""Where the subscriber kernel's time goes: each step's helper timed alone.

numba kernels are opaque to Python profilers, so this profiles by parts: the state of a
real model after a few months is handed to small kernels that each run one helper of
``month_kernel`` over every subscriber (with a checksum so nothing is optimised away).
CPU time per agent-step on one thread, so other load on the machine matters less. The
parts overlap inside the fused kernel (memory latency hides behind arithmetic), so
their sum exceeds the whole. Parts the kernel runs for some subscribers only (the
choice, for those who consider switching) are timed over every customer and reported
per call, with the share of customers that make the call in a month.

python -m benchmarks.profile_kernel --n 1000000
"""

import argparse
import json
import time

import numba
import numpy as np

from sim.engine.kernels import (
    account_levels,
    best_plan,
    choose,
    consider_probability,
    lockin,
    migration_offer,
    migration_ruled_out,
    n_chunks,
    new_scratch,
    offer_seen_probability,
    own_price,
    perceived_value,
    social_counts,
    social_signals,
)
from sim.engine.layout import (
    ADOPT_RANKS,
    C_CONSIDER,
    C_ENTRANTS,
    C_SUBS,
    CHUNK,
    NO_OPERATOR,
    O_NEWEST_GEN,
)
from sim.engine.prefetch import PREFETCH_AHEAD, prefetch_ties
from sim.engine.records import Accumulators
from sim.engine.rng import uniform_at
from sim.engine.tiecounts import counted_signals, update_tie_counts


# Each part is a prange over chunks calling a serial chunk function, like the kernels.
@numba.njit(parallel=True, cache=True)
def _sum_field(n, a):
    """Stream one state field (its share of what any pass over the population costs)."""
    out = np.empty(n)
    for i in numba.prange(n):
        out[i] = a[i]
    return out.sum()


def _stream(n: int, fields: list[np.ndarray]) -> float:
    """Baseline: read every state field once, field by field."""
    return sum(_sum_field(n, a) for a in fields)


@numba.njit(cache=True)
def _social_chunk(c, n, ties, now, mean_field, n_ops, ahead):
    scratch = new_scratch(n_ops, 0)
    total = 0.0
    end = min(n, (c + 1) * CHUNK)
    for i in range(c * CHUNK, end):
        if ahead > 0:
            prefetch_ties(i + ahead, end, ties, now)
        g = now.handset_gen[i]
        a, b = social_signals(
            i, g, ties, now, mean_field, scratch.f, scratch.ties_on, scratch.tie_row, scratch.wom
        )
        total += a + b + scratch.f[0] + scratch.wom[0]
    return total


@numba.njit(parallel=True, cache=True)
def _social(n, ties, now, mean_field, n_ops, ahead):
    """Step 3's social signals, prefetching the ties of slot ``i + ahead`` (0: none)."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _social_chunk(c, n, ties, now, mean_field, n_ops, ahead)
    return out.sum()


@numba.njit(cache=True)
def _counts_chunk(c, n, ties, now, mean_field, n_ops, ahead):
    scratch = new_scratch(n_ops, 0)
    total = 0.0
    end = min(n, (c + 1) * CHUNK)
    for i in range(c * CHUNK, end):
        if ahead > 0:
            prefetch_ties(i + ahead, end, ties, now)
        g = now.handset_gen[i]
        a, b = social_counts(
            i, g, ties, now, mean_field, scratch.f, scratch.ties_on, scratch.tie_row
        )
        total += a + b + scratch.f[0]
    return total


@numba.njit(parallel=True, cache=True)
def _counts(n, ties, now, mean_field, n_ops, ahead):
    """The integer social signals alone: ties per operator, switched, on a newer generation."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _counts_chunk(c, n, ties, now, mean_field, n_ops, ahead)
    return out.sum()


@numba.njit(cache=True)
def _counted_chunk(c, n, tie_counts, now, mean_field, n_ops):
    scratch = new_scratch(n_ops, 0)
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        g = now.handset_gen[i]
        a, b = counted_signals(tie_counts, i, g, mean_field, scratch.f, scratch.ties_on)
        total += a + b + scratch.f[0]
    return total


@numba.njit(parallel=True, cache=True)
def _counted(n, tie_counts, now, mean_field, n_ops):
    """The same signals read from the tie counts kept from month to month."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _counted_chunk(c, n, tie_counts, now, mean_field, n_ops)
    return out.sum()


@numba.njit(cache=True)
def _experience_chunk(c, n, now, private, market, beh, key):
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o, s, g, p = now.operator[i], private.segment[i], now.handset_gen[i], private.plan[i]
        if o == NO_OPERATOR:
            continue
        price = own_price(market.plans, p, 0.3, private.retention_discount[i])
        v = perceived_value(
            o,
            g,
            price,
            s,
            private.tenure[i],
            private.spend[i],
            beh,
            market.seg,
            market.ops,
            market.eff_q,
            market.tiers,
        )
        lock = lockin(
            market.plans,
            p,
            private.contract_left[i],
            private.tenure[i],
            private.trust[i],
            private.bundled[i],
            s,
            beh,
            market.seg,
            market.ktab,
        )
        saw = 1.0 if uniform_at(key, i) < offer_seen_probability(o, market.ops) else 0.0
        pr = consider_probability(v, private.expired[i], saw, 0.1, 0.0, s, beh, market.seg)
        total += pr + lock[0] + lock[1] + lock[2] + uniform_at(key + np.uint64(1), i)
    return total


@numba.njit(parallel=True, cache=True)
def _experience(n, now, private, market, beh, key):
    """Steps 3-5 arithmetic: value, lock-in, offer seen, consideration and their draws."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _experience_chunk(c, n, now, private, market, beh, key)
    return out.sum()


@numba.njit(cache=True)
def _choice_chunk(c, n, now, private, market, beh, key):
    n_ops = market.ops.shape[0]
    scratch = new_scratch(n_ops, market.plans.shape[0])
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o = now.operator[i]
        if o == NO_OPERATOR:
            continue
        for j in range(n_ops):
            scratch.f[j] = 1.0 / n_ops
            scratch.wom[j] = 0.1
        rank = private.adopt_rank[i] / ADOPT_RANKS
        u1, u2 = uniform_at(key, i), uniform_at(key + np.uint64(1), i)
        s, g, p = private.segment[i], now.handset_gen[i], private.plan[i]
        total += choose(o, g, s, rank, 0.5, p, 0.0, -1, -1, u1, u2, beh, market, scratch)
    return total


@numba.njit(parallel=True, cache=True)
def _choice(n, now, private, market, beh, key):
    """Step 6's logit over operators (each rival's plan nest), for every customer."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _choice_chunk(c, n, now, private, market, beh, key)
    return out.sum()


@numba.njit(cache=True)
def _step8_chunk(c, n, now, private, market, beh, key):
    scratch = new_scratch(market.ops.shape[0], market.plans.shape[0])
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o = now.operator[i]
        if o == NO_OPERATOR:
            continue
        s = private.segment[i]
        u = uniform_at(key, i)
        if not migration_ruled_out(u, o, s, 0.2, beh, market.seg, market.ops, market.dev_avail):
            rank = private.adopt_rank[i] / ADOPT_RANKS
            g, p = now.handset_gen[i], private.plan[i]
            pr, mp, sub = migration_offer(
                o, g, p, s, rank, 0.0, 0.3, 0.2, 0.5, beh, market, scratch
            )
            total += pr + mp + sub
    return total


@numba.njit(parallel=True, cache=True)
def _step8(n, now, private, market, beh, key):
    """Step 8 as the kernel runs it: the draw against its bound, the offer if not ruled out."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _step8_chunk(c, n, now, private, market, beh, key)
    return out.sum()


@numba.njit(cache=True)
def _migration_chunk(c, n, now, private, market, beh):
    scratch = new_scratch(market.ops.shape[0], market.plans.shape[0])
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o, g = now.operator[i], now.handset_gen[i]
        if o == NO_OPERATOR:
            continue
        newest = int(market.ops[o, O_NEWEST_GEN])
        if g < newest:
            rank = private.adopt_rank[i] / ADOPT_RANKS
            p, u, _ = best_plan(
                o, g, 0.3, private.segment[i], newest, rank, 0.5, beh, market, scratch
            )
            total += p + u
    return total


@numba.njit(parallel=True, cache=True)
def _migration_offer(n, now, private, market, beh):
    """Step 8's best plan of the newest generation, for every customer not on it yet."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _migration_chunk(c, n, now, private, market, beh)
    return out.sum()


@numba.njit(cache=True)
def _account_chunk(c, n, now, private, market, beh, acc):
    cnt, sm, coh = acc.counts[c], acc.sums[c], acc.cohorts[c]
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o = now.operator[i]
        if o == NO_OPERATOR:
            continue
        s, p, ten, cl = (
            private.segment[i],
            private.plan[i],
            private.tenure[i],
            private.contract_left[i],
        )
        lock = lockin(
            market.plans,
            p,
            cl,
            ten,
            private.trust[i],
            private.bundled[i],
            s,
            beh,
            market.seg,
            market.ktab,
        )
        account_levels(
            o,
            s,
            p,
            now.handset_gen[i],
            now.satisfaction[i],
            lock,
            0.3,
            0.0,
            private.spend[i],
            cl,
            ten,
            private.bundled[i],
            market.plans,
            market.tiers,
            cnt,
            sm,
            coh,
        )
    return 0.0


@numba.njit(parallel=True, cache=True)
def _account(n, now, private, market, beh, acc):
    """Step 9: the closing lock-in and the levels, cohorts included, for every customer."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _account_chunk(c, n, now, private, market, beh, acc)
    return out.sum()


def _cpu(fn, *args, repeat: int = 3) -> float:
    fn(*args)  # load from cache / compile
    best = np.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - t0)
    return best


def profile(n: int, scenario: str = "scenarios/china_3g_2009.yaml", warm_months: int = 24) -> dict:
    """ns of CPU per agent-step of the whole kernel and of each part, one thread."""
    from sim.market.model import MarketModel
    from sim.scenario import load_scenario, with_overrides

    numba.set_num_threads(1)
    spec = with_overrides(
        load_scenario(scenario),
        {
            "population.size": n,
            "simulation.months": warm_months + 1,
            "events": [],
            "population.entry_per_month": 0.0,
            "simulation.replications": 1,
        },
    )
    model = MarketModel(spec, seed=1)
    for _ in range(warm_months):
        model.step()
    st, ties, tb = model.state, model.graph.ties, model.tables
    market, beh = tb.view(), tb.behaviour()
    n_ops = tb.ops.shape[0]
    start = time.process_time()
    model.step()  # the month_kernel, plus events and accounting (negligible)
    whole = time.process_time() - start
    counts = model.counts[model.month]
    key = np.uint64(12345)
    acc = Accumulators.zeros(n_chunks(n), n_ops, tb.seg.shape[0], tb.tiers.shape[1])
    mf = model.mean_field
    parts = {
        "whole month_kernel (steps 3-9)": whole,
        "read every state field once": _cpu(_stream, n, [*st.now, *st.private]),
        "social signals (ties' operator, satisfaction, generation, switched)": _cpu(
            _social, n, ties, st.now, mf, n_ops, PREFETCH_AHEAD
        ),
        "the same without prefetching ties": _cpu(_social, n, ties, st.now, mf, n_ops, 0),
        "social counts only (operator, generation, switched; no word of mouth)": _cpu(
            _counts, n, ties, st.now, mf, n_ops, PREFETCH_AHEAD
        ),
        "the same from the tie counts kept (what the kernel reads)": _cpu(
            _counted, n, model.tie_counts, st.now, mf, n_ops
        ),
        "tie counts' update after the month (one range of rows)": _cpu(
            update_tie_counts, n, st.nxt, st.now, ties, model.tie_counts.copy(), 1
        ),
        "experience, lock-in, offer seen, consideration (steps 3-5)": _cpu(
            _experience, n, st.now, st.private, market, beh, key
        ),
        "step 8 as run: draw against its bound, offer if not ruled out": _cpu(
            _step8, n, st.now, st.private, market, beh, key
        ),
        "step 8 offer for every customer below the newest generation": _cpu(
            _migration_offer, n, st.now, st.private, market, beh
        ),
        "step 9: closing lock-in, levels and cohorts": _cpu(
            _account, n, st.now, st.private, market, beh, acc
        ),
    }
    per_call = {
        "step 6 choice, per call": _cpu(_choice, n, st.now, st.private, market, beh, key),
    }
    subs = counts[:, :, C_SUBS].sum()
    return {
        "n": n,
        "threads": 1,
        "mean_degree": spec.network.mean_degree,
        "ns_cpu_per_agent_step": {k: round(v / n * 1e9, 1) for k, v in parts.items()},
        "ns_cpu_per_call": {k: round(v / n * 1e9, 1) for k, v in per_call.items()},
        "share_considering": round(float(counts[:, :, C_CONSIDER].sum() / subs), 4),
        "share_entering": round(float(counts[:, :, C_ENTRANTS].sum() / subs), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--scenario", default="scenarios/china_3g_2009.yaml")
    args = ap.parse_args()
    print(json.dumps(profile(args.n, args.scenario), indent=2))


if __name__ == "__main__":
    main()
