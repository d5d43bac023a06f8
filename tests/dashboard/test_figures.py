"""Panels: built once, updated in place each month, saved as SVG that shows the data."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from sim.dashboard import figures, metrics
from sim.dashboard.components import graph_panel
from sim.dashboard.model import DashboardModel

PANELS = [figures.SharesPanel, figures.ChurnPanel, figures.FlowsPanel, figures.AttachmentPanel]


@pytest.fixture()
def model() -> DashboardModel:
    return DashboardModel(make_scenario(population__size=2000, population__represents=2e6))


@pytest.mark.parametrize("make", PANELS)
def test_every_panel_draws_month_0_and_later_months(model: DashboardModel, make) -> None:
    panel = make(model)
    first = panel.svg()
    assert first.startswith(b"<?xml") and b"</svg>" in first
    assert b"month 0 of 12" in first  # the caption names the run and the month
    assert b"Scenario &#x27;test&#x27;" in first or b"Scenario 'test'" in first
    for _ in range(3):
        model.step()
    later = panel.svg()
    assert b"month 3 of 12" in later and later != first


def test_lines_carry_the_series(model: DashboardModel) -> None:
    shares, churn = figures.SharesPanel(model), figures.ChurnPanel(model)
    for _ in range(4):
        model.step()
    shares.update()
    churn.update()
    for j, line in enumerate(shares.lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(5))
        np.testing.assert_allclose(line.get_ydata(), 100 * metrics.shares(model)[:, j])
    for j, line in enumerate(churn.lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 5))
        np.testing.assert_allclose(line.get_ydata(), 100 * metrics.churn(model)[:, j])
    assert not churn.hint.get_visible()


def test_flows_and_lockin_show_the_current_month(model: DashboardModel) -> None:
    flows, attachment = figures.FlowsPanel(model), figures.AttachmentPanel(model)
    for _ in range(2):
        model.step()
    flows.update()
    attachment.update()
    matrix = metrics.last_flows(model)
    np.testing.assert_array_equal(flows.image.get_array(), matrix)
    assert flows.texts[0][1].get_text() == figures.human(matrix[0, 1])
    assert flows.texts[1][1].get_text() == "-"
    assert flows.title.get_text() == "Switching in month 2 (2009-03)"
    now = metrics.attachment(model)
    heights = [[rect.get_height() for rect in bars] for bars in attachment.bars]
    np.testing.assert_allclose(heights, [now.economic, now.knowledge, now.emotional])
    assert attachment.values[1][0].get_text() == f"{now.knowledge[0]:.2g}"


def test_graph_panel_marks_every_sampled_subscriber_by_operator(model: DashboardModel) -> None:
    panel = graph_panel(model)
    first, key = panel.svg(), panel.key()
    assert b"1 replication (replication 0), 2,000 agents, seed 7." in first
    for _ in range(12):
        model.step()
        ops = model.state.operator[panel.sample.nodes]
        # a new picture exactly when someone in the sample has switched
        assert (panel.key() != key) == (ops.tobytes() != key)
    assert panel.key() != key  # over a year, someone in the sample switches
    panel.update()
    counts = [len(points.get_offsets()) for points in panel.points]
    assert sum(counts) == panel.sample.nodes.size
    ops = model.state.operator[panel.sample.nodes]
    assert counts == [int((ops == j).sum()) for j in range(3)]
    assert panel.legend.get_texts()[0].get_text() == f"A ({counts[0]})"


def test_human_counts() -> None:
    assert [figures.human(x) for x in (12, 1234, 2.5e6, 3e9)] == ["12", "1.2k", "2.5M", "3.0bn"]
