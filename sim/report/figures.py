"""The report's figures beyond the three of every run (shares, churn, switching).

Churn by segment, satisfaction and lock-in over time, handset-generation migration,
revenue and ARPU, and CLV by segment. Like :mod:`sim.plots`, each figure reads in
black-and-white print (line styles and markers for series, grey fills and hatching for
bars and areas), has units on its axes, and carries a caption naming the scenario, the
replications, the agents and the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from sim import plots
from sim.metrics import HANDSETS, MEAN, METRICS, ratio
from sim.results import annualised_churn, tail_clv

if TYPE_CHECKING:
    from sim.results import RunResult

# Bar and area fills that stay distinct without colour: grey level and hatch.
FILLS = [
    ("0.25", ""),
    ("white", "///"),
    ("0.7", ""),
    ("white", "..."),
    ("0.5", "xx"),
    ("white", "\\\\\\"),
]
GENERATION_FILLS = {2: ("white", ""), 3: ("0.75", "///"), 4: ("0.5", "..."), 5: ("0.25", "xx")}
ALL = "all segments"


def currency_unit(result: RunResult) -> str:
    """The scenario's currency code if its economics name one, else 'currency'."""
    return getattr(result.scenario.economics, "currency", None) or "currency"


# --------------------------------------------------------------------------- helpers
def _quantiles(values: pd.Series) -> tuple[float, float, float]:
    q = np.quantile(values.to_numpy(dtype=float), [0.05, 0.5, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def _grouped_bars(
    ax: plt.Axes,
    groups: list[str],
    series: dict[str, list[tuple[float, float, float]]],
) -> None:
    """One bar per series in each group, at the median, with a 5-95 % whisker."""
    n = max(len(series), 1)
    width = 0.8 / n
    x = np.arange(len(groups))
    for k, (label, values) in enumerate(series.items()):
        lo, mid, hi = (np.array(v) for v in zip(*values, strict=True))
        face, hatch = FILLS[k % len(FILLS)]
        ax.bar(
            x + (k - (n - 1) / 2) * width,
            mid,
            width,
            color=face,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.7,
            label=label,
            yerr=np.vstack([mid - lo, hi - mid]),
            capsize=2,
            error_kw={"elinewidth": 0.8, "ecolor": "black"},
        )
    ax.set_xticks(x, groups)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    # Headroom above the tallest whisker keeps the legend row clear of the bars.
    ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
    ax.legend(frameon=False, loc="upper left", ncols=min(n, 4))


def _finish(fig: plt.Figure, result: RunResult, path: Path, note: str | None = plots.BANDS) -> Path:
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    plots.caption(fig, result, note)
    return plots.save_figure(fig, path, plots.currency_code(result.scenario))


def _segment_names(result: RunResult) -> list[str]:
    return [s.name for s in result.scenario.population.segments]


# --------------------------------------------------------------------------- figures
def churn_by_segment_figure(result: RunResult, path: Path) -> Path:
    """Annualised churn per operator, for the whole market and for each segment."""
    labels = plots.operator_labels(result)
    ops = result.operators[result.operators["month"] > 0]
    seg = result.segments[result.segments["month"] > 0]
    segments = _segment_names(result)
    series: dict[str, list[tuple[float, float, float]]] = {}
    for op, label in labels.items():
        mine = ops[ops["operator"] == op]
        if mine.empty:
            continue
        per_rep = mine.groupby("replication")["churn_rate"].apply(annualised_churn)
        values = [_quantiles(per_rep)]
        for name in segments:
            rows = seg[(seg["operator"] == op) & (seg["segment"] == name)]
            values.append(
                _quantiles(rows.groupby("replication")["churn_rate"].apply(annualised_churn))
            )
        series[label] = [(100 * lo, 100 * mid, 100 * hi) for lo, mid, hi in values]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _grouped_bars(ax, [ALL, *segments], series)
    ax.set_ylabel("annualised churn (% of subscribers per year)")
    ax.set_xlabel("segment")
    ax.set_title(f"Annualised churn by operator and segment: {result.scenario.name}")
    return _finish(fig, result, path, plots.WHISKERS)


def satisfaction_lockin_figure(result: RunResult, path: Path) -> Path:
    """Mean satisfaction and the three lock-in components of each operator's customers.

    One panel per metric that is a mean over subscribers (:mod:`sim.metrics`).
    """
    labels = plots.operator_labels(result)
    ops = result.operators[result.operators["agents"] > 0]  # means need customers
    panels = [m for m in METRICS if m.aggregation == MEAN]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for ax, metric in zip(axes.flat, panels, strict=True):
        plots.band_lines(ax, ops, metric.name, labels)
        ax.set_title(metric.label[0].upper() + metric.label[1:], fontsize=10)
        ax.set_ylabel(metric.unit)
        ax.grid(alpha=0.3)
        plots.date_axis(ax)
    for ax in axes[1]:
        ax.set_xlabel("calendar month")
    axes[0, 0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"Satisfaction and lock-in of customers: {result.scenario.name}")
    return _finish(fig, result, path)


def _generation_shares(df: pd.DataFrame, generations: list[int]) -> pd.DataFrame:
    """Share of subscribers per handset generation by date, mean of replications."""
    cols = [HANDSETS[g] for g in generations]
    per_rep = df.groupby(["replication", "date"])[[*cols, "subscribers"]].sum()
    # a replication without subscribers on a date has no shares and stays out of the mean
    shares = ratio(per_rep[cols], per_rep[["subscribers"]], empty=np.nan)
    return pd.DataFrame(shares, index=per_rep.index, columns=cols).groupby("date").mean() * 100


def _reported_newest(ax: plt.Axes, points: pd.DataFrame | None, operator: str) -> None:
    """Reported share on each reported generation g, drawn where g's band starts.

    With g the newest generation in use, that is the top of the older generations'
    area: ``100 (1 - users of g / subscribers)``.
    """
    if points is None:
        return
    rows = points[points["operator"] == operator]
    for column in [c for c in rows.columns if c.startswith("handsets_")]:
        both = rows.dropna(subset=[column, "subscribers"])
        if both.empty:
            continue
        ax.plot(
            both["date"],
            100 * (1 - both[column] / both["subscribers"]),
            linestyle="none",
            marker="o",
            markersize=4,
            markerfacecolor="black",
            color="black",
            label=f"reported {column.removeprefix('handsets_').upper()} share",
        )


def handset_migration_figure(result: RunResult, path: Path) -> Path:
    """Handset generations among the customers of the market and of each operator.

    Where the scenario has reported data, each operator's reported share on a generation
    is drawn where that generation's band starts.
    """
    ops = result.operators
    generations = [g for g, col in HANDSETS.items() if ops[col].sum() > 0] or [2]
    points = plots.reported_points(result.scenario)
    panels = [("All operators", ops, None)] + [
        (label, ops[ops["operator"] == op], op)
        for op, label in plots.operator_labels(result).items()
    ]
    ncols = 2 if len(panels) == 4 else min(len(panels), 3)  # fits a printed page
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4 * ncols, 3 * nrows + 0.8), sharey=True, squeeze=False
    )
    for ax, (title, df, operator) in zip(axes.flat, panels, strict=False):
        shares = _generation_shares(df, generations)
        bottom = np.zeros(len(shares))
        for g in generations:
            top = bottom + shares[HANDSETS[g]].to_numpy()
            face, hatch = GENERATION_FILLS[g]
            ax.fill_between(
                shares.index,
                bottom,
                top,
                facecolor=face,
                hatch=hatch,
                edgecolor="black",
                linewidth=0.6,
                label=f"{g}G handset",
            )
            bottom = top
        if operator is not None:
            _reported_newest(ax, points, operator)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 100)
        ax.margins(x=0)
        plots.date_axis(ax)
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of subscribers")
    # the first operator's panel has every generation and, if any, the reported points
    handles, names = axes.flat[min(1, len(panels) - 1)].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper right", ncols=len(handles), frameon=False)
    fig.suptitle(f"Handset generations: {result.scenario.name}", x=0.01, ha="left")
    return _finish(fig, result, path, note=None)


