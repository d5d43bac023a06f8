"""Export: the scenario on screen as YAML that load_scenario and run accept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import make_scenario

from sim.dashboard.export import export_filename, export_name, export_yaml
from sim.dashboard.levers import defaults
from sim.dashboard.model import DashboardModel
from sim.runner import run
from sim.scenario import load_scenario


def test_exported_yaml_loads_and_reproduces_the_dashboard(tmp_path: Path) -> None:
    base = make_scenario(population__size=3000, simulation__months=5)
    model = DashboardModel(
        base, **{**defaults(base), "fee_1": 30.0, "quality_0": 0.9, "population": 2000}
    )
    for _ in range(3):
        model.step()
    text = export_yaml(model)
    assert text.startswith("# Exported by `telsim dashboard` from scenario 'test'")
    assert "#   B fee (basic): 45 -> 30" in text
    assert "#   Subscriber agents: 3,000 -> 2,000" in text
    path = tmp_path / export_filename(model)
    path.write_text(text, encoding="utf-8")
    spec = load_scenario(path)
    assert spec.name == "test_dashboard"
    assert spec.population.size == 2000
    assert spec.operators[1].plans[0].monthly_fee == 30.0
    assert spec.operators[0].service_quality == 0.9
    assert spec.description.startswith("Exported from the telsim dashboard; levers changed:")
    assert "B fee (basic): 45 -> 30" in spec.description
    ops = run(spec, replications=1).operators
    np.testing.assert_array_equal(model.shares(3), ops[ops["month"] == 3]["share"].to_numpy())


def test_untouched_export_is_the_scenario_renamed(tmp_path: Path) -> None:
    base = make_scenario(population__size=2000)
    model = DashboardModel(base)
    text = export_yaml(model)
    assert "# No lever changed from the scenario." in text
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_scenario(path)
    assert spec.model_copy(update={"name": base.name, "description": ""}) == base


def test_export_name_is_suffixed_once() -> None:
    assert export_name("china_3g_2009") == "china_3g_2009_dashboard"
    assert export_name("china_3g_2009_dashboard") == "china_3g_2009_dashboard"
