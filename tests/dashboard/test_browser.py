"""The dashboard in a real browser: ``telsim dashboard`` on localhost, driven by Chromium.

Headless Chromium (Debian's ``chromium``, driven by Playwright's Python client) loads
the page, steps months, moves a lever and the seed, resets, checks that the numbers the
page plots change and equal what ``sim.run`` computes for the exported scenario, plays,
and saves a screenshot. Without Chromium the test is skipped locally, but fails under
CI (``CI`` set): ``make test`` installs it first, so CI never skips it silently.

``TELSIM_SCREENSHOT=1`` runs it at 10^5 agents (``TELSIM_SCREENSHOT_POPULATION``), plays
two years and writes ``docs/figures/dashboard.png``. The page-driving helpers are the
latency benchmark's (``benchmarks/dashboard_latency.py``), whose numbers
docs/dashboard.md reports.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.dashboard_latency import CHROMIUM_ARGS, START_TIMEOUT_S, serve, step, wait_month
from benchmarks.dashboard_latency import chromium as find_chromium
from sim.dashboard import assets
from sim.io import atomic_write
from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "figures" / "dashboard.png"
SCREENSHOT = bool(os.environ.get("TELSIM_SCREENSHOT"))
POPULATION = int(os.environ.get("TELSIM_SCREENSHOT_POPULATION", 100_000)) if SCREENSHOT else 5_000


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where `make test` must have installed the browser."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (`make browser` installs it)")
    pytest.skip(reason)


def chromium() -> str:
    path = find_chromium()
    if not path:
        unavailable("chromium is not installed (`make browser`, or apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``telsim dashboard`` in a subprocess on a free port; yields its URL."""
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with serve(POPULATION, log) as url:
        if assets.missing():  # offline, the page would stay blank: say why instead
            unavailable(f"solara's page files are not installed (needs npm):\n{log.read_text()}")
        yield url


# ---------------------------------------------------------------- reading the page
def shares(page: Any) -> list[float]:
    """The market shares the page shows this month (full precision, from data-value)."""
    return [
        float(page.locator(f"[data-testid=share-{j}]").get_attribute("data-value"))
        for j in range(3)
    ]


def picture(page: Any, name: str) -> str:
    """The image source of one figure (changes when the figure is redrawn)."""
    return page.locator(f"[data-figure={name}] img").get_attribute("src")


def lever(page: Any, label: str) -> Any:
    """The thumb of the sidebar slider whose label starts with ``label``."""
    slider = page.locator(".v-slider", has=page.locator("label", has_text=label))
    return slider.locator("[role=slider]")


# ---------------------------------------------------------------- the test
def test_dashboard_in_a_browser(dashboard: str, tmp_path: Path) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable("playwright's Python client is not installed (pip install playwright)")
    executable = chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            size = (
                {"width": 1440, "height": 1340} if SCREENSHOT else {"width": 1400, "height": 1000}
            )
            page = browser.new_page(viewport=size, accept_downloads=True)
            page.goto(dashboard)
            page.wait_for_selector("[data-testid=month]", timeout=START_TIMEOUT_S * 1000)
            wait_month(page, 0)
            assert page.locator("[data-testid=agents]").inner_text() == f"{POPULATION:,}"
            assert page.locator("[data-testid=seed]").inner_text() == "2009"
            at_start, drawn_at_start = shares(page), picture(page, "shares")

            # stepping moves the plotted values and redraws the figures
            took = [t.page for t in step(page, 3, first=0)]
            base = shares(page)
            assert base != at_start
            assert picture(page, "shares") != drawn_at_start
            # the page labels each dated figure with its month (not drawn in the picture)
            label = page.locator("[data-figure=shares]").get_attribute("data-label")
            assert label.startswith("month 3 of ")
            assert abs(sum(base) - 1) < 1e-9

            # a lever and the seed, applied on Reset as in every Mesa app
            fee = lever(page, "Unicom fee")
            assert fee.get_attribute("aria-valuenow") == "46"
            fee.focus()
            fee.press("Home")  # to the slider's minimum: half the scenario's fee
            page.wait_for_function(
                "el => el.getAttribute('aria-valuenow') == '23'", arg=fee.element_handle()
            )
            seed = page.get_by_label("Seed")
            seed.fill("7")
            seed.press("Enter")
            page.get_by_role("button", name="Reset").click()
            wait_month(page, 0)
            assert page.locator("[data-testid=seed]").inner_text() == "7"
            changes = page.locator("[data-testid=changes]").inner_text()
            assert "Unicom fee (gsm_2g): 46 -> 23" in changes and "Seed: 2009 -> 7" in changes
            took += [t.page for t in step(page, 3, first=0)]
            changed = shares(page)
            assert changed != base

            # export: the file loads, carries the levers, and runs to what the page showed
            with page.expect_download() as download:
                page.get_by_role("button", name="Export scenario").click()
            exported = tmp_path / download.value.suggested_filename
            download.value.save_as(exported)
            assert exported.name == "china_3g_2009_dashboard.yaml"
            spec = load_scenario(exported)
            assert [p.monthly_fee for p in spec.operators[1].plans] == [23.0, 48.0]
            assert spec.simulation.seed == 7 and spec.population.size == POPULATION
            ops = run(spec, replications=1).operators
            expected = ops[ops["month"] == 3].set_index("operator")["share"]
            assert changed == pytest.approx(
                expected[["Mobile", "Unicom", "Telecom"]].tolist(), abs=1e-9
            )

            # play, then pause
            page.get_by_role("button", name="▶").click()
            target = 24 if SCREENSHOT else 6
            page.wait_for_function(
                "t => Number(document.querySelector('[data-testid=month]').dataset.value) >= t",
                arg=target,
                timeout=600_000 if SCREENSHOT else 120_000,
            )
            page.get_by_role("button", name="❚❚").click()
            expect(page.get_by_role("button", name="Step")).to_be_enabled()  # paused
            month = int(page.locator("[data-testid=month]").get_attribute("data-value"))
            wait_month(page, month)

            page.screenshot(path=tmp_path / "dashboard.png")
            assert (tmp_path / "dashboard.png").stat().st_size > 10_000
            if SCREENSHOT:
                atomic_write(DOCS_SCREENSHOT, lambda tmp: page.screenshot(path=tmp, type="png"))
            print(
                f"\n{POPULATION:,} agents: a month shows {statistics.median(took):.2f} s after "
                f"Step (median of {len(took)}; max {max(took):.2f} s)"
            )
        finally:
            browser.close()
