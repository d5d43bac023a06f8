"""Paired differences across replications, and the unpaired interval they beat.

Replication r of every policy runs with the same seed, so the per-replication
difference ``policy_r - baseline_r`` cancels the noise both runs share (the initial
population, the social graph, every subscriber's draws). A paired t interval on those
differences is therefore much narrower than a Welch interval that treats the two sets
of replications as independent samples; reporting both shows what the pairing bought.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PairedDifference:
    """Mean difference ``policy - baseline`` with a paired and an unpaired interval.

    Attributes:
        n: replications (pairs).
        baseline_mean: mean of the baseline values.
        policy_mean: mean of the policy values.
        difference: mean of the per-replication differences.
        paired_low: lower end of the paired t interval.
        paired_high: upper end of the paired t interval.
        unpaired_low: lower end of the Welch interval (as if the runs were independent).
        unpaired_high: upper end of the Welch interval.
        level: confidence level of both intervals, e.g. 0.95.
    """

    n: int
    baseline_mean: float
    policy_mean: float
    difference: float
    paired_low: float
    paired_high: float
    unpaired_low: float
    unpaired_high: float
    level: float

    @property
    def paired_width(self) -> float:
        """Width of the paired interval."""
        return self.paired_high - self.paired_low

    @property
    def unpaired_width(self) -> float:
        """Width of the Welch interval."""
        return self.unpaired_high - self.unpaired_low

    @property
    def width_ratio(self) -> float:
        """Paired width / unpaired width (below 1: pairing helped); NaN if both are 0."""
        if self.unpaired_width > 0:
            return self.paired_width / self.unpaired_width
        return math.nan

    @property
    def within_noise(self) -> bool:
        """True when the paired interval contains 0: no effect distinguishable from noise."""
        return self.paired_low <= 0.0 <= self.paired_high

    def as_dict(self) -> dict[str, Any]:
        """Fields plus the derived widths, ratio and flag (for CSV and JSON)."""
        out = asdict(self)
        out.update(
            paired_width=self.paired_width,
            unpaired_width=self.unpaired_width,
            width_ratio=self.width_ratio,
            within_noise=self.within_noise,
        )
        return out


def _t_quantile(level: float, df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2.0, df))


def paired_difference(
    baseline: np.ndarray, policy: np.ndarray, level: float = 0.95
) -> PairedDifference:
    """Paired t interval of ``policy - baseline`` and the Welch interval for contrast.

    Args:
        baseline: one value per replication, shape ``(n,)``.
        policy: the same metric for the same replications (same seeds), shape ``(n,)``.
        level: confidence level in (0, 1).

    A zero standard error (identical runs, or a difference the same in every
    replication) gives a zero-width interval at the mean difference.

    Raises:
        ValueError: shapes differ, fewer than 2 pairs, or a level outside (0, 1).
    """
    b = np.asarray(baseline, dtype=float)
    p = np.asarray(policy, dtype=float)
    if b.shape != p.shape or b.ndim != 1:
        raise ValueError(f"need two 1-d arrays of the same length, got {b.shape} and {p.shape}")
    n = b.size
    if n < 2:
        raise ValueError(f"a paired interval needs at least 2 replications, got {n}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    d = p - b
    mean = float(d.mean())
    se = float(d.std(ddof=1)) / math.sqrt(n)
    half = _t_quantile(level, n - 1) * se if se > 0 else 0.0
    # Welch: the two sets of replications as independent samples of size n each.
    vb, vp = float(b.var(ddof=1)) / n, float(p.var(ddof=1)) / n
    se_u = math.sqrt(vb + vp)
    if se_u > 0:
        df = (vb + vp) ** 2 / ((vb**2 + vp**2) / (n - 1))
        half_u = _t_quantile(level, df) * se_u
    else:
        half_u = 0.0
    return PairedDifference(
        n=n,
        baseline_mean=float(b.mean()),
        policy_mean=float(p.mean()),
        difference=mean,
        paired_low=mean - half,
        paired_high=mean + half,
        unpaired_low=mean - half_u,
        unpaired_high=mean + half_u,
        level=level,
    )
