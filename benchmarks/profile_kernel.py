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
    new_scratch,
    offer_seen_probability,
    own_price,
    perceived_value,
    social_signals,
)
from sim.engine.layout import ADOPT_RANKS, CHUNK, O_NEWEST_GEN
from sim.engine.prefetch import PREFETCH_AHEAD, prefetch_ties
from sim.engine.rng import uniform_at


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
        a, b = social_signals(i, now.handset_gen[i], ties, now, mean_field, scratch.f, scratch.wom)
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
def _experience_chunk(c, n, now, private, market, beh, key):
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o, s, g, p = now.operator[i], private.segment[i], now.handset_gen[i], private.plan[i]
        price = own_price(market.plans[p], 0.3, private.retention_discount[i])
        v = perceived_value(o, g, price, s, private.tenure[i], private.spend[i], beh, market)
        lock = lockin(
            market.plans[p],
            private.contract_left[i],
            private.tenure[i],
            private.trust[i],
            private.bundled[i],
            s,
            beh,
            market,
        )
        saw = 1.0 if uniform_at(key, i) < offer_seen_probability(o, market.ops) else 0.0
        pr = consider_probability(v, private.expired[i], saw, 0.1, s, beh, market.seg)
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
def _migration_chunk(c, n, now, private, market, beh):
    scratch = new_scratch(market.ops.shape[0], market.plans.shape[0])
    total = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        o, g = now.operator[i], now.handset_gen[i]
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
    """Step 8's best plan of the newest generation, for subscribers not on it yet."""
    out = np.empty(n_chunks(n))
    for c in numba.prange(n_chunks(n)):
        out[c] = _migration_chunk(c, n, now, private, market, beh)
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
    key = np.uint64(12345)
    parts = {
        "whole month_kernel (steps 3-9)": whole,
        "read every state field once": _cpu(_stream, n, [*st.now, *st.private]),
        "social signals (ties' operator, satisfaction, generation, switched)": _cpu(
            _social, n, ties, st.now, model.mean_field, n_ops, PREFETCH_AHEAD
        ),
        "the same without prefetching ties": _cpu(
            _social, n, ties, st.now, model.mean_field, n_ops, 0
        ),
        "experience, lock-in, offer seen, consideration (steps 3-5)": _cpu(
            _experience, n, st.now, st.private, market, beh, key
        ),
        "migration offer: best newest-generation plan (step 8)": _cpu(
            _migration_offer, n, st.now, st.private, market, beh
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
