"""Figures of a sweep: response curves, heatmaps, and sensitivity bar charts.

One figure per metric family (``final_share``, ``revenue``, ...), one line or panel per
operator, named as the scenario names it (``label``, e.g. China Unicom). Lines differ by style and marker and bars by hatching, so the figures read in
black-and-white print; each carries a caption naming the sweep, its base scenario, the
points and the replications.

- One parameter: the metric against it, median with a 5-95 % band across replications.
- A grid over two parameters: a heatmap per operator, all on one grey scale with one
  colour bar so the panels compare; each cell shows the median and, in brackets, the
  5-95 % range across replications.
- Otherwise: the metric against each parameter in turn (binned), median with a 5-95 %
  band across replications and the other parameters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots import STYLES, currency_code, new_figure, save_figure
from sim.scenario import Scenario
from sim.sweep.metrics import COUNT_UNIT, MARKET, MONEY_UNIT, describe, family, metric_names
from sim.sweep.spec import LoadedSweep

HATCHES = ("////", "....", "xxxx", "\\\\\\\\", "++++", "oooo")
MAX_BINS = 10
MAX_PANELS = 6


def _families(names: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in names:
        out.setdefault(family(name)[0], []).append(name)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def _scale(values: np.ndarray, unit: str, scale: float) -> tuple[float, str]:
    """A readable scale for counts and money: thousands, millions or billions."""
    if unit not in (COUNT_UNIT, MONEY_UNIT):
        return scale, unit
    finite = values[np.isfinite(values)]
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    for factor, prefix in ((1e9, "billion "), (1e6, "million "), (1e3, "thousand ")):
        if peak >= factor:
            return 1 / factor, prefix + unit
    return 1.0, unit


def _caption(loaded: LoadedSweep, runs: pd.DataFrame, extra: str) -> str:
    spec, sc = loaded.spec, loaded.scenario
    return (
        f"Sweep '{spec.name}' over scenario '{sc.name}': {spec.design.kind} design, "
        f"{runs['point'].nunique()} points x {spec.replications} replication(s), "
        f"{sc.population.size:,} agents, {sc.simulation.months} months, seed {spec.seed}. {extra}"
    )


def _axis_label(param: str) -> str:
    """A parameter path for an axis: its last two parts, with the field's unit if known."""
    short = ".".join(param.split(".")[-2:])
    unit = field_unit(param)
    return f"{short} ({unit})" if unit else short


def field_unit(path: str) -> str | None:
    """The unit a scenario field's description ends with, e.g. ``currency/month``.

    Follows the dotted path through the scenario schema (list items by name or index);
    None when the path leaves the schema or the description names no unit.
    """
    import typing

    from pydantic import BaseModel

    from sim.scenario import Scenario

    model: Any = Scenario
    field = None
    for key in path.split("."):
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(key)
            if field is None:
                return None
            model = field.annotation
        else:  # a list item, chosen by name or index: step into the item type
            model = next(iter(typing.get_args(model)), None)
            if field is None or model is None:
                return None
            continue
        # Optional[X], Annotated[X, ...]: step to the X inside (lists stay lists).
        while typing.get_origin(model) not in (None, list):
            model = next((a for a in typing.get_args(model) if a is not type(None)), None)
    description = (field.description or "") if field is not None else ""
    found = re.findall(r"\(([^()]*)\)\.?$", description.strip())
    # Only units, not asides such as "(time constant)" or "(0 = month-to-month)".
    units = re.compile(r"^(currency(/month)?|months?|%|[a-z ]+ per [a-z]+)$")
    return found[0] if found and units.match(found[0]) else None


def save_sweep_figures(loaded: LoadedSweep, runs: pd.DataFrame, out: Path) -> list[Path]:
    """Write one figure per metric family into ``out``; returns the paths."""
    ok = runs[runs["error"].isna()]
    if ok.empty:
        return []
    params = list(loaded.spec.parameters)
    grid2 = (
        loaded.spec.design.kind == "grid"
        and len(params) == 2
        and all(ok[p].nunique() > 1 for p in params)
    )
    paths = []
    for fam, names in _families(metric_names(loaded.spec, loaded.scenario)).items():
        if grid2:
            fig = _heatmaps(loaded, ok, params, names)
            name = f"heatmap_{_slug(fam)}.png"
        else:
            fig = _responses(loaded, ok, params[:MAX_PANELS], names, runs)
            name = f"response_{_slug(fam)}.png"
        paths.append(save_figure(fig, out / name, currency_code(loaded.scenario)))
    return paths


