"""The overlay and forest-plot figures are written for one and for several policies."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pytest
from conftest import make_scenario

from sim.compare.comparison import Comparison, Policy, compare_results
from sim.compare.figures import save_figures
from sim.runner import run

SMALL = {"population.size": 1000, "simulation.replications": 2, "simulation.months": 8}


@pytest.fixture(scope="module")
def two_policies() -> Comparison:
    spec = make_scenario(**SMALL)
    base = run(spec)
    cheap = run(spec, overrides={"operators.A.plans.0.monthly_fee": 30.0})
    brand = run(spec, overrides={"operators.C.brand": 0.5})
    return compare_results(Policy("base", base), [Policy("cheap", cheap), Policy("brand", brand)])


def test_figures_are_pngs_sized_for_their_content(two_policies: Comparison, tmp_path: Path) -> None:
    overlay, differences = save_figures(two_policies, tmp_path)
    assert [p.name for p in (overlay, differences)] == ["overlay.png", "differences.png"]
    wide = matplotlib.image.imread(overlay)
    tall = matplotlib.image.imread(differences)
    assert wide.shape[1] > wide.shape[0]  # one column per operator
    assert tall.shape[0] > 900  # five metric panels, two policies per operator
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind
