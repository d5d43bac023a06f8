"""Scenario files: loading, defaults, YAML round trip, dotted overrides, errors, JSON Schema."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from sim.errors import UserError
from sim.scenario import (
    Retention,
    Scenario,
    apply_overrides,
    dump_yaml,
    json_schema,
    load_scenario,
    validate_scenario,
    with_months,
    with_overrides,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"


@pytest.fixture(scope="module")
def spec() -> Scenario:
    return load_scenario(DEFAULT)


@pytest.fixture
def raw() -> dict[str, Any]:
    """The default scenario as the plain mapping its YAML file holds."""
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: Any, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_error(tmp_path: Path, raw: dict[str, Any], mutate: Callable[[dict[str, Any]], Any]) -> str:
    """Write ``raw`` changed by ``mutate`` to a file; loading it must fail: the message."""
    data = copy.deepcopy(raw)
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(UserError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "Traceback" not in message
    return message


# --------------------------------------------------------------------------- loading
def test_default_scenario_loads(spec: Scenario) -> None:
    assert spec.name == "china_3g_2009"
    assert [o.name for o in spec.operators] == ["Mobile", "Unicom", "Telecom"]
    assert spec.simulation.months == 60
    assert spec.simulation.seed == 2009
    assert spec.simulation.replications == 3
    assert spec.population.size == 100_000
    assert spec.population.initial_shares == {"Mobile": 0.748, "Unicom": 0.208, "Telecom": 0.044}
    assert [s.name for s in spec.population.segments] == [
        "youth",
        "young_adult",
        "mass",
        "business",
    ]
    assert math.isclose(sum(s.share for s in spec.population.segments), 1.0)
    assert spec.population.handsets == {2: 1.0}
    unicom = spec.operators[1]
    assert unicom.label == "China Unicom"
    assert [p.name for p in unicom.plans] == ["gsm_2g", "wo_3g"]
    assert unicom.plans[1].launch_month == 9
    assert [e.kind for e in spec.events] == [
        "marketing_campaign",
        "subsidy_change",
        "device_market_change",
    ]
    assert spec.behaviour.c_base == 0.01  # set in the file, not the default 0.02


def test_defaults_are_filled(spec: Scenario) -> None:
    mobile, unicom = spec.operators[0], spec.operators[1]
    gsm = unicom.plans[0]
    assert gsm.contract_months == 0
    assert gsm.early_termination_fee == 0.0
    assert gsm.handset_subsidy == 0.0
    assert gsm.segments is None
    assert gsm.household_bundle is False
    assert gsm.initial_weight == 1.0
    assert mobile.retention is None
    assert mobile.adaptive_pricing is None
    assert mobile.loyalty_tiers == []
    assert mobile.contacts_per_month == 1.0
    assert mobile.networks[0].launch_month == 0 and mobile.networks[0].ramp_months == 0
    assert spec.population.segments[1].price_sensitivity == 1.0  # young_adult leaves it out
    assert spec.population.bundle_share == 0.0
    assert spec.network.mixing == "local"
    assert spec.behaviour.w_quality == 1.0
    assert spec.behaviour.beta_price == -2.0
    assert spec.economics.margin == 0.5
    assert spec.events[0].duration == 6 and spec.events[1].duration is None


def test_minimal_scenario_gets_every_default(tmp_path: Path) -> None:
    minimal = {
        "name": "tiny",
        "population": {"initial_shares": {"A": 1.0}},
        "operators": [
            {
                "name": "A",
                "networks": [{"generation": 2}],
                "plans": [{"name": "p", "monthly_fee": 30}],
            }
        ],
    }
    spec = load_scenario(write(tmp_path, minimal))
    assert spec.simulation.months == 60 and spec.simulation.start == "2009-01"
    assert spec.population.size == 100_000
    assert [(s.name, s.share) for s in spec.population.segments] == [("mass", 1.0)]
    assert spec.population.handsets == {2: 1.0}
    assert spec.network.kind == "small_world" and spec.network.mean_degree == 10
    assert spec.number_portability is False
    assert spec.events == []
    assert spec.operators[0].networks[0].coverage == 1.0
    dumped = yaml.safe_load(dump_yaml(spec))
    assert dumped["behaviour"]["mu"] == 0.5  # defaults are written out in full
    assert dumped["simulation"]["seed"] == 1


def test_month_dates(spec: Scenario) -> None:
    dates = spec.simulation.month_dates()
    assert len(dates) == 61
    assert dates[0].isoformat() == "2008-12-01"  # month 0: the end-2008 state (sim.months)
    assert dates[12].isoformat() == "2009-12-01"
    assert dates[-1].isoformat() == "2013-12-01"


# --------------------------------------------------------------------------- round trip
def test_dump_yaml_round_trip(spec: Scenario, tmp_path: Path) -> None:
    text = dump_yaml(spec)
    assert "null" not in text  # unset optional sections are left out, not written as null
    path = tmp_path / "copy.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_scenario(path)
    assert again == spec
    assert dump_yaml(again) == text
    assert again.digest() == spec.digest()


def test_round_trip_keeps_overrides_and_events(spec: Scenario, tmp_path: Path) -> None:
    changed = with_overrides(
        spec,
        [
            "operators.Mobile.retention.budget=1000",
            "population.handsets={2: 0.6, 3: 0.4}",
            "operators.Unicom.plans.gsm_2g.segments=[youth, mass]",
        ],
    )
    path = tmp_path / "changed.yaml"
    path.write_text(dump_yaml(changed), encoding="utf-8")
    again = load_scenario(path)
    assert again == changed
    assert again != spec
    assert again.population.handsets == {2: 0.6, 3: 0.4}


def test_digest_is_sha256_of_dump_and_tracks_changes(spec: Scenario) -> None:
    plain = with_overrides(spec, {"reported": None})  # names no data file
    assert plain.digest() == hashlib.sha256(dump_yaml(plain).encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", spec.digest())
    assert with_overrides(spec, ["simulation.seed=7"]).digest() != spec.digest()


def test_a_scenario_is_frozen(spec: Scenario) -> None:
    """Runs share a scenario and its digest names it, so no field changes once validated."""
    plan = spec.operators[1].plans[0]
    for model, field in ((spec, "name"), (spec.simulation, "seed"), (plan, "monthly_fee")):
        with pytest.raises(ValidationError, match="frozen"):
            setattr(model, field, getattr(model, field))


# --------------------------------------------------------------------------- overrides
def test_override_list_item_by_index(spec: Scenario) -> None:
    changed = with_overrides(spec, ["operators.Unicom.plans.0.monthly_fee=79"])
    assert changed.operators[1].plans[0].name == "gsm_2g"
    assert changed.operators[1].plans[0].monthly_fee == 79
    assert spec.operators[1].plans[0].monthly_fee == 46  # the original is untouched
    assert changed.operators[1].plans[1].monthly_fee == 96
    assert changed.operators[0].plans[0].monthly_fee == 75


def test_override_list_item_by_name_and_negative_index(spec: Scenario) -> None:
    changed = with_overrides(
        spec, ["operators.1.plans.wo_3g.handset_subsidy=800", "operators.-1.brand=0.4"]
    )
    assert changed.operators[1].plans[1].handset_subsidy == 800
    assert changed.operators[2].name == "Telecom" and changed.operators[2].brand == 0.4


def test_override_segment_share_by_name(spec: Scenario) -> None:
    changed = with_overrides(
        spec, ["population.segments.youth.share=0.3", "population.segments.mass.share=0.3"]
    )
    shares = {s.name: s.share for s in changed.population.segments}
    assert shares == {"youth": 0.3, "young_adult": 0.25, "mass": 0.3, "business": 0.15}


def test_override_one_share_alone_breaks_the_sum(spec: Scenario) -> None:
    with pytest.raises(UserError, match=r"segments\[\]\.share must sum to 1, got 1\.1"):
        with_overrides(spec, ["population.segments.youth.share=0.3"])


def test_override_values_are_parsed_as_yaml(spec: Scenario) -> None:
    changed = with_overrides(
        spec,
        [
            "number_portability=true",
            "simulation.months=30",
            "operators.Unicom.brand=0.25",
            "operators.Unicom.label=China Unicom Ltd",
            "network.mixing=global",
            "population.handsets={2: 0.9, 3: 0.1}",
            "operators.Mobile.plans.gotone_2g.segments=[business, mass]",
            "simulation.start='2010-01'",
        ],
    )
    assert changed.number_portability is True
    assert changed.simulation.months == 30 and isinstance(changed.simulation.months, int)
    assert changed.operators[1].brand == 0.25
    assert changed.operators[1].label == "China Unicom Ltd"
    assert changed.network.mixing == "global"
    assert changed.population.handsets == {2: 0.9, 3: 0.1}
    assert changed.operators[0].plans[0].segments == ["business", "mass"]
    assert changed.simulation.start == "2010-01"


def test_override_value_may_contain_equals_sign(spec: Scenario) -> None:
    changed = with_overrides(spec, ["description=a=b"])
    assert changed.description == "a=b"


def test_override_sets_an_unset_optional_section(spec: Scenario) -> None:
    assert spec.operators[0].retention is None
    changed = with_overrides(spec, ["operators.Mobile.retention.budget=1000"])
    retention = changed.operators[0].retention
    assert isinstance(retention, Retention)
    assert retention.budget == 1000
    assert retention.discount == 0.2 and retention.offer_months == 6  # the rest defaulted
    assert changed.operators[1].retention is None


def test_overrides_fill_one_new_section_together(spec: Scenario) -> None:
    changed = with_overrides(
        spec,
        [
            "operators.Unicom.retention.budget=500",
            "operators.Unicom.retention.discount=0.3",
            "operators.Unicom.adaptive_pricing.cut=0.1",
            "population.segments.business.initial_shares.Mobile=1.0",
        ],
    )
    unicom = changed.operators[1]
    assert unicom.retention is not None and unicom.adaptive_pricing is not None
    assert (unicom.retention.budget, unicom.retention.discount) == (500, 0.3)
    assert unicom.adaptive_pricing.cut == 0.1 and unicom.adaptive_pricing.review_every_months == 3
    assert changed.population.segments[3].initial_shares == {"Mobile": 1.0}
    # Once set, the section is a normal one: a later override sees its fields.
    again = with_overrides(changed, ["operators.Unicom.retention.offer_months=12"])
    assert again.operators[1].retention.offer_months == 12


def test_typo_in_a_new_section_is_still_an_error(spec: Scenario) -> None:
    with pytest.raises(UserError) as info:
        with_overrides(spec, ["operators.Mobile.retention.budgt=1000"])
    message = str(info.value)
    assert "operators[Mobile].retention.budgt" in message
    assert "Extra inputs are not permitted" in message


def test_overrides_as_mapping(spec: Scenario, raw: dict[str, Any]) -> None:
    out = apply_overrides(raw, {"operators.Telecom.plans.cdma_2g.monthly_fee": 45.5, "name": "x"})
    assert out["operators"][2]["plans"][0]["monthly_fee"] == 45.5
    assert out["name"] == "x"
    assert raw["operators"][2]["plans"][0]["monthly_fee"] == 50  # a deep copy was changed
    assert raw["name"] == "china_3g_2009"
    assert with_overrides(spec, {"simulation.seed": 11}).simulation.seed == 11


def test_load_scenario_applies_overrides(tmp_path: Path) -> None:
    spec = load_scenario(
        DEFAULT, ["population.size=5000", "operators.Unicom.plans.0.monthly_fee=79"]
    )
    assert spec.population.size == 5000
    assert spec.operators[1].plans[0].monthly_fee == 79


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        (
            "operators.Unicom.nope=1",
            ["operators.Unicom.nope", "unknown field", "brand", "plans", "retention"],
        ),
        (
            "simulaton.months=3",
            ["simulaton.months", "unknown field 'simulaton'", "simulation", "population"],
        ),
        (
            "operators.Vodafone.brand=1",
            ["operators.Vodafone.brand", "'Vodafone'", "0..2", "Mobile", "Unicom", "Telecom"],
        ),
        ("operators.Unicom.plans.7.monthly_fee=1", ["plans.7", "'7'", "0..1", "gsm_2g", "wo_3g"]),
        ("simulation.months.x=1", ["simulation.months.x", "'simulation.months' is a value"]),
    ],
)
def test_unknown_override_path_names_it_and_lists_what_exists(
    spec: Scenario, override: str, fragments: list[str]
) -> None:
    with pytest.raises(UserError) as info:
        with_overrides(spec, [override])
    message = str(info.value)
    assert message.startswith("--set ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_override_without_equals_sign(spec: Scenario) -> None:
    with pytest.raises(UserError, match=r"--set 'simulation\.months': expected PATH=VALUE"):
        with_overrides(spec, ["simulation.months"])


def test_override_of_wrong_type_names_path_and_value(spec: Scenario) -> None:
    with pytest.raises(UserError) as info:
        with_overrides(spec, ["simulation.months=abc"])
    message = str(info.value)
    assert message.startswith("--set: simulation.months: ")
    assert "valid integer" in message and "got 'abc'" in message


def test_override_out_of_range(spec: Scenario) -> None:
    with pytest.raises(
        UserError, match=r"operators\[Unicom\]\.plans\[gsm_2g\]\.monthly_fee.*got -5"
    ):
        with_overrides(spec, ["operators.Unicom.plans.0.monthly_fee=-5"])


# --------------------------------------------------------------------------- errors
def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(UserError, match=r"nope\.yaml: scenario file not found"):
        load_scenario(path)


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nsimulation:\n  months: 12\n  seed: [1, 2\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: line ")
    assert re.search(r"line \d+, column \d+: not valid YAML", message), message


def test_invalid_yaml_exact_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\n  foo: bar\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"line 2, column 6: not valid YAML: mapping values"):
        load_scenario(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(UserError, match="not valid YAML"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "list"), ("42\n", "int"), ("", "NoneType")]
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=f"expected a mapping .* got {kind}$"):
        load_scenario(path)


def test_error_names_file_readable_path_and_value(tmp_path: Path, raw: dict[str, Any]) -> None:
    def negative_fee(r: dict[str, Any]) -> None:
        r["operators"][1]["plans"][0]["monthly_fee"] = -5

    message = load_error(tmp_path, raw, negative_fee)
    assert "operators[Unicom].plans[gsm_2g].monthly_fee" in message
    assert "greater than or equal to 0" in message
    assert "got -5" in message


def test_error_on_wrong_type_and_unknown_key(tmp_path: Path, raw: dict[str, Any]) -> None:
    def two_problems(r: dict[str, Any]) -> None:
        r["operators"][2]["networks"][1]["quality"] = "high"
        r["population"]["segments"][3]["colour"] = "red"

    message = load_error(tmp_path, raw, two_problems)
    lines = message.splitlines()
    assert len(lines) == 2, message  # one line per problem
    assert any("operators[Telecom].networks[1].quality" in ln and "'high'" in ln for ln in lines)
    assert any(
        "population.segments[business].colour" in ln and "Extra inputs are not permitted" in ln
        for ln in lines
    )


def test_error_on_missing_required_field(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["operators"][0]["plans"][1].pop("monthly_fee"))
    assert "operators[Mobile].plans[mzone_2g].monthly_fee: Field required" in message


def test_initial_shares_must_sum_to_one(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(
        tmp_path, raw, lambda r: r["population"]["initial_shares"].update(Mobile=0.7)
    )
    assert "population.initial_shares must sum to 1, got 0.952" in message


def test_segment_shares_must_sum_to_one(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["population"]["segments"][0].update(share=0.3))
    assert "population.segments[].share must sum to 1, got 1.1" in message


def test_handset_shares_must_sum_to_one(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["population"].update(handsets={2: 0.5, 3: 0.2}))
    assert "population.handsets must sum to 1, got 0.7" in message


def test_unknown_operator_in_initial_shares(tmp_path: Path, raw: dict[str, Any]) -> None:
    def vodafone(r: dict[str, Any]) -> None:
        r["population"]["initial_shares"] = {"Mobile": 0.7, "Unicom": 0.2, "Vodafone": 0.1}

    message = load_error(tmp_path, raw, vodafone)
    assert "population.initial_shares: unknown operator 'Vodafone'" in message
    assert "['Mobile', 'Telecom', 'Unicom']" in message


def test_unknown_operator_in_segment_initial_shares(tmp_path: Path, raw: dict[str, Any]) -> None:
    def vodafone(r: dict[str, Any]) -> None:
        r["population"]["segments"][0]["initial_shares"] = {"Mobile": 0.5, "Vodafone": 0.5}

    message = load_error(tmp_path, raw, vodafone)
    assert "segments[youth].initial_shares: unknown operator 'Vodafone'" in message


def test_unknown_operator_in_event(tmp_path: Path, raw: dict[str, Any]) -> None:
    def vodafone(r: dict[str, Any]) -> None:
        r["events"].append(
            {"kind": "outage", "month": 5, "operator": "Vodafone", "quality_drop": 0.2}
        )

    message = load_error(tmp_path, raw, vodafone)
    assert "events[3] (outage): unknown operator 'Vodafone'" in message
    assert "Unicom" in message


def test_unknown_plan_in_event(tmp_path: Path, raw: dict[str, Any]) -> None:
    def bad_plan(r: dict[str, Any]) -> None:
        r["events"][1]["plan"] = "td_4g"

    message = load_error(tmp_path, raw, bad_plan)
    assert "events[1] (subsidy_change): operator Mobile has no plan 'td_4g'" in message


def test_event_may_name_a_plan_launched_by_another_event(raw: dict[str, Any]) -> None:
    raw["events"] += [
        {
            "kind": "plan_launch",
            "month": 12,
            "operator": "Unicom",
            "plan": {"name": "iphone", "monthly_fee": 126, "generation": 3},
        },
        {
            "kind": "price_change",
            "month": 30,
            "operator": "Unicom",
            "plan": "iphone",
            "factor": 0.9,
        },
    ]
    spec = validate_scenario(raw)
    assert spec.events[-1].plan == "iphone"


def test_operator_entry_operator_is_known_to_later_events(raw: dict[str, Any]) -> None:
    entrant = {
        "name": "Newco",
        "networks": [{"generation": 3}],
        "plans": [{"name": "cheap", "monthly_fee": 20, "generation": 3}],
    }
    raw["events"] += [
        {"kind": "operator_entry", "month": 20, "operator": entrant},
        {"kind": "marketing_campaign", "month": 21, "operator": "Newco", "reach": 0.3},
    ]
    spec = validate_scenario(raw)
    assert [o.name for o in spec.all_operators()] == ["Mobile", "Unicom", "Telecom", "Newco"]


def test_unknown_segment_in_plan(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(
        tmp_path, raw, lambda r: r["operators"][1]["plans"][0].update(segments=["youth", "elderly"])
    )
    assert "operator Unicom plan gsm_2g: unknown segment 'elderly'" in message
    assert "'young_adult'" in message


def test_unknown_segment_in_segment_shift(tmp_path: Path, raw: dict[str, Any]) -> None:
    def shift(r: dict[str, Any]) -> None:
        r["events"].append(
            {
                "kind": "segment_shift",
                "month": 3,
                "segment": "retired",
                "field": "spend",
                "value": 1.2,
            }
        )

    message = load_error(tmp_path, raw, shift)
    assert "unknown segment 'retired'" in message


def test_unknown_event_kind(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(
        tmp_path,
        raw,
        lambda r: r["events"].append({"kind": "price_war", "month": 3, "operator": "Unicom"}),
    )
    assert "events[3]" in message
    assert "'price_war'" in message
    assert "'price_change'" in message  # the kinds that exist are listed


def test_event_without_kind(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["events"][0].pop("kind"))
    assert "events[0]" in message and "'kind'" in message


def test_event_field_error_hides_the_discriminator(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["events"][0].update(reach=1.5))
    assert "events[0].reach: Input should be less than or equal to 1, got 1.5" in message
    assert "marketing_campaign" not in message


def test_event_after_last_month(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["events"][1].update(month=61))
    assert "events[1] month 61 is after the last month 60" in message


def test_event_in_last_month_is_allowed(raw: dict[str, Any]) -> None:
    raw["events"][1]["month"] = 60
    assert validate_scenario(raw).events[1].month == 60


def test_price_change_needs_exactly_one_of_fee_or_factor(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    def both(r: dict[str, Any]) -> None:
        r["events"].append(
            {
                "kind": "price_change",
                "month": 2,
                "operator": "Mobile",
                "monthly_fee": 70,
                "factor": 0.9,
            }
        )

    assert "exactly one of monthly_fee or factor" in load_error(tmp_path, raw, both)


def test_duplicate_names(tmp_path: Path, raw: dict[str, Any]) -> None:
    assert "plan names must be unique within operator Unicom" in load_error(
        tmp_path, raw, lambda r: r["operators"][1]["plans"][1].update(name="gsm_2g")
    )
    assert "operator names must be unique" in load_error(
        tmp_path, raw, lambda r: r["operators"][2].update(name="Unicom")
    )
    assert "segment names must be unique" in load_error(
        tmp_path, raw, lambda r: r["population"]["segments"][1].update(name="youth")
    )


def test_edge_list_needs_a_path(tmp_path: Path, raw: dict[str, Any]) -> None:
    message = load_error(tmp_path, raw, lambda r: r["network"].update(kind="edge_list"))
    assert "network.kind 'edge_list' needs network.path" in message


def test_edge_list_path_is_read_from_the_scenario_folder(
    tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ties.txt").write_text("0 1\n1 2\n", encoding="utf-8")
    raw["network"] = {"kind": "edge_list", "path": "ties.txt"}
    write(folder, raw, "s.yaml")
    monkeypatch.chdir(tmp_path)
    spec = load_scenario(Path("in") / "s.yaml")  # a relative scenario path
    assert Path(spec.network.path).is_file()
    # A written copy elsewhere (as results/<name>/scenario.yaml is) still finds the file.
    out = tmp_path / "results" / "copy.yaml"
    out.parent.mkdir()
    out.write_text(dump_yaml(spec), encoding="utf-8")
    monkeypatch.chdir(out.parent)
    again = load_scenario(out)
    assert Path(again.network.path).is_file()
    assert Path(again.network.path).resolve() == (folder / "ties.txt").resolve()


def test_validate_scenario_names_its_source(raw: dict[str, Any]) -> None:
    raw["simulation"]["months"] = 0
    with pytest.raises(
        UserError, match=r"^inline: simulation\.months: .*greater than or equal to 1, got 0$"
    ):
        validate_scenario(raw, source="inline")


# --------------------------------------------------------------------------- JSON Schema
def _check(value: Any, schema: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    """A small JSON Schema checker (the keywords pydantic emits), for when jsonschema is absent."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].split("/")[-1]]
    problems: list[str] = []
    if "anyOf" in schema:
        if all(_check(value, s, defs, where) for s in schema["anyOf"]):
            problems.append(f"{where}: matches none of anyOf")
        return problems
    if "oneOf" in schema:
        disc = schema.get("discriminator")
        if disc and isinstance(value, dict):
            target = disc["mapping"].get(value.get(disc["propertyName"]))
            if target is None:
                return [
                    f"{where}: unknown {disc['propertyName']} {value.get(disc['propertyName'])!r}"
                ]
            return _check(value, {"$ref": target}, defs, where)
        if sum(not _check(value, s, defs, where) for s in schema["oneOf"]) != 1:
            problems.append(f"{where}: does not match exactly one of oneOf")
        return problems
    kinds = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, kinds[kind])
        if kind in ("integer", "number") and isinstance(value, bool):
            ok = False
        if not ok:
            return [f"{where}: expected {kind}, got {value!r}"]
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: {value} > maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            problems.append(f"{where}: {value} <= exclusiveMinimum")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            problems.append(f"{where}: {value} >= exclusiveMaximum")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", math.inf):
            problems.append(f"{where}: {len(value)} items")
        for k, item in enumerate(value):
            problems += _check(item, schema.get("items", {}), defs, f"{where}[{k}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{where}.{key}: required")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if str(key) in props:
                problems += _check(item, props[str(key)], defs, f"{where}.{key}")
            elif extra is False:
                problems.append(f"{where}.{key}: not allowed")
            elif isinstance(extra, dict):
                problems += _check(item, extra, defs, f"{where}.{key}")
    return problems


