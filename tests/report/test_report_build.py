"""write_report end to end: files on disk, key numbers as in summary.json, repeatable."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import reportkit

from sim.report import FIGURE_DIR, ReportPaths, write_report
from sim.report.figures import REPORT_FIGURES

NOW = dt.datetime(2030, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportPaths, list]:
    folder = reportkit.saved_run(tmp_path_factory.mktemp("build") / "run")
    steps: list[tuple[int, int, str]] = []
    paths = write_report(folder, progress=lambda *a: steps.append(a), now=NOW)
    return folder, paths, steps


def test_files(built: tuple[Path, ReportPaths, list]) -> None:
    folder, paths, steps = built
    assert paths.html == folder / "report.html" and paths.markdown == folder / "report.md"
    assert [p.name for p in paths.figures] == [
        f"{f.key}.png"
        for f in REPORT_FIGURES
        if f.key != "validation"  # no reported data
    ]
    for png in paths.figures:
        assert png.parent == folder / FIGURE_DIR
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert paths.html.stat().st_size > sum(p.stat().st_size for p in paths.figures)
    assert not list(folder.rglob("*.tmp")) and not list(folder.rglob(".*"))
    assert steps[0] == (0, 9, "figure 1: market share") and steps[-1] == (9, 9, "done")


def _key_rows(markdown: str) -> dict[str, list[str]]:
    lines = markdown.split("## Key numbers", 1)[1].split("\n## ", 1)[0].splitlines()
    table = [line for line in lines if line.startswith("| ")]
    return {row.split(" | ")[0][2:]: row.strip("| ").split(" | ") for row in table[1:]}


def test_key_numbers_are_those_of_summary_json(built: tuple[Path, ReportPaths, list]) -> None:
    folder, paths, _ = built
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    rows = _key_rows(paths.markdown.read_text(encoding="utf-8"))
    labels = {"A": "Alpha Mobile", "B": "B", "C": "C", "D": "D"}
    assert list(rows) == [labels[n] for n in summary["operators"]]
    for name, numbers in summary["operators"].items():
        row = rows[labels[name]]

        def band(key: str, numbers: dict = numbers) -> str:
            b = numbers[key]
            return f"{100 * b['p50']:.1f} % ({100 * b['p5']:.1f}–{100 * b['p95']:.1f})"

        assert row[1] == band("final_share")
        assert float(row[2].removesuffix(" pp")) == pytest.approx(
            100 * numbers["share_change"]["p50"], abs=0.051
        )
        assert row[3] == f"{numbers['final_subscribers']['p50']:,.0f}"
        assert row[4] == band("annualised_churn")
        assert row[5] == f"{numbers['arpu']['p50']:,.1f}"
        clv = numbers["clv"]
        assert row[6] == f"{clv['p50']:,.0f} ({clv['p5']:,.0f}–{clv['p95']:,.0f})"


def test_html_embeds_every_figure(built: tuple[Path, ReportPaths, list]) -> None:
    _, paths, _ = built
    page = paths.html.read_text(encoding="utf-8")
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(paths.figures)
    for src, png in zip(sources, paths.figures, strict=True):
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == png.read_bytes()
    assert "report_test" in page and "2030-01-02 03:04" in page


def test_in_memory_run_gives_the_same_report(
    built: tuple[Path, ReportPaths, list], tmp_path: Path
) -> None:
    """What telsim run writes (from memory) equals what telsim report writes (from disk)."""
    _, paths, _ = built
    again = reportkit.saved_run(tmp_path / "run")
    other = write_report(again, result=reportkit.result(), now=NOW)
    assert other.markdown.read_text(encoding="utf-8") == paths.markdown.read_text(encoding="utf-8")
    assert other.html.read_text(encoding="utf-8") == paths.html.read_text(encoding="utf-8")


def test_first_screen_says_what_happened_and_how_far_to_trust_it(
    built: tuple[Path, ReportPaths, list],
) -> None:
    """Issue 16: report.html had no caveat (no "calibrat" anywhere) and no summary in words."""
    _, paths, _ = built
    page = paths.html.read_text(encoding="utf-8")
    order = [page.index(f'<section id="{key}"') for key in ("summary", "caveat", "key-numbers")]
    assert order == sorted(order)
    assert "Not calibrated." in page and "Only 2 replications" in page
    summary = page.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert "Alpha Mobile" in summary and "newcomers" in summary and "switchers" in summary
    markdown = paths.markdown.read_text(encoding="utf-8")
    assert "> **Not calibrated.**" in markdown
