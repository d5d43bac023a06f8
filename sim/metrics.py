"""The output metrics of a run, each declared once; tables, figures and statistics read them here.

Every numeric column of a run's operators and segments tables is one :class:`Metric`:
its unit, how it combines when rows are pooled (across operators, segments, months or
replications), whether it counts subscribers or money and so scales with
``population.represents``, and what it means. Ratio metrics (churn rate, share, ARPU and
the per-subscriber means) also name the additive columns they divide, so the run tables,
the dashboard, sweeps and calibration all compute them with :func:`ratios` or
:func:`ratio` instead of restating the formula, and all agree that a group without
subscribers has a ratio of 0 (the tables hold no NaN).

The kernels accumulate counts and sums by column number (:mod:`sim.engine.layout`);
:data:`COUNTS` and :data:`SUMS` give those columns their output names.

Adding an output metric: a ratio of existing columns is one :class:`Metric` in
:data:`METRICS` naming its numerator and denominator. A new count or sum is accumulated
by the kernels (a new ``C_``/``F_`` column of :mod:`sim.engine.layout`), named here in
:data:`COUNTS` or :data:`SUMS`, and declared in :data:`METRICS`. The tables, the run
folder reader, sweep column metrics, figure labels and the scaling all follow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from sim.engine import layout as L

Aggregation = Literal["sum", "ratio of sums", "mean weighted by subscribers"]
SUM: Aggregation = "sum"
RATIO: Aggregation = "ratio of sums"
MEAN: Aggregation = "mean weighted by subscribers"
CURRENCY = "currency"  # the scenario's currency (economics.currency)

# Subscribers by handset generation: the count column of each generation.
HANDSETS: dict[int, str] = {g: f"handsets_{g}g" for g in range(2, L.MAX_GENERATION + 1)}

# Output name of each integer accumulator column.
COUNTS: dict[str, int] = {
    "subscribers": L.C_SUBS,
    "churners": L.C_CHURN,
    "gross_adds": L.C_ADDS,
    "entrants": L.C_ENTRANTS,
    "considerers": L.C_CONSIDER,
    "migrations": L.C_MIGRATIONS,
    HANDSETS[2]: L.C_GEN2,
    HANDSETS[3]: L.C_GEN3,
    HANDSETS[4]: L.C_GEN4,
    HANDSETS[5]: L.C_GEN5,
    "switchers_out": L.C_SWITCH_OUT,
    "switchers_in": L.C_SWITCH_IN,
    "disconnections": L.C_DISCONNECT,
    "ported": L.C_PORTED,
    "buyouts": L.C_BUYOUT,
    "service_failures": L.C_FAILURES,
    "winbacks": L.C_WINBACKS,
}
# Output name of each float accumulator column; a ``*_sum`` is a numerator of a mean
# and does not reach the tables itself.
SUMS: dict[str, int] = {
    "revenue": L.F_REVENUE,
    "subsidy_cost": L.F_SUBSIDY,
    "retention_cost": L.F_RETENTION,
    "satisfaction_sum": L.F_SAT,
    "lockin_economic_sum": L.F_L_ECON,
    "lockin_knowledge_sum": L.F_L_KNOW,
    "lockin_emotional_sum": L.F_L_EMO,
    "buyout_fees": L.F_BUYOUT,
}


@dataclass(frozen=True)
class Metric:
    """One column of the operators (and segments) table.

    Attributes:
        name: the column name.
        label: a short name for axes and table rows.
        unit: unit of a stored value (``fraction`` for 0..1 shares and rates).
        aggregation: how pooled rows combine: ``sum``, ``ratio of sums`` (the summed
            numerator over the summed denominator) or ``mean weighted by subscribers``
            (the same, with a ``*_sum`` accumulator over subscribers).
        scaled: counts subscribers or money, so multiplied by ``represents / size``.
        description: what a value means, in one line.
        numerator: additive column on top of a ratio or mean.
        denominator: additive column below it.
        lagged: the denominator is last month's (churn over last month's subscribers).
        market: the denominator is summed over all operators (a share of the market,
            or of the segment in the segments table).
        segments: also a column of the segments table.
    """

    name: str
    label: str
    unit: str
    aggregation: Aggregation
    scaled: bool
    description: str
    numerator: str | None = None
    denominator: str | None = None
    lagged: bool = False
    market: bool = False
    segments: bool = True


def _count(name: str, label: str, description: str) -> Metric:
    """A count of subscribers, summed when pooled and scaled to the real market."""
    return Metric(name, label, "subscribers", SUM, True, description)


def _money(name: str, description: str) -> Metric:
    """An amount of money in the month, summed when pooled and scaled to the real market."""
    return Metric(name, name.replace("_", " "), CURRENCY, SUM, True, description)


def _mean(name: str, label: str, unit: str, description: str) -> Metric:
    """A mean over subscribers of a level accumulated as ``<name>_sum``."""
    return Metric(name, label, unit, MEAN, False, description, f"{name}_sum", "subscribers")


# The metric columns, in table order.
METRICS: tuple[Metric, ...] = (
    _count("subscribers", "subscribers", "Subscribers at the end of the month."),
    Metric(
        "share",
        "market share",
        "fraction",
        RATIO,
        False,
        "Subscribers over all operators' subscribers (of the segment, by segment).",
        numerator="subscribers",
        denominator="subscribers",
        market=True,
    ),
    _count(
        "churners",
        "churners",
        "Subscribers lost, as operators report churn: switches out plus disconnections.",
    ),
    _count("switchers_out", "switches out", "Subscribers who left the operator for another."),
    _count(
        "disconnections", "disconnections", "Subscribers who left the market (line disconnected)."
    ),
    _count(
        "ported",
        "ported out",
        "Switches out that kept their number (number portability on at the time).",
    ),
    _count(
        "buyouts",
        "contract buy-outs",
        "Switches out inside a contract: the customer paid the buy-out to leave.",
    ),
    _count(
        "gross_adds",
        "gross adds",
        "Subscribers won, as operators report them: switches in plus new-to-market lines.",
    ),
    _count("switchers_in", "switches in", "Subscribers won from another operator."),
    _count(
        "winbacks",
        "win-backs",
        "Switches in of the operator's own recent leavers who took its win-back offer.",
    ),
    _count(
        "entrants",
        "new-to-market adds",
        "Newcomers to the market who joined the operator (new lines, leavers coming back).",
    ),
    _count("considerers", "considerers", "Subscribers who considered switching this month."),
    _count("migrations", "handset migrations", "Stayers who upgraded to a newer generation."),
    _count(
        "service_failures",
        "service failures",
        "Service failures customers suffered this month (dropped calls, billing errors).",
    ),
    *(
        _count(HANDSETS[g], f"{g}G handsets", f"Subscribers with a {g}G handset.")
        for g in sorted(HANDSETS)
    ),
    _money("revenue", "What subscribers paid in the month, after retention discounts."),
    _money("subsidy_cost", "Handset subsidies paid in the month."),
    _money("retention_cost", "Retention discounts given in the month."),
    _money(
        "buyout_fees",
        "Buy-outs paid by customers leaving inside a contract: early-termination fee and unrecovered subsidy.",
    ),
    Metric(
        "churn_rate",
        "monthly churn",
        "fraction per month",
        RATIO,
        False,
        "Churners (switches out and disconnections) over last month's subscribers.",
        numerator="churners",
        denominator="subscribers",
        lagged=True,
    ),
    Metric(
        "switching_rate",
        "monthly switching churn",
        "fraction per month",
        RATIO,
        False,
        "Switches out over last month's subscribers.",
        numerator="switchers_out",
        denominator="subscribers",
        lagged=True,
    ),
    Metric(
        "disconnection_rate",
        "monthly disconnection churn",
        "fraction per month",
        RATIO,
        False,
        "Disconnections over last month's subscribers.",
        numerator="disconnections",
        denominator="subscribers",
        lagged=True,
    ),
    _mean("satisfaction", "mean satisfaction", "0-1 scale", "Mean satisfaction of subscribers."),
    _mean(
        "lockin_economic",
        "economic lock-in (fees, subsidy, number)",
        "utility units",
        "Mean economic lock-in of subscribers: what leaving would cost them.",
    ),
    _mean(
        "lockin_knowledge",
        "knowledge lock-in (tenure)",
        "utility units",
        "Mean knowledge lock-in of subscribers: familiarity that grows with tenure.",
    ),
    _mean(
        "lockin_emotional",
        "emotional lock-in (trust)",
        "utility units",
        "Mean emotional lock-in of subscribers: trust in the operator.",
    ),
    Metric(
        "arpu",
        "ARPU",
        "currency per subscriber-month",
        RATIO,
        False,
        "Revenue per subscriber.",
        numerator="revenue",
        denominator="subscribers",
    ),
    Metric(
        "retention_offers",
        "retention offers",
        "offers",
        SUM,
        False,
        "Retention offers the operator made to simulated subscribers this month.",
        segments=False,
    ),
    Metric(
        "agents",
        "subscriber agents",
        "agents",
        SUM,
        False,
        "Simulated subscribers (subscribers before scaling to the real market).",
    ),
)
METRIC: dict[str, Metric] = {m.name: m for m in METRICS}

# The customers-at-risk table (sim/risk.py, ``risk.parquet``): per operator, every 12
# months and the last, the distribution of each customer's chance of leaving next month.
# Chances the table counts customers above, and the quantiles it keeps (fractions).
RISK_THRESHOLDS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
RISK_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def at_risk_column(threshold: float) -> str:
    """``at_risk_5pct`` for 0.05: the customers whose chance of leaving is above it."""
    return f"at_risk_{threshold * 100:g}pct"


def leave_quantile_column(q: float) -> str:
    """``leave_p90`` for 0.9: that quantile of the chance of leaving next month."""
    return f"leave_p{q * 100:g}"


RISK_METRICS: tuple[Metric, ...] = (
    Metric(
        "customers", "customers", "subscribers", SUM, True, "Customers at the end of the month."
    ),
    Metric(
        "leave_mean",
        "mean chance of leaving",
        "fraction per month",
        MEAN,
        False,
        "Mean chance of leaving next month: the month's churn rate unless chances reach 1.",
    ),
    *(
        Metric(
            leave_quantile_column(q),
            f"chance of leaving, {q * 100:g}th percentile",
            "fraction per month",
            MEAN,
            False,
            f"{q * 100:g} % of customers have at most this chance of leaving next month"
            " (pooled: a customer-weighted mean, an approximation).",
        )
        for q in RISK_QUANTILES
    ),
    *(
        _count(
            at_risk_column(t),
            f"at risk > {t * 100:g} %",
            f"Customers whose chance of leaving next month is above {t * 100:g} %.",
        )
        for t in RISK_THRESHOLDS
    ),
)
OPERATOR_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS)
SEGMENT_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if m.segments)
SCALED_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if m.scaled)
RATIOS: tuple[str, ...] = tuple(m.name for m in METRICS if m.numerator is not None)


def ratio(numerator: ArrayLike, denominator: ArrayLike, empty: float = 0.0) -> np.ndarray:
    """``numerator / denominator``, and ``empty`` where the denominator is not positive.

    The tables use 0: an operator before it enters has no churn, share or ARPU, and
    no table holds NaN. Calibration passes NaN, so its loss penalises a statistic that
    has nothing to measure.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast_shapes(num.shape, den.shape), empty)
    return np.divide(num, den, out=out, where=den > 0)


