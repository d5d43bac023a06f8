"""Churn, gross adds and stock by cohort: the table operators read churn from.

Operators report churn by contract status, tenure band, loyalty tier, bundle and
segment. The kernels count each customer in one cohort of each of the first four
dimensions (``MonthlyModel.cohorts``, rows ``layout.K_*``): in the stock at the end of
the month, among churners with its state at the start of the month (before it left),
among gross adds with its state on joining. Segments come from the segment counts.
:func:`cohort_frame` turns one replication into a long table; churn rate is churners
over the cohort's stock a month earlier, the start-of-month state churners are
classified by.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.engine import layout as L
from sim.metrics import ratio

if TYPE_CHECKING:
    from sim.market.loop import MonthlyModel

COHORT_COLUMNS = (
    "month",
    "replication",
    "operator",
    "dimension",
    "cohort",
    "subscribers",
    "churners",
    "gross_adds",
    "churn_rate",
    "agents",
)
DIMENSIONS = ("contract", "tenure", "bundle", "loyalty_tier", "segment")


def cohort_rows(tier_names: list[list[str]], n_rows: int) -> list[tuple[int, int, str, str]]:
    """``(operator, row, dimension, cohort)`` of every cohort row an operator has.

    ``tier_names[j]`` are operator j's loyalty tiers in order; rows of tiers an operator
    does not have are left out.
    """
    fixed = [
        *((L.K_CONTRACT + k, "contract", name) for k, name in enumerate(L.CONTRACT_COHORTS)),
        *((L.K_TENURE + k, "tenure", name) for k, name in enumerate(L.TENURE_COHORTS)),
        *((L.K_BUNDLE + k, "bundle", name) for k, name in enumerate(L.BUNDLE_COHORTS)),
    ]
    out = []
    for j, tiers in enumerate(tier_names):
        out += [(j, row, dim, name) for row, dim, name in fixed]
        names = ["no tier", *tiers]
        out += [(j, L.K_TIER + k, "loyalty_tier", name) for k, name in enumerate(names)]
    assert all(row < n_rows for _, row, _, _ in out)
    return out


def cohort_frame(model: MonthlyModel, replication: int, scale: float) -> pd.DataFrame:
    """The cohorts table of one finished replication (counts scaled by ``scale``)."""
    ops = model.spec.all_operators()
    names = model.tables.operator_names
    rows = cohort_rows([[t.name for t in op.loyalty_tiers] for op in ops], model.cohorts.shape[2])
    coh = model.cohorts
    series = [(names[j], dim, name, coh[:, j, k, :]) for j, k, dim, name in rows]
    counts = model.counts
    for s, seg in enumerate(model.tables.segment_names):
        for j, op in enumerate(names):
            cols = counts[:, j, s, [L.C_SUBS, L.C_CHURN, L.C_ADDS]]
            series.append((op, "segment", seg, cols))
    months = np.arange(coh.shape[0])
    frames = []
    for op, dim, name, values in series:
        subs, churn, adds = values[:, L.X_SUBS], values[:, L.X_CHURN], values[:, L.X_ADDS]
        rate = np.zeros(len(months))
        rate[1:] = ratio(churn[1:], subs[:-1])
        frames.append(
            pd.DataFrame(
                {
                    "month": months,
                    "replication": replication,
                    "operator": op,
                    "dimension": dim,
                    "cohort": name,
                    "subscribers": subs * scale,
                    "churners": churn * scale,
                    "gross_adds": adds * scale,
                    "churn_rate": rate,
                    "agents": subs.astype(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).loc[:, list(COHORT_COLUMNS)]


def empty_cohorts() -> pd.DataFrame:
    """A cohorts table without rows (a run folder written before cohorts existed)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COHORT_COLUMNS})
