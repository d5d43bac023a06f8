"""The comparison as tables: Markdown for a slide, CSV for a spreadsheet, rows for rich.

Values are shown in the units a strategist reads (shares and churn in %, their
differences in percentage points, money with k / M / bn); every difference carries its
paired interval, rounded to the precision that interval supports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from sim.compare.metrics import METRIC_BY_NAME, Metric

if TYPE_CHECKING:
    from sim.compare.comparison import Comparison

_MONEY_UNITS = (("bn", 1e9), ("M", 1e6))
_WORDS = {"bn": "billions", "M": "millions"}


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


@dataclass(frozen=True)
class Shown:
    """How one metric is written across a whole table, so its rows line up.

    Attributes:
        decimals: decimals of every value, difference and interval end.
        unit: ``"bn"``, ``"M"`` or ``""`` for money; ``""`` otherwise.
        size: the money unit's size (1e9, 1e6, 1).
    """

    decimals: int
    unit: str = ""
    size: float = 1.0


def shown(metric: Metric, values: list[float], spreads: list[float]) -> Shown:
    """One precision for a metric's rows: that the narrowest interval supports.

    ``values`` are stored values, ``spreads`` their intervals' half-widths; every row is
    written with the most decimals any row needs, so a column never mixes "3,671" and
    "1,818.4".
    """
    unit, size = _money_unit(*values) if metric.money else ("", 1.0)
    scale = size if metric.money else 1.0 / metric.scale
    decimals = [
        _decimals(spread / scale, value / scale)
        for value, spread in zip(values, spreads, strict=True)
        if value or spread  # a zero with no interval says nothing about precision
    ]
    return Shown(max(decimals, default=2), unit, size)


def format_value(
    metric: Metric, value: float, spread: float = 0.0, how: Shown | None = None
) -> str:
    """One level in display units, e.g. ``36.49 %`` or ``44.2bn``."""
    if metric.money:
        how = how or shown(metric, [value], [spread])
        return f"{value / how.size:,.{how.decimals}f}{how.unit}"
    shown_value = value * metric.scale
    d = how.decimals if how else _decimals(spread * metric.scale, shown_value)
    return f"{shown_value:.{d}f} {metric.unit}"


def format_difference(
    metric: Metric, diff: float, low: float, high: float, how: Shown | None = None
) -> tuple[str, str]:
    """``("+0.35 pp", "[+0.21, +0.49]")``: the difference and its interval, one precision."""
    if metric.money:
        how = how or shown(metric, [diff, low, high], [(high - low) / 2] * 3)
        d, unit, size = how.decimals, how.unit, how.size
        return (
            f"{diff / size:+,.{d}f}{unit}",
            f"[{low / size:+,.{d}f}, {high / size:+,.{d}f}]{unit}",
        )
    s = metric.scale
    d = how.decimals if how else _decimals((high - low) / 2 * s, diff * s)
    return f"{diff * s:+.{d}f} {metric.diff_unit}", f"[{low * s:+.{d}f}, {high * s:+.{d}f}]"


def metric_formats(table: pd.DataFrame) -> dict[str, Shown]:
    """The precision (and money unit) of each metric over every row of ``table``."""
    out = {}
    for name, rows in table.groupby("metric", sort=False):
        m = METRIC_BY_NAME[str(name)]
        spreads = ((rows["paired_high"] - rows["paired_low"]) / 2).tolist()
        # a zero-width interval falls back on two significant digits of its own numbers
        values = pd.concat([rows["baseline_mean"], rows["policy_mean"], rows["difference"]])
        out[str(name)] = shown(m, values.abs().tolist(), spreads * 3)
    return out


def format_ratio(ratio: float) -> str:
    """Paired/unpaired width ratio, or a dash when both intervals have zero width."""
    return "–" if not math.isfinite(ratio) else f"{ratio:.2f}"


def slide_rows(comparison: Comparison, policy: str) -> list[list[str]]:
    """One formatted row per metric and operator of one policy (units in every cell)."""
    formats = metric_formats(comparison.table)
    rows = []
    for r in comparison.table[comparison.table["policy"] == policy].itertuples():
        m = METRIC_BY_NAME[r.metric]
        how = formats[r.metric]
        rows.append(
            [
                m.label,
                str(r.operator),
                format_value(m, r.baseline_mean, how=how),
                format_value(m, r.policy_mean, how=how),
                *format_difference(m, r.difference, r.paired_low, r.paired_high, how),
                "yes" if r.within_noise else "no",
                format_ratio(r.width_ratio),
            ]
        )
    return rows


def terminal_headers(level: float) -> list[str]:
    """Columns of a terminal block: the slide table's, less the metric, shorter at the end.

    Each block is one metric, and the short last header lets the headers wrap onto two lines.
    """
    return [*headers(level)[1:-1], "width vs unpaired"]


def terminal_blocks(
    comparison: Comparison, policy: str, currency: str | None = None
) -> list[tuple[str, list[list[str]]]]:
    """The policy's rows for an 80-column terminal: one block per metric, units in its title.

    Cells carry bare numbers (the unit is in the block title), so a row of seven
    columns fits 80 characters and no number is ever cut.
    """
    formats = metric_formats(comparison.table)
    names = operator_titles(comparison)
    table = comparison.table[comparison.table["policy"] == policy]
    blocks = []
    for metric, rows in table.groupby("metric", sort=False):
        m = METRIC_BY_NAME[str(metric)]
        how = formats[str(metric)]
        out = []
        for r in rows.itertuples():
            scale = 1.0 / how.size if m.money else m.scale
            d, sign = how.decimals, ("," if m.money else "")
            out.append(
                [
                    names.get(str(r.operator), str(r.operator)),
                    f"{r.baseline_mean * scale:{sign}.{d}f}",
                    f"{r.policy_mean * scale:{sign}.{d}f}",
                    f"{r.difference * scale:+{sign}.{d}f}",
                    f"[{r.paired_low * scale:+{sign}.{d}f}, {r.paired_high * scale:+{sign}.{d}f}]",
                    "yes" if r.within_noise else "no",
                    format_ratio(r.width_ratio),
                ]
            )
        if m.money:
            money = f"{currency or 'currency'}{' ' + _WORDS[how.unit] if how.unit else ''}"
            title = f"{m.long} ({money})"
        else:
            title = f"{m.long} ({m.unit}; differences in {m.diff_unit})"
        blocks.append((title, out))
    return blocks


def operator_titles(comparison: Comparison) -> dict[str, str]:
    """Operator name -> display name, from the baseline's scenario."""
    return {o.name: o.display for o in comparison.baseline.result.scenario.all_operators()}


def money_words(comparison: Comparison) -> str:
    """``Money in CNY`` when the baseline names its currency, else the generic phrase."""
    code = getattr(comparison.baseline.result.scenario.economics, "currency", None)
    return f"Money in {code}" if code else "Money in the scenario's currency"


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
        f"the last 12 months' ARPU and churn. {money_words(comparison)}, scaled to "
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
