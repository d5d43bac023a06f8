"""The dashboard page: Mesa's SolaraViz over a :class:`DashboardModel`.

``telsim dashboard`` starts solara on this module (``solara run sim.dashboard.app``) and
names the scenario in environment variables, since solara imports the app itself. Each
browser session gets its own model.

SolaraViz draws what Mesa users know: the sidebar's Reset / Play / Step controls, the
play and render intervals, and the model parameters (our levers, see
:mod:`sim.dashboard.levers`), applied on Reset as in every Mesa app. The main area is
our :func:`~sim.dashboard.components.Board` rather than SolaraViz's draggable grid of
components, because that grid loads its JavaScript from a CDN at run time and the
dashboard must work without internet access.
"""

from __future__ import annotations

import functools
import json
import os

import solara
from mesa.visualization import SolaraViz

from sim.dashboard.components import Board
from sim.dashboard.levers import defaults, model_params
from sim.dashboard.model import DashboardModel
from sim.dashboard.server import ENV_SCENARIO, ENV_SET
from sim.errors import UserError
from sim.scenario import Scenario, load_scenario

# Pause between played months. Stepping and drawing a month at 10^5 agents takes about
# 0.3 s on 2 cores; the pause lets the browser show each month and answer clicks.
PLAY_INTERVAL_MS = 200

# No animations while a month is computed and sent: Vuetify's click ripple (half a
# second) and the sliding stripe of solara's busy bar (shown when a step takes over 0.3 s)
# make the browser lay out and composite 60 frames a second, on the same 2 cores. The
# busy bar still shows, as a still bar.
STILL = (
    ".v-ripple__container { display: none !important; }"
    " .v-btn, .v-btn::before, .v-progress-linear, .v-progress-linear * "
    "{ transition: none !important; }"
    " .v-progress-linear__indeterminate { animation: none !important; left: 0 !important;"
    " right: 0 !important; }"
)


@functools.cache
def base_scenario() -> Scenario:
    """The scenario named by ``TELSIM_DASHBOARD_SCENARIO`` with the ``--set`` overrides."""
    path = os.environ.get(ENV_SCENARIO)
    if not path:
        raise UserError(
            f"{ENV_SCENARIO} is not set: start the dashboard with `telsim dashboard SCENARIO`"
        )
    overrides = json.loads(os.environ.get(ENV_SET) or "[]")
    return load_scenario(path, overrides)


@solara.component
def Page():
    """One session: its own model, SolaraViz's controls, and the board of figures."""
    base = base_scenario()
    first = solara.use_memo(lambda: DashboardModel(base, **defaults(base)), [])
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(base), [])
    SolaraViz(
        model,
        components=[],
        model_params=params,
        name=f"telsim dashboard: {base.name}",
        play_interval=PLAY_INTERVAL_MS,
    )
    Board(model.value)
    solara.Style(STILL)
