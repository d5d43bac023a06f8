"""The executive summary: what happened, who gained from whom, why, and how sure it is.

Every sentence is generated from the run's tables (the same numbers as the key-numbers
table), so the words cannot drift from the figures. Flows are means over replications;
shares and their changes are the medians of ``summary.json``.

The accounting behind "the flows behind them": the model has no disconnections, so an
operator's subscribers at the end are those at month 0, plus the market's newcomers it
won, plus switchers in, minus switchers out. Its share change therefore splits exactly
into what newcomers brought and what net switching brought (both over the end total).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.report import fmt
from sim.results import RunResult

NEGLIGIBLE = 0.001  # a share change under 0.1 point is "about unchanged"


@dataclass(frozen=True)
class Flows:
    """One operator's subscriber accounting over the run (means over replications)."""

    start: float
    end: float
    newcomers: float
    switch_in: float
    switch_out: float

    @property
    def net_switching(self) -> float:
        """Switchers won minus switchers lost."""
        return self.switch_in - self.switch_out


def operator_flows(result: RunResult) -> dict[str, Flows]:
    """Start, end, newcomers and switching per operator, mean over replications."""
    ops = result.operators
    reps = max(result.replications, 1)
    last = ops["month"].max()
    by_op = ops.groupby("operator", sort=False)
    out: dict[str, Flows] = {}
    sw = result.switching
    switch_in = sw.groupby("to_operator")["subscribers"].sum() / reps
    switch_out = sw.groupby("from_operator")["subscribers"].sum() / reps
    for name, group in by_op:
        out[str(name)] = Flows(
            start=float(group.loc[group["month"] == 0, "subscribers"].sum() / reps),
            end=float(group.loc[group["month"] == last, "subscribers"].sum() / reps),
            newcomers=float(group.loc[group["month"] > 0, "entrants"].sum() / reps),
            switch_in=float(switch_in.get(name, 0.0)),
            switch_out=float(switch_out.get(name, 0.0)),
        )
    return out


def pair_flows(result: RunResult) -> pd.Series:
    """Net switchers from one operator to another over the run (positive), mean of replications."""
    sw = result.switching
    reps = max(result.replications, 1)
    gross = sw.groupby(["from_operator", "to_operator"])["subscribers"].sum() / reps
    net = {}
    for (a, b), value in gross.items():
        back = gross.get((b, a), 0.0)
        if value > back:
            net[(a, b)] = value - back
    return pd.Series(net, dtype=float).sort_values(ascending=False)


def _names(result: RunResult) -> dict[str, str]:
    return {o.name: o.display for o in result.scenario.all_operators()}


def outcome_sentence(result: RunResult, summary: dict[str, Any]) -> str:
    """Who gained and who lost share, with the start and end of each."""
    names = _names(result)
    rows = summary["operators"]
    changes = sorted(
        ((row["share_change"]["p50"], name) for name, row in rows.items()), reverse=True
    )
    months = summary["months"]
    dates = result.scenario.simulation.month_dates()
    parts = []
    for change, name in changes:
        end = rows[name]["final_share"]["p50"]
        start = end - change
        if abs(change) < NEGLIGIBLE:
            parts.append(f"{names.get(name, name)} held about {fmt.pct(end)}")
        else:
            verb = "rose" if change > 0 else "fell"
            parts.append(
                f"{names.get(name, name)} {verb} from {fmt.pct(start)} to {fmt.pct(end)} "
                f"({fmt.points(change)})"
            )
    return (
        f"Over {months} month{'s' if months != 1 else ''} ({dates[0]:%Y-%m} to "
        f"{dates[-1]:%Y-%m}) the market shares moved as follows: " + "; ".join(parts) + "."
    )


