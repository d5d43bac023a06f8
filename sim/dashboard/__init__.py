"""The interactive dashboard (``telsim dashboard``): Mesa's SolaraViz over ``MarketModel``.

Modules: :mod:`~sim.dashboard.levers` (sliders from a scenario, and back),
:mod:`~sim.dashboard.model` (the model SolaraViz re-creates on Reset),
:mod:`~sim.dashboard.metrics` and :mod:`~sim.dashboard.figures` (what is drawn),
:mod:`~sim.dashboard.graph_sample`, :mod:`~sim.dashboard.components` (solara pieces),
:mod:`~sim.dashboard.export`, :mod:`~sim.dashboard.app` (the page),
:mod:`~sim.dashboard.assets` (solara's page files, for offline use) and
:mod:`~sim.dashboard.server` (starting solara). Nothing here is imported by ``telsim``
until the command runs: solara and ``mesa.visualization`` take seconds to import.
"""
