"""The metric registry: complete declarations, and ratios with known answers on tiny inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import metrics
from sim.engine import layout as L
from sim.metrics import METRICS, ratio, ratios
from sim.results import SCALED_COLUMNS, TABLE_COLUMNS


def test_every_metric_is_declared_in_full() -> None:
    for m in METRICS:
        assert m.label and m.unit and m.description.endswith("."), m.name
        assert m.aggregation in (metrics.SUM, metrics.RATIO, metrics.MEAN), m.name
        is_ratio = m.aggregation != metrics.SUM
        assert (m.numerator is not None) == is_ratio, m.name
        assert (m.denominator is not None) == is_ratio, m.name
        assert not (m.lagged or m.market) or is_ratio, m.name
        assert not (m.scaled and is_ratio), f"{m.name}: a ratio does not scale"
    assert len(metrics.METRIC) == len(METRICS)  # names are unique


def test_ratios_divide_declared_columns() -> None:
    additive = {*metrics.COUNTS, *metrics.SUMS}
    for m in METRICS:
        if m.numerator is not None:
            assert {m.numerator, m.denominator} <= additive, m.name
    means = {m.name for m in METRICS if m.aggregation == metrics.MEAN}
    assert means == {"satisfaction", "lockin_economic", "lockin_knowledge", "lockin_emotional"}
    assert {f"{name}_sum" for name in means} == set(metrics.SUMS) - set(metrics.OPERATOR_COLUMNS)


def test_accumulator_names_cover_every_layout_column_once() -> None:
    assert sorted(metrics.COUNTS.values()) == list(range(L.N_COUNTS))
    assert sorted(metrics.SUMS.values()) == list(range(L.N_SUMS))
    assert list(metrics.HANDSETS) == [2, 3, 4, 5]
    assert [metrics.COUNTS[metrics.HANDSETS[g]] for g in (2, 3, 4, 5)] == [
        L.C_GEN2,
        L.C_GEN3,
        L.C_GEN4,
        L.C_GEN5,
    ]


def test_scaled_columns_are_the_registrys_counts_and_money() -> None:
    assert set(SCALED_COLUMNS) == {m.name for m in METRICS if m.scaled}
    assert set(SCALED_COLUMNS) == set(metrics.COUNTS) | {
        "revenue",
        "subsidy_cost",
        "retention_cost",
        "buyout_fees",
    }
    assert {"agents", "retention_offers", "share", "churn_rate", "arpu"}.isdisjoint(SCALED_COLUMNS)


def test_tables_hold_the_registrys_columns() -> None:
    assert TABLE_COLUMNS["operators.parquet"][4:] == metrics.OPERATOR_COLUMNS
    assert TABLE_COLUMNS["segments.parquet"][5:] == metrics.SEGMENT_COLUMNS
    assert set(metrics.OPERATOR_COLUMNS) - set(metrics.SEGMENT_COLUMNS) == {"retention_offers"}


def test_ratio_of_zero_is_empty_not_nan() -> None:
    out = ratio([1.0, 3.0, 0.0], [2.0, 0.0, 0.0])
    np.testing.assert_array_equal(out, [0.5, 0.0, 0.0])
    np.testing.assert_array_equal(ratio([1.0, 3.0], [4.0, 0.0], empty=np.nan), [0.25, np.nan])
    assert float(ratio(6, 3)) == 2.0


def test_ratios_on_a_hand_made_market() -> None:
    # months 0..2 (rows), operators A, B (columns); B has no subscribers in months 0 and 1
    columns = {
        "subscribers": np.array([[100, 0], [80, 0], [60, 40]]),
        "churners": np.array([[0, 0], [20, 0], [25, 0]]),
        "revenue": np.array([[1000.0, 0.0], [880.0, 0.0], [600.0, 200.0]]),
        "satisfaction_sum": np.array([[50.0, 0.0], [60.0, 0.0], [30.0, 36.0]]),
    }
    out = ratios(columns, ["share", "churn_rate", "arpu", "satisfaction"])
    np.testing.assert_array_equal(out["share"], [[1.0, 0.0], [1.0, 0.0], [0.6, 0.4]])
    # churners over last month's subscribers; month 0 and a subscriber-less month give 0
    np.testing.assert_array_equal(out["churn_rate"], [[0.0, 0.0], [0.2, 0.0], [25 / 80, 0.0]])
    np.testing.assert_array_equal(out["arpu"], [[10.0, 0.0], [11.0, 0.0], [10.0, 5.0]])
    np.testing.assert_array_equal(out["satisfaction"], [[0.5, 0.0], [0.75, 0.0], [0.5, 0.9]])
    assert not any(np.isnan(v).any() for v in out.values())


def test_ratios_over_pooled_rows_and_with_nan_for_empty() -> None:
    # the market by month (operators already summed): churn is a ratio of sums
    by_month = pd.DataFrame({"subscribers": [0, 50, 40], "churners": [0, 0, 10]})
    churn = ratios(by_month, ["churn_rate"], empty=np.nan)["churn_rate"]
    np.testing.assert_array_equal(churn, [np.nan, np.nan, 0.2])
    # revenue and subscribers summed over months: the ARPU of the window
    pooled = pd.Series({"revenue": 900.0, "subscribers": 60})
    assert float(ratios(pooled, ["arpu"])["arpu"]) == 15.0
    assert float(ratios({"revenue": 0.0, "subscribers": 0}, ["arpu"])["arpu"]) == 0.0


def test_share_within_each_segment() -> None:
    # months x segments x operators: a share is of the segment's subscribers
    subs = np.array([[[3, 1], [0, 0]]])
    share = ratios({"subscribers": subs}, ["share"])["share"]
    np.testing.assert_array_equal(share, [[[0.75, 0.25], [0.0, 0.0]]])


@pytest.mark.parametrize("name", ["subscribers", "revenue", "agents"])
def test_sums_are_not_ratios(name: str) -> None:
    assert name not in metrics.RATIOS
    with pytest.raises(ValueError, match=f"{name} is summed"):
        ratios({"subscribers": [1]}, [name])


def test_accumulator_columns_split_the_last_axis() -> None:
    counts = np.arange(2 * 3 * L.N_COUNTS).reshape(2, 3, L.N_COUNTS)
    sums = np.ones((2, 3, L.N_SUMS))
    cols = metrics.accumulator_columns(counts, sums)
    np.testing.assert_array_equal(cols["churners"], counts[..., L.C_CHURN])
    np.testing.assert_array_equal(cols["revenue"], sums[..., L.F_REVENUE])
    assert set(cols) == {*metrics.COUNTS, *metrics.SUMS}
