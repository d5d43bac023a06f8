"""Dashboard latency: seconds from a click on Step to all five figures showing the month.

Starts ``telsim dashboard`` at ``--population`` agents (default 10^5) on a free
localhost port, drives headless Chromium (Playwright's Python client, Debian's
``chromium``) and clicks Step ``--months`` times per round, ``--rounds`` times (Reset
between rounds). The page itself times each step, from the click event to the first
frame after the month is shown (see :class:`StepTime`). The same script times, in process, one model month and each panel's
redraw, so the split between model, drawing and the page is known. The machine is
shared and noisy: every single time is kept, with the load average around each round.
``--versus DIR`` serves a second checkout (another revision's ``sim/`` and
``scenarios/``, e.g. from ``git archive``) beside this one and alternates the rounds
between the two pages, so both see the same load.

    python -m benchmarks.dashboard_latency            # writes benchmarks/results/dashboard.json
    python -m benchmarks.dashboard_latency --versus /tmp/old   # A/B against another revision
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "china_3g_2009.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "dashboard.json"
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
COMPILE_TIMEOUT_S = 600  # the numba kernels' first compilation, on a busy machine


def chromium() -> str | None:
    """Chromium's path: ``TELSIM_CHROMIUM``, else ``chromium`` on the PATH."""
    return (
        os.environ.get("TELSIM_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(population: int, log: Path, root: Path = ROOT) -> Iterator[str]:
    """``telsim dashboard`` of the checkout ``root`` at ``population`` agents; yields its URL."""
    port = free_port()
    scenario = root / SCENARIO.relative_to(ROOT)
    command = [sys.executable, "-m", "sim.cli", "dashboard", str(scenario), "--port", str(port)]
    command += ["--no-open", "--set", f"population.size={population}"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"telsim dashboard exited ({proc.returncode}):\n{log.read_text()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer at {url}:\n{log.read_text()}") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
        polling="raf",
    )
    return time.perf_counter() - start


# In the page, before a click: note when the next click event fires, and a promise of the
# first animation frame after the numbers and all five figures show ``month`` with every
# figure's image loaded (and, for the figures dated by month, a new image). It checks on
# DOM changes and image loads only: polling every frame would keep the page drawing
# frames, and that work, on the machine's 2 cores, is then part of what is measured.
ARM_JS = """([month, figures, dated, timeoutMs]) => {
    const image = name => document.querySelector(`[data-figure=${name}] img`);
    const before = Object.fromEntries(dated.map(name => [name, image(name)?.src]));
    const shows = () => {
        const m = document.querySelector('[data-testid=month]');
        const boxes = [...document.querySelectorAll('[data-figure]')];
        return m && m.dataset.value == String(month) && boxes.length == figures.length
            && boxes.every(f => f.dataset.month == String(month))
            && figures.every(name => { const img = image(name);
                                       return img && img.complete && img.naturalWidth > 0; })
            && dated.every(name => image(name).src != before[name]);
    };
    window.__telsimClick = null;
    document.addEventListener('click', () => { window.__telsimClick = performance.now(); },
                              {capture: true, once: true});
    window.__telsimShown = new Promise((resolve, reject) => {
        const done = () => {
            if (!shows()) return;
            observer.disconnect();
            document.removeEventListener('load', done, true);
            clearTimeout(timer);
            requestAnimationFrame(() => resolve(performance.now()));
        };
        const observer = new MutationObserver(done);
        observer.observe(document.body, {subtree: true, childList: true, attributes: true});
        document.addEventListener('load', done, true);  // an image decoded
        const timer = setTimeout(() => reject(new Error(`month ${month} not shown: ` + JSON.stringify({
            month: document.querySelector('[data-testid=month]')?.dataset.value,
            figures: Object.fromEntries(figures.map(name => { const img = image(name); return [name, {
                month: document.querySelector(`[data-figure=${name}]`)?.dataset.month,
                loaded: !!(img && img.complete && img.naturalWidth > 0),
                new_image: !dated.includes(name) || img?.src != before[name]}]; }))}))), timeoutMs);
    });
}"""


@dataclass(frozen=True)
class StepTime:
    """One Step, timed two ways (seconds).

    ``page``: in the browser, from the click event to the first animation frame after
    the numbers and all five figures show the month with their images loaded: the
    latency a person sees. ``call``: in this script, from asking Playwright to click
    (it first scrolls the button into view and waits until it is stable, enabled and
    would receive the click, two animation frames at least) until it reports the month
    shown: the page time plus the driver's own round trips.
    """

    page: float
    call: float


def step(page: Any, months: int, first: int, timeout_s: float = 60) -> list[StepTime]:
    """Click Step ``months`` times; returns how long each month took to show."""
    button = page.get_by_role("button", name="Step")
    dated = [name for name in FIGURES if name != "graph"]  # the graph changes on a switch only
    took = []
    for t in range(first + 1, first + months + 1):
        page.evaluate(ARM_JS, [t, list(FIGURES), dated, timeout_s * 1000])
        start = time.perf_counter()
        button.click()
        shown, clicked = page.evaluate(
            "async () => [await window.__telsimShown, window.__telsimClick]"
        )
        took.append(StepTime(page=(shown - clicked) / 1000, call=time.perf_counter() - start))
    return took


def in_process(population: int, months: int) -> dict[str, list[float]]:
    """Seconds per month of the model step and of each panel's redraw, in this process."""
    from sim.dashboard import figures
    from sim.dashboard.components import graph_panel
    from sim.dashboard.levers import defaults
    from sim.dashboard.model import DashboardModel
    from sim.scenario import load_scenario

    base = load_scenario(SCENARIO, [f"population.size={population}"])
    model = DashboardModel(base, **defaults(base))
    panels = {
        "shares": figures.SharesPanel(model),
        "churn": figures.ChurnPanel(model),
        "flows": figures.FlowsPanel(model),
        "attachment": figures.AttachmentPanel(model),
        "graph": graph_panel(model),
    }
    for panel in panels.values():
        panel.picture()  # the first picture builds what later months reuse
    times: dict[str, list[float]] = {"model": [], **{k: [] for k in panels}}
    for _ in range(months):
        start = time.perf_counter()
        model.step()
        times["model"].append(time.perf_counter() - start)
        for name, panel in panels.items():
            start = time.perf_counter()
            panel.picture()
            times[name].append(time.perf_counter() - start)
    return times


def server_process(url: str) -> Any:
    """The ``telsim dashboard`` process (a child of this one) serving ``url``."""
    import psutil

    port = url.rstrip("/").rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        command = child.cmdline()
        if "dashboard" in command and port in command:
            return child
    raise RuntimeError(f"no telsim dashboard process serves {url}")


def cpu_seconds(processes: list[Any]) -> float:
    """User and system CPU seconds used so far by ``processes`` (gone ones count 0)."""
    import psutil

    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def browser_processes(servers: list[Any]) -> list[Any]:
    """Chromium's processes and Playwright's driver: this process's other descendants."""
    import psutil

    ids = {s.pid for s in servers}
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in ids]


