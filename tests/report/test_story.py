"""The executive summary: generated from the tables, its accounting exact, its words checked."""

from __future__ import annotations

import pytest
import reportkit
from conftest import make_scenario

from sim import run
from sim.report import fmt
from sim.report.story import (
    executive_summary,
    operator_flows,
    outcome_sentence,
    pair_flows,
    uncertainty_sentence,
)


def test_flows_account_for_every_subscriber() -> None:
    """No disconnections: end = start + newcomers + net switching, for every operator."""
    flows = operator_flows(reportkit.result())
    assert set(flows) == {"A", "B", "C", "D"}
    for f in flows.values():
        assert f.end == pytest.approx(f.start + f.newcomers + f.net_switching, rel=1e-9)
    assert flows["D"].start == 0 and flows["D"].end > 0  # the entrant


def test_pair_flows_are_net_and_positive() -> None:
    pairs = pair_flows(reportkit.result())
    assert (pairs > 0).all()
    assert not any((b, a) in pairs.index for a, b in pairs.index)


def test_outcome_names_winners_and_losers_with_their_numbers() -> None:
    result = reportkit.result()
    summary = result.summary()
    text = outcome_sentence(result, summary)
    rows = summary["operators"]
    best = max(rows, key=lambda n: rows[n]["share_change"]["p50"])
    label = {"A": "Alpha Mobile"}.get(best, best)
    assert f"{label} rose" in text
    assert fmt.points(rows[best]["share_change"]["p50"]) in text
    assert "Alpha Mobile" in text  # display names, not ids


def test_summary_paragraphs_say_who_why_and_how_sure() -> None:
    result = reportkit.result()
    paragraphs = executive_summary(result, result.summary())
    assert len(paragraphs) == 4
    text = " ".join(paragraphs)
    assert "newcomers" in text and "switchers" in text
    assert "came mainly from" in text
    assert "differences, not causes" in text
    assert "2 replications" in text and "rough" in text


def test_one_replication_says_there_is_no_band() -> None:
    result = run(make_scenario(**{"population.size": 300, "simulation.months": 3}))
    assert "one replication" in uncertainty_sentence(result, result.summary())
