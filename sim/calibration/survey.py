"""Simulated surveys: a panel fielded inside a run, asking what a real questionnaire asks.

At each wave month a survey samples respondents by segment x operator quotas, like a
real panel, and records for each of them:

- ``satisfaction``: the model's satisfaction (0..1) on a 1-10 scale,
  ``score = floor(1 + 9 * satisfaction + 0.5)`` (round half up), so 0 -> 1, 0.5 -> 6
  (5.5 rounded up) and 1 -> 10;
- ``intention``: "will you switch operator within 12 months?". The subscriber's own
  monthly leave probability is ``P(consider) * P(choose a rival | consider)``, evaluated
  on the end-of-month state with the engine's own step-5 and step-6 functions
  (consideration averaged over seeing a rival's offer or not; logit choice with the
  lock-in); over 12 months ``1 - (1 - p)^12``; the respondent answers yes with a draw
  from the counter-based generator;
- ``on_contract``, ``contract`` (the plan's contract months while inside a contract,
  else 0), ``tenure`` (months), ``handset_gen``;
- ``adopt``: "will you use a generation-G network within 12 months?" (G per statistic):
  yes for a handset already on G or newer; otherwise a draw with the 12-month chance of
  the step-8 migration probability towards the operator's newest generation if that is
  at least G, and no where the operator offers nothing that new;
- ``reason``: the largest term of the step-5 consideration probability (``base``,
  ``dissatisfied``, ``contract_ended``, ``offer``, ``social``), the respondent's main
  reason to look around; asked of those who left, it is the stated reason for switching;
- ``churned`` (with ``follow_up`` months): whether the respondent's operator changed by
  the follow-up month, the way a churn flag in a CRM extract is recorded.

Draws are ``uniform(replication seed, stream, month, slot)`` with stream ids from
:data:`SURVEY_STREAM_BASE` up (above the engine's ``Stream`` ids), so a survey is a pure
function of the run: the same seed gives the same respondents and answers, and the
calibration's common random numbers extend to the questionnaire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from sim.engine import layout as L
from sim.engine.kernels import (
    choose,
    consider_probability,
    lockin,
    migration_offer,
    new_scratch,
    offer_seen_probability,
    social_signals,
    winback_operator,
)
from sim.engine.rng import Stream, stream_key, uniform_at

# Stream ids of survey draws: base + 8 * survey number + question, far above the engine's
# Stream enum (1..60), so no survey draw ever coincides with a model draw.
SURVEY_STREAM_BASE = int(Stream.SURVEY_BASE)
Q_SAMPLE, Q_INTENTION, Q_ADOPT = 0, 1, 2
REASONS = ("base", "dissatisfied", "contract_ended", "offer", "social")
QUESTIONS = (
    "satisfaction",
    "intention",
    "on_contract",
    "tenure",
    "adopt",
    "churned",
    "reason",
)


def satisfaction_score(sat: np.ndarray) -> np.ndarray:
    """Model satisfaction (0..1) on the questionnaire's 1-10 scale, rounded half up."""
    return np.clip(np.floor(1.0 + 9.0 * np.asarray(sat, dtype=np.float64) + 0.5), 1, 10)


def annual_probability(p_month: np.ndarray) -> np.ndarray:
    """Chance of at least one event in 12 months at a constant monthly probability."""
    return 1.0 - (1.0 - np.clip(p_month, 0.0, 1.0)) ** 12


@dataclass(frozen=True)
class SurveyDesign:
    """One survey of a calibration, in the terms the observer needs.

    Attributes:
        name: survey name (targets refer to it).
        number: position among the calibration's surveys; keys its random streams.
        months: wave months.
        respondents: sample size per wave.
        quota: "proportional" (cells by their population share) or "equal".
        operators: operator names sampled (None: all).
        segments: segment names sampled (None: all).
        follow_up: months after a wave at which ``churned`` is recorded (0: never).
        adopt_generation: G of the ``adopt`` question.
    """

    name: str
    number: int
    months: tuple[int, ...]
    respondents: int
    quota: str = "proportional"
    operators: tuple[str, ...] | None = None
    segments: tuple[str, ...] | None = None
    follow_up: int = 0
    adopt_generation: int = 3

    def stream(self, question: int) -> int:
        """Random stream id of one question of this survey."""
        return SURVEY_STREAM_BASE + 8 * self.number + question


