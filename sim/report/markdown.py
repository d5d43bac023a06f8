"""The report as Markdown: readable as plain text, renders on GitHub, links its PNGs.

Figures are linked by their path relative to the run folder, so ``report.md`` renders
wherever the folder is copied whole.
"""

from __future__ import annotations

from sim.report.content import Report, Table


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipe or line break ends the cell early."""
    return " ".join(text.split()).replace("|", "\\|")


def table(t: Table) -> list[str]:
    """A pipe table, numeric columns aligned right."""
    lines = [
        "| " + " | ".join(cell(c) for c in t.columns) + " |",
        "|" + "|".join("---:" if right else ":---" for right in t.numeric) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in t.rows]
    return lines


def render_markdown(report: Report) -> str:
    """The whole report: title block, key numbers, numbered figures, parameters."""
    lines = [f"# {report.title}", ""]
    if report.description:
        lines += [report.description, ""]
    lines += table(Table(["", ""], [[f"**{k}**", v] for k, v in report.facts], [False, False]))
    lines += ["", "## Key numbers", "", report.key_note, ""]
    lines += table(report.key_numbers)
    if report.churn is not None:
        lines += ["", "## Churn", "", report.churn.note, ""]
        lines += [*table(report.churn.parts), "", *table(report.churn.cohorts)]
    lines += ["", "## Figures", ""]
    for fig in report.figures:
        label = f"Figure {fig.number}. {fig.title}"
        lines += [f"### {label}", "", f"![{label}]({fig.link})", ""]
        lines += [f"*Figure {fig.number}. {fig.caption}*", ""]
    lines += [
        "## Parameters",
        "",
        f"All {len(report.parameters)} parameters of the resolved scenario "
        "(`scenario.yaml`, every default filled in). Each path works as "
        "`telsim run --set PATH=VALUE`.",
        "",
    ]
    rows = [[f"`{p.path}`", p.value, p.description] for p in report.parameters]
    lines += table(Table(["Parameter", "Value", "Meaning"], rows, [False, False, False]))
    lines += ["", f"*Written by {report.generator}.*", ""]
    return "\n".join(lines)
