"""``write_report(run_dir)``: draw the figures, then write report.md and report.html.

Every file is written atomically (:mod:`sim.io`), figures first and ``report.html``
last, so a finished ``report.html`` means the whole report is there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.io import write_text
from sim.report.content import FigureEntry, build_report, figure_entry
from sim.report.figures import REPORT_FIGURES
from sim.report.html import render_html
from sim.report.markdown import render_markdown
from sim.results import RunResult

FIGURE_DIR = "report_figures"  # inside the run folder, beside report.md which links them

# Progress callback: (steps done, steps in all, what is being done now).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReportPaths:
    """The files a report wrote."""

    html: Path
    markdown: Path
    figures: list[Path]

    def moved(self, old: Path, new: Path) -> ReportPaths:
        """The same files once their folder ``old`` is ``new`` (a results folder swapped in)."""
        return ReportPaths(
            html=new / self.html.relative_to(old),
            markdown=new / self.markdown.relative_to(old),
            figures=[new / p.relative_to(old) for p in self.figures],
        )


def write_report(
    run_dir: str | Path,
    result: RunResult | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> ReportPaths:
    """Write the report of the run saved in ``run_dir``.

    Args:
        run_dir: a folder written by ``telsim run`` (or :meth:`RunResult.save`).
        result: the run itself when the caller still holds it (``telsim run``); by
            default it is read back from ``run_dir``.
        progress: called as ``progress(done, total, step)`` before each step.
        now: the report date (default: now).

    Raises:
        UserError: ``run_dir`` is not a whole run folder (the message names the file).
    """
    folder = Path(run_dir)
    if result is None:
        result = RunResult.load(folder)
    specs = [spec for spec in REPORT_FIGURES if spec.wanted(result)]
    total = len(specs) + 1
    entries: list[FigureEntry] = []
    for k, spec in enumerate(specs):
        if progress is not None:
            progress(k, total, f"figure {k + 1}: {spec.title.lower()}")
        path = spec.draw(result, folder / FIGURE_DIR / f"{spec.key}.png")
        entries.append(figure_entry(k + 1, spec, result, path, folder))
    if progress is not None:
        progress(total - 1, total, "report.md, report.html")
    report = build_report(result, result.summary(), entries, now)
    markdown = write_text(folder / "report.md", render_markdown(report))
    html = write_text(folder / "report.html", render_html(report))
    if progress is not None:
        progress(total, total, "done")
    return ReportPaths(html=html, markdown=markdown, figures=[e.path for e in entries])
