"""Reading compare inputs: scenario files and run folders made paired, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_scenario

from sim.compare.inputs import Options, read_inputs
from sim.engine.rng import replication_seed
from sim.errors import UserError
from sim.runner import run
from sim.scenario import dump_yaml

SMALL = {"population.size": 1000, "simulation.replications": 2, "simulation.seed": 11}


def scenario_file(folder: Path, name: str = "s.yaml", **changes: object) -> Path:
    path = folder / name
    path.write_text(dump_yaml(make_scenario(**{**SMALL, **changes})), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved run: seed 11, 2 replications, 12 months."""
    folder = tmp_path_factory.mktemp("run") / "saved"
    run(make_scenario(**SMALL)).save(folder, figures=False)
    return folder


def test_scenarios_share_the_baseline_seed_and_replications(tmp_path: Path) -> None:
    a = scenario_file(tmp_path, "a.yaml")
    b = scenario_file(tmp_path, "b.yaml", **{"simulation.seed": 99, "simulation.replications": 4})
    plan = read_inputs([a, b], Options())
    assert (plan.seed, plan.replications) == (11, 2)
    assert plan.replication_seeds == [replication_seed(11, r) for r in range(2)]
    assert [i.kind for i in plan.inputs] == ["scenario", "scenario"]
    assert [i.label for i in plan.inputs] == ["test", "b"]  # same name: the file stem


def test_options_apply_to_every_scenario(tmp_path: Path) -> None:
    a = scenario_file(tmp_path, "a.yaml")
    opts = Options(
        seed=5,
        replications=3,
        population=1500,
        months=6,
        overrides=["operators.B.brand=0.4"],
    )
    plan = read_inputs([a, a], opts)
    assert (plan.seed, plan.replications) == (5, 3)
    for item in plan.inputs:
        assert item.scenario.population.size == 1500
        assert item.scenario.simulation.months == 6
        assert item.scenario.operators[1].brand == 0.4
    assert [i.label for i in plan.inputs] == ["test", "a"]


def test_vary_changes_the_policies_not_the_baseline(tmp_path: Path) -> None:
    a = scenario_file(tmp_path, "a.yaml")
    plan = read_inputs([a], Options(vary=["operators.A.plans.0.monthly_fee=25"]))
    base, policy = plan.inputs
    assert base.scenario.operators[0].plans[0].monthly_fee == 50
    assert policy.scenario.operators[0].plans[0].monthly_fee == 25
    assert [base.label, policy.label] == ["test", "test_varied"]
    assert plan.notes == ["test_varied: operators.A.plans.0.monthly_fee=25 (--vary)"]


def test_run_folders_set_seed_replications_and_months(run_dir: Path, tmp_path: Path) -> None:
    b = scenario_file(tmp_path, "b.yaml", **{"simulation.seed": 3, "simulation.months": 24})
    plan = read_inputs([run_dir, b], Options())
    assert (plan.seed, plan.replications) == (11, 2)
    assert plan.inputs[0].kind == "run" and plan.inputs[0].result is not None
    assert plan.inputs[1].scenario.simulation.months == 12
    assert [i.label for i in plan.inputs] == ["test", "b"]


def test_run_folder_with_other_seed_is_refused(run_dir: Path, tmp_path: Path) -> None:
    b = scenario_file(tmp_path, "b.yaml")
    with pytest.raises(UserError, match=f"{run_dir}: made with seed 11 .* would not be paired"):
        read_inputs([b, run_dir], Options(seed=12))
    with pytest.raises(UserError, match="expected a run made with --seed 11 --replications 3"):
        read_inputs([run_dir, b], Options(replications=3))


def test_run_folder_of_other_length_is_refused(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="ran 12 months, but 6 are compared"):
        read_inputs([run_dir, scenario_file(tmp_path)], Options(months=6))


def test_scenarios_of_different_length_need_months(tmp_path: Path) -> None:
    a = scenario_file(tmp_path, "a.yaml")
    b = scenario_file(tmp_path, "b.yaml", **{"simulation.months": 24})
    with pytest.raises(UserError, match=r"b.yaml: simulation.months is 24.*pass --months"):
        read_inputs([a, b], Options())
    assert read_inputs([a, b], Options(months=12)).inputs[1].scenario.simulation.months == 12


def test_one_input_without_vary_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"two or more .* got one"):
        read_inputs([scenario_file(tmp_path)], Options())


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nope.yaml: no such scenario file or run folder"):
        read_inputs([scenario_file(tmp_path), tmp_path / "nope.yaml"], Options())


def test_folder_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"empty: not a telsim run folder: missing .*summary.json"):
        read_inputs([scenario_file(tmp_path), tmp_path / "empty"], Options())


def test_file_that_is_not_a_scenario_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just: words\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"notes.txt"):
        read_inputs([scenario_file(tmp_path), bad], Options())


def test_damaged_run_folder_is_refused(run_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in run_dir.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "operators.parquet").write_bytes(b"not parquet")
    with pytest.raises(UserError, match=r"operators.parquet: not a readable Parquet table"):
        read_inputs([run_dir, broken], Options())


def test_scenario_options_with_only_run_folders_are_refused(run_dir: Path) -> None:
    with pytest.raises(UserError, match="--population: every input is a run folder"):
        read_inputs([run_dir, run_dir], Options(population=500))
    plan = read_inputs([run_dir, run_dir], Options())
    assert [i.label for i in plan.inputs] == ["test", "saved"]


def test_one_replication_is_refused_before_running(tmp_path: Path) -> None:
    a = scenario_file(tmp_path, "a.yaml", **{"simulation.replications": 1})
    with pytest.raises(UserError, match=r"a.yaml: 1 replication; paired intervals need at least 2"):
        read_inputs([a, a], Options())


def test_bad_vary_path_names_vary(tmp_path: Path) -> None:
    a = scenario_file(tmp_path, "a.yaml")
    with pytest.raises(UserError, match=r"^--vary operators.A.fee: unknown field"):
        read_inputs([a], Options(vary=["operators.A.fee=3"]))
