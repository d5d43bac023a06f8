"""Figures of a calibration: observed vs simulated per target, loss, parameters, pairs.

Readable in black-and-white print: series differ by line style and marker, observed
values are filled markers with +-2 se error bars, simulated values hollow markers or
lines with a grey 5-95 % band across the check run's replications. Every figure carries
a caption naming the calibration, the base scenario, the method and the replications.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from sim.calibration.statistics import moment_values
from sim.calibration.targets import (
    MARKET_KINDS,
    SHARE_KINDS,
    Calibration,
    Parameter,
    scenario_values,
)
from sim.months import first_day
from sim.plots import STYLES, new_figure, save_figure

UNITS = {
    "subscribers": "subscribers",
    "net_adds": "net additions per month",
    "handsets": "subscribers with the handset",
    "share": "market share (%)",
    "handset_share": "share of subscribers (%)",
    "churn_rate": "churn (% per month)",
    "satisfaction": "mean satisfaction (1-10 scale)",
    "intention": "would switch within 12 months (% yes)",
    "on_contract": "on a contract (%)",
    "tenure": "mean tenure (months)",
    "adopt": "would adopt the new generation (% yes)",
    "churned": "left within the follow-up (%)",
    "reason": "share of leavers giving the reason (%)",
}


def caption(cal: Calibration, check_reps: int, evaluations: int) -> str:
    """One line: calibration, scenario, method, evaluations, replications, seed."""
    sc, st = cal.scenario, cal.settings
    return (
        f"Calibration '{cal.spec.name}' of scenario '{sc.name}' ({sc.population.size:,} agents, "
        f"{sc.simulation.months} months), {st.method}, {evaluations} evaluations x "
        f"{st.evaluation_replications} replication(s), seed {st.seed}; check run {check_reps} replications."
    )


def _caption(fig: Figure, text: str, extra: str = "") -> None:
    fig.text(
        0.01, 0.01, text + (" " + extra if extra else ""), fontsize=6.5, color="0.3", wrap=True
    )


def safe_name(text: str) -> str:
    """A file-name-safe form of a target name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def save_figures(
    cal: Calibration,
    out: Path,
    fit: pd.DataFrame,
    check: Any,
    best: dict[str, float],
    trials: pd.DataFrame | None,
    posterior: pd.DataFrame | None,
    generations: pd.DataFrame | None,
    summary: dict[str, Any],
) -> list[Path]:
    """Every figure of a calibration into ``out`` (fit_<target>.png, loss, parameters, pairs)."""
    from sim.calibration.outputs import abc_search, plausible_trials

    text = caption(cal, check.replications, int(summary["evaluations"]))
    paths = fit_figures(cal, out, fit, check, text)
    if trials is not None:
        paths.append(loss_history(trials, out / "loss_history.png", text))
        paths.append(trial_scatter(cal, trials, summary, out / "parameters.png", text))
        near = plausible_trials(trials, len(best), len(cal.train))
        pts = near.rename(columns={f"param.{p.name}": p.name for p in cal.spec.parameters})
        paths.append(
            pairs(cal, pts, None, best, out / "correlations.png", text, "plausible trials")
        )
    else:
        posterior, generations = abc_search(posterior, generations)
        paths.append(abc_history(generations, out / "loss_history.png", text))
        paths.append(posterior_figure(cal, posterior, best, out / "parameters.png", text))
        paths.append(
            pairs(
                cal,
                posterior,
                posterior["weight"].to_numpy(),
                best,
                out / "correlations.png",
                text,
                "posterior particles (size ~ weight)",
            )
        )
    return paths


# --------------------------------------------------------------------------- fit
def fit_figures(
    cal: Calibration, out: Path, fit: pd.DataFrame, check: Any, text: str
) -> list[Path]:
    """``fit_<target>.png`` for every target (held-out observations hollow)."""
    return [
        fit_figure(cal, target, fit, check, out / f"fit_{safe_name(target)}.png", text)
        for target in dict.fromkeys(fit["target"])
    ]


