"""What a retention programme earns: each operator's ROI against the same market without it.

A programme's effect is a counterfactual: the customers it saved are the churners it
would have had without it. ``retention_roi`` runs the scenario twice with the same seed
(common random numbers: same population, graph and draws), once as given and once with
every retention programme and retention campaign removed, and returns per operator the
offers made, customers saved, discounts given and the net revenue effect.
"""

from __future__ import annotations

import pandas as pd

from sim.runner import run
from sim.scenario import Scenario, with_overrides

ROI_COLUMNS = (
    "operator",
    "offers",
    "saved_customers",
    "retention_cost",
    "net_revenue_effect",
    "roi",
)


def without_retention(scenario: Scenario) -> Scenario:
    """The scenario with no retention programme and no retention campaign."""
    changes: dict[str, object] = {
        f"operators.{k}.retention": None for k in range(len(scenario.operators))
    }
    changes["events"] = [
        e.model_dump(mode="json") for e in scenario.events if e.kind != "retention_campaign"
    ]
    return with_overrides(scenario, changes, source="retention ROI")


def retention_roi(
    scenario: Scenario, *, seed: int | None = None, replications: int | None = None
) -> pd.DataFrame:
    """Each operator's retention ROI over the run, averaged over replications.

    Columns: offers made, customers saved (churners without the programme less
    churners with it), retention cost (discounts given), net revenue effect (revenue
    with less revenue without: the discounts are already netted out of revenue) and ROI
    (net revenue effect over cost; 0 without cost). Counts and money are scaled to the
    real market like the tables.
    """
    kwargs = {"seed": seed, "replications": replications}
    with_ = run(scenario, **kwargs).operators
    base = run(without_retention(scenario), **kwargs).operators
    cols = ["retention_offers", "churners", "revenue", "retention_cost"]
    a = with_[with_["month"] > 0].groupby(["operator", "replication"], sort=False)[cols].sum()
    b = base[base["month"] > 0].groupby(["operator", "replication"], sort=False)[cols].sum()
    b.columns = [f"{c}_without" for c in b.columns]
    diff = a.join(b).groupby(level="operator", sort=False).mean()
    out = pd.DataFrame(
        {
            "operator": diff.index,
            "offers": diff["retention_offers"].to_numpy(),
            "saved_customers": (diff["churners_without"] - diff["churners"]).to_numpy(),
            "retention_cost": diff["retention_cost"].to_numpy(),
            "net_revenue_effect": (diff["revenue"] - diff["revenue_without"]).to_numpy(),
        }
    )
    cost = out["retention_cost"].where(out["retention_cost"] > 0)
    out["roi"] = (out["net_revenue_effect"] / cost).fillna(0.0)
    return out.loc[:, list(ROI_COLUMNS)].reset_index(drop=True)
