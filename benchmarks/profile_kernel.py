"""Where the subscriber kernel's time goes: each step's helper timed alone.

numba kernels are opaque to Python profilers, so this profiles by parts: the state of a
real model after a few months is handed to small kernels that each run one helper of
``month_kernel`` over every subscriber (with a checksum so nothing is optimised away).
CPU time per agent-step on one thread, so other load on the machine matters less. The
parts overlap inside the fused kernel (memory latency hides behind arithmetic), so
their sum exceeds the whole.

python -m benchmarks.profile_kernel --n 1000000
"""

import argparse
import json
import time

import numba
import numpy as np

from sim.engine.kernels import (
    best_plan,
    consider_probability,
    lockin,
    n_chunks,
    offer_seen_probability,
    own_price,
    perceived_value,
    social_signals,
)
from sim.engine.layout import CHUNK, O_NEWEST_GEN
from sim.engine.prefetch import PREFETCH_AHEAD, prefetch_ties
from sim.engine.rng import uniform_at


@numba.njit(parallel=True, cache=True)
def _stream(
    n, op, sat, gen, sw, plan, seg_of, tenure, cl, exp, trust, ann, ret, disc, spend, expired
):
    """Baseline: read every state field once (what any pass over the population costs)."""
    out = np.empty(n)
    for i in numba.prange(n):
        out[i] = (
            op[i]
            + sat[i]
            + gen[i]
            + sw[i]
            + plan[i]
            + seg_of[i]
            + tenure[i]
            + cl[i]
            + exp[i]
            + trust[i]
            + ann[i]
            + ret[i]
            + disc[i]
            + spend[i]
            + expired[i]
        )
    return out.sum()


@numba.njit(parallel=True, cache=True)
def _social(n, indptr, indices, op, sat, gen, sw, n_ops, glob, ahead):
    """Step 3's social signals, prefetching the ties of slot ``i + ahead`` (0: none)."""
    out = np.empty(n)
    for c in numba.prange(n_chunks(n)):
        f = np.empty(n_ops)
        wom = np.empty(n_ops)
        end = min(n, (c + 1) * CHUNK)
        for i in range(c * CHUNK, end):
            if ahead > 0:
                prefetch_ties(i + ahead, end, indptr, indices, op, sat, gen, sw)
            a, b = social_signals(i, indptr, indices, op, sat, gen, sw, gen[i], f, wom, glob)
            out[i] = a + b + f[0] + wom[0]
    return out.sum()


@numba.njit(parallel=True, cache=True)
def _experience(
    n,
    op,
    gen,
    seg_of,
    plan,
    tenure,
    contract_left,
    trust,
    bundled,
    spend,
    expired,
    retention_discount,
    beh,
    seg,
    ops,
    eff_q,
    tiers,
    plans,
    ktab,
    key,
):
    """Steps 3-5 arithmetic: value, lock-in, offer seen, consideration and their draws."""
    out = np.empty(n)
    for i in numba.prange(n):
        o, s, g, p = op[i], seg_of[i], gen[i], plan[i]
        price = own_price(plans[p], 0.3, retention_discount[i])
        v = perceived_value(o, g, price, s, tenure[i], spend[i], beh, seg, ops, eff_q, tiers)
        e, k, m = lockin(
            plans[p], contract_left[i], tenure[i], trust[i], bundled[i], s, beh, seg, ktab
        )
        saw = 1.0 if uniform_at(key, i) < offer_seen_probability(o, ops) else 0.0
        pr = consider_probability(v, expired[i], saw, 0.1, s, beh, seg)
        out[i] = pr + e + k + m + uniform_at(key + np.uint64(1), i)
    return out.sum()


@numba.njit(parallel=True, cache=True)
def _migration_offer(n, op, gen, seg_of, beh, seg, ops, eff_q, plans, eligible, plan_start):
    """Step 8's best plan of the newest generation, for subscribers not on it yet."""
    out = np.zeros(n)
    for i in numba.prange(n):
        o, g = op[i], gen[i]
        newest = int(ops[o, O_NEWEST_GEN])
        if g < newest:
            p, u, _ = best_plan(
                o, g, 0.3, seg_of[i], beh, seg, ops, eff_q, plans, eligible, plan_start, newest
            )
            out[i] = p + u
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
    st, g, tb = model.state, model.graph, model.tables
    n_ops = tb.ops.shape[0]
    start = time.process_time()
    model.step()  # the month_kernel, plus events and accounting (negligible)
    whole = time.process_time() - start
    key = np.uint64(12345)
    parts = {
        "whole month_kernel (steps 3-9)": whole,
        "read every state field once": _cpu(
            _stream,
            n,
            st.operator,
            st.satisfaction,
            st.handset_gen,
            st.switched,
            st.plan,
            st.segment,
            st.tenure,
            st.contract_left,
            st.expectation,
            st.trust,
            st.annoyance,
            st.retention_left,
            st.retention_discount,
            st.spend,
            st.expired,
        ),
        "social signals (ties' operator, satisfaction, generation, switched)": _cpu(
            _social,
            n,
            g.indptr,
            g.indices,
            st.operator,
            st.satisfaction,
            st.handset_gen,
            st.switched,
            n_ops,
            model.glob,
            PREFETCH_AHEAD,
        ),
        "the same without prefetching ties": _cpu(
            _social,
            n,
            g.indptr,
            g.indices,
            st.operator,
            st.satisfaction,
            st.handset_gen,
            st.switched,
            n_ops,
            model.glob,
            0,
        ),
        "experience, lock-in, offer seen, consideration (steps 3-5)": _cpu(
            _experience,
            n,
            st.operator,
            st.handset_gen,
            st.segment,
            st.plan,
            st.tenure,
            st.contract_left,
            st.trust,
            st.bundled,
            st.spend,
            st.expired,
            st.retention_discount,
            tb.beh,
            tb.seg,
            tb.ops,
            tb.eff_q,
            tb.tiers,
            tb.plans,
            tb.ktab,
            key,
        ),
        "migration offer: best newest-generation plan (step 8)": _cpu(
            _migration_offer,
            n,
            st.operator,
            st.handset_gen,
            st.segment,
            tb.beh,
            tb.seg,
            tb.ops,
            tb.eff_q,
            tb.plans,
            tb.eligible,
            tb.plan_start,
        ),
    }
    steps = n
    return {
        "n": n,
        "threads": 1,
        "mean_degree": spec.network.mean_degree,
        "ns_cpu_per_agent_step": {k: round(v / steps * 1e9, 1) for k, v in parts.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--scenario", default="scenarios/china_3g_2009.yaml")
    print(json.dumps(profile(ap.parse_args().n, ap.parse_args().scenario), indent=2))


if __name__ == "__main__":
    main()
