"""The report as Markdown: readable as plain text, renders on GitHub, links its PNGs.

Figures are linked by their path relative to the run folder, so ``report.md`` renders
wherever the folder is copied whole.
"""

from __future__ import annotations

from sim.report.content import Report, Section, Table


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


def section(s: Section) -> list[str]:
    """One body section: heading, note, paragraphs (quoted when boxed), tables, figures."""
    lines = [f"## {s.title}", ""]
    if s.note:
        lines += [s.note, ""]
    for k, text in enumerate(s.paragraphs):
        text = f"**{text}**" if s.boxed and k == 0 else text
        lines += [f"> {text}" if s.boxed else text, ">" if s.boxed else ""]
    if s.boxed and s.paragraphs:
        lines[-1] = ""
    if s.facts:
        lines += table(Table(["", ""], [[f"**{k}**", v] for k, v in s.facts], [False, False]))
        lines.append("")
    for t in s.tables:
        lines += [*table(t), ""]
    for fig in s.figures:
        label = f"Figure {fig.number}. {fig.title}"
        lines += [f"### {label}", "", f"![{label}]({fig.link})", ""]
        lines += [f"*Figure {fig.number}. {fig.caption}*", ""]
    return lines


def render_markdown(report: Report) -> str:
    """The whole report: title, the body's sections in order, then the parameters."""
    lines = [f"# {report.title}", ""]
    if report.description:
        lines += [report.description, ""]
    for s in report.sections:
        lines += section(s)
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
