"""Sweep figures: heatmap panels on one shared colour scale with one colour bar, cell
numbers large enough to read, and operators by their names rather than their ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sweepkit import small_sweep, write_sweep

from sim.sweep import plots
from sim.sweep.spec import load_sweep

FEE, CBASE = "operators.A.plans.basic.monthly_fee", "behaviour.c_base"


def runs_on_a_grid() -> pd.DataFrame:
    """Two replications of a 3 x 2 grid; A's share far above C's, as in a real market."""
    rows = []
    for fee in (30.0, 50.0, 70.0):
        for c_base in (0.01, 0.05):
            point = len(rows) // 2
            for rep in (0, 1):
                a = 0.6 - fee / 500 + rep / 1000
                rows.append(
                    {
                        "point": point,
                        FEE: fee,
                        CBASE: c_base,
                        "replication": rep,
                        "error": None,
                        "final_share.A": a,
                        "final_share.B": 0.9 - a - 0.1,
                        "final_share.C": 0.1,
                    }
                )
    return pd.DataFrame(rows)


def test_heatmaps_share_one_scale_and_name_operators(tmp_path: Path) -> None:
    raw = small_sweep(
        set={"population.size": 1500, "simulation.months": 8, "operators.A.label": "Alpha Mobile"}
    )
    loaded = load_sweep(write_sweep(tmp_path, raw))
    runs = runs_on_a_grid()
    fig = plots._heatmaps(
        loaded, runs, [FEE, CBASE], ["final_share.A", "final_share.B", "final_share.C"]
    )
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["Alpha Mobile", "B", "C"]
    limits = {ax.images[0].get_clim() for ax in panels}
    assert len(limits) == 1  # one scale: C's 10 % is as light as it is beside A's 48 %
    low, high = limits.pop()
    values = (
        100
        * runs.groupby([CBASE, FEE])[["final_share.A", "final_share.B", "final_share.C"]].median()
    )
    assert np.isclose(low, values.to_numpy().min()) and np.isclose(high, values.to_numpy().max())
    bars = [ax for ax in fig.axes if ax not in panels]  # the one colour bar
    assert len(bars) == 1 and "final market share (%)" in bars[0].get_ylabel()
    cell_texts = [t for ax in panels for t in ax.texts]
    medians = [t for t in cell_texts if not t.get_text().startswith("[")]
    assert len(medians) == 3 * 6
    assert min(t.get_fontsize() for t in medians) >= 9
    assert min(t.get_fontsize() for t in cell_texts) >= 6.5
    assert "One grey scale for all panels" in " ".join(t.get_text() for t in fig.texts)