@dataclass
class SurveyObserver:
    """``run(..., observer=SurveyObserver(designs))``: fields the surveys during a run.

    Called as ``observer(replication, month, model)`` after every month; reads the live
    :class:`~sim.market.model.MarketModel` (current buffers) and never changes it.
    """

    designs: list[SurveyDesign]
    _waves: list[dict[str, Any]] = field(default_factory=list)
    _open: dict[tuple[int, str, int], dict[str, Any]] = field(default_factory=dict)

    def __call__(self, replication: int, month: int, model: Any) -> None:
        """Field the waves due this month and record the follow-ups due this month."""
        for design in self.designs:
            wave = month - design.follow_up
            if design.follow_up > 0 and wave in design.months:
                record = self._open.pop((replication, design.name, wave), None)
                if record is not None:
                    now = model.state.operator[record["slot"]]
                    record["churned"] = (now != record["operator_id"]).astype(np.float64)
            if month in design.months:
                record = field_wave(design, model, replication, month)
                self._waves.append(record)
                if design.follow_up > 0:
                    self._open[(replication, design.name, month)] = record

    def frame(self, operator_names: list[str], segment_names: list[str]) -> pd.DataFrame:
        """All respondents of all waves, one row each (``churned`` NaN without follow-up)."""
        if not self._waves:
            return empty_responses()
        parts = []
        for w in self._waves:
            n = w["slot"].size
            part = pd.DataFrame(
                {
                    "replication": np.full(n, w["replication"], dtype=np.int64),
                    "survey": w["survey"],
                    "month": np.full(n, w["month"], dtype=np.int64),
                    "slot": w["slot"],
                    "segment": np.asarray(segment_names, dtype=object)[w["segment"]],
                    "operator": np.asarray(operator_names, dtype=object)[w["operator_id"]],
                    "satisfaction": w["satisfaction"],
                    "satisfaction_raw": w["satisfaction_raw"],
                    "p_leave": w["p_leave"],
                    "intention": w["intention"],
                    "on_contract": w["on_contract"],
                    "contract": w["contract"],
                    "tenure": w["tenure"],
                    "handset_gen": w["handset_gen"],
                    "adopt": w["adopt"],
                    "reason": np.asarray(REASONS, dtype=object)[w["reason"]],
                    "churned": w.get("churned", np.full(n, np.nan)),
                }
            )
            parts.append(part)
        return pd.concat(parts, ignore_index=True)


def empty_responses() -> pd.DataFrame:
    """A response table with no rows (and the usual columns)."""
    cols = [
        "replication",
        "survey",
        "month",
        "slot",
        "segment",
        "operator",
        "satisfaction",
        "satisfaction_raw",
        "p_leave",
        "intention",
        "on_contract",
        "contract",
        "tenure",
        "handset_gen",
        "adopt",
        "reason",
        "churned",
    ]
    return pd.DataFrame({c: [] for c in cols})


