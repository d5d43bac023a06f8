"""Starting the dashboard: solara's server on ``sim.dashboard.app`` for one scenario.

The scenario is validated here first, so a bad file gets the usual one-line error
before any server starts. Solara is then run in this process through its own command
(``solara run``), in production mode, without its version check or telemetry (both
call out to the internet), without Font Awesome (fetched from a CDN; nothing on the
page uses it) and without solara's corner banner.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

from sim.errors import UserError
from sim.scenario import Scenario, load_scenario

APP = "sim.dashboard.app"
ENV_SCENARIO = "TELSIM_DASHBOARD_SCENARIO"  # the app reads its scenario from these
ENV_SET = "TELSIM_DASHBOARD_SET"
QUIET_SOLARA = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_FONTAWESOME_ENABLED": "False",
    "SOLARA_THEME_SHOW_BANNER": "False",  # its corner label covers the last figure's legend
    "SOLARA_THEME_TITLE": "telsim dashboard",
}


def check_port(host: str, port: int) -> None:
    """Refuse a port that cannot be bound, before solara prints a traceback about it."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        why = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror})"
        )
        raise UserError(
            f"--port {port}: port {port} on {host} {why}; expected a free port, e.g. --port {port + 1}"
        ) from None


def prepare(scenario: Path, overrides: list[str]) -> Scenario:
    """Validate the scenario and publish it to the app module through the environment."""
    spec = load_scenario(scenario, overrides)
    os.environ[ENV_SCENARIO] = str(Path(scenario).resolve())
    os.environ[ENV_SET] = json.dumps(overrides)
    for key, value in QUIET_SOLARA.items():
        os.environ.setdefault(key, value)
    return spec


def solara_args(host: str, port: int, open_browser: bool) -> list[str]:
    """Arguments of ``solara run`` for the dashboard."""
    return [
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]


def serve(host: str, port: int, open_browser: bool) -> None:
    """Run solara's server until interrupted (Ctrl-C)."""
    import warnings

    from solara.__main__ import run as solara_run

    # solara warns on every page load from a host not named "localhost" (e.g. 127.0.0.1)
    # that it cannot set cross-site cookies; the dashboard is never embedded cross-site
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    solara_run.main(args=solara_args(host, port, open_browser), standalone_mode=False)
