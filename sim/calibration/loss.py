"""The weighted simulated-method-of-moments loss and the fit table.

For moment k with observed value ``y_k``, observed standard error ``se_k`` and weight
``w_k``, the simulated value ``m_k`` is the mean over replications and

    z_k = (m_k - y_k) / se_k,        loss = sum_k w_k * z_k**2.

Only the observation's error scales a moment: the weights are fixed, so the loss is a
deterministic function of the parameters under common random numbers, and it is exactly
0 when the simulation reproduces the data (a synthetic data set at its true parameters).
With unit weights and a well-specified model, loss / moments is about 1. A moment the
run cannot produce (NaN: no respondents in a survey cell) adds :data:`MISSING_PENALTY`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.calibration.targets import Moment

MISSING_PENALTY = 1.0e4  # z**2 charged for a moment the run cannot compute


def arrays(moments: list[Moment]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed values, standard errors and loss weights (0 if held out), in moment order."""
    obs = np.array([m.observed for m in moments], dtype=np.float64)
    se = np.array([m.se for m in moments], dtype=np.float64)
    w = np.array([0.0 if m.holdout else m.weight for m in moments], dtype=np.float64)
    return obs, se, w


def simulated_means(values: np.ndarray) -> np.ndarray:
    """Mean over replications per moment (NaN where no replication has a value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN moment stays NaN
        return np.nanmean(values, axis=1)


def z_scores(moments: list[Moment], values: np.ndarray) -> np.ndarray:
    """``(simulated mean - observed) / se`` per moment; ``values`` is (moments, reps)."""
    obs, se, _ = arrays(moments)
    return (simulated_means(values) - obs) / se


def smm_loss(moments: list[Moment], values: np.ndarray) -> float:
    """``sum w z^2`` with NaN moments charged :data:`MISSING_PENALTY` each."""
    z = z_scores(moments, values)
    _, _, w = arrays(moments)
    sq = np.where(np.isfinite(z), z * z, MISSING_PENALTY)
    return float(np.sum(w * sq))


def fit_table(moments: list[Moment], values: np.ndarray) -> pd.DataFrame:
    """One row per moment: observed, simulated, z and their context.

    Columns: split (train or test), observed, se, simulated mean and 5/50/95 % band, z,
    loss weight (0 when held out) and contribution to the loss.
    """
    obs, se, w = arrays(moments)
    mean = simulated_means(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(values, [0.05, 0.5, 0.95], axis=1)
    z = (mean - obs) / se
    return pd.DataFrame(
        {
            "target": [m.target for m in moments],
            "moment": [m.label for m in moments],
            "kind": [m.kind for m in moments],
            "month": [m.month for m in moments],
            "split": ["test" if m.holdout else "train" for m in moments],
            "observed": obs,
            "se": se,
            "simulated": mean,
            "sim_p5": q[0],
            "sim_p50": q[1],
            "sim_p95": q[2],
            "z": z,
            "weight": w,
            "contribution": np.where(np.isfinite(z), w * z * z, w * MISSING_PENALTY),
        }
    )