# --------------------------------------------------------------------------- sampling
def quota_sample(
    design: SurveyDesign,
    seed: int,
    month: int,
    operator: np.ndarray,
    segment: np.ndarray,
    operator_ids: np.ndarray | None,
    segment_ids: np.ndarray | None,
) -> np.ndarray:
    """Slots of one wave's respondents, by segment x operator quotas (sorted).

    The universe is every customer (operator set) of the allowed operators and segments.
    ``proportional`` quotas split ``respondents`` over cells by the cells' sizes (largest
    remainder); ``equal`` gives each non-empty cell the same number. Inside a cell the
    respondents are the members with the smallest draws, i.e. a simple random sample
    without replacement that does not depend on slot order or thread count.
    """
    member = operator != L.NO_OPERATOR
    if operator_ids is not None:
        member &= np.isin(operator, operator_ids)
    if segment_ids is not None:
        member &= np.isin(segment, segment_ids)
    slots = np.flatnonzero(member)
    if slots.size == 0:
        return slots
    n_seg = int(segment.max()) + 1 if segment.size else 1
    cell = operator[slots].astype(np.int64) * n_seg + segment[slots].astype(np.int64)
    cells, sizes = np.unique(cell, return_counts=True)
    quota = _quotas(design.respondents, sizes, design.quota)
    key = np.uint64(stream_key(seed, design.stream(Q_SAMPLE), month))
    u = _draws(key, slots)
    order = np.lexsort((slots, u, cell))  # by cell, then draw (ties: lower slot)
    sorted_cells = cell[order]
    starts = np.searchsorted(sorted_cells, cells)
    take = np.concatenate(
        [order[s : s + q] for s, q in zip(starts, quota, strict=True)] or [order[:0]]
    )
    return np.sort(slots[take])


