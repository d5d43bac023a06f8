"""The one date convention (sim.months): data, run tables, fit tables and figures agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import plots
from sim.calibration.targets import load_calibration
from sim.months import date_of_month, month_dates, month_of_date, parse_month
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_month_t_is_calendar_month_start_plus_t():
    assert month_of_date("2008-12", "2008-12") == 0
    assert month_of_date("2012-09", "2008-12") == 45
    assert month_of_date("2012-09-30", "2008-12") == 45  # a day in the month: the month
    assert date_of_month(45, "2008-12") == "2012-09"
    assert [d.isoformat() for d in month_dates("2011-11", 2)] == [
        "2011-11-01",
        "2011-12-01",
        "2012-01-01",
    ]
    for t in range(30):
        assert month_of_date(date_of_month(t, "2009-07"), "2009-07") == t
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("2012-13")


def test_china_data_tables_and_figures_label_a_month_alike():
    """A row dated 2012-09 is compared with the month the run tables date 2012-09."""
    cal = load_calibration(ROOT / "calibration" / "china_3g_2009_2012.yaml")
    sc = cal.scenario
    last = max(m.month for m in cal.moments if m.month is not None)
    assert date_of_month(last, sc.simulation.start) == "2012-09"
    assert sc.simulation.month_dates()[last].isoformat() == "2012-09-01"
    assert any(m.label.endswith("2012-09") and m.month == last for m in cal.moments)
    points = plots.reported_points(load_scenario(ROOT / "scenarios" / "china_3g_2009.yaml"))
    assert points is not None and str(points["date"].max().date()) == "2012-09-01"
