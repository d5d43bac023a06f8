"""Reported series of a real market (``scenario.reported``) on the run's figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_scenario

from sim import plots
from sim.errors import UserError
from sim.report.figures import handset_migration_figure
from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_china_scenario_reads_its_reported_points() -> None:
    spec = load_scenario(ROOT / "scenarios" / "china_3g_2009.yaml")
    points = plots.reported_points(spec)
    assert points is not None
    last = points[points["date"] == points["date"].max()].set_index("operator")
    # 2012-09 (plotted at 2012-09-01, the date of model month 45): all three operators
    assert str(points["date"].max().date()) == "2012-09-01"
    assert last["share"].sum() == pytest.approx(1.0)
    assert last.loc["Unicom", "handsets_3g"] == pytest.approx(66.86e6)
    assert np.isnan(points["share"]).sum() > 0  # months with a missing operator have none


def test_figures_draw_the_reported_points(tmp_path: Path) -> None:
    csv = tmp_path / "reported.csv"
    csv.write_text("month_end,op,subs,g3\n2009-03,a,500,50\n2009-03,b,300,\n2009-03,c,200,20\n")
    spec = make_scenario(
        **{
            "simulation.months": 4,
            "population.size": 300,
            "reported": {
                "path": str(csv),
                "operator": "op",
                "operators": {"a": "A", "b": "B", "c": "C"},
                "subscribers": "subs",
                "handsets": {3: "g3"},
            },
        }
    )
    result = run(spec)
    points = plots.reported_points(spec)
    assert points["share"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert plots.shares_figure(result, tmp_path / "shares.png").stat().st_size > 0
    assert handset_migration_figure(result, tmp_path / "handsets.png").stat().st_size > 0


def test_reported_operators_must_exist() -> None:
    with pytest.raises(UserError, match=r"reported\.operators"):
        make_scenario(**{"reported": {"path": "x.csv", "operators": {"z": "Z"}}})
