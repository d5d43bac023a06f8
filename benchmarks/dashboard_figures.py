"""CPU per month of the dashboard's five figures, drawn as the dashboard draws them.

Inside ``telsim dashboard`` the figures are drawn in a solara session, where every
matplotlib ``rcParams`` read goes through the session's context (solara patches
``RcParams``), so they cost more CPU than in a plain process. This script patches
matplotlib the same way, draws the five panels inside a solara kernel context, and
times each month's five pictures in CPU seconds (``time.process_time``), which hold
better than wall time on a loaded machine. ``--versus DIR`` loads another checkout's
``sim/dashboard/figures.py`` (the rest of ``sim`` is this checkout's) and draws both
sets of panels from the same model, month by month, alternating which goes first.

    python -m benchmarks.dashboard_figures --versus /tmp/main   # e.g. from `git archive`
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path
from types import ModuleType

from benchmarks.dashboard_latency import SCENARIO


def load_figures(root: Path) -> ModuleType:
    """``sim/dashboard/figures.py`` of the checkout ``root``, as a module of its own."""
    spec = importlib.util.spec_from_file_location(
        f"figures_{abs(hash(root))}", root / "sim" / "dashboard" / "figures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def static_draws(panels: list) -> int:
    """How often the panels' static parts were drawn, whole or some axes only."""
    return sum(p.full_draws + getattr(p, "axes_draws", 0) for p in panels)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--versus", type=Path, help="another checkout whose figures to compare")
    args = ap.parse_args()

    import matplotlib
    import solara.server.app  # noqa: F401  (imports patch matplotlib's rcParams per session)
    from solara.server import kernel_context
    from solara.server.patch import patch_matplotlib

    if matplotlib.RcParams.__name__ != "RcParamsScoped":
        patch_matplotlib()
    from sim.dashboard import figures
    from sim.dashboard.graph_sample import sample
    from sim.dashboard.levers import defaults
    from sim.dashboard.model import DashboardModel
    from sim.scenario import load_scenario

    base = load_scenario(SCENARIO, [f"population.size={args.population}"])
    model = DashboardModel(base, **defaults(base))
    graph = sample(model.graph, base.population.size, model.seed)
    modules = {"this": figures, **({"versus": load_figures(args.versus)} if args.versus else {})}
    panels = {
        name: [
            *(getattr(m, c)(model) for c in ("SharesPanel", "ChurnPanel", "FlowsPanel")),
            m.AttachmentPanel(model),
            m.GraphPanel(model, graph),
        ]
        for name, m in modules.items()
    }
    context = kernel_context.create_dummy_context()
    seconds: dict[str, list[float]] = {name: [] for name in panels}
    blitted: dict[str, list[float]] = {name: [] for name in panels}  # no static redraw
    with context:
        for group in panels.values():
            for panel in group:
                panel.picture()
        for month in range(args.months):
            model.step()
            order = list(panels.items())
            for name, group in order if month % 2 else order[::-1]:
                full = static_draws(group)
                start = time.process_time()
                for panel in group:
                    panel.picture()
                took = time.process_time() - start
                seconds[name].append(took)
                if static_draws(group) == full:
                    blitted[name].append(took)
    for name in panels:
        s, b = seconds[name], blitted[name]
        print(
            f"{name}: five figures in a solara session, CPU ms per month over {len(s)} months: "
            f"median {1000 * statistics.median(s):.1f}, mean {1000 * statistics.mean(s):.1f}; "
            f"the {len(b)} months without a static redraw: median {1000 * statistics.median(b):.1f}"
        )


if __name__ == "__main__":
    main()
