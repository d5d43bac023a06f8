"""The comparison as tables: Markdown for a slide, CSV for a spreadsheet, rows for rich.

Values are shown in the units a strategist reads (shares and churn in %, their
differences in percentage points, money with k / M / bn); every difference carries its
paired interval, rounded to the precision that interval supports.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.compare.metrics import METRIC_BY_NAME, Metric

if TYPE_CHECKING:
    from sim.compare.comparison import Comparison

_MONEY_UNITS = (("bn", 1e9), ("M", 1e6))


def headers(level: float) -> list[str]:
    """Column names of the slide table at confidence ``level``."""
    return [
        "metric",
        "operator",
        "baseline",
        "policy",
        "difference",
        f"{100 * level:g} % paired CI",
        "within noise",
        "paired / unpaired CI width",
    ]


def _decimals(spread: float, fallback: float) -> int:
    """Decimals that show two significant digits of ``spread`` (or of ``fallback``)."""
    ref = abs(spread) if spread > 0 else abs(fallback)
    if ref == 0 or not math.isfinite(ref):
        return 2
    return int(min(4, max(0, 1 - math.floor(math.log10(ref)))))


def _money_unit(*values: float) -> tuple[str, float]:
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    return next(((u, s) for u, s in _MONEY_UNITS if top >= s), ("", 1.0))


def format_value(metric: Metric, value: float, spread: float = 0.0) -> str:
    """One level in display units, e.g. ``36.49 %`` or ``44.2bn``."""
    if metric.money:
        unit, size = _money_unit(value)
        return f"{value / size:,.{_decimals(spread / size, value / size)}f}{unit}"
    shown = value * metric.scale
    return f"{shown:.{_decimals(spread * metric.scale, shown)}f} {metric.unit}"


def format_difference(metric: Metric, diff: float, low: float, high: float) -> tuple[str, str]:
    """``("+0.35 pp", "[+0.21, +0.49]")``: the difference and its interval, one precision."""
    if metric.money:
        unit, size = _money_unit(diff, low, high)
        d = _decimals((high - low) / 2 / size, diff / size)
        return (
            f"{diff / size:+,.{d}f}{unit}",
            f"[{low / size:+,.{d}f}, {high / size:+,.{d}f}]{unit}",
        )
    s = metric.scale
    d = _decimals((high - low) / 2 * s, diff * s)
    return f"{diff * s:+.{d}f} {metric.diff_unit}", f"[{low * s:+.{d}f}, {high * s:+.{d}f}]"


def format_ratio(ratio: float) -> str:
    """Paired/unpaired width ratio, or a dash when both intervals have zero width."""
    return "–" if not math.isfinite(ratio) else f"{ratio:.2f}"


def slide_rows(comparison: Comparison, policy: str) -> list[list[str]]:
    """One formatted row per metric and operator of one policy."""
    rows = []
    for r in comparison.table[comparison.table["policy"] == policy].itertuples():
        m = METRIC_BY_NAME[r.metric]
        spread = (r.paired_high - r.paired_low) / 2
        rows.append(
            [
                m.label,
                str(r.operator),
                format_value(m, r.baseline_mean, spread),
                format_value(m, r.policy_mean, spread),
                *format_difference(m, r.difference, r.paired_low, r.paired_high),
                "yes" if r.within_noise else "no",
                format_ratio(r.width_ratio),
            ]
        )
    return rows


def caption(comparison: Comparison) -> str:
    """Which runs produced the numbers, and how to read them."""
    base = comparison.baseline.result.scenario
    pct = f"{100 * comparison.level:g} %"
    return (
        f"{comparison.replications} paired replications (seed {base.simulation.seed}), "
        f"{base.population.size:,} agents, {comparison.months} months from "
        f"{base.simulation.start}. Values are means across replications; the interval is "
        f"the {pct} paired t interval of policy − baseline over replications run with the "
        f'same seeds. "within noise": that interval contains 0. Last column: its width '
        f"over the width of the {pct} Welch interval that ignores the pairing (below 1 = "
        f"narrower). Revenue: cumulative over months 1-{comparison.months}; net revenue: "
        f"revenue less handset subsidies and retention discounts; CLV: per subscriber, from "
        f"the last 12 months' ARPU and churn. Money in the scenario's currency, scaled to "
        f"real subscribers (population.represents)."
    )


def markdown(comparison: Comparison) -> str:
    """The slide: one Markdown table per policy, with a caption and any notes."""
    base = comparison.baseline.label
    lines = [f"# Comparison against `{base}`", ""]
    for p in comparison.policies:
        lines += [f"## `{p.label}` vs `{base}`", ""]
        cols = headers(comparison.level)
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join(["---", "---"] + ["---:"] * (len(cols) - 2)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in slide_rows(comparison, p.label)]
        lines.append("")
    lines.append(caption(comparison))
    if comparison.notes:
        lines += ["", "Notes:", *(f"- {n}" for n in comparison.notes)]
    return "\n".join(lines) + "\n"


def csv_table(comparison: Comparison) -> pd.DataFrame:
    """The table in display units (%, pp, currency) with the unit of each row."""
    df = comparison.table.copy()
    scale = df["metric"].map(lambda m: METRIC_BY_NAME[m].scale)
    for col in (
        "baseline_mean",
        "policy_mean",
        "difference",
        "paired_low",
        "paired_high",
        "unpaired_low",
        "unpaired_high",
        "paired_width",
        "unpaired_width",
    ):
        df[col] = df[col] * scale
    df.insert(3, "unit", df["metric"].map(lambda m: METRIC_BY_NAME[m].unit))
    df.insert(4, "difference_unit", df["metric"].map(lambda m: METRIC_BY_NAME[m].diff_unit))
    df.insert(0, "baseline", comparison.baseline.label)
    return df
