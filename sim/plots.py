"""Figures of a run (shares with bands, monthly churn, switching flows) and their helpers.

The helpers (figures, captions, styles, banded lines, atomic saving) are shared with the
report, sweep, comparison and calibration figures. Plotting never lives in the model
classes, and never touches pyplot's global backend: a notebook that imports telsim keeps
its own, and a headless machine still writes PNGs. Figures are readable in
black-and-white print (line styles and markers, not colour alone), carry units, and say
in a caption which scenario and how many replications produced them.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.io import atomic_write

if TYPE_CHECKING:
    from sim.results import RunResult
    from sim.scenario import Scenario

STYLES = [
    ("-", "o"),
    ("--", "s"),
    (":", "^"),
    ("-.", "D"),
    ((0, (5, 1)), "v"),
    ((0, (3, 1, 1, 1)), "P"),
]


BANDS = "Bands: 5-95 % across replications."
WHISKERS = "Whiskers: 5-95 % across replications."


FEW_REPLICATIONS = 5  # below this a 5-95 % band is the spread of a handful of runs


def band_label(replications: int) -> str:
    """Legend text of a 5-95 % band: how many replications it rests on, and if few."""
    text = f"5–95 % band, {replications} replication{'s' if replications != 1 else ''}"
    return f"{text} (few: rough)" if replications < FEW_REPLICATIONS else text


def caption_text(result: RunResult, note: str | None = BANDS) -> str:
    """Which scenario, replications, agents and seed made a figure, then ``note``.

    A band or whisker note names the number of replications, and says when they are few.
    """
    sc = result.scenario
    reps = result.replications
    text = (
        f"Scenario '{sc.name}', {reps} replication{'s' if reps != 1 else ''}, "
        f"{sc.population.size:,} agents, seed {sc.simulation.seed}."
    )
    if note in (BANDS, WHISKERS):
        note = note.replace("across replications", f"across the {reps} replications")
        if reps == 1:
            note = "One replication: no band of chance variation."
        elif reps < FEW_REPLICATIONS:
            note += " Few replications: a rough guide."
    return f"{text} {note}" if note else text


def caption(fig: Figure, result: RunResult, note: str | None = BANDS) -> None:
    """Print the caption along the bottom edge of ``fig`` (it travels with the PNG)."""
    fig.text(0.01, 0.01, caption_text(result, note), fontsize=7, color="0.3")


def new_figure(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **subplots: Any
) -> tuple[Figure, Any]:
    """A figure and its axes, as ``plt.subplots`` gives them, but unknown to pyplot.

    Pyplot would pick (and may switch) the global backend; a bare Figure needs none and
    ``savefig`` renders the PNG with Agg whatever the backend is.
    """
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **subplots)


# "currency" as a unit (an axis label's "(currency)", "currency/month", "M currency units"),
# not as a word in a sentence ("the scenario's currency").
_CURRENCY_UNIT = re.compile(r"(?<!scenario's )(?<![\w-])currency(?: units)?(?=$|[/\s),;:])")


def currency_code(scenario: Scenario | None) -> str | None:
    """The scenario's currency code (``economics.currency``), or None when it names none."""
    economics = getattr(scenario, "economics", None)
    return getattr(economics, "currency", None) or None


def with_currency(text: str, code: str | None) -> str:
    """``text`` with the placeholder unit "currency" replaced by ``code`` (e.g. CNY)."""
    return _CURRENCY_UNIT.sub(code, text) if code else text


def name_currency(fig: Figure, code: str | None) -> None:
    """Every text of ``fig`` (titles, axis and colour-bar labels, legends) in ``code``."""
    if not code:
        return
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        value = text.get_text()
        if "currency" in value:
            text.set_text(with_currency(value, code))


# Families with Chinese glyphs, the packaged one (a dependency) first, then common
# system fonts; the first one matplotlib knows is the fallback for CJK labels.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)


@functools.cache
def cjk_family() -> str | None:
    """A font family with Chinese glyphs that matplotlib can use, or None.

    telsim depends on a package shipping Noto Sans CJK (``cvttf-NotoSansCJK-Regular``):
    its file is registered with matplotlib here, so no system font or font cache
    rebuild is needed. Without it, a system CJK font is used if there is one.
    """
    from matplotlib import font_manager

    try:
        import cvttf_NotoSansCJK_Regular as packaged

        path = packaged.get_TTF_path()
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    except (ImportError, OSError, RuntimeError):
        pass
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in known), None)