def revenue_figure(result: RunResult, path: Path) -> Path:
    """Monthly revenue and ARPU per operator, median with a 5-95 % band."""
    labels = plots.operator_labels(result)
    unit = currency_unit(result)
    ops = result.operators[result.operators["agents"] > 0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    plots.band_lines(left, ops, "revenue", labels)
    left.set_ylabel(f"revenue ({unit} per month)")
    left.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: plots.human(x)))
    left.set_title("Revenue", fontsize=10)
    plots.band_lines(right, ops, "arpu", labels)
    right.set_ylabel(f"ARPU ({unit} per subscriber per month)")
    right.set_title("Average revenue per user", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("calendar month")
        ax.grid(alpha=0.3)
        plots.date_axis(ax)
    left.legend(frameon=False, fontsize=8)
    fig.suptitle(f"Revenue and ARPU: {result.scenario.name}")
    return _finish(fig, result, path)


def clv_figure(result: RunResult, path: Path) -> Path:
    """Customer lifetime value per operator, for the market and for each segment."""
    econ = result.scenario.economics
    labels = plots.operator_labels(result)
    ops = result.operators[result.operators["month"] > 0]
    seg = result.segments[result.segments["month"] > 0]
    segments = _segment_names(result)

    def clv_band(df: pd.DataFrame) -> tuple[float, float, float]:
        per_rep = df.groupby("replication").apply(lambda d: tail_clv(d, econ), include_groups=False)
        return _quantiles(per_rep)

    series: dict[str, list[tuple[float, float, float]]] = {}
    for op, label in labels.items():
        mine = ops[ops["operator"] == op]
        if mine.empty:
            continue
        values = [clv_band(mine)]
        for name in segments:
            values.append(clv_band(seg[(seg["operator"] == op) & (seg["segment"] == name)]))
        series[label] = values
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _grouped_bars(ax, [ALL, *segments], series)
    ax.set_ylabel(f"CLV ({currency_unit(result)} per subscriber)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel("segment")
    ax.set_title(f"Customer lifetime value: {result.scenario.name}")
    return _finish(fig, result, path, plots.WHISKERS)


def validation_figure(result: RunResult, path: Path) -> Path:
    """The run against the scenario's reported data: subscribers and each reported generation.

    One panel per reported series (subscribers, then the handset generations the data
    carry), each operator's median with its 5-95 % band and the reported values as
    hollow markers in the same style.
    """
    from sim.report.caveat import reported_data

    points, _ = reported_data(result.scenario)
    labels = plots.operator_labels(result)
    ops = result.operators[result.operators["agents"] > 0]
    generations = [] if points is None else [c for c in points if c.startswith("handsets_")]
    columns = ["subscribers", *(c for c in generations if points[c].notna().any())]
    fig, axes = plt.subplots(1, len(columns), figsize=(5.5 * len(columns), 4.5), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        plots.band_lines(ax, ops, column, labels, scale=1e-6)
        plots.reported_markers(ax, points, column, labels, scale=1e-6)
        what = (
            "Subscribers"
            if column == "subscribers"
            else f"{column.removeprefix('handsets_').upper()} handset subscribers"
        )
        ax.set_title(what, fontsize=10)
        ax.set_ylabel("millions of subscribers")
        ax.set_xlabel("calendar month")
        ax.grid(alpha=0.3)
        plots.date_axis(ax)
    axes[0, 0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"Run against reported data: {result.scenario.name}")
    return _finish(fig, result, path)


def has_reported_data(result: RunResult) -> bool:
    """Whether the scenario carries reported data that can be read (the validation figure)."""
    from sim.report.caveat import reported_data

    points, _ = reported_data(result.scenario)
    return points is not None


# --------------------------------------------------------------------------- the list
@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report: file stem, heading, what it shows, how to draw it."""

    key: str
    title: str
    what: str
    draw: Callable[[RunResult, Path], Path]
    note: str | None = plots.BANDS
    applies: Callable[[RunResult], bool] | None = None  # None: every run has this figure

    def wanted(self, result: RunResult) -> bool:
        """Whether this run gets the figure (the validation figure needs reported data)."""
        return self.applies is None or self.applies(result)


REPORT_FIGURES = (
    ReportFigure(
        "shares",
        "Market share",
        "Market share of each operator (% of subscribers), median across replications.",
        plots.shares_figure,
    ),
    ReportFigure(
        "validation",
        "Run against reported data",
        "Subscribers of each operator (and, where the data carry them, subscribers by "
        "handset generation) in millions: the run's median across replications as lines, "
        "the scenario's reported data as hollow markers.",
        validation_figure,
        applies=has_reported_data,
    ),
    ReportFigure(
        "churn",
        "Monthly churn by operator",
        "Churners each month as a % of the operator's subscribers a month before, median "
        "across replications.",
        plots.churn_figure,
    ),
    ReportFigure(
        "churn_segments",
        "Annualised churn by operator and segment",
        "Annualised churn 1 - (prod(1 - monthly churn))^(12/months) over the whole run, "
        "per operator, for the market and each segment; bars at the median.",
        churn_by_segment_figure,
        note=plots.WHISKERS,
    ),
    ReportFigure(
        "switching",
        "Switching flows",
        "Subscribers who moved from one operator (rows) to another (columns) over the "
        "whole run, mean of replications.",
        plots.switching_figure,
        note=None,
    ),
    ReportFigure(
        "satisfaction_lockin",
        "Satisfaction and lock-in",
        "Mean satisfaction (0-1) and mean economic, knowledge and emotional lock-in "
        "(utility units) of each operator's customers at the end of each month, median "
        "across replications.",
        satisfaction_lockin_figure,
    ),
    ReportFigure(
        "handsets",
        "Handset-generation migration",
        "Share of subscribers by handset generation, for the whole market and for each "
        "operator, mean of replications.",
        handset_migration_figure,
        note=None,
    ),
    ReportFigure(
        "revenue",
        "Revenue and ARPU",
        "Monthly revenue (what customers pay, after retention discounts) and revenue per "
        "subscriber, median across replications.",
        revenue_figure,
    ),
    ReportFigure(
        "clv",
        "Customer lifetime value",
        "CLV = margin x ARPU x (1 + r) / (r + churn) from the last 12 months, per operator, "
        "for the market and each segment; bars at the median.",
        clv_figure,
        note=plots.WHISKERS,
    ),
)