def schema_problems(data: Any) -> list[str]:
    schema = json_schema()
    return _check(data, schema, schema["$defs"], "scenario")


def test_json_schema_structure() -> None:
    schema = json_schema()
    assert schema["title"] == "telsim scenario"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "population", "operators"}
    assert {"simulation", "population", "network", "operators", "events"} <= set(
        schema["properties"]
    )
    defs = schema["$defs"]
    assert {"Plan", "Operator", "Population", "Segment", "PriceChange", "OperatorEntry"} <= set(
        defs
    )
    for model in defs.values():
        assert model.get("additionalProperties") is False  # typos are errors in editors too
    fee = defs["Plan"]["properties"]["monthly_fee"]
    assert fee["description"] == "Monthly fee (currency/month)."
    assert fee["minimum"] == 0
    assert "description" in defs["Simulation"]["properties"]["months"]
    assert "description" in defs["Segment"]["properties"]["share"]
    assert "description" in defs["Network"]["properties"]["mixing"]
    assert set(defs["Network"]["properties"]["kind"]["enum"]) >= {"small_world", "edge_list"}
    events = schema["properties"]["events"]["items"]
    assert events["discriminator"]["propertyName"] == "kind"
    assert "price_change" in events["discriminator"]["mapping"]


def test_json_schema_describes_almost_every_field() -> None:
    schema = json_schema()
    described = total = 0
    for name in ("Simulation", "Population", "Segment", "Network", "Plan", "Operator", "Behaviour"):
        for prop in schema["$defs"][name]["properties"].values():
            total += 1
            described += "description" in prop
    assert described / total > 0.9, (described, total)