def _scale(kind: str, values: np.ndarray) -> tuple[float, str]:
    """Display factor and unit label of a statistic."""
    unit = UNITS.get(kind, kind)
    if kind in SHARE_KINDS:
        return 100.0, unit
    if kind in ("subscribers", "handsets", "net_adds"):
        top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
        if top >= 1e6:
            return 1e-6, unit + " (millions)"
        if top >= 1e4:
            return 1e-3, unit + " (thousands)"
    return 1.0, unit


def fit_figure(
    cal: Calibration, target: str, fit: pd.DataFrame, check: Any, path: Path, text: str
) -> Path:
    """Observed vs simulated for one target: a time series, or one point per moment."""
    moments = [m for m in cal.moments if m.target == target]
    rows = fit[fit["target"] == target].reset_index(drop=True)
    months = {m.month for m in moments}
    if moments[0].kind in MARKET_KINDS and len(months) >= 3:
        return _series_figure(cal, target, moments, rows, check, path, text)
    return _points_figure(cal, target, moments, rows, path, text)


def _month_dates(months: Any, start: str) -> pd.DatetimeIndex:
    """Plot date of each model month: the first day of its month, as the run tables have it."""
    return pd.to_datetime([first_day(int(t), start) for t in months])


def _observed(ax, x, obs, err, held, fmt, color, label) -> None:
    """Observed values with +-2 se bars: filled markers if fitted, hollow if held out."""
    for mask, face, what in ((~held, color, "observed"), (held, "white", "held out")):
        if mask.any():
            ax.errorbar(
                np.asarray(x)[mask],
                obs[mask],
                yerr=err[mask],
                fmt=fmt,
                color=color,
                markerfacecolor=face,
                markersize=5,
                capsize=2,
                linestyle="none",
                label=f"{label}: {what}" if label else what,
            )


def _series_figure(cal, target, moments, rows, check, path, text) -> Path:
    kind = moments[0].kind
    start = cal.scenario.simulation.start
    T = cal.scenario.simulation.months
    first = 1 if kind in ("net_adds", "churn_rate") else 0
    series: dict[tuple, list[int]] = {}
    for k, m in enumerate(moments):
        series.setdefault((m.operator, m.segment), []).append(k)
    # the scenario's order of operators and segments, so styles agree across figures
    ops = [o.name for o in cal.scenario.all_operators()]
    segs = [s.name for s in cal.scenario.population.segments]
    series = dict(
        sorted(
            series.items(),
            key=lambda kv: (
                ops.index(kv[0][0]) if kv[0][0] in ops else -1,
                segs.index(kv[0][1]) if kv[0][1] in segs else -1,
            ),
        )
    )
    factor, unit = _scale(kind, rows["observed"].to_numpy(dtype=float))
    fig, ax = new_figure(figsize=(8.0, 4.6))
    all_months = np.arange(first, T + 1)
    dates = _month_dates(all_months, start)
    for s, ((op, seg), idx) in enumerate(series.items()):
        proto = moments[idx[0]]
        path_moments = [dataclasses.replace(proto, month=int(t)) for t in all_months]
        vals = moment_values(
            path_moments, check.operators, check.segments, check.responses, check.replications
        )
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanquantile(vals, [0.05, 0.5, 0.95], axis=1) * factor
        style, marker = STYLES[s % len(STYLES)]
        name = ", ".join(x for x in (seg, op) if x) or "all operators"
        color = "black" if s == 0 else f"C{s}"
        ax.plot(
            dates, q[1], linestyle=style, color=color, linewidth=1.4, label=f"{name}: simulated"
        )
        if check.replications > 1:
            ax.fill_between(dates, q[0], q[2], color="0.6", alpha=0.3, linewidth=0)
        obs_dates = _month_dates([moments[k].month for k in idx], start)
        obs = rows.loc[idx, "observed"].to_numpy(dtype=float) * factor
        err = 2.0 * rows.loc[idx, "se"].to_numpy(dtype=float) * factor
        held = np.array([moments[k].holdout for k in idx], dtype=bool)
        _observed(ax, obs_dates, obs, err, held, marker, color, name)
    split = cal.spec.split
    if split is not None and split.holdout_from is not None and any(m.holdout for m in moments):
        edge = pd.Timestamp(f"{split.holdout_from}-01") - pd.Timedelta(days=15)
        ax.axvline(edge, color="0.3", linestyle=":", linewidth=1.0)
        ax.annotate(" held out ->", (edge, 0.97), xycoords=("data", "axes fraction"), fontsize=7)
    ax.set_ylabel(unit)
    ax.set_xlabel("calendar month")
    ax.set_title(f"{target}: observed (markers, +-2 se) vs simulated (lines, 5-95 % band)")
    ax.legend(fontsize=7, ncol=2, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _caption(fig, text)
    return save_figure(fig, path)


def _points_figure(cal, target, moments, rows, path, text) -> Path:
    kind = moments[0].kind
    factor, unit = _scale(kind, rows["observed"].to_numpy(dtype=float))
    n = len(rows)
    x = np.arange(n)
    fig, ax = new_figure(figsize=(max(5.0, min(12.0, 1.0 + 0.8 * n)), 4.4))
    obs = rows["observed"].to_numpy(dtype=float) * factor
    err = 2.0 * rows["se"].to_numpy(dtype=float) * factor
    sim = rows["simulated"].to_numpy(dtype=float) * factor
    lo = rows["sim_p5"].to_numpy(dtype=float) * factor
    hi = rows["sim_p95"].to_numpy(dtype=float) * factor
    held = np.array([m.holdout for m in moments], dtype=bool)
    _observed(ax, x - 0.12, obs, err, held, "o", "black", "")
    ax.vlines(x + 0.12, lo, hi, color="0.45", linewidth=3, alpha=0.6, label="simulated 5-95 %")
    ax.plot(
        x + 0.12,
        sim,
        linestyle="none",
        marker="s",
        markerfacecolor="white",
        markeredgecolor="black",
        label="simulated mean",
    )
    ax.set_xticks(
        x,
        rows["moment"].tolist(),
        rotation=30 if n > 4 else 0,
        ha="right" if n > 4 else "center",
        fontsize=8,
    )
    ax.set_ylabel(unit)
    ax.set_title(f"{target}: observed (+-2 se) vs simulated")
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3, axis="y")
    ax.set_xlim(-0.6, n - 0.4)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _caption(fig, text)
    return save_figure(fig, path)