def _quotas(n: int, sizes: np.ndarray, kind: str) -> np.ndarray:
    """Respondents per cell, never more than the cell holds."""
    if kind == "equal":
        want = np.full(sizes.size, n // sizes.size, dtype=np.int64)
        want[: n - want.sum()] += 1  # the remainder to the first cells, in cell order
        return np.minimum(want, sizes)
    exact = n * sizes / sizes.sum()
    base = np.floor(exact).astype(np.int64)
    rest = n - int(base.sum())
    if rest > 0:  # largest remainder; ties to the earlier cell
        order = np.lexsort((np.arange(sizes.size), -(exact - base)))
        base[order[:rest]] += 1
    return np.minimum(base, sizes)


@numba.njit(cache=True)
def _draws(key, slots):
    out = np.empty(slots.shape[0])
    for k in range(slots.shape[0]):
        out[k] = uniform_at(key, slots[k])
    return out


# --------------------------------------------------------------------------- one wave
def field_wave(design: SurveyDesign, model: Any, replication: int, month: int) -> dict[str, Any]:
    """Sample one wave and record every answer (arrays over respondents)."""
    st, tb = model.state, model.tables
    n = st.n_active
    op_ids = (
        None
        if design.operators is None
        else np.array([tb.operator_index(o) for o in design.operators], dtype=np.int64)
    )
    seg_ids = (
        None
        if design.segments is None
        else np.array([tb.segment_names.index(s) for s in design.segments], dtype=np.int64)
    )
    slots = quota_sample(
        design, model.seed, month, st.operator[:n], st.segment[:n], op_ids, seg_ids
    ).astype(np.int64)
    p_leave, p_adopt, reason = respondent_probabilities(slots, model, design.adopt_generation)
    k_int = np.uint64(stream_key(model.seed, design.stream(Q_INTENTION), month))
    k_adopt = np.uint64(stream_key(model.seed, design.stream(Q_ADOPT), month))
    intention = (_draws(k_int, slots) < annual_probability(p_leave)).astype(np.float64)
    adopt = (_draws(k_adopt, slots) < p_adopt).astype(np.float64)
    plan_months = tb.plans[st.plan[slots], L.P_CONTRACT].astype(np.int64)
    inside = st.contract_left[slots] > 0
    sat = st.satisfaction[slots].astype(np.float64)
    return {
        "replication": replication,
        "survey": design.name,
        "month": month,
        "slot": slots,
        "operator_id": st.operator[slots].copy(),
        "segment": st.segment[slots].astype(np.int64),
        "satisfaction": satisfaction_score(sat),
        "satisfaction_raw": sat,
        "p_leave": p_leave,
        "intention": intention,
        "on_contract": inside.astype(np.float64),
        "contract": np.where(inside, plan_months, 0),
        "tenure": st.tenure[slots].astype(np.float64),
        "handset_gen": st.handset_gen[slots].astype(np.int64),
        "adopt": adopt,
        "reason": reason,
    }


def respondent_probabilities(
    slots: np.ndarray, model: Any, adopt_generation: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly leave probability, 12-month adoption probability and main reason per slot."""
    st, tb = model.state, model.tables
    return _respondent_kernel(
        slots,
        st.now,
        st.private,
        model.graph.ties,
        tb.view(),
        tb.behaviour(),
        model.mean_field,
        adopt_generation,
    )


@numba.njit(cache=True, parallel=True, nogil=True)
def _respondent_kernel(slots, now, private, ties, market, beh, mean_field, adopt_generation):
    """Step 5 x step 6 leave probability and step 8 adoption chance of each respondent.

    Uses the engine's own helpers on the current (end-of-month) state, so the stated
    intention follows exactly the rules the subscriber acts on next month (before next
    month's satisfaction update and events).
    """
    m = slots.shape[0]
    ops, plans, seg = market.ops, market.plans, market.seg
    p_leave = np.zeros(m)
    p_adopt = np.zeros(m)
    reason = np.zeros(m, dtype=np.int64)
    for k in numba.prange(m):
        i = slots[k]
        scratch = new_scratch(ops.shape[0], plans.shape[0])
        o = now.operator[i]
        s = private.segment[i]
        g = now.handset_gen[i]
        p = private.plan[i]
        sat = now.satisfaction[i]
        expired = private.expired[i]
        sw_share, newer_share = social_signals(
            i, g, ties, now, mean_field, scratch.f, scratch.ties_on, scratch.tie_row, scratch.wom
        )
        discount = private.retention_discount[i] if private.retention_left[i] > 0 else 0.0
        lock = lockin(
            plans,
            p,
            private.contract_left[i],
            private.tenure[i],
            private.trust[i],
            private.bundled[i],
            s,
            beh,
            seg,
            market.ktab,
        )
        seen = offer_seen_probability(o, ops)
        fails = private.failures[i]
        pc = seen * consider_probability(sat, expired, 1.0, sw_share, fails, s, beh, seg) + (
            1.0 - seen
        ) * consider_probability(sat, expired, 0.0, sw_share, fails, s, beh, seg)
        rank = private.adopt_rank[i] / L.ADOPT_RANKS
        # u_plan 0: with plan_mu > 0 the first plan of each nest stands for the nest
        choose(
            o,
            g,
            s,
            rank,
            lock[0] + lock[1] + lock[2],
            p,
            discount,
            -1,
            winback_operator(o, private.left_from[i], private.since_left[i], ops, market.retention),
            0.0,
            0.0,
            beh,
            market,
            scratch,
        )
        util = scratch.util
        total = 0.0
        for j in range(util.shape[0]):
            total += util[j]
        stay = util[o] / total if total > 0.0 else 1.0
        p_leave[k] = pc * (1.0 - stay)
        # the main reason to look around: the largest consideration term
        terms = (
            beh.c_base,
            beh.c_dissat * max(0.0, beh.s_thr - sat),
            beh.c_expiry * expired,
            beh.c_market * seen,
            beh.c_social * seg[s, L.S_SOCIAL] * sw_share,
        )
        best = 0
        for r in range(1, 5):
            if terms[r] > terms[best]:
                best = r
        reason[k] = best
        # adoption of generation >= adopt_generation within 12 months
        newest = int(ops[o, L.O_NEWEST_GEN])
        if g >= adopt_generation:
            p_adopt[k] = 1.0
        elif newest >= adopt_generation:
            pm, _, _ = migration_offer(
                o, g, p, s, rank, discount, scratch.f[o], newer_share, 0.0, beh, market, scratch
            )
            p_adopt[k] = 1.0 - (1.0 - min(1.0, max(0.0, pm))) ** 12
    return p_leave, p_adopt, reason
