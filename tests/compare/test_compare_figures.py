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


def test_legends_name_policies_by_title_and_money_by_currency(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 16: the overlay legend showed file ids, the forest plot "(currency)"."""
    from sim.compare import figures

    spec = make_scenario(**SMALL, title="Base case", **{"economics.currency": "CNY"})
    base = run(spec)
    cheap = run(spec, overrides={"operators.A.plans.0.monthly_fee": 30.0, "title": "Cheap A"})
    comparison = compare_results(Policy("s1", base), [Policy("s2", cheap)])
    texts: list[str] = []
    real = figures.save_figure

    def keep(fig, path, currency=None):
        from matplotlib.text import Text

        real(fig, path, currency) if currency else real(fig, path)
        texts.extend(t.get_text() for t in fig.findobj(Text))
        return path

    monkeypatch.setattr(figures, "save_figure", keep)
    save_figures(comparison, tmp_path)
    assert "Base case" in texts and "Cheap A" in texts
    assert "s1" not in texts and "s2" not in texts
    assert not [t for t in texts if "(currency)" in t]
    assert any("(CNY)" in t for t in texts)
    assert any(t.startswith("5–95 % band, 2 replications (few") for t in texts)