# --------------------------------------------------------------------------- history
def loss_history(trials: pd.DataFrame, path: Path, text: str) -> Path:
    """Loss of every trial and the best so far, on a log scale."""
    t = trials["trial"].to_numpy()
    loss = trials["loss"].to_numpy(dtype=float)
    ok = np.isfinite(loss)
    best = np.minimum.accumulate(np.where(ok, loss, np.inf))
    fig, ax = new_figure(figsize=(7.0, 4.0))
    ax.plot(t[ok], loss[ok], linestyle="none", marker="o", markersize=3, color="0.5", label="trial")
    ax.step(t, best, where="post", color="black", linewidth=1.5, label="best so far")
    if (~ok).any():
        ax.plot(
            t[~ok],
            np.full((~ok).sum(), np.nanmax(loss[ok]) if ok.any() else 1),
            "x",
            color="black",
            label="failed",
        )
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss = sum of w z^2 (log scale)")
    ax.set_title("Loss history")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    _caption(fig, text)
    return save_figure(fig, path)


def abc_history(generations: pd.DataFrame, path: Path, text: str) -> Path:
    """ABC-SMC: the distance threshold and the acceptance rate per generation."""
    fig, (a1, a2) = new_figure(1, 2, figsize=(8.5, 3.8))
    g = generations["generation"].to_numpy()
    a1.plot(g, generations["epsilon"], marker="o", color="black")
    a1.set_yscale("log")
    a1.set_xlabel("generation")
    a1.set_ylabel("epsilon = accepted sqrt(loss) (log scale)")
    a1.grid(alpha=0.3, which="both")
    a2.bar(g, 100 * generations["acceptance"], color="0.6", edgecolor="black", hatch="//")
    a2.set_xlabel("generation")
    a2.set_ylabel("acceptance rate (%)")
    a2.grid(alpha=0.3, axis="y")
    fig.suptitle("ABC-SMC: threshold and acceptance")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    _caption(fig, text)
    return save_figure(fig, path)


# --------------------------------------------------------------------------- parameters
def _grid(n: int) -> tuple[int, int]:
    cols = min(3, n)
    return (n + cols - 1) // cols, cols


