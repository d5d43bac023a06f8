"""Comparison figures: share trajectories overlaid, and a forest plot of differences.

Readable in black-and-white print: each policy has its own line style and band hatch,
significant differences are filled markers and differences within noise hollow ones.
Each figure's caption names the scenarios, seed and replications behind it.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.ticker
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.compare.metrics import METRIC_BY_NAME, METRICS
from sim.compare.tables import format_difference, format_ratio, metric_formats, money_words
from sim.plots import band_label, currency_code, date_axis, new_figure, save_figure

if TYPE_CHECKING:
    from sim.compare.comparison import Comparison

# (line style, marker, band hatch, colour) per policy; the baseline is solid black.
POLICY_STYLES = [
    ("-", None, None, "black"),
    ("--", "o", "////", "C0"),
    (":", "s", "\\\\\\\\", "C3"),
    ("-.", "^", "xx", "C2"),
    ((0, (5, 1)), "D", "..", "C4"),
]


def _style(k: int) -> tuple:
    return POLICY_STYLES[k % len(POLICY_STYLES)]


def _caption(fig: Figure, comparison: Comparison, extra: str) -> None:
    base = comparison.baseline.result.scenario
    titles = comparison.titles()
    names = ", ".join(f"'{titles[p.label]}'" for p in comparison.policies)
    text = (
        f"Baseline '{titles[comparison.baseline.label]}' vs {names}: {comparison.replications} paired "
        f"replications (seed {base.simulation.seed}, the same per-subscriber draws in every "
        f"policy), {base.population.size:,} agents, {comparison.months} months. {extra}"
    )
    fig.text(
        0.01,
        0.005,
        textwrap.fill(text, int(18 * fig.get_figwidth())),
        fontsize=7,
        color="0.25",
        va="bottom",
    )


def _wide(comparison: Comparison, label: str, operator: str) -> pd.DataFrame:
    """Share by date (rows) and replication (columns) of one policy and operator."""
    policy = next(p for p in [comparison.baseline, *comparison.policies] if p.label == label)
    ops = policy.result.operators
    sel = ops[ops["operator"] == operator]
    return sel.pivot(index="month", columns="replication", values="share").sort_index()


def overlay_figure(comparison: Comparison, path: Path) -> Path:
    """Shares per operator (top) and the paired share difference over time (bottom)."""
    ops = comparison.operators
    with matplotlib.rc_context({"hatch.linewidth": 0.6}):
        fig, axes = new_figure(
            2,
            len(ops),
            figsize=(4.2 * len(ops) + 0.6, 7.4),
            sharex=True,
            squeeze=False,
            gridspec_kw={"height_ratios": [3, 2]},
        )
        for j, op in enumerate(ops):
            _overlay_column(comparison, op, axes[0, j], axes[1, j])
        axes[0, 0].set_ylabel("market share (% of subscribers)")
        axes[1, 0].set_ylabel("policy − baseline (pp of share)")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            loc="upper center",
            ncol=len(labels),
            frameon=False,
            bbox_to_anchor=(0.5, 0.955),
            fontsize=9,
        )
        fig.suptitle(
            "Market share by policy (top) and the paired difference from the baseline (bottom)"
        )
        fig.tight_layout(rect=(0, 0.05, 1, 0.93))
        pct = f"{100 * comparison.level:g} %"
        _caption(
            fig,
            comparison,
            f"Top: median and 5-95 % band across replications (baseline grey, policies hatched). "
            f"Bottom: mean of the per-replication differences with its {pct} paired t interval.",
        )
        return save_figure(fig, path, currency_code(comparison.baseline.result.scenario))


def _overlay_column(comparison: Comparison, op: str, top: Axes, bottom: Axes) -> None:
    """One operator: each policy's share band, and each policy's paired difference."""
    from scipy import stats

    n = comparison.replications
    t = float(stats.t.ppf(0.5 + comparison.level / 2, n - 1))
    dates = (
        comparison.baseline.result.operators.drop_duplicates("month")
        .set_index("month")["date"]
        .sort_index()
    )
    base = _wide(comparison, comparison.baseline.label, op) * 100
    for k, run in enumerate([comparison.baseline, *comparison.policies]):
        style, marker, hatch, colour = _style(k)
        wide = _wide(comparison, run.label, op) * 100
        x = dates.loc[wide.index]
        q = wide.quantile([0.05, 0.5, 0.95], axis=1).T
        line = {
            "linestyle": style,
            "marker": marker,
            "markevery": max(1, len(q) // 8),
            "markersize": 4,
            "color": colour,
            "linewidth": 1.4,
        }
        top.plot(x, q[0.5], label=comparison.titles()[run.label], **line)
        if k == 0:
            top.fill_between(x, q[0.05], q[0.95], color="0.6", alpha=0.3, linewidth=0)
            continue
        top.fill_between(
            x, q[0.05], q[0.95], facecolor="none", edgecolor=colour, hatch=hatch, linewidth=0
        )
        diff = wide - base
        mean = diff.mean(axis=1)
        half = t * diff.std(axis=1, ddof=1) / math.sqrt(n)
        bottom.plot(x, mean, **line)
        bottom.fill_between(
            x,
            mean - half,
            mean + half,
            facecolor="none",
            edgecolor=colour,
            hatch=hatch,
            linewidth=0,
        )
    bottom.axhline(0.0, color="black", linewidth=0.8)
    # the legend's last entry: what a band is, and on how many replications
    top.fill_between([], [], [], color="0.6", alpha=0.3, linewidth=0, label=band_label(n))
    top.set_title(_operator_label(comparison, op))
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    bottom.set_xlabel("calendar month")
    date_axis(bottom)


def _operator_label(comparison: Comparison, name: str) -> str:
    ops = {o.name: o.display for o in comparison.baseline.result.scenario.all_operators()}
    return ops.get(name, name)


def differences_figure(comparison: Comparison, path: Path) -> Path:
    """Forest plot: each difference with its paired and unpaired interval, per metric."""
    table = comparison.table
    cols = 2
    rows = math.ceil((len(METRICS) + 1) / cols)
    policies = [p.label for p in comparison.policies]
    ops = comparison.operators
    height = max(2.0, 0.42 * len(ops) * len(policies) + 1.2)
    fig, axes = new_figure(rows, cols, figsize=(11, height * rows + 0.8), squeeze=False)
    flat = axes.ravel()
    for ax, metric in zip(flat, METRICS, strict=False):
        _forest_panel(
            ax, table[table["metric"] == metric.name], metric.name, ops, policies, comparison
        )
    for ax in flat[len(METRICS) :]:
        ax.axis("off")
    _legend_panel(flat[len(METRICS)] if len(flat) > len(METRICS) else flat[-1], comparison)
    fig.suptitle(
        f"Policy − baseline ('{comparison.titles()[comparison.baseline.label]}'), per operator"
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _caption(
        fig,
        comparison,
        f"{money_words(comparison)}, scaled to real subscribers; CLV per subscriber.",
    )
    return save_figure(fig, path, currency_code(comparison.baseline.result.scenario))


def _forest_panel(
    ax: Axes,
    rows: pd.DataFrame,
    metric: str,
    ops: list[str],
    policies: list[str],
    comparison: Comparison,
) -> None:
    m = METRIC_BY_NAME[metric]
    scale = m.scale
    how = metric_formats(comparison.table)[metric]  # one precision per panel, as in the tables
    labels, y = [], 0.0
    for op in ops:
        for k, policy in enumerate(policies):
            r = rows[(rows["operator"] == op) & (rows["policy"] == policy)].iloc[0]
            _, marker, _, colour = _style(k + 1)
            ax.plot(
                [r.unpaired_low * scale, r.unpaired_high * scale],
                [y + 0.2, y + 0.2],
                color="0.55",
                linewidth=1.0,
                marker="|",
                markersize=8,
            )
            ax.plot(
                [r.paired_low * scale, r.paired_high * scale],
                [y, y],
                color=colour,
                linewidth=3.0,
                solid_capstyle="butt",
            )
            ax.plot(
                [r.difference * scale],
                [y],
                marker=marker or "o",
                markersize=6,
                color=colour,
                markerfacecolor="white" if r.within_noise else colour,
                markeredgewidth=1.5,
            )
            diff, ci = format_difference(m, r.difference, r.paired_low, r.paired_high, how)
            ax.text(
                0.01,
                y - 0.28,
                f"{diff} {ci}" + _ratio_note(r.width_ratio),
                transform=ax.get_yaxis_transform(),
                fontsize=7,
                color="0.2",
                va="bottom",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8},
            )
            name = _operator_label(comparison, op)
            title = comparison.titles()[policy]
            labels.append(name if len(policies) == 1 else f"{name}: {title}")
            y += 1.0
    ax.axvline(0.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.75)
    unit = m.diff_unit if not m.money else "currency"
    ax.set_xlabel(f"difference in {m.long} ({unit})", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    if m.money:
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _human(v)))


def _ratio_note(ratio: float) -> str:
    """How the paired width compares with the unpaired one (nothing if undefined)."""
    return f"   width ×{format_ratio(ratio)} of unpaired" if math.isfinite(ratio) else ""


def _legend_panel(ax: Axes, comparison: Comparison) -> None:
    from matplotlib.lines import Line2D

    pct = f"{100 * comparison.level:g} %"
    handles = [
        Line2D([], [], color="black", linewidth=3.0, label=f"{pct} paired t interval"),
        Line2D(
            [],
            [],
            color="0.55",
            linewidth=1.0,
            marker="|",
            markersize=8,
            label=f"{pct} Welch interval, ignoring pairing",
        ),
        Line2D([], [], color="black", marker="o", linestyle="none", label="mean difference"),
        Line2D(
            [],
            [],
            color="black",
            marker="o",
            markerfacecolor="white",
            linestyle="none",
            label="hollow: within noise (paired interval contains 0)",
        ),
    ]
    ax.axis("off")
    ax.legend(handles=handles, loc="center", frameon=False, fontsize=9)


def _human(x: float) -> str:
    for unit, size in (("bn", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:g}{unit}"
    return f"{x:g}"


def save_figures(comparison: Comparison, out: Path) -> list[Path]:
    """Write ``overlay.png`` and ``differences.png`` into ``out``."""
    return [
        overlay_figure(comparison, out / "overlay.png"),
        differences_figure(comparison, out / "differences.png"),
    ]
