"""The shell examples in the README and docs/ work in the order they are written: every
folder a ``telsim sensitivity`` command reads is written by an earlier ``telsim sweep``
of the same page (its ``--out``, or the default ``results/sweeps/<name>``), and that
sweep has a design with indices (saltelli or morris)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(?:bash|sh|console)?\n(.*?)```", re.S)


def commands(page: Path) -> list[list[str]]:
    """The telsim commands of a page's shell blocks, continuation lines joined, no comments."""
    found = []
    for block in BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            words = line.split("#", 1)[0].split()
            if words[:1] == ["telsim"]:
                found.append(words)
    return found


def option(words: list[str], name: str) -> str | None:
    return words[words.index(name) + 1] if name in words else None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_sensitivity_reads_a_folder_the_page_made(page: Path) -> None:
    made: dict[str, str] = {}  # folder -> design kind of the sweep that wrote it
    for words in commands(page):
        if words[1] == "sweep":
            sweep = yaml.safe_load((ROOT / words[2]).read_text(encoding="utf-8"))
            out = option(words, "--out") or option(words, "-o") or f"results/sweeps/{sweep['name']}"
            made[out.rstrip("/")] = sweep["design"]["kind"]
        elif words[1] == "sensitivity":
            folder = words[2].rstrip("/")
            assert folder in made, (
                f"{page.name}: `{' '.join(words)}` reads a folder no command before it writes"
            )
            assert made[folder] in ("saltelli", "morris"), (
                f"{page.name}: {folder} is a {made[folder]} sweep"
            )


def test_readme_paired_interval_claim_is_the_measured_one() -> None:
    """The README's "N× narrower" for its compare command is what the benchmark measured."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    number = r"(\d+(?:\.\d)?)"
    claim = re.search(rf"a median of {number}× narrower, from {number}× to {number}×", readme)
    assert claim, "README.md: no measured paired/unpaired claim for its compare command"
    measured = json.loads(
        (ROOT / "benchmarks" / "results" / "compare_readme.json").read_text(encoding="utf-8")
    )
    times = measured["times_narrower"]
    for quoted, key in zip(claim.groups(), ("median", "least", "most"), strict=True):
        decimals = len(quoted.partition(".")[2])  # each number as precise as it is quoted
        assert float(quoted) == round(times[key], decimals), key
    command = re.search(r"^telsim compare [^\n#]+$", readme, re.M)
    assert command and " ".join(command.group(0).split()) == measured["command"]
