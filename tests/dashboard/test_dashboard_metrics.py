"""What the dashboard shows equals what the run tables say."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from sim.dashboard import metrics
from sim.dashboard.model import DashboardModel
from sim.results import model_tables


@pytest.fixture(scope="module")
def model() -> DashboardModel:
    spec = make_scenario(population__size=3000, population__represents=3_000_000)
    m = DashboardModel(spec)
    for _ in range(5):
        m.step()
    return m


def test_series_match_the_run_tables(model: DashboardModel) -> None:
    ops = model_tables(model, 0)["operators"]
    ops = ops[ops["month"] <= model.month]
    wide = ops.pivot(index="month", columns="operator", values="share")[["A", "B", "C"]]
    np.testing.assert_allclose(metrics.shares(model), wide.to_numpy())
    churn = ops.pivot(index="month", columns="operator", values="churn_rate")[["A", "B", "C"]]
    np.testing.assert_allclose(metrics.churn(model), churn.to_numpy()[1:])
    sat = ops.pivot(index="month", columns="operator", values="satisfaction")[["A", "B", "C"]]
    np.testing.assert_allclose(metrics.satisfaction_history(model), sat.to_numpy(), rtol=1e-12)
    now = ops[ops["month"] == 5].set_index("operator").loc[["A", "B", "C"]]
    att = metrics.attachment(model)
    np.testing.assert_allclose(att.economic, now["lockin_economic"], rtol=1e-12)
    np.testing.assert_allclose(att.knowledge, now["lockin_knowledge"], rtol=1e-12)
    np.testing.assert_allclose(att.emotional, now["lockin_emotional"], rtol=1e-12)
    np.testing.assert_allclose(metrics.subscribers(model), now["subscribers"])


def test_last_flows_are_this_months_switchers_scaled(model: DashboardModel) -> None:
    sw = model_tables(model, 0)["switching"]
    last = sw[sw["month"] == 5]
    flows = metrics.last_flows(model)
    assert np.all(np.diag(flows) == 0)
    names = ["A", "B", "C"]
    for row in last.itertuples():
        assert flows[names.index(row.from_operator), names.index(row.to_operator)] == pytest.approx(
            row.subscribers
        )
    assert flows.sum() == pytest.approx(
        1000 * model.flows[5].sum() - 1000 * np.trace(model.flows[5])
    )


def test_month_0_has_no_churn_rows_and_shares_sum_to_one() -> None:
    m = DashboardModel(make_scenario(population__size=1000))
    assert metrics.churn(m).shape == (0, 3)
    assert metrics.shares(m).shape == (1, 3)
    assert metrics.shares(m).sum() == pytest.approx(1.0)
    assert metrics.operator_labels(m) == ["A", "B", "C"]
