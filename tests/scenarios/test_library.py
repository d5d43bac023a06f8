"""The scenario library: every file validates, and each scenario shows its headline.

Each headline test runs a small version of one scenario (a few thousand agents, a few
years) against a counterfactual with the policy removed by overrides, using the same
seed: both runs draw the same random numbers (common random numbers), so a difference
is the policy's effect, not noise. docs/scenarios.md describes the scenarios and their
headline figures; these tests keep those claims true.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.engine import layout as L
from sim.runner import run
from sim.scenario import Scenario, load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LIBRARY = sorted(SCENARIOS.glob("*.yaml"))
DOCS = ROOT / "docs" / "scenarios.md"
ISSUE_SCENARIOS = {
    "china_3g_2009",
    "china_3g_2009_subsidy_war",
    "price_war",
    "number_portability",
    "retention_and_overmarketing",
    "five_g_household_bundles",
    "new_entrant",
}


# --------------------------------------------------------------------------- helpers
def small(name: str, size: int, months: int, replications: int = 2) -> Scenario:
    """Scenario ``name`` from the library with a small population and horizon."""
    return load_scenario(
        SCENARIOS / f"{name}.yaml",
        [
            f"population.size={size}",
            f"simulation.months={months}",
            f"simulation.replications={replications}",
        ],
    )


def without_events(spec: Scenario, drop: Callable[[Any], bool]) -> Scenario:
    """The counterfactual: ``spec`` with the events ``drop`` selects removed."""
    kept = [e.model_dump(mode="json") for e in spec.events if not drop(e)]
    return with_overrides(spec, {"events": kept})


def series(ops: pd.DataFrame, operator: str, column: str) -> pd.Series:
    """Mean over replications of one operator's column, by month."""
    return ops[ops["operator"] == operator].groupby("month")[column].mean()


def churn_over(ops: pd.DataFrame, first: int, last: int, operator: str | None = None) -> float:
    """Churners over subscribers a month earlier, months ``first..last``, pooled."""
    if operator is not None:
        ops = ops[ops["operator"] == operator]
    m = ops.groupby(["replication", "month"])[["churners", "subscribers"]].sum()
    prev = m["subscribers"].groupby(level="replication").shift(1)
    month = m.index.get_level_values("month")
    window = (month >= first) & (month <= last)
    return float(m["churners"][window].sum() / prev[window].sum())


class ChurnByGroup:
    """Observer: churn of subscriber groups a labelling function draws each month.

    ``label(model)`` returns an int array over active slots (-1: not counted). A
    subscriber labelled g at month t who is with another operator at t+1 churned from g.
    """

    def __init__(self, label: Callable[[Any], np.ndarray], n_groups: int, months: range):
        self.label, self.months = label, months
        self.moved = np.zeros(n_groups)
        self.exposed = np.zeros(n_groups)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, rep: int, month: int, model: Any) -> None:
        st = model.state
        if month == 0:
            self._prev = None
        if self._prev is not None and month in self.months:
            op, groups = self._prev
            moved = st.operator[: op.size] != op
            counted = groups >= 0
            self.moved += np.bincount(groups[counted], moved[counted], self.moved.size)
            self.exposed += np.bincount(groups[counted], minlength=self.exposed.size)
        self._prev = (st.operator[: st.n_active].copy(), self.label(model))

    def rates(self) -> np.ndarray:
        """Churn rate per group (churners per subscriber-month)."""
        return self.moved / np.maximum(self.exposed, 1)


def customers(model: Any) -> np.ndarray:
    """Mask of active slots that have an operator."""
    st = model.state
    return st.operator[: st.n_active] != L.NO_OPERATOR


# --------------------------------------------------------------------------- the library
def test_the_library_holds_the_issue_scenarios():
    assert ISSUE_SCENARIOS <= {p.stem for p in LIBRARY}


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_validates_and_is_documented(path):
    spec = load_scenario(path)
    assert spec.name == path.stem, "the name is the default results folder: keep it = file name"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), f"{path.name}: needs a header comment (story, sources, headline)"
    assert f"scenarios/{path.name}" in DOCS.read_text(encoding="utf-8"), (
        f"{path.name} is not described in docs/scenarios.md"
    )


