"""The dashboard's figures: built once per model, updated in place every month.

Drawing is most of what a month costs on screen (the model's month at 10^5 agents takes
~30 ms), and most of a fresh matplotlib figure's time goes into creating axes, ticks and
text. So each :class:`Panel` builds its figure once for a model and each month only
moves data into its artists (lines, bars, image, markers) before saving it as SVG.

As in :mod:`sim.plots`: readable in black and white (line styles, markers and hatching,
not colour alone), units on the axes, and a caption naming the scenario, the
replication, the agents and the seed. Time axes span the scenario's whole horizon, so
lines grow month by month instead of the axes jumping.
"""

from __future__ import annotations

import io
from typing import ClassVar

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.dashboard import metrics
from sim.dashboard.graph_sample import GraphSample
from sim.market.model import MarketModel
from sim.plots import STYLES

HATCHES = ("//", "\\\\", "--")  # lines, not dots: a dotted pattern is 60 kB of SVG
LOCKINS = ("economic", "knowledge", "emotional")


def operator_color(j: int) -> str:
    """Colour of operator row ``j``: black first, then matplotlib's cycle (as sim.plots)."""
    return "black" if j == 0 else f"C{j}"


def caption(model: MarketModel, dated: bool = True) -> str:
    """Which run a figure shows: scenario, replication, agents, seed (and month)."""
    spec = model.spec
    text = (
        f"Scenario '{spec.name}', 1 replication (replication 0), "
        f"{spec.population.size:,} agents, seed {spec.simulation.seed}"
    )
    if not dated:
        return text + "."
    date = spec.simulation.month_dates()[model.month]
    return f"{text}; month {model.month} of {spec.simulation.months} ({date:%Y-%m})."


