"""Targets files: moments from CSV with a column mapping, and clear errors for bad input.

Every error is one UserError naming the file, the field and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from calkit import write_calibration, write_yaml

from sim.calibration.targets import apply_parameters, load_calibration
from sim.errors import UserError


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = write_calibration(tmp_path_factory.mktemp("targets"))
    return path.parent


def _variant(folder: Path, tmp_path: Path, change) -> Path:
    """The module's targets file with ``change`` applied, beside the same data."""
    import yaml

    raw = yaml.safe_load((folder / "targets.yaml").read_text())
    change(raw)
    for name in ("scenario.yaml", "market.csv", "panel.csv", "satisfaction.csv"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    return write_yaml(tmp_path / "targets.yaml", raw)


def _error(path: Path, *fragments: str, **kwargs) -> str:
    with pytest.raises(UserError) as info:
        load_calibration(path, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "\n" not in message.strip() or message.count(str(path)) >= 1
    return message


def test_moments_follow_the_declared_column_mapping(folder):
    cal = load_calibration(folder / "targets.yaml")
    by_target = {}
    for m in cal.moments:
        by_target.setdefault(m.target, []).append(m)
    assert [m.label for m in by_target["shares"]] == [
        "A, 2009-04",
        "B, 2009-04",
        "C, 2009-04",
        "A, 2009-07",
        "B, 2009-07",
        "C, 2009-07",
    ]
    assert all(m.se == 0.01 for m in by_target["shares"])  # the target's se: the CSV has none
    assert [m.month for m in by_target["churn"]] == [1, 2, 3, 4, 5, 6]
    assert all(m.se == 0.004 for m in by_target["churn"])  # from the se column
    intention = by_target["intention"][0]
    assert intention.by == "operator" and intention.group == "A" and intention.survey == "panel"
    p = min(max(intention.observed, 0.0), 1.0)
    assert 0 < intention.se < 0.5 and intention.se == pytest.approx(
        ((p * 300 / 3 + 0.5) / (300 / 3 + 1)) ** 0.5, rel=1.0
    )


def test_parameters_are_written_to_their_paths_and_scaled(folder):
    cal = load_calibration(folder / "targets.yaml")
    sc = apply_parameters(cal.scenario, cal.spec.parameters, {"c_base": 0.11, "beta_price": -1.0})
    assert sc.behaviour.c_base == 0.11 and sc.behaviour.beta_price == -1.0
    from sim.calibration.targets import Parameter

    fee = Parameter(
        name="fees",
        paths=["operators.A.plans.0.monthly_fee", "operators.B.plans.0.monthly_fee"],
        low=0.5,
        high=2.0,
        scale=True,
    )
    sc = apply_parameters(cal.scenario, [fee], {"fees": 2.0})
    assert (
        sc.operators[0].plans[0].monthly_fee == 100.0
        and sc.operators[1].plans[0].monthly_fee == 90.0
    )


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda r: r["parameters"][0].update(low=1.0, high=0.5),
            ["parameters", "low must be below high"],
        ),
        (
            lambda r: r["parameters"][0].update(path="behaviour.c_bse"),
            ["parameters[c_base].path", "c_bse", "not a scenario field"],
        ),
        (
            lambda r: r["parameters"][0].update(high=5.0),
            ["parameters[c_base]", "does not accept the bound 5.0", "behaviour.c_base"],
        ),
        (
            lambda r: r["targets"][2]["statistic"].update(survey="pannel"),
            ["targets[intention].statistic.survey", "unknown survey 'pannel'", "panel"],
        ),
        (
            lambda r: r["data"]["market"]["columns"].update(value="shares"),
            ["data.market.columns.value", "no column 'shares'", "market.csv"],
        ),
        (
            lambda r: r["data"]["market"].update(file="nope.csv"),
            ["data.market.file", "file not found"],
        ),
        (
            lambda r: r["targets"][0].pop("se"),
            ["targets[shares]", "no uncertainty", "expected an se column"],
        ),
        (
            lambda r: r["surveys"][0].update(months=[3, 9]),
            ["surveys[panel].months", "expected months in 0..6", "9"],
        ),
        (
            lambda r: r["targets"][0].update(observed={"value": 0.3, "se": 0.1}),
            ["targets[shares]", "exactly one of data or observed"],
        ),
        (
            lambda r: r["targets"][1]["statistic"].update(kind="churned", survey="panel", by=None),
            ["targets[churn]", "not a wave of survey panel"],
        ),
        (
            lambda r: r["targets"][3]["statistic"].update(kind="volume"),
            ["targets[satisfaction].statistic.kind", "Input should be"],
        ),
        (lambda r: r.update(scenario="missing.yaml"), ["scenario: file not found", "missing.yaml"]),
        (lambda r: r.update(extra_field=1), ["extra_field", "Extra inputs are not permitted"]),
        (lambda r: r["settings"].update(batch=0), ["settings.batch", "greater than or equal to 1"]),
    ],
)
def test_bad_targets_files_give_one_clear_message(folder, tmp_path, change, fragments):
    path = _variant(folder, tmp_path, change)
    message = _error(path, *fragments)
    assert str(path) in message


def test_a_market_statistic_outside_the_run_is_refused(folder, tmp_path):
    def late(raw):
        raw["targets"][0] = {
            "name": "late",
            "statistic": {"kind": "share", "operator": "A"},
            "observed": {"value": 0.5, "se": 0.01},
            "month": 9,
        }

    _error(_variant(folder, tmp_path, late), "targets[late]", "month 9 is outside the run", "0..6")


def test_a_bad_override_and_a_missing_file_are_user_errors(folder, tmp_path):
    _error(folder / "targets.yaml", "c_bse", overrides=["behaviour.c_bse=0.1"])
    with pytest.raises(UserError, match="targets file not found"):
        load_calibration(tmp_path / "nothing.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_calibration(tmp_path / "bad.yaml")


def test_the_digest_ignores_the_trial_budget_but_not_the_seed(folder):
    base = load_calibration(folder / "targets.yaml")
    more = load_calibration(folder / "targets.yaml", settings={"trials": 99})
    other = load_calibration(folder / "targets.yaml", settings={"seed": 6})
    assert base.digest() == more.digest() != other.digest()
