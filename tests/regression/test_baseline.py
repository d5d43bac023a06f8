"""The default scenario's key numbers have not moved (see tests/regression/baseline.py)."""

from __future__ import annotations

import json

from baseline import BASELINE, differences, key_numbers


def test_default_scenario_matches_the_committed_baseline():
    moved = differences(json.loads(BASELINE.read_text()), key_numbers())
    assert not moved, (
        "the default scenario's key numbers moved; if the model change is intended, run "
        "`make baseline` and commit baseline.json with it:\n" + "\n".join(moved[:20])
    )


def test_differences_sees_a_moved_count_and_a_moved_float():
    base = {"months": {"12": {"A": {"subscribers": 10, "revenue": 100.0}}}}
    same = {"months": {"12": {"A": {"subscribers": 10, "revenue": 100.0 + 1e-12}}}}
    moved = {"months": {"12": {"A": {"subscribers": 11, "revenue": 100.1}}}}
    assert differences(base, same) == []
    assert len(differences(base, moved)) == 2