def use_cjk_fallback() -> None:
    """Append the CJK family to matplotlib's ``font.family`` (once; a no-op without one).

    Matplotlib takes each glyph from the first family of the list that has it, so Latin
    text keeps its font and Chinese labels (``label: 中国移动``) get real glyphs, in
    layout (``tight_layout``) as in the saved PNG. It has to be in force when a text is
    made, so it is set when this module is imported; text whose glyphs the first
    family has looks exactly as before.
    """
    import matplotlib

    family = cjk_family()
    families = list(matplotlib.rcParams["font.family"])
    if family is not None and family not in families:
        matplotlib.rcParams["font.family"] = [*families, family]


def save_figure(fig: Figure, path: Path, currency: str | None = None) -> Path:
    """Write ``fig`` as a PNG atomically and free it, its money labelled in ``currency``."""
    name_currency(fig, currency)
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=130))
    if fig.canvas.manager is not None:  # made by pyplot (the report's), which keeps it until closed
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path


def band_lines(
    ax: Axes,
    df: pd.DataFrame,
    value: str,
    labels: dict[str, str],
    scale: float = 1.0,
    by: str = "operator",
) -> None:
    """Median line with a 5-95 % band per group (operator by default), over date.

    A group's line style and marker follow its place in ``labels`` (the scenario order),
    so an operator looks the same in every figure and lines stay apart in print.
    """
    order = list(labels)
    bands = 0
    for i, (op, group) in enumerate(df.groupby(by, sort=False)):
        k = order.index(op) if op in labels else i
        wide = group.pivot(index="date", columns="replication", values=value) * scale
        q = wide.quantile([0.05, 0.5, 0.95], axis=1).T
        style, marker = STYLES[k % len(STYLES)]
        every = max(1, len(q) // 10)
        ax.plot(
            q.index,
            q[0.5],
            linestyle=style,
            marker=marker,
            markevery=every,
            markersize=4,
            color="black" if k == 0 else f"C{k}",
            label=labels.get(op, op),
        )
        if wide.shape[1] > 1:
            ax.fill_between(
                q.index,
                q[0.05],
                q[0.95],
                alpha=0.2,
                color="0.5" if k == 0 else f"C{k}",
                linewidth=0,
            )
            bands = wide.shape[1]
    if bands > 1:  # one legend entry for every band: what it is, and on how many runs
        ax.fill_between([], [], [], color="0.5", alpha=0.2, linewidth=0, label=band_label(bands))


def date_axis(ax: Axes) -> None:
    """Calendar ticks on whole months: at most about six, years on a long run, never days.

    Call after plotting (the ticks follow the axis' date range). A one-month run gets
    its two month ends, not a row of overlapping daily ticks.
    """
    import matplotlib.dates as mdates

    low, high = ax.get_xlim()
    months = (high - low) / 30.44  # matplotlib dates count days
    if months <= 30:
        step = next(k for k in (1, 2, 3, 6, 12) if months / k <= 7)
        locator: mdates.DateLocator = mdates.MonthLocator(bymonth=range(1, 13, step))
    else:
        locator = mdates.YearLocator(max(1, math.ceil(months / 12 / 7)))
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def operator_labels(result: RunResult) -> dict[str, str]:
    """Operator name -> display name, in scenario order (entrants last)."""
    return {o.name: o.display for o in result.scenario.all_operators()}


def _line_figure(
    result: RunResult,
    path: Path,
    df: pd.DataFrame,
    value: str,
    ylabel: str,
    title: str,
    reported: pd.DataFrame | None = None,
) -> Path:
    """Percent series per operator over calendar months, median with a 5-95 % band.

    ``reported`` (see :func:`reported_points`) adds the reported values of ``value``.
    """
    fig, ax = new_figure(figsize=(8, 4.5))
    labels = operator_labels(result)
    band_lines(ax, df, value, labels, scale=100)
    reported_markers(ax, reported, value, labels, scale=100)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("calendar month")
    date_axis(ax)
    ax.set_title(f"{title}: {result.scenario.name}")
    ax.grid(alpha=0.3)
    # under the axes, not on them: "best" still covers a line when every corner has one
    entries = len(ax.get_legend_handles_labels()[0])
    ax.legend(
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=min(entries, 3),
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    caption(fig, result)
    return save_figure(fig, path, currency_code(result.scenario))


def reported_points(scenario: Scenario) -> pd.DataFrame | None:
    """The scenario's reported series (``scenario.reported``) by plot date and operator.

    Columns ``date`` (the first day of the reported month, as the run tables date the
    model month it is compared with: :mod:`sim.months`), ``operator``, ``subscribers`` and ``handsets_{g}g`` (NaN where not reported),
    ``share`` (of the operators reported that month, where all of them are). None
    without reported data.
    """
    spec = scenario.reported
    if spec is None:
        return None
    raw = pd.read_csv(spec.path, dtype={spec.date: str, spec.operator: str})
    raw = raw[raw[spec.operator].isin(spec.operators)]
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(raw[spec.date].str.strip().str[:7], format="%Y-%m"),
            "operator": raw[spec.operator].map(spec.operators),
        }
    )
    out["subscribers"] = raw[spec.subscribers] * spec.scale if spec.subscribers else np.nan
    for g, column in spec.handsets.items():
        out[f"handsets_{g}g"] = raw[column] * spec.scale
    by_date = out.groupby("date")["subscribers"]
    complete = by_date.transform("count") == len(set(spec.operators.values()))
    out["share"] = (out["subscribers"] / by_date.transform("sum")).where(complete)
    return out


