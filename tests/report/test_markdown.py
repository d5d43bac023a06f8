"""report.md: title block, key-numbers table, numbered figures, escaped parameter table."""

from __future__ import annotations

import datetime as dt

import pytest
import reportkit

from sim.report.content import build_report, figure_entry
from sim.report.figures import REPORT_FIGURES
from sim.report.markdown import cell, render_markdown


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("md")
    result = reportkit.result()
    entries = [
        figure_entry(
            k + 1, spec, result, spec.draw(result, folder / "figs" / f"{spec.key}.png"), folder
        )
        for k, spec in enumerate(f for f in REPORT_FIGURES if f.key in ("shares", "churn"))
    ]
    report = build_report(result, result.summary(), entries, dt.datetime(2030, 1, 2))
    return render_markdown(report)


def _pipes(line: str) -> int:
    return line.replace("\\|", "").count("|")


def test_sections_in_order(text: str) -> None:
    heads = [line for line in text.splitlines() if line.startswith("#")]
    assert heads == [
        "# Scenario report: report_test",
        "## Summary",
        "## How far to trust these numbers",
        "## Key numbers",
        "## Churn",
        "## About this run",
        "## Figures",
        "### Figure 1. Market share",
        "### Figure 2. Monthly churn by operator",
        "## Parameters",
    ]
    assert "A small market | with a pipe, for the report tests." in text  # prose keeps it


def test_figures_link_relative_pngs_with_numbered_captions(text: str) -> None:
    assert "![Figure 1. Market share](figs/shares.png)" in text
    assert "![Figure 2. Monthly churn by operator](figs/churn.png)" in text
    captions = [line for line in text.splitlines() if line.startswith("*Figure ")]
    assert [c.split(".")[0] for c in captions] == ["*Figure 1", "*Figure 2"]
    assert all("'report_test', 2 replications" in c for c in captions)


def test_every_table_row_has_its_columns(text: str) -> None:
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            assert len({_pipes(row) for row in block}) == 1, block[:3]
            block = []
    params = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(params) > 100
    assert "| `description` | A small market \\| with a pipe, for the report tests. |" in text


def test_cell_escapes_pipes_and_newlines() -> None:
    assert cell("a | b\nc") == "a \\| b c"
