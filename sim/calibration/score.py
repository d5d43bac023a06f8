"""Scoring a scenario against a targets file: the fit table, rms z per target, figures.

``telsim score SCENARIO TARGETS`` and the end of ``telsim calibrate`` share this code:
run a scenario with replications, field the targets file's surveys inside the run,
compare every moment with its observation (:func:`sim.calibration.loss.fit_table`), and
summarise the z-scores per target and per split. A moment held out of a fit (the
targets file's ``split``) is scored in the ``test`` split, so a calibration fitted on the
data up to a date is scored on the rest by the same numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.evaluate import make_task, simulate
from sim.calibration.loss import fit_table
from sim.calibration.targets import Calibration
from sim.io import atomic_write

# Significant digits of fit.csv's values; z-scores and contributions get 3 decimals.
DIGITS = 6
VALUE_COLUMNS = ("observed", "se", "simulated", "sim_p5", "sim_p50", "sim_p95")


@dataclass
class CheckRun:
    """A scenario run whose moments are scored (the calibration's check run)."""

    values: np.ndarray
    operators: pd.DataFrame
    segments: pd.DataFrame
    responses: pd.DataFrame
    replications: int


def run_scored(
    cal: Calibration,
    values: dict[str, float],
    replications: int,
    *,
    seed: int | None = None,
    progress: Any = None,
) -> CheckRun:
    """Run the calibration's scenario at ``values`` (in this process) for scoring.

    With no ``values`` the scenario runs as it is (``telsim score``).
    """
    task = make_task(cal, -1, values, replications)
    if not values:
        task = dataclasses.replace(task, parameters=())
    if seed is not None:
        task = dataclasses.replace(task, seed=seed)
    moments, result, responses = simulate(task, progress=progress)
    return CheckRun(moments, result.operators, result.segments, responses, replications)


def by_target(fit: pd.DataFrame) -> pd.DataFrame:
    """Per target and split: moments, rms z and largest |z| (NaN z left out)."""
    frame = fit.assign(z2=fit["z"] ** 2, abs_z=fit["z"].abs())
    out = (
        frame.groupby(["target", "split"], sort=False)
        .agg(moments=("z", "size"), rms_z=("z2", "mean"), max_abs_z=("abs_z", "max"))
        .reset_index()
    )
    out["rms_z"] = np.sqrt(out["rms_z"])
    return out


def _rms(z: np.ndarray) -> float | None:
    z = z[np.isfinite(z)]
    return round(float(np.sqrt(np.mean(z * z))), 4) if z.size else None


def fit_summary(fit: pd.DataFrame) -> dict[str, Any]:
    """The fit in numbers for summary.json: rms and max |z| overall, per split, per target."""
    out: dict[str, Any] = {}
    for split in ("train", "test"):
        z = fit.loc[fit["split"] == split, "z"].to_numpy(dtype=float)
        finite = z[np.isfinite(z)]
        out[split] = {
            "moments": int(z.size),
            "rms_z": _rms(z),
            "max_abs_z": round(float(np.max(np.abs(finite))), 4) if finite.size else None,
        }
    out["rms_z"] = out["train"]["rms_z"]  # what was fitted (every moment without a split)
    out["max_abs_z"] = out["train"]["max_abs_z"]
    table = by_target(fit)
    out["by_target"] = {
        target: {
            row.split: {
                "moments": int(row.moments),
                "rms_z": round(float(row.rms_z), 4),
                "max_abs_z": round(float(row.max_abs_z), 4),
            }
            for row in group.itertuples()
        }
        for target, group in table.groupby("target", sort=False)
    }
    return out


def significant(x: pd.Series, digits: int = DIGITS) -> pd.Series:
    """Values rounded to ``digits`` significant digits (NaN stays NaN)."""
    v = x.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(np.isfinite(v) & (v != 0), np.floor(np.log10(np.abs(v))), 0)
    scale = 10.0 ** (digits - 1 - mag)
    return pd.Series(np.round(v * scale) / scale, index=x.index)


def rounded(fit: pd.DataFrame) -> pd.DataFrame:
    """The fit table as written to fit.csv: values to 6 significant digits, z to 3 decimals."""
    out = fit.copy()
    for column in VALUE_COLUMNS:
        out[column] = significant(out[column])
    for column in ("z", "contribution"):
        out[column] = out[column].round(3)
    out["weight"] = significant(out["weight"])
    out["month"] = out["month"].astype("Int64")
    return out


def write_fit(out: Path, fit: pd.DataFrame) -> Path:
    """fit.csv, rounded (see :func:`rounded`)."""
    table = rounded(fit)
    return atomic_write(out / "fit.csv", lambda p: table.to_csv(p, index=False))


def score(cal: Calibration, check: CheckRun) -> pd.DataFrame:
    """The fit table of a run against the calibration's moments."""
    return fit_table(cal.moments, check.values)


def score_scenario(
    scenario: str | Path,
    targets: str | Path,
    out: str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: list[str] | None = None,
    split: dict[str, Any] | None = None,
    figures: bool = True,
    overwrite: bool = False,
    progress: Any = None,
) -> dict[str, Any]:
    """Score a scenario file against a targets file into ``out``; returns score.json's content.

    The scenario runs as it is (its horizon, population; its replications and seed unless
    given), with the targets file's surveys fielded inside the run; the targets file's
    ``set`` and parameters are not applied.
    """
    import hashlib
    import json
    import time

    from sim.calibration.targets import load_calibration
    from sim.io import write_json
    from sim.outdir import open_results_dir

    cal = load_calibration(targets, overrides, scenario=scenario, split=split)
    sc = cal.scenario
    reps = replications or sc.simulation.replications
    run_seed = sc.simulation.seed if seed is None else seed
    digest = hashlib.sha256(
        json.dumps([cal.digest(), reps, run_seed], sort_keys=True).encode()
    ).hexdigest()
    with open_results_dir(
        out, "score", name=f"{sc.name}~{cal.spec.name}", digest=digest, overwrite=overwrite
    ) as folder:
        started = time.perf_counter()
        check = run_scored(cal, {}, reps, seed=run_seed, progress=progress)
        fit = score(cal, check)
        summary = {
            "scenario": sc.name,
            "scenario_file": str(Path(scenario)),
            "targets_file": str(Path(targets)),
            "calibration": cal.spec.name,
            "agents": sc.population.size,
            "months": sc.simulation.months,
            "replications": reps,
            "seed": run_seed,
            "moments": len(cal.moments),
            "split": None if cal.spec.split is None else cal.spec.split.model_dump(),
            "fit": fit_summary(fit),
            "wall_seconds": round(time.perf_counter() - started, 2),
        }
        write_fit(folder, fit)
        write_json(folder / "score.json", summary)
        if figures:
            from sim.calibration import plots

            text = (
                f"Scenario '{sc.name}' ({sc.population.size:,} agents, {sc.simulation.months} "
                f"months, {reps} replications, seed {run_seed}) scored against "
                f"'{cal.spec.name}' ({Path(targets).name})."
            )
            plots.fit_figures(cal, folder, fit, check, text)
    return summary
