"""report.html: self-contained (figures as data: URIs, no URL), well formed, escaped."""

from __future__ import annotations

import base64
import datetime as dt
import re
from html.parser import HTMLParser

import pytest
import reportkit

from sim.report.content import FigureEntry, Report, build_report, figure_entry
from sim.report.figures import REPORT_FIGURES
from sim.report.html import render_html

FIGURES = ("switching", "satisfaction_lockin")
VOID = {"meta", "img", "br", "col", "wbr", "link", "hr", "input"}


class Structure(HTMLParser):
    """Checks that every non-void tag closes in order; counts tags and collects src."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.sources: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self.sources += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("html")
    result = reportkit.result()
    entries: list[FigureEntry] = [
        figure_entry(k + 1, spec, result, spec.draw(result, folder / f"{spec.key}.png"), folder)
        for k, spec in enumerate(f for f in REPORT_FIGURES if f.key in FIGURES)
    ]
    return build_report(result, result.summary(), entries, dt.datetime(2030, 1, 2))


@pytest.fixture(scope="module")
def page(report: Report) -> str:
    return render_html(report)


def test_self_contained(page: str, report: Report) -> None:
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, re.IGNORECASE)
    parser = Structure()
    parser.feed(page)
    assert parser.counts["img"] == len(report.figures) == 2
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in parser.sources), parser.sources
    for src, fig in zip(parser.sources, report.figures, strict=True):
        assert base64.b64decode(src[len(prefix) :]) == fig.path.read_bytes()


def test_well_formed(page: str, report: Report) -> None:
    parser = Structure()
    parser.feed(page)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert page.startswith("<!DOCTYPE html>")
    assert parser.counts["details"] == 1 and parser.counts["figure"] == 2
    assert parser.counts["figcaption"] == 2 and parser.counts["style"] == 1
    rows = len(report.parameters) + 1 + len(report.key_numbers.rows) + 1 + len(report.facts)
    rows += sum(len(t.rows) + 1 for t in report.section("churn").tables)
    assert parser.counts["tr"] == rows


def test_text_is_escaped_and_captions_numbered(page: str) -> None:
    assert "A small market | with a pipe" in page
    assert "results/&lt;name&gt;" in page  # a field description, escaped
    assert "<strong>Figure 1.</strong> Subscribers who moved" in page
    assert "<strong>Figure 2.</strong> Mean satisfaction" in page
    assert "Final share<br>(5–95 %)" in page  # units on their own line in headers
    assert "operators.<wbr>B.<wbr>plans.<wbr>basic.<wbr>monthly_fee" in page


def test_details_open_for_print(page: str) -> None:
    assert 'addEventListener("beforeprint"' in page and "d.open = true" in page
    assert "@media print" in page
