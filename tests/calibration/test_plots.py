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


def test_the_posterior_marks_the_value_the_scenario_carries(tmp_path, monkeypatch):
    """The China file's scenario ships the CMA-ES fit: each panel shows where it lies."""
    import numpy as np
    import pandas as pd

    from sim.calibration import plots
    from sim.calibration.targets import load_calibration, scenario_values

    cal = load_calibration("calibration/china_3g_2009_2012.yaml")
    params = [p.for_abc() for p in cal.spec.parameters]
    rng = np.random.default_rng(1)
    posterior = pd.DataFrame({p.name: rng.uniform(p.low, p.high, 50) for p in params})
    posterior["weight"] = 1.0 / 50
    best = {p.name: float(posterior[p.name].iloc[0]) for p in params}
    shown = {}
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: shown.setdefault("fig", fig))
    plots.posterior_figure(cal, posterior, best, tmp_path / "p.png", "caption")
    carried = scenario_values(cal.scenario, cal.spec.parameters)
    for ax, p in zip(shown["fig"].axes, params, strict=False):
        dotted = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert dotted == ([carried[p.name]] if p.low <= carried[p.name] <= p.high else [])
    plt.close(shown["fig"])
