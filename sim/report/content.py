"""What the report says, as formatted text, before it becomes Markdown or HTML.

One :class:`Report` feeds both renderers, so the two files always carry the same
numbers, captions and parameters.

The body is a list of :class:`Section` objects, rendered in order by both renderers
(a heading, an optional note, paragraphs, a table, figures). A new section (cohorts, say)
is one more ``Section`` built in :func:`build_report`; the renderers need no change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import plots
from sim.report import fmt
from sim.report.caveat import Caveat, caveat
from sim.report.figures import ReportFigure, currency_unit
from sim.report.params import Parameter, parameter_table
from sim.report.story import executive_summary
from sim.results import RunResult


@dataclass(frozen=True)
class Table:
    """A small table of text cells; ``numeric`` marks the columns to align right."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]


@dataclass(frozen=True)
class FigureEntry:
    """A numbered figure: its PNG and the caption printed under it."""

    number: int
    title: str
    caption: str
    path: Path
    link: str  # the PNG's path relative to the run folder (the Markdown's image link)


@dataclass(frozen=True)
class Section:
    """One section of the report body, rendered the same way in Markdown and HTML.

    Attributes:
        key: the HTML id (and a stable name for tests and links).
        title: the heading.
        note: small print under the heading (how to read what follows).
        paragraphs: body text, in order.
        tables: tables after the paragraphs.
        facts: a two-column label/value table (the run's title block).
        figures: numbered figures after the table.
        boxed: drawn in a box (the caveat), so it stands out on screen and paper.
    """

    key: str
    title: str
    note: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    figures: list[FigureEntry] = field(default_factory=list)
    boxed: bool = False


@dataclass(frozen=True)
class Report:
    """Everything the report shows, already formatted."""

    title: str
    description: str
    sections: list[Section]
    parameters: list[Parameter]
    generator: str

    def section(self, key: str) -> Section:
        """The section named ``key``."""
        return next(s for s in self.sections if s.key == key)

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The title block (the "About this run" section)."""
        return self.section("run").facts

    @property
    def key_numbers(self) -> Table:
        """The key-numbers table."""
        return self.section("key-numbers").tables[0]

    @property
    def figures(self) -> list[FigureEntry]:
        """Every numbered figure, in order."""
        return [f for s in self.sections for f in s.figures]


def figure_entry(
    number: int, spec: ReportFigure, result: RunResult, path: Path, run_dir: Path
) -> FigureEntry:
    """Number a drawn figure and write its caption: what it shows, then which runs."""
    caption = f"{spec.what} {plots.caption_text(result, spec.note)}"
    return FigureEntry(number, spec.title, caption, path, path.relative_to(run_dir).as_posix())


def build_report(
    result: RunResult,
    summary: dict[str, Any],
    figures: list[FigureEntry],
    now: dt.datetime | None = None,
) -> Report:
    """Assemble the report of one run from its tables' summary and its drawn figures."""
    sc = result.scenario
    sections = [
        Section("summary", "Summary", paragraphs=executive_summary(result, summary)),
        Section(
            "caveat",
            "How far to trust these numbers",
            paragraphs=caveat_paragraphs(caveat(result)),
            boxed=True,
        ),
        Section(
            "key-numbers",
            "Key numbers",
            note=key_note(result, summary),
            tables=[key_numbers(result, summary)],
        ),
        *_churn_sections(result),
        Section("run", "About this run", facts=facts(result, now or dt.datetime.now())),
        Section("figures", "Figures", figures=figures),
    ]
    return Report(
        title=f"Scenario report: {sc.title} ({sc.name})"
        if sc.title
        else f"Scenario report: {sc.name}",
        description=sc.description.strip(),
        sections=sections,
        parameters=parameter_table(sc),
        generator=f"telsim {result.provenance.get('version', '')}".strip(),
    )


def _churn_sections(result: RunResult) -> list[Section]:
    """The churn section, or none for a run folder written before cohorts existed."""
    from sim.report.cohorts import churn_section  # it builds on this module's Table

    section = churn_section(result)
    return [] if section is None else [section]