def test_subsidy_war_is_the_default_plus_one_event():
    """The two 3G files differ only by the escalation, so comparing them isolates it."""
    base = yaml.safe_load((SCENARIOS / "china_3g_2009.yaml").read_text())
    war = yaml.safe_load((SCENARIOS / "china_3g_2009_subsidy_war.yaml").read_text())
    extra = war["events"][len(base["events"]) :]
    assert war["events"][: len(base["events"])] == base["events"]
    assert extra == [
        {
            "kind": "subsidy_change",
            "month": 12,
            "operator": "Unicom",
            "plan": "wo_3g",
            "handset_subsidy": 1400,
        }
    ]
    for raw in (base, war):
        for key in ("name", "title", "description", "events"):
            raw.pop(key)
    assert war == base


# --------------------------------------------------------------------------- headlines
def test_subsidy_war_buys_unicom_share_and_3g_handsets():
    """+800 yuan of subsidy from month 12: Unicom gains share and 3G handsets, and pays.

    With the calibrated subsidy response the share gain is +1.8 points of Unicom's 20.8 %
    at 2013-12 in the gallery run; here, at 3,000 agents and 36 months, +2.5 % of Unicom's
    share and +12 % of its 3G base by month 36 (measured 2026-12-01 on the growing-graph
    refit). The thresholds, +1 % and +5 %, keep the direction and still pass with an
    effect of about 40 % of the measured one.
    """
    war = small("china_3g_2009_subsidy_war", 3000, 36)
    base = without_events(war, lambda e: e.kind == "subsidy_change" and e.operator == "Unicom")
    w, b = run(war).operators, run(base).operators
    for col, gain in (("share", 1.01), ("handsets_3g", 1.05)):
        before = series(w, "Unicom", col)[11]
        assert before == pytest.approx(series(b, "Unicom", col)[11])  # same before month 12
        assert series(w, "Unicom", col)[36] > series(b, "Unicom", col)[36] * gain, col
    assert series(w, "Mobile", "share")[36] < series(b, "Mobile", "share")[36]
    assert (
        series(w, "Unicom", "subsidy_cost")[13:].sum()
        > series(b, "Unicom", "subsidy_cost")[13:].sum()
    )


def _fee_path(spec: Scenario) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """Run ``spec`` recording each price cutter's fee; returns (operators, cut months)."""
    fees: dict[tuple[int, int], dict[str, float]] = {}

    def observe(rep: int, month: int, model: Any) -> None:
        t = model.tables
        fees[rep, month] = {
            op: float(t.plans[t.plan_rows(op), L.P_FEE].mean()) for op in ("Unicom", "Telecom")
        }

    ops = run(spec, observer=observe).operators
    cuts: dict[str, list[int]] = {"Unicom": [], "Telecom": []}
    for (rep, month), now in sorted(fees.items()):
        if rep == 0 and month > 0:
            for op in cuts:
                if now[op] < fees[rep, month - 1][op] - 1e-9:
                    cuts[op].append(month)
    return ops, cuts


def test_price_war_cutters_cut_in_turn_and_lose_arpu_while_quality_keeps_it():
    """Telecom, Unicom, Telecom cut in turn; their ARPU falls, China Mobile's holds."""
    war = small("price_war", 20000, 24, replications=1)
    calm = without_events(war, lambda e: e.kind == "price_change")
    w, cuts = _fee_path(war)
    c, calm_cuts = _fee_path(calm)
    assert calm_cuts == {"Unicom": [], "Telecom": []}, "no war without the first cut"
    # Telecom opens (month 3), Unicom answers, Telecom answers back: cuts in turn
    assert cuts["Telecom"][0] == 3
    assert cuts["Unicom"] and cuts["Unicom"][0] > 3
    assert any(m > cuts["Unicom"][0] for m in cuts["Telecom"])
    for op in ("Unicom", "Telecom"):
        arpu = series(w, op, "arpu")
        assert arpu[13:].mean() < 0.95 * arpu[0], op
        assert arpu[13:].mean() < series(c, op, "arpu")[13:].mean(), op
    mobile = series(w, "Mobile", "arpu")
    assert mobile[13:].mean() > 0.98 * mobile[0], "the quality operator keeps its ARPU"
    assert series(w, "Mobile", "share")[24] < series(c, "Mobile", "share")[24]


def test_number_portability_raises_churn_but_contracts_still_hold():
    """Churn rises after month 12, above its past and the no-portability run."""
    spec = small("number_portability", 8000, 24)
    by_contract = ChurnByGroup(
        lambda m: np.where(customers(m), (m.state.contract_left[: m.state.n_active] > 0), -1),
        2,
        range(13, 25),
    )
    ops = run(spec, observer=by_contract).operators
    no_port = run(without_events(spec, lambda e: e.kind == "number_portability")).operators
    assert churn_over(ops, 13, 24) > 1.3 * churn_over(ops, 1, 11)
    assert churn_over(ops, 13, 24) > 1.3 * churn_over(no_port, 13, 24)
    off_contract, on_contract = by_contract.rates()
    assert on_contract < 0.3 * off_contract