def test_json_schema_accepts_the_default_scenario(raw: dict[str, Any], spec: Scenario) -> None:
    assert schema_problems(raw) == []
    assert schema_problems(yaml.safe_load(dump_yaml(spec))) == []


def test_json_schema_rejects_bad_scenarios(raw: dict[str, Any]) -> None:
    bad = copy.deepcopy(raw)
    bad["operators"][1]["plans"][0]["monthly_fee"] = -5
    assert any("monthly_fee" in p and "minimum" in p for p in schema_problems(bad))
    bad = copy.deepcopy(raw)
    bad["simulation"]["mnths"] = 5
    assert any("mnths: not allowed" in p for p in schema_problems(bad))
    bad = copy.deepcopy(raw)
    bad["events"][0]["kind"] = "price_war"
    assert any("price_war" in p for p in schema_problems(bad))
    bad = copy.deepcopy(raw)
    del bad["operators"]
    assert schema_problems(bad) == ["scenario.operators: required"]


def test_jsonschema_library_agrees(raw: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.validate(json.loads(json.dumps(raw)), schema)  # JSON keys are strings
    raw["operators"][1]["plans"][0]["monthly_fee"] = -5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, schema)


# --------------------------------------------------------------------------- value ranges
@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (
            lambda r: r["operators"][0].update(brand=math.inf),
            ["operators[Mobile].brand", "finite number"],
        ),
        (lambda r: r["behaviour"].update(c_base=math.nan), ["behaviour.c_base", "finite number"]),
        (
            lambda r: r["operators"][1]["plans"][0].update(monthly_fee=1e308),
            ["operators[Unicom].plans[gsm_2g].monthly_fee", "less than or equal to 1000000000"],
        ),
        (
            lambda r: r["operators"][0].update(brand=1e6),
            ["operators[Mobile].brand", "less than or equal to 100"],
        ),
        (
            lambda r: r["simulation"].update(start="2009-13"),
            ["simulation: start '2009-13': month 13 is not a calendar month"],
        ),
        (lambda r: r["simulation"].update(start="2009-00"), ["month 00 is not a calendar month"]),
        (
            lambda r: r["simulation"].update(start="1850-01"),
            ["runs from 1850", "expected years 1900 to 2261"],
        ),
        (lambda r: r["simulation"].update(start="2250-01", months=240), ["runs from 2250 to 2270"]),
        (
            lambda r: r["events"].append(
                {"kind": "operator_entry", "month": 10, "operator": "Mobile"}
            ),
            ["events[3].operator", "needs the operator's definition", "only the name 'Mobile'"],
        ),
    ],
    ids=[
        "inf",
        "nan",
        "huge-fee",
        "huge-brand",
        "month-13",
        "month-00",
        "too-early",
        "too-late",
        "entry-by-name",
    ],
)
def test_nonsense_values_are_refused_with_what_is_wrong(
    tmp_path: Path,
    raw: dict[str, Any],
    mutate: Callable[[dict[str, Any]], Any],
    fragments: list[str],
) -> None:
    message = load_error(tmp_path, raw, mutate)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "less than or equal to 1," not in message  # nan is not "above 1"


