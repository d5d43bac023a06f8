"""Formatting for the slide: units, signs, and a precision the interval supports."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd

from sim.compare.metrics import METRIC_BY_NAME
from sim.compare.paired import paired_difference
from sim.compare.tables import (
    format_difference,
    format_ratio,
    format_value,
    headers,
    slide_rows,
)

SHARE = METRIC_BY_NAME["final_share"]
REVENUE = METRIC_BY_NAME["cumulative_revenue"]
CLV = METRIC_BY_NAME["clv"]


def test_shares_in_percent_and_differences_in_points() -> None:
    assert format_value(SHARE, 0.36494, spread=0.001) == "36.49 %"
    assert format_difference(SHARE, 0.0035, 0.0021, 0.0049) == ("+0.35 pp", "[+0.21, +0.49]")
    assert format_difference(SHARE, -0.00098, -0.00179, -0.00017) == (
        "-0.098 pp",
        "[-0.179, -0.017]",
    )


def test_money_with_units_and_thousands() -> None:
    assert format_value(REVENUE, 896.5e9, spread=1.3e9) == "896.5bn"
    assert format_difference(REVENUE, -25.0e9, -26.5e9, -23.6e9) == (
        "-25.0bn",
        "[-26.5, -23.6]bn",
    )
    assert format_value(CLV, 4759.2, spread=12.0) == "4,759"
    assert format_difference(CLV, -25.2, -61.8, 11.4) == ("-25", "[-62, +11]")


def test_zero_width_interval_and_ratio() -> None:
    assert format_difference(SHARE, 0.0, 0.0, 0.0) == ("+0.00 pp", "[+0.00, +0.00]")
    assert format_ratio(math.nan) == "–"
    assert format_ratio(0.1234) == "0.12"


def test_headers_name_the_level() -> None:
    assert "90 % paired CI" in headers(0.9)


def test_slide_rows_flag_noise() -> None:
    flat = paired_difference(pd.Series([0.2, 0.3]).to_numpy(), pd.Series([0.2, 0.3]).to_numpy())
    shift = paired_difference(pd.Series([0.2, 0.3]).to_numpy(), pd.Series([0.25, 0.35]).to_numpy())
    table = pd.DataFrame(
        [
            {"policy": "p", "metric": "final_share", "operator": "A"} | flat.as_dict(),
            {"policy": "p", "metric": "final_share", "operator": "B"} | shift.as_dict(),
        ]
    )
    rows = slide_rows(SimpleNamespace(table=table), "p")
    assert [r[1] for r in rows] == ["A", "B"]
    assert [r[6] for r in rows] == ["yes", "no"]
    assert rows[1][4] == "+5.0 pp"  # zero width: two significant digits
    assert all(len(r) == len(headers(0.95)) for r in rows)


def _rows(metric: str, values: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """Table rows of one metric: (baseline, policy, low, high) per operator."""
    return pd.DataFrame(
        [
            {
                "policy": "p",
                "metric": metric,
                "operator": f"O{k}",
                "baseline_mean": base,
                "policy_mean": pol,
                "difference": pol - base,
                "paired_low": low,
                "paired_high": high,
                "within_noise": low <= 0 <= high,
                "width_ratio": 0.5,
            }
            for k, (base, pol, low, high) in enumerate(values)
        ]
    )


def test_one_precision_per_metric() -> None:
    """Issue 16: CLV "3,671" beside "1,818.4"; every row of a metric now has one precision."""
    table = _rows("clv", [(3671.2, 3600.0, -90.0, -50.0), (1818.4, 1820.0, -0.5, 3.7)])
    rows = slide_rows(SimpleNamespace(table=table), "p")
    decimals = {
        cell.split(".")[1].rstrip("]") if "." in cell else "" for r in rows for cell in r[2:4]
    }
    assert len({len(d) for d in decimals}) == 1, rows
    assert rows[0][2] == "3,671.2" and rows[1][2] == "1,818.4"


def test_one_money_unit_per_metric() -> None:
    table = _rows("cumulative_revenue", [(44.2e9, 44.0e9, -0.3e9, -0.1e9), (0.98e9, 1.0e9, 0, 4e7)])
    rows = slide_rows(SimpleNamespace(table=table), "p")
    assert all(r[2].endswith("bn") and r[3].endswith("bn") for r in rows), rows
    assert rows[1][2] == "0.980bn" and rows[0][2] == "44.200bn"  # the narrowest interval rules
