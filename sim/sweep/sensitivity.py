"""Sensitivity indices of a finished saltelli or morris sweep (SALib).

The response of a design point is its metric averaged over the point's replications.
Because replication r of every point uses the same seed (common random numbers), the
replication noise largely cancels between points, and a parameter with no effect on a
metric gets an index of (nearly) zero rather than a share of the noise.

- saltelli: first-order ``S1`` and total ``ST`` Sobol indices (fractions of the output
  variance) with bootstrap confidence intervals; ``S2`` with second-order designs.
- morris: ``mu_star`` (mean absolute elementary effect, in the metric's units per full
  parameter range), ``mu`` and ``sigma``, with a confidence interval on ``mu_star``.
"""

from __future__ import annotations

import warnings
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


def load_sweep_folder(folder: Path) -> tuple[Sweep, pd.DataFrame, pd.DataFrame]:
    """The resolved sweep, its design and its runs from a finished sweep folder."""
    needed = [folder / n for n in ("sweep.yaml", "design.parquet", "runs.parquet")]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise UserError(
            f"{folder}: not a finished sweep folder (missing {', '.join(missing)}); "
            "expected the --out folder of telsim sweep"
        )
    spec = Sweep.model_validate(yaml.safe_load(needed[0].read_text(encoding="utf-8")))
    return spec, pd.read_parquet(needed[1]), pd.read_parquet(needed[2])


def analyse(
    folder: Path,
    metrics: list[str] | None = None,
    *,
    resamples: int = 100,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Indices of every (or the chosen) metric: a tidy table.

    Columns: metric, parameter, index (S1, ST, mu_star, ...), value, conf (the half-width
    of the confidence interval where SALib gives one, else NaN).

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
    return pd.DataFrame(rows)


def write_sensitivity(
    folder: Path,
    metrics: list[str] | None = None,
    *,
    resamples: int = 100,
    conf: float = 0.95,
    figures: bool = True,
) -> pd.DataFrame:
    """Compute indices and write sensitivity.parquet, sensitivity.json and bar charts."""
    table = analyse(folder, metrics, resamples=resamples, conf=conf)
    atomic_write(folder / "sensitivity.parquet", lambda p: table.to_parquet(p, index=False))
    nested: dict[str, Any] = {}
    for row in table.itertuples(index=False):
        entry = nested.setdefault(row.metric, {}).setdefault(row.parameter, {})
        entry[row.index] = row.value
        if not np.isnan(row.conf):
            entry[f"{row.index}_conf"] = row.conf
    write_json(folder / "sensitivity.json", {"confidence": conf, "indices": nested})
    if figures:
        from sim.sweep.plots import save_sensitivity_figures

        save_sensitivity_figures(folder, table, conf)
    return table
