"""The report as one self-contained HTML file, for a browser or a printer.

Figures are embedded as base64 PNG ``data:`` URIs and the style sheet is inline, so the
file can be mailed on its own and opens offline: it names no external URL. The
parameter table sits in a ``<details>`` element that opens itself for printing.
"""

from __future__ import annotations

import base64
from html import escape

from sim.report.content import Report, Section, Table
from sim.report.params import Parameter

CSS = """
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #111; max-width: 62rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid #999; padding-bottom: 0.2rem;
     margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.6rem 0 0.4rem; }
p.description { font-size: 1.05rem; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.55rem; vertical-align: top; }
th { background: #eee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.numbers { width: 100%; }
table.numbers td:first-child { white-space: nowrap; }
table.facts th { width: 11rem; }
table.params { font-size: 0.8rem; width: 100%; table-layout: fixed; }
table.params td:first-child { font-family: Menlo, Consolas, monospace; }
table.params td { overflow-wrap: anywhere; }
p.note { font-size: 0.9rem; color: #333; }
figure { margin: 1rem 0 1.6rem; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.88rem; color: #222; margin-top: 0.3rem; }
summary { cursor: pointer; font-weight: bold; }
footer { font-size: 0.8rem; color: #555; margin-top: 2rem; }
section.boxed { border: 2px solid #555; padding: 0.2rem 1rem 0.6rem; margin-top: 1.6rem;
                break-inside: avoid; page-break-inside: avoid; }
section.boxed h2 { border-bottom: none; margin-top: 0.8rem; }
#summary p { font-size: 1.02rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  th { background: none; }
  a { color: inherit; text-decoration: none; }
}
@page { margin: 15mm; }
"""

# Closed <details> print closed; open them for printing so the table reaches the paper.
PRINT_SCRIPT = (
    'window.addEventListener("beforeprint", function () {'
    ' document.querySelectorAll("details").forEach(function (d) { d.open = true; }); });'
)


def _table(t: Table, css_class: str) -> str:
    def row(cells: list[str], tag: str) -> str:
        out = []
        for text, right in zip(cells, t.numeric, strict=True):
            attr = ' class="num"' if right else ""
            cell = escape(text)
            if tag == "th":  # units on a line of their own: "Final share / (5–95 %)"
                cell = cell.replace(" (", "<br>(")
            out.append(f"<{tag}{attr}>{cell}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    head = row(t.columns, "th")
    body = "".join(row(r, "td") for r in t.rows)
    return f'<table class="{css_class}"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _facts(facts: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def _parameters(parameters: list[Parameter]) -> str:
    # Paths break after their dots (<wbr>), so a long path wraps where it reads well.
    rows = "".join(
        f"<tr><td>{escape(p.path).replace('.', '.<wbr>')}</td><td>{escape(p.value)}</td>"
        f"<td>{escape(p.description)}</td></tr>"
        for p in parameters
    )
    return (
        '<table class="params"><colgroup><col style="width: 38%"><col style="width: 22%">'
        '<col style="width: 40%"></colgroup>'
        f"<thead><tr><th>Parameter</th><th>Value</th><th>Meaning</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _figure(number: int, title: str, caption: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    label = f"Figure {number}. {title}"
    return (
        f'<figure id="figure-{number}"><h3>{escape(label)}</h3>'
        f'<img src="data:image/png;base64,{data}" alt="{escape(label)}">'
        f"<figcaption><strong>Figure {number}.</strong> {escape(caption)}</figcaption>"
        "</figure>"
    )


def _section(s: Section) -> str:
    """One body section: heading, note, paragraphs, tables, figures."""
    parts = [f"<h2>{escape(s.title)}</h2>"]
    if s.note:
        parts.append(f'<p class="note">{escape(s.note)}</p>')
    for k, text in enumerate(s.paragraphs):
        body = escape(text)
        parts.append(f"<p><strong>{body}</strong></p>" if s.boxed and k == 0 else f"<p>{body}</p>")
    if s.facts:
        parts.append(_facts(s.facts))
    parts += [_table(t, "numbers") for t in s.tables]
    parts += [_figure(f.number, f.title, f.caption, f.path.read_bytes()) for f in s.figures]
    boxed = ' class="boxed"' if s.boxed else ""
    return f'<section id="{escape(s.key)}"{boxed}>\n' + "\n".join(parts) + "\n</section>"


def render_html(report: Report) -> str:
    """The whole report as one HTML document with its figures inside."""
    body = "\n".join(_section(s) for s in report.sections)
    description = (
        f'<p class="description">{escape(report.description)}</p>' if report.description else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{escape(report.generator)}">
<title>{escape(report.title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{escape(report.title)}</h1>
{description}
</header>
{body}
<section id="parameters">
<h2>Parameters</h2>
<p class="note">Every parameter of the resolved scenario (<code>scenario.yaml</code>, every
default filled in). Each path works as <code>telsim run --set PATH=VALUE</code>.</p>
<details>
<summary>Show all {len(report.parameters)} parameters</summary>
{_parameters(report.parameters)}
</details>
</section>
<footer>Written by {escape(report.generator)}.</footer>
<script>{PRINT_SCRIPT}</script>
</body>
</html>
"""
