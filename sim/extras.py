"""The optional parts of telsim and the pip extra that installs each.

The core (``run``, ``report``, ``compare``, ``validate``, ``schema``) needs only the base
dependencies; sweeps, calibration and the dashboard need an extra of ``pyproject.toml``.
A command that needs a missing extra names the extra to install, rather than failing
with an ImportError deep inside a run.
"""

from importlib.util import find_spec

from sim.errors import UserError

_SWEEP = ("SALib", "dask", "distributed")

# Top-level modules each extra of pyproject.toml installs; calibrate includes sweep.
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "sweep": _SWEEP,
    "calibrate": ("optuna", "cmaes", "pyabc", *_SWEEP),
    "dashboard": ("solara", "altair"),  # what mesa.visualization imports
}


class MissingExtra(UserError):
    """A feature needs an optional extra that is not installed."""


def require(extra: str, feature: str) -> None:
    """Check that ``extra``'s modules are installed, without importing them.

    Raises:
        MissingExtra: one line naming the extra and the pip command that installs it.
    """
    if any(find_spec(module) is None for module in EXTRA_MODULES[extra]):
        raise MissingExtra(f"{feature} needs the '{extra}' extra: pip install 'telsim[{extra}]'")