def test_retention_lowers_churn_and_overmarketing_annoys():
    """Each policy against the run without it: less churn; less satisfaction, more churn."""
    size = 10000
    # the budget is real money (population.represents): it works as hard at any size
    spec = small("retention_and_overmarketing", size, 24)
    both = run(spec).operators
    no_retention = run(without_events(spec, lambda e: e.kind == "retention_campaign")).operators
    normal = run(without_events(spec, lambda e: e.kind == "marketing_campaign")).operators
    assert both["retention_offers"].sum() > 0
    assert churn_over(both, 7, 24, "Mobile") < 0.95 * churn_over(no_retention, 7, 24, "Mobile")
    sat, sat_normal = (
        series(both, "Unicom", "satisfaction"),
        series(normal, "Unicom", "satisfaction"),
    )
    assert sat[12:].mean() < sat_normal[12:].mean() - 0.01
    assert churn_over(both, 7, 24, "Unicom") > 1.2 * churn_over(normal, 7, 24, "Unicom")


def _tier_of(model: Any) -> np.ndarray:
    """China Mobile's loyalty tier of each customer (0 normal .. 3 diamond; -1 others)."""
    st, t = model.state, model.tables
    n = st.n_active
    mobile = t.operator_index("Mobile")
    spend = st.spend[:n] * t.seg[st.segment[:n], L.S_SPEND]
    tier = np.where(st.operator[:n] == mobile, 0, -1)
    for k, (tenure, min_spend, _) in enumerate(t.tiers[mobile], start=1):
        tier[(tier >= 0) & (st.tenure[:n] >= tenure) & (spend >= min_spend)] = k
    return tier


def test_five_g_households_bundles_hold_and_5g_spreads():
    """5G handsets grow from the launch; bundles and higher tiers churn less."""
    spec = small("five_g_household_bundles", 10000, 30)
    bundles = ChurnByGroup(
        lambda m: np.where(customers(m), m.state.bundled[: m.state.n_active], -1), 2, range(2, 31)
    )
    tiers = ChurnByGroup(_tier_of, 4, range(2, 31))

    def observe(rep: int, month: int, model: Any) -> None:
        bundles(rep, month, model)
        tiers(rep, month, model)

    ops = run(spec, observer=observe).operators
    market = ops.groupby("month")[["handsets_5g", "subscribers"]].sum()
    five_g = market["handsets_5g"] / market["subscribers"]
    assert five_g[0] == 0 and five_g[1] > 0
    assert five_g.diff()[2:].min() >= 0, "5G handsets only grow after the launch"
    assert 0.10 < five_g[26] < 0.35  # MIIT: 21.6 % of mobile users on 5G at 2021-12
    unbundled, bundled = bundles.rates()
    assert bundled < 0.5 * unbundled
    normal, silver, gold, diamond = tiers.rates()
    assert diamond < gold < min(normal, silver), "higher loyalty tiers churn less"
    no_bundles = run(spec, overrides={"behaviour.bundle_cost": 0.0}).operators
    assert churn_over(no_bundles, 2, 30) > 1.1 * churn_over(ops, 2, 30)


def test_new_entrant_grows_from_price_sensitive_customers_of_cheaper_rivals():
    """Zero before month 6, then growing; youth over business; cheaper rivals lose more."""
    spec = small("new_entrant", 10000, 30)
    res = run(spec)
    share = series(res.operators, "Broadnet", "share")
    assert (share[:6] == 0).all()
    assert 0 < share[6] < share[12] < share[30]
    seg = res.segments[(res.segments["month"] == 30) & (res.segments["operator"] == "Broadnet")]
    by_segment = seg.groupby("segment")["share"].mean()
    assert by_segment["youth"] > 3 * by_segment["business"]
    into = res.switching[res.switching["to_operator"] == "Broadnet"]
    lost = into.groupby("from_operator")["subscribers"].sum()
    base = res.operators[res.operators["month"] == 5].groupby("operator")["subscribers"].sum()
    rate = lost / base[lost.index]
    assert rate["Unicom"] > rate["Mobile"] and rate["Telecom"] > rate["Mobile"]