def reported_markers(
    ax: Axes, points: pd.DataFrame | None, value: str, labels: dict[str, str], scale: float
) -> None:
    """Reported values as hollow markers in each operator's colour (``band_lines`` order)."""
    if points is None or value not in points:
        return
    order = list(labels)
    rows = points.dropna(subset=[value])
    for op, group in rows.groupby("operator", sort=False):
        k = order.index(op) if op in labels else 0
        ax.plot(
            group["date"],
            group[value] * scale,
            linestyle="none",
            marker=STYLES[k % len(STYLES)][1],
            markersize=6,
            markerfacecolor="none",
            color="black" if k == 0 else f"C{k}",
        )
    if not rows.empty:  # one neutral legend entry: hollow markers are reported values
        ax.plot(
            [], [], linestyle="none", marker="o", markerfacecolor="none", color="0.3",
            label="reported (hollow markers)",
        )  # fmt: skip


def shares_figure(result: RunResult, path: Path) -> Path:
    """Market share per operator over time, with the reported shares where the scenario has them."""
    return _line_figure(
        result,
        path,
        result.operators,
        "share",
        "market share (% of subscribers)",
        "Market share",
        reported=reported_points(result.scenario),
    )


def churn_figure(result: RunResult, path: Path) -> Path:
    """Monthly churn rate per operator (churners / last month's subscribers)."""
    ops = result.operators[result.operators["month"] > 0]
    return _line_figure(
        result,
        path,
        ops,
        "churn_rate",
        "monthly churn (% of last month's subscribers)",
        "Monthly churn",
    )


def switching_figure(result: RunResult, path: Path) -> Path:
    """Heatmap of subscribers switching from one operator to another over the whole run."""
    labels = operator_labels(result)
    names = list(labels)
    sw = result.switching
    per_rep = sw.groupby(["replication", "from_operator", "to_operator"])["subscribers"].sum()
    mean = per_rep.groupby(["from_operator", "to_operator"]).sum() / max(result.replications, 1)
    matrix = np.zeros((len(names), len(names)))
    for (a, b), v in mean.items():
        matrix[names.index(a), names.index(b)] = v
    fig, ax = new_figure(figsize=(6.5, 5.5))
    im = ax.imshow(matrix, cmap="Greys")
    ax.set_xticks(range(len(names)), [labels[n] for n in names], rotation=30, ha="right")
    ax.set_yticks(range(len(names)), [labels[n] for n in names])
    ax.set_xlabel("to operator")
    ax.set_ylabel("from operator")
    top = matrix.max() or 1.0
    for a in range(len(names)):
        for b in range(len(names)):
            ax.text(
                b,
                a,
                human(matrix[a, b]) if a != b else "-",  # staying is not a flow
                ha="center",
                va="center",
                color="white" if matrix[a, b] > 0.6 * top else "black",
                fontsize=9,
            )
    bar = fig.colorbar(im, ax=ax, label="subscribers switched (whole run, mean of replications)")
    bar.formatter = matplotlib.ticker.FuncFormatter(lambda x, _: human(x))
    bar.update_ticks()
    ax.set_title(f"Switching flows: {result.scenario.name}")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    caption(fig, result, note=None)
    return save_figure(fig, path, currency_code(result.scenario))


def human(x: float) -> str:
    """Short count or amount: 1.2bn, 3.4M, 5.6k, 78."""
    for unit, size in (("bn", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:.1f}{unit}"
    return f"{x:.0f}"


def save_run_figures(result: RunResult, out: Path) -> list[Path]:
    """Write the standard figures of a run directory."""
    return [
        shares_figure(result, out / "shares.png"),
        churn_figure(result, out / "churn.png"),
        switching_figure(result, out / "switching.png"),
    ]


use_cjk_fallback()
