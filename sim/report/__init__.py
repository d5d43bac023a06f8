"""The board-ready report of one run: ``report.html`` (self-contained) and ``report.md``.

A title block, the key numbers per operator, eight numbered figures and the full
parameter table, built from a saved run folder by :func:`write_report`.
"""

from sim.report.build import FIGURE_DIR, ReportPaths, write_report

__all__ = ["FIGURE_DIR", "ReportPaths", "write_report"]