def _numeric(series: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numeric x positions; categories (choices that are not numbers) get 0..k-1."""
    try:
        return series.to_numpy(dtype=float), None
    except (TypeError, ValueError):
        cats = list(dict.fromkeys(series.astype(str)))
        return series.astype(str).map({c: k for k, c in enumerate(cats)}).to_numpy(float), cats


def _binned(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Median and 5-95 % of y per distinct x (or per quantile bin of x when x is dense)."""
    distinct = np.unique(x)
    if len(distinct) <= MAX_BINS * 1.5:
        keys = x
    else:
        edges = np.unique(np.quantile(x, np.linspace(0, 1, MAX_BINS + 1)))
        bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        centres = np.array(
            [x[bins == b].mean() if np.any(bins == b) else np.nan for b in range(len(edges) - 1)]
        )
        keys = centres[bins]
    df = pd.DataFrame({"x": keys, "y": y}).groupby("x")["y"]
    return pd.DataFrame({"p5": df.quantile(0.05), "p50": df.median(), "p95": df.quantile(0.95)})


def _responses(
    loaded: LoadedSweep, ok: pd.DataFrame, params: list[str], names: list[str], runs: pd.DataFrame
) -> Figure:
    info = describe(names[0])
    values = ok[names].to_numpy(dtype=float)
    scale, unit = _scale(values, info["unit"], info["scale"])
    cols = min(len(params), 3)
    rows = int(np.ceil(len(params) / cols))
    fig, axes = new_figure(
        rows, cols, figsize=(4.2 * cols + 1.5, 3.4 * rows + 1.0), squeeze=False, sharey=True
    )
    names_of = operator_names(loaded.scenario)
    for ax, param in zip(axes.flat, params, strict=False):
        x, cats = _numeric(ok[param])
        for k, name in enumerate(names):
            stats = _binned(x, ok[name].to_numpy(dtype=float) * scale)
            style, marker = STYLES[k % len(STYLES)]
            ax.plot(
                stats.index,
                stats["p50"],
                linestyle=style,
                marker=marker,
                color="k",
                markersize=4,
                label=names_of.get(family(name)[1], family(name)[1]),
            )
            ax.fill_between(
                stats.index,
                stats["p5"],
                stats["p95"],
                color="0.5",
                alpha=0.15,
                hatch=HATCHES[k % len(HATCHES)],
                edgecolor="0.6",
                linewidth=0,
            )
        if cats is not None:
            ax.set_xticks(range(len(cats)), cats)
        elif loaded.spec.parameters[param].log_uniform is not None:
            ax.set_xscale("log")  # sampled uniformly in log: spread evenly on a log axis
            ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(_axis_label(param))
        ax.grid(True, color="0.9")
    for ax in axes.flat[len(params) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{info['label']} ({unit})" if unit else info["label"])
    axes.flat[0].legend(fontsize=8, title="operator", title_fontsize=8)
    others = " and the other parameters" if len(params) > 1 else ""
    fig.suptitle(f"{info['label'].capitalize()} across the sweep", fontsize=11)
    _put_caption(
        fig, _caption(loaded, runs, f"Line: median; band: 5-95 % across replications{others}.")
    )
    return fig


def _heatmaps(loaded: LoadedSweep, ok: pd.DataFrame, params: list[str], names: list[str]) -> Figure:
    """One panel per operator on ONE grey scale, with a colour bar: panels compare.

    Each cell prints its median (and the 5-95 % range across replications), large
    enough to read on a slide; the text is white on dark cells.
    """
    info = describe(names[0])
    values = ok[names].to_numpy(dtype=float)
    scale, unit = _scale(values, info["unit"], info["scale"])
    px, py = params
    n = len(names)
    cols = 2 if n == 4 else min(n, 3)
    rows = int(np.ceil(n / cols))
    medians, lows, highs = [], [], []
    for name in names:
        grouped = ok.groupby([py, px])[name]
        medians.append(grouped.median().unstack(px) * scale)
        lows.append(grouped.quantile(0.05).unstack(px) * scale)
        highs.append(grouped.quantile(0.95).unstack(px) * scale)
    cells = np.concatenate([m.to_numpy(dtype=float).ravel() for m in medians])
    finite = cells[np.isfinite(cells)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    vmax = vmax if vmax > vmin else vmin + 1
    shape = medians[0].shape
    size = float(np.clip(44 / max(shape), 6.5, 10))  # cell text: as large as the cells allow
    fig = Figure(figsize=(4.9 * cols + 1.2, 4.5 * rows + 0.9))
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=[1.0] * cols + [0.05])
    axes = [fig.add_subplot(grid[k // cols, k % cols]) for k in range(n)]
    bands = loaded.spec.replications > 1
    names_of = operator_names(loaded.scenario)
    for ax, name, med, lo, hi in zip(axes, names, medians, lows, highs, strict=True):
        image = ax.imshow(
            med.to_numpy(dtype=float),
            origin="lower",
            aspect="auto",
            cmap="Greys",
            vmin=vmin,
            vmax=vmax,
        )
        ax.set_xticks(range(med.shape[1]), [_fmt(v) for v in med.columns])
        ax.set_yticks(range(med.shape[0]), [_fmt(v) for v in med.index])
        ax.set_xlabel(_axis_label(px))
        ax.set_ylabel(_axis_label(py))
        ax.set_title(names_of.get(family(name)[1], family(name)[1]), fontsize=11)
        if med.size <= 64:
            _annotate(
                ax,
                med.to_numpy(float),
                lo.to_numpy(float),
                hi.to_numpy(float),
                (vmin + vmax) / 2,
                bands,
                size,
            )
    fig.colorbar(
        image,
        cax=fig.add_subplot(grid[:, -1]),
        label=f"{info['label']} ({unit})" if unit else info["label"],
    )
    fig.suptitle(f"{info['label'].capitalize()}: median over replications", fontsize=12)
    band = " In brackets: 5-95 % across replications." if bands else ""
    _put_caption(
        fig,
        _caption(loaded, ok, f"Cells: median.{band} One grey scale for all panels (colour bar)."),
    )
    return fig


def operator_names(scenario: Scenario) -> dict[str, str]:
    """Operator id (as in metric columns) -> the name figures show, e.g. China Unicom."""
    return {o.name: o.display for o in scenario.all_operators()} | {MARKET: "whole market"}


def _annotate(
    ax: Any, med: np.ndarray, lo: np.ndarray, hi: np.ndarray, mid: float, bands: bool, size: float
) -> None:
    """The median of each cell in large type, its 5-95 % range below in smaller type."""
    for i in range(med.shape[0]):
        for j in range(med.shape[1]):
            if not np.isfinite(med[i, j]):
                continue
            color = "white" if med[i, j] > mid else "black"
            offset = 0.13 if bands else 0.0
            ax.text(
                j,
                i + offset,
                _fmt(med[i, j]),
                ha="center",
                va="center",
                fontsize=size,
                fontweight="bold",
                color=color,
            )
            if bands:
                ax.text(
                    j,
                    i - 0.2,
                    f"[{_fmt(lo[i, j])}, {_fmt(hi[i, j])}]",
                    ha="center",
                    va="center",
                    fontsize=size * 0.75,
                    color=color,
                )


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    v = float(value)
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-2):
        return f"{v:.2g}"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def save_sensitivity_figures(folder: Path, table: pd.DataFrame, conf: float) -> list[Path]:
    """A bar chart per metric family: indices per parameter with confidence intervals.

    Only metrics whose indices are reliable (the table's ``reliable`` column, see
    :func:`sim.sweep.sensitivity.verdicts`) get a panel: bars of invalid indices would
    read as shares of variance. A family with no reliable metric gets no chart, and a
    chart left from an earlier analysis is removed.
    """
    import yaml

    spec = yaml.safe_load((folder / "sweep.yaml").read_text(encoding="utf-8"))
    scenario = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    runs = pd.read_parquet(folder / "runs.parquet", columns=["point"])
    validated = Scenario.model_validate(scenario)
    names_of = operator_names(validated)
    kind = spec["design"]["kind"]
    keys = ("S1", "ST") if kind == "saltelli" else ("mu_star",)
    params = list(dict.fromkeys(table["parameter"]))
    paths = []
    reliable = table["reliable"] if "reliable" in table else pd.Series(True, index=table.index)
    good = set(table.loc[reliable.astype(bool), "metric"])
    for fam, every in _families(list(dict.fromkeys(table["metric"]))).items():
        path = folder / f"sensitivity_{_slug(fam)}.png"
        names = [m for m in every if m in good]
        if not names:
            path.unlink(missing_ok=True)
            continue
        left_out = [names_of.get(family(m)[1], m) for m in every if m not in good]
        n = len(names)
        cols = min(n, 4)
        rows = int(np.ceil(n / cols))
        height = 0.42 * len(params) * len(keys) + 1.2
        fig, axes = new_figure(
            rows,
            cols,
            figsize=(2.6 + 3.0 * cols, height * rows + 1.3),
            squeeze=False,
            sharey=True,
            sharex=True,  # indices (and Morris effects of one metric family) compare across panels
        )
        info = describe(names[0])
        sub_all = table[table["metric"].isin(names)]
        if kind == "saltelli":
            scale, xlabel = 1.0, "Sobol index (share of variance)"
        else:
            # Effects are in the metric's own units: percentages for shares and churn,
            # thousands/millions/billions for counts and money.
            values = sub_all.loc[sub_all["index"] == "mu_star", "value"].to_numpy(float)
            scale, unit = _scale(values * info["scale"], info["unit"], info["scale"])
            unit = unit.replace("%", "percentage points") if unit.startswith("%") else unit
            xlabel = f"mu* ({unit})" if unit else "mu*"
        for ax, name in zip(axes.flat, names, strict=False):
            sub = table[table["metric"] == name]
            y = np.arange(len(params))
            width = 0.8 / len(keys)
            for k, key in enumerate(keys):
                rows_k = sub[sub["index"] == key].set_index("parameter").reindex(params)
                ax.barh(
                    y + (k - (len(keys) - 1) / 2) * width,
                    rows_k["value"] * scale,
                    height=width,
                    xerr=rows_k["conf"] * scale,
                    color="white" if k else "0.55",
                    edgecolor="black",
                    hatch=HATCHES[k] if k else None,
                    capsize=3,
                    label="mu*" if key == "mu_star" else key,
                )
            ax.set_yticks(y, [_axis_label(p) for p in params], fontsize=8)
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_title(names_of.get(family(name)[1], family(name)[1]), fontsize=10)
            ax.set_xlabel(xlabel, fontsize=8)
            ax.grid(True, axis="x", color="0.9")
        axes[0, 0].invert_yaxis()
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=8)
        title = "Sobol indices" if kind == "saltelli" else "Morris elementary effects"
        fig.suptitle(f"{title} of {info['label']}", fontsize=11)
        caption = (
            f"Sweep '{spec['name']}' over scenario '{scenario['name']}': {kind} design, "
            f"{runs['point'].nunique()} points x {spec['replications']} replication(s) (responses "
            f"averaged over replications), {scenario['population']['size']:,} agents, "
            f"{scenario['simulation']['months']} months, seed {spec['seed']}. "
            f"Error bars: {100 * conf:.0f} % bootstrap confidence intervals."
        )
        if kind == "morris":
            caption += (
                " mu*: mean absolute change of the metric when one parameter moves across its"
                " full range (elementary effects)."
            )
        if left_out:
            caption += (
                f" Not shown, intervals too wide to read (sensitivity.json): {', '.join(left_out)}."
            )
        _put_caption(fig, caption)
        paths.append(save_figure(fig, path, currency_code(validated)))
    return paths


def _put_caption(fig: Figure, text: str) -> None:
    """Caption along the bottom, wrapped to the figure's width; lays out the rest above."""
    import textwrap

    lines = textwrap.wrap(text, width=int(fig.get_figwidth() * 17))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, color="0.3", va="bottom")
    bottom = (0.12 + 0.11 * len(lines)) / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, 1 - 0.45 / fig.get_figheight()))
