"""report.html in headless Chromium: the first screen says what happened and how far to trust it.

A 1280 x 800 window (a laptop screen) must show the summary's first paragraph and the
caveat's headline without scrolling. ``TELSIM_SCREENSHOT=1 TELSIM_REPORT_RUN=DIR`` writes
that screen of the report in ``DIR`` to ``docs/figures/report/report_first_screen.png``
(the picture in docs/reports.md; DIR from ``telsim run scenarios/china_3g_2009.yaml
--population 20000 --replications 3``). Without Chromium the test is skipped locally and
fails under CI, as the dashboard's browser test does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import reportkit

from sim.io import atomic_write
from sim.report import write_report

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "figures" / "report" / "report_first_screen.png"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (`make browser` installs it)")
    pytest.skip(reason)


def test_first_screen_of_the_report(tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright's Python client is not installed")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        _unavailable("chromium is not installed (`make browser`)")
    given = os.environ.get("TELSIM_REPORT_RUN")
    folder = Path(given) if given else reportkit.saved_run(tmp_path / "run")
    if not (folder / "report.html").is_file():
        write_report(folder)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto((folder / "report.html").resolve().as_uri())
            for selector in ("#summary p >> nth=0", "#caveat p >> nth=0"):
                box = page.locator(selector).bounding_box()
                assert box is not None and box["y"] + box["height"] <= 800, (selector, box)
            headline = page.locator("#caveat p >> nth=0").inner_text()
            assert headline.startswith(("Not calibrated", "Calibrated against"))
            if os.environ.get("TELSIM_SCREENSHOT"):
                atomic_write(DOCS_SCREENSHOT, lambda p: page.screenshot(path=str(p), type="png"))
        finally:
            browser.close()
