"""The dashboard in a real browser: ``telsim dashboard`` on localhost, driven by Chromium.

Headless Chromium (Debian's ``chromium``, driven by Playwright's Python client) loads
the page, steps months, moves a lever and the seed, resets, checks that the numbers the
page plots change and equal what ``sim.run`` computes for the exported scenario, plays,
and saves a screenshot. Without Chromium the test is skipped locally, but fails under
CI (``CI`` set): ``make test`` installs it first, so CI never skips it silently.

``TELSIM_SCREENSHOT=1`` runs it at 10^5 agents (``TELSIM_SCREENSHOT_POPULATION``), plays
two years and writes ``docs/figures/dashboard.png``; the month-update times it prints
are the ones docs/dashboard.md reports.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.dashboard import assets
from sim.io import atomic_write
from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "china_3g_2009.yaml"
DOCS_SCREENSHOT = ROOT / "docs" / "figures" / "dashboard.png"
SCREENSHOT = bool(os.environ.get("TELSIM_SCREENSHOT"))
POPULATION = int(os.environ.get("TELSIM_SCREENSHOT_POPULATION", 100_000)) if SCREENSHOT else 5_000
FIGURES = ("shares", "churn", "flows", "attachment", "graph")
# what the machine's docs advise for headless Chromium as root on a closed network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 180  # solara + mesa.visualization import slowly on a busy 2-core machine


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where `make test` must have installed the browser."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (`make browser` installs it)")
    pytest.skip(reason)


def chromium() -> str:
    path = (
        os.environ.get("TELSIM_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        unavailable("chromium is not installed (`make browser`, or apt-get install chromium)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"telsim dashboard exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(
        f"telsim dashboard did not answer at {url} in {START_TIMEOUT_S} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``telsim dashboard`` in a subprocess on a free port; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    command = [
        sys.executable,
        "-m",
        "sim.cli",
        "dashboard",
        str(SCENARIO),
        "--port",
        str(port),
        "--no-open",
        "--set",
        f"population.size={POPULATION}",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://localhost:{port}/"
        wait_until_serving(url, proc, log)
        if assets.missing():  # offline, the page would stay blank: say why instead
            unavailable(f"solara's page files are not installed (needs npm):\n{log.read_text()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- reading the page
def wait_month(page: Any, month: int, timeout_s: float = 60) -> float:
    """Wait until the numbers and all five figures show ``month``; returns seconds waited."""
    start = time.perf_counter()
    page.wait_for_function(
        """([month, figures]) => {
            const m = document.querySelector('[data-testid=month]');
            const shown = [...document.querySelectorAll('[data-figure]')];
            return m && m.dataset.value == String(month) && shown.length == figures.length
                && shown.every(f => f.dataset.month == String(month));
        }""",
        arg=[month, list(FIGURES)],
        timeout=timeout_s * 1000,
    )
    return time.perf_counter() - start


def shares(page: Any) -> list[float]:
    """The market shares the page shows this month (full precision, from data-value)."""
    return [
        float(page.locator(f"[data-testid=share-{j}]").get_attribute("data-value"))
        for j in range(3)
    ]


def picture(page: Any, name: str) -> str:
    """The image source of one figure (changes when the figure is redrawn)."""
    return page.locator(f"[data-figure={name}] img").get_attribute("src")


def step(page: Any, months: int, first: int) -> list[float]:
    """Click Step ``months`` times; returns the time each month took to show."""
    button = page.get_by_role("button", name="Step")
    took = []
    for t in range(first + 1, first + months + 1):
        start = time.perf_counter()
        button.click()
        wait_month(page, t)
        took.append(time.perf_counter() - start)
    return took


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
            took = step(page, 3, first=0)
            base = shares(page)
            assert base != at_start
            assert picture(page, "shares") != drawn_at_start
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
            took += step(page, 3, first=0)
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
