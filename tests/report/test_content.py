"""The report's content: title block, key numbers (checked against the tables), captions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import reportkit

from sim import plots
from sim.report import fmt
from sim.report.content import build_report, facts, figure_entry, key_note, key_numbers
from sim.report.figures import REPORT_FIGURES

NOW = dt.datetime(2030, 5, 6, 7, 8)


@pytest.fixture(scope="module")
def summary() -> dict:
    return reportkit.result().summary()


def test_share_change_and_arpu_match_the_tables(summary: dict) -> None:
    """The summary's new quantities, recomputed here from the operator table."""
    ops = reportkit.result().operators
    for name, row in summary["operators"].items():
        mine = ops[ops["operator"] == name]
        start = mine[mine["month"] == 0].set_index("replication")["share"]
        end = mine[mine["month"] == 12].set_index("replication")["share"]
        change = (end - start.reindex(end.index, fill_value=0.0)).to_numpy()
        assert row["share_change"]["p50"] == pytest.approx(np.median(change))
        flows = mine[mine["month"] >= 1]  # the last 12 months of a 12-month run
        per_rep = flows.groupby("replication")[["revenue", "subscribers"]].sum()
        arpu = (per_rep["revenue"] / per_rep["subscribers"]).to_numpy()
        assert row["arpu"]["p5"] <= row["arpu"]["p50"] <= row["arpu"]["p95"]
        assert row["arpu"]["p50"] == pytest.approx(np.median(arpu))
    assert summary["operators"]["D"]["share_change"]["p50"] > 0  # an entrant starts at 0


def test_key_numbers_rows(summary: dict) -> None:
    table = key_numbers(reportkit.result(), summary)
    assert table.columns[0] == "Operator" and len(table.columns) == 7
    assert table.numeric == [False] + [True] * 6
    assert [r[0] for r in table.rows] == ["Alpha Mobile", "B", "C", "D"]
    alpha = summary["operators"]["A"]
    share = alpha["final_share"]
    assert table.rows[0][1] == (
        f"{100 * share['p50']:.1f} % ({100 * share['p5']:.1f}–{100 * share['p95']:.1f})"
    )
    assert table.rows[0][2] == f"{100 * alpha['share_change']['p50']:+.1f} pp"
    assert table.rows[0][3] == f"{alpha['final_subscribers']['p50']:,.0f}"
    assert table.rows[0][5] == f"{alpha['arpu']['p50']:,.1f}"
    assert table.rows[0][6].startswith(f"{alpha['clv']['p50']:,.0f} (")


def test_title_block() -> None:
    result = reportkit.result()
    rows = dict(facts(result, NOW))
    assert rows["Scenario"] == "report_test"
    assert rows["Months"] == "12 (2009-01 to 2010-01)"
    assert rows["Agents"].startswith("2,000 at month 0")
    assert rows["Represents"].startswith("1,000,000 subscribers at month 0 (500.0 per agent")
    assert rows["Replications"] == "2"
    assert rows["Seed"] == "7"
    assert rows["telsim version"] == result.provenance["version"]
    assert rows["Report date"] == "2030-05-06 07:08"
    assert rows["Scenario SHA-256"] == result.scenario.digest()[:16]


def test_title_block_without_represents_or_provenance() -> None:
    result = reportkit.result()
    bare = type(result)(
        scenario=reportkit.scenario(**{"population.represents": None}),
        operators=result.operators,
        segments=result.segments,
        switching=result.switching,
    )
    rows = dict(facts(bare, NOW))
    assert rows["Represents"] == "not set: counts are agents"
    assert rows["telsim version"] == "unknown"
    assert "Engine" not in rows and "Run date" not in rows


def test_key_note_and_captions(summary: dict, tmp_path: Path) -> None:
    result = reportkit.result()
    note = key_note(result, summary)
    assert "At month 12 (2010-01)" in note and "2 replications" in note
    assert "margin 50 %" in note and "10.0 % a year" in note
    spec = REPORT_FIGURES[0]
    path = spec.draw(result, tmp_path / "shares.png")
    entry = figure_entry(1, spec, result, path, tmp_path)
    assert entry.link == "shares.png"
    assert entry.caption.startswith(spec.what)
    assert entry.caption.endswith(plots.caption_text(result))
    assert "'report_test', 2 replications, 2,000 agents, seed 7" in entry.caption
    report = build_report(result, summary, [entry], NOW)
    assert report.title == "Scenario report: report_test"
    assert report.generator == f"telsim {result.provenance['version']}"
    assert report.key_numbers.rows[1][1] == fmt.pct_band(summary["operators"]["B"]["final_share"])