def flows_sentence(result: RunResult, summary: dict[str, Any]) -> str:
    """The accounting behind the biggest gain and the biggest loss."""
    names = _names(result)
    flows = operator_flows(result)
    total_start = sum(f.start for f in flows.values())
    total_end = sum(f.end for f in flows.values()) or 1.0
    newcomers = sum(f.newcomers for f in flows.values())
    rows = summary["operators"]
    winner = max(rows, key=lambda n: rows[n]["share_change"]["p50"])
    loser = min(rows, key=lambda n: rows[n]["share_change"]["p50"])
    text = []
    if newcomers > 0:
        text.append(
            f"The market grew from {fmt.count(total_start)} to {fmt.count(total_end)} "
            f"subscribers: {fmt.count(newcomers)} newcomers."
        )
    pairs = pair_flows(result)
    for name, gained in ((winner, True), (loser, False)):
        f = flows[name]
        if gained and rows[name]["share_change"]["p50"] < NEGLIGIBLE:
            continue
        if not gained and (rows[name]["share_change"]["p50"] > -NEGLIGIBLE or name == winner):
            continue
        via_switching = f.net_switching / total_end
        via_newcomers = rows[name]["share_change"]["p50"] - via_switching
        label = names.get(name, name)
        won = f.newcomers / newcomers if newcomers > 0 else 0.0
        start_share = f.start / total_start if total_start else 0.0
        newcomer_part = (
            f"won {fmt.pct(won)} of the newcomers against a starting share of "
            f"{fmt.pct(start_share)} (worth {fmt.points(via_newcomers)} of share)"
            if newcomers > 0
            else ""
        )
        won_switchers = f.net_switching >= 0
        partner = _main_partner(pairs, name, won_switchers)
        switch_part = (
            f"{'gained' if won_switchers else 'lost'} a net "
            f"{fmt.count(abs(f.net_switching))} switchers (worth {fmt.points(via_switching)})"
        )
        if partner:
            where = "from" if won_switchers else "to"
            switch_part += f", most {where} {names.get(partner, partner)}"
        parts = [p for p in (newcomer_part, switch_part) if p]
        driver = (
            "newcomers"
            if newcomers > 0 and abs(via_newcomers) >= abs(via_switching)
            else "switching"
        )
        text.append(
            f"{label} {' and '.join(parts)}: its {'gain' if gained else 'loss'} came mainly "
            f"from {driver}."
        )
    return " ".join(text)


def _main_partner(pairs: pd.Series, name: str, inflow: bool) -> str | None:
    """The operator that gave ``name`` most net switchers (``inflow``), or took most from it."""
    best, size = None, 0.0
    for (a, b), value in pairs.items():
        other = a if inflow and b == name else b if not inflow and a == name else None
        if other is not None and value > size:
            best, size = other, value
    return best


def _last_year_mean(result: RunResult, name: str, column: str) -> float:
    ops = result.operators
    last = ops["month"].max()
    tail = ops[(ops["operator"] == name) & (ops["month"] > max(0, last - 12))]
    weights = tail["subscribers"].to_numpy()
    if weights.sum() <= 0:
        return float("nan")
    return float((tail[column] * weights).sum() / weights.sum())


def _newest_handsets(result: RunResult, name: str) -> tuple[int, float] | None:
    """(newest generation in use, its share of ``name``'s subscribers at the end)."""
    from sim.metrics import HANDSETS

    ops = result.operators
    end = ops[ops["month"] == ops["month"].max()]
    used = [g for g, col in HANDSETS.items() if end[col].sum() > 0]
    if len(used) < 2:
        return None
    g = max(used)
    mine = end[end["operator"] == name]
    subs = mine["subscribers"].sum()
    return (g, float(mine[HANDSETS[g]].sum() / subs)) if subs > 0 else None


