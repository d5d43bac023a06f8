"""Sweep files: valid ones load with their base scenario; every mistake is one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweepkit import small_sweep, write_sweep

from sim.errors import UserError
from sim.sweep.designs import expected_points, make_design
from sim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_sweep_files_load(path: Path) -> None:
    loaded = load_sweep(path)
    assert loaded.scenario.name == "china_3g_2009"
    assert len(make_design(loaded.spec)) == expected_points(loaded.spec) > 1


def test_examples_cover_the_issue() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"subsidy_vs_price", "sobol_lockin"} <= names
    assert load_sweep(ROOT / "scenarios/sweeps/sobol_lockin.yaml").spec.design.kind == "saltelli"


def test_set_samples_and_replications_shrink_a_sweep(tmp_path: Path) -> None:
    path = write_sweep(tmp_path)
    full = load_sweep(path)
    quick = load_sweep(path, ["population.size=500"], samples=2, replications=1)
    assert quick.scenario.population.size == 500
    assert full.scenario.population.size == 1500  # the file's own set
    assert quick.spec.replications == 1
    assert expected_points(full.spec) == 6 and expected_points(quick.spec) == 4
    assert quick.fingerprint() != full.fingerprint()
    assert load_sweep(path).fingerprint() == full.fingerprint()


def message(tmp_path: Path, **changes: object) -> str:
    path = write_sweep(tmp_path, small_sweep(**changes))
    with pytest.raises(UserError) as info:
        load_sweep(path)
    text = str(info.value)
    assert str(path) in text
    assert len(text.splitlines()) == 1, text
    return text


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        ({"replication": 2}, ["replication", "Extra inputs are not permitted"]),
        (
            {"parameters": {"behaviour.c_base": {"uniform": [0, 1], "choices": [1]}}},
            ["parameters[behaviour.c_base]", "exactly one of"],
        ),
        (
            {"parameters": {"behaviour.c_base": {"uniform": [0.5, 0.1]}}},
            ["parameters[behaviour.c_base]", "low < high"],
        ),
        (
            {"parameters": {"behaviour.nope": [1, 2]}},
            ["parameters[behaviour.nope]", "unknown field"],
        ),
        (
            {"parameters": {"operators.A.plans.basic.monthly_fee": {"uniform": [-10, 50]}}},
            [
                "parameters[operators.A.plans.basic.monthly_fee] = -10.0",
                "greater than or equal to 0",
            ],
        ),
        (
            {"metrics": ["final_share", "churn"]},
            ["metrics", "unknown metric 'churn'", "final_share"],
        ),
        ({"metrics": [{"column": "nope"}]}, ["metrics[0].column", "unknown column 'nope'", "arpu"]),
        (
            {"metrics": [{"column": "arpu", "month": 99}]},
            ["metrics[0].month", "after the last month 8"],
        ),
        ({"design": {"kind": "sobol"}}, ["design", "samples: required"]),
        ({"design": {"kind": "morris", "samples": 2, "levels": 5}}, ["even number"]),
        ({"design": {"kind": "anneal"}}, ["design.kind", "'grid'"]),
        ({"base": "missing.yaml"}, ["base", "missing.yaml", "not found"]),
        ({"set": {"population.sise": 10}}, ["set", "population.sise", "unknown field"]),
    ],
)
def test_mistakes_name_file_field_and_expectation(
    tmp_path: Path, changes: dict, fragments: list[str]
) -> None:
    text = message(tmp_path, **changes)
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="sweep file not found"):
        load_sweep(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.yaml: line \d+, column \d+: not valid YAML"):
        load_sweep(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(UserError, match="expected a mapping"):
        load_sweep(bad)


def test_bad_samples_option_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--samples/--replications: replications"):
        load_sweep(write_sweep(tmp_path), replications=0)
