"""Sensitivity indices of a finished saltelli or morris sweep (SALib).

The response of a design point is its metric averaged over the point's replications.
Because replication r of every point uses the same seed (common random numbers), the
replication noise largely cancels between points, and a parameter with no effect on a
metric gets an index of (nearly) zero rather than a share of the noise.

- saltelli: first-order ``S1`` and total ``ST`` Sobol indices (fractions of the output
  variance) with bootstrap confidence intervals; ``S2`` with second-order designs.
- morris: ``mu_star`` (mean absolute elementary effect, in the metric's units per full
  parameter range), ``mu`` and ``sigma``, with a confidence interval on ``mu_star``.

Too small a sample gives indices that are noise: Sobol estimates above 1 or below 0,
"shares of variance" that add up to more than the whole. :func:`verdicts` judges each
metric from its bootstrap intervals (see :data:`SOBOL_MAX_HALF_WIDTH` and
:data:`MORRIS_MAX_RELATIVE_HALF_WIDTH`), so that the command warns and draws no bar
chart for indices that cannot be read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import UserError
from sim.io import atomic_write, write_json
from sim.sweep.designs import design_seed, salib_problem
from sim.sweep.spec import Sweep

KINDS = ("saltelli", "morris")

# A Sobol index is a share of variance in [0, 1]. With intervals wider than ±0.1 a
# reader cannot tell a parameter that explains a fifth of the variance from one that
# explains nothing, or half of it from all of it: the index says nothing usable.
SOBOL_MAX_HALF_WIDTH = 0.1
# Morris mu* is in the metric's units, so its interval is judged against the largest
# mu* of the metric: wider than half of it, the ranking of the parameters is not known.
MORRIS_MAX_RELATIVE_HALF_WIDTH = 0.5
# The intervals are bootstraps over the N base samples (Sobol) or r trajectories
# (Morris), so with n of them the spread they measure has roughly n - 1 degrees of
# freedom. At n = 10 an interval's own half-width is right to within x0.55 to x1.45
# (95 %, chi-square with 9 degrees of freedom); at n = 3 it can come out 6 times too
# narrow, at n = 2 30 times, and a Morris screen of r = 2 then passes the width test
# (docs/sweeps.md). Fewer samples than this: no index is read.
MIN_SAMPLES = 10
CRITERION = (
    f"at least {MIN_SAMPLES} base samples (Sobol) or trajectories (Morris); Sobol: every S1 "
    f"and ST interval within ±{SOBOL_MAX_HALF_WIDTH:g} and no index outside [0, 1] by more "
    f"than its interval; Morris: every mu* interval within "
    f"±{MORRIS_MAX_RELATIVE_HALF_WIDTH:g} x the metric's largest mu*"
)


@dataclass(frozen=True)
class Verdict:
    """Whether one metric's indices can be read, and if not, the worst interval."""

    metric: str
    reliable: bool
    reason: str  # "" when reliable


