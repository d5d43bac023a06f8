"""Solara's front-end files, installed from the npm registry so the page works offline.

Solara's page loads its JavaScript app (``@widgetti/solara-vuetify3-app``) and
``requirejs`` through the server's CDN proxy: the first request fetches them from a
public CDN and caches them in ``<venv>/share/solara/cdn``. Without internet access
(a locked-down laptop, CI) the page stays blank. Both are npm packages, so when the
cache lacks them and ``npm`` is installed, they are fetched once with ``npm pack`` and
unpacked where the proxy looks first. Which packages and versions the page needs is read
from solara's own page template, so a solara upgrade needs no change here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

# ``{{cdn}}/<package>@<version>/`` in solara's page template
_CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/")
_VUETIFY2_APP = "@widgetti/solara-vuetify-app"
_VUETIFY3_APP = "@widgetti/solara-vuetify3-app"


def cache_dir() -> Path:
    """Where solara's CDN proxy looks for files before going to the CDN."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required() -> list[tuple[str, str]]:
    """(package, version) the page template loads from the CDN, for this ipyvuetify."""
    import solara.server
    from solara.util import IPYVUETIFY_V3

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    found = dict.fromkeys(_CDN_REF.findall(template.read_text(encoding="utf-8")))
    unused = _VUETIFY2_APP if IPYVUETIFY_V3 else _VUETIFY3_APP
    return [(name, version) for name, version in found if name != unused]


def missing(cache: Path | None = None) -> list[tuple[str, str]]:
    """Required packages not yet unpacked in the proxy cache."""
    cache = cache or cache_dir()
    return [
        (name, version)
        for name, version in required()
        if not (cache / f"{name}@{version}" / "package.json").is_file()
    ]


def install(packages: list[tuple[str, str]], cache: Path | None = None) -> None:
    """Fetch packages with ``npm pack`` and unpack each to ``<cache>/<name>@<version>``.

    Raises:
        RuntimeError: npm is not installed, or it could not fetch a package.
    """
    cache = cache or cache_dir()
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        for name, version in packages:
            spec = f"{name}@{version}"
            done = subprocess.run(
                [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                lines = (done.stderr or done.stdout).strip().splitlines()
                raise RuntimeError(f"npm pack {spec} failed: {lines[-1] if lines else 'no output'}")
            tarball = Path(tmp) / done.stdout.strip().splitlines()[-1]
            _unpack(tarball, cache / spec)


def _unpack(tarball: Path, target: Path) -> None:
    """Unpack an npm tarball's ``package/`` folder to ``target``, replacing it whole."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=_parent(target)))
    try:
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, filter="data")
        if target.exists():
            shutil.rmtree(target)
        (staging / "package").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def ensure(announce: Callable[[str], None] | None = None) -> str | None:
    """Install what the page needs if it is missing; a warning to show if that failed.

    ``announce`` is told before a download starts (it takes a few seconds, once).
    """
    todo: list[tuple[str, str]] = []
    try:
        todo = missing()
        if todo:
            if announce is not None:
                names = ", ".join(f"{n}@{v}" for n, v in todo)
                announce(f"installing solara's page files with npm (once): {names}")
            install(todo)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        names = ", ".join(f"{n}@{v}" for n, v in todo)
        return (
            f"solara's page files ({names}) are not installed and could not be fetched with "
            f"npm ({exc}); the page will load them from the internet, or stay blank offline"
        )
    return None
