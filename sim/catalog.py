"""What ships with telsim (scenarios, sweeps, calibration targets) and what a folder holds.

Files are classified by their top-level keys, without validating them, so listing a
folder of a hundred scenarios is instant and a broken file is still listed (with why).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the checkout (an editable install)
SHIPPED = (ROOT / "scenarios", ROOT / "scenarios" / "sweeps", ROOT / "calibration")
KINDS = {
    "scenario": "Scenarios (telsim run, compare)",
    "sweep": "Sweeps (telsim sweep)",
    "calibration": "Calibration targets (telsim calibrate)",
}


@dataclass(frozen=True)
class Entry:
    """One file: its kind, path, name and the first sentence of its description."""

    kind: str
    path: Path
    name: str
    summary: str


def first_sentence(text: str, short: int = 100) -> str:
    """The description's lead: its first sentence, cut at its first colon or semicolon if long.

    Descriptions open with the story ("A fourth operator enters a mature 4G/5G market:
    ..."), so the lead reads on one line.
    """
    text = " ".join(str(text).split())
    head = text.partition(". ")[0]
    head = head.rstrip(".")
    if len(head) > short:
        cuts = [i for i in (head.find(": ", 40), head.find("; ", 40)) if i > 0]
        head = head[: min(cuts)] if cuts else head
    return head + "."


def classify(raw: dict) -> str | None:
    """scenario, sweep or calibration from a file's top-level keys; None for another file."""
    if "targets" in raw:
        return "calibration"
    if "design" in raw or ("scenario" in raw and "parameters" in raw):
        return "sweep"
    if "operators" in raw:
        return "scenario"
    return None


def read_entry(path: Path) -> Entry | None:
    """The entry of one YAML file, or None when it is not a telsim file."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return Entry("scenario", path, path.stem, f"(cannot be read: {type(exc).__name__})")
    if not isinstance(raw, dict):
        return None
    kind = classify(raw)
    if kind is None:
        return None
    title = raw.get("title")
    summary = first_sentence(raw.get("description") or "(no description)")
    if title:
        summary = f"{title}: {summary}"
    return Entry(kind, path, str(raw.get("name") or path.stem), summary)


def entries(folders: list[Path]) -> list[Entry]:
    """Every telsim file directly in ``folders``, by kind then path."""
    found = []
    for k, folder in enumerate(folders):
        for path in sorted(folder.glob("*.y*ml")):
            entry = read_entry(path)
            if entry is not None:
                found.append((k, entry))
    order = list(KINDS)
    found.sort(key=lambda item: (order.index(item[1].kind), item[0], str(item[1].path)))
    return [entry for _, entry in found]