def sobol_indices(
    names: list[str],
    y: np.ndarray,
    *,
    second_order: bool = False,
    resamples: int = 100,
    conf: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Sobol indices of responses ``y`` to a Saltelli design over ``names`` (unit cube)."""
    from SALib.analyze import sobol

    if np.var(y) == 0:  # a constant response: nothing to apportion
        zero = np.zeros(len(names))
        out = {"S1": zero, "S1_conf": zero, "ST": zero, "ST_conf": zero}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = sobol.analyze(
                salib_problem(names),
                np.asarray(y, dtype=float),
                calc_second_order=second_order,
                num_resamples=resamples,
                conf_level=conf,
                seed=seed,
            )
    return {
        name: {key: float(out[key][k]) for key in ("S1", "S1_conf", "ST", "ST_conf")}
        for k, name in enumerate(names)
    }


def morris_indices(
    names: list[str],
    unit: np.ndarray,
    y: np.ndarray,
    *,
    levels: int,
    resamples: int = 100,
    conf: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Morris elementary-effect statistics of ``y`` over a Morris design ``unit``."""
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = morris.analyze(
            salib_problem(names),
            np.asarray(unit, dtype=float),
            np.asarray(y, dtype=float),
            num_resamples=resamples,
            conf_level=conf,
            num_levels=levels,
            seed=seed,
        )
    return {
        name: {
            key: float(np.nan_to_num(out[key][k]))
            for key in ("mu", "mu_star", "sigma", "mu_star_conf")
        }
        for k, name in enumerate(names)
    }


def verdicts(table: pd.DataFrame, samples: int) -> list[Verdict]:
    """Judge each metric of an :func:`analyse` table from its confidence intervals.

    ``samples`` is the design's N (Sobol base samples) or r (Morris trajectories): below
    :data:`MIN_SAMPLES` the bootstrap intervals themselves cannot be trusted. Sobol (S1,
    ST): unreliable when an index's interval half-width exceeds
    :data:`SOBOL_MAX_HALF_WIDTH`, or an index lies outside [0, 1] by more than its
    half-width (the estimator itself has broken down). Morris (mu*): unreliable when a
    half-width exceeds :data:`MORRIS_MAX_RELATIVE_HALF_WIDTH` times the metric's largest mu*.
    """
    out = []
    for metric, sub in table.groupby("metric", sort=False):
        with_conf = sub[sub["conf"].notna()]
        if "mu_star" in set(sub["index"]):
            top = float(with_conf["value"].max()) if len(with_conf) else 0.0
            limit = MORRIS_MAX_RELATIVE_HALF_WIDTH * top
            bad = with_conf[with_conf["conf"] > limit]
            why = f"interval wider than ±{MORRIS_MAX_RELATIVE_HALF_WIDTH:g} x the largest mu*"
        else:
            outside = (with_conf["value"] < -with_conf["conf"]) | (
                with_conf["value"] > 1 + with_conf["conf"]
            )
            wide = with_conf["conf"] > SOBOL_MAX_HALF_WIDTH
            bad = with_conf[outside | wide]
            why = (
                "outside [0, 1] beyond its interval"
                if outside.any() and not wide.any()
                else f"interval wider than ±{SOBOL_MAX_HALF_WIDTH:g}"
            )
        if not bad.empty:
            worst = bad.loc[bad["conf"].idxmax()]
            name = "mu*" if worst["index"] == "mu_star" else worst["index"]
            reason = (
                f"{name} of {worst['parameter']} = {worst['value']:.3g} ± {worst['conf']:.2g}, "
                f"{why}"
            )
        elif samples < MIN_SAMPLES:
            reason = (
                f"only {samples} samples, and a bootstrap over fewer than {MIN_SAMPLES} cannot "
                "estimate its own interval"
            )
        else:
            reason = ""
        out.append(Verdict(str(metric), not reason, reason))
    return out


def unreliable_warning(table: pd.DataFrame, spec: Sweep) -> str | None:
    """One warning naming the unreliable metrics and what to do; None if all are fine."""
    samples = int(spec.design.samples or 0)
    judged = verdicts(table, samples)
    bad = [v for v in judged if not v.reliable]
    if not bad:
        return None
    size = (
        f"N = {samples} base samples"
        if spec.design.kind == "saltelli"
        else f"r = {samples} trajectories"
    )
    names = ", ".join(v.metric for v in bad[:4]) + (
        f" and {len(bad) - 4} more" if len(bad) > 4 else ""
    )
    return (
        f"the indices of {len(bad)} of {len(judged)} metrics are too uncertain to read "
        f"({names}; e.g. {bad[0].metric}: {bad[0].reason}), so they get no bar chart. "
        f"With {size}, raise --samples: intervals narrow about as 1/sqrt(samples)."
    )


def load_sweep_folder(folder: Path) -> tuple[Sweep, pd.DataFrame, pd.DataFrame]:
    """The resolved sweep, its design and its runs from a finished sweep folder."""
    needed = [folder / n for n in ("sweep.yaml", "design.parquet", "runs.parquet")]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise UserError(
            f"{folder}: not a finished sweep folder (missing {', '.join(missing)}); "
            "expected the --out folder of telsim sweep"
        )
    return sweep_spec(folder), pd.read_parquet(needed[1]), pd.read_parquet(needed[2])


def sweep_spec(folder: Path) -> Sweep:
    """The resolved sweep a sweep folder holds (its sweep.yaml)."""
    return Sweep.model_validate(yaml.safe_load((folder / "sweep.yaml").read_text(encoding="utf-8")))


def analyse(
    folder: Path,
    metrics: list[str] | None = None,
    *,
    resamples: int = 100,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Indices of every (or the chosen) metric: a tidy table.

    Columns: metric, parameter, index (S1, ST, mu_star, ...), value, conf (the half-width
    of the confidence interval where SALib gives one, else NaN), reliable (the metric's
    :func:`verdicts`: False when its intervals are too wide to read the indices).

    Raises:
        UserError: not a saltelli/morris sweep, an unknown metric, or design points
            without a successful run (the sweep is incomplete or runs failed).
    """
    spec, design, runs = load_sweep_folder(folder)
    kind = spec.design.kind
    if kind not in KINDS:
        raise UserError(
            f"{folder}: design {kind!r} has no sensitivity indices; expected a sweep with "
            "design kind saltelli (Sobol indices) or morris (elementary effects)"
        )
    names = list(spec.parameters)
    all_metrics = [
        c
        for c in runs.columns
        if c not in (*names, "index", "point", "replication", "seed", "error")
    ]
    chosen = metrics or all_metrics
    unknown = [m for m in chosen if m not in all_metrics]
    if unknown:
        raise UserError(
            f"--metric {unknown[0]}: not a metric of {folder}; expected one of {', '.join(all_metrics)}"
        )
    ok = runs[runs["error"].isna()]
    means = ok.groupby("point")[chosen].mean().reindex(design["point"])
    lacking = int(means[chosen[0]].isna().sum())
    if lacking:
        raise UserError(
            f"{folder}: {lacking} of {len(design)} design points have no successful run; "
            "expected every point (finish the sweep with --resume, or fix the failing runs)"
        )
    unit = design[[f"u:{n}" for n in names]].to_numpy(dtype=float)
    seed = design_seed(spec)
    rows = []
    for metric in chosen:
        y = means[metric].to_numpy(dtype=float)
        if kind == "saltelli":
            result = sobol_indices(
                names,
                y,
                second_order=spec.design.second_order,
                resamples=resamples,
                conf=conf,
                seed=seed,
            )
            pairs = (("S1", "S1_conf"), ("ST", "ST_conf"))
        else:
            result = morris_indices(
                names,
                unit,
                y,
                levels=spec.design.level_count,
                resamples=resamples,
                conf=conf,
                seed=seed,
            )
            pairs = (("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None))
        for param, values in result.items():
            for key, conf_key in pairs:
                rows.append(
                    {
                        "metric": metric,
                        "parameter": param,
                        "index": key,
                        "value": values[key],
                        "conf": values[conf_key] if conf_key else np.nan,
                    }
                )
    table = pd.DataFrame(rows)
    judged = verdicts(table, int(spec.design.samples or 0))
    table["reliable"] = table["metric"].map({v.metric: v.reliable for v in judged})
    return table


def write_sensitivity(
    folder: Path,
    metrics: list[str] | None = None,
    *,
    resamples: int = 100,
    conf: float = 0.95,
    figures: bool = True,
) -> pd.DataFrame:
    """Compute indices and write sensitivity.parquet, sensitivity.json and bar charts.

    The JSON file says why a metric is not reliable; bar charts show reliable metrics
    only, and a family with none gets no chart (an old one is removed).
    """
    table = analyse(folder, metrics, resamples=resamples, conf=conf)
    judged = verdicts(table, int(sweep_spec(folder).design.samples or 0))
    atomic_write(folder / "sensitivity.parquet", lambda p: table.to_parquet(p, index=False))
    nested: dict[str, Any] = {}
    for row in table.itertuples(index=False):
        entry = nested.setdefault(row.metric, {}).setdefault(row.parameter, {})
        entry[row.index] = row.value
        if not np.isnan(row.conf):
            entry[f"{row.index}_conf"] = row.conf
    write_json(
        folder / "sensitivity.json",
        {
            "confidence": conf,
            "resamples": resamples,
            "criterion": CRITERION,
            "unreliable": {v.metric: v.reason for v in judged if not v.reliable},
            "indices": nested,
        },
    )
    if figures:
        from sim.sweep.plots import save_sensitivity_figures

        save_sensitivity_figures(folder, table, conf)
    return table
