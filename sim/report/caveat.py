"""How far to trust a run: is its scenario calibrated, against what, and how does it match data.

The caveat is read from the scenario itself, so a report, ``telsim run``'s terminal summary
and anything else that prints it say the same thing.

Calibration record: the scenario's ``calibration`` field
(:class:`sim.scenario.CalibrationRecord`), which ``telsim calibrate`` writes into the
calibrated scenario and a hand-written scenario may carry. None means "not calibrated":
the report says so rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import plots
from sim.plots import FEW_REPLICATIONS
from sim.report import fmt


@dataclass(frozen=True)
class Caveat:
    """The trust statement of a run: a headline and the sentences under it."""

    calibrated: bool
    headline: str
    lines: list[str]

    def text(self) -> str:
        """Headline and lines as one paragraph (the terminal summary prints this)."""
        return " ".join([self.headline, *self.lines])


def calibration_lines(scenario: Any) -> tuple[bool, str, list[str]]:
    """(calibrated, headline, details) from the scenario's calibration record."""
    record = getattr(scenario, "calibration", None)
    if record is None or not record.calibrated:
        why = "" if record is None else " (its calibration record says calibrated: false)"
        return (
            False,
            "Not calibrated.",
            [
                f"The scenario records no calibration to real data{why}: its numbers show "
                "what the model's assumptions imply, not a forecast. Read them as a "
                "comparison of policies on the same assumptions, not as predictions."
            ],
        )
    period = f" ({record.period})" if record.period else ""
    headline = f"Calibrated against {record.against.rstrip('.')}{period}."
    lines = [
        f"{label}: {value.strip().rstrip('.')}."
        for label, value in (
            ("Method", record.method),
            ("Calibrated on", record.date),
            ("Fit", record.fit),
            ("Out of sample", record.out_of_sample),
            ("Source", record.source),
            ("Notes", record.notes),
        )
        if value
    ]
    lines.append(
        "A calibrated model reproduces the market it was fitted to; outside that period "
        "and for policies it never saw, its numbers are scenarios, not validated forecasts."
    )
    return True, headline, lines


def reported_data(scenario: Any) -> tuple[pd.DataFrame | None, str | None]:
    """The scenario's reported points (``sim.plots.reported_points``), or why there are none.

    A run folder copied to another machine may have lost the CSV: that is a note in
    the caveat, not an error.
    """
    spec = getattr(scenario, "reported", None)
    if spec is None:
        return None, None
    if not Path(spec.path).is_file():
        return None, f"The reported data file {spec.path} was not found, so no data are shown."
    try:
        return plots.reported_points(scenario), None
    except (OSError, ValueError, KeyError) as exc:
        return None, f"The reported data file {spec.path} could not be read ({exc})."


def model_errors(result: Any, points: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median simulated ``column`` against the reported one, per operator and reported date.

    Columns ``date``, ``operator``, ``reported``, ``simulated`` and ``error`` (simulated
    minus reported; relative to the reported value for counts); only dates inside the run.
    """
    reported = points.dropna(subset=[column])[["date", "operator", column]]
    median = result.operators.groupby(["date", "operator"], sort=False)[column].median()
    joined = reported.merge(median.rename("simulated").reset_index(), on=["date", "operator"])
    joined = joined.rename(columns={column: "reported"})
    joined["error"] = joined["simulated"] - joined["reported"]
    if column != "share":
        joined["error"] = joined["error"] / joined["reported"].where(joined["reported"] > 0)
        joined = joined.dropna(subset=["error"])
    return joined


def _month(date: pd.Timestamp) -> str:
    """The model month of a run-table date, labelled as the report labels months."""
    return pd.Timestamp(date).strftime("%Y-%m")


def validation_line(result: Any, points: pd.DataFrame, source: str) -> str:
    """How far the run's medians are from the reported shares and subscribers."""
    labels = {o.name: o.display for o in result.scenario.all_operators()}
    parts = []
    for column, what in (("share", "shares"), ("subscribers", "subscriber counts")):
        if column not in points or points[column].isna().all():
            continue
        errors = model_errors(result, points, column)
        if errors.empty:
            continue
        worst = errors.loc[errors["error"].abs().idxmax()]
        rms = float(np.sqrt(np.mean(errors["error"] ** 2)))
        dates = sorted(errors["date"].unique())
        who = f"{labels.get(worst['operator'], worst['operator'])} in {_month(worst['date'])}"
        if column == "share":
            size = f"{100 * rms:.1f} points rms (largest: {who}, {fmt.points(worst['error'])})"
        else:
            size = f"{100 * rms:.0f} % rms (largest: {who}, {100 * worst['error']:+.0f} %)"
        parts.append(
            f"this run's median {what} are off by {size} over {len(dates)} reported month(s), "
            f"{_month(dates[0])} to {_month(dates[-1])}"
        )
    if not parts:
        return (
            f"The scenario carries reported data ({source}), but none falls inside this "
            "run's months, so the run cannot be checked against it."
        )
    return (
        f"Against the reported data ({source}) " + "; ".join(parts) + ". The validation "
        "figure draws the run and the data together."
    )


def replication_line(replications: int) -> str | None:
    """A warning when the bands rest on few replications, else None."""
    if replications >= FEW_REPLICATIONS:
        return None
    if replications == 1:
        return (
            "One replication: no band of chance variation is shown at all; run with "
            "--replications 10 or more before reading differences."
        )
    return (
        f"Only {replications} replications: the 5–95 % bands are rough (the extremes of "
        f"{replications} runs); use --replications 10 or more for numbers to present."
    )


def caveat(result: Any) -> Caveat:
    """The full caveat of a run: calibration, its match to reported data, replications."""
    sc = result.scenario
    calibrated, headline, lines = calibration_lines(sc)
    points, problem = reported_data(sc)
    if problem:
        lines.append(problem)
    elif points is not None:
        lines.append(validation_line(result, points, Path(sc.reported.path).name))
    else:
        lines.append("The scenario carries no reported data to check the run against.")
    few = replication_line(result.replications)
    if few:
        lines.append(few)
    lines.append(
        "Bands show chance variation between replications only, not the uncertainty in "
        "the scenario's assumptions (a sweep measures that)."
    )
    return Caveat(calibrated, headline, lines)
