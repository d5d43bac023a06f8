"""The README's claim on paired intervals, measured with the README's own command.

Runs the ``telsim compare`` command of the README's "Comparing policies" section as
written (plus a temporary ``--out``, ``--no-figures --quiet``) and records how much
narrower each paired interval is than the unpaired (Welch) one. The README quotes the
median and the range; ``tests/test_docs_commands.py`` checks that they match this file.

    python -m benchmarks.compare_claim      # writes benchmarks/results/compare_readme.json
"""

from __future__ import annotations

import json
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results" / "compare_readme.json"


def readme_command() -> list[str]:
    """The arguments of the first ``telsim compare`` command in the README."""
    found = re.search(r"^telsim (compare [^\n#]+)$", README.read_text(encoding="utf-8"), re.M)
    if found is None:
        raise SystemExit("README.md has no `telsim compare` command")
    return shlex.split(found.group(1))


def measure() -> dict:
    """Width ratios (paired / unpaired) of every row of the README's comparison."""
    args = readme_command()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "compare"
        command = [sys.executable, "-m", "sim.cli", *args, "--out", str(out)]
        subprocess.run([*command, "--no-figures", "--quiet"], cwd=ROOT, check=True)
        comparison = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    ratios = [row["width_ratio"] for row in comparison["rows"]]
    median = statistics.median(ratios)
    return {
        "command": "telsim " + shlex.join(args),
        "date": time.strftime("%Y-%m-%d"),
        "rows": [
            {"metric": r["metric"], "operator": r["operator"], "width_ratio": r["width_ratio"]}
            for r in comparison["rows"]
        ],
        "median_width_ratio": median,
        "times_narrower": {"median": 1 / median, "least": 1 / max(ratios), "most": 1 / min(ratios)},
    }


def main() -> None:
    from sim.io import write_json

    result = measure()
    write_json(RESULTS, result)
    t = result["times_narrower"]
    print(
        f"{result['command']}: paired intervals {t['median']:.1f}x narrower (median of "
        f"{len(result['rows'])} rows), {t['least']:.1f}x to {t['most']:.1f}x"
    )


if __name__ == "__main__":
    main()