def driver_sentence(result: RunResult, summary: dict[str, Any]) -> str | None:
    """What sets the biggest winner apart from the biggest loser, in the last 12 months."""
    rows = summary["operators"]
    if len(rows) < 2:
        return None
    names = _names(result)
    winner = max(rows, key=lambda n: rows[n]["share_change"]["p50"])
    loser = min(rows, key=lambda n: rows[n]["share_change"]["p50"])
    if winner == loser or rows[winner]["share_change"]["p50"] < NEGLIGIBLE:
        return None
    unit = getattr(result.scenario.economics, "currency", None) or "currency units"
    w, lo = names.get(winner, winner), names.get(loser, loser)
    facts = []
    arpu_w, arpu_l = rows[winner]["arpu"]["p50"], rows[loser]["arpu"]["p50"]
    facts.append(
        f"paid {'less' if arpu_w < arpu_l else 'more'} (ARPU {fmt.money(arpu_w, 1)} against "
        f"{fmt.money(arpu_l, 1)} {unit} a month)"
    )
    sat_w, sat_l = (_last_year_mean(result, n, "satisfaction") for n in (winner, loser))
    facts.append(
        f"were {'more' if sat_w > sat_l else 'less'} satisfied ({sat_w:.2f} against {sat_l:.2f})"
    )
    lock = ("lockin_economic", "lockin_knowledge", "lockin_emotional")
    lock_w = sum(_last_year_mean(result, winner, c) for c in lock)
    lock_l = sum(_last_year_mean(result, loser, c) for c in lock)
    facts.append(
        f"were {'more' if lock_w > lock_l else 'less'} locked in ({lock_w:.2f} against "
        f"{lock_l:.2f} utility units)"
    )
    new_w, new_l = _newest_handsets(result, winner), _newest_handsets(result, loser)
    if new_w and new_l:
        facts.append(
            f"{'more' if new_w[1] > new_l[1] else 'fewer'} of them had a {new_w[0]}G handset "
            f"at the end ({fmt.pct(new_w[1], 0)} against {fmt.pct(new_l[1], 0)})"
        )
    churn_w = rows[winner]["annualised_churn"]["p50"]
    churn_l = rows[loser]["annualised_churn"]["p50"]
    return (
        f"Compared with {lo}'s, {w}'s customers over the last 12 months "
        + ", ".join(facts[:-1])
        + f" and {facts[-1]}; {w} lost {fmt.pct(churn_w)} of its customers a year against "
        f"{fmt.pct(churn_l)} for {lo}. These are differences, not causes: to measure what "
        "one lever is worth, run telsim compare with that lever changed."
    )


def uncertainty_sentence(result: RunResult, summary: dict[str, Any]) -> str:
    """How wide the bands are, and whether the ranking of gains holds in every replication."""
    reps = summary["replications"]
    if reps < 2:
        return (
            "This is one replication: there is no measure of chance variation; run "
            "with --replications 10 or more before drawing conclusions."
        )
    rows = summary["operators"]
    widest_name = max(
        rows, key=lambda n: rows[n]["final_share"]["p95"] - rows[n]["final_share"]["p5"]
    )
    band = rows[widest_name]["final_share"]
    width = band["p95"] - band["p5"]
    ops = result.operators
    last = ops[ops["month"] == ops["month"].max()].pivot(
        index="replication", columns="operator", values="share"
    )
    first = ops[ops["month"] == 0].pivot(index="replication", columns="operator", values="share")
    change = last - first.reindex(columns=last.columns, fill_value=0.0).reindex(last.index)
    winner = max(rows, key=lambda n: rows[n]["share_change"]["p50"])
    same = int((change.idxmax(axis=1) == winner).sum())
    names = _names(result)
    text = (
        f"Across {reps} replications the final shares vary by at most "
        f"{100 * width:.1f} points (5–95 %, {names.get(widest_name, widest_name)}); "
        f"{names.get(winner, winner)} gains most in {same} of {reps}."
    )
    if reps < 5:
        text += f" With only {reps} replications these bands are rough."
    return text


def executive_summary(result: RunResult, summary: dict[str, Any]) -> list[str]:
    """The summary's paragraphs, in reading order."""
    paragraphs = [outcome_sentence(result, summary), flows_sentence(result, summary)]
    driver = driver_sentence(result, summary)
    if driver:
        paragraphs.append(driver)
    paragraphs.append(uncertainty_sentence(result, summary))
    return [p for p in paragraphs if p]