def in_browser(
    population: int, months: int, rounds: int, versus: Path | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per page and round: the seconds each Step took to show, with the load around it.

    Pages: ``this`` (this checkout) and, with ``versus``, ``versus``; rounds alternate.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise SystemExit("chromium is not installed (`make browser`)")
    roots = {"this": ROOT, **({"versus": versus} if versus else {})}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in roots}
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(
                serve(population, RESULTS.parent / f"dashboard_{name}.log.tmp", root)
            )
            for name, root in roots.items()
        }
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        pages = {}
        for name, url in urls.items():
            pages[name] = browser.new_page(viewport={"width": 1440, "height": 1340})
            pages[name].goto(url)
            pages[name].wait_for_selector("[data-testid=month]", timeout=START_TIMEOUT_S * 1000)
            wait_month(pages[name], 0)
            # an untimed first month: a checkout the numba cache has not seen before
            # (--versus) compiles its kernels on it, for a minute or more
            step(pages[name], 1, first=0, timeout_s=COMPILE_TIMEOUT_S)
        servers = {name: server_process(url) for name, url in urls.items()}
        for r in range(rounds):
            for name, page in pages.items():
                page.bring_to_front()
                page.get_by_role("button", name="Reset").click()
                wait_month(page, 0)
                load_before = os.getloadavg()[0]
                browser = browser_processes(list(servers.values()))
                cpu_before = cpu_seconds([servers[name]]), cpu_seconds(browser)
                took = step(page, months, first=0)
                cpu_after = cpu_seconds([servers[name]]), cpu_seconds(browser)
                seconds = [t.page for t in took]
                out[name].append(
                    {
                        "seconds": seconds,
                        "call_seconds": [t.call for t in took],
                        "load_before": load_before,
                        "load_after": os.getloadavg()[0],
                        # CPU seconds per step: the page's server, and the browser with
                        # Playwright's driver (holds under load, unlike the latency)
                        "server_cpu_per_step": (cpu_after[0] - cpu_before[0]) / months,
                        "browser_cpu_per_step": (cpu_after[1] - cpu_before[1]) / months,
                    }
                )
                print(
                    f"{name} round {r + 1}: median {statistics.median(seconds):.3f} s "
                    f"(Playwright call {statistics.median(t.call for t in took):.3f} s), "
                    f"max {max(seconds):.3f} s, load {load_before:.1f}; CPU per step: "
                    f"server {1000 * out[name][-1]['server_cpu_per_step']:.0f} ms, "
                    f"browser {1000 * out[name][-1]['browser_cpu_per_step']:.0f} ms",
                    flush=True,
                )
    for name in roots:
        (RESULTS.parent / f"dashboard_{name}.log.tmp").unlink(missing_ok=True)
    return out


