"""The dashboard's figures: drawn once per model, then only what changes, each month.

Drawing is most of what a month costs on screen (the model's month at 10^5 agents takes
~30-60 ms). A full matplotlib draw of the five figures costs 0.2-0.6 s (axes, ticks,
text, markers), so each :class:`Panel` keeps its figure for the model's lifetime and
renders with Agg blitting: the static part (axes, ticks, labels, legend) is drawn once
and kept as a pixel buffer; each month restores it and draws only the artists that
change (lines, bars, image, markers, month captions), then encodes a PNG. The static
part is drawn again only when it changes: y-axis limits move in whole tick steps, so
that happens every few months rather than every month, and in a figure of two axes only
the axes whose limits moved is drawn again (see docs/dashboard.md, Speed).

As in :mod:`sim.plots`: readable in black and white (line styles, markers and hatching,
not colour alone), units on the axes, and a caption naming the scenario, the
replication, the agents and the seed. Time axes span the scenario's whole horizon, so
lines grow month by month instead of the axes jumping.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from sim.dashboard import metrics
from sim.dashboard.graph_sample import GraphSample
from sim.dashboard.png import encode_rgba
from sim.market.model import MarketModel
from sim.plots import STYLES

HATCHES = ("//", "\\\\", "--")
LOCKINS = ("economic", "knowledge", "emotional")
DPI = 80  # 512 x 288 pixels: about the width a figure gets in the page's two columns


def operator_color(j: int) -> str:
    """Colour of operator row ``j``: black first, then matplotlib's cycle (as sim.plots)."""
    return "black" if j == 0 else f"C{j}"


def caption(model: MarketModel) -> str:
    """Which run a figure shows: scenario, replication, agents, seed."""
    spec = model.spec
    return (
        f"Scenario '{spec.name}', 1 replication (replication 0), "
        f"{spec.population.size:,} agents, seed {spec.simulation.seed}."
    )


def month_label(model: MarketModel) -> str:
    """Which month a figure shows, e.g. ``month 24 of 60 (2011-01)``: the page's label."""
    spec = model.spec
    date = spec.simulation.month_dates()[model.month]
    return f"month {model.month} of {spec.simulation.months} ({date:%Y-%m})"


