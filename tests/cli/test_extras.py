"""Optional extras: a command whose extra is missing says which one to install (exit 2),
and the core commands work with no extra installed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.extras import EXTRA_MODULES, MissingExtra
from sim.sweep import executors

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "china_3g_2009.yaml"


def block(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``modules`` look uninstalled: find_spec returns None, import raises."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize(
    ("args", "extra", "missing"),
    [
        (["sweep", ROOT / "scenarios" / "sweeps" / "subsidy_vs_price.yaml"], "sweep", "SALib"),
        (["sensitivity", ROOT], "sweep", "distributed"),
        (["calibrate", ROOT / "calibration" / "synthetic_base.yaml"], "calibrate", "optuna"),
        (["calibrate", ROOT / "calibration" / "synthetic_base.yaml"], "calibrate", "dask"),
        (["dashboard", SCENARIO, "--no-open"], "dashboard", "solara"),
    ],
)
def test_a_missing_extra_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, args: list[object], extra: str, missing: str
) -> None:
    block(monkeypatch, missing)
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.splitlines() == [
        f"error: telsim {args[0]} needs the '{extra}' extra: pip install 'telsim[{extra}]'"
    ]
    assert result.stdout == ""


def test_the_dask_executor_names_the_sweep_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    block(monkeypatch, "dask")
    with (
        pytest.raises(MissingExtra, match=r"the dask executor needs the 'sweep' extra"),
        executors.open_executor(1, kind="dask"),
    ):
        pass


def test_every_extra_of_pyproject_is_checked() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert set(extras) - {"all", "dev"} == set(EXTRA_MODULES)
    (everything,) = extras["all"]
    assert everything.startswith("telsim[") and everything.endswith("]")
    assert set(everything[len("telsim[") : -1].split(",")) == set(EXTRA_MODULES)


CORE_WITHOUT_EXTRAS = """
import sys
from sim.extras import EXTRA_MODULES
for modules in EXTRA_MODULES.values():
    sys.modules.update(dict.fromkeys(modules, None))  # import of any of them fails
from sim.cli import app
out = sys.argv[1]
for args in (
    ["validate", sys.argv[2]],
    ["run", sys.argv[2], "-n", "300", "-m", "3", "-r", "2", "-q", "--out", out],
    ["report", out, "-q"],
    ["compare", sys.argv[2], "--vary", "operators.Unicom.brand=0.5", "-n", "300", "-m", "3",
     "-r", "2", "-q", "--out", out + "_cmp"],
):
    try:
        app(args)
    except SystemExit as exc:
        assert exc.code == 0, (args, exc.code)
"""


@pytest.mark.slow
def test_core_commands_run_without_any_extra(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", CORE_WITHOUT_EXTRAS, str(out), str(SCENARIO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "shares.png").is_file() and (out / "report.html").is_file()
    assert (tmp_path / "run_cmp" / "differences.png").is_file()
