"""Simulated statistics: the value of every moment in every replication of a run.

Market statistics come from the run's tidy tables (``RunResult.operators``, or
``segments`` when a segment is named), so counts are in real subscribers when the
scenario sets ``population.represents``; a ratio (churn rate, share) is the ratio of its
columns summed over the moment's rows, as :mod:`sim.metrics` declares it. Survey
statistics come from the simulated respondents (:mod:`sim.calibration.survey`): the mean
answer of the respondents in the moment's wave, operator, segment and group. A moment
with no respondents, or a ratio over no subscribers, is NaN (the loss penalises it).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.calibration.targets import MARKET_KINDS, Moment
from sim.metrics import HANDSETS, METRIC, RATIOS, ratio


def moment_values(
    moments: list[Moment],
    operators: pd.DataFrame,
    segments: pd.DataFrame,
    responses: pd.DataFrame,
    replications: int,
) -> np.ndarray:
    """Simulated value of each moment in each replication, shape (moments, replications)."""
    out = np.full((len(moments), replications), np.nan)
    ops = _indexed(operators, ["replication", "month", "operator"])
    segs = _indexed(segments, ["replication", "month", "segment", "operator"])
    for k, m in enumerate(moments):
        if m.kind in MARKET_KINDS:
            out[k] = _market(m, ops, segs, replications)
        else:
            out[k] = _survey(m, responses, replications)
    return out


def _indexed(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.set_index(keys).sort_index() if len(df) else df


def _level(
    m: Moment, ops: pd.DataFrame, segs: pd.DataFrame, month: int, column: str, reps: int
) -> np.ndarray:
    """Sum of ``column`` over the moment's operator (all if none) and segment, by replication."""
    table = segs if m.segment is not None else ops
    at = table.xs(month, level="month")
    if m.segment is not None:
        at = at.xs(m.segment, level="segment")
    if m.operator is not None:
        at = at.xs(m.operator, level="operator", drop_level=False)
    sums = at.groupby(level="replication")[column].sum()
    return sums.reindex(range(reps)).to_numpy(dtype=np.float64)


def _ratio(m: Moment, ops: pd.DataFrame, segs: pd.DataFrame, reps: int) -> np.ndarray:
    """A ratio metric of the moment's selection: the ratio of its summed columns.

    The denominator is summed over the same rows, a month earlier when the metric is
    lagged, and over every operator when it is a share; NaN where it is 0.
    """
    assert m.month is not None
    metric = METRIC[m.kind]
    assert metric.numerator is not None and metric.denominator is not None
    below = Moment(**{**m.__dict__, "operator": None}) if metric.market else m
    return ratio(
        _level(m, ops, segs, m.month, metric.numerator, reps),
        _level(below, ops, segs, m.month - metric.lagged, metric.denominator, reps),
        empty=np.nan,
    )


def _market(m: Moment, ops: pd.DataFrame, segs: pd.DataFrame, reps: int) -> np.ndarray:
    if m.month is None:  # targets.py gives every market moment a month
        raise ValueError(f"market moment {m.label} has no month")
    t = m.month
    if m.kind == "subscribers":
        return _level(m, ops, segs, t, "subscribers", reps)
    if m.kind == "net_adds":
        return _level(m, ops, segs, t, "subscribers", reps) - _level(
            m, ops, segs, t - 1, "subscribers", reps
        )
    if m.kind in RATIOS:  # churn_rate, share
        return _ratio(m, ops, segs, reps)
    if m.kind in ("handsets", "handset_share"):
        count = _level(m, ops, segs, t, HANDSETS[m.generation], reps)
        if m.kind == "handsets":
            return count
        subs = _level(m, ops, segs, t, "subscribers", reps)
        return ratio(count, subs, empty=np.nan)
    raise ValueError(f"unknown market statistic {m.kind}")


def survey_group(m: Moment, responses: pd.DataFrame) -> pd.Series:
    """Group label of each respondent under the moment's ``by`` (as text)."""
    if m.by in ("segment", "operator"):
        return responses[m.by].astype(str)
    if m.by == "contract":
        return responses["contract"].astype(np.int64).astype(str)
    if m.by == "handset_gen":
        return responses["handset_gen"].astype(np.int64).astype(str)
    if m.by == "tenure_band":
        if m.bands is None:  # the Statistic validator requires bands for tenure_band
            raise ValueError(f"moment {m.label}: grouping by tenure_band needs bands")
        edges = np.asarray(m.bands)
        labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
        idx = np.searchsorted(edges, responses["tenure"].to_numpy(), side="right") - 1
        inside = (idx >= 0) & (idx < len(labels))
        out = np.where(
            inside, np.asarray(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)], ""
        )
        return pd.Series(out, index=responses.index, dtype=object)
    raise ValueError(f"unknown survey grouping {m.by}")


def _survey(m: Moment, responses: pd.DataFrame, reps: int) -> np.ndarray:
    r = responses[responses["survey"] == m.survey] if len(responses) else responses
    if len(r) and m.month is not None:
        r = r[r["month"] == m.month]
    if len(r) and m.operator is not None:
        r = r[r["operator"] == m.operator]
    if len(r) and m.segment is not None:
        r = r[r["segment"] == m.segment]
    if len(r) and m.by is not None:
        r = r[survey_group(m, r) == m.group]
    if m.kind == "reason":
        r = r[r["churned"] == 1.0] if len(r) else r
        answers = (r["reason"] == m.reason).astype(np.float64) if len(r) else r.get("reason")
    elif m.kind == "churned":
        answers = r["churned"] if len(r) else None
    else:
        answers = r[m.kind] if len(r) else None
    if answers is None or len(r) == 0:
        return np.full(reps, np.nan)
    means = (
        pd.Series(np.asarray(answers, dtype=np.float64), index=r.index)
        .groupby(r["replication"].to_numpy())
        .mean()
    )
    return means.reindex(range(reps)).to_numpy(dtype=np.float64)