def trial_scatter(
    cal: Calibration, trials: pd.DataFrame, summary: dict[str, Any], path: Path, text: str
) -> Path:
    """Loss against each parameter: all trials, the plausible set and the best."""
    from sim.calibration.outputs import plausible_trials

    params = cal.spec.parameters
    ok = trials[np.isfinite(trials["loss"].to_numpy(dtype=float))]
    near = plausible_trials(trials, len(params), len(cal.train))
    best = summary["best_parameters"]
    rows, cols = _grid(len(params))
    fig, axes = new_figure(rows, cols, figsize=(3.4 * cols, 2.9 * rows + 0.4), squeeze=False)
    for ax, p in zip(axes.flat, params, strict=False):
        col = f"param.{p.name}"
        ax.plot(ok[col], ok["loss"], "o", markersize=2.5, color="0.65", label="trial")
        ax.plot(
            near[col], near["loss"], "o", markersize=3.5, color="black", label="plausible (68 %)"
        )
        ax.axvline(best[p.name], color="black", linestyle="-", linewidth=1, label="best")
        if p.truth is not None:
            ax.axvline(p.truth, color="black", linestyle="--", linewidth=1, label="truth")
        ax.set_yscale("log")
        _parameter_axis(ax, p)
        ax.set_xlabel(p.name)
        ax.set_ylabel("loss (log)")
        ax.grid(alpha=0.3)
    return _finish_parameter_grid(
        fig, axes, len(params), "Trials: loss against each parameter", text, path
    )


def profile_figure(
    cal: Calibration, profile: pd.DataFrame, summary: dict[str, Any], path: Path
) -> Path:
    """Loss along each parameter with the others at their best, the interval shaded."""
    params = cal.spec.parameters
    best = summary["best_parameters"]
    text = caption(cal, int(summary["check_replications"]), int(summary["evaluations"]))
    rows, cols = _grid(len(params))
    fig, axes = new_figure(rows, cols, figsize=(3.4 * cols, 2.9 * rows + 0.4), squeeze=False)
    for ax, p in zip(axes.flat, params, strict=False):
        u = summary["uncertainty"][p.name]
        part = profile[profile["parameter"] == p.name].sort_values("value")
        ax.plot(part["value"], part["loss"], "o-", markersize=3, color="black", label="loss")
        ax.axvspan(u["low"], u["high"], color="0.8", label="68 % interval")
        ax.axvline(best[p.name], color="black", linewidth=1, label="best")
        if p.truth is not None:
            ax.axvline(p.truth, color="black", linestyle="--", linewidth=1, label="truth")
        finite = part["loss"][np.isfinite(part["loss"])]
        if len(finite) and finite.max() > 10 * finite.min() > 0:
            ax.set_yscale("log")  # a loss over decades; else a linear scale keeps its labels
        _parameter_axis(ax, p)
        ax.set_xlabel(f"{p.name}: {u['identification']}", fontsize=8)
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
    return _finish_parameter_grid(
        fig,
        axes,
        len(params),
        "Profile: loss along each parameter, the others at their best",
        text,
        path,
    )


def _parameter_axis(ax: Axes, p: Parameter) -> None:
    """The x axis of a one-parameter panel: its bounds, on a log scale for a log parameter."""
    if p.log:
        log_axis(ax.xaxis, p.low, p.high)
    ax.set_xlim(p.low, p.high)


def log_axis(axis: Axis, low: float, high: float) -> None:
    """A log scale whose labels do not overlap: decades, or a few plain values within one.

    Within a decade matplotlib labels the minor ticks in scientific notation, which
    run into each other on a small panel.
    """
    if axis is axis.axes.xaxis:
        axis.axes.set_xscale("log")
    else:
        axis.axes.set_yscale("log")
    axis.set_minor_formatter(NullFormatter())
    if high < 10 * low:
        axis.set_major_locator(MaxNLocator(4))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))


