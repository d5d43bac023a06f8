"""The full parameter table: every field of the resolved scenario, as a ``--set`` path.

Paths name list items by their ``name`` where they have one (``operators.Unicom.plans.
gsm_2g.monthly_fee``), exactly as ``--set`` accepts them, so a reader can copy a row into a
command line. Meanings come from the pydantic field descriptions, which carry the units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim import scenario as schema
from sim.scenario import Scenario

# Event fields mostly carry no description of their own; these say what they are, and
# other fields borrow the description of the same-named field of an operator's
# networks, plans or retention programme (coverage, ramp_months, budget, ...).
_EVENT_FIELDS = {
    "events": "Timeline events (none in this scenario).",
    "kind": "Event type.",
    "operator": "Operator the event applies to.",
    "plan": "Plan the event applies to.",
    "reach": "Marketing reach while the event lasts (probability per month).",
}
_BORROWED = (schema.NetworkRollout, schema.Plan, schema.Retention, schema.Operator)


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter table."""

    path: str
    value: str
    description: str


def parameter_table(scenario: Scenario) -> list[Parameter]:
    """Every leaf of ``scenario`` (defaults included, unset options shown as ``-``)."""
    rows: list[Parameter] = []
    _walk(scenario, "", "", rows)
    return rows


def _walk(node: Any, path: str, description: str, rows: list[Parameter]) -> None:
    if isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            child = f"{path}.{name}" if path else name
            meaning = info.description or _fallback(name) or description
            _walk(getattr(node, name), child, meaning, rows)
    elif isinstance(node, list) and any(isinstance(x, BaseModel | dict) for x in node):
        for k, item in enumerate(node):
            name = getattr(item, "name", None)
            _walk(item, f"{path}.{name if isinstance(name, str) else k}", description, rows)
    elif isinstance(node, dict) and node:
        for key, value in node.items():
            _walk(value, f"{path}.{key}", description, rows)
    else:
        rows.append(Parameter(path, format_value(node), description))


def _fallback(name: str) -> str:
    if name in _EVENT_FIELDS:
        return _EVENT_FIELDS[name]
    for model in _BORROWED:
        info = model.model_fields.get(name)
        if info is not None and info.description:
            return info.description
    return ""


def format_value(value: Any) -> str:
    """A leaf as text: lists comma-separated, None as ``-``, floats without float noise."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return "(none)"
    return str(value)
