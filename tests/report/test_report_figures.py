"""Report figures: each draws a PNG, also for one replication, one operator, an entrant."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib.image
import pytest
import reportkit
from conftest import make_scenario

from sim import run
from sim.report.figures import REPORT_FIGURES, currency_unit

PNG = b"\x89PNG\r\n\x1a\n"


def _check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG
    height, width = matplotlib.image.imread(path).shape[:2]
    assert 400 <= width <= 2000 and 300 <= height <= 1600, (path.name, width, height)
    assert not list(path.parent.glob("*.tmp"))


@pytest.mark.parametrize("spec", REPORT_FIGURES, ids=lambda s: s.key)
def test_figure_of_the_shared_run(spec, tmp_path: Path) -> None:
    path = spec.draw(reportkit.result(), tmp_path / f"{spec.key}.png")
    assert path == tmp_path / f"{spec.key}.png"
    _check_png(path)
    assert path.stat().st_size > 20_000  # axes, lines and labels, not an empty canvas


def test_figures_of_a_one_operator_one_replication_run(tmp_path: Path) -> None:
    raw_ops = make_scenario().model_dump(mode="json")["operators"][:1]
    spec = make_scenario(
        **{
            "operators": raw_ops,
            "population.initial_shares": {"A": 1.0},
            "population.size": 300,
            "simulation.months": 3,
        }
    )
    result = run(spec)
    assert result.switching.empty
    for fig in REPORT_FIGURES:
        _check_png(fig.draw(result, tmp_path / f"{fig.key}.png"))


def test_unique_keys_titles_and_captions() -> None:
    assert len({f.key for f in REPORT_FIGURES}) == len(REPORT_FIGURES) == 9
    assert all(f.title and f.what.endswith(".") for f in REPORT_FIGURES)


def test_currency_unit_falls_back() -> None:
    def result(**econ: object) -> Any:
        return SimpleNamespace(scenario=SimpleNamespace(economics=SimpleNamespace(**econ)))

    assert currency_unit(result(currency="CNY")) == "CNY"
    assert currency_unit(result(currency=None)) == "currency"
    assert currency_unit(result(margin=0.5)) == "currency"  # economics without the field