def ratios(
    columns: Mapping[str, ArrayLike], names: Iterable[str] = RATIOS, empty: float = 0.0
) -> dict[str, np.ndarray]:
    """The ratio metrics ``names`` from additive columns of one shape.

    ``columns`` maps numerator and denominator names to arrays shaped
    ``(months, ..., operators)``, or to numbers already summed over the rows to pool.
    A lagged ratio divides by the row a month before (month 0 has none: ``empty``); a
    market ratio by the sum over the last axis.
    """
    out: dict[str, np.ndarray] = {}
    for name in names:
        m = METRIC[name]
        if m.numerator is None or m.denominator is None:
            raise ValueError(f"{name} is summed, not a ratio")
        num = np.asarray(columns[m.numerator], dtype=np.float64)
        den = np.asarray(columns[m.denominator], dtype=np.float64)
        if m.market:
            den = den.sum(axis=-1, keepdims=True)
        if m.lagged:
            value = np.full(num.shape, empty)
            value[1:] = ratio(num[1:], den[:-1], empty)
        else:
            value = ratio(num, den, empty)
        out[name] = value
    return out


def accumulator_columns(counts: np.ndarray, sums: np.ndarray) -> dict[str, np.ndarray]:
    """The accumulators' columns by output name (the last axis of each array split off)."""
    return {
        **{name: counts[..., col] for name, col in COUNTS.items()},
        **{name: sums[..., col] for name, col in SUMS.items()},
    }