def caveat_paragraphs(trust: Caveat) -> list[str]:
    """The caveat as paragraphs: the headline first, then one per point."""
    return [trust.headline, *trust.lines]


def facts(result: RunResult, now: dt.datetime) -> list[tuple[str, str]]:
    """The title block: what ran, how big, how often, with which seed and version."""
    sc, prov = result.scenario, result.provenance
    pop = sc.population
    dates = sc.simulation.month_dates()
    agents = f"{pop.size:,} at month 0"
    if prov.get("agents", pop.size) > pop.size:
        agents += f", {prov['agents']:,} including market entrants"
    represents = (
        f"{pop.represents:,.0f} subscribers at month 0 "
        f"({pop.represents / pop.size:,.1f} per agent; counts and money are scaled)"
        if pop.represents
        else "not set: counts are agents"
    )
    rows = [
        ("Scenario", sc.name),
        ("Months", f"{sc.simulation.months} ({dates[0]:%Y-%m} to {dates[-1]:%Y-%m})"),
        ("Agents", agents),
        ("Represents", represents),
        ("Replications", f"{result.replications}"),
        ("Seed", f"{sc.simulation.seed}"),
        ("telsim version", str(prov.get("version", "unknown"))),
    ]
    if "engine" in prov or "threads" in prov:
        engine = f"{prov.get('engine', 'numba')}, {prov.get('threads', '?')} thread(s)"
        if "wall_seconds" in prov:
            engine += f", {prov['wall_seconds']:,.1f} s wall time"
        rows.append(("Engine", engine))
    if "scenario_sha256" in prov:
        rows.append(("Scenario SHA-256", str(prov["scenario_sha256"])[:16]))
    if "created" in prov:
        rows.append(("Run date", _date(str(prov["created"]))))
    rows.append(("Report date", f"{now:%Y-%m-%d %H:%M}"))
    return rows


def _date(stamp: str) -> str:
    """``2025-11-23T04:03:12+0000`` -> ``2025-11-23 04:03``; anything else as given."""
    try:
        return f"{dt.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S%z'):%Y-%m-%d %H:%M}"
    except ValueError:
        return stamp


def key_numbers(result: RunResult, summary: dict[str, Any]) -> Table:
    """One row per operator: final share, its change, churn, ARPU and CLV."""
    unit = currency_unit(result)
    labels = plots.operator_labels(result)
    columns = [
        "Operator",
        "Final share (5–95 %)",
        "Change in share",
        "Subscribers at end",
        "Annualised churn (5–95 %)",
        f"ARPU ({unit}/month)",
        f"CLV ({unit}, 5–95 %)",
    ]
    rows = []
    for name, row in summary["operators"].items():
        rows.append(
            [
                labels.get(name, name),
                fmt.pct_band(row["final_share"]),
                fmt.points(row["share_change"]["p50"]),
                fmt.count(row["final_subscribers"]["p50"]),
                fmt.pct_band(row["annualised_churn"]),
                fmt.money(row["arpu"]["p50"], digits=1),
                fmt.money_band(row["clv"]),
            ]
        )
    return Table(columns, rows, [False] + [True] * (len(columns) - 1))


def key_note(result: RunResult, summary: dict[str, Any]) -> str:
    """How to read the key numbers: which month, which statistic, which window."""
    econ = result.scenario.economics
    last = result.scenario.simulation.month_dates()[-1]
    reps = summary["replications"]
    return (
        f"At month {summary['months']} ({last:%Y-%m}); medians across {reps} "
        f"replication{'s' if reps != 1 else ''}, 5–95 % bands in brackets. Change in share: final minus month-0 "
        f"share, in percentage points. Annualised churn: 1 − (Π(1 − monthly churn))^(12/months) "
        f"over the run. ARPU and CLV use the last 12 months; "
        f"CLV = margin × ARPU × (1 + r) / (r + monthly churn) with margin "
        f"{fmt.pct(econ.margin, 0)} and a discount rate of {fmt.pct(econ.annual_discount_rate)} "
        f"a year. {_money_unit(result)}"
    )


def _money_unit(result: RunResult) -> str:
    unit = currency_unit(result)
    return f"Money in {unit}." if unit != "currency" else "Money in the scenario's currency."
