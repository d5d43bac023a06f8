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
