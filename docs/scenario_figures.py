"""Regenerate the scenario gallery, ``docs/figures/scenarios/*.png``, with the current code.

Runs every shipped scenario and the counterfactual its section of docs/scenarios.md
names, at the file's defaults (100,000 agents, 3 replications), with the commands that
page shows (``telsim run``, ``telsim compare``), then copies the figures the page uses.
The runs and comparisons stay in ``--work`` (default ``results/gallery``): their
``comparison.md`` and tables hold the numbers the page quotes.

    python docs/scenario_figures.py                       # everything (about 15 min on 2 cores)
    python docs/scenario_figures.py --only new_entrant    # one section
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures" / "scenarios"
RETENTION = (
    "events=[{kind: retention_campaign, month: 6, operator: Mobile, budget: 1598800000, "
    "discount: 0.3, offer_months: 6}]"
)
OVERMARKETING = (
    "events=[{kind: marketing_campaign, month: 6, operator: Unicom, reach: 0.10, "
    "contacts_per_month: 3}]"
)


@dataclass(frozen=True)
class Counterfactual:
    """A run of the scenario file changed by ``--set`` overrides (no report figures).

    ``title`` is what comparison legends and tables call it (the file's own title would
    name the policy it takes out).
    """

    name: str
    sets: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class Section:
    """One scenario of the page: its runs, its comparison and the figures it shows.

    ``report``: report figure -> gallery file. ``compare``: the run names compared
    (baseline first); ``compared``: comparison figure -> gallery file.
    """

    scenario: str
    counterfactuals: tuple[Counterfactual, ...] = ()
    report: dict[str, str] = field(default_factory=dict)
    compare: tuple[str, ...] = ()
    compared: dict[str, str] = field(default_factory=dict)


SECTIONS = (
    Section(
        "china_3g_2009",
        report={"shares": "china_3g_2009_shares", "churn": "china_3g_2009_churn"},
    ),
    Section(
        "china_3g_2009_subsidy_war",
        compare=("china_3g_2009", "china_3g_2009_subsidy_war"),
        compared={"overlay": "china_3g_2009_subsidy_war_overlay"},
    ),
    Section(
        "price_war",
        (Counterfactual("price_war_no_war", ("events=[]",), "No price war"),),
        report={"revenue": "price_war_revenue_arpu"},
        compare=("price_war_no_war", "price_war"),
        compared={"overlay": "price_war_overlay"},
    ),
    Section(
        "number_portability",
        (Counterfactual("no_portability", ("events=[]",), "No portability"),),
        report={"churn": "number_portability_churn"},
        compare=("no_portability", "number_portability"),
        compared={"overlay": "number_portability_overlay"},
    ),
    Section(
        "retention_and_overmarketing",
        (
            Counterfactual("no_crm_policy", ("events=[]",), "Neither policy"),
            Counterfactual("retention_only", (RETENTION,), "Retention only"),
            Counterfactual("overmarketing_only", (OVERMARKETING,), "Over-marketing only"),
        ),
        report={"satisfaction_lockin": "retention_and_overmarketing_satisfaction_lockin"},
        compare=("no_crm_policy", "retention_only", "overmarketing_only"),
        compared={"overlay": "retention_and_overmarketing_overlay"},
    ),
    Section(
        "five_g_household_bundles",
        (Counterfactual("no_bundle_cost", ("behaviour.bundle_cost=0",), "No bundle exit cost"),),
        report={"handsets": "five_g_household_bundles_handsets"},
        compare=("no_bundle_cost", "five_g_household_bundles"),
        compared={"differences": "five_g_household_bundles_bundle_lockin"},
    ),
    Section(
        "new_entrant",
        (Counterfactual("no_entrant", ("events=[]",), "No entrant"),),
        report={"switching": "new_entrant_switching"},
        compare=("no_entrant", "new_entrant"),
        compared={"overlay": "new_entrant_overlay"},
    ),
)


def telsim(*args: str) -> None:
    """One ``telsim`` command of this checkout, echoed; stops the script if it fails."""
    command = [sys.executable, "-m", "sim.cli", *args]
    print("$ telsim " + " ".join(args), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def run(scenario: str, work: Path, cf: Counterfactual | None = None) -> Path:
    """``telsim run`` of a shipped scenario, or of its counterfactual ``cf``, into ``work``."""
    out = work / (cf.name if cf else scenario)
    args = ["run", f"scenarios/{scenario}.yaml", "--out", str(out), "--quiet", "--overwrite"]
    if cf:
        for override in (*cf.sets, f"name={cf.name}", f"title={cf.title}"):
            args += ["--set", override]
        args.append("--no-figures")
    telsim(*args)
    return out


def copy(source: Path, gallery_name: str) -> None:
    """Copy a figure into the gallery under the name docs/scenarios.md links."""
    target = FIGURES / f"{gallery_name}.png"
    shutil.copyfile(source, target)
    print(f"  {source.relative_to(ROOT)} -> {target.relative_to(ROOT)}", flush=True)


def make(section: Section, work: Path) -> None:
    """Run one section's scenario, counterfactuals and comparison; copy its figures."""
    folder = work / section.scenario
    if not (folder / "report.html").is_file():
        run(section.scenario, work)
    for cf in section.counterfactuals:
        run(section.scenario, work, cf)
    for key, gallery_name in section.report.items():
        copy(folder / "report_figures" / f"{key}.png", gallery_name)
    if section.compare:
        for name in section.compare:  # a baseline shipped as its own file (the default)
            if not (work / name).is_dir():
                run(name, work)
        out = work / f"compare_{section.scenario}"
        names = (str(work / name) for name in section.compare)
        telsim("compare", *names, "--out", str(out), "--overwrite")
        for key, gallery_name in section.compared.items():
            copy(out / f"{key}.png", gallery_name)


def main() -> None:
    """Every section, or those named by ``--only``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=ROOT / "results" / "gallery")
    ap.add_argument("--only", nargs="*", help="scenario names (default: all)")
    args = ap.parse_args()
    known = [s.scenario for s in SECTIONS]
    unknown = sorted(set(args.only or ()) - set(known))
    if unknown:
        sys.exit(f"--only: unknown scenario(s) {unknown}; expected some of {known}")
    args.work.mkdir(parents=True, exist_ok=True)
    for section in SECTIONS:
        if not args.only or section.scenario in args.only:
            make(section, args.work.resolve())


if __name__ == "__main__":
    main()
