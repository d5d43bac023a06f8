"""Simulated surveys: quota samples, deterministic answers, and answers that mean what they say."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from sim.calibration.survey import (
    SurveyDesign,
    SurveyObserver,
    _quotas,
    annual_probability,
    satisfaction_score,
)
from sim.runner import run


def _field(scenario, designs, seed=3):
    observer = SurveyObserver(designs)
    result = run(scenario, seed=seed, observer=observer)
    names = [o.name for o in scenario.all_operators()]
    segs = [s.name for s in scenario.population.segments]
    return observer.frame(names, segs), result


SEGMENTS = [
    {"name": "mass", "share": 0.7, "reference_price": 50.0},
    {"name": "young", "share": 0.3, "reference_price": 40.0},
]


def test_satisfaction_is_rounded_half_up_onto_1_to_10():
    sat = np.array([0.0, 0.05, 0.0556, 0.5, 0.94, 1.0])
    assert satisfaction_score(sat).tolist() == [1, 1, 2, 6, 9, 10]
    assert annual_probability(np.array([0.0, 1.0, 0.1])) == pytest.approx([0, 1, 1 - 0.9**12])


def test_quotas_are_proportional_by_largest_remainder_and_capped():
    assert _quotas(10, np.array([50, 30, 20]), "proportional").tolist() == [5, 3, 2]
    assert _quotas(10, np.array([45, 45, 10]), "proportional").tolist() == [5, 4, 1]
    assert _quotas(9, np.array([100, 2, 100]), "equal").tolist() == [3, 2, 3]
    assert _quotas(10, np.array([3, 4]), "proportional").tolist() == [3, 4]


def test_a_wave_fills_segment_by_operator_quotas_and_is_deterministic():
    sc = make_scenario(population__size=3000, population__segments=SEGMENTS, simulation__months=3)
    design = SurveyDesign("p", 0, (2,), 600, follow_up=1)
    first, result = _field(sc, [design])
    again, _ = _field(sc, [design])
    assert first.equals(again)
    assert len(first) == 600 and first["slot"].is_unique
    cells = first.groupby(["segment", "operator"]).size()
    seg = result.segments
    population = seg[seg["month"] == 2].set_index(["segment", "operator"])["agents"]
    expected = 600 * population / population.sum()
    assert (cells - expected.reindex(cells.index)).abs().max() < 1.0
    other_seed, _ = _field(sc, [design], seed=4)
    assert not set(other_seed["slot"]) == set(first["slot"])


def test_respondents_can_be_restricted_to_operators_and_segments():
    sc = make_scenario(population__size=2000, population__segments=SEGMENTS, simulation__months=2)
    design = SurveyDesign(
        "p", 0, (1,), 200, quota="equal", operators=("A", "C"), segments=("young",)
    )
    frame, _ = _field(sc, [design])
    assert set(frame["operator"]) == {"A", "C"} and set(frame["segment"]) == {"young"}
    assert frame.groupby("operator").size().tolist() == [100, 100]


def test_stated_intention_matches_the_switching_that_follows():
    """Mean monthly leave probability of respondents = share who leave the next month.

    Satisfaction and expectations are frozen (lam = kappa = 0, no trust change) so next
    month's consideration and choice use exactly the state the survey read.
    """
    sc = make_scenario(
        population__size=20000,
        simulation__months=2,
        behaviour__lam=0.0,
        behaviour__kappa=0.0,
        behaviour__theta_up=0.0,
        behaviour__theta_down=0.0,
        behaviour__delta=0.0,
        behaviour__c_base=0.2,
        behaviour__c_social=0.0,
        behaviour__annoyance_rate=0.0,
    )
    design = SurveyDesign("p", 0, (1,), 20000, follow_up=1)
    frame, _ = _field(sc, [design])
    assert len(frame) == 20000
    p = frame["p_leave"].mean()
    left = frame["churned"].mean()
    se = np.sqrt(frame["p_leave"].mul(1 - frame["p_leave"]).sum()) / len(frame)
    assert 0.02 < p < 0.5
    assert abs(left - p) < 4 * se, (left, p, se)
    yes = frame["intention"].mean()
    assert yes == pytest.approx(annual_probability(frame["p_leave"].to_numpy()).mean(), abs=0.02)


def test_contract_tenure_and_adoption_answers_come_from_the_state():
    raw_changes = {
        "population.size": 3000,
        "simulation.months": 4,
        "population.contracts": {"share_on_contract": 0.6},
        "operators.A.plans": [
            {"name": "basic", "monthly_fee": 50.0},
            {
                "name": "c24",
                "monthly_fee": 60.0,
                "contract_months": 24,
                "generation": 3,
                "handset_subsidy": 200.0,
                "initial_weight": 1.0,
            },
        ],
        "operators.A.networks": [
            {"generation": 2, "quality": 0.8},
            {"generation": 3, "coverage": 0.8, "quality": 0.8},
        ],
        "population.handsets": {2: 0.7, 3: 0.3},
    }
    sc = make_scenario(**raw_changes)
    frame, _ = _field(sc, [SurveyDesign("p", 0, (3,), 1000, adopt_generation=3)])
    assert set(frame["contract"]) <= {0, 24}
    assert ((frame["contract"] > 0) == (frame["on_contract"] == 1)).all()
    on3g = frame["handset_gen"] >= 3
    assert (frame.loc[on3g, "adopt"] == 1).all()
    no3g = frame["operator"].isin(["B", "C"]) & ~on3g  # B and C run no 3G network
    assert (frame.loc[no3g, "adopt"] == 0).all()
    assert set(frame["reason"]) <= {"base", "dissatisfied", "contract_ended", "offer", "social"}
    assert frame["churned"].isna().all()  # no follow-up asked