def test_nan_and_inf_given_as_overrides_are_refused(spec: Scenario) -> None:
    for override in ("behaviour.mu=inf", "behaviour.c_base=nan", "operators.Mobile.brand=.inf"):
        with pytest.raises(UserError, match="finite number"):
            with_overrides(spec, [override])


def test_a_valid_start_gives_calendar_dates(spec: Scenario) -> None:
    dates = with_overrides(spec, {"simulation.start": "2009-12", "events": []})
    dates = with_overrides(dates, {"simulation.months": 2}).simulation
    assert [d.isoformat() for d in dates.month_dates()] == [
        "2009-12-01",
        "2010-01-01",
        "2010-02-01",
    ]


def test_with_months_drops_later_events_and_names_them(spec: Scenario) -> None:
    short, dropped = with_months(spec, 12)
    assert short.simulation.months == 12
    assert [(e.kind, e.month) for e in short.events] == [("marketing_campaign", 9)]
    assert dropped == [
        "events[1] (subsidy_change, month 24)",
        "events[2] (device_market_change, month 25)",
    ]
    assert with_months(spec, 25)[1] == []
    with pytest.raises(
        UserError, match=r"^--months: simulation.months: .*less than or equal to 600"
    ):
        with_months(spec, 1_000_000)


@pytest.mark.parametrize(
    "changes",
    [
        {"operators.A.plans.0.monthly_fee": 1e9, "operators.A.plans.0.handset_subsidy": 1e9},
        {"operators.A.brand": 100, "operators.B.brand": -100, "behaviour.mu": 1e-9},
        {
            "population.segments.0.reference_price": 0.01,
            "population.segments.0.price_sensitivity": 100,
            "operators.A.plans.0.monthly_fee": 1e9,
            "behaviour.beta_price": -100,
        },
        {
            **{
                f"behaviour.{k}": 100
                for k in ("theta_up", "theta_down", "c_dissat", "K_max", "w_price")
            },
            **{f"behaviour.{k}": 100 for k in ("w_quality", "trust_0", "beta_quality", "beta_wom")},
            "operators.A.contacts_per_month": 1000,
            "behaviour.mu": 100,
        },
        {
            "operators.A.retention": {"budget": 1e15, "discount": 1.0, "offer_months": 36},
            "population.segments.0.spend": 100,
            "population.represents": 1e10,
        },
    ],
    ids=["money", "utility", "price-ratio", "weights", "budget-spend"],
)
def test_values_at_the_edges_of_their_ranges_run_clean(changes: dict[str, Any]) -> None:
    """Every number a scenario may hold gives finite results, without numpy warnings."""
    import warnings

    import numpy as np
    from conftest import make_scenario

    from sim.runner import run

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(make_scenario(**changes), seed=1)
        result.summary()
    for table in (result.operators, result.segments):
        assert np.isfinite(table.select_dtypes("number").to_numpy(dtype=float)).all()


def test_the_digest_counts_data_files_by_content_not_by_where_they_are(tmp_path: Path) -> None:
    """The same scenario and data in two folders (two clones) is one scenario; an edited
    data file makes another."""
    import shutil

    digests = []
    for folder in ("a", "b"):
        root = tmp_path / folder
        (root / "scenarios").mkdir(parents=True)
        (root / "calibration" / "data").mkdir(parents=True)
        shutil.copy("scenarios/china_3g_2009.yaml", root / "scenarios")
        shutil.copy("calibration/data/china_subscribers.csv", root / "calibration" / "data")
        digests.append(load_scenario(root / "scenarios" / "china_3g_2009.yaml").digest())
    assert digests[0] == digests[1]
    with open(tmp_path / "b" / "calibration" / "data" / "china_subscribers.csv", "a") as fh:
        fh.write("\n")
    assert load_scenario(tmp_path / "b" / "scenarios" / "china_3g_2009.yaml").digest() != digests[0]
