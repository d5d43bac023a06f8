"""``telsim dashboard``: the interactive SolaraViz page for one scenario.

Solara and ``mesa.visualization`` are imported only when the command runs, so
``telsim --help`` stays fast and works without the ``dashboard`` extra.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from sim.cli.common import ScenarioArg, SetOpt, app, err, fail
from sim.errors import UserError
from sim.extras import require


@app.command()
def dashboard(
    scenario: ScenarioArg,
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to serve the page on.")
    ] = 8765,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on (localhost: this machine only; 0.0.0.0: all)."),
    ] = "localhost",
    set_: SetOpt = None,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in a web browser.")
    ] = True,
) -> None:
    """Open an interactive dashboard: move levers, step months, watch the market, export."""
    try:
        require("dashboard", "telsim dashboard")
        from sim.dashboard import assets, server

        spec = server.prepare(scenario, list(set_ or []))
        server.check_port(host, port)
    except UserError as exc:
        fail(str(exc))
    warning = assets.ensure(announce=lambda msg: err.print(escape(msg), highlight=False))
    if warning:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    err.print(
        f"telsim dashboard: [bold]{escape(spec.name)}[/] at http://{escape(host)}:{port} "
        "(Ctrl-C to stop)",
        highlight=False,
    )
    server.serve(host, port, open_browser)
