"""Figures of a run (shares with bands, monthly churn, switching flows) and their helpers.

The helpers (figures, captions, styles, banded lines, atomic saving) are shared with the
report, sweep, comparison and calibration figures. Plotting never lives in the model
classes, and never touches pyplot's global backend: a notebook that imports telsim keeps
its own, and a headless machine still writes PNGs. Figures are readable in
black-and-white print (line styles and markers, not colour alone), carry units, and say
in a caption which scenario and how many replications produced them.
"""

from __future__ import annotations

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


def caption_text(result: RunResult, note: str | None = BANDS) -> str:
    """Which scenario, replications, agents and seed made a figure, then ``note``."""
    sc = result.scenario
    reps = result.replications
    text = (
        f"Scenario '{sc.name}', {reps} replication{'s' if reps != 1 else ''}, "
        f"{sc.population.size:,} agents, seed {sc.simulation.seed}."
    )
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


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG atomically and free it."""
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
    ax.set_title(f"{title}: {result.scenario.name}")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    caption(fig, result)
    return save_figure(fig, path)


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
    shown = False
    for op, group in points.dropna(subset=[value]).groupby("operator", sort=False):
        k = order.index(op) if op in labels else 0
        ax.plot(
            group["date"],
            group[value] * scale,
            linestyle="none",
            marker=STYLES[k % len(STYLES)][1],
            markersize=6,
            markerfacecolor="none",
            color="black" if k == 0 else f"C{k}",
            label=None if shown else "reported",
        )
        shown = True


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
    return save_figure(fig, path)


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
