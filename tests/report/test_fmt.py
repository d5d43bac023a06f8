"""Human number formats: percent with one decimal, signed points, money, counts."""

from __future__ import annotations

import math

from sim.report import fmt


def test_percent_and_band() -> None:
    assert fmt.pct(0.5596) == "56.0 %"
    assert fmt.pct(0.5, 0) == "50 %"
    assert fmt.pct_band({"p5": 0.5562, "p50": 0.5596, "p95": 0.5599}) == "56.0 % (55.6–56.0)"


def test_points_are_signed_and_never_negative_zero() -> None:
    assert fmt.points(-0.185) == "-18.5 pp"
    assert fmt.points(0.155) == "+15.5 pp"
    assert fmt.points(-0.0004) == "0.0 pp"
    assert fmt.points(0.0) == "0.0 pp"


def test_money_has_thousands_separators() -> None:
    assert fmt.money(3697.8) == "3,698"
    assert fmt.money(1234567.891, digits=1) == "1,234,567.9"
    assert fmt.money(math.nan) == "n/a"
    band = {"p5": 3645.9, "p50": 3697.8, "p95": 3703.05}
    assert fmt.money_band(band) == "3,698 (3,646–3,703)"


def test_counts() -> None:
    assert fmt.count(681_723_674.5) == "681.7 M"
    assert fmt.count(1_081_000_000) == "1.08 bn"
    assert fmt.count(21_263) == "21,263"
    assert fmt.count(999_999.4) == "999,999"
