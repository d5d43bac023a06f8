"""The loss profile of an optuna fit: how well the data pin each parameter down.

An optimiser (TPE, CMA-ES) crowds its trials near the best, so the range of the trials
near the best loss measures where the optimiser looked, not how flat the loss is. After
the search, each parameter is moved over ``settings.profile`` points spread over its
whole bounds (log-spaced for a log parameter) with the others at their best values, and
the loss is evaluated there (through the sweep executors, the same seed: common random
numbers). The parameter's interval is where that loss stays within
``chi2_0.68(1) * max(1, loss_min / (moments - p))`` of the best (a 68 % interval for one
parameter, widened by the reduced chi-square when the model misfits), interpolated
between points in ``sqrt(loss - loss_min)`` (linear in the distance from a quadratic
minimum); its share of the bounds is the identification measure.

These are slices through the best point, not profiles re-optimised over the other
parameters: when parameters trade off, each slice is narrower than the true interval.
The correlations of the plausible trials (and ``correlations.png``) show those
trade-offs; a parameter whose slice is flat over its bounds is not pinned down at all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.evaluate import evaluate, make_task
from sim.calibration.loss import smm_loss
from sim.calibration.targets import Calibration, Parameter

CONFIDENCE = 0.68


def grid(p: Parameter, points: int, best: float) -> list[float]:
    """``points`` values spread over the bounds (log-spaced if ``p.log``), and ``best``."""
    values = p.grid(points)
    return sorted({*(float(v) for v in values), float(best)})


def run_profile(
    cal: Calibration, best: dict[str, float], pool: Any, progress: Any = None
) -> pd.DataFrame:
    """Loss at every profile point; columns parameter, value, loss (NaN where a run failed)."""
    from sim.sweep.executors import Failure

    points = cal.settings.profile
    rows = [(p.name, v) for p in cal.spec.parameters for v in grid(p, points, best[p.name])]
    tasks = [
        make_task(cal, k, {**best, name: value}, cal.settings.replications)
        for k, (name, value) in enumerate(rows)
    ]
    loss = np.full(len(rows), np.nan)
    if progress is not None:
        progress(0, len(tasks))
    for done, (i, outcome) in enumerate(pool.map_unordered(evaluate, tasks), start=1):
        if not isinstance(outcome, Failure):
            loss[i] = smm_loss(cal.moments, np.asarray(outcome["values"], dtype=np.float64))
        if progress is not None:
            progress(done, len(tasks))
    return pd.DataFrame(
        {"parameter": [r[0] for r in rows], "value": [r[1] for r in rows], "loss": loss}
    )


def threshold(best_loss: float, n_params: int, n_moments: int) -> float:
    """Highest loss of a parameter's 68 % profile interval (see the module docstring)."""
    from scipy.stats import chi2

    dof = n_moments - n_params
    scale = max(1.0, best_loss / dof) if dof > 0 else 1.0
    return best_loss + float(chi2.ppf(CONFIDENCE, 1)) * scale


def interval(p: Parameter, values: np.ndarray, loss: np.ndarray, best: float, top: float):
    """(low, high) around ``best`` where the profile stays below ``top``.

    Between points the crossing is interpolated linearly in ``sqrt(loss - loss at best)``,
    which is linear in the distance from a quadratic minimum, so a coarse grid does not
    shrink the interval (linear interpolation of the loss itself would, by the ratio of
    the rise to the threshold).
    """
    x = np.log(values) if p.log else values.astype(float)
    k = int(np.argmin(np.abs(values - best)))
    floor = float(loss[k])
    rise = np.sqrt(np.clip(loss - floor, 0.0, None))
    limit = float(np.sqrt(max(top - floor, 0.0)))
    ends = []
    for step, edge in ((-1, p.low), (1, p.high)):
        j, found = k, edge
        while 0 <= j + step < len(values):
            nxt = j + step
            if not (np.isfinite(loss[nxt]) and loss[nxt] <= top):
                cross = x[j]
                if np.isfinite(loss[nxt]) and rise[nxt] > rise[j]:
                    f = (limit - rise[j]) / (rise[nxt] - rise[j])
                    cross = x[j] + f * (x[nxt] - x[j])
                found = float(np.exp(cross)) if p.log else float(cross)
                break
            j = nxt
        ends.append(found)
    return min(ends), max(ends)
