"""Export: the dashboard's current settings as a scenario file ``telsim run`` accepts.

The file is the resolved scenario of the model on screen (every default filled in, as
``results/<name>/scenario.yaml``), renamed ``<name>_dashboard`` so its run does not
overwrite the original's results, with a comment header saying where it came from and
which levers moved. Running it reproduces the dashboard's curves as replication 0.
"""

from __future__ import annotations

import datetime as dt

from sim.dashboard.model import DashboardModel
from sim.scenario import dump_yaml, with_overrides

SUFFIX = "_dashboard"


def export_name(name: str) -> str:
    """``<name>_dashboard`` (once: exporting an export keeps its name)."""
    return name if name.endswith(SUFFIX) else name + SUFFIX


def export_filename(model: DashboardModel) -> str:
    """File name offered for download, e.g. ``china_3g_2009_dashboard.yaml``."""
    return f"{export_name(model.base.name)}.yaml"


def export_yaml(model: DashboardModel) -> str:
    """The scenario of the model on screen as YAML, with a header naming the changes."""
    spec = model.spec
    note = "Exported from the telsim dashboard" + (
        f"; levers changed: {'; '.join(model.changes)}." if model.changes else "."
    )
    description = f"{spec.description} {note}".strip()
    spec = with_overrides(spec, {"name": export_name(spec.name), "description": description})
    header = [
        f"# Exported by `telsim dashboard` from scenario '{model.base.name}' on "
        f"{dt.datetime.now():%Y-%m-%d %H:%M}.",
        f"# Replication 0 of `telsim run` with seed {spec.simulation.seed} reproduces the "
        "dashboard's curves.",
    ]
    if model.changes:
        header.append("# Levers changed from the scenario:")
        header += [f"#   {line}" for line in model.changes]
    else:
        header.append("# No lever changed from the scenario.")
    return "\n".join(header) + "\n" + dump_yaml(spec)