def human(x: float) -> str:
    """Short count: 1.2k, 3.4M, 5.6bn."""
    for unit, size in (("bn", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:.1f}{unit}"
    return f"{x:.0f}"


class Panel:
    """One figure of the dashboard for one model: ``update`` then ``svg`` each month.

    Fixed margins instead of ``tight_layout``, which draws the figure once more.
    """

    margins: ClassVar[dict[str, float]] = {}
    dated: ClassVar[bool] = True  # the caption names the month

    def __init__(self, model: MarketModel):
        self.model = model
        self.labels = metrics.operator_labels(model)
        self.figure = Figure(figsize=(6.4, 3.6), dpi=90)
        self.figure.subplots_adjust(
            **{"left": 0.11, "right": 0.97, "top": 0.91, "bottom": 0.2, **self.margins}
        )
        self._caption = self.figure.text(0.01, 0.015, "", fontsize=6.5, color="0.3")
        self.build()

    def build(self) -> None:
        """Create axes and artists (once)."""
        raise NotImplementedError

    def update(self) -> Figure:
        """Move the current month's data into the artists; returns the figure."""
        self._caption.set_text(caption(self.model, self.dated))
        self.refresh()
        return self.figure

    def refresh(self) -> None:
        """Panel-specific part of :meth:`update`."""
        raise NotImplementedError

    def key(self) -> object:
        """What the picture depends on: a new key means a new picture (default: the month)."""
        return self.model.month

    def svg(self) -> bytes:
        """The updated figure as SVG, text kept as text (smaller and faster than outlines)."""
        self.update()
        buffer = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            self.figure.savefig(buffer, format="svg")
        return buffer.getvalue()

    # -- helpers shared by the time-series panels
    def _time_axes(self, ax) -> None:
        """Months on x (numbers, not dates: faster), labelled by year at each January."""
        dates = self.model.spec.simulation.month_dates()
        ticks = [t for t, d in enumerate(dates) if d.month == 1] or [0]
        step = max(1, len(ticks) // 6)
        ax.set_xticks(ticks[::step], [f"{dates[t]:%Y}" for t in ticks[::step]])
        ax.set_xlim(0, len(dates) - 1)
        ax.set_xlabel("calendar month")
        ax.grid(alpha=0.3)

    def _lines(self, ax) -> list:
        """One empty line per operator, styled as in sim.plots."""
        every = max(1, self.model.spec.simulation.months // 12)
        lines = []
        for j, label in enumerate(self.labels):
            style, marker = STYLES[j % len(STYLES)]
            (line,) = ax.plot(
                [],
                [],
                linestyle=style,
                marker=marker,
                markevery=every,
                markersize=4,
                color=operator_color(j),
                label=label,
            )
            lines.append(line)
        return lines


def _set_series(ax, lines: list, values: np.ndarray, first_month: int, floor0: bool) -> None:
    """Rows of ``values`` are months from ``first_month``; rescale y to the data."""
    x = np.arange(first_month, first_month + values.shape[0])
    for j, line in enumerate(lines):
        line.set_data(x, values[:, j])
    if values.size:
        low, high = float(values.min()), float(values.max())
        pad = max(0.05 * (high - low), 1e-3 * max(abs(high), 1.0))
        ax.set_ylim(0.0 if floor0 else low - pad, high + pad)


class SharesPanel(Panel):
    """Market share per operator, month 0 to now."""

    def build(self) -> None:  # noqa: D102
        self.ax = self.figure.subplots()
        self.lines = self._lines(self.ax)
        self._time_axes(self.ax)
        self.ax.set_ylabel("market share (% of subscribers)")
        self.ax.set_title("Market share", fontsize=10)
        self.ax.legend(frameon=False, fontsize=8)

    def refresh(self) -> None:  # noqa: D102
        _set_series(self.ax, self.lines, 100 * metrics.shares(self.model), 0, floor0=False)


class ChurnPanel(Panel):
    """Monthly churn per operator (churners / last month's subscribers), month 1 to now."""

    def build(self) -> None:  # noqa: D102
        self.ax = self.figure.subplots()
        self.lines = self._lines(self.ax)
        self._time_axes(self.ax)
        self.ax.set_ylabel("monthly churn (% of last month's subs.)")
        self.ax.set_title("Monthly churn", fontsize=10)
        self.ax.legend(frameon=False, fontsize=8, loc="upper right")
        self.hint = self.ax.text(
            0.5, 0.5, "step a month to see churn", ha="center", transform=self.ax.transAxes
        )

    def refresh(self) -> None:  # noqa: D102
        rates = 100 * metrics.churn(self.model)
        self.hint.set_visible(rates.shape[0] == 0)
        _set_series(self.ax, self.lines, rates, 1, floor0=True)


class FlowsPanel(Panel):
    """Who switched to whom in the current month: a from x to matrix with counts."""

    margins: ClassVar[dict[str, float]] = {"left": 0.2, "right": 0.9, "bottom": 0.24}

    def build(self) -> None:  # noqa: D102
        n = len(self.labels)
        self.ax = ax = self.figure.subplots()
        self.image = ax.imshow(np.zeros((n, n)), cmap="Greys", vmin=0, vmax=1)
        ax.set_xticks(range(n), self.labels, rotation=20, ha="right", fontsize=8)
        ax.set_yticks(range(n), self.labels, fontsize=8)
        ax.set_xlabel("to operator")
        ax.set_ylabel("from operator")
        self.texts = [
            [ax.text(b, a, "", ha="center", va="center", fontsize=9) for b in range(n)]
            for a in range(n)
        ]
        unit = "subscribers" if self.model.spec.population.represents else "agents"
        bar = self.figure.colorbar(self.image, ax=ax, label=f"{unit} switched this month")
        bar.formatter = FuncFormatter(lambda x, _: human(x))
        self.title = ax.set_title("", fontsize=10)

    def refresh(self) -> None:  # noqa: D102
        flows = metrics.last_flows(self.model)
        top = float(flows.max()) or 1.0
        self.image.set_data(flows)
        self.image.set_clim(0, top)
        for a, row in enumerate(self.texts):
            for b, text in enumerate(row):
                text.set_text("-" if a == b else human(flows[a, b]))
                text.set_color("white" if flows[a, b] > 0.6 * top else "black")
        t = self.model.month
        date = self.model.spec.simulation.month_dates()[t]
        self.title.set_text(
            f"Switching in month {t} ({date:%Y-%m})"
            if t
            else "Switching: step a month to see flows"
        )


class AttachmentPanel(Panel):
    """Satisfaction over time, and the three lock-in components now, per operator."""

    margins: ClassVar[dict[str, float]] = {"left": 0.1, "wspace": 0.35, "bottom": 0.24}

    def build(self) -> None:  # noqa: D102
        left, right = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": (1.15, 1)})
        self.left, self.right = left, right
        self.lines = self._lines(left)
        self._time_axes(left)
        left.tick_params(axis="x", labelsize=7)
        left.set_ylabel("mean satisfaction (0-1)")
        left.set_title("Satisfaction", fontsize=10)
        left.legend(frameon=False, fontsize=7)
        x = np.arange(len(self.labels))
        width = 0.8 / len(LOCKINS)
        self.bars = [
            right.bar(
                x + (k - 1) * width,
                np.zeros(len(self.labels)),
                width,
                label=name,
                color="white",
                edgecolor="black",
                hatch=HATCHES[k],
            )
            for k, name in enumerate(LOCKINS)
        ]
        right.set_xticks(x, self.labels, rotation=20, ha="right", fontsize=8)
        right.set_ylabel("mean lock-in (utility units)")
        right.legend(
            frameon=False,
            fontsize=7,
            loc="upper center",
            ncols=3,
            bbox_to_anchor=(0.5, 1.0),
            handlelength=1.2,
            columnspacing=0.8,
        )
        right.grid(axis="y", alpha=0.3)
        self.title = right.set_title("", fontsize=10)
        # values on the bars: small components would otherwise be invisible next to large
        self.values = [
            [
                right.text(
                    rect.get_x() + rect.get_width() / 2,
                    0,
                    "",
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=6,
                )
                for rect in bars
            ]
            for bars in self.bars
        ]

    def refresh(self) -> None:  # noqa: D102
        _set_series(
            self.left, self.lines, metrics.satisfaction_history(self.model), 0, floor0=False
        )
        now = metrics.attachment(self.model)
        values = (now.economic, now.knowledge, now.emotional)
        top = max(float(np.max(values)), 1e-3)
        for bars, texts, heights in zip(self.bars, self.values, values, strict=True):
            for rect, text, h in zip(bars, texts, heights, strict=True):
                rect.set_height(h)
                text.set_y(h + 0.02 * top)
                text.set_text(f"{h:.2g}")
        self.right.set_ylim(0, 1.35 * top)  # headroom for the legend row and the labels
        self.title.set_text(f"Lock-in, month {self.model.month}")


class GraphPanel(Panel):
    """The sampled subscribers and their ties, marked by their operator now."""

    margins: ClassVar[dict[str, float]] = {"left": 0.02, "right": 0.75, "top": 0.9, "bottom": 0.08}

    dated: ClassVar[bool] = False  # redrawn only when a sampled subscriber switches

    def __init__(self, model: MarketModel, sample: GraphSample):
        self.sample = sample
        super().__init__(model)

    def build(self) -> None:  # noqa: D102
        s = self.sample
        self.ax = ax = self.figure.subplots()
        if s.edges.size:
            ax.add_collection(
                LineCollection(s.xy[s.edges], colors="0.75", linewidths=0.5, zorder=1)
            )
        empty = np.empty((0, 2))
        self.points = []
        for j, label in enumerate(self.labels):
            _, marker = STYLES[j % len(STYLES)]
            self.points.append(
                ax.scatter(
                    empty[:, 0],
                    empty[:, 1],
                    s=28,
                    marker=marker,
                    color=operator_color(j),
                    edgecolors="white" if j == 0 else "black",
                    linewidths=0.4,
                    label=label,
                    zorder=2,
                )
            )
        ax.set_xlim(s.xy[:, 0].min() - 0.05, s.xy[:, 0].max() + 0.05)
        ax.set_ylim(s.xy[:, 1].min() - 0.05, s.xy[:, 1].max() + 0.05)
        ax.set_axis_off()
        self.legend = ax.legend(
            frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5)
        )
        ax.set_title(
            f"Social ties of {s.nodes.size} subscribers (snowball sample), by operator now",
            fontsize=10,
        )

    def key(self) -> object:
        """The sampled subscribers' operators: most months nobody in the sample switches."""
        return self.model.state.operator[self.sample.nodes].tobytes()

    def refresh(self) -> None:  # noqa: D102
        # the current buffer holds this month's operator; the sample is of month-0
        # subscribers, who never leave the market, so every one has an operator
        ops = self.model.state.operator[self.sample.nodes]
        texts = self.legend.get_texts()
        for j, points in enumerate(self.points):
            mine = ops == j
            points.set_offsets(self.sample.xy[mine])
            texts[j].set_text(f"{self.labels[j]} ({int(mine.sum())})")
