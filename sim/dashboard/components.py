"""Solara components of the dashboard's main area: the month's numbers and the figures.

Every component reads Mesa's ``update_counter``, so SolaraViz's Step, Play and Reset
redraw it, and caches its picture on (model, panel key): a month is drawn once however
often the page renders, and the graph sample only when someone in it switches. The
figures themselves live in :mod:`sim.dashboard.figures`.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from sim.dashboard import figures, metrics
from sim.dashboard.export import export_filename, export_yaml
from sim.dashboard.graph_sample import sample as graph_sample
from sim.dashboard.model import DashboardModel

# The month a figure shows, written by the page under the picture from the figure's
# ``data-label``: no element more to update, and no text for matplotlib to draw.
LABEL_CSS = (
    "[data-figure][data-label]::after { content: attr(data-label); display: block;"
    " text-align: right; font-size: 0.75em; color: #4d4d4d; margin-top: -0.3em; }"
)


@solara.component
def PanelView(model: DashboardModel, make: Callable[[DashboardModel], figures.Panel], name: str):
    """One figure: its panel is built once per model, its picture once per new key."""
    update_counter.get()
    panel = solara.use_memo(lambda: make(model), [model, name])
    image = solara.use_memo(panel.picture, [panel, panel.key()])
    attributes = {"data-figure": name, "data-month": str(model.month)}
    if panel.dated:
        attributes["data-label"] = figures.month_label(model)
    with solara.Div(attributes=attributes):
        solara.Image(image, width="100%", format="png")


def graph_panel(model: DashboardModel) -> figures.GraphPanel:
    """The social-graph panel, with a snowball sample laid out for this model."""
    return figures.GraphPanel(
        model, graph_sample(model.graph, model.spec.population.size, model.seed)
    )


def summary_html(model: DashboardModel) -> str:
    """The month in numbers as an HTML table; each value carries a ``data-testid``.

    Shares, churn and subscribers per operator, so a reader (or a browser test) gets the
    exact values the figures plot.
    """
    spec = model.spec
    t = model.month
    date = spec.simulation.month_dates()[t]
    shares = metrics.shares(model)[t]
    churn = metrics.churn(model)
    churn_now = churn[-1] if churn.shape[0] else np.zeros(churn.shape[1])  # month 0: none
    subs = metrics.subscribers(model)
    sat = metrics.attachment(model).satisfaction
    unit = "subscribers" if spec.population.represents else "agents"
    rows = []
    for j, label in enumerate(metrics.operator_labels(model)):
        rows.append(
            "<tr>"
            f"<td>{html.escape(label)}</td>"
            f'<td data-testid="share-{j}" data-value="{shares[j]:.10f}">{100 * shares[j]:.2f} %</td>'
            f'<td data-testid="churn-{j}" data-value="{churn_now[j]:.10f}">{100 * churn_now[j]:.2f} %</td>'
            f'<td data-testid="subscribers-{j}" data-value="{subs[j]:.1f}">{_human(subs[j])}</td>'
            f'<td data-testid="satisfaction-{j}">{sat[j]:.3f}</td>'
            "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("operator", "share", "churn this month", unit, "satisfaction")
    )
    return (
        "<style>table.telsim-month td, table.telsim-month th "
        "{padding: 0.1em 1.2em 0.1em 0; text-align: right; white-space: nowrap}"
        " table.telsim-month td:first-child, table.telsim-month th:first-child "
        "{text-align: left}</style>"
        f'<div style="font-size:0.95em">'
        f'<p><b>Month <span data-testid="month" data-value="{t}">{t}</span></b> of '
        f"{spec.simulation.months} ({date:%Y-%m}) &middot; "
        f'seed <span data-testid="seed">{spec.simulation.seed}</span> &middot; '
        f'<span data-testid="agents">{spec.population.size:,}</span> agents</p>'
        f'<table class="telsim-month" data-testid="summary" style="border-collapse:collapse">'
        f"<tr>{head}</tr>{''.join(rows)}</table></div>"
    )


def _human(x: float) -> str:
    for unit, size in (("bn", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:.2f} {unit}"
    return f"{x:,.0f}"


def changes_html(model: DashboardModel) -> str:
    """The levers that differ from the scenario, as an HTML list (plain HTML: no CDN)."""
    if not model.changes:
        return '<p data-testid="changes"><b>Levers:</b> as in the scenario.</p>'
    items = "".join(f"<li>{html.escape(line)}</li>" for line in model.changes)
    return (
        '<div data-testid="changes"><b>Levers changed from the scenario:</b>'
        f'<ul style="margin:0.2em 0 0.5em 1.2em">{items}</ul></div>'
    )


@solara.component
def Summary(model: DashboardModel):
    """The month in numbers, the levers in force, and the export button."""
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=summary_html(model))
    for problem in model.problems:
        solara.Error(problem)
    solara.HTML(tag="div", unsafe_innerHTML=changes_html(model))
    solara.Text(
        "Move levers in the sidebar, then press Reset: the model restarts at month 0 with them.",
        style={"font-size": "0.85em", "color": "#666"},
    )
    solara.FileDownload(
        lambda: export_yaml(model),
        filename=export_filename(model),
        label="Export scenario",
        mime_type="application/x-yaml",
    )


@solara.component
def Board(model: DashboardModel):
    """The main area: the summary card and five figures in a responsive two-column grid."""
    cards: list[tuple[str, Callable[[], None]]] = [
        ("This month", lambda: Summary(model)),
        ("Market share", lambda: PanelView(model, figures.SharesPanel, "shares")),
        ("Monthly churn", lambda: PanelView(model, figures.ChurnPanel, "churn")),
        ("Switching flows", lambda: PanelView(model, figures.FlowsPanel, "flows")),
        (
            "Satisfaction and lock-in",
            lambda: PanelView(model, figures.AttachmentPanel, "attachment"),
        ),
        ("Social graph sample", lambda: PanelView(model, graph_panel, "graph")),
    ]
    solara.Style(LABEL_CSS)
    with solara.ColumnsResponsive(12, large=6):
        for title, body in cards:
            with solara.Card(title, margin=0):
                body()
