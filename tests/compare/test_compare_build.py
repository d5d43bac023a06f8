"""End to end in Python: run, compare, save; saved run folders give the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_scenario

from sim.compare import Comparison, Options, compare, default_out, save
from sim.compare.build import to_json
from sim.scenario import dump_yaml

OPTIONS = Options(replications=3, population=1500, months=10)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Comparison, Path]:
    folder = tmp_path_factory.mktemp("cmp")
    base = folder / "base.yaml"
    base.write_text(dump_yaml(make_scenario()), encoding="utf-8")
    policy = folder / "cheap_a.yaml"
    policy.write_text(
        dump_yaml(make_scenario(**{"name": "cheap_a", "operators.A.plans.0.monthly_fee": 30.0})),
        encoding="utf-8",
    )
    comparison = compare([base, policy], OPTIONS)
    out = folder / "out"
    save(comparison, out, figures=False)
    return comparison, out


def test_writes_tables_json_and_run_folders(saved: tuple[Comparison, Path]) -> None:
    comparison, out = saved
    for name in ("comparison.md", "comparison.csv", "comparison.json"):
        assert (out / name).stat().st_size > 0
    for label in ("test", "cheap_a"):
        assert (out / "runs" / label / "summary.json").is_file()
    assert not (out / "overlay.png").exists()  # figures=False
    labels = [comparison.baseline.label, *(p.label for p in comparison.policies)]
    assert default_out(labels) == Path("results/compare_test_vs_cheap_a")


def test_csv_is_in_display_units(saved: tuple[Comparison, Path]) -> None:
    comparison, out = saved
    csv = pd.read_csv(out / "comparison.csv")
    assert len(csv) == len(comparison.table)
    share = csv[(csv.metric == "final_share") & (csv.operator == "A")].iloc[0]
    raw = comparison.table
    raw_share = raw[(raw.metric == "final_share") & (raw.operator == "A")].iloc[0]
    assert share["unit"] == "%" and share["difference_unit"] == "pp"
    assert share["difference"] == pytest.approx(100 * raw_share["difference"])
    assert share["baseline"] == "test" and share["policy"] == "cheap_a"


def test_json_has_pairing_rows_and_every_replication(saved: tuple[Comparison, Path]) -> None:
    comparison, out = saved
    data = json.loads((out / "comparison.json").read_text())
    assert data == json.loads(json.dumps(to_json(comparison)))
    assert data["baseline"] == "test" and data["policies"] == ["cheap_a"]
    assert data["replications"] == 3 and data["months"] == 10
    assert len(data["replication_seeds"]) == 3
    assert [i["kind"] for i in data["inputs"]] == ["scenario", "scenario"]
    assert len(data["per_replication"]["cheap_a"]["final_share"]["A"]) == 3
    assert len(data["rows"]) == len(comparison.table)


def test_markdown_is_a_slide_table(saved: tuple[Comparison, Path]) -> None:
    comparison, out = saved
    text = (out / "comparison.md").read_text()
    table_rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table_rows) == 1 + len(comparison.table)  # header + one per row
    assert "95 % paired CI" in table_rows[0]
    assert "3 paired replications" in text


def test_run_folders_give_the_same_numbers_as_scenarios(saved: tuple[Comparison, Path]) -> None:
    comparison, out = saved
    again = compare([out / "runs" / "test", out / "runs" / "cheap_a"], Options())
    assert [p.kind for p in [again.baseline, *again.policies]] == ["run", "run"]
    pd.testing.assert_frame_equal(again.table, comparison.table)


def test_mixed_inputs_give_the_same_numbers(saved: tuple[Comparison, Path]) -> None:
    comparison, out = saved
    # The scenario input is run again here with the run folder's seed and length.
    scenario = out / "runs" / "cheap_a" / "scenario.yaml"
    again = compare([out / "runs" / "test", scenario], Options())
    assert again.policies[0].kind == "scenario"
    pd.testing.assert_frame_equal(
        again.table.drop(columns="policy"), comparison.table.drop(columns="policy")
    )