def _finish_parameter_grid(
    fig: Figure, axes: np.ndarray, used: int, title: str, text: str, path: Path
) -> Path:
    """Blank the unused panels of a one-panel-per-parameter grid, legend, caption, save."""
    for ax in list(axes.flat)[used:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6.5, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _caption(fig, text)
    return save_figure(fig, path)


def posterior_figure(
    cal: Calibration, posterior: pd.DataFrame, best: dict[str, float], path: Path, text: str
) -> Path:
    """Weighted posterior histogram of each parameter over its prior's range.

    Each panel also marks the value the calibration's scenario carries: where a
    scenario ships an earlier fit (the China file's CMA-ES optimum), the figure shows
    whether the posterior contains it.
    """
    params = [p.for_abc() for p in cal.spec.parameters]
    carried = scenario_values(cal.scenario, cal.spec.parameters)
    rows, cols = _grid(len(params))
    w = posterior["weight"].to_numpy(dtype=float)
    fig, axes = new_figure(rows, cols, figsize=(3.4 * cols, 2.9 * rows + 0.4), squeeze=False)
    for ax, p in zip(axes.flat, params, strict=False):
        x = posterior[p.name].to_numpy(dtype=float)
        ax.hist(
            x,
            bins=p.grid(21),
            weights=w,
            color="0.7",
            edgecolor="black",
            hatch="//",
            label="posterior",
        )
        ax.axvline(best[p.name], color="black", linewidth=1.2, label="best particle")
        if p.low <= carried[p.name] <= p.high:  # within the prior's range, the x-axis
            ax.axvline(
                carried[p.name],
                color="black",
                linestyle=":",
                linewidth=1.6,
                label="in the scenario",
            )
        if p.truth is not None:
            ax.axvline(p.truth, color="black", linestyle="--", linewidth=1.2, label="truth")
        _parameter_axis(ax, p)
        ax.set_xlabel(f"{p.name} (x-axis = prior range)")
        ax.set_ylabel("posterior weight")
        ax.grid(alpha=0.3)
    return _finish_parameter_grid(
        fig, axes, len(params), "ABC-SMC posterior (last generation)", text, path
    )


def pairs(
    cal: Calibration,
    points: pd.DataFrame,
    weights: np.ndarray | None,
    best: dict[str, float],
    path: Path,
    text: str,
    what: str,
) -> Path:
    """Pairwise scatter of the parameters with their (weighted) correlation.

    Weighted points are an ABC posterior: the axes span the prior's range.
    """
    params = [p if weights is None else p.for_abc() for p in cal.spec.parameters]
    n = len(params)
    size = 2.2 if n > 3 else 2.8
    fig, axes = new_figure(n, n, figsize=(size * n + 0.4, size * n + 0.6), squeeze=False)
    w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    msize = 4 + 40 * w / w.max() if weights is not None and len(w) else np.full(len(points), 6.0)
    for i, pi in enumerate(params):
        for j, pj in enumerate(params):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            xi = points[pi.name].to_numpy(dtype=float)
            if i == j:
                ax.hist(xi, bins=pi.grid(16), weights=w, color="0.7", edgecolor="black")
                _parameter_axis(ax, pi)
                ax.set_yticks([])
            else:
                xj = points[pj.name].to_numpy(dtype=float)
                ax.scatter(xj, xi, s=msize, facecolors="none", edgecolors="black", linewidths=0.6)
                ax.plot(best[pj.name], best[pi.name], marker="*", color="black", markersize=10)
                if pi.truth is not None and pj.truth is not None:
                    ax.plot(
                        pj.truth,
                        pi.truth,
                        marker="X",
                        color="white",
                        markeredgecolor="black",
                        markersize=8,
                    )
                if len(xi) >= 3 and np.std(xi) > 0 and np.std(xj) > 0:
                    c = np.cov(np.vstack([xj, xi]), aweights=w)
                    r = c[0, 1] / np.sqrt(c[0, 0] * c[1, 1])
                    ax.set_title(f"r = {r:+.2f}", fontsize=8)
                if pj.log:
                    log_axis(ax.xaxis, pj.low, pj.high)
                if pi.log:
                    log_axis(ax.yaxis, pi.low, pi.high)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            if i == n - 1:
                ax.set_xlabel(pj.name, fontsize=8)
            if j == 0 and i != j:
                ax.set_ylabel(pi.name, fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle(
        f"Pairwise: {what}; star = best"
        + ("; X = truth" if any(p.truth is not None for p in params) else "")
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _caption(fig, text)
    return save_figure(fig, path)