def markdown(result: dict[str, Any]) -> list[str]:
    """The dashboard section of docs/performance.md from a result of this benchmark."""
    lines = [
        "",
        "## Dashboard: a month from click to redraw",
        "",
        f"`{result['command']}` ({result['date']}): headless Chromium clicks Step and the page",
        "notes the time from the click event to the first frame after the numbers and all five",
        f"figures show the new month with their images loaded; {result['population']:,} agents,",
        "rounds of steps from month 0; the load average (on 2 cores) is that of the machine",
        "around it. The last column is the same step seen from the script (Playwright's click,",
        "with its checks that the button is ready, to its report of the month shown). CPU per",
        "step, per round: the page's server process, and Chromium with Playwright's driver.",
        "",
        "| page | steps | median (s) | p90 (s) | range (s) | round medians (s) | load | script (s) "
        "| server CPU per step (ms) | browser CPU per step (ms) |",
        "|---|---:|---:|---:|---:|---|---|---:|---|---|",
    ]
    for name in ("this", "versus"):
        if name not in result:
            continue
        s = result[name]["step_to_redraw_seconds"]
        loads = [r["load_before"] for r in result[name]["rounds"]]
        label = "this revision" if name == "this" else (result.get("versus_label") or "versus")
        lines.append(
            f"| {label} | {s['n']} | {s['median']:.2f} | {s['p90']:.2f} | "
            f"{s['min']:.2f}-{s['max']:.2f} | "
            + ", ".join(f"{m:.2f}" for m in result[name]["round_medians"])
            + f" | {min(loads):.1f}-{max(loads):.1f} | "
            + f"{result[name]['call_seconds']['median']:.2f} | "
            + ", ".join(str(v) for v in result[name]["server_cpu_per_step_ms"])
            + " | "
            + ", ".join(str(v) for v in result[name]["browser_cpu_per_step_ms"])
            + " |"
        )
    parts = ", ".join(f"{k} {v:.0f} ms" for k, v in result["in_process_ms"].items())
    lines += ["", f"In process, wall time per month (median): {parts}.", ""]
    return lines


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=12, help="Steps per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--versus", type=Path, help="another checkout to serve and compare with")
    ap.add_argument("--versus-label", default="", help="what --versus is, e.g. its revision")
    args = ap.parse_args()
    from sim.io import write_json

    local = in_process(args.population, args.months)
    for name, values in local.items():
        print(f"in process, {name}: median {1000 * statistics.median(values):.1f} ms", flush=True)
    pages = in_browser(args.population, args.months, args.rounds, args.versus)
    result = {
        "command": shlex.join(["python", "-m", "benchmarks.dashboard_latency", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "population": args.population,
        "versus_label": args.versus_label or (str(args.versus) if args.versus else None),
        "in_process_ms": {k: round(1000 * statistics.median(v), 1) for k, v in local.items()},
    }
    for name, rounds in pages.items():
        every = [t for r in rounds for t in r["seconds"]]
        result[name] = {
            "step_to_redraw_seconds": summary(every),
            "call_seconds": summary([t for r in rounds for t in r["call_seconds"]]),
            "round_medians": [statistics.median(r["seconds"]) for r in rounds],
            "server_cpu_per_step_ms": [round(1000 * r["server_cpu_per_step"]) for r in rounds],
            "browser_cpu_per_step_ms": [round(1000 * r["browser_cpu_per_step"]) for r in rounds],
            "rounds": rounds,
        }
        s = result[name]["step_to_redraw_seconds"]
        print(
            f"{name}: Step -> all five figures, {args.population:,} agents: median "
            f"{s['median']:.3f} s (p90 {s['p90']:.3f}, {s['min']:.3f}-{s['max']:.3f}; "
            f"{s['n']} steps); round medians "
            + ", ".join(f"{m:.3f}" for m in result[name]["round_medians"])
            + f"; Playwright call median {result[name]['call_seconds']['median']:.3f} s"
            + f"; CPU ms per step, server {result[name]['server_cpu_per_step_ms']}"
            + f", browser {result[name]['browser_cpu_per_step_ms']}"
        )
    write_json(args.out, result)
    print(json.dumps(result["in_process_ms"]))


if __name__ == "__main__":
    main()
