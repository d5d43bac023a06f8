"""Panels: built once, the static part drawn once, only the moving artists each month;
the PNG shows the same pixels as a full redraw."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import make_scenario
from PIL import Image

from sim.dashboard import figures, metrics
from sim.dashboard.components import graph_panel
from sim.dashboard.model import DashboardModel
from sim.dashboard.png import encode_rgba

PANELS = [figures.SharesPanel, figures.ChurnPanel, figures.FlowsPanel, figures.AttachmentPanel]


@pytest.fixture()
def model() -> DashboardModel:
    return DashboardModel(make_scenario(population__size=2000, population__represents=2e6))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("make", PANELS)
def test_every_panel_draws_month_0_and_later_months(model: DashboardModel, make) -> None:
    panel = make(model)
    first = panel.picture()
    assert first.startswith(b"\x89PNG")
    assert pixels(first).shape == (288, 512, 3)  # 6.4 x 3.6 inches at 80 dpi
    assert panel._caption.get_text() == (
        "Scenario 'test', 1 replication (replication 0), 2,000 agents, seed 7."
    )
    assert figures.month_label(model) == "month 0 of 12 (2009-01)"
    for _ in range(3):
        model.step()
    later = panel.picture()
    assert figures.month_label(model) == "month 3 of 12 (2009-04)" and later != first


@pytest.mark.parametrize("make", [*PANELS, graph_panel])
def test_a_month_redraws_only_what_moves_yet_shows_a_full_redraw(
    model: DashboardModel, make
) -> None:
    """Blitting draws the static part once; the picture equals a full draw of the figure."""
    panel = make(model)
    panel.picture()
    for _ in range(6):
        model.step()
        blitted = pixels(panel.picture())
    assert panel.full_draws < 7  # the axes are not drawn again every month
    if make is figures.AttachmentPanel:  # satisfaction's limits grew, lock-in's held:
        assert panel.full_draws == 1 and panel.axes_draws > 0  # that axes drawn alone
    for artist in panel._moving:
        artist.set_animated(False)
    panel.canvas.draw()  # everything, in z-order, from scratch
    full = pixels(encode_rgba(np.asarray(panel.canvas.buffer_rgba())))
    # moving artists are drawn over the static ones rather than in z-order, so a few
    # anti-aliased pixels where a line crosses a grid line differ (0 to 15 of 147,456)
    differ = np.abs(blitted - full).max(axis=2) > 60
    assert differ.sum() < 100


def test_limits_grow_on_tick_steps_and_then_hold() -> None:
    assert figures.nice_limits(20.3, 64.8, floor0=False) == (20.0, 70.0)
    assert figures.nice_limits(0.2, 1.3, floor0=True) == pytest.approx((0.0, 1.5))
    keep = (20.0, 70.0)
    assert figures.nice_limits(25.0, 69.0, floor0=False, keep=keep) == keep  # fits: held
    low, high = figures.nice_limits(25.0, 75.0, floor0=False, keep=keep)
    assert low <= 20.0 and high >= 75.0 + 0.25 * 55  # grew, with room to spare
    assert [figures.scale_top(x) for x in (0, 0.3, 1, 1.5, 2.1, 730, 5e6)] == [
        1.0,
        0.5,
        1.0,
        2.0,
        5.0,
        1000.0,
        5e6,
    ]


def test_png_encoder_round_trips() -> None:
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, size=(7, 11, 4), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_rgba(rgba))))
    assert decoded.shape == (7, 11, 3)
    np.testing.assert_array_equal(decoded, rgba[:, :, :3])


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
    shown = flows.image.get_array()
    np.testing.assert_array_equal(shown.data, matrix)
    assert shown.mask.diagonal().all() and shown.mask.sum() == 3  # the static "-" shows
    assert flows.texts[0][1].get_text() == figures.human(matrix[0, 1])
    assert flows.texts[1][1].get_text() == "-"
    assert flows.image.get_clim()[1] == figures.scale_top(matrix.max())
    assert not flows.hint.get_visible()
    now = metrics.attachment(model)
    heights = [[rect.get_height() for rect in bars] for bars in attachment.bars]
    np.testing.assert_allclose(heights, [now.economic, now.knowledge, now.emotional])
    assert attachment.values[1][0].get_text() == f"{now.knowledge[0]:.2g}"


def test_graph_panel_marks_every_sampled_subscriber_by_operator(model: DashboardModel) -> None:
    panel = graph_panel(model)
    panel.picture()
    key = panel.key()
    assert panel._caption.get_text().endswith(
        "1 replication (replication 0), 2,000 agents, seed 7."
    )
    assert not panel.dated  # the sample's picture does not change with the month
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