def human(x: float) -> str:
    """Short count: 1.2k, 3.4M, 5.6bn."""
    for unit, size in (("bn", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:.1f}{unit}"
    return f"{x:.0f}"


class Panel:
    """One figure of the dashboard for one model: ``picture`` each month.

    Subclasses create their axes and artists in ``build``, mark the artists a month
    changes with ``self.moving(...)``, move the month's data into them in ``refresh``,
    and say in ``static_key`` what the rest of the figure depends on (y-axis limits,
    colour scale). Fixed margins instead of ``tight_layout``, which draws once more.

    Attributes:
        full_draws: how often the whole static part was drawn (the expensive case).
        axes_draws: how often the static part of some axes only was drawn.
    """

    margins: ClassVar[dict[str, float]] = {}
    dated: ClassVar[bool] = True  # the picture changes every month (the page labels it)

    def __init__(self, model: MarketModel):
        self.model = model
        self.labels = metrics.operator_labels(model)
        self.figure = Figure(figsize=(6.4, 3.6), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(
            **{"left": 0.11, "right": 0.97, "top": 0.91, "bottom": 0.2, **self.margins}
        )
        self._moving: list[Artist] = []
        # The caption is static. The month is not drawn here: the page writes it under
        # the picture (:func:`month_label`): Agg draws text glyph by glyph from Python and
        # looks its font up in ``rcParams`` every time, which inside solara (per-session
        # ``rcParams``) cost ~4.5 ms a figure a month (docs/dashboard.md, Speed).
        self._caption = self.figure.text(0.01, 0.015, caption(model), fontsize=6.5, color="0.3")
        self._background = None
        self._drawn_key: object = None
        self._limits: dict[int, tuple[float, float]] = {}  # y limits set, by id(axes)
        self.full_draws = 0
        self.axes_draws = 0  # static redraws of some axes only
        self._boxes: dict[int, Bbox] = {}  # each axes' tight box when last drawn, by id
        self.build()

    def build(self) -> None:
        """Create axes and artists (once)."""
        raise NotImplementedError

    def moving(self, *artists: Artist) -> None:
        """Mark artists redrawn every month (the rest is the static background)."""
        for artist in artists:
            artist.set_animated(True)
            self._moving.append(artist)

    def update(self) -> Figure:
        """Move the current month's data into the artists; returns the figure."""
        self.refresh()
        return self.figure

    def refresh(self) -> None:
        """Panel-specific part of :meth:`update`."""
        raise NotImplementedError

    def static_key(self) -> object:
        """What the static part depends on besides the build (default: nothing)."""
        return None

    def grow_limits(self, ax, low: float, high: float, floor0: bool) -> None:
        """Set ``ax``'s y limits with :func:`nice_limits`, growing the ones set before."""
        keep = self._limits.get(id(ax))
        self._limits[id(ax)] = nice_limits(low, high, floor0, keep)
        ax.set_ylim(*self._limits[id(ax)])

    def set_series(
        self, ax, lines: list, values: np.ndarray, first_month: int, floor0: bool
    ) -> None:
        """Rows of ``values`` are months from ``first_month``, one column per line."""
        x = np.arange(first_month, first_month + values.shape[0])
        for j, line in enumerate(lines):
            line.set_data(x, values[:, j])
        if values.size:
            self.grow_limits(ax, float(values.min()), float(values.max()), floor0)

    def key(self) -> object:
        """What the picture depends on: a new key means a new picture (default: the month)."""
        return self.model.month

    def keyed_axes(self) -> tuple | None:
        """Axes whose static parts depend only on their own entry of ``static_key``.

        A panel returning its axes here returns one key per axes from ``static_key``;
        when only some entries change, only those axes are drawn again
        (:meth:`redraw_axes`). ``None`` (the default): the key is the whole figure's.
        """
        return None

    def render(self) -> None:
        """Update, then draw into the canvas: the background only when it changed."""
        self.update()
        key = self.static_key()
        if self._background is None:
            self.draw_background()
        elif key != self._drawn_key:
            axes = self.keyed_axes()
            if axes is None:
                self.draw_background()
            else:
                changed = [
                    ax for ax, a, b in zip(axes, key, self._drawn_key, strict=True) if a != b
                ]
                if not self.redraw_axes(changed):
                    self.draw_background()
        else:
            self.canvas.restore_region(self._background)
        self._drawn_key = key
        for artist in self._moving:
            self.figure.draw_artist(artist)

    def draw_background(self) -> None:
        """Draw the whole static part and keep it (the expensive case)."""
        self.canvas.draw()  # everything but the moving artists
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.full_draws += 1
        if self.keyed_axes() is not None:  # what each axes covers, for redraw_axes
            renderer = self.canvas.get_renderer()
            self._boxes = {id(ax): ax.get_tightbbox(renderer) for ax in self.figure.axes}

    def redraw_axes(self, changed: list) -> bool:
        """Draw the static part of the ``changed`` axes only, into the kept background.

        The figure is drawn with the other axes hidden and the changed axes' region
        (its tight box, with a margin for anti-aliasing) is pasted into the background.
        Returns False, drawing nothing, when every axes changed or that region would
        cover another axes' pixels: the whole background must then be drawn.
        """
        others = [ax for ax in self.figure.axes if ax not in changed]
        if not others:
            return False
        renderer = self.canvas.get_renderer()
        # what the axes covers now and covered when last drawn (wider tick labels)
        boxes = [
            Bbox.intersection(
                Bbox.union([ax.get_tightbbox(renderer), self._boxes[id(ax)]]).padded(3),
                self.figure.bbox,
            )
            for ax in changed
        ]
        if any(box.overlaps(self._boxes[id(ax)]) for box in boxes for ax in others):
            return False
        for ax in others:
            ax.set_visible(False)
        try:
            self.canvas.draw()
        finally:
            for ax in others:
                ax.set_visible(True)
        regions = [self.canvas.copy_from_bbox(box) for box in boxes]
        self.canvas.restore_region(self._background)
        for region in regions:
            self.canvas.restore_region(region)
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._boxes.update((id(ax), ax.get_tightbbox(renderer)) for ax in changed)
        self.axes_draws += 1
        return True

    def picture(self) -> bytes:
        """The month's figure as a PNG."""
        self.render()
        return encode_rgba(np.asarray(self.canvas.buffer_rgba()))

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
        """One empty line per operator, styled as in sim.plots, redrawn every month."""
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
        self.moving(*lines)
        return lines


def nice_limits(
    low: float, high: float, floor0: bool, keep: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Axis limits on whole tick steps around [low, high] (0 at the bottom if ``floor0``).

    With ``keep`` (the limits in force) the limits only grow: they stay as they are
    while the data fits, and widen to take in the data when it does not. So the axes
    (the expensive part to draw) change in a few months of a run, not every month.
    """
    if keep is not None:
        if keep[0] <= low and high <= keep[1]:
            return keep
        # widen with a quarter of the span to spare on the side that grew: a trend
        # (lock-in building up) then crosses a few steps, not one a month
        span = max(high, keep[1]) - min(low, keep[0])
        low = min(keep[0], low - 0.25 * span) if low < keep[0] else keep[0]
        high = max(keep[1], high + 0.25 * span) if high > keep[1] else keep[1]
    low = 0.0 if floor0 else low
    if high - low < 1e-9:
        pad = max(1e-3 * max(abs(high), 1.0), 1e-6)
        low, high = (low if floor0 else low - pad), high + pad
    ticks = MaxNLocator(nbins=5, min_n_ticks=3).tick_values(low, high)
    return float(ticks[0]), float(ticks[-1])


def scale_top(peak: float) -> float:
    """The top of a colour scale: the first of 1, 2, 5 x 10^k at or above ``peak``.

    Coarse on purpose: the colour bar (static, expensive to draw) changes only when the
    month's largest flow crosses one of these steps.
    """
    if peak <= 0:
        return 1.0
    decade = 10.0 ** math.floor(math.log10(peak))
    return next(m * decade for m in (1.0, 2.0, 5.0, 10.0) if m * decade >= peak)


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
        self.set_series(self.ax, self.lines, 100 * metrics.shares(self.model), 0, floor0=False)

    def static_key(self) -> object:  # noqa: D102
        return self.ax.get_ylim()


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
        self.moving(self.hint)

    def refresh(self) -> None:  # noqa: D102
        rates = 100 * metrics.churn(self.model)
        self.hint.set_visible(rates.shape[0] == 0)
        self.set_series(self.ax, self.lines, rates, 1, floor0=True)

    def static_key(self) -> object:  # noqa: D102
        return self.ax.get_ylim()


class FlowsPanel(Panel):
    """Who switched to whom in the current month: a from x to matrix with counts."""

    margins: ClassVar[dict[str, float]] = {"left": 0.2, "right": 0.9, "bottom": 0.24}

    def build(self) -> None:  # noqa: D102
        n = len(self.labels)
        self.ax = ax = self.figure.subplots()
        # a mesh of n x n cells draws in a fraction of an image's resampling time
        edges = np.arange(n + 1) - 0.5
        self.image = ax.pcolormesh(edges, edges, np.zeros((n, n)), cmap="Greys", vmin=0, vmax=1)
        ax.set_aspect("equal")
        ax.invert_yaxis()  # "from" operators top to bottom, as in a table
        ax.set_xticks(range(n), self.labels, rotation=20, ha="right", fontsize=8)
        ax.set_yticks(range(n), self.labels, fontsize=8)
        ax.set_xlabel("to operator")
        ax.set_ylabel("from operator")
        self.texts = [
            [
                ax.text(b, a, "-" if a == b else "", ha="center", va="center", fontsize=9)
                for b in range(n)
            ]
            for a in range(n)
        ]
        unit = "subscribers" if self.model.spec.population.represents else "agents"
        bar = self.figure.colorbar(self.image, ax=ax, label=f"{unit} switched this month")
        bar.formatter = FuncFormatter(lambda x, _: human(x))
        self.title = ax.set_title("Switching this month", fontsize=10)
        self.hint = ax.text(
            0.5, 0.5, "step a month to see flows", ha="center", transform=ax.transAxes
        )
        off_diagonal = (
            text for a, row in enumerate(self.texts) for b, text in enumerate(row) if a != b
        )
        self.moving(self.image, *off_diagonal, self.hint)  # "-" on the diagonal: static
        self.moving(*ax.spines.values())  # over the cells, as in a full draw

    def refresh(self) -> None:  # noqa: D102
        flows = metrics.last_flows(self.model)
        peak, top = float(flows.max()), self.image.get_clim()[1]
        if not top / 5 < peak <= top:  # keep the scale while the peak stays within one step
            top = scale_top(peak)
        # diagonal cells left empty, so the static "-" under them shows
        self.image.set_array(np.ma.masked_array(flows, mask=np.eye(len(flows), dtype=bool)))
        self.image.set_clim(0, top)
        for a, row in enumerate(self.texts):
            for b, text in enumerate(row):
                if a != b:
                    text.set_text(human(flows[a, b]))
                    text.set_color("white" if flows[a, b] > 0.6 * top else "black")
                    text.set_visible(self.model.month > 0)
        self.hint.set_visible(self.model.month == 0)

    def static_key(self) -> object:  # noqa: D102
        return self.image.get_clim()


class AttachmentPanel(Panel):
    """Satisfaction over time, and the three lock-in components now, per operator."""

    margins: ClassVar[dict[str, float]] = {"left": 0.12, "wspace": 0.38, "bottom": 0.24}

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
        self.title = right.set_title("Lock-in this month", fontsize=10)
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
        self.moving(*(rect for bars in self.bars for rect in bars), *right.spines.values())
        self.moving(*(text for texts in self.values for text in texts))

    def refresh(self) -> None:  # noqa: D102
        self.set_series(
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
        # headroom for the legend row and the labels, on a tick step
        self.grow_limits(self.right, 0.0, 1.35 * top, floor0=True)

    def static_key(self) -> object:  # noqa: D102
        return self.left.get_ylim(), self.right.get_ylim()

    def keyed_axes(self) -> tuple | None:  # noqa: D102
        return self.left, self.right


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
        self.moving(*self.points, self.legend)
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
