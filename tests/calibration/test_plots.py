"""Calibration figures: axes a reader can read."""

import matplotlib.pyplot as plt
import pytest

from sim.calibration.plots import log_axis


@pytest.mark.parametrize(("low", "high"), [(0.007, 0.015), (0.01, 0.0195), (0.264, 0.494)])
def test_a_log_axis_within_a_decade_has_a_few_plain_labels(low, high):
    fig, ax = plt.subplots()
    ax.plot([low, high], [0, 1])
    log_axis(ax.xaxis, low, high)
    ax.set_xlim(low, high)
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]
    minor = [t.get_text() for t in ax.get_xticklabels(minor=True) if t.get_text()]
    plt.close(fig)
    assert 2 <= len(shown) <= 5 and not minor
    assert all(low <= float(t) <= high for t in shown)  # plain numbers, not 10^x


def test_a_log_axis_over_decades_labels_the_decades_only():
    fig, ax = plt.subplots()
    ax.plot([1e-4, 0.03], [0, 1])
    log_axis(ax.xaxis, 1e-4, 0.03)
    ax.set_xlim(1e-4, 0.03)
    fig.canvas.draw()
    minor = [t.get_text() for t in ax.get_xticklabels(minor=True) if t.get_text()]
    plt.close(fig)
    assert not minor
