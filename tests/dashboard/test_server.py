"""``telsim dashboard`` up to the server: validation, the port, the environment, solara's args.

The server itself is started by the browser test; here ``serve`` is replaced.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.dashboard import assets, server

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "china_3g_2009.yaml"


@pytest.fixture()
def served(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(server, "serve", lambda *args: calls.append(args))
    monkeypatch.setattr(assets, "ensure", lambda announce=None: None)
    for key in (server.ENV_SCENARIO, server.ENV_SET, *server.QUIET_SOLARA):
        monkeypatch.setenv(key, "")  # records the original, so teardown restores it
        monkeypatch.delenv(key)
    return calls


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dashboard_validates_then_serves_with_the_scenario_in_the_environment(served) -> None:
    port = free_port()
    result = CliRunner().invoke(
        app,
        [
            "dashboard",
            str(DEFAULT),
            "--port",
            str(port),
            "--no-open",
            "--set",
            "population.size=5000",
        ],
    )
    assert result.exit_code == 0, result.output
    assert served == [("localhost", port, False)]
    assert os.environ[server.ENV_SCENARIO] == str(DEFAULT.resolve())
    assert json.loads(os.environ[server.ENV_SET]) == ["population.size=5000"]
    assert os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert f"china_3g_2009 at http://localhost:{port}" in result.stderr


def test_solara_is_run_in_production_without_version_check() -> None:
    args = server.solara_args("0.0.0.0", 9000, open_browser=True)
    assert args[0] == "sim.dashboard.app"
    assert args[args.index("--port") + 1] == "9000" and args[args.index("--host") + 1] == "0.0.0.0"
    assert {"--production", "--no-check-version", "--open"} <= set(args)


def one_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return " ".join(result.stderr.split())


def test_missing_scenario_is_one_clear_error(served, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["dashboard", str(tmp_path / "nope.yaml"), "--no-open"])
    assert "nope.yaml: scenario file not found" in one_error(result)
    assert served == []


def test_bad_override_is_one_clear_error(served) -> None:
    result = CliRunner().invoke(
        app, ["dashboard", str(DEFAULT), "--no-open", "--set", "population.size=-5"]
    )
    message = one_error(result)
    assert "population.size" in message and "-5" in message
    assert served == []


def test_busy_port_is_one_clear_error(served) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            app, ["dashboard", str(DEFAULT), "--port", str(port), "--no-open"]
        )
    message = one_error(result)
    assert f"--port {port}: port {port} on localhost is already in use" in message
    assert "expected a free port" in message
    assert served == []


def test_port_out_of_range_is_refused_by_the_option(served) -> None:
    result = CliRunner().invoke(app, ["dashboard", str(DEFAULT), "--port", "70000"])
    assert result.exit_code == 2 and served == []
