"""Comparing runs: exact zeros against itself, a clear effect with the right sign, pairing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import base_raw, make_scenario

from sim.compare.comparison import Comparison, Policy, compare_results
from sim.compare.metrics import METRICS
from sim.errors import UserError
from sim.results import RunResult
from sim.runner import run

SMALL = {"population.size": 2000, "simulation.replications": 3}


@pytest.fixture(scope="module")
def baseline() -> RunResult:
    return run(make_scenario(**SMALL))


@pytest.fixture(scope="module")
def halved(baseline: RunResult) -> Comparison:
    """Operator A's only plan at half price: a policy with a clear effect."""
    policy = run(make_scenario(**SMALL), overrides={"operators.A.plans.0.monthly_fee": 25.0})
    return compare_results(Policy("base", baseline), [Policy("half_price", policy)])


def row(comparison: Comparison, metric: str, operator: str) -> dict:
    t = comparison.table
    return t[(t["metric"] == metric) & (t["operator"] == operator)].iloc[0].to_dict()


def test_a_scenario_against_itself_differs_by_exactly_zero(baseline: RunResult) -> None:
    again = run(make_scenario(**SMALL))  # a second, independent run of the same scenario
    c = compare_results(Policy("a", baseline), [Policy("b", again)])
    assert len(c.table) == len(METRICS) * 3
    for col in ("difference", "paired_low", "paired_high"):
        assert (c.table[col] == 0.0).all(), col
    assert c.table["within_noise"].all()
    assert c.notes == []


def test_halving_a_price_raises_its_share_beyond_noise(halved: Comparison) -> None:
    a = row(halved, "final_share", "A")
    assert a["paired_low"] > 0.0
    assert not a["within_noise"]
    assert a["policy_mean"] > a["baseline_mean"]
    for rival in ("B", "C"):  # the share comes from the rivals
        assert row(halved, "final_share", rival)["paired_high"] < 0.0
    # Half the fee with a few percent more customers: A's revenue falls.
    assert row(halved, "cumulative_revenue", "A")["paired_high"] < 0.0


def test_pairing_narrows_the_interval(halved: Comparison) -> None:
    a = row(halved, "final_share", "A")
    assert a["paired_width"] < a["unpaired_width"]
    assert a["width_ratio"] < 0.7
    assert halved.median_width_ratio() < 1.0


def test_values_keep_every_replication(halved: Comparison) -> None:
    v = halved.values
    assert set(v["policy"]) == {"base", "half_price"}
    assert len(v) == 2 * len(METRICS) * 3 * 3
    base = v[(v.policy == "base") & (v.metric == "final_share") & (v.operator == "A")]
    assert row(halved, "final_share", "A")["baseline_mean"] == pytest.approx(base["value"].mean())
    assert halved.replications == 3 and halved.months == 12 and len(halved.seeds) == 3


def test_other_seeds_are_refused(baseline: RunResult) -> None:
    other = run(make_scenario(**SMALL), seed=8)
    with pytest.raises(UserError, match="would not be paired"):
        compare_results(Policy("a", baseline, "a.yaml"), [Policy("b", other, "b.yaml")])


def test_fewer_replications_are_refused(baseline: RunResult) -> None:
    other = run(make_scenario(**SMALL), replications=2)
    with pytest.raises(UserError, match=r"b.yaml: replication seeds .* would not be paired"):
        compare_results(Policy("a", baseline, "a.yaml"), [Policy("b", other, "b.yaml")])


def test_other_months_are_refused(baseline: RunResult) -> None:
    other = run(make_scenario(**{**SMALL, "simulation.months": 10}))
    with pytest.raises(UserError, match=r"simulation.months is 10"):
        compare_results(Policy("a", baseline), [Policy("b", other)])


def test_one_replication_is_refused() -> None:
    one = run(make_scenario(**{**SMALL, "simulation.replications": 1}))
    with pytest.raises(UserError, match="at least 2"):
        compare_results(Policy("a", one), [Policy("b", one)])


def test_missing_provenance_is_refused(baseline: RunResult) -> None:
    bare = RunResult(baseline.scenario, baseline.operators, baseline.segments, baseline.switching)
    with pytest.raises(UserError, match="replication_seeds is missing"):
        compare_results(Policy("a", baseline), [Policy("b", bare, "old_run")])


def test_compared_on_shared_operators_and_says_so(baseline: RunResult) -> None:
    raw = base_raw()
    extra = dict(raw["operators"][2], name="D")
    raw["operators"].append(extra)
    raw["population"]["initial_shares"] = {"A": 0.5, "B": 0.3, "C": 0.1, "D": 0.1}
    four = run(make_scenario(raw, **SMALL))
    c = compare_results(Policy("three", baseline), [Policy("four", four)])
    assert c.operators == ["A", "B", "C"]
    assert set(c.table["operator"]) == {"A", "B", "C"}
    assert any("D" in n and "shared operators A, B, C" in n for n in c.notes)


def test_different_population_is_noted(baseline: RunResult) -> None:
    bigger = run(make_scenario(**{**SMALL, "population.size": 2500}))
    c = compare_results(Policy("a", baseline), [Policy("b", bigger)])
    assert any("population.size 2,500" in n for n in c.notes)
    assert np.isfinite(c.table["difference"]).all()


def test_labels_and_level_are_checked(baseline: RunResult) -> None:
    with pytest.raises(UserError, match="unique"):
        compare_results(Policy("a", baseline), [Policy("a", baseline)])
    with pytest.raises(UserError, match="--level"):
        compare_results(Policy("a", baseline), [Policy("b", baseline)], level=1.5)
    with pytest.raises(UserError, match="at least two inputs"):
        compare_results(Policy("a", baseline), [])


def test_runs_are_identical_until_the_policy_starts(baseline: RunResult) -> None:
    """Common random numbers: a change from month 6 leaves months 0-5 bit for bit equal."""
    event = {"kind": "price_change", "month": 6, "operator": "B", "factor": 0.5}
    policy = run(make_scenario(**SMALL, events=[event]))
    before = baseline.operators["month"] < 6
    pd.testing.assert_frame_equal(baseline.operators[before], policy.operators[before])
    at = baseline.operators["month"] == 6
    assert not baseline.operators[at].equals(policy.operators[at])
