"""Paired and Welch intervals against scipy's own tests, and the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.compare.paired import paired_difference


def test_intervals_match_scipy_paired_and_welch_tests() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(10.0, 2.0, 6)
    policy = base + 0.7 + rng.normal(0.0, 0.3, 6)
    d = paired_difference(base, policy, level=0.9)
    paired = stats.ttest_rel(policy, base).confidence_interval(0.9)
    welch = stats.ttest_ind(policy, base, equal_var=False).confidence_interval(0.9)
    assert d.difference == pytest.approx(policy.mean() - base.mean())
    assert (d.paired_low, d.paired_high) == pytest.approx((paired.low, paired.high))
    assert (d.unpaired_low, d.unpaired_high) == pytest.approx((welch.low, welch.high))
    assert d.n == 6 and d.level == 0.9
    assert d.baseline_mean == pytest.approx(base.mean())
    assert d.policy_mean == pytest.approx(policy.mean())


def test_correlated_runs_give_a_narrower_paired_interval() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(0.3, 0.05, 5)
    policy = base + 0.01 + rng.normal(0.0, 0.002, 5)
    d = paired_difference(base, policy)
    assert d.paired_low > 0.0
    assert not d.within_noise
    assert d.unpaired_low < 0.0 < d.unpaired_high  # the same data, unpaired, sees nothing
    assert d.width_ratio < 0.2
    assert d.as_dict()["width_ratio"] == pytest.approx(d.paired_width / d.unpaired_width)


def test_identical_runs_are_exactly_zero_and_within_noise() -> None:
    values = np.array([0.1, 0.4, 0.2])
    d = paired_difference(values, values.copy())
    assert (d.difference, d.paired_low, d.paired_high) == (0.0, 0.0, 0.0)
    assert d.within_noise
    assert d.width_ratio == 0.0  # the unpaired interval still sees the spread


def test_the_same_shift_in_every_replication_is_not_noise() -> None:
    base = np.array([1.0, 2.0, 4.0])
    d = paired_difference(base, base + 0.5)
    assert d.paired_low == pytest.approx(0.5) and d.paired_high == pytest.approx(0.5)
    assert not d.within_noise


def test_constant_runs_have_no_width_ratio() -> None:
    d = paired_difference(np.ones(4), np.ones(4))
    assert d.unpaired_width == 0.0
    assert math.isnan(d.width_ratio)
    assert d.within_noise


@pytest.mark.parametrize(
    ("base", "policy", "level", "match"),
    [
        ([1.0], [2.0], 0.95, "at least 2"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], 0.95, "same length"),
        ([1.0, 2.0], [1.0, 2.0], 1.0, "level"),
    ],
)
def test_bad_arguments(base: list[float], policy: list[float], level: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        paired_difference(np.array(base), np.array(policy), level)
