"""Figure text: Chinese labels get real glyphs, short runs get month ticks, bands say n."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.dates as mdates
import pytest
from conftest import make_scenario
from matplotlib.backends.backend_agg import FigureCanvasAgg

from sim import plots
from sim.runner import run


@pytest.fixture(scope="module")
def chinese_one_month():
    spec = make_scenario(
        **{
            "population.size": 300,
            "simulation.months": 1,
            "simulation.replications": 2,
            "operators.A.label": "中国移动",
            "operators.B.label": "中国联通",
        }
    )
    return run(spec)


def _capture(monkeypatch: pytest.MonkeyPatch) -> list:
    figures = []
    real = plots.save_figure

    def keep(fig, path, currency=None):
        figures.append(fig)
        return real(fig, path, currency) if currency else real(fig, path)

    monkeypatch.setattr(plots, "save_figure", keep)
    return figures


def test_chinese_labels_render_without_missing_glyphs(chinese_one_month, tmp_path: Path) -> None:
    """Issue 16: Chinese operator labels rendered as empty boxes."""
    assert plots.cjk_family() is not None  # the packaged Noto Sans CJK is installed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for draw in (plots.shares_figure, plots.switching_figure):
            draw(chinese_one_month, tmp_path / f"{draw.__name__}.png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []


def test_one_month_run_has_month_ticks(
    chinese_one_month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: a one-month run's date axis showed overlapping daily ticks."""
    figures = _capture(monkeypatch)
    plots.shares_figure(chinese_one_month, tmp_path / "shares.png")
    (fig,) = figures
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    dates = [mdates.num2date(t) for t in ticks]
    assert 2 <= len(dates) <= 3 and all(d.day == 1 for d in dates), dates


def test_bands_say_how_many_replications(
    chinese_one_month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: "5–95 %" bands from 3 replications looked more certain than they are."""
    figures = _capture(monkeypatch)
    plots.churn_figure(chinese_one_month, tmp_path / "churn.png")
    texts = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    assert "5–95 % band, 2 replications (few: rough)" in texts
    caption = plots.caption_text(chinese_one_month)
    assert "across the 2 replications" in caption and "Few replications" in caption


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("revenue (currency)", "revenue (CNY)"),
        ("monthly_fee (currency/month)", "monthly_fee (CNY/month)"),
        ("revenue (M currency units)", "revenue (M CNY)"),
        ("CLV (currency per subscriber)", "CLV (CNY per subscriber)"),
        ("Money in the scenario's currency, scaled", "Money in the scenario's currency, scaled"),
    ],
)
def test_currency_unit_named(text: str, shown: str) -> None:
    """Issue 16: compare and sweep figures said "(currency)" although the scenario sets CNY."""
    assert plots.with_currency(text, "CNY") == shown
    assert plots.with_currency(text, None) == text


def test_every_text_of_a_saved_figure_names_the_currency(tmp_path: Path) -> None:
    fig, ax = plots.new_figure(figsize=(4, 3))
    ax.set_ylabel("revenue (M currency units)")
    ax.set_xlabel("fee (currency/month)")
    plots.save_figure(fig, tmp_path / "f.png", currency="CNY")
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("revenue (M CNY)", "fee (CNY/month)")
