"""Solara's page files: which are needed, whether they are there, and unpacking them."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from sim.dashboard import assets


def test_required_packages_come_from_solaras_own_template() -> None:
    needed = dict(assets.required())
    assert "requirejs" in needed
    apps = [name for name in needed if "solara-vuetify" in name]
    assert len(apps) == 1  # only the app matching the installed ipyvuetify


def test_missing_lists_what_the_cache_lacks(tmp_path: Path) -> None:
    needed = assets.required()
    assert assets.missing(tmp_path) == needed
    name, version = needed[0]
    (tmp_path / f"{name}@{version}").mkdir(parents=True)
    (tmp_path / f"{name}@{version}" / "package.json").write_text("{}")
    assert assets.missing(tmp_path) == needed[1:]


def npm_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_unpack_puts_the_package_folder_at_its_cdn_path(tmp_path: Path) -> None:
    tarball = npm_tarball(tmp_path / "p.tgz", {"package.json": b"{}", "dist/a.js": b"x"})
    target = tmp_path / "cdn" / "@scope" / "pkg@1.0.0"
    assets._unpack(tarball, target)
    assert (target / "dist" / "a.js").read_bytes() == b"x"
    assets._unpack(npm_tarball(tmp_path / "q.tgz", {"package.json": b"{}"}), target)
    assert not (target / "dist").exists()  # replaced whole, not merged
    assert sorted(p.name for p in target.parent.iterdir()) == ["pkg@1.0.0"]  # no staging left


def test_without_npm_ensure_warns_instead_of_failing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(assets, "cache_dir", lambda: tmp_path)
    monkeypatch.setattr(assets.shutil, "which", lambda _: None)
    told: list[str] = []
    warning = assets.ensure(told.append)
    assert told and "installing solara's page files with npm" in told[0]
    assert warning is not None and "npm is not installed" in warning
    assert "requirejs@" in warning


def test_ensure_is_quiet_when_everything_is_there(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(assets, "cache_dir", lambda: tmp_path)
    for name, version in assets.required():
        (tmp_path / f"{name}@{version}").mkdir(parents=True)
        (tmp_path / f"{name}@{version}" / "package.json").write_text("{}")
    told: list[str] = []
    assert assets.ensure(told.append) is None and told == []


def test_npm_failure_is_reported(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "npm"
    fake.write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(assets.shutil, "which", lambda _: str(fake))
    with pytest.raises(RuntimeError, match=r"npm pack nothing@0\.0\.0 failed: npm error 404"):
        assets.install([("nothing", "0.0.0")], tmp_path / "cdn")
