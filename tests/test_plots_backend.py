"""Importing telsim's figure modules, and drawing with them, never switches matplotlib's
backend: a notebook keeps its own, and PNGs are written whatever the backend is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = (
    "sim.plots",
    "sim.sweep.plots",
    "sim.compare.figures",
    "sim.calibration.plots",
    "sim.report.figures",
    "sim.dashboard.figures",
)

DRAW = f"""
import sys
import matplotlib
matplotlib.use("svg")  # a user's choice, not Agg
import {", ".join(MODULES)}
from sim.plots import new_figure, save_figure
after_import = matplotlib.get_backend()
fig, ax = new_figure(figsize=(2, 2))
ax.plot([0, 1], [1, 0])
save_figure(fig, __import__("pathlib").Path(sys.argv[1]))
print(after_import, matplotlib.get_backend())
"""


def test_figure_modules_leave_the_backend_alone(tmp_path: Path) -> None:
    png = tmp_path / "line.png"
    done = subprocess.run(
        [sys.executable, "-c", DRAW, str(png)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["svg", "svg"]
    assert png.read_bytes().startswith(b"\x89PNG")
