"""Packaging: the wheel carries the code and resources/, and runs from a clean environment.

The build test copies the sources as a build sees them (translations compiled as
``make translations`` does), builds the wheel offline, installs it into a new virtual
environment that sees the already installed dependencies but not this checkout, and runs
``oma-desktop --smoke-test`` from outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
RESOURCES_PACKAGE = "oma_desktop.resources"


def source_packages() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "oma_desktop").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def listed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = listed_packages()
    assert RESOURCES_PACKAGE in listed
    missing = source_packages() - listed
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    stale = listed - source_packages() - {RESOURCES_PACKAGE}
    assert not stale, f"remove {sorted(stale)} from [tool.setuptools] packages in pyproject.toml"


def copy_sources(target: Path) -> None:
    """What a release build sees: code, resources with compiled translations, metadata."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    shutil.copytree(ROOT / "oma_desktop", target / "oma_desktop", ignore=skip)
    shutil.copytree(ROOT / "resources", target / "resources", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    for po in (target / "resources" / "locale").glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)


def run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, check=False,
        **kwargs,  # type: ignore[call-overload]
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def test_the_wheel_installs_into_a_clean_environment_and_runs(tmp_path: Path) -> None:
    src, dist, venv, data = (tmp_path / n for n in ("src", "dist", "venv", "datos"))
    copy_sources(src)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src])
    (wheel,) = dist.glob("oma_desktop-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(src).as_posix() for p in (src / "oma_desktop").rglob("*.py")}
    assert modules - names == set(), "modules left out of the wheel"
    for resource in ("catalogs/casas.csv", "catalogs/districts.csv", "catalogs/lima_zones.csv",
                     "geo/joseluisq_lima_callao_distritos_simple.geojson", "demo/names.csv",
                     "locale/es/LC_MESSAGES/oma_desktop.mo", "help/guia-usuario.md"):
        assert f"oma_desktop/resources/{resource}" in names
    assert not [n for n in names if n.endswith(".po")]

    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
         "--disable-pip-version-check", "--no-deps", "--no-index", wheel])
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    # the dependencies already installed here, as plain path entries: the .pth files in
    # that folder (among them this checkout's editable install) are not executed
    (site / "oma_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "OMA_RESOURCES", "OMA_LANG")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    installed = site / "oma_desktop"
    where = run([python, "-c", "import oma_desktop, oma_desktop.paths as p;"
                 "print(oma_desktop.__file__); print(p.resources_dir())"],
                cwd=tmp_path, env=env).stdout.split()
    assert where == [str(installed / "__init__.py"), str(installed / "resources")]

    smoke = run([venv / "bin" / "oma-desktop", "--data-dir", data, "--smoke-test"],
                cwd=tmp_path, env=env)
    assert smoke.stderr == ""
    log = (data / "logs" / "oma-desktop.log").read_text(encoding="utf-8")
    assert f"command gui, language es, resources {installed / 'resources'}\n" in log
    assert (data / "oma.sqlite3").exists()

    usage = run([venv / "bin" / "oma-desktop", "--help"], cwd=tmp_path, env=env).stdout
    assert "carpeta de datos (por defecto: la carpeta del usuario)" in usage
